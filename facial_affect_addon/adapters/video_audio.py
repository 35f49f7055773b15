"""A video's sound track as mono float32 at 16 kHz, or None when the video has none.

Decoder decision: **PyAV first, Blender's audaspace (``aud``) second.** PyAV is installed in the
development environments (and decodes every container FFmpeg knows), but the extension ships
without it (issue 12: 36 MB). Inside Blender, ``aud`` (audaspace, built with FFmpeg) reads the
sound of the same containers: ``aud.Sound(path).data()`` gives the samples and ``.specs`` the
rate and channel count. ``aud`` exists only in Blender's Python (the ``bpy`` module brings it),
so it is imported inside the function; it never touches ``bpy`` data and reads files only, so it
is safe on the analysis worker thread.

A video without a sound track returns None, so the caller behaves exactly as for a silent
video without audio support. A track that cannot be decoded, or one longer than the audio
limit, raises :class:`~..core.errors.InputError` (the video pipeline turns it into a warning).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.errors import InputError
from .audio import SAMPLE_RATE, AudioClip, resample
from .audio_limits import MAX_DURATION_S, format_duration

NO_DECODER = "no-decoder"
""":func:`read_video_audio`'s ``decoder`` when neither PyAV nor Blender's ``aud`` exists."""


def _check_length(name: str, seconds: float, max_duration_s: float) -> None:
    """Refuse a sound track longer than the speech input reads (memory and transcription time).

    Raises:
        InputError: Naming the video, its length and the limit.
    """
    if seconds > max_duration_s:
        raise InputError(
            f"The sound of '{name}' is too long to transcribe ({format_duration(seconds)}; the "
            f"limit is {format_duration(max_duration_s)}); the video was analysed without it."
        )


def _pyav_audio(path: Path, max_duration_s: float) -> tuple[np.ndarray, int] | None:
    """(mono samples, 16000) via PyAV, None without a sound track; ImportError without PyAV."""
    import av

    with av.open(str(path)) as container:
        stream = next((s for s in container.streams if s.type == "audio"), None)
        if stream is None:
            return None
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        limit = int((max_duration_s + 1.0) * SAMPLE_RATE)
        chunks: list[np.ndarray] = []
        decoded = 0
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
                decoded += chunks[-1].size
            if decoded > limit:  # containers carry no trustworthy length: bound while decoding
                _check_length(path.name, decoded / SAMPLE_RATE, max_duration_s)
        chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(None))
    samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    return samples.astype(np.float32), SAMPLE_RATE


def _aud_audio(path: Path, max_duration_s: float) -> tuple[np.ndarray, int] | None:
    """(mono samples, rate) via Blender's audaspace, None without a sound track.

    audaspace says "couldn't be read with any installed file reader" both for a video without
    sound and for a missing file; the video was opened before this is called, so it means the
    former. The length is checked from ``Sound.length`` before ``data()`` decodes anything.

    Raises:
        ImportError: Not running inside Blender.
    """
    import aud

    try:
        sound = aud.Sound(str(path))
        rate, _channels = sound.specs
        length = sound.length
    except aud.error:
        return None
    if rate <= 0:
        return None
    _check_length(path.name, length / rate, max_duration_s)
    data = np.asarray(sound.rechannel(1).data(), dtype=np.float32)
    return data.reshape(-1), int(rate)


def read_video_audio(
    path: str | Path, *, max_duration_s: float = MAX_DURATION_S
) -> tuple[AudioClip | None, str]:
    """Read a video's sound track.

    Args:
        path: A video file that OpenCV already opened.
        max_duration_s: A longer track raises InputError (default: the audio input's limit).

    Returns:
        ``(clip, decoder)``: the track as mono float32 at 16 kHz (None when the video has no
        sound track) and the decoder that read it: ``"pyav"``, ``"aud"`` or
        :data:`NO_DECODER` (neither is installed; the clip is then None).

    Raises:
        InputError: The track cannot be decoded, holds invalid samples or is too long.
    """
    p = Path(path).expanduser()
    for decoder, read in (("pyav", _pyav_audio), ("aud", _aud_audio)):
        try:
            found = read(p, max_duration_s)
        except ImportError:
            continue
        except InputError:
            raise
        except Exception as exc:  # PyAV's and audaspace's errors: "cannot decode", any type
            raise InputError(
                f"Cannot read the sound of '{p.name}' ({type(exc).__name__}); "
                "the video was analysed without it."
            ) from None
        return (None if found is None else _clip(p, *found, max_duration_s)), decoder
    return None, NO_DECODER


def _clip(path: Path, mono: np.ndarray, rate: int, max_duration_s: float) -> AudioClip | None:
    """The decoded samples as a 16 kHz clip (None for an empty track)."""
    if mono.size == 0:
        return None
    if not np.all(np.isfinite(mono)):
        raise InputError(f"The sound of '{path.name}' holds invalid (NaN/inf) samples.")
    _check_length(path.name, mono.size / rate, max_duration_s)
    samples = np.clip(resample(mono, rate, SAMPLE_RATE), -1.0, 1.0)
    return AudioClip(samples, SAMPLE_RATE, str(path), rate, 1)
