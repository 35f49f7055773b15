"""Hostile files through the real import operator (issue 13), and the user's keys on import.

A hostile file gives one ERROR report of one line (no traceback) and leaves the scene exactly
as it was; an unexpected exception is an "internal error" naming the log that holds the
traceback; importing and clearing never touch keys the user made.
"""

from __future__ import annotations

import csv
import json

import bpy
import pytest

from facial_affect_addon.blender import bake

from .helpers import fcurve_for, scene_fingerprint
from .ui_fixtures import *  # noqa: F403 - fixtures

HEADER = "Timecode,BlendShapeCount,JawOpen,MouthSmileLeft"
GOOD_CSV = HEADER + "\n" + "\n".join(f"00:00:00:{i:02d}.000,2,0.{i},0.5" for i in range(8)) + "\n"


def _curves_doc(**changes) -> dict:
    doc = {"schema_version": 1, "kind": "curves", "frame_start": 1, "fps": 24.0,
           "channels": {"jawOpen": [0.0, 0.5, 1.0]}, "warnings": []}  # fmt: skip
    doc.update(changes)
    return doc


HOSTILE = {
    "utf16.csv": GOOD_CSV.encode("utf-16"),
    "latin1.csv": (GOOD_CSV + "00:00:00:09.000,2,0.1,0.2,café\n").encode("latin-1"),
    "field.csv": (GOOD_CSV + "00:00:00:09.000,2," + "9" * (csv.field_size_limit() + 1)).encode(),
    "future.csv": (HEADER + "\n00:00:00:00.000,2,0,0\n99:59:59:59.000,2,1,1\n").encode(),
    "nan_start.json": json.dumps(_curves_doc()).replace(": 1,", ": NaN,", 1).encode(),
    "inf_start.json": json.dumps(_curves_doc()).replace(": 1,", ": 1e999,", 1).encode(),
    "inf_fps.json": json.dumps(_curves_doc()).replace(": 24.0", ": -1e999", 1).encode(),
    "tiny_fps.json": json.dumps(_curves_doc(fps=1e-9)).encode(),
    "wrong_type.json": json.dumps(_curves_doc(channels={"jawOpen": "0,1"})).encode(),
    "deep.json": b"[" * 10_000 + b"]" * 10_000,
    "garbage.json": bytes(range(256)) * 4,
    "empty.csv": b"",
}


def _user_keys(face):
    """Key the user's own jawOpen animation (frames 1 and 20) and return its action."""
    kb = face.data.shape_keys.key_blocks["jawOpen"]
    for frame, value in ((1, 0.2), (20, 0.9)):
        kb.value = value
        kb.keyframe_insert("value", frame=frame)
    return face.data.shape_keys.animation_data.action


def _keys_of(action) -> list[tuple]:
    return [
        (fc.data_path, tuple(tuple(k.co) for k in fc.keyframe_points))
        for bag in (s.channelbags[0] for layer in action.layers for s in layer.strips)
        for fc in bag.fcurves
    ]


def _one_line_error(call) -> str:
    with pytest.raises(RuntimeError) as info:
        call()
    message = str(info.value).strip()
    assert "\n" not in message, message
    assert "Traceback" not in message and 'File "' not in message, message
    return message


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_file_gives_one_line_and_changes_nothing(face, tmp_path, name):
    user = _user_keys(face)
    keys_before = _keys_of(user)
    path = tmp_path / name
    path.write_bytes(HOSTILE[name])
    before = scene_fingerprint()
    message = _one_line_error(lambda: bpy.ops.faceaff.import_curves(filepath=str(path)))
    assert name in message and "internal error" not in message
    assert scene_fingerprint() == before
    assert face.data.shape_keys.animation_data.action == user
    assert _keys_of(user) == keys_before


def test_import_of_a_folder_or_missing_file_is_one_line(face, tmp_path):
    before = scene_fingerprint()
    assert "not a file" in _one_line_error(
        lambda: bpy.ops.faceaff.import_curves(filepath=str(tmp_path))
    )
    _one_line_error(lambda: bpy.ops.faceaff.import_curves(filepath=str(tmp_path / "none.csv")))
    assert scene_fingerprint() == before


