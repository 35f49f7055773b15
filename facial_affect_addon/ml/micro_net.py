"""Paper 002's micro-expression model at run time: one face clip → onset/apex/offset, AUs, emotion.

The model (3D-ResNet-18 + onset/apex/offset heads + AU-GCN + emotion layer) is trained and
exported by ``tools/train_micro.py`` (torch lives only there). This module runs the exported
``micro_resnet3d.onnx`` with onnxruntime when it is installed, otherwise with OpenCV's ``cv2.dnn``,
and reads the labels and preprocessing from the ``.json`` next to it, like
:mod:`.emotion_runtime`.

**No model ships.** A model trained on synthetic renders of CG faces only ships when it beats the
training-free spotter on held-out synthetic heads; so far it does not (README, "Micro-expression
model"). :func:`model_status` says so in one line and the default path stays the training-free
spotter; nothing here raises for the missing model unless a caller asks for it explicitly.

**TIM.** Clips are brought to a fixed length with the temporal interpolation model of Pfister et
al. (ICCV 2011), which paper 002 uses for its 16-frame inputs. TIM embeds the n frames of a clip in
the eigenvectors of the path graph's Laplacian and reads new frames off that continuous curve. The
path graph's Laplacian eigenvectors are the DCT-II basis ``cos(pi k (i + 1/2) / n)``, so with all
n eigenvectors kept the curve passes through every original frame and :func:`tim_resample` is an
exact evaluation of that model (Pfister et al. first reduce frames by PCA, which only saves time).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import InputError, ModelError
from ..core.micro_windows import WindowedBurst, WindowPrediction, merge_windows, window_starts
from ..paths import model_path
from .onnx_net import OnnxNet

TRAINED_MODEL = "micro_resnet3d.onnx"
SYNTHETIC_CAVEAT = "trained on synthetic renders; CG faces only"


def _path_eigenvectors(pos: np.ndarray, n: int) -> np.ndarray:
    """The n Laplacian eigenvectors of an n-node path graph (unit norm), at positions ``pos``."""
    k = np.arange(n)[None, :]
    norm = np.where(k == 0, np.sqrt(n), np.sqrt(n / 2.0))
    return np.cos(np.pi * k * (np.asarray(pos)[:, None] + 0.5) / n) / norm


def tim_resample(frames: np.ndarray, length: int) -> np.ndarray:
    """Resample a clip to ``length`` frames with the temporal interpolation model (TIM).

    Args:
        frames: (n, ...) frames, n >= 1, any trailing shape (pixels, features).
        length: Number of output frames, >= 1.

    Returns:
        (length, ...) float32 frames; the first and last equal the clip's first and last.

    Raises:
        InputError: On an empty clip or a length below 1.
    """
    x = np.asarray(frames, dtype=np.float64)
    n = len(x)
    if n == 0 or length < 1:
        raise InputError("TIM needs at least one frame and an output length of at least 1.")
    if n == 1:
        return np.repeat(x, length, axis=0).astype(np.float32)
    flat = x.reshape(n, -1)
    coef = _path_eigenvectors(np.arange(n, dtype=float), n).T @ flat  # orthonormal projection
    out = _path_eigenvectors(np.linspace(0.0, n - 1.0, length), n) @ coef
    return out.reshape((length, *x.shape[1:])).astype(np.float32)


@dataclass(frozen=True)
class ClipSpec:
    """How a clip becomes the model's input (the ``input`` block of the model's .json).

    Attributes:
        frames: TIM length (16 in paper 002).
        size: Square frame side in pixels (112 in paper 002).
        mean: Per-channel mean subtracted after scaling to [0, 1].
        std: Per-channel std divided last.
        reference: ``"first"``: every frame minus the clip's first (TIM) frame, which leaves the
            motion; ``"none"``: plain frames.
    """

    frames: int
    size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    reference: str

    @classmethod
    def from_meta(cls, spec: dict) -> ClipSpec:
        """Parse the ``input`` block of a model .json."""
        return cls(
            frames=int(spec["frames"]),
            size=int(spec["size"]),
            mean=tuple(float(v) for v in spec["mean"]),  # type: ignore[arg-type]
            std=tuple(float(v) for v in spec["std"]),  # type: ignore[arg-type]
            reference=str(spec.get("reference", "none")),
        )

    def to_meta(self) -> dict:
        """The ``input`` block for a model .json."""
        return {
            "frames": self.frames,
            "size": self.size,
            "layout": "NCTHW",
            "color": "RGB",
            "scale": 1.0 / 255.0,
            "mean": list(self.mean),
            "std": list(self.std),
            "reference": self.reference,
            "temporal_normalisation": "TIM (Pfister et al. 2011), all path-graph eigenvectors",
        }


def preprocess_clip(rgb_frames: np.ndarray, spec: ClipSpec) -> np.ndarray:
    """(n, H, W, 3) uint8 RGB face frames → (3, T, S, S) float32 model input.

    Frames are resized to ``spec.size`` (area filter), TIM-normalised to ``spec.frames``,
    scaled to [0, 1], normalised by mean/std and, with ``reference == "first"``, made relative
    to the first frame.
    """
    import cv2

    s = spec.size
    small = np.stack(
        [cv2.resize(np.asarray(f), (s, s), interpolation=cv2.INTER_AREA) for f in rgb_frames]
    )
    x = tim_resample(small.astype(np.float32) / 255.0, spec.frames)
    x = (x - np.asarray(spec.mean, np.float32)) / np.asarray(spec.std, np.float32)
    if spec.reference == "first":
        x = x - x[:1]
    return np.ascontiguousarray(x.transpose(3, 0, 1, 2), dtype=np.float32)


@dataclass(frozen=True)
class MicroPrediction:
    """The model's reading of one clip.

    Attributes:
        onset: Onset in seconds from the clip's first frame.
        apex: Apex in seconds (onset <= apex <= offset by construction of the heads).
        offset: Offset in seconds.
        aus: ``{AU code: probability}`` for every AU node of the model.
        emotion: The most probable emotion label.
        confidence: Its probability.
    """

    onset: float
    apex: float
    offset: float
    aus: dict[str, float]
    emotion: str
    confidence: float

    def active_aus(self, threshold: float = 0.5) -> tuple[str, ...]:
        """AU codes whose probability reaches ``threshold``."""
        return tuple(a for a, p in self.aus.items() if p >= threshold)


def model_status(path: str | Path | None = None) -> str:
    """One line saying whether a trained micro-expression model is installed (cheap, for UIs)."""
    p = Path(path) if path else model_path(TRAINED_MODEL)
    if not p.is_file() or not p.with_suffix(".json").is_file():
        return (
            "No trained micro-expression model installed; the training-free spotter is used "
            "(train one with tools/train_micro.py)."
        )
    meta = json.loads(p.with_suffix(".json").read_text(encoding="utf-8"))
    return f"{meta.get('name', p.stem)} ({meta.get('caveat', 'training data unknown')})"


class MicroNet:
    """The exported model: :meth:`predict_clip` for frames, :meth:`predict_video` for a file."""

    def __init__(self, path: str | Path | None = None, backend: str = "auto") -> None:
        """Load the model and its .json.

        Args:
            path: The .onnx file; default ``models/micro_resnet3d.onnx``.
            backend: ``"auto"`` (onnxruntime if installed, else OpenCV), ``"onnxruntime"`` or
                ``"opencv"``.

        Raises:
            ModelError: Missing file or metadata, or a file the runtime rejects.
        """
        self.path = Path(path) if path else model_path(TRAINED_MODEL)
        meta_path = self.path.with_suffix(".json")
        if not self.path.is_file() or not meta_path.is_file():
            raise ModelError(model_status(self.path))
        self.meta = json.loads(meta_path.read_text(encoding="utf-8"))
        try:
            self.spec = ClipSpec.from_meta(self.meta["input"])
            self.aus = tuple(str(a) for a in self.meta["aus"])
            self.labels = tuple(str(e) for e in self.meta["labels"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"{meta_path.name} lacks labels/AUs/input spec: {exc}") from None
        # OpenCV 4.14 fuses Conv+Add for 2D only and asserts on the 3D residual adds.
        self.net = OnnxNet(self.path, backend, fuse=False)
        self.backend = self.net.backend

    def run(self, batch: np.ndarray) -> np.ndarray:
        """Raw (N, 3 + n_aus + n_labels) output: times in [0, 1], AU and emotion probabilities."""
        return self.net.run(batch).reshape(len(batch), -1)

    def predict_clip(self, rgb_frames: np.ndarray, fps: float) -> MicroPrediction:
        """Read one face clip.

        Args:
            rgb_frames: (n, H, W, 3) uint8 RGB frames showing the face (whole frame is used).
            fps: The clip's frame rate, to turn normalised times into seconds.

        Raises:
            InputError: On an empty clip or a non-positive frame rate.
        """
        if len(rgb_frames) == 0 or not fps > 0:
            raise InputError("A micro-expression clip needs frames and a positive frame rate.")
        row = self.run(preprocess_clip(rgb_frames, self.spec)[None])[0]
        return self._reading(row, (len(rgb_frames) - 1) / fps)

    def _reading(self, row: np.ndarray, span: float) -> MicroPrediction:
        """One output row as a prediction, times scaled to ``span`` seconds."""
        onset, apex, offset = (float(v) * span for v in row[:3])
        n_au = len(self.aus)
        emo = row[3 + n_au :]
        k = int(np.argmax(emo))
        return MicroPrediction(
            onset,
            apex,
            offset,
            {a: float(p) for a, p in zip(self.aus, row[3 : 3 + n_au], strict=True)},
            self.labels[k],
            float(emo[k]),
        )

    def predict_video(self, path: str | Path) -> MicroPrediction:
        """Read a whole (short, face-framed) video file as one clip.

        Raises:
            InputError: If the file cannot be read or has no frames.
        """
        frames, fps = read_rgb_video(path)
        return self.predict_clip(frames, fps)

    def spot_clip(
        self, rgb_frames: np.ndarray, fps: float, options: WindowOptions | None = None
    ) -> list[WindowedBurst]:
        """Spot bursts in a long clip with sliding windows (:mod:`..core.micro_windows`).

        Each window of ``options.window`` frames (default: the model's TIM length, 16) every
        ``options.stride`` frames is read as one clip; the predictions are merged into events
        and sorted into micro (40-500 ms) and macro by duration. The model is trained on
        synthetic renders; CG faces only.

        Raises:
            InputError: On an empty clip or a non-positive frame rate.
        """
        if len(rgb_frames) == 0 or not fps > 0:
            raise InputError("A micro-expression clip needs frames and a positive frame rate.")
        opts = options or WindowOptions()
        window = opts.window or self.spec.frames
        stride = opts.stride or max(1, window // 2)
        starts = window_starts(len(rgb_frames), window, stride)
        preds = []
        for i in range(0, len(starts), opts.batch):
            chunk = starts[i : i + opts.batch]
            clips = [rgb_frames[s : s + window] for s in chunk]
            rows = self.run(np.stack([preprocess_clip(c, self.spec) for c in clips]))
            for s, c, row in zip(chunk, clips, rows, strict=True):
                preds.append(
                    window_prediction(self._reading(row, (len(c) - 1) / fps), s, len(c), fps)
                )
        return merge_windows(preds, min_score=opts.min_score, edge_s=opts.edge_frames / fps)

    def spot_video(
        self, path: str | Path, options: WindowOptions | None = None
    ) -> list[WindowedBurst]:
        """:meth:`spot_clip` on a video file (face-framed; the whole frame is used).

        Raises:
            InputError: If the file cannot be read or has no frames.
        """
        frames, fps = read_rgb_video(path)
        return self.spot_clip(frames, fps, options)


@dataclass(frozen=True)
class WindowOptions:
    """How :meth:`MicroNet.spot_clip` slides over a clip.

    Attributes:
        window: Frames per window; 0: the model's TIM length.
        stride: Frames between window starts; 0: half a window.
        min_score: Smallest presence score (emotion probability x strongest AU probability).
        edge_frames: A burst must keep this many frames from a window's inner edges.
        batch: Windows per model call.
    """

    window: int = 0
    stride: int = 0
    min_score: float = 0.5
    edge_frames: int = 1
    batch: int = 8


def window_prediction(p: MicroPrediction, start: int, length: int, fps: float) -> WindowPrediction:
    """A window's prediction moved to clip time, scored by emotion x strongest AU probability."""
    t0 = start / fps
    score = p.confidence * max(p.aus.values(), default=0.0)
    return WindowPrediction(
        t0, t0 + (length - 1) / fps, t0 + p.onset, t0 + p.apex, t0 + p.offset, score, p.aus,
        p.emotion,
    )  # fmt: skip


def read_rgb_video(path: str | Path) -> tuple[np.ndarray, float]:
    """Every frame of a video as (n, H, W, 3) uint8 RGB, and its frame rate.

    Raises:
        InputError: If the file cannot be read or has no frames.
    """
    import cv2

    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS) or 0.0
    frames = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    cap.release()
    if not frames or not fps > 0:
        raise InputError(f"{Path(path).name}: no readable frames.")
    return np.stack(frames), fps
