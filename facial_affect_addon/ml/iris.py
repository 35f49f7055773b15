"""MediaPipe's iris landmark model: five iris points per eye from the face mesh.

The model (``iris_landmark.tflite`` from the same mediapipe 0.10.21 wheel as the face models)
takes a 64x64 RGB crop of one eye in [0, 1] and returns 71 eye-contour/brow points and 5 iris
points (centre, then four on the rim). As in MediaPipe's graph, the crop is a square
:data:`CROP_SCALE` times the corner-to-corner width around the eye's two corners, rotated so the
corner line is level, and the subject's left eye is mirrored (the model is trained on the
other). Checked on the astronaut photo: with this crop the model's eye contour starts at the
outer corner and reaches the inner one within 2 px of the mesh's own corners, for both eyes;
It runs on LiteRT when that imports, else on cv2.dnn (:mod:`.tflite_runtime`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..paths import model_path
from .face_models import _load_meta
from .tflite_runtime import TFLiteModel

IRIS_FILE = "iris_landmark.tflite"
CROP_SCALE = 2.3
# (first, second) corner per eye, subject's sides; the left eye's crop is mirrored.
_EYES = (((33, 133), False), ((362, 263), True))


class IrisLandmarker:
    """Iris centre and rim of both eyes, given a face's 468 mesh points."""

    def __init__(self, path: Path | None = None, runtime: str | None = None) -> None:
        """Load the model (``runtime``: see :func:`.tflite_runtime.choose_runtime`).

        Raises:
            ModelError: The model file or its .json is missing or unreadable.
        """
        self.path = Path(path) if path else model_path(IRIS_FILE)
        self.meta = _load_meta(self.path)
        self.size = int(self.meta["input"]["size"][0])
        self.crop_scale = float(self.meta.get("crop_scale", CROP_SCALE))
        lo, hi = self.meta["input"].get("range", [0.0, 1.0])
        self.scale, self.offset = (hi - lo) / 255.0, lo
        self.model = TFLiteModel(self.path, runtime)

    def crop_transform(self, first: np.ndarray, second: np.ndarray, mirror: bool) -> np.ndarray:
        """2x3 affine from frame pixels to the model's eye square."""
        centre = (first + second) / 2
        angle = float(np.arctan2(second[1] - first[1], second[0] - first[0]))
        k = self.size / max(float(np.linalg.norm(second - first)) * self.crop_scale, 1e-6)
        c, s = np.cos(-angle), np.sin(-angle)
        rot = np.array([[c * k, -s * k], [s * k, c * k]])
        if mirror:
            rot = np.array([[-1.0, 0.0], [0.0, 1.0]]) @ rot
        shift = np.array([self.size / 2, self.size / 2]) - rot @ centre
        return np.hstack([rot, shift[:, None]])

    def irises(self, rgb: np.ndarray, points: np.ndarray) -> np.ndarray:
        """(2, 5, 2) iris points (centre first) of the subject's right, then left eye, in pixels.

        Args:
            rgb: The frame, RGB uint8.
            points: (468, 2+) face-mesh points of the face in that frame.
        """
        import cv2

        out = np.empty((2, 5, 2), np.float32)
        for k, ((i, j), mirror) in enumerate(_EYES):
            m = self.crop_transform(
                points[i, :2].astype(float), points[j, :2].astype(float), mirror
            )
            crop = cv2.warpAffine(rgb, m, (self.size, self.size), flags=cv2.INTER_LINEAR)
            outs = self.model.run((crop.astype(np.float32) * self.scale + self.offset)[None])
            iris = outs["output_iris"].reshape(5, 3)[:, :2]
            inv = cv2.invertAffineTransform(m)
            out[k] = iris @ inv[:, :2].T + inv[:, 2]
        return out
