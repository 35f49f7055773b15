"""Authored micro-expressions baked in real Blender peak where they were asked (± 1 frame).

Three front ends: the CLI's ``--micro-at``, a micro-expression timeline file (``--micro-file``,
baked with ``--sparse``: a 60 ms burst must survive sparse key reduction) and the panel's list
of bursts (add/remove operators, Bake).
"""

from __future__ import annotations

import json

import bpy
import numpy as np
import pytest

from facial_affect_addon.blender import bake

from .helpers import evaluate, fcurve_for, run_cli
from .ui_fixtures import *  # noqa: F403


def _open(blend):
    bpy.ops.wm.open_mainfile(filepath=str(blend))
    head = bpy.data.objects["DemoHead"]
    scene = bpy.context.scene
    return head.data.shape_keys.animation_data.action, scene.render.fps / scene.render.fps_base


def _peak(fcurve, frame: float, reach: int = 8) -> tuple[int, float, float]:
    """(peak frame, peak value, value ``reach`` frames before) around ``frame``."""
    frames = np.arange(round(frame) - reach, round(frame) + reach + 1)
    values = evaluate(fcurve, frames)
    i = int(np.argmax(values))
    return int(frames[i]), float(values[i]), float(values[0])


def _assert_peaks_at(fcurve, seconds: float, fps: float, start: int = 1) -> float:
    asked = start + seconds * fps
    frame, value, before = _peak(fcurve, asked)
    assert abs(frame - asked) <= 1, (frame, asked)
    assert value - before > 0.2, (value, before)
    return value


