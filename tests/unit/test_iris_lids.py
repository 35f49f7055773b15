"""The iris model's eye outline as the capture's lids (``ml.iris.refine_lids``), on a real photo.

The lids are warped on the astronaut photo (squeezed towards or stretched away from each eye's
centre line) and both the mesh's lid gap and the refined one are measured against the unwarped
frame. Measured here: squeezed, the mesh's gaps keep 0.86-0.87 of their size and the refined
ones 0.75-0.78; stretched, 1.06 against 1.12-1.22.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from facial_affect_addon.paths import model_path

from .head_fixtures import frontal_frame

pytestmark = pytest.mark.skipif(
    not model_path("iris_landmark.tflite").is_file(),
    reason="face/iris models missing: run `make setup` (tools/fetch_face_models.py)",
)

_LIDS = ((159, 145), (386, 374))  # (upper, lower) mid-lid points, subject's right then left


@pytest.fixture(scope="module")
def models():
    from facial_affect_addon.ml.faces import FaceAnalyzer
    from facial_affect_addon.ml.iris import IrisLandmarker

    return FaceAnalyzer(), IrisLandmarker()


def _warp_lids(rgb: np.ndarray, points: np.ndarray, amount: float) -> np.ndarray:
    """Move each eye's rows towards (amount > 0) or away from (< 0) its centre line."""
    h, w = rgb.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    map_y = yy.copy()
    for i, j in ((33, 133), (263, 362)):
        c = (points[i, :2] + points[j, :2]) / 2
        width = float(np.linalg.norm(points[i, :2] - points[j, :2]))
        bump = np.exp(-(((xx - c[0]) / (0.7 * width)) ** 2 + ((yy - c[1]) / (0.5 * width)) ** 2))
        map_y += (yy - c[1]) * amount * bump
    return cv2.remap(rgb, xx, map_y, cv2.INTER_LINEAR)


def _gaps(points: np.ndarray) -> np.ndarray:
    return np.array([points[lo, 1] - points[up, 1] for up, lo in _LIDS])


def test_the_outline_lies_on_the_mesh_eye_points_of_a_real_face(models):
    from facial_affect_addon.ml.iris import EYE_CONTOUR_POINTS

    faces, iris = models
    rgb = frontal_frame()
    points = faces.analyze(rgb).landmarks.astype(float)
    irises, outlines = iris.eyes(rgb, points)
    assert np.array_equal(irises, iris.irises(rgb, points))
    iod = float(np.linalg.norm(points[33, :2] - points[263, :2]))
    for idx, outline in zip(EYE_CONTOUR_POINTS, outlines, strict=True):
        off = np.linalg.norm(outline - points[list(idx), :2], axis=1) / iod
        assert off.max() < 0.045, off.round(3)  # measured 0-3 %


def test_refine_lids_moves_the_lids_and_keeps_corners_and_the_rest():
    from facial_affect_addon.ml.iris import EYE_CONTOUR_POINTS, EYE_CORNERS, refine_lids

    rng = np.random.default_rng(3)
    points = rng.normal(size=(468, 3)).astype(np.float32)
    outlines = rng.normal(size=(2, 16, 2)).astype(np.float32) + 10.0
    before = points.copy()
    out = refine_lids(points, outlines)
    assert np.array_equal(points, before) and out.dtype == points.dtype
    moved = {i for idx in EYE_CONTOUR_POINTS for i in idx} - EYE_CORNERS
    assert len(moved) == 28
    for idx, outline in zip(EYE_CONTOUR_POINTS, outlines, strict=True):
        for k, i in enumerate(idx):
            want = points[i, :2] if i in EYE_CORNERS else outline[k]
            assert np.array_equal(out[i, :2], want)
    rest = [i for i in range(468) if i not in moved]
    assert np.array_equal(out[rest], points[rest]) and np.array_equal(out[:, 2], points[:, 2])


@pytest.mark.parametrize("amount", [0.6, -0.4])
def test_refined_lids_follow_a_lid_change_the_mesh_barely_sees(models, amount):
    from facial_affect_addon.ml.iris import refine_lids

    faces, iris = models
    base = frontal_frame()
    p0 = faces.analyze(base).landmarks.astype(float)
    warped = _warp_lids(base, p0, amount)
    p1 = faces.analyze(warped).landmarks.astype(float)
    mesh = _gaps(p1) / _gaps(p0)
    refined = _gaps(refine_lids(p1, iris.eyes(warped, p1)[1]))
    refined /= _gaps(refine_lids(p0, iris.eyes(base, p0)[1]))
    sign = -1.0 if amount > 0 else 1.0  # squeezed lids close, stretched ones open
    assert np.all(sign * (mesh - 1) > 0) and np.all(sign * (refined - 1) > 0)
    assert np.all(np.abs(refined - 1) > 1.4 * np.abs(mesh - 1)), (mesh, refined)


def test_the_video_capture_gets_the_refined_lids(models):
    from facial_affect_addon.ml.iris import EYE_CORNERS
    from facial_affect_addon.pipeline.video_head import HeadEyeRecorder

    faces, _ = models
    rgb = _warp_lids(frontal_frame(), faces.analyze(frontal_frame()).landmarks, 0.6)
    plain = faces.analyze(rgb).landmarks
    with_iris = HeadEyeRecorder(faces).analyze(rgb).landmarks
    without = HeadEyeRecorder(faces, iris=False).analyze(rgb).landmarks
    assert np.array_equal(without, plain)
    lids = [i for pair in _LIDS for i in pair]
    assert np.abs(with_iris[lids, :2] - plain[lids, :2]).max() > 0.5
    corners = sorted(EYE_CORNERS)
    assert np.array_equal(with_iris[corners], plain[corners])
