"""Limits an audio file must meet before a single sample is decoded.

A file's header can lie: a 200 kB WAV whose header says 1 Hz claims 28 hours, and resampling it
to 16 kHz allocated 6 GB before anything failed (issue 13). :func:`check_audio_file` reads only
the header (``soundfile.info``: well under a millisecond, no sample data) and refuses, with one
line that names the file and the limit:

- a sample rate outside [:data:`MIN_SAMPLE_RATE`, :data:`MAX_SAMPLE_RATE`] (4 kHz-384 kHz: below
  that nothing is intelligible, above it no recorder writes);
- a duration above ``max_duration_s`` (:data:`MAX_DURATION_S`, 10 minutes: one line of dialogue
  is seconds; a whole scene should be cut into lines first);
- more than :data:`MAX_DECODED_SAMPLES` samples over all channels (512 MB as float32; 10 minutes
  of 96 kHz stereo fits), which bounds what the decoder allocates for compressed formats whose
  size on disk says nothing about their decoded size;
- a duration below ``min_duration_s`` (100 ms), with the real length rounded *down*, so a 99 ms
  file is never called "100 ms".

Containers libsndfile cannot parse (m4a, webm, ...) return ``None``: their decoder checks the
decoded length itself (:func:`check_duration` does the same arithmetic on decoded samples).
This module imports nothing of the package but the error type, so :mod:`.audio` can import it.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import InputError

__all__ = [
    "MAX_DECODED_SAMPLES",
    "MAX_DURATION_S",
    "MAX_SAMPLE_RATE",
    "MIN_DURATION_S",
    "MIN_SAMPLE_RATE",
    "AudioHeader",
    "check_audio_file",
    "check_duration",
    "format_duration",
]

MAX_DURATION_S = 600.0
"""Longest audio accepted by default (10 minutes)."""

MIN_DURATION_S = 0.1
"""Shorter audio cannot hold a word (the same limit as :data:`.audio.MIN_DURATION_S`)."""

MIN_SAMPLE_RATE = 4000
"""Lowest plausible sample rate in Hz (telephone audio is 8 kHz)."""

MAX_SAMPLE_RATE = 384000
"""Highest plausible sample rate in Hz (the top rate of studio converters)."""

MAX_DECODED_SAMPLES = 1 << 27
"""Most samples (frames x channels) decoded at once: 134 M, 512 MB as float32."""


@dataclass(frozen=True)
class AudioHeader:
    """What an audio file's header claims, checked against the limits.

    Attributes:
        frames: Sample frames per channel. sample_rate: In Hz. channels: Channel count.
        format: libsndfile's container name ("WAV", "FLAC", "OGG", "MP3", ...).
    """

    frames: int
    sample_rate: int
    channels: int
    format: str

    @property
    def duration_s(self) -> float:
        """Claimed length in seconds."""
        return self.frames / self.sample_rate


def format_duration(seconds: float) -> str:
    """A length for a message, rounded down so it never reaches a limit it is below.

    Under 10 s it is given in whole milliseconds ("99 ms"), then in tenths of seconds ("12.3 s"),
    then in minutes and seconds ("28 h 0 min" for anything over an hour).
    """
    if not math.isfinite(seconds):
        return "an unknown length"
    if seconds < 10.0:
        return f"{math.floor(seconds * 1000)} ms"
    if seconds < 600.0:
        return f"{math.floor(seconds * 10) / 10:.1f} s"
    minutes = math.floor(seconds / 60)
    if minutes < 60:
        return f"{minutes} min {math.floor(seconds - 60 * minutes)} s"
    return f"{minutes // 60} h {minutes % 60} min"


def _limit(seconds: float) -> str:
    """A limit for a message, exact ("100 ms", "10 min")."""
    if seconds < 10.0:
        return f"{seconds * 1000:g} ms"
    if seconds < 600.0 or seconds % 60:
        return f"{seconds:g} s"
    return f"{seconds / 60:g} min"


def check_duration(
    name: str,
    duration_s: float,
    *,
    min_duration_s: float = MIN_DURATION_S,
    max_duration_s: float = MAX_DURATION_S,
) -> None:
    """Refuse a length outside [min_duration_s, max_duration_s] (decoded or claimed).

    Raises:
        InputError: Too short or too long, naming ``name`` and the limit.
    """
    if duration_s < min_duration_s:
        raise InputError(
            f"Audio file '{name}' is too short ({format_duration(duration_s)}); "
            f"speech needs at least {_limit(min_duration_s)}."
        )
    if duration_s > max_duration_s:
        raise InputError(
            f"Audio file '{name}' is too long ({format_duration(duration_s)}); the limit is "
            f"{_limit(max_duration_s)}. Cut it into lines first "
            "(e.g. sox in.wav line.wav trim 0 60)."
        )


def _read_header(path: Path) -> AudioHeader | None:
    try:
        import soundfile
    except (ImportError, OSError):
        return None
    try:
        info = soundfile.info(str(path))
    except (RuntimeError, ValueError, EOFError):  # not a libsndfile format: the decoder decides
        return None
    return AudioHeader(int(info.frames), int(info.samplerate), int(info.channels), info.format)


def check_audio_file(
    path: str | os.PathLike,
    *,
    max_duration_s: float = MAX_DURATION_S,
    min_duration_s: float = MIN_DURATION_S,
    max_samples: int = MAX_DECODED_SAMPLES,
) -> AudioHeader | None:
    """Check an audio file's header against the limits without decoding it.

    Call it before decoding (``load_audio`` and ``transcribe_file`` do). It reads the header
    only, so a file that lies about its rate or length is refused in well under a millisecond.

    Args:
        path: The audio file.
        max_duration_s: Longest accepted length in seconds.
        min_duration_s: Shortest accepted length in seconds.
        max_samples: Most samples (frames x channels) the decoder may produce.

    Returns:
        The header, or ``None`` when libsndfile cannot parse it (m4a, webm, ...; soundfile
        missing): then the decoder must check the decoded length with :func:`check_duration`.

    Raises:
        InputError: Missing, not a file or empty; a sample rate outside 4-384 kHz; too long,
            too many samples or too short.
    """
    p = Path(path).expanduser()
    if not p.exists():
        raise InputError(f"Audio file not found: '{p}'.")
    if not p.is_file():
        raise InputError(f"Not an audio file (it is a folder or device): '{p}'.")
    if p.stat().st_size == 0:
        raise InputError(f"Audio file '{p.name}' is empty (0 bytes).")
    header = _read_header(p)
    if header is None:
        return None
    rate = header.sample_rate
    if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        raise InputError(
            f"Audio file '{p.name}' claims a sample rate of {rate} Hz; audio between "
            f"{MIN_SAMPLE_RATE // 1000} and {MAX_SAMPLE_RATE // 1000} kHz is accepted "
            "(a damaged header, or a file that is not really audio)."
        )
    if header.frames <= 0:
        raise InputError(f"Audio file '{p.name}' holds no samples.")
    check_duration(
        p.name, header.duration_s, min_duration_s=min_duration_s, max_duration_s=max_duration_s
    )
    if header.frames * header.channels > max_samples:
        raise InputError(
            f"Audio file '{p.name}' would decode to {header.frames * header.channels:,} samples "
            f"({header.channels} channels at {rate} Hz); the limit is {max_samples:,}. "
            "Mix it down to mono or 48 kHz first."
        )
    return header
