"""Score Take (issue 16) in real Blender: the modal render phase is driven with stand-in TIMER and
ESC events (modal operators never get events in background Blender), the judging job is drained
with ``jobs.drain_jobs``; the face model and the report are the real ones.
"""

from __future__ import annotations

import json
from pathlib import Path

import bpy
import pytest

from facial_affect_addon.blender import bake, jobs, operators_score

from . import ui_fixtures as ui
from .helpers import scene_fingerprint
from .ui_fixtures import *  # noqa: F403 - fixtures

pytest.importorskip("cv2")


def _state(scene) -> tuple:
    """What scoring must leave as it was: frame, render settings, camera, active object/action."""
    render, keys = scene.render, bpy.data.objects["DemoHead"].data.shape_keys
    anim = keys.animation_data
    return (
        scene.frame_current,
        render.engine,
        render.resolution_x,
        render.resolution_y,
        render.resolution_percentage,
        render.filepath,
        render.image_settings.file_format,
        scene.camera.name if scene.camera else None,
        bpy.context.view_layer.objects.active.name,
        anim.action.name if anim and anim.action else None,
        len(bpy.data.objects),
        len(bpy.data.cameras),
    )


@pytest.fixture
def baked(addon, demo_head, tmp_path):
    """The demo head saved in tmp_path with a 2 s happiness take, three frames to score."""
    scene = bpy.context.scene
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "head.blend"))
    bpy.context.view_layer.objects.active = demo_head
    settings = scene.faceaff
    settings.target = demo_head
    settings.emotion, settings.duration, settings.life = "happiness", 2.0, False
    settings.take_name = "Happy"
    assert bpy.ops.faceaff.bake_emotion() == {"FINISHED"}
    scene.frame_set(7)
    scene.faceaff_score.frames = 3
    yield demo_head
    jobs.cancel_job()
    ui.drain_until_idle()


def _render_all(max_steps: int = 20):
    op = operators_score.active_scoring()
    assert op is not None
    for _ in range(max_steps):
        result = op.modal(bpy.context, ui.FakeEvent("TIMER"))
        if result == {"FINISHED"}:
            return
        assert result == {"RUNNING_MODAL"}
    pytest.fail("Score Take never finished rendering")


def _report_dir(tmp_path: Path) -> Path:
    return tmp_path / "faceaff_report"


def test_score_take_writes_the_report_and_shows_the_numbers(baked, tmp_path):
    scene = bpy.context.scene
    before = _state(scene)
    assert bpy.ops.faceaff.score_take() == {"RUNNING_MODAL"}
    assert scene.faceaff_score.rendering
    assert operators_score.active_scoring().modal(bpy.context, ui.FakeEvent("MOUSEMOVE")) == {
        "PASS_THROUGH"
    }  # the UI keeps its events while frames render
    _render_all()
    assert _state(scene) == before  # rendering is over: the scene is back as it was
    assert jobs.is_running(operators_score.JOB_KIND)
    ui.drain_until_idle(timeout_s=300)
    score = scene.faceaff_score
    assert score.has_result and not scene.faceaff.job_error, scene.faceaff.job_status
    folder = Path(score.folder)
    assert folder == _report_dir(tmp_path) / "DemoHead_Happy"
    names = {p.name for p in folder.iterdir()}
    assert {"report.json", "report.html"} <= names and any(n.endswith(".png") for n in names)
    assert [p.name for p in _report_dir(tmp_path).iterdir()] == [folder.name]  # no staging left
    doc = json.loads((folder / "report.json").read_text())
    readings = doc["legibility"]["readings"]
    assert len(readings) == 3 and [r["intended"] for r in readings].count("happiness") >= 2
    assert doc["legibility"]["share"] == pytest.approx(score.legibility)
    assert doc["total_energy"] == pytest.approx(score.energy, rel=1e-5) and score.energy > 0
    assert doc["communication"]["score"] == pytest.approx(score.communication, rel=1e-5)
    assert score.communication_label == "heuristic, not learned"
    # the demo head's smile reads as happiness to the face model (measured: 3 of 3 frames)
    assert score.legibility >= 2 / 3
    assert _state(scene) == before


def test_open_report_loads_the_plots(baked, tmp_path):
    # wm.url_open (the HTML page) runs too; background bpy opens no browser, so it is not checked
    bpy.ops.faceaff.score_take()
    _render_all()
    ui.drain_until_idle(timeout_s=300)
    folder = Path(bpy.context.scene.faceaff_score.folder)
    n_images = len(bpy.data.images)
    assert bpy.ops.faceaff.open_report() == {"FINISHED"}
    plots = sorted(folder.glob("*.png"))
    loaded = [i for i in bpy.data.images if Path(bpy.path.abspath(i.filepath)) in plots]
    assert len(loaded) == len(plots) == len(bpy.data.images) - n_images
    assert all(i.size[0] > 0 for i in loaded)  # real pixels, not a missing-file placeholder
    assert bpy.ops.faceaff.open_report() == {"FINISHED"}
    assert len(bpy.data.images) == n_images + len(plots)  # check_existing: no duplicates