def test_unexpected_error_is_an_internal_error_with_a_log(face, tmp_path, monkeypatch):
    monkeypatch.setenv("FACIAL_AFFECT_LOG_DIR", str(tmp_path / "logs"))

    def broken(*_args, **_kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(bake, "write_fcurve", broken)  # fails after the take's action exists
    path = tmp_path / "good.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    before = scene_fingerprint()
    message = _one_line_error(lambda: bpy.ops.faceaff.import_curves(filepath=str(path)))
    log = tmp_path / "logs" / "facial_affect_errors.log"
    assert "internal error: ZeroDivisionError: boom" in message and str(log) in message
    assert "Traceback" in log.read_text(encoding="utf-8")
    assert scene_fingerprint() == before  # the half-made take was removed


def test_import_and_clear_keep_the_users_keys(face, tmp_path):
    user = _user_keys(face)
    spare = bpy.data.actions.new("UserSpare")  # another action of the user's, not assigned
    spare.use_fake_user = True
    keys_before = _keys_of(user)
    path = tmp_path / "take.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    settings = bpy.context.scene.faceaff
    settings.take_name = "Imported"
    assert bpy.ops.faceaff.import_curves(filepath=str(path)) == {"FINISHED"}
    take = bake.list_takes(face)[-1]
    take_name = take.name
    assert face.data.shape_keys.animation_data.action == take
    assert fcurve_for(take, "jawOpen") is not None
    assert _keys_of(user) == keys_before and user.name in bpy.data.actions
    assert "UserSpare" in bpy.data.actions
    assert bpy.ops.faceaff.clear_take() == {"FINISHED"}
    assert take_name not in bpy.data.actions
    assert face.data.shape_keys.animation_data.action == user
    assert _keys_of(user) == keys_before and "UserSpare" in bpy.data.actions


def test_bug_while_applying_a_job_result_is_an_internal_error(face, tmp_path, monkeypatch):
    from facial_affect_addon.blender import jobs

    from . import ui_fixtures as ui

    monkeypatch.setenv("FACIAL_AFFECT_LOG_DIR", str(tmp_path))

    def on_done(_result):
        raise KeyError("applying")

    jobs.start_job("test", "Test job", lambda *_: 1, scene=bpy.context.scene, on_done=on_done)
    ui.drain_until_idle()
    settings = bpy.context.scene.faceaff
    assert settings.job_error and not settings.job_running
    assert settings.job_status.startswith("Test job failed: internal error: KeyError")
    assert "details in" in settings.job_status and "\n" not in settings.job_status
    assert "Traceback" in (tmp_path / "facial_affect_errors.log").read_text(encoding="utf-8")


def test_export_to_a_path_that_cannot_be_written_is_one_line(face, tmp_path):
    settings = bpy.context.scene.faceaff
    settings.duration = 2.0
    assert bpy.ops.faceaff.bake() == {"FINISHED"}
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x", encoding="utf-8")
    for target in (blocker / "out.json", tmp_path):
        message = _one_line_error(lambda t=target: bpy.ops.faceaff.export_curves(filepath=str(t)))
        assert "internal error" not in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not_a_folder"]
    path = tmp_path / "take.csv"
    assert bpy.ops.faceaff.export_curves(filepath=str(path)) == {"FINISHED"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not_a_folder", "take.csv"]


def test_a_take_too_long_at_the_scene_rate_is_refused_before_baking(face, tmp_path):
    path = tmp_path / "slow.json"
    path.write_text(json.dumps(_curves_doc(fps=1.0, channels={"jawOpen": [0.5] * 14_000})))
    bpy.context.scene.render.fps = 1000  # 14,000 s at 1,000 fps: 14 million frames
    before = scene_fingerprint()
    message = _one_line_error(lambda: bpy.ops.faceaff.import_curves(filepath=str(path)))
    assert "slow.json" in message and "1,000,000 frames" in message
    assert scene_fingerprint() == before
