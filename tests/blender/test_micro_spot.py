"""Spotted micro-expressions in real Blender: CLI ``--micro-spot --bake`` and the panel's markers.

The clip is the astronaut photo with one 200 ms brow raise peaking at 1.5 s
(``tests/unit/micro_fixtures.py``), written as an MJPG AVI.
"""

from __future__ import annotations

import json

import bpy
import numpy as np
import pytest

from facial_affect_addon.blender.operators_analysis import FOUND_BURSTS_PROP
from facial_affect_addon.paths import model_path
from tests.unit import micro_fixtures as mf

from . import ui_fixtures as ui
from .helpers import evaluate, fcurve_for, run_cli
from .ui_fixtures import *  # noqa: F403 - fixtures

pytestmark = pytest.mark.skipif(
    not model_path("face_landmark.tflite").is_file(),
    reason="face models missing: run `make setup` (tools/fetch_face_models.py)",
)
APEX_S = 1.5


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    from facial_affect_addon.ml.faces import FaceAnalyzer

    landmarks = FaceAnalyzer().analyze(mf.head_frame()).landmarks
    path = tmp_path_factory.mktemp("spot") / "brows.avi"
    event = mf.Event("brow_raise", APEX_S - 0.1, APEX_S + 0.1)
    return mf.write_event_clip(path, landmarks, [event], 3.0, 30.0)


def _brow_peak(blend):
    bpy.ops.wm.open_mainfile(filepath=str(blend))
    head = bpy.data.objects["DemoHead"]
    scene = bpy.context.scene
    fps = scene.render.fps / scene.render.fps_base
    take = head.data.shape_keys.animation_data.action
    asked = 1 + APEX_S * fps
    frames = np.arange(round(asked) - 10, round(asked) + 11)
    values = evaluate(fcurve_for(take, "browInnerUp"), frames)
    return abs(int(frames[np.argmax(values)]) - asked), float(values.max() - values[0])


@pytest.mark.parametrize("how", ["emotion", "mirror"])
def test_cli_bakes_the_spotted_burst_where_it_was_found(tmp_path, clip, how, clean_scene):
    blend, out = tmp_path / "spot.blend", tmp_path / "spot.json"
    done = run_cli(
        "video", str(clip), "--micro-spot", "--spot-bake", how, "--no-life",
        "--bake", str(blend), "--json", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (burst,) = json.loads(out.read_text())["micro_expressions"]
    assert burst["apex"] == pytest.approx(APEX_S, abs=0.05) and burst["emotion"] == "surprise"
    off_by, rise = _brow_peak(blend)
    assert off_by <= 1 and rise > 0.1, (off_by, rise)


def test_panel_spot_checkbox_puts_markers_on_the_timeline(face, clip):
    scene = bpy.context.scene
    settings = scene.faceaff
    scene.timeline_markers.new("micro old 0.50", frame=99)
    scene.timeline_markers.new("shot 3", frame=5)
    settings.input_source = "VIDEO"
    settings.video_path = str(clip)
    settings.video_drive = "EMOTION"
    settings.video_micro_spot = True
    assert bpy.ops.faceaff.analyze() == {"FINISHED"}
    ui.drain_until_idle(timeout_s=240)
    assert not settings.job_error, settings.job_status
    fps = scene.render.fps / scene.render.fps_base
    markers = {m.name: m.frame for m in scene.timeline_markers}
    (name,) = [n for n in markers if n.startswith("micro ")]
    assert name.startswith("micro surprise ") and 0 < float(name.split()[-1]) <= 1
    assert abs(markers[name] - (settings.frame_start + APEX_S * fps)) <= 1
    assert markers["shot 3"] == 5  # the user's own markers stay
    # Add Found Bursts to Bake: the found burst becomes a row, sized as the spot found it.
    assert FOUND_BURSTS_PROP in scene
    assert bpy.ops.faceaff.micro_add_found() == {"FINISHED"}
    (row,) = settings.micro_bursts
    assert row.shows == "EMOTION" and row.emotion == "surprise"
    assert abs(row.time - APEX_S) <= 1.5 / fps and 40 <= row.duration_ms <= 500
    assert 0.1 <= row.intensity <= 1.0
