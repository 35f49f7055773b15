"""Offline text -> emotion weights: MiniLM sentence embedding + calibrated softmax classifier.

The classifier is a multinomial logistic regression over the 384-d all-MiniLM-L6-v2 embedding,
trained by ``tools/train_text_emotion.py`` on the project's own labelled sentences
(``data/text_emotion/sentences.csv``). Its logits are divided by a temperature fitted on
cross-validated training predictions, so the output is a calibrated probability vector that is
used directly as the emotion mixture, and its largest entry is the confidence.

The model file (``models/text_emotion.npz``) carries its labels, the embedding model's name and
the temperature; ``models/text_emotion.json`` next to it carries the same plus the held-out
metrics. Nothing is downloaded.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..core.emotions import EMOTION_NAMES, EmotionWeights, canonical_emotion_name
from ..core.errors import InputError, ModelError
from ..paths import model_path
from .minilm import EMBEDDING_DIM, MODEL_NAME, MiniLMEncoder

MODEL_STEM = "text_emotion"


def default_model_path() -> Path:
    """Where the classifier lives: :func:`~..paths.model_path` of ``text_emotion.npz``.

    That is the user's models folder when it holds one, else the shipped file (inside the
    package in an installed extension, the repository's ``models/`` in a checkout).

    Returns:
        The path of ``text_emotion.npz`` (possibly not existing).
    """
    return model_path(f"{MODEL_STEM}.npz")


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, numerically stable."""
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


class TextEmotionModel:
    """Calibrated 7-class text emotion classifier on top of :class:`MiniLMEncoder`.

    Attributes:
        labels: Class names in the classifier's output order (canonical emotion names).
        temperature: Calibration temperature the logits are divided by.
        metadata: The contents of the model's JSON file (held-out metrics, date, ...).
    """

    def __init__(
        self,
        encoder: MiniLMEncoder,
        weight: np.ndarray,
        bias: np.ndarray,
        temperature: float,
        labels: Sequence[str],
        metadata: dict | None = None,
    ):
        labels = tuple(canonical_emotion_name(x) for x in labels)
        if sorted(labels) != sorted(EMOTION_NAMES):
            raise ModelError(f"Text model labels {labels} are not the 7 emotion classes.")
        if weight.shape != (len(labels), EMBEDDING_DIM) or bias.shape != (len(labels),):
            raise ModelError(f"Text model weight shape {weight.shape} does not fit MiniLM.")
        if not (np.isfinite(temperature) and temperature > 0):
            raise ModelError(f"Text model temperature must be positive, got {temperature}.")
        self.encoder = encoder
        self.labels = labels
        self.temperature = float(temperature)
        self.metadata = dict(metadata or {})
        self._weight = weight.astype(np.float32)
        self._bias = bias.astype(np.float32)
        # Columns of the probability matrix re-ordered into EMOTION_NAMES order.
        self._order = np.array([labels.index(n) for n in EMOTION_NAMES])

    @classmethod
    def load(
        cls, path: str | Path | None = None, encoder: MiniLMEncoder | None = None
    ) -> TextEmotionModel:
        """Load the classifier (and the MiniLM encoder from its installed package).

        Args:
            path: The ``.npz`` file; default :func:`default_model_path`. Its ``.json`` metadata
                is read from the same folder and stem when present.
            encoder: A loaded encoder to share; default loads one.

        Returns:
            The ready model.

        Raises:
            ModelError: If the file is missing, unreadable, or lacks labels or embedding spec.
        """
        npz_path = Path(path) if path is not None else default_model_path()
        try:
            with np.load(npz_path, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
        except (OSError, ValueError) as exc:
            raise ModelError(
                f"Cannot read the text emotion model {npz_path}: {exc}. "
                "Train it with: python tools/train_text_emotion.py"
            ) from exc
        missing = {"weight", "bias", "temperature", "labels", "embedding_model"} - set(arrays)
        if missing:
            raise ModelError(f"{npz_path} lacks {', '.join(sorted(missing))}.")
        if str(arrays["embedding_model"]) != MODEL_NAME:
            raise ModelError(
                f"{npz_path} was trained on {arrays['embedding_model']}, not {MODEL_NAME}."
            )
        json_path = npz_path.with_suffix(".json")
        metadata = {}
        if json_path.is_file():
            try:
                metadata = json.loads(json_path.read_text(encoding="utf-8"))
            except ValueError as exc:
                raise ModelError(f"{json_path} is not valid JSON: {exc}") from exc
        return cls(
            encoder if encoder is not None else MiniLMEncoder.load(),
            arrays["weight"],
            arrays["bias"],
            float(arrays["temperature"]),
            [str(x) for x in arrays["labels"]],
            metadata,
        )

    def proba_from_embeddings(self, embeddings: np.ndarray) -> np.ndarray:
        """Calibrated probabilities, shape (n, 7), columns in :data:`EMOTION_NAMES` order."""
        logits = embeddings @ self._weight.T + self._bias
        return softmax(logits.astype(np.float64) / self.temperature)[:, self._order]

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities for a batch of sentences.

        Args:
            texts: Sentences to classify.

        Returns:
            Array (n, 7), rows sum to 1, columns in :data:`EMOTION_NAMES` order.

        Raises:
            InputError: If an item is not a string.
        """
        if isinstance(texts, str):
            raise InputError("predict_proba takes a list of strings; use predict() for one.")
        if len(texts) == 0:
            return np.zeros((0, len(EMOTION_NAMES)))
        return self.proba_from_embeddings(self.encoder.encode(list(texts)))

    def predict(self, text: str) -> tuple[EmotionWeights, float]:
        """Emotion mixture of one sentence.

        Args:
            text: The sentence (or short passage; beyond 256 tokens it is truncated).

        Returns:
            ``(weights, confidence)``: the calibrated mixture and its largest probability.

        Raises:
            InputError: If ``text`` is not a string or is blank.
        """
        if not isinstance(text, str):
            raise InputError(f"Text to analyse must be a string, got {type(text).__name__}.")
        if not text.strip():
            raise InputError("Text to analyse is empty.")
        proba = self.predict_proba([text])[0]
        return EmotionWeights.from_array(proba), float(proba.max())
