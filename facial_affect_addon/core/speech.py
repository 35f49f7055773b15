"""What every speech recogniser shares: its per-utterance answer and the protocol it follows.

The recognisers live in two layers that never import each other: Whisper in ``ml/``
(:mod:`..ml.whisper_transcriber`), PocketSphinx and the OpenAI-compatible service in
``adapters/`` (:mod:`..adapters.stt_engines`). ``pipeline/transcribers.py`` picks one by name; the
types here are what the three and the code that cuts audio into utterances agree on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class Recognition:
    """What an engine returns for one utterance (empty text: no speech)."""

    text: str
    confidence: float | None
    no_speech_prob: float | None = None
    """Whisper's probability that the utterance holds no speech (other engines: ``None``)."""
    avg_logprob: float | None = None
    """Whisper's mean log-probability of the emitted tokens (other engines: ``None``)."""


@runtime_checkable
class Transcriber(Protocol):
    """A speech recogniser for one utterance of 16 kHz mono float32 audio."""

    name: str

    def recognize(self, samples: np.ndarray) -> Recognition:
        """Recognise one utterance; raises ServiceError when an online engine fails."""
        ...
