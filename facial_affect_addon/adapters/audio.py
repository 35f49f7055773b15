"""Audio input: files to mono float32 at 16 kHz, microphone chunks, and utterance segmentation.

Decoder decision: **soundfile** (libsndfile 1.2, bundled in the wheel) first, PyAV second.
soundfile reads wav, flac, ogg and mp3 in ~2 ms for a 3 s clip, raises one clear error type for
garbage, needs no ffmpeg, and its wheel is ``py3-none`` (same file for CPython 3.11 and 3.13).
``faster_whisper.decode_audio`` (PyAV) was measured too: ~10-25 ms per clip (and PyAV 19 has no
cp311 wheel, hence the ``av==18.1.0`` pin in requirements/speech.txt). PyAV (36 MB) is not in the
extension (issue 12); where it is installed (the dev environments) it decodes the containers
libsndfile cannot open (m4a/aac/mp4/webm). Without it those files give one-line InputError that
names the file and says to convert it to WAV, FLAC or MP3.

Resampling: :func:`._polyphase.resample_poly` (our numpy copy of ``scipy.signal.resample_poly``'s
defaults, tested against it) with the exact rational ratio (22,050 -> 16,000 Hz is 320/441), i.e.
a Kaiser-windowed polyphase anti-aliasing filter; no extra dependency.

Segmentation lives in :mod:`._vad` (energy VAD with hysteresis); it is re-exported here.
"""

from __future__ import annotations

import math
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from math import gcd
from pathlib import Path

import numpy as np

from ..core.errors import InputError
from ._polyphase import resample_poly
from ._vad import (
    SpeechSegment,
    StreamingSegmenter,
    VadParams,
    frame_levels_db,
    segment_speech,
    segment_stream,
)
from .audio_limits import MAX_DURATION_S, MIN_DURATION_S, check_audio_file, check_duration

__all__ = [
    "MIN_DURATION_S",
    "SAMPLE_RATE",
    "AudioClip",
    "MicrophoneStream",
    "SpeechSegment",
    "StreamingSegmenter",
    "VadParams",
    "level_db",
    "load_audio",
    "peak_dbfs",
    "resample",
    "segment_speech",
    "segment_stream",
]

SAMPLE_RATE = 16000
"""Sample rate every recogniser here expects."""

SILENCE_DBFS = -70.0
"""Peak level below which a recording counts as silent (16-bit dither sits near -90 dBFS)."""


@dataclass(frozen=True)
class AudioClip:
    """Decoded audio, ready for the recognisers.

    Attributes:
        samples: Mono float32 samples in [-1, 1] at ``sample_rate`` (not compared by ``==``).
        sample_rate: Always :data:`SAMPLE_RATE` for clips from :func:`load_audio`.
        source: Where the audio came from (a path, or a label such as "microphone").
        source_rate: The sample rate before resampling (16,000 when the PyAV fallback decoded
            the file: it resamples while decoding).
        source_channels: The channel count before down-mixing.
    """

    samples: np.ndarray = field(compare=False, repr=False)
    sample_rate: int
    source: str
    source_rate: int
    source_channels: int

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return len(self.samples) / self.sample_rate

    @property
    def peak_dbfs(self) -> float:
        """Peak level in dBFS (-inf for digital silence)."""
        return peak_dbfs(self.samples)

    @property
    def is_silent(self) -> bool:
        """True when the peak is below :data:`SILENCE_DBFS`."""
        return self.peak_dbfs < SILENCE_DBFS


def peak_dbfs(samples: np.ndarray) -> float:
    """Peak absolute level of ``samples`` in dBFS (-inf for all zeros or no samples)."""
    peak = float(np.max(np.abs(samples))) if len(samples) else 0.0
    return 20.0 * math.log10(peak) if peak > 0.0 else -math.inf


