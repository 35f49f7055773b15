"""Speech recognisers that talk to the outside world: one utterance of 16 kHz mono audio in.

:mod:`.stt` cuts audio into utterances and hands each one to an engine; ``pipeline/transcribers.py``
builds the engine by name (``engine=``), so that this layer and ``ml/`` stay apart:

* ``"whisper"`` (default, offline): Whisper tiny.en in numpy, in ``ml/`` (:mod:`..ml.whisper_np`,
  :mod:`..ml.whisper_transcriber`), not here.
* ``"pocketsphinx"`` (offline, light fallback): CMU PocketSphinx with its bundled en-US model
  (:class:`PocketSphinxTranscriber`). Much less accurate (mean WER 0.79 on the tests' espeak-ng
  sentences, Whisper 0.10), but it needs no Whisper weights.
* ``"openai"``: an OpenAI-compatible ``/audio/transcriptions`` endpoint
  (:class:`OpenAITranscriber`; ``openai`` package, imported lazily; key, base URL and timeout come
  in an :class:`OpenAIConfig`). It raises :class:`..core.errors.ServiceError` on any failure (no
  package, no key, refused connection, timeout, HTTP error); the pipeline's fallback wrapper then
  switches to the offline engine for the rest of the call and says so in its warnings.

:class:`..core.speech.Recognition` and :class:`..core.speech.Transcriber` are re-exported from
here, so importing them from this module keeps working.

The ``speechrecognition`` package is *not* used. It was measured (3.17.0): its AudioFile reads
only WAV/AIFF/FLAC (FLAC through a bundled executable), ``recognize_faster_whisper`` builds a
new model on every call (0.3-0.5 s of loading each time), ``recognize_sphinx`` rebuilds the
decoder on every call, and ``recognize_openai`` takes its key and URL only from environment
variables (no timeout). Calling the three libraries directly is shorter than adapting around
that, and it saves a 43 MB wheel plus ``audioop-lts`` on Python 3.13.
"""

from __future__ import annotations

import io
import os
import re
import threading
import wave
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np

from ..core.errors import InputError, ModelError, ServiceError
from ..core.speech import Recognition, Transcriber  # noqa: F401 (Transcriber: re-exported)
from .audio import SAMPLE_RATE

Engine = Literal["whisper", "pocketsphinx", "openai"]
ENGINES: tuple[str, ...] = ("whisper", "pocketsphinx", "openai")
OFFLINE_ENGINES: tuple[str, ...] = ("whisper", "pocketsphinx")
CPU_THREADS = 2  # the add-on's budget for a recogniser's threads (kept for callers)


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


_load_lock = threading.Lock()

# -- pocketsphinx -------------------------------------------------------------------------------

_SPHINX_FILLERS = re.compile(r"^(<s>|</s>|<sil>|\[.*\]|\+\+.*\+\+)$")


@lru_cache(maxsize=1)
def _load_sphinx():  # -> (Decoder, Lock)
    try:
        from pocketsphinx import Config, Decoder
    except ImportError as exc:
        raise ModelError("The pocketsphinx engine needs 'pocketsphinx' installed.") from exc
    lm = Path(Config()["lm"] or "")
    if not lm.is_file():  # the extension zip ships PocketSphinx for phone alignment only
        raise ModelError(
            "The pocketsphinx speech engine needs PocketSphinx's language model, which this "
            f"install leaves out ({lm.name or 'en-us.lm.bin'}); use the whisper engine."
        )
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
