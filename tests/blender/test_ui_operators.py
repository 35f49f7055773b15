"""UI operators in real Blender (EXEC_DEFAULT): analyze, bake, takes, curve files, preferences.

A failing operator must leave the file unchanged (``scene_fingerprint``).
"""

from __future__ import annotations

import json

import bpy
import numpy as np
import pytest

from facial_affect_addon.blender import bake, jobs, prefs
from facial_affect_addon.blender.operators_analysis import store_performance
from facial_affect_addon.pipeline.services import api_key
from facial_affect_addon.pipeline.text import performance_from_weights

from . import ui_fixtures as ui
from .helpers import fcurve_for, make_face, scene_fingerprint, stored_doc
from .ui_fixtures import *  # noqa: F403 - fixtures


def _happy(settings, seconds=4.0):
    store_performance(settings, performance_from_weights({"happiness": 1.0}, seconds))


# --- Analyze -----------------------------------------------------------------------------


def test_analyze_poll_explains_empty_text(face):
    bpy.context.scene.faceaff.input_source = "TEXT"
    before = scene_fingerprint()
    with pytest.raises(RuntimeError, match="Type a line"):
        bpy.ops.faceaff.analyze()
    assert scene_fingerprint() == before


def test_webcam_source_points_to_live_preview(face):
    bpy.context.scene.faceaff.input_source = "WEBCAM"
    assert not bpy.ops.faceaff.analyze.poll()
    with pytest.raises(RuntimeError, match="read live by Live Preview"):
        bpy.ops.faceaff.analyze()


def test_microphone_source_points_to_live_preview(face):
    bpy.context.scene.faceaff.input_source = "MIC"
    with pytest.raises(RuntimeError, match="Live Preview"):
        bpy.ops.faceaff.analyze()


def test_analyze_stores_the_result_for_bake(face, quick_analysis):
    settings = bpy.context.scene.faceaff
    settings.text = "anything"
    assert bpy.ops.faceaff.analyze() == {"FINISHED"}
    ui.drain_until_idle()
    assert quick_analysis.started
    assert settings.has_analysis and not settings.job_running and not settings.job_error
    assert {w.name for w in settings.weights} >= {"happiness", "sadness"}
    assert max(settings.weights, key=lambda w: w.value).name == "happiness"
    assert len(settings.segments) == 1
    assert stored_doc(settings)["dominant"] == "happiness"
    assert bpy.ops.faceaff.bake() == {"FINISHED"}
    assert len(bake.list_takes(face)) == 1


def test_analyze_real_text_model(face):
    ui.needs_text_model()
    settings = bpy.context.scene.faceaff
    settings.text = "I am so happy to see you again, this is wonderful!"
    assert bpy.ops.faceaff.analyze() == {"FINISHED"}
    ui.drain_until_idle(timeout_s=60)
    assert not settings.job_error, settings.job_status
    assert settings.transcript.startswith("I am so happy")
    assert max(settings.weights, key=lambda w: w.value).name == "happiness"
    assert "MiniLM" in settings.analysis_models


def test_analyze_missing_audio_reports_error_and_changes_nothing(face):
    settings = bpy.context.scene.faceaff
    settings.input_source = "AUDIO"
    settings.audio_path = "/nonexistent/line.wav"
    before = scene_fingerprint()
    assert bpy.ops.faceaff.analyze() == {"FINISHED"}  # the job starts; it fails in the worker
    ui.drain_until_idle()
    assert settings.job_error and "not found" in settings.job_status
    assert not settings.has_analysis
    assert scene_fingerprint() == before


def test_analyze_and_bake_refuses_missing_target(clean_scene, addon):
    clean_scene.faceaff.text = "hello"
    before = scene_fingerprint()
    with pytest.raises(RuntimeError, match="Select a mesh"):
        bpy.ops.faceaff.analyze(bake_after=True)
    assert scene_fingerprint() == before and not jobs.is_running()


def test_analyze_and_bake_bakes_when_the_job_ends(face, quick_analysis):
    bpy.context.scene.faceaff.text = "anything"
    assert bpy.ops.faceaff.analyze(bake_after=True) == {"FINISHED"}
    ui.drain_until_idle()
    assert len(bake.list_takes(face)) == 1
    assert "Baked take" in bpy.context.scene.faceaff.job_status


def test_clear_analysis(face):
    settings = bpy.context.scene.faceaff
    assert not bpy.ops.faceaff.clear_analysis.poll()
    _happy(settings)
    assert bpy.ops.faceaff.clear_analysis() == {"FINISHED"}
    assert not settings.has_analysis and len(settings.weights) == 0


