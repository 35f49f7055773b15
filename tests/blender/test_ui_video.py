"""Video input in the panel, in real Blender: emotion or mirror (landmark capture), then Bake."""

from __future__ import annotations

import json

import bpy
import numpy as np
import pytest

from facial_affect_addon.blender import bake
from facial_affect_addon.blender.operators_analysis import store_performance
from facial_affect_addon.core.formats import capture_from_dict
from facial_affect_addon.paths import model_path
from facial_affect_addon.pipeline.text import performance_from_weights
from tests.unit.video_fixtures import moving_face_frames, write_video

from . import ui_fixtures as ui
from .helpers import evaluate, fcurve_for, scene_fingerprint, stored_doc
from .ui_fixtures import *  # noqa: F403 - fixtures

pytestmark = pytest.mark.skipif(
    not model_path("face_detection_short_range.tflite").is_file(),
    reason="face models missing: run `make setup` (tools/fetch_face_models.py)",
)


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    path = tmp_path_factory.mktemp("video") / "astronaut.avi"
    return write_video(path, moving_face_frames(8), fps=4.0)


def _analyze(settings, video, drive):
    settings.input_source = "VIDEO"
    settings.video_path = str(video)
    settings.video_drive = drive
    settings.video_sample_fps = 2.0
    assert bpy.ops.faceaff.analyze() == {"FINISHED"}
    ui.drain_until_idle(timeout_s=120)
    assert not settings.job_error, settings.job_status
    return stored_doc(settings)


def test_video_emotion_analysis_bakes_a_smile(face, video):
    settings = bpy.context.scene.faceaff
    doc = _analyze(settings, video, "EMOTION")
    assert doc["kind"] == "video" and doc["dominant"] == "happiness"
    assert len(doc["capture"]["times"]) == 4  # Emotion reads 2 frames per second
    assert "not measured by this project" in settings.analysis_models
    assert bpy.ops.faceaff.bake() == {"FINISHED"}
    take = bake.list_takes(face)[0]
    smile = evaluate(fcurve_for(take, "mouthSmileLeft"), range(1, 49))
    assert smile[0] < 0.05 and smile.max() > 0.3


def test_video_mirror_bakes_the_captured_expression(face, video):
    settings = bpy.context.scene.faceaff
    doc = _analyze(settings, video, "MIRROR")
    capture = capture_from_dict(doc["capture"])
    assert len(capture.times) == 8  # Mirror reads every frame
    assert bpy.ops.faceaff.bake() == {"FINISHED"}
    take = bake.list_takes(face)[0]
    frames = np.arange(1, 48)
    for key in ("mouthSmileLeft", "jawOpen", "browInnerUp", "cheekSquintLeft"):
        expected = np.interp((frames - 1) / 24.0, capture.times, capture.curve(key))
        np.testing.assert_allclose(evaluate(fcurve_for(take, key), frames), expected, atol=1e-3)


def test_mirror_of_an_analysis_without_capture_is_refused(face):
    settings = bpy.context.scene.faceaff
    store_performance(settings, performance_from_weights({"happiness": 1.0}, 2.0))
    settings.input_source, settings.video_drive = "VIDEO", "MIRROR"
    before = scene_fingerprint()
    with pytest.raises(RuntimeError, match="no landmark capture"):
        bpy.ops.faceaff.bake()
    assert scene_fingerprint() == before and bake.list_takes(face) == []


def test_missing_video_fails_in_the_job_and_changes_nothing(face):
    settings = bpy.context.scene.faceaff
    settings.input_source, settings.video_path = "VIDEO", "/nonexistent/clip.mp4"
    before = scene_fingerprint()
    assert bpy.ops.faceaff.analyze() == {"FINISHED"}
    ui.drain_until_idle()
    assert settings.job_error and "not found" in settings.job_status
    assert scene_fingerprint() == before and not settings.has_analysis


def test_models_folder_preference_swaps_in_a_retrained_emotion_model(addon_prefs, tmp_path):
    import shutil

    from facial_affect_addon.ml.emotion_runtime import (
        DEFAULT_MODEL,
        TRAINED_MODEL,
        EmotionModel,
        default_model_path,
    )
    from facial_affect_addon.pipeline.models import face_model_note

    shipped = model_path(DEFAULT_MODEL)
    trained = tmp_path / TRAINED_MODEL
    shutil.copy(shipped, trained)  # any valid ONNX classifier with its .json will do
    meta = json.loads(shipped.with_suffix(".json").read_text())
    meta["name"] = "My ResNet18"
    meta["accuracy"] = {"value": 0.61, "dataset": "my val split", "measured_by": "me"}
    trained.with_suffix(".json").write_text(json.dumps(meta))
    try:
        addon_prefs.models_dir = str(tmp_path)
        assert default_model_path() == trained
        assert EmotionModel().description().startswith("My ResNet18; accuracy 61.0%")
        assert face_model_note() == ("Face: My ResNet18", "accuracy 61.0% on my val split (me)")
        assert model_path("face_landmark.tflite") == shipped.parent / "face_landmark.tflite"
    finally:
        addon_prefs.models_dir = ""
    assert default_model_path() == shipped
    assert "not measured by this project" in face_model_note()[1]


def test_compute_device_preference_reaches_the_runtimes(addon_prefs):
    from facial_affect_addon import compute
    from facial_affect_addon.ml.emotion_runtime import EmotionModel

    try:
        addon_prefs.compute_device = "AUTO"
        assert compute.compute_device() == "AUTO"
        model = EmotionModel()  # this machine has no GPU provider: the CPU still works
        if model.backend == "onnxruntime":
            assert model.net._session.get_providers()[-1] == "CPUExecutionProvider"
    finally:
        addon_prefs.compute_device = "CPU"
    assert compute.compute_device() == "CPU"


def test_mirror_on_a_metahuman_style_rig_goes_through_action_units(clean_scene, addon, video):
    from .helpers import make_face

    names = ("mouthCornerPullL", "mouthCornerPullR", "jawOpen", "browRaiseInL", "eyeBlinkL")
    face = make_face("MH", names)
    settings = clean_scene.faceaff
    settings.target = face
    doc = _analyze(settings, video, "MIRROR")
    assert bpy.ops.faceaff.bake() == {"FINISHED"}
    take = bake.list_takes(face)[0]
    bag = take.layers[0].strips[0].channelbag(take.slots[0])
    keyed = {fc.data_path.split('"')[1] for fc in bag.fcurves}
    assert {"mouthCornerPullL", "mouthCornerPullR", "jawOpen"} <= keyed
    capture = capture_from_dict(doc["capture"])
    jaw = evaluate(fcurve_for(take, "jawOpen"), np.arange(1, 40))
    assert np.all((jaw >= 0) & (jaw <= 1)) and np.isfinite(jaw).all()
    assert len(capture.times) == 8
