"""The TFLite runtime choice: LiteRT and cv2.dnn agree on the same crops; the fallback is clean.

Measured 2026-12-01 on the astronaut photo (LiteRT 2.3 vs OpenCV 4.14): the largest difference
is 4e-4 px over the 468 mesh points (eye distance 61 px), 3e-3 px over the iris points and 1e-5
px on the detector's box; the tolerances below are 10-25x those.
"""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest

from facial_affect_addon.core.errors import ModelError
from facial_affect_addon.ml import tflite_runtime
from facial_affect_addon.paths import model_path

from .video_fixtures import astronaut_rgb

pytestmark = pytest.mark.skipif(
    not model_path("face_landmark.tflite").is_file(),
    reason="face models missing: run `make setup` (tools/fetch_face_models.py)",
)
needs_litert = pytest.mark.skipif(
    importlib.util.find_spec("ai_edge_litert") is None, reason="ai_edge_litert is not installed"
)


@pytest.fixture
def no_litert(monkeypatch):
    """ai_edge_litert made unimportable (as on macOS x64, or a Python without the wheel)."""
    monkeypatch.setitem(sys.modules, "ai_edge_litert", None)
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)
    monkeypatch.setattr(tflite_runtime, "_litert_failed", None)


def _models(runtime: str):
    from facial_affect_addon.ml.face_models import BlazeFaceDetector, FaceLandmarker
    from facial_affect_addon.ml.iris import IrisLandmarker

    return (
        BlazeFaceDetector(runtime=runtime),
        FaceLandmarker(runtime=runtime),
        IrisLandmarker(runtime=runtime),
    )


@needs_litert
def test_litert_and_opencv_agree_on_the_same_crops():
    rgb = astronaut_rgb()
    got = {}
    for runtime in ("opencv", "litert"):
        detector, marker, iris = _models(runtime)
        assert {detector.model.runtime, marker.model.runtime, iris.model.runtime} == {runtime}
        faces = detector.detect(rgb, 40.0)  # the dense pyramid: inputs other than 128x128
        face = max(faces, key=lambda f: f.w * f.h)
        marks = marker.landmarks(rgb, face, refine=0)
        got[runtime] = (face, marks, iris.irises(rgb, marks.points))
    (fa, ma, ia), (fb, mb, ib) = got["opencv"], got["litert"]
    box_a, box_b = np.array([fa.x, fa.y, fa.w, fa.h]), np.array([fb.x, fb.y, fb.w, fb.h])
    assert np.abs(box_a - box_b).max() < 1e-3 and abs(fa.score - fb.score) < 1e-4
    assert ma.presence > 0.99 and abs(ma.presence - mb.presence) < 1e-4
    assert np.abs(ma.points - mb.points).max() < 0.01
    assert np.abs(ia - ib).max() < 0.05


@needs_litert
def test_env_var_forces_opencv(monkeypatch):
    monkeypatch.setenv(tflite_runtime.ENV, "opencv")
    assert tflite_runtime.choose_runtime() == "opencv"
    assert tflite_runtime.choose_runtime("litert") == "litert"  # an explicit request wins
    monkeypatch.setenv(tflite_runtime.ENV, "tpu")
    with pytest.raises(ModelError, match="Unknown TFLite runtime 'tpu'"):
        tflite_runtime.choose_runtime()


def test_without_litert_the_models_run_on_opencv_and_say_so(no_litert, caplog):
    from facial_affect_addon.ml.faces import FaceAnalyzer

    caplog.set_level("INFO", logger=tflite_runtime.__name__)
    analyzer = FaceAnalyzer()
    assert "LiteRT unavailable" in caplog.text
    assert analyzer._landmarker.model.runtime == "opencv"
    assert analyzer.description.endswith("(OpenCV dnn)")
    face = analyzer.analyze(astronaut_rgb())
    assert face is not None and face.landmarks is not None


@needs_litert
def test_damaged_model_is_one_line_model_error_on_litert(tmp_path):
    import shutil

    from facial_affect_addon.ml.face_models import FaceLandmarker

    bad = tmp_path / "face_landmark.tflite"
    bad.write_bytes(np.random.default_rng(0).bytes(1000))
    shutil.copy(model_path("face_landmark.json"), bad.with_suffix(".json"))
    with pytest.raises(ModelError) as exc:
        FaceLandmarker(bad, runtime="litert")
    msg = str(exc.value)
    assert "\n" not in msg and "face_landmark.tflite" in msg and "make setup" in msg


@needs_litert
def test_litert_keeps_a_bounded_number_of_input_shapes():
    model = tflite_runtime.TFLiteModel(model_path("face_detection_short_range.tflite"), "litert")
    sizes = [(64 + 16 * k, 128) for k in range(tflite_runtime.MAX_SHAPES + 5)]
    for h, w in sizes:
        outs = model.run(np.zeros((1, h, w, 3), np.float32))
        assert outs["classificators"].size > 0
    assert len(model._slots) == tflite_runtime.MAX_SHAPES
    assert (1, *sizes[-1], 3) in model._slots  # the newest stay, the oldest went
    assert (1, *sizes[0], 3) not in model._slots