# --- Bake ----------------------------------------------------------------------------------


def test_bake_preset_when_nothing_analysed(face):
    settings = bpy.context.scene.faceaff
    settings.emotion, settings.duration = "happiness", 2.0
    assert bpy.ops.faceaff.bake() == {"FINISHED"}
    take = bake.list_takes(face)[0]
    assert round(take.frame_range[1]) == 48  # 2 s at 24 fps from frame 1
    values = [fcurve_for(take, "mouthSmileLeft").evaluate(f) for f in range(1, 49)]
    assert max(values) > 0.3


def test_bake_analysed_performance_over_its_length(face):
    settings = bpy.context.scene.faceaff
    _happy(settings, seconds=5.0)
    settings.duration = 1.0  # ignored: length comes from the input
    assert bpy.ops.faceaff.bake() == {"FINISHED"}
    take = bake.list_takes(face)[0]
    assert round(take.frame_range[1]) == 120  # 5 s at 24 fps
    settings.length_from_input = False
    settings.duration = 3.0
    assert bpy.ops.faceaff.bake() == {"FINISHED"}
    assert round(bake.list_takes(face)[1].frame_range[1]) == 72


def test_bake_fails_cleanly(clean_scene, addon):
    before = scene_fingerprint()
    with pytest.raises(RuntimeError, match="Select a mesh"):
        bpy.ops.faceaff.bake()
    mesh = bpy.data.meshes.new("Plain")
    obj = bpy.data.objects.new("Plain", mesh)
    clean_scene.collection.objects.link(obj)
    bpy.context.view_layer.objects.active = obj
    before = scene_fingerprint()
    with pytest.raises(RuntimeError, match="has no shape keys"):
        bpy.ops.faceaff.bake()
    make_face("Odd", ("foo", "bar"))
    before = scene_fingerprint()
    with pytest.raises(RuntimeError, match=r"(?i)shape key|profile|rig"):
        bpy.ops.faceaff.bake()
    assert scene_fingerprint() == before


@pytest.mark.parametrize(
    "text", ["{not json", "faceaff-performance/2;not base64!", "faceaff-performance/2;AAAA"]
)
def test_bake_with_corrupt_analysis_fails_cleanly(face, text):
    bpy.context.scene.faceaff.analysis_data = text
    before = scene_fingerprint()
    with pytest.raises(RuntimeError, match="analyse again"):
        bpy.ops.faceaff.bake()
    assert scene_fingerprint() == before


def test_a_file_from_version_0_1_still_bakes_its_json_analysis(face):
    from facial_affect_addon.pipeline.performance import performance_to_json

    settings = bpy.context.scene.faceaff
    performance = performance_from_weights({"sadness": 1.0}, 2.0)
    settings["analysis_json"] = json.dumps(performance_to_json(performance, with_timeline=True))
    assert settings.has_analysis
    assert bpy.ops.faceaff.bake() == {"FINISHED"}
    assert len(bake.list_takes(face)) == 1
    assert bpy.ops.faceaff.clear_analysis() == {"FINISHED"}
    assert "analysis_json" not in settings and not settings.has_analysis


# --- Takes -----------------------------------------------------------------------------------


def test_takes_can_be_switched_and_deleted(face):
    settings = bpy.context.scene.faceaff
    settings.emotion = "happiness"
    bpy.ops.faceaff.bake()
    settings.emotion = "sadness"
    bpy.ops.faceaff.bake()
    first, second = (a.name for a in bake.list_takes(face))
    anim = face.data.shape_keys.animation_data
    assert anim.action.name == second
    settings.take_index = bpy.data.actions.find(first)
    assert bpy.ops.faceaff.activate_take() == {"FINISHED"}
    assert anim.action.name == first
    assert bpy.ops.faceaff.clear_take(action=second) == {"FINISHED"}
    assert [a.name for a in bake.list_takes(face)] == [first]


def test_activate_take_failure_paths(face):
    with pytest.raises(RuntimeError, match="no baked takes"):
        bpy.ops.faceaff.activate_take()
    bpy.ops.faceaff.bake()
    before = scene_fingerprint()
    with pytest.raises(RuntimeError, match="No take named"):
        bpy.ops.faceaff.activate_take(action="nope")
    bpy.context.scene.faceaff.take_index = -1
    with pytest.raises(RuntimeError, match="Pick a take"):
        bpy.ops.faceaff.activate_take()
    assert scene_fingerprint() == before


