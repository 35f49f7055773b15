"""The provisional face while someone is still speaking: mouth from loudness, emotion carried over.

A live utterance's emotion is known only once the utterance has ended, been transcribed and read
(about half a second of silence to close it, then speech-to-text and the text model). Until then
the live preview shows a *provisional* face built from the audio itself:

* **Mouth.** Each 30 ms frame's loudness opens the jaw and parts the lips
  (:class:`MouthFollower`): fully at the voice's recent peak, closed ``range_db`` below it (or
  at the voice threshold, whichever is louder), with a fast attack and a slower release, so the
  mouth follows the syllables (a syllable's energy peak is its vowel, where the mouth is most
  open) on a loud or a quiet voice alike.
* **Emotion.** The last utterance's emotion is carried over at a reduced intensity
  (``carry``): mood outlasts one sentence, and a wrong guess at reduced strength costs less than
  a jump. Prosody only scales that intensity (:class:`ProsodyMeter`): loudness and pitch range
  are reliable cues to *arousal*, but not to which emotion it is (anger and joy are both loud
  and high; Banse & Scherer 1996, JPSP 70(3)), so prosody alone never picks an emotion.
  Before any utterance has been read there is nothing to carry, and the provisional face is the
  mouth alone.

Everything here is numpy on single frames: microseconds per 30 ms frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .emotions import EmotionWeights


@dataclass(frozen=True)
class ProvisionalSettings:
    """How the provisional face follows the voice.

    Attributes:
        range_db: Loudness range from a closed mouth to the voice's recent peak (fully open).
        peak_decay_db_per_s: How fast the remembered peak falls when the voice gets quieter.
        attack: Share of the way to a louder frame's opening taken per frame.
        release: Share of the way to a quieter frame's opening taken per frame.
        onset_s: Speech needed before a provisional emotion shows (clicks don't trigger it).
        carry: Intensity the carried-over emotion keeps, as a share of the last utterance's.
    """

    range_db: float = 20.0
    peak_decay_db_per_s: float = 3.0
    attack: float = 0.7
    release: float = 0.55
    onset_s: float = 0.2
    carry: float = 0.6

    def __post_init__(self) -> None:
        if not self.range_db > 0:
            raise ValueError(f"range_db must be positive, got {self.range_db}")
        for name in ("attack", "release", "carry"):
            value = getattr(self, name)
            if not 0.0 < value <= 1.0:
                raise ValueError(f"{name} must be within (0, 1], got {value}")
        if self.onset_s < 0:
            raise ValueError(f"onset_s must not be negative, got {self.onset_s}")


class MouthFollower:
    """Mouth opening in [0, 1] from frame loudness, smoothed with attack and release.

    Args:
        settings: The range, peak decay and smoothing.
        frame_s: Seconds per frame (for the peak's decay).
    """

    def __init__(self, settings: ProvisionalSettings | None = None, frame_s: float = 0.03):
        self.settings = settings or ProvisionalSettings()
        self.value = 0.0
        self.peak_db = -np.inf
        self._decay = self.settings.peak_decay_db_per_s * frame_s

    def step(self, level_db: float, threshold_db: float) -> float:
        """Follow one frame.

        Args:
            level_db: The frame's loudness (dBFS).
            threshold_db: The voice threshold (dBFS): quieter frames close the mouth.

        Returns:
            The smoothed opening.
        """
        s = self.settings
        if level_db >= threshold_db:
            self.peak_db = max(level_db, self.peak_db - self._decay)
        closed = max(threshold_db, self.peak_db - s.range_db)
        top = max(self.peak_db, closed + 1.0)
        target = float(np.clip((level_db - closed) / (top - closed), 0.0, 1.0))
        rate = s.attack if target > self.value else s.release
        self.value += (target - self.value) * rate
        if self.value < 0.02:  # below anything visible: closed
            self.value = 0.0
        return self.value


def frame_pitch_hz(
    samples: np.ndarray,
    sample_rate: int,
    fmin: float = 75.0,
    fmax: float = 400.0,
    voicing: float = 0.45,
) -> float:
    """Fundamental frequency of one frame by normalised autocorrelation; NaN when unvoiced.

    Args:
        samples: One frame (30 ms holds two periods of a 75 Hz voice; the correlation is
            normalised per lag because longer lags multiply fewer samples).
        sample_rate: Samples per second.
        fmin: Lowest pitch searched.
        fmax: Highest pitch searched.
        voicing: Normalised correlation a lag needs to count as a period.

    Returns:
        Hz, or NaN for unvoiced or silent frames.
    """
    x = np.asarray(samples, dtype=np.float64)
    x = x - x.mean()
    lo, hi = int(sample_rate / fmax), min(int(sample_rate / fmin), len(x) - 2)
    energy = float(x @ x)
    if hi <= lo or energy < 1e-9:
        return float("nan")
    lags = np.arange(lo, hi + 1)
    corr = np.array([x[:-k] @ x[k:] for k in lags])
    norm = np.sqrt(np.array([(x[:-k] @ x[:-k]) * (x[k:] @ x[k:]) for k in lags])) + 1e-12
    r = corr / norm
    if r.max() < voicing:
        return float("nan")
    # Whole multiples of the period correlate as well as the period: take the shortest lag
    # that is a local peak within 10 % of the best (no octave-down errors).
    peak = (r[1:-1] >= r[:-2]) & (r[1:-1] >= r[2:]) & (r[1:-1] >= 0.9 * r.max())
    best = int(np.flatnonzero(peak)[0]) + 1 if peak.any() else int(np.argmax(r))
    return float(sample_rate / lags[best])


class ProsodyMeter:
    """Arousal in [0, 1] of the utterance so far, against the speaker's earlier utterances.

    Loudness above the speaker's usual level and a wide pitch range raise it; 0.5 is the
    speaker's usual. The first utterance is its own reference for loudness.
    """

    def __init__(self) -> None:
        self._levels: list[float] = []
        self._pitches: list[float] = []
        self._usual_db: float | None = None

    def add(self, level_db: float, pitch_hz: float) -> None:
        """Add a speech frame (NaN pitch: unvoiced)."""
        self._levels.append(float(level_db))
        if np.isfinite(pitch_hz) and pitch_hz > 0:
            self._pitches.append(float(pitch_hz))

    def arousal(self) -> float:
        """The current estimate (0.5 with no speech frames yet)."""
        if not self._levels:
            return 0.5
        mean_db = float(np.mean(self._levels))
        usual = mean_db if self._usual_db is None else self._usual_db
        spread = float(np.std(12.0 * np.log2(self._pitches))) if len(self._pitches) > 2 else 2.0
        return float(np.clip(0.5 + (mean_db - usual) / 12.0 + (spread - 2.0) / 8.0, 0.0, 1.0))

    def end_utterance(self) -> None:
        """Fold the utterance into the speaker's usual loudness and start a new one."""
        if self._levels:
            mean_db = float(np.mean(self._levels))
            self._usual_db = (
                mean_db if self._usual_db is None else 0.7 * self._usual_db + 0.3 * mean_db
            )
        self._levels, self._pitches = [], []


@dataclass(frozen=True)
class ProvisionalEmotion:
    """The emotion shown while an utterance is still being spoken."""

    weights: EmotionWeights
    intensity: float
    source: str  # "carried" (from the last utterance) or "none"


def provisional_emotion(
    previous: tuple[EmotionWeights, float] | None,
    arousal: float,
    settings: ProvisionalSettings | None = None,
) -> ProvisionalEmotion:
    """The provisional emotion: the last utterance's, weaker, scaled by arousal.

    Args:
        previous: The last read utterance's ``(weights, intensity)``, or None.
        arousal: :meth:`ProsodyMeter.arousal` of the utterance so far.
        settings: The carry share.

    Returns:
        Neutral at intensity 0 when there is nothing to carry over.
    """
    s = settings or ProvisionalSettings()
    if previous is None:
        return ProvisionalEmotion(EmotionWeights.pure("neutral"), 0.0, "none")
    weights, intensity = previous
    scale = 0.75 + 0.5 * float(np.clip(arousal, 0.0, 1.0))  # 0.75 calm .. 1.25 aroused
    return ProvisionalEmotion(
        weights, float(np.clip(intensity * s.carry * scale, 0.0, 1.0)), "carried"
    )