def test_esc_while_rendering_writes_nothing_and_restores_the_scene(baked, tmp_path):
    scene = bpy.context.scene
    before, data = _state(scene), scene_fingerprint()
    assert bpy.ops.faceaff.score_take() == {"RUNNING_MODAL"}
    op = operators_score.active_scoring()
    renders = op._renders
    assert op.modal(bpy.context, ui.FakeEvent("TIMER")) == {"RUNNING_MODAL"}  # one frame
    assert any(renders.iterdir())
    assert op.modal(bpy.context, ui.FakeEvent("ESC")) == {"CANCELLED"}
    assert _state(scene) == before and scene_fingerprint() == data
    assert not renders.exists() and not _report_dir(tmp_path).exists()
    assert operators_score.active_scoring() is None and not jobs.is_running()
    assert "cancelled" in scene.faceaff_score.status and not scene.faceaff_score.has_result


def test_cancel_while_judging_writes_nothing(baked, tmp_path):
    scene = bpy.context.scene
    before = _state(scene)
    scene.faceaff_score.frames = 2
    bpy.ops.faceaff.score_take()
    _render_all()
    assert bpy.ops.faceaff.cancel_score() == {"FINISHED"}
    ui.drain_until_idle(timeout_s=120)
    assert "cancelled" in scene.faceaff.job_status
    assert not scene.faceaff_score.has_result
    report = _report_dir(tmp_path)
    assert not report.exists() or not any(report.iterdir())  # no report, no staging folder
    # a cancel that lands after the worker's last check: the next Score Take sweeps it away
    late = tmp_path / "faceaff_report" / ".DemoHead_Happy.partial-late"
    late.mkdir(parents=True)
    operators_score._STAGING.add(late)
    operators_score.sweep_staging()
    assert not late.exists() and not operators_score._STAGING
    assert _state(scene) == before


def test_the_cancel_button_stops_rendering_at_once(baked, tmp_path):
    scene = bpy.context.scene
    scene.camera = None  # the temporary front camera must go too
    before, data = _state(scene), scene_fingerprint()
    assert bpy.ops.faceaff.score_take() == {"RUNNING_MODAL"}
    op = operators_score.active_scoring()
    renders = op._renders
    assert len(bpy.data.cameras) == before[-1] + 1
    assert bpy.ops.faceaff.cancel_score() == {"FINISHED"}
    assert op.modal(bpy.context, ui.FakeEvent("TIMER")) == {"CANCELLED"}  # renders no more
    assert operators_score.active_scoring() is None and not renders.exists()
    assert _state(scene) == before and scene_fingerprint() == data
    assert not _report_dir(tmp_path).exists() and not scene.faceaff_score.rendering


def test_loading_another_file_while_rendering_forgets_the_score(baked):
    from .conftest import reset_scene

    assert bpy.ops.faceaff.score_take() == {"RUNNING_MODAL"}
    renders = operators_score.active_scoring()._renders
    assert renders.is_dir()
    reset_scene()  # load_pre: the scene being scored goes away
    assert operators_score.active_scoring() is None and not renders.exists()
    assert not bpy.ops.faceaff.score_take.poll()  # no target in the new file, nothing stuck


def test_a_take_without_a_stored_performance_is_one_clear_error(baked, tmp_path):
    (take,) = bake.list_takes(baked)
    del take[bake.TAKE_PERFORMANCE]  # as a take recorded live or baked by an older version
    before, data = _state(bpy.context.scene), scene_fingerprint()
    with pytest.raises(RuntimeError, match="keeps no performance") as error:
        bpy.ops.faceaff.score_take()
    assert len(str(error.value).strip().splitlines()) == 1
    assert operators_score.active_scoring() is None and not jobs.is_running()
    assert _state(bpy.context.scene) == before and scene_fingerprint() == data
    assert not _report_dir(tmp_path).exists()


def test_without_a_scene_camera_a_temporary_front_camera_sees_the_face(baked, tmp_path):
    from facial_affect_addon.blender.report_take import (
        TakeRenderer,
        plan_frames,
        take_performance,
    )
    from facial_affect_addon.pipeline.take_judge import judge_frames

    scene = bpy.context.scene
    scene.camera = None  # as after Add Demo Head in a new file
    before, data = _state(scene), scene_fingerprint()
    (take,) = bake.list_takes(baked)
    plan = plan_frames(take, take_performance(take), 24.0, 2)
    renderer = TakeRenderer(scene, baked, take, plan, tmp_path / "renders")
    try:
        assert scene.camera is not None and scene.camera.data.type == "ORTHO"
        while not renderer.done:
            renderer.render_next()
    finally:
        renderer.restore()
    assert _state(scene) == before and scene_fingerprint() == data
    legibility = judge_frames(renderer.rendered)
    assert all(r.predicted for r in legibility.readings)  # a face was found on every render
    assert "happiness" in [r.intended for r in legibility.readings]
