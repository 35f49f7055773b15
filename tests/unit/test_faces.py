"""Face detection, landmarks and the emotion runtime on the real astronaut photo."""

from __future__ import annotations

import numpy as np
import pytest

from facial_affect_addon.core.emotions import EMOTION_NAMES
from facial_affect_addon.core.errors import ModelError
from facial_affect_addon.paths import model_path

from .video_fixtures import astronaut_rgb, cv2

pytestmark = pytest.mark.skipif(
    not model_path("face_detection_short_range.tflite").is_file(),
    reason="face models missing: run `make setup` (tools/fetch_face_models.py)",
)


def test_anchor_grid_matches_blazeface_output():
    from facial_affect_addon.ml.face_models import blazeface_anchors

    anchors = blazeface_anchors()
    assert anchors.shape == (896, 2)
    assert np.allclose(anchors[0], [1 / 32, 1 / 32]) and np.allclose(
        anchors[-1], [15 / 16, 15 / 16]
    )


def test_blazeface_and_landmarks_find_the_astronaut():
    from facial_affect_addon.ml.faces import FaceAnalyzer

    face = FaceAnalyzer().analyze(astronaut_rgb())
    assert face is not None and face.detector == "blazeface" and face.score > 0.8
    x, y, w, h = face.box
    assert 160 < x + w / 2 < 260 and 90 < y + h / 2 < 170  # the face, not the suit or flag
    pts = face.landmarks
    assert pts.shape == (468, 3)
    assert pts[33, 0] < pts[263, 0]  # subject's right eye on the image left
    assert pts[159, 1] < pts[1, 1] < pts[13, 1] < pts[152, 1]  # eye above nose above mouth, chin


def test_no_face_in_a_blank_frame():
    from facial_affect_addon.ml.faces import FaceAnalyzer

    assert FaceAnalyzer().analyze(np.full((240, 320, 3), 128, np.uint8)) is None


def test_haar_fallback_when_mediapipe_files_are_missing(tmp_path, monkeypatch):
    from facial_affect_addon.ml.faces import FaceAnalyzer

    monkeypatch.setenv("FACIAL_AFFECT_MODELS", str(tmp_path))
    analyzer = FaceAnalyzer()
    assert analyzer.detector == "haar" and not analyzer.has_landmarks
    assert any("Haar" in w for w in analyzer.warnings)
    face = analyzer.analyze(astronaut_rgb())
    assert face is not None and 150 < face.box[0] + face.box[2] / 2 < 280


def test_default_emotion_model_reads_happiness_and_names_itself():
    from facial_affect_addon.ml.emotion_runtime import EmotionModel
    from facial_affect_addon.ml.faces import FaceAnalyzer

    img = astronaut_rgb()
    face = FaceAnalyzer(landmarks=False).analyze(img)
    for backend in ("opencv", "onnxruntime"):
        if backend == "onnxruntime":
            pytest.importorskip("onnxruntime")
        model = EmotionModel(backend=backend)
        probs = model.predict_faces(img, [face.box])[0]
        assert EMOTION_NAMES[int(probs.argmax())] == "happiness"
        assert probs.sum() == pytest.approx(1.0, abs=1e-4)
    assert (
        "FER2013" in model.description() and "not measured by this project" in model.description()
    )


def test_emotion_model_missing_file_is_a_model_error(tmp_path):
    from facial_affect_addon.ml.emotion_runtime import EmotionModel

    with pytest.raises(ModelError, match="make setup"):
        EmotionModel(tmp_path / "nope.onnx")


def test_grayscale_crop_matches_fer_preprocessing():
    from facial_affect_addon.ml.emotion_runtime import EmotionModel

    model = EmotionModel()
    batch = model.preprocess(astronaut_rgb(), [(180.0, 80.0, 90.0, 90.0)])
    assert batch.shape == (1, 1, 64, 64) and batch.dtype == np.float32
    assert -1.0 <= batch.min() < 0 < batch.max() <= 1.0
    assert cv2 is not None


def _still_face_drift(refine: int) -> tuple[float, float]:
    """(mean RMS point drift, worst mouth-corner drift) in IOD of a still face that moves."""
    from facial_affect_addon.core.capture import to_face_coords
    from facial_affect_addon.ml.face_models import BlazeFaceDetector, FaceLandmarker

    from .video_fixtures import moving_face_frames

    detector, marker = BlazeFaceDetector(), FaceLandmarker()
    points = []
    for frame in moving_face_frames(12):
        face = max(detector.detect(frame), key=lambda f: f.w * f.h)
        points.append(marker.landmarks(frame, face, refine=refine).points.astype(float))
    ref = to_face_coords(points[0], points[0])
    drift = [to_face_coords(p, points[0]) - ref for p in points[1:]]
    rms = float(np.mean([np.sqrt((d**2).mean()) for d in drift]))
    corner = float(max(np.abs(d[[61, 291]]).max() for d in drift))
    return rms, corner


def test_refined_crops_keep_a_still_face_still():
    # The same face moved and scaled must not look like a changing expression (issue 6:
    # capture jitter). The refinement passes re-crop around the mesh like MediaPipe tracking.
    rms, corner = _still_face_drift(refine=2)
    rms_raw, corner_raw = _still_face_drift(refine=0)
    assert rms < 0.008 and corner < 0.03
    assert rms < 0.6 * rms_raw and corner < 0.6 * corner_raw  # the refinement does it


def test_a_face_counts_only_when_its_mesh_is_a_plausible_face():
    # Issue 13: BlazeFace fires on random noise; the mesh's presence and geometry do not.
    from facial_affect_addon.ml.faces import FaceAnalyzer, implausible_mesh

    face = FaceAnalyzer().analyze(astronaut_rgb())
    assert face.verified and face.presence > 0.9
    pts = face.landmarks
    assert implausible_mesh(pts, face.box) is None
    assert "outside" in implausible_mesh(pts + np.array([400.0, 0.0, 0.0]), face.box)
    assert "eye distance" in implausible_mesh(pts * [0.1, 0.1, 1.0], face.box)
    flipped = pts.copy()
    flipped[13, 1] = pts[[33, 263], 1].mean()  # the mouth at eye height
    assert implausible_mesh(flipped, face.box) is not None
    assert "invalid" in implausible_mesh(np.full((468, 3), np.nan), face.box)
    rng = np.random.default_rng(0)
    noise = [rng.integers(0, 256, (480, 640, 3), dtype=np.uint8) for _ in range(12)]
    assert all(FaceAnalyzer().analyze(f) is None for f in noise)


def test_damaged_face_model_is_one_line_model_error(tmp_path):
    import shutil

    from facial_affect_addon.ml.face_models import BlazeFaceDetector

    bad = tmp_path / "face_detection_short_range.tflite"
    bad.write_bytes(np.random.default_rng(0).bytes(1000))
    shutil.copy(model_path("face_detection_short_range.json"), bad.with_suffix(".json"))
    with pytest.raises(ModelError) as exc:
        BlazeFaceDetector(bad)
    msg = str(exc.value)
    assert "\n" not in msg and "face_detection_short_range.tflite" in msg and "make setup" in msg