def resample(samples: np.ndarray, source_rate: int, target_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Resample mono audio with a polyphase anti-aliasing filter.

    Args:
        samples: Mono samples.
        source_rate: Their sample rate in Hz.
        target_rate: Wanted sample rate in Hz.

    Returns:
        float32 samples at ``target_rate`` (length ``ceil(n * target / source)``).
    """
    samples = np.asarray(samples, dtype=np.float32)
    if source_rate == target_rate:
        return samples
    g = gcd(int(source_rate), int(target_rate))
    out = resample_poly(samples, int(target_rate) // g, int(source_rate) // g)
    return np.asarray(out, dtype=np.float32)


def _decode_soundfile(path: Path) -> tuple[np.ndarray, int]:
    import soundfile

    data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    return data, int(rate)


def _decode_pyav(path: Path, max_duration_s: float = MAX_DURATION_S) -> tuple[np.ndarray, int]:
    """Decode any container ffmpeg knows (m4a/aac/mp4/webm...) to mono float32 at 16 kHz.

    Containers carry no header libsndfile can check, so the decoded length is bounded while
    decoding: past ``max_duration_s`` (plus a second of slack) it stops with InputError instead
    of filling memory.
    """
    import av

    chunks: list[np.ndarray] = []
    limit = int((max_duration_s + 1.0) * SAMPLE_RATE)
    decoded = 0
    with av.open(str(path)) as container:
        stream = next((s for s in container.streams if s.type == "audio"), None)
        if stream is None:
            raise InputError(f"'{path.name}' has no audio stream.")
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        for frame in container.decode(stream):
            for f in resampler.resample(frame):
                chunks.append(f.to_ndarray().reshape(-1))
                decoded += chunks[-1].size
            if decoded > limit:
                check_duration(path.name, decoded / SAMPLE_RATE, max_duration_s=max_duration_s)
        chunks.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(None))
    samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
    return samples.astype(np.float32)[:, None], SAMPLE_RATE


def _libsndfile_detail(exc: Exception) -> str:
    """libsndfile's reason without the full path it repeats ("Error opening '/a/b.wav': X")."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text.rsplit("': ", 1)[-1].rstrip(".")


# libsndfile's own formats: when it rejects one of these the file is broken, and ffmpeg's
# probing (which can "find" mp3 frames in random bytes) must not get a second guess.
_SNDFILE_SUFFIXES = {".wav", ".wave", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff"}


def _decode(path: Path, max_duration_s: float = MAX_DURATION_S) -> tuple[np.ndarray, int]:
    try:
        return _decode_soundfile(path)
    except ImportError:
        reason = "soundfile is not installed"
    except (RuntimeError, ValueError, EOFError) as exc:  # LibsndfileError is a RuntimeError
        reason = _libsndfile_detail(exc)
        if path.suffix.lower() in _SNDFILE_SUFFIXES:
            raise InputError(
                f"Cannot read '{path.name}' as audio: the file is damaged or not really "
                f"{path.suffix.lower()[1:].upper()} ({reason})."
            ) from None
    try:
        return _decode_pyav(path, max_duration_s)
    except ImportError:  # the extension bundles no PyAV (issue 12: 36 MB)
        kind = path.suffix.lower()[1:].upper() or "this format"
        raise InputError(
            f"Cannot read '{path.name}': {kind} audio needs PyAV, which is not installed; "
            "convert it to WAV, FLAC or MP3 (e.g. ffmpeg -i in.m4a out.wav)."
        ) from None
    except InputError:
        raise
    except Exception:  # PyAV raises a zoo of av.error.* types; all mean "can't decode"
        pass  # their text is FFmpeg internals ("[Errno 1094995529] Invalid data ..."), not news
    raise InputError(
        f"Cannot read '{path.name}' as audio (not a format this build decodes, or a damaged "
        f"file; {reason}). Use a WAV, FLAC, OGG or MP3 file."
    )


def load_audio(
    path: str | Path,
    *,
    min_duration_s: float = MIN_DURATION_S,
    max_duration_s: float = MAX_DURATION_S,
) -> AudioClip:
    """Read an audio file and return it as mono float32 at 16 kHz.

    Channels are averaged; any sample rate is resampled to :data:`SAMPLE_RATE`. Silent files are
    returned (check :attr:`AudioClip.is_silent`): "no speech" is a result, not an error. The
    header is checked before anything is decoded (:func:`.audio_limits.check_audio_file`), so a
    file that lies about its rate or length is refused without allocating.

    Args:
        path: A wav, flac, ogg or mp3 file (m4a/mp4/webm too when PyAV is installed).
        min_duration_s: Shorter audio raises :class:`InputError`.
        max_duration_s: Longer audio raises :class:`InputError` (default 10 minutes).

    Returns:
        The decoded clip.

    Raises:
        InputError: The file is missing, not a file, not decodable, empty, too short or too
            long, or its header claims an implausible rate.
    """
    p = Path(path).expanduser()
    check_audio_file(p, max_duration_s=max_duration_s, min_duration_s=min_duration_s)
    data, rate = _decode(p, max_duration_s)
    channels = int(data.shape[1]) if data.ndim == 2 else 1
    mono = data.mean(axis=1) if data.ndim == 2 else data
    if mono.size == 0:
        raise InputError(f"Audio file '{p.name}' holds no samples.")
    if not np.all(np.isfinite(mono)):
        raise InputError(f"Audio file '{p.name}' holds invalid (NaN/inf) samples.")
    check_duration(
        p.name, mono.size / rate, min_duration_s=min_duration_s, max_duration_s=max_duration_s
    )
    samples = np.clip(resample(mono, rate, SAMPLE_RATE), -1.0, 1.0)
    return AudioClip(
        samples=samples,
        sample_rate=SAMPLE_RATE,
        source=str(p),
        source_rate=rate,
        source_channels=channels,
    )


# -- microphone ---------------------------------------------------------------------------------


def _import_sounddevice():  # -> module; its type is not importable without PortAudio
    try:
        import sounddevice
    except ImportError as exc:
        raise InputError(
            "Microphone capture needs the 'sounddevice' package (requirements/speech.txt)."
        ) from exc
    except OSError as exc:  # raised at import when the PortAudio shared library is missing
        raise InputError(
            f"Microphone capture needs the PortAudio library ({exc}). "
            "On Debian/Ubuntu install 'libportaudio2'; on Windows/macOS reinstall sounddevice."
        ) from exc
    return sounddevice


class MicrophoneStream:
    """Captures mono audio from an input device in fixed-size chunks.

    PortAudio calls :meth:`_on_audio` on its own thread; the chunk is copied, resampled to
    16 kHz when the device runs at another rate, and put on a bounded queue that the consumer
    drains with :meth:`read` or :meth:`chunks` (never call bpy from the audio thread). When the
    consumer falls behind, the oldest chunk is dropped and counted in :attr:`dropped`.
    Resampling is per chunk (edge effects of a few samples per 30 ms; harmless for VAD and STT).

    Args:
        device: PortAudio device index or name; ``None`` for the system default input.
        chunk_s: Chunk length in seconds.
        on_chunk: Optional callback invoked (on the audio thread) with each 16 kHz chunk.
        max_queue: Queue length in chunks (default about 10 s).
    """

    def __init__(
        self,
        device: int | str | None = None,
        *,
        chunk_s: float = 0.03,
        on_chunk: Callable[[np.ndarray], None] | None = None,
        max_queue: int = 333,
    ) -> None:
        self.device = device
        self.chunk_s = chunk_s
        self.on_chunk = on_chunk
        self.device_rate = SAMPLE_RATE
        self.dropped = 0
        self.status_flags = 0
        self._queue: queue.Queue[np.ndarray] = queue.Queue(maxsize=max_queue)
        self._stream = None
        self._lock = threading.Lock()

    @property
    def active(self) -> bool:
        """True while capturing."""
        return self._stream is not None

    def start(self) -> None:
        """Open the device and start capturing.

        Raises:
            InputError: sounddevice or PortAudio is missing, or there is no usable input device.
        """
        if self._stream is not None:
            return
        sd = _import_sounddevice()
        try:
            info = sd.query_devices(self.device, kind="input")
        except (ValueError, sd.PortAudioError) as exc:
            raise InputError(
                f"No microphone found ({exc}). Connect one or pick another input device."
            ) from exc
        rate = SAMPLE_RATE
        try:
            sd.check_input_settings(device=self.device, channels=1, samplerate=rate)
        except (ValueError, sd.PortAudioError):
            rate = int(info["default_samplerate"])  # device cannot do 16 kHz: resample chunks
        self.device_rate = rate
        try:
            stream = sd.InputStream(
                device=self.device,
                channels=1,
                samplerate=rate,
                dtype="float32",
                blocksize=max(1, round(self.chunk_s * rate)),
                callback=self._on_audio,
            )
            stream.start()
        except (ValueError, sd.PortAudioError) as exc:
            raise InputError(f"Cannot open microphone '{info['name']}': {exc}") from exc
        self._stream = stream

    def stop(self) -> None:
        """Stop capturing and close the device (queued chunks stay readable)."""
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.stop()
            stream.close()

    def __enter__(self) -> MicrophoneStream:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _on_audio(self, indata: np.ndarray, frames: int, time: object, status: object) -> None:
        """PortAudio callback: copy, resample, enqueue. Runs on the audio thread."""
        del frames, time
        if status:
            self.status_flags += 1  # overflow/underflow reported by PortAudio
        chunk = np.array(indata, dtype=np.float32, copy=True).reshape(len(indata), -1)[:, 0]
        if self.device_rate != SAMPLE_RATE:
            chunk = resample(chunk, self.device_rate, SAMPLE_RATE)
        if self.on_chunk is not None:
            self.on_chunk(chunk)
        with self._lock:
            if self._queue.full():
                try:
                    self._queue.get_nowait()
                    self.dropped += 1
                except queue.Empty:
                    pass
            self._queue.put_nowait(chunk)

    def read(self, timeout: float | None = None) -> np.ndarray | None:
        """Next 16 kHz chunk, or ``None`` when none arrives within ``timeout`` seconds."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def drain(self) -> list[np.ndarray]:
        """All chunks queued so far, without waiting."""
        out: list[np.ndarray] = []
        while True:
            try:
                out.append(self._queue.get_nowait())
            except queue.Empty:
                return out

    def chunks(self, timeout: float = 0.5) -> Iterator[np.ndarray]:
        """Yield chunks while capturing; ends after :meth:`stop` once the queue is empty."""
        while True:
            chunk = self.read(timeout)
            if chunk is not None:
                yield chunk
            elif not self.active:
                return


def level_db(samples: np.ndarray, frame_s: float = 0.03, sample_rate: int = SAMPLE_RATE) -> float:
    """Loudest frame level in dBFS, handy for a live input meter."""
    frame = max(1, round(frame_s * sample_rate))
    if len(samples) < frame:
        return peak_dbfs(samples)
    return float(np.max(frame_levels_db(samples, frame)))
