"""Paper 003's communication-effect predictor at run time: a take's AU curves → audience scores.

Paper 003 predicts engagement (low/medium/high), emotional resonance and shareability of an
animated face with a CNN + BiLSTM + transformer. ``tools/train_communication.py`` trains that
network (torch lives only there) from a CSV of takes and audience scores **that a studio owns**,
and exports ``NAME.onnx`` + ``NAME.json`` (labels, channel order, frame rate and length). This
module runs such a user-trained export.

**No trained weights ship.** No real audience data exists here, so there is no model to ship and
nothing in the add-on loads one unless the user names a file (``cli report ...
--communication-model FILE.onnx``). The training tool is verified only on a synthetic set whose
scores follow a known rule of the AU curves (README, "Communication-effect predictor"): that
shows the network can learn a rule from curves, not that any rule predicts real audiences.

**Runtime.** The exported graph holds a bidirectional LSTM and the fusion's attention. It runs
with onnxruntime when installed, otherwise with OpenCV's ``cv2.dnn``: OpenCV 4.14 runs the graph
one take at a time (its LSTM import asserts on batches over 1, so :meth:`CommunicationModel.run`
feeds takes singly there). The training test checks both against torch.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.errors import InputError, ModelError
from .onnx_net import OnnxNet

ENGAGEMENT_LABELS = ("low", "medium", "high")
NO_WEIGHTS_NOTE = (
    "No communication-effect model ships (no real audience data exists); train one on your own "
    "audience scores with tools/train_communication.py."
)


@dataclass(frozen=True)
class SequenceSpec:
    """How AU curves become the model's input (the ``input`` block of the model's .json).

    Attributes:
        channels: The model's AU channels, in input order.
        fps: Frame rate the curves are resampled to.
        length: Frames per sequence: shorter takes are padded with rest (0), longer ones trimmed.
    """

    channels: tuple[str, ...]
    fps: float
    length: int

    @classmethod
    def from_meta(cls, spec: Mapping) -> SequenceSpec:
        """Parse the ``input`` block of a model .json."""
        return cls(tuple(str(c) for c in spec["channels"]), float(spec["fps"]), int(spec["length"]))

    def to_meta(self) -> dict:
        """The ``input`` block for a model .json."""
        return {
            "channels": list(self.channels),
            "fps": self.fps,
            "length": self.length,
            "layout": "NTC",
            "resampling": "linear in time to fps; then padded with 0 or trimmed at the end",
            "missing_channels": "0 (an unsided AU averages its _L/_R curves; a sided one "
            "takes the unsided curve)",
        }


def _column(values: np.ndarray, names: Sequence[str], want: str) -> np.ndarray | None:
    """The curve for channel ``want``: exact name, else unsided ↔ sided fallbacks, else None."""
    index = {n: i for i, n in enumerate(names)}
    if want in index:
        return values[:, index[want]]
    sides = [index[want + s] for s in ("_L", "_R") if want + s in index]
    if sides:
        return values[:, sides].mean(axis=1)
    base = want.removesuffix("_L").removesuffix("_R")
    if base != want and base in index:
        return values[:, index[base]]
    return None


def prepare_curves(
    au_curves: np.ndarray, channels: Sequence[str], fps: float, spec: SequenceSpec
) -> tuple[np.ndarray, tuple[str, ...]]:
    """(T, C) AU curves in any channel order and rate → the model's ``(length, C_model)`` input.

    Args:
        au_curves: (T, C) intensities, one column per name in ``channels``.
        channels: Column names.
        fps: Frame rate of ``au_curves``.
        spec: The model's input spec.

    Returns:
        The float32 input and notes (channels missing from the take, trimming).

    Raises:
        InputError: On a non-2-D or non-finite array, a name count that does not match the
            columns, no frames, a non-positive frame rate, or no model channel in the take.
    """
    x = np.asarray(au_curves, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != len(channels):
        raise InputError(
            f"AU curves must be (frames, {len(channels)} channels), got shape {x.shape}."
        )
    if not len(x) or not np.isfinite(x).all() or not (np.isfinite(fps) and fps > 0):
        raise InputError("AU curves need frames, finite values and a positive frame rate.")
    times = np.arange(spec.length) / spec.fps
    src = np.arange(len(x)) / fps
    out = np.zeros((spec.length, len(spec.channels)), np.float32)
    missing = []
    for j, want in enumerate(spec.channels):
        col = _column(x, channels, want)
        if col is None:
            missing.append(want)
            continue
        out[:, j] = np.where(times <= src[-1] + 1e-9, np.interp(times, src, col), 0.0)
    if len(missing) == len(spec.channels):
        raise InputError(f"The take has none of the model's channels ({', '.join(spec.channels)}).")
    notes = []
    if missing:
        notes.append(f"Channels missing from the take (read as 0): {', '.join(missing)}.")
    if src[-1] > times[-1] + 1e-9:
        notes.append(f"The take was trimmed to the model's {spec.length / spec.fps:g} s.")
    return out, tuple(notes)


@dataclass(frozen=True)
class CommunicationPrediction:
    """A user-trained model's reading of one take.

    Attributes:
        engagement: ``{"low" | "medium" | "high": probability}`` (sums to 1).
        resonance: Predicted emotional resonance, in the units of the training CSV.
        shareability: Predicted shareability, in the units of the training CSV.
        notes: Preprocessing notes (missing channels, trimming).
    """

    engagement: dict[str, float]
    resonance: float
    shareability: float
    notes: tuple[str, ...] = field(default=())

    @property
    def engagement_class(self) -> str:
        """The most probable engagement class."""
        return max(self.engagement, key=lambda k: self.engagement[k])


class CommunicationModel:
    """A user-trained export of ``tools/train_communication.py`` (see the module docstring)."""

    def __init__(self, path: str | Path, backend: str = "auto") -> None:
        """Load ``path`` (.onnx) and the .json next to it.

        Args:
            path: The exported .onnx file.
            backend: ``"auto"`` (onnxruntime if installed, else OpenCV), ``"onnxruntime"`` or
                ``"opencv"``.

        Raises:
            ModelError: A missing file or metadata, a model that needs frames, or a file the
                runtime rejects.
        """
        self.path = Path(path)
        meta_path = self.path.with_suffix(".json")
        if not self.path.is_file() or not meta_path.is_file():
            raise ModelError(f"{self.path.name} and its .json are needed. {NO_WEIGHTS_NOTE}")
        try:
            self.meta = json.loads(meta_path.read_text(encoding="utf-8"))
            self.spec = SequenceSpec.from_meta(self.meta["input"])
            self.labels = tuple(str(c) for c in self.meta["labels"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"{meta_path.name} lacks labels or an input spec: {exc}") from None
        if self.meta.get("frames"):
            raise ModelError(f"{self.path.name} needs face frames; only AU-curve models run here.")
        self.caveat = str(self.meta.get("caveat", "training data unknown"))
        self.net = OnnxNet(self.path, backend, opencv_hint="Install onnxruntime.")
        self.backend = self.net.backend

    def run(self, batch: np.ndarray) -> np.ndarray:
        """Raw ``(N, 5)`` output: engagement probabilities, resonance, shareability."""
        batch = np.ascontiguousarray(batch, dtype=np.float32)
        if self.backend == "onnxruntime":
            return self.net.run(batch).reshape(len(batch), -1)
        # OpenCV's LSTM import fails on batches over 1 (checked with 4.14): one take at a time.
        return np.stack([self.net.run(take[None]).reshape(-1) for take in batch])

    def predict(
        self, au_curves: np.ndarray, channels: Sequence[str], fps: float
    ) -> CommunicationPrediction:
        """Score one take.

        Args:
            au_curves: (T, C) AU intensities (e.g. :class:`~..core.synthesis.AUCurves`'s
                ``values`` with ``AU_CHANNELS``).
            channels: The C column names.
            fps: Frame rate of the curves.

        Raises:
            InputError: On curves that do not fit (see :func:`prepare_curves`).
        """
        x, notes = prepare_curves(au_curves, channels, fps, self.spec)
        row = self.run(x[None])[0]
        k = len(self.labels)
        return CommunicationPrediction(
            {c: float(p) for c, p in zip(self.labels, row[:k], strict=True)},
            float(row[k]),
            float(row[k + 1]),
            notes,
        )


def load_user_model(path: str | Path) -> CommunicationModel:
    """Load a user-trained communication-effect model (.onnx + .json); no weights ship.

    Raises:
        ModelError: See :class:`CommunicationModel`.
    """
    return CommunicationModel(path)