def test_takes_list_filters_to_the_target(face):
    from facial_affect_addon.blender.ui_lists import FACEAFF_UL_takes

    bpy.ops.faceaff.bake()
    bpy.data.actions.new("Unrelated")
    stand_in = type("List", (), {"bitflag_filter_item": 1 << 30})()
    flags, order = FACEAFF_UL_takes.filter_items(stand_in, bpy.context, bpy.data, "actions")
    shown = [a.name for a, f in zip(bpy.data.actions, flags, strict=True) if f]
    assert shown == [a.name for a in bake.list_takes(face)] and order == []


# --- Curve files -----------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_export_then_import_round_trips(face, tmp_path, suffix):
    settings = bpy.context.scene.faceaff
    settings.duration = 2.0
    bpy.ops.faceaff.bake()
    original = bake.list_takes(face)[0]
    smile = [fcurve_for(original, "mouthSmileLeft").evaluate(f) for f in range(1, 49)]
    path = tmp_path / f"take{suffix}"
    assert bpy.ops.faceaff.export_curves(filepath=str(path)) == {"FINISHED"}
    assert path.stat().st_size > 100
    settings.take_name = "Imported"
    assert bpy.ops.faceaff.import_curves(filepath=str(path)) == {"FINISHED"}
    imported = bake.list_takes(face)[-1]
    assert imported.name.endswith("Imported")
    again = [fcurve_for(imported, "mouthSmileLeft").evaluate(f) for f in range(1, 49)]
    np.testing.assert_allclose(again, smile, atol=2e-3)


def test_export_needs_an_active_take(face, tmp_path):
    with pytest.raises(RuntimeError, match="no active take"):
        bpy.ops.faceaff.export_curves(filepath=str(tmp_path / "x.json"))


def test_import_bad_file_fails_cleanly(face, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": 1, "kind": "timeline"}')
    before = scene_fingerprint()
    with pytest.raises(RuntimeError, match="curves"):
        bpy.ops.faceaff.import_curves(filepath=str(bad))
    with pytest.raises(RuntimeError, match="Cannot read"):
        bpy.ops.faceaff.import_curves(filepath=str(tmp_path / "missing.csv"))
    assert scene_fingerprint() == before


# --- Preferences -----------------------------------------------------------------------------


def test_api_key_is_a_password_and_stays_out_of_the_scene(face, addon_prefs, monkeypatch):
    rna = prefs.FACEAFF_AP_preferences.bl_rna.properties["llm_api_key"]
    assert rna.subtype == "PASSWORD"
    p = addon_prefs
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    p.llm_api_key = "sk-secret-test"
    try:
        assert api_key(prefs.service_prefs(p)) == "sk-secret-test"
        assert "sk-" not in repr(prefs.service_prefs(p))
        monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
        assert api_key(prefs.service_prefs(p)) == "sk-from-env"  # the environment wins
        settings = bpy.context.scene.faceaff
        for name in settings.bl_rna.properties.keys():  # noqa: SIM118 - RNA collection
            value = getattr(settings, name)
            assert "sk-secret" not in str(value)
        assert "sk-" not in repr(prefs.service_settings())
    finally:
        p.llm_api_key = ""


def test_online_services_fall_back_offline_with_a_notice(face, addon_prefs):
    p = addon_prefs
    p.use_llm, p.stt_engine = True, "openai"
    try:
        services = prefs.service_settings()
        if bpy.app.online_access:
            pytest.skip("online access is enabled in this Blender")
        assert services.llm is None and services.stt_engine == "whisper"
        assert any("Online access is disabled" in n for n in services.notices)
    finally:
        p.use_llm, p.stt_engine = False, "whisper"


def test_preferences_name_what_leaves_the_machine():
    assert "sent to the endpoint" in prefs.NETWORK_STATEMENT
    assert "Nothing else leaves this machine" in prefs.NETWORK_STATEMENT


def test_the_analysis_job_runs_pipeline_code_only(face, quick_analysis, monkeypatch):
    # The worker thread runs the job's work, which must only call the bpy-free pipeline
    # (tests/unit/test_layering.py imports every pipeline module with bpy blocked).
    seen = []
    real = jobs.run_work

    def spy(job_id, work, cancel, post, **kwargs):
        seen.append(work)
        return real(job_id, work, cancel, post, **kwargs)

    monkeypatch.setattr(jobs, "run_work", spy)
    bpy.context.scene.faceaff.text = "anything"
    assert bpy.ops.faceaff.analyze() == {"FINISHED"}
    ui.drain_until_idle()
    assert len(seen) == 1 and quick_analysis.started
    names = set(seen[0].__code__.co_names)
    assert "analyse_and_keep" in names and "bpy" not in names
