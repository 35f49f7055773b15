"""Speech articulation: the jaw and lips move while a line is spoken.

A face that shows an emotion but keeps its mouth still while "saying" a line reads as wrong, so
spoken segments (typed dialogue or transcribed utterances) get an articulation layer: one
open–close cycle per syllable on the mouth AUs, at a conversational syllable rate (about 4.5 per
second for English), with seeded variation in timing, opening and lip rounding.

This is *not* lip-sync: no phonemes are recognised, so the openings do not match particular
sounds. It gives the rhythm of speech, which is what the papers' pipelines lack entirely (they
animate the emotion only); a phoneme-driven layer could replace it without touching the rest.
The layer is combined with the emotion like the other layers, ``1 - (1 - a)(1 - b)``, so a
smile stays a smile while the jaw moves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .curves import KeyframeTrack
from .errors import InputError

ARTICULATION_CHANNELS: tuple[str, ...] = (
    "AU25",  # lips part
    "AU26",  # jaw drop
    "AU16_L",  # lower lip depressor
    "AU16_R",
    "AU10_L",  # upper lip raiser
    "AU10_R",
    "AU18",  # lip pucker (rounded vowels: "oo")
    "AU22",  # lip funneler (rounded vowels: "o", "sh")
)


@dataclass(frozen=True)
class ArticulationOptions:
    """How the mouth moves while speaking.

    Attributes:
        syllables_per_s: Mean syllable rate (conversational English: 4–5).
        jaw: Range of the jaw drop (AU26) at a syllable's opening.
        rounded: Probability that a syllable is rounded (pucker or funnel).
        amount: Overall scale in [0, 1] (0 switches the layer off).

    Raises:
        InputError: On out-of-range values.
    """

    syllables_per_s: float = 4.5
    jaw: tuple[float, float] = (0.2, 0.45)
    rounded: float = 0.25
    amount: float = 1.0

    def __post_init__(self) -> None:
        if not (np.isfinite(self.syllables_per_s) and 1.0 <= self.syllables_per_s <= 10.0):
            raise InputError("Syllable rate must be between 1 and 10 per second.")
        lo, hi = self.jaw
        if not 0.0 <= lo <= hi <= 1.0:
            raise InputError("Jaw range must satisfy 0 <= min <= max <= 1.")
        if not (0.0 <= self.rounded <= 1.0 and 0.0 <= self.amount <= 1.0):
            raise InputError("Rounding probability and amount must be in [0, 1].")


def _syllable_keys(
    start: float, end: float, options: ArticulationOptions, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Key times and (K, channels) values for one spoken span: closed, open, closed, ..."""
    n = max(1, round((end - start) * options.syllables_per_s))
    step = (end - start) / n
    centres = start + step * (np.arange(n) + 0.5 + rng.uniform(-0.15, 0.15, size=n))
    jaw = rng.uniform(*options.jaw, size=n)
    open_ = np.zeros((n, len(ARTICULATION_CHANNELS)))
    open_[:, 0] = np.clip(1.6 * jaw + 0.3, 0.0, 1.0)  # lips part more than the jaw drops
    open_[:, 1] = jaw
    open_[:, 2:4] = (0.5 * jaw)[:, None]
    open_[:, 4:6] = (0.3 * jaw)[:, None]
    rounded = rng.random(n) < options.rounded
    which = 6 + rng.integers(0, 2, size=n)
    open_[rounded, which[rounded]] = rng.uniform(0.3, 0.6, size=int(rounded.sum()))
    open_[rounded, 1] *= 0.6  # rounded vowels open the jaw less
    closed_times = np.concatenate([[start], (centres[:-1] + centres[1:]) / 2, [end]])
    times = np.empty(2 * n + 1)
    times[0::2], times[1::2] = closed_times, centres
    values = np.zeros((2 * n + 1, len(ARTICULATION_CHANNELS)))
    values[1::2] = open_ * options.amount
    return times, values


def articulation_track(
    spans: Sequence[tuple[float, float]],
    t_end: float,
    options: ArticulationOptions,
    rng: np.random.Generator,
) -> KeyframeTrack | None:
    """Keyframes of the articulation layer on :data:`ARTICULATION_CHANNELS`.

    Args:
        spans: ``(start, end)`` seconds of each spoken segment, sorted, not overlapping.
        t_end: Last time rendered; spans are cut there.
        options: Rate and ranges.
        rng: Random stream (seeded by the caller).

    Returns:
        A smooth keyframe track, or None when nothing is spoken before ``t_end``.

    Raises:
        InputError: On a span with end before start, or unsorted/overlapping spans.
    """
    times, values, last = [], [], -np.inf
    for start, end in spans:
        if not (np.isfinite(start) and np.isfinite(end)) or end < start or start < last:
            raise InputError(f"Spoken spans must be sorted and non-overlapping: ({start}, {end}).")
        last = end
        end = min(end, t_end)
        if end - start < 0.05:  # nothing audible to articulate
            continue
        t, v = _syllable_keys(start, end, options, rng)
        times.append(t)
        values.append(v)
    if not times:
        return None
    t = np.concatenate(times)
    v = np.concatenate(values)
    keep = np.concatenate([[True], np.diff(t) > 1e-6])  # touching spans share a closed key
    return KeyframeTrack(t[keep], v[keep], "smooth")
