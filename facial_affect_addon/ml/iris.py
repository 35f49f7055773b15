"""MediaPipe's iris landmark model: five iris points per eye from the face mesh.

The model (``iris_landmark.tflite`` from the same mediapipe 0.10.21 wheel as the face models)
takes a 64x64 RGB crop of one eye in [0, 1] and returns 71 eye-contour/brow points and 5 iris
points (centre, then four on the rim). As in MediaPipe's graph, the crop is a square
:data:`CROP_SCALE` times the corner-to-corner width around the eye's two corners, rotated so the
corner line is level, and the subject's left eye is mirrored (the model is trained on the
other). Checked on the astronaut photo: with this crop the model's eye contour starts at the
outer corner and reaches the inner one within 2 px of the mesh's own corners, for both eyes.
It runs on LiteRT when that imports, else on cv2.dnn (:mod:`.tflite_runtime`).

**Lids.** The same pass gives the eye's outline, and :func:`refine_lids` puts it in place of the
mesh's lid points, as MediaPipe's own graph refines the mesh's eye region with this model. Its
first 16 contour points are the mesh's 16 eye-outline points in :data:`EYE_CONTOUR_POINTS` order
(lower lid from the outer corner to the inner one, then the upper lid back): on the astronaut
photo each lies within 0-3 % of the inter-ocular distance of its mesh point. The mesh follows a
lid poorly where the eye looks unlike its training faces. On the demo head's legibility renders
(``tools/legibility.py``), in units of the capture's lid ranges: from the front, surprise's and
fear's raised upper lids at intensity 1.0 moved the mesh's lid gap 9-19 % and this outline's
17-56 %; seen from 3/4, sadness's drooped lids read 5-8 % *wider* on the mesh and 36-75 % closed
on the outline. It is not better everywhere: from 3/4 the far eye's raised lid in surprise at 1.0
reads 10 % closed on the outline (the mesh: 55 % open), and from the front the subject's left
eye reads less open than the right (surprise: 17 % against 56 %).
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
# Mesh index of each of the model's first 16 contour points, subject's right then left eye.
EYE_CONTOUR_POINTS = (
    (33, 7, 163, 144, 145, 153, 154, 155, 133, 246, 161, 160, 159, 158, 157, 173),
    (263, 249, 390, 373, 374, 380, 381, 382, 362, 466, 388, 387, 386, 385, 384, 398),
)
EYE_CORNERS = frozenset((33, 133, 263, 362))


def refine_lids(points: np.ndarray, contours: np.ndarray) -> np.ndarray:
    """Mesh points with the lid points replaced by the iris model's eye outline.

    The four eye corners stay the mesh's: the model's crop is placed on them, and the capture
    aligns frames on them (``core.capture.STABLE_POINTS``), so taking the model's corners would
    feed its estimate back into the alignment it is measured in. On the legibility renders,
    replacing the corners too read 3 fewer of the 24 expressive cells right than keeping them.

    Args:
        points: (468, 2+) face-mesh points in pixels.
        contours: (2, 16, 2) eye outlines of :meth:`IrisLandmarker.eyes`, in pixels.

    Returns:
        A copy of ``points`` (same shape and dtype) with the 28 non-corner lid points moved.
    """
    out = np.array(points, copy=True)
    for idx, contour in zip(EYE_CONTOUR_POINTS, contours, strict=True):
        for k, mesh_index in enumerate(idx):
            if mesh_index not in EYE_CORNERS:
                out[mesh_index, :2] = contour[k]
    return out


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
        return self.eyes(rgb, points)[0]

    def refine(self, rgb: np.ndarray, points: np.ndarray) -> np.ndarray:
        """``points`` with the lids this model sees in ``rgb`` (:func:`refine_lids`)."""
        return refine_lids(points, self.eyes(rgb, points)[1])

    def eyes(self, rgb: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Iris points and eye outlines of both eyes from one pass of the model.

        Args:
            rgb: The frame, RGB uint8.
            points: (468, 2+) face-mesh points of the face in that frame.

        Returns:
            ((2, 5, 2) iris points, centre first; (2, 16, 2) eye outlines in
            :data:`EYE_CONTOUR_POINTS` order), subject's right eye first, in frame pixels.
        """
        import cv2

        irises = np.empty((2, 5, 2), np.float32)
        contours = np.empty((2, 16, 2), np.float32)
        for k, ((i, j), mirror) in enumerate(_EYES):
            m = self.crop_transform(
                points[i, :2].astype(float), points[j, :2].astype(float), mirror
            )
            crop = cv2.warpAffine(rgb, m, (self.size, self.size), flags=cv2.INTER_LINEAR)
            outs = self.model.run((crop.astype(np.float32) * self.scale + self.offset)[None])
            inv = cv2.invertAffineTransform(m)
            irises[k] = outs["output_iris"].reshape(5, 3)[:, :2] @ inv[:, :2].T + inv[:, 2]
            outline = outs["output_eyes_contours_and_brows"].reshape(71, 3)[:16, :2]
            contours[k] = outline @ inv[:, :2].T + inv[:, 2]
        return irises, contours
