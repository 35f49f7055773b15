"""Energy-based voice-activity detection: split mono 16 kHz audio into utterances.

Decision: a frame-energy detector with hysteresis and an adaptive noise floor, not Silero.
faster-whisper does ship ``silero_vad_v6.onnx`` offline, but it needs onnxruntime and its helper
(``get_speech_timestamps``) works on whole arrays only, while the live preview must cut utterances
from 30 ms microphone chunks. The energy detector is numpy-only, costs microseconds per frame,
and is written once as a streaming state machine, so the batch call (:func:`segment_speech`) and
the live path (:class:`StreamingSegmenter`) give *identical* utterances by construction. It is
good on close-talk microphones and clean files; it is not a speech/noise classifier (music or a
loud fan above the thresholds counts as speech), which is the price of those properties.

How it decides, per 30 ms frame (level = mean power in dBFS):

* A noise floor (starting at -60 dBFS) follows the quietest recent frames: it drops at once to
  any quieter frame and creeps up by ``floor_rise_db_per_s`` otherwise (clamped at -90 dBFS so
  digital silence does not drag it to -inf). Each frame is judged against the floor of the
  frames before it.
* Speech starts when a frame reaches ``max(start_db, floor + start_margin_db)``.
* While in speech, a frame counts as speech down to the lower ``max(stop_db, floor +
  stop_margin_db)`` (hysteresis: quiet consonants and word gaps don't end an utterance).
* The utterance ends after ``min_silence_s`` of frames below that lower threshold; it is cut at
  the last speech frame. Utterances whose speech lasts less than ``min_speech_s`` are dropped
  (clicks, breaths); longer than ``max_utterance_s`` are cut (Whisper's window is 30 s).
* Each kept utterance is widened by ``pad_s`` on both sides (not past the audio bounds nor into
  the previous utterance), so soft onsets and word endings reach the recogniser.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

_FLOOR_MIN_DB = -90.0
_FLOOR_INIT_DB = -60.0  # a quiet room on a close-talk microphone
_EPS = 1e-12


@dataclass(frozen=True)
class VadParams:
    """Parameters of the energy VAD (defaults tuned on espeak-ng speech and close-talk mics).

    Attributes:
        frame_s: Analysis frame length in seconds (frames do not overlap).
        start_db: Absolute level (dBFS) a frame needs to start an utterance.
        start_margin_db: Or this many dB above the noise floor, whichever is higher.
        stop_db: Absolute level (dBFS) below which a frame inside an utterance is silence.
        stop_margin_db: Or this many dB above the noise floor, whichever is higher.
        floor_rise_db_per_s: How fast the noise floor may rise towards louder frames.
        min_speech_s: Utterances with less speech than this are dropped.
        min_silence_s: Silence needed to close an utterance.
        pad_s: Audio kept before and after each utterance (at most ``min_silence_s``).
        max_utterance_s: An utterance is cut when it grows longer than this.
    """

    frame_s: float = 0.03
    start_db: float = -40.0
    start_margin_db: float = 12.0
    stop_db: float = -50.0
    stop_margin_db: float = 6.0
    floor_rise_db_per_s: float = 3.0
    min_speech_s: float = 0.2
    min_silence_s: float = 0.5
    pad_s: float = 0.2
    max_utterance_s: float = 28.0

    def __post_init__(self) -> None:
        if not 0.005 <= self.frame_s <= 0.1:
            raise ValueError(f"frame_s must be within 5..100 ms, got {self.frame_s}")
        if self.stop_db > self.start_db or self.stop_margin_db > self.start_margin_db:
            raise ValueError("stop thresholds must not exceed start thresholds (hysteresis)")
        if not 0.0 <= self.pad_s <= self.min_silence_s:
            raise ValueError("pad_s must be between 0 and min_silence_s")
        if self.max_utterance_s <= self.min_speech_s:
            raise ValueError("max_utterance_s must exceed min_speech_s")


@dataclass(frozen=True)
class SpeechSegment:
    """One utterance found by the VAD.

    Attributes:
        start: First sample (inclusive), counted from the start of the stream.
        end: Last sample (exclusive).
        sample_rate: Samples per second of ``samples``.
        samples: The padded utterance audio, mono float32 (not compared by ``==``).
    """

    start: int
    end: int
    sample_rate: int
    samples: np.ndarray = field(compare=False, repr=False)

    @property
    def start_s(self) -> float:
        """Start time in seconds."""
        return self.start / self.sample_rate

    @property
    def end_s(self) -> float:
        """End time in seconds."""
        return self.end / self.sample_rate


@dataclass(frozen=True)
class VadFrame:
    """One analysed frame, as the live preview's provisional face reads it.

    Attributes:
        end: Sample index just past the frame (its stream position).
        level_db: The frame's mean power in dBFS.
        in_speech: True while an utterance is open after this frame (hysteresis included).
        speech: True when this frame itself is loud enough to count as speech.
        samples: The frame's audio (a view; not compared by ``==``).
        segment: The utterance this frame closed (kept), else None.
        dropped: True when this frame closed an utterance too short to keep.
    """

    end: int
    level_db: float
    in_speech: bool
    speech: bool
    samples: np.ndarray = field(compare=False, repr=False)
    segment: SpeechSegment | None = None
    dropped: bool = False


def frame_levels_db(samples: np.ndarray, frame_len: int) -> np.ndarray:
    """Mean power per non-overlapping frame in dBFS (a trailing partial frame is ignored)."""
    n = len(samples) // frame_len
    frames = np.asarray(samples[: n * frame_len], dtype=np.float64).reshape(n, frame_len)
    return 10.0 * np.log10(np.mean(frames * frames, axis=1) + _EPS)


class StreamingSegmenter:
    """Cuts a stream of audio chunks into utterances as soon as each one is finished.

    Feed chunks of any length with :meth:`feed`; each call returns the utterances that closed
    inside it. Call :meth:`flush` at the end of the stream for an utterance still open.

    Args:
        sample_rate: Sample rate of the chunks (16 kHz for the recognisers).
        params: VAD parameters; defaults when omitted.
    """

    def __init__(self, sample_rate: int = 16000, params: VadParams | None = None) -> None:
        self.sample_rate = int(sample_rate)
        self.params = params or VadParams()
        p = self.params
        self._frame = max(1, round(p.frame_s * self.sample_rate))
        frame_s = self._frame / self.sample_rate
        self._min_speech = max(1, round(p.min_speech_s / frame_s))
        self._min_silence = max(1, round(p.min_silence_s / frame_s))
        self._max_frames = max(self._min_speech + 1, round(p.max_utterance_s / frame_s))
        self._pad = round(p.pad_s * self.sample_rate)
        self._rise = p.floor_rise_db_per_s * frame_s
        self.frames: list[VadFrame] = []  # the frames the last feed() analysed
        self._reset()

    def _reset(self) -> None:
        self._buf = np.zeros(0, dtype=np.float32)
        self._buf_start = 0  # absolute index of _buf[0]
        self._pos = 0  # absolute index of the next frame to analyse
        self._floor = _FLOOR_INIT_DB
        self._in_speech = False
        self._utt_start = 0  # first sample of the first speech frame
        self._last_speech_end = 0  # end sample of the last speech frame
        self._speech_frames = 0
        self._silent_run = 0
        self._prev_end = 0  # end of the previous emitted utterance (padding never overlaps it)

    @property
    def position_s(self) -> float:
        """Seconds of audio analysed so far."""
        return self._pos / self.sample_rate

    def feed(self, chunk: np.ndarray) -> list[SpeechSegment]:
        """Add audio and return the utterances that finished within it.

        Args:
            chunk: Mono samples (1-D, any float dtype, nominally in [-1, 1]).

        Returns:
            Finished utterances in time order (often empty).
        """
        chunk = np.asarray(chunk, dtype=np.float32).reshape(-1)
        self._buf = np.concatenate([self._buf, chunk]) if len(self._buf) else chunk.copy()
        out: list[SpeechSegment] = []
        self.frames = []
        buf_end = self._buf_start + len(self._buf)
        n_frames = (buf_end - self._pos) // self._frame
        if n_frames > 0:
            lo = self._pos - self._buf_start
            block = self._buf[lo : lo + n_frames * self._frame]
            levels = frame_levels_db(block, self._frame)
            for i, level in enumerate(levels):
                was_in_speech = self._in_speech
                seg = self._step(float(level))
                if seg is not None:
                    out.append(seg)
                frame = block[i * self._frame : (i + 1) * self._frame]
                self.frames.append(self._frame_info(float(level), frame, seg, was_in_speech))
        self._trim()
        return out

    def _frame_info(
        self, level: float, samples: np.ndarray, seg: SpeechSegment | None, was_in_speech: bool
    ) -> VadFrame:
        speech = self._in_speech and self._silent_run == 0
        dropped = was_in_speech and not self._in_speech and seg is None
        return VadFrame(self._pos, level, self._in_speech, speech, samples, seg, dropped)

    def flush(self) -> list[SpeechSegment]:
        """End the stream: close an open utterance (if long enough) and reset.

        Returns:
            The last utterance, or an empty list.
        """
        out: list[SpeechSegment] = []
        if self._in_speech and self._speech_frames >= self._min_speech:
            end_limit = self._buf_start + len(self._buf)
            out.append(self._emit(self._last_speech_end, end_limit))
        self._reset()
        return out

    # -- state machine -------------------------------------------------------------------------

    def _step(self, level: float) -> SpeechSegment | None:
        frame_start = self._pos
        self._pos += self._frame
        floor = self._floor
        self._update_floor(level)
        if not self._in_speech:
            if level >= max(self.params.start_db, floor + self.params.start_margin_db):
                self._in_speech = True
                self._utt_start = frame_start
                self._last_speech_end = self._pos
                self._speech_frames = 1
                self._silent_run = 0
            return None
        if level >= max(self.params.stop_db, floor + self.params.stop_margin_db):
            self._speech_frames += self._silent_run + 1
            self._silent_run = 0
            self._last_speech_end = self._pos
            if self._speech_frames >= self._max_frames:
                return self._close(self._pos)
            return None
        self._silent_run += 1
        if self._silent_run >= self._min_silence:
            return self._close(self._pos)
        return None

    def _update_floor(self, level: float) -> None:
        level = max(level, _FLOOR_MIN_DB)
        self._floor = level if level < self._floor else min(level, self._floor + self._rise)

    def _close(self, end_limit: int) -> SpeechSegment | None:
        keep = self._speech_frames >= self._min_speech
        seg = self._emit(self._last_speech_end, end_limit) if keep else None
        self._in_speech = False
        self._speech_frames = 0
        self._silent_run = 0
        return seg

    def _emit(self, speech_end: int, end_limit: int) -> SpeechSegment:
        start = max(self._utt_start - self._pad, self._prev_end, 0)
        end = min(speech_end + self._pad, end_limit)
        self._prev_end = end
        lo, hi = start - self._buf_start, end - self._buf_start
        samples = self._buf[lo:hi].copy()
        return SpeechSegment(start=start, end=end, sample_rate=self.sample_rate, samples=samples)

    def _trim(self) -> None:
        # Keep what a future utterance may still need: its left padding, or the open utterance.
        keep_from = self._pos - self._pad - self._frame
        if self._in_speech:
            keep_from = min(keep_from, self._utt_start - self._pad)
        keep_from = max(keep_from, self._prev_end, self._buf_start)
        cut = keep_from - self._buf_start
        if cut > 0:
            self._buf = self._buf[cut:]
            self._buf_start = keep_from


def segment_stream(
    chunks: Iterable[np.ndarray], sample_rate: int = 16000, params: VadParams | None = None
) -> Iterator[SpeechSegment]:
    """Yield utterances from an iterable of chunks (e.g. a microphone) as they finish.

    Args:
        chunks: Mono audio chunks at ``sample_rate``.
        sample_rate: Sample rate of the chunks.
        params: VAD parameters.

    Yields:
        Each finished utterance; the last one when ``chunks`` is exhausted.
    """
    seg = StreamingSegmenter(sample_rate, params)
    for chunk in chunks:
        yield from seg.feed(chunk)
    yield from seg.flush()


def segment_speech(
    samples: np.ndarray, sample_rate: int = 16000, params: VadParams | None = None
) -> list[SpeechSegment]:
    """Split a whole recording into utterances (same result as streaming it chunk by chunk).

    Args:
        samples: Mono audio.
        sample_rate: Its sample rate.
        params: VAD parameters.

    Returns:
        Utterances in time order; empty for silence or audio below the thresholds.
    """
    return list(segment_stream([samples], sample_rate, params))