def test_cli_micro_at_bakes_bursts_that_peak_where_asked(tmp_path, clean_scene):
    blend, out = tmp_path / "m.blend", tmp_path / "m.json"
    done = run_cli(
        "emotion", "neutral", "--duration", "3", "--no-life",
        "--micro-at", "1.25:AU12:0.8:120ms",
        "--micro-at", "2.0:surprise:0.7",
        "--bake", str(blend), "--json", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    take, fps = _open(blend)
    smile = _assert_peaks_at(fcurve_for(take, "mouthSmileLeft"), 1.25, fps)
    assert smile == pytest.approx(0.8, abs=0.05)
    _assert_peaks_at(fcurve_for(take, "browInnerUp"), 2.0, fps)
    _assert_peaks_at(fcurve_for(take, "jawOpen"), 2.0, fps)
    records = json.loads(out.read_text())["micro_expressions"]
    assert [r["apex"] for r in records] == pytest.approx([1.25, 2.0])
    assert records[0]["offset"] - records[0]["onset"] == pytest.approx(0.12)
    assert {"AU6", "AU12"} <= set(records[0]["aus"])  # AU12 completed with AU6
    assert records[1]["emotion"] == "surprise" and records[1]["confidence"] == 1.0
    assert records[0]["keys"]["mouthSmileLeft"] == pytest.approx(0.8)


def test_cli_bad_micro_at_is_one_line_and_writes_nothing(tmp_path):
    blend, out = tmp_path / "m.blend", tmp_path / "m.json"
    done = run_cli(
        "emotion", "neutral", "--micro-at", "1.0:fear:0.4:900ms",
        "--bake", str(blend), "--json", str(out),
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip() == "error: A micro-expression lasts 40-500 ms, got 900 ms."
    assert not blend.exists() and not out.exists()


def test_micro_file_sparse_bake_keeps_a_60_ms_burst(tmp_path, clean_scene):
    path = tmp_path / "bursts.json"
    path.write_text(
        json.dumps(
            {
                "schema_version": 1,
                "kind": "micro_expressions",
                "bursts": [
                    {"time": 1.5, "emotion": "fear", "intensity": 0.9, "duration_ms": 60},
                    {"time": 3.0, "aus": ["AU12R"], "intensity": 0.6, "complete": False},
                ],
            }
        ),
        encoding="utf-8",
    )
    blend, out = tmp_path / "f.blend", tmp_path / "f.json"
    done = run_cli(
        "emotion", "happiness", "--duration", "4", "--no-life", "--sparse",
        "--micro-file", str(path), "--bake", str(blend), "--json", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    take, fps = _open(blend)
    brow = fcurve_for(take, "browInnerUp")
    assert len(brow.keyframe_points) < 4 * fps / 4  # sparse: far fewer keys than frames
    assert _assert_peaks_at(brow, 1.5, fps) == pytest.approx(0.9, abs=0.05)
    right = fcurve_for(take, "mouthSmileRight")
    left = fcurve_for(take, "mouthSmileLeft")
    frame = 1 + 3.0 * fps
    # A one-sided AU12 burst on a held smile: the right corner rises above the left there.
    assert right.evaluate(frame) - left.evaluate(frame) > 0.02
    doc = json.loads(out.read_text())
    assert [r["apex"] for r in doc["micro_expressions"]] == pytest.approx([1.5, 3.0])


def test_bad_micro_file_is_one_line_and_writes_nothing(tmp_path):
    path = tmp_path / "bursts.json"
    path.write_text('{"schema_version": 1, "kind": "micro_expressions", "bursts": [{}]}')
    out = tmp_path / "f.json"
    done = run_cli("emotion", "fear", "--micro-file", str(path), "--json", str(out))
    assert done.returncode == 2
    assert done.stderr.strip() == ("error: Micro-expression burst 0 is missing the field 'time'.")
    assert not out.exists()


def test_panel_bursts_bake_where_asked(face):
    scene = bpy.context.scene
    settings = scene.faceaff
    settings.emotion, settings.duration, settings.life = "neutral", 3.0, False
    scene.frame_current = 31  # 1.25 s at 24 fps from frame 1
    assert bpy.ops.faceaff.micro_add(shows="AUS") == {"FINISHED"}
    row = settings.micro_bursts[0]
    assert row.time == pytest.approx(1.25)
    row.aus, row.intensity, row.duration_ms = "AU12", 0.8, 80.0
    assert bpy.ops.faceaff.micro_add() == {"FINISHED"}
    second = settings.micro_bursts[1]
    second.time, second.emotion, second.intensity = 2.2, "surprise", 0.9
    assert settings.micro_index == 1
    assert bpy.ops.faceaff.bake() == {"FINISHED"}
    take = bake.list_takes(face)[0]
    fps = scene.render.fps / scene.render.fps_base
    assert _assert_peaks_at(fcurve_for(take, "mouthSmileLeft"), 1.25, fps) == pytest.approx(
        0.8, abs=0.05
    )
    _assert_peaks_at(fcurve_for(take, "browInnerUp"), 2.2, fps)


def test_panel_bad_burst_is_one_report_and_bakes_nothing(face):
    settings = bpy.context.scene.faceaff
    settings.emotion = "neutral"
    bpy.ops.faceaff.micro_add()
    bpy.ops.faceaff.micro_add(shows="AUS")
    settings.micro_bursts[1].aus = "AU1+AU99"
    with pytest.raises(RuntimeError) as err:
        bpy.ops.faceaff.bake()
    message = str(err.value)
    assert "Micro-expression 2 (AU1+AU99): Unknown AU 'AU99'" in message
    assert "Traceback" not in message
    assert bake.list_takes(face) == []
    settings.micro_bursts[1].aus = "AU1+AU2"
    settings.micro_bursts[0].time = 0.01  # a 200 ms burst peaking here would start before 0 s
    with pytest.raises(RuntimeError, match=r"Micro-expression 1 \(Fear\): .*start before 0 s"):
        bpy.ops.faceaff.bake()


def test_panel_remove_and_undo_flags(face):
    settings = bpy.context.scene.faceaff
    assert not bpy.ops.faceaff.micro_remove.poll()
    bpy.ops.faceaff.micro_add()
    bpy.ops.faceaff.micro_add(shows="AUS")
    settings.micro_index = 0
    assert bpy.ops.faceaff.micro_remove() == {"FINISHED"}
    assert [r.shows for r in settings.micro_bursts] == ["AUS"]
    assert bpy.ops.faceaff.micro_remove() == {"FINISHED"}
    assert len(settings.micro_bursts) == 0
    assert not bpy.ops.faceaff.micro_remove.poll()
    for op in (bpy.types.FACEAFF_OT_micro_add, bpy.types.FACEAFF_OT_micro_remove):
        assert "UNDO" in op.bl_options


def test_scatter_still_places_random_bursts(face):
    settings = bpy.context.scene.faceaff
    settings.emotion, settings.duration, settings.life = "neutral", 120.0, False
    settings.micro, settings.seed = True, 3
    options = settings.performance_options(bpy.context.scene)
    assert options.synthesis.micro is True and options.synthesis.micro_bursts == ()
    assert bpy.ops.faceaff.bake() == {"FINISHED"}
    take = bake.list_takes(face)[0]
    bag = take.layers[0].strips[0].channelbag(take.slots[0])
    peak = max(max(k.co[1] for k in fc.keyframe_points) for fc in bag.fcurves)
    assert peak > 0.05  # a neutral face moves only through the scattered bursts
