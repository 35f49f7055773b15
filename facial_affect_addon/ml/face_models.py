"""Offline face detection and 468-point face landmarks (MediaPipe's TFLite models).

Runtime: :mod:`.tflite_runtime` runs each model on LiteRT (XNNPACK) when ``ai_edge_litert``
imports, else on cv2.dnn (first measured 2026-11-22: the outputs of the two agree to 1.4e-4
for the detector and 1.1e-4 for the landmarks). cv2.dnn was once the only runtime to save a
dependency; at 6.4 ms against LiteRT's 1.8 ms per mesh pass it kept the tracked mesh at a quarter
of MediaPipe's frame rate (issue 18), so the extension zips now carry a slim LiteRT where a wheel
exists, and cv2.dnn stays the fallback.

The detector needs anchor decoding (BlazeFace: 896 anchors over 16x16 and 8x8 grids) and
the landmark model a rotated square crop around the face, both done with numpy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..core.errors import ModelError
from ..paths import model_path
from .tflite_runtime import TFLiteModel

DETECTOR_FILE = "face_detection_short_range.tflite"
LANDMARK_FILE = "face_landmark.tflite"
NMS_IOU = 0.3


@dataclass(frozen=True)
class FaceBox:
    """One detected face in pixel coordinates of the frame.

    Attributes:
        x: Left edge. y: Top edge. w: Width. h: Height.
        score: Detector confidence in [0, 1].
        keypoints: (6, 2) BlazeFace keypoints (right eye, left eye, nose, mouth, right ear, left
            ear — the subject's sides) or None (Haar cascade).
        detector: ``"blazeface"`` or ``"haar"``.
    """

    x: float
    y: float
    w: float
    h: float
    score: float
    keypoints: np.ndarray | None = None
    detector: str = "blazeface"


def _load_meta(path: Path) -> dict:
    meta_path = path.with_suffix(".json")
    if not path.is_file() or not meta_path.is_file():
        raise ModelError(
            f"Face model {path.name} (or its .json) is missing from {path.parent}; "
            "run `make setup` (tools/fetch_face_models.py)."
        )
    return json.loads(meta_path.read_text())


def blazeface_anchors(size: int = 128, strides=(8, 16, 16, 16), per_cell: int = 2) -> np.ndarray:
    """BlazeFace SSD anchor centres (n, 2) in [0, 1]; equal strides share one grid."""
    return dense_anchors(size, size, strides, per_cell) / np.float32(size)


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    x0 = np.maximum(box[0], boxes[:, 0])
    y0 = np.maximum(box[1], boxes[:, 1])
    x1 = np.minimum(box[2], boxes[:, 2])
    y1 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-9)


def weighted_nms(boxes: np.ndarray, scores: np.ndarray, iou: float = NMS_IOU) -> list:
    """MediaPipe-style weighted NMS: overlapping detections are averaged by score.

    Args:
        boxes: (n, 4 + 2k) rows of x0, y0, x1, y1 then keypoints.
        scores: (n,) confidences.

    Returns:
        A list of (row, score) pairs, best first.
    """
    order = np.argsort(-scores)
    boxes, scores = boxes[order], scores[order]
    out = []
    while len(scores):
        overlap = _iou(boxes[0], boxes) > iou
        w = scores[overlap][:, None]
        out.append(((boxes[overlap] * w).sum(0) / w.sum(), float(scores[0])))
        boxes, scores = boxes[~overlap], scores[~overlap]
    return out


MIN_FACE_PX = 40.0
"""Smallest face height (frame pixels) :meth:`BlazeFaceDetector.detect` looks for by default."""
FACE_IN_INPUT = (24.0, 96.0)
"""Face heights, in model-input pixels, one pyramid level covers. Measured on the astronaut
composited into 128x128 inputs (10 placements per size): 16 px 90 %, 20-110 px 100 %, 12 px 10 %."""


def pyramid_scales(h: int, w: int, min_face_px: float | None, size: int = 128) -> list[float]:
    """Frame → input scales of the detection pyramid, finest first.

    The finest level maps ``min_face_px`` to 24 input pixels (never upsampling), each next level
    is 4x coarser, and the last one fits the whole frame into one ``size`` square, so every face
    from ``min_face_px`` up to the frame height lands in some level's reliable range.
    """
    fit = size / max(h, w)
    if min_face_px is None:
        return [fit]
    lo, hi = FACE_IN_INPUT
    scales, s = [], min(1.0, lo / float(min_face_px))
    while s > fit * 1.3:
        scales.append(s)
        s /= hi / lo
    return [*scales, fit]


def dense_anchors(h: int, w: int, strides=(8, 16, 16, 16), per_cell: int = 2) -> np.ndarray:
    """BlazeFace anchor centres (n, 2) in input pixels for an ``h`` x ``w`` input.

    The detector is fully convolutional: cv2.dnn runs it on any input whose sides are multiples
    of 16 and returns one row per anchor of this grid, in the same order as at 128x128.
    """
    centres = []
    i = 0
    while i < len(strides):
        stride, n = strides[i], 0
        while i < len(strides) and strides[i] == stride:
            n += per_cell
            i += 1
        ys, xs = np.mgrid[0 : h // stride, 0 : w // stride]
        cell = np.stack([(xs + 0.5) * stride, (ys + 0.5) * stride], axis=-1).reshape(-1, 1, 2)
        centres.append(np.repeat(cell, n, axis=1).reshape(-1, 2))
    return np.concatenate(centres).astype(np.float32)


class BlazeFaceDetector:
    """MediaPipe BlazeFace short-range (LiteRT or cv2.dnn), run as a pyramid of whole-frame passes.

    Why a dense pyramid (measured 2026-12-01 on 2 shared cores, the astronaut composited at
    40-400 px into 720p/1080p/4K frames; ``bench/face_scales.py``): the short-range model alone,
    on the letterboxed frame, finds faces only above ~1/6 of the frame side. MediaPipe's
    full-range model would reach further, but it is stored sparse and cv2.dnn 4.14 cannot load
    it ("Unsupported operator type DENSIFY"); and even at its 192x192 input a 40 px face in a 4K
    frame would be 2 px. Tiling the short-range model into 128x128 crops works, but tiles must
    overlap by a face size, so they compute most pixels 2-4 times. The model is fully
    convolutional, so instead each pyramid level runs ONCE on the whole resized frame (sides
    padded to a multiple of 16): the same recall as tiles with no overlap and one call per level.
    Levels merge by weighted NMS. See :func:`pyramid_scales` and README's video section for
    recall and times.
    """

    def __init__(
        self,
        path: Path | None = None,
        score_threshold: float | None = None,
        runtime: str | None = None,
    ) -> None:
        self.path = Path(path) if path else model_path(DETECTOR_FILE)
        self.meta = _load_meta(self.path)
        self.size = int(self.meta["input"]["size"][0])
        anchors = self.meta.get("anchors", {})
        self._strides = tuple(anchors.get("strides", (8, 16, 16, 16)))
        self._per_cell = int(anchors.get("per_cell", 2))
        self.anchors = blazeface_anchors(self.size, self._strides, self._per_cell)
        self._grids: dict[tuple[int, int], np.ndarray] = {}
        self.threshold = score_threshold or float(self.meta.get("score_threshold", 0.5))
        self.model = TFLiteModel(self.path, runtime)

    def detect(
        self, rgb: np.ndarray, min_face_px: float | None = None, level: int | None = None
    ) -> list[FaceBox]:
        """Faces in an RGB uint8 frame, best first.

        Args:
            rgb: The frame.
            min_face_px: Smallest face height to find, in frame pixels; None runs only the
                single whole-frame pass (faces above ~1/6 of the frame side, fastest).
            level: Run only this pyramid level (modulo their number; 0 is the finest), e.g.
                one level per periodic look for new faces; None: every level.
        """
        h, w = rgb.shape[:2]
        rows, scores = [], []
        scales = pyramid_scales(h, w, min_face_px, self.size)
        if level is not None:
            scales = [scales[level % len(scales)]]
        for scale in scales:
            r, s = self._level(rgb, scale)
            rows.append(r)
            scores.append(s)
        if not rows or not sum(len(s) for s in scores):
            return []
        faces = []
        for row, score in weighted_nms(np.concatenate(rows), np.concatenate(scores)):
            pts = row.reshape(-1, 2)
            (x0, y0), (x1, y1) = pts[0], pts[1]
            box = (float(x0), float(y0), float(x1 - x0), float(y1 - y0))
            faces.append(FaceBox(*box, score, pts[2:].astype(np.float32)))
        return faces

    def _level(self, rgb: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
        """One pyramid level: rows (x0, y0, x1, y1, 6 keypoints) in frame pixels, scores."""
        import cv2

        h, w = rgb.shape[:2]
        nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
        ih, iw = max(self.size, -(-nh // 16) * 16), max(self.size, -(-nw // 16) * 16)
        canvas = np.zeros((ih, iw, 3), np.float32)
        area = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        canvas[:nh, :nw] = cv2.resize(rgb, (nw, nh), interpolation=area)
        outs = self.model.run((canvas / 127.5 - 1.0)[None])
        raw = outs["regressors"].reshape(-1, 16)
        logits = np.clip(outs["classificators"].reshape(-1).astype(np.float64), -100, 100)
        scores = 1.0 / (1.0 + np.exp(-logits))
        keep = scores >= self.threshold
        if not keep.any():
            return np.zeros((0, 16)), np.zeros(0)
        anchors = self._grid(ih, iw)[keep]
        raw, scores = raw[keep], scores[keep]
        cx, cy = raw[:, 0] + anchors[:, 0], raw[:, 1] + anchors[:, 1]
        half_w, half_h = raw[:, 2] / 2, raw[:, 3] / 2
        kps = raw[:, 4:].reshape(-1, 6, 2) + anchors[:, None, :]
        box = np.stack([cx - half_w, cy - half_h, cx + half_w, cy + half_h], 1)
        rows = np.concatenate([box, kps.reshape(-1, 12)], axis=1) / scale
        return rows, scores

    def _grid(self, ih: int, iw: int) -> np.ndarray:
        if (ih, iw) not in self._grids:
            self._grids[(ih, iw)] = dense_anchors(ih, iw, self._strides, self._per_cell)
        return self._grids[(ih, iw)]


class HaarFaceDetector:
    """OpenCV's frontal-face Haar cascade: the fallback when the MediaPipe files are missing."""

    def __init__(self) -> None:
        import cv2

        path = Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml"
        self.cascade = cv2.CascadeClassifier(str(path))
        if self.cascade.empty():
            raise ModelError(f"OpenCV's Haar cascade {path} could not be loaded.")

    def detect(
        self, rgb: np.ndarray, min_face_px: float | None = None, level: int | None = None
    ) -> list[FaceBox]:
        """Faces in an RGB uint8 frame, largest first (the cascade gives no real score).

        ``min_face_px`` (frame pixels) sets the smallest window; None: 1/10 of the frame.
        ``level`` is ignored: the cascade always scans every scale.
        """
        import cv2

        gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        min_side = max(24, int(min_face_px or min(gray.shape) // 10))
        found = self.cascade.detectMultiScale(gray, 1.1, 5, minSize=(min_side, min_side))
        boxes = sorted((tuple(map(float, b)) for b in found), key=lambda b: -b[2] * b[3])
        return [FaceBox(x, y, w, h, 1.0, None, "haar") for x, y, w, h in boxes]


REFINE_PASSES = 2


def roi_from_landmarks(points: np.ndarray, face: FaceBox) -> FaceBox:
    """A face box centred on the landmarks' bounding square, eyes taken from the mesh corners."""
    lo, hi = points[:, :2].min(0), points[:, :2].max(0)
    side = float(max(hi - lo))
    cx, cy = (lo + hi) / 2
    eyes = np.array([points[[33, 133], :2].mean(0), points[[263, 362], :2].mean(0)])
    keypoints = eyes if face.keypoints is None else np.vstack([eyes, face.keypoints[2:]])
    return replace(face, x=cx - side / 2, y=cy - side / 2, w=side, h=side, keypoints=keypoints)


def _moved(a: FaceBox, b: FaceBox) -> float:
    """How far box ``b`` is from ``a``: centre shift or side change, over ``a``'s side."""
    side = max(a.w, a.h, 1e-6)
    shift = np.hypot(b.x + b.w / 2 - a.x - a.w / 2, b.y + b.h / 2 - a.y - a.h / 2)
    return float(max(shift, abs(max(b.w, b.h) - side)) / side)


@dataclass(frozen=True)
class FaceLandmarks:
    """468 face-mesh points of one face.

    Attributes:
        points: (468, 3) x, y in frame pixels; z in the same pixel scale (smaller = nearer).
        presence: Model's face-presence probability for the crop.
    """

    points: np.ndarray
    presence: float


class FaceLandmarker:
    """MediaPipe's 468-point face-mesh model (LiteRT or cv2.dnn) on a rotated crop around a face."""

    def __init__(self, path: Path | None = None, runtime: str | None = None) -> None:
        self.path = Path(path) if path else model_path(LANDMARK_FILE)
        self.meta = _load_meta(self.path)
        self.size = int(self.meta["input"]["size"][0])
        self.crop_scale = float(self.meta.get("crop_scale", 1.5))
        lo, hi = self.meta["input"].get("range", [0.0, 1.0])
        self.scale, self.offset = (hi - lo) / 255.0, lo
        self.model = TFLiteModel(self.path, runtime)

    def crop_transform(self, face: FaceBox) -> np.ndarray:
        """2x3 affine from frame pixels to the model's input square (rotation from the eyes)."""
        cx, cy = face.x + face.w / 2, face.y + face.h / 2
        angle = 0.0
        if face.keypoints is not None:
            (rx, ry), (lx, ly) = face.keypoints[0], face.keypoints[1]
            angle = float(np.arctan2(ly - ry, lx - rx))
        side = max(face.w, face.h) * self.crop_scale
        c, s = np.cos(-angle), np.sin(-angle)
        k = self.size / side
        rot = np.array([[c * k, -s * k], [s * k, c * k]])
        shift = np.array([self.size / 2, self.size / 2]) - rot @ np.array([cx, cy])
        return np.hstack([rot, shift[:, None]])

    def landmarks(
        self, rgb: np.ndarray, face: FaceBox, refine: int = REFINE_PASSES, settled: float = 0.0
    ) -> FaceLandmarks:
        """The 468 landmarks of ``face`` in frame pixel coordinates.

        The detector's box is only roughly centred and sized, and the mesh model is sensitive to
        that: on a still face that merely moves across the frame, mouth-corner points wander by
        up to 8 % of the inter-ocular distance. MediaPipe's own graph avoids this by tracking
        (each frame's crop comes from the previous frame's landmarks); for independent frames
        we do the same within one frame: ``refine`` extra passes each crop around the previous
        pass's landmarks, rotated by its eye corners. Measured on a still face moved and scaled
        across 30 frames: mean RMS point jitter 0.016 → 0.005 (1 pass) → 0.004 (2 passes) IOD,
        worst mouth-corner drift 0.080 → 0.022 → 0.013 IOD.

        ``settled`` > 0 (tracking) stops refining once a pass's crop would move its centre and
        side by less than that fraction of the side: the crop it ran on was already where the
        next would be, so a face tracked from the previous frame's landmarks usually takes one
        pass, as in MediaPipe's graph.
        """
        found, roi = self._run(rgb, face), face
        for _ in range(max(int(refine), 0)):
            if found.presence < 0.5:
                break
            nxt = roi_from_landmarks(found.points, face)
            if settled > 0 and _moved(roi, nxt) < settled:
                break
            found, roi = self._run(rgb, nxt), nxt
        return found

    def _run(self, rgb: np.ndarray, face: FaceBox) -> FaceLandmarks:
        import cv2

        m = self.crop_transform(face)
        crop = cv2.warpAffine(rgb, m, (self.size, self.size), flags=cv2.INTER_LINEAR)
        outs = self.model.run((crop.astype(np.float32) * self.scale + self.offset)[None]).values()
        mesh = next(o for o in outs if o.size == 468 * 3).reshape(468, 3)
        flag = next(o for o in outs if o.size == 1).reshape(())
        inv = cv2.invertAffineTransform(m)
        xy = mesh[:, :2] @ inv[:, :2].T + inv[:, 2]
        z = mesh[:, 2:] * np.hypot(inv[0, 0], inv[0, 1])
        presence = float(1.0 / (1.0 + np.exp(-np.clip(float(flag), -100, 100))))
        return FaceLandmarks(np.hstack([xy, z]).astype(np.float32), presence)
