"""Live preview: modal() driven with stand-in TIMER/ESC events, queue drained directly."""

from __future__ import annotations

import time

import bpy
import pytest

from facial_affect_addon.blender import bake, preview

from . import ui_fixtures as ui
from .helpers import scene_fingerprint
from .ui_fixtures import *  # noqa: F403 - fixtures

SCRIPT = ("[happiness] Hello there, how lovely to see you!", "[anger] Get out of my house.")


def _start(settings, lines=SCRIPT, record=False):
    text = bpy.data.texts.get("live") or bpy.data.texts.new("live")
    text.clear()
    text.write("\n".join(lines))
    settings.text_block = text
    settings.live_source = "SCRIPT"
    settings.live_record = record
    assert bpy.ops.faceaff.live_preview() == {"RUNNING_MODAL"}
    op = preview.active_preview()
    assert op is not None and settings.live_running
    return op


def _wait_events(op, n: int, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    got = 0
    while got < n:
        got += op.session.drain()
        assert time.monotonic() < deadline, "the script feeder sent no events"
        time.sleep(0.01)


def test_timer_ticks_move_the_face_and_esc_restores_it(face):
    settings = bpy.context.scene.faceaff
    blocks = face.data.shape_keys.key_blocks
    blocks["jawOpen"].value = 0.25  # the user's own pose must come back
    blocks["mouthSmileLeft"].value = 0.1
    original = {kb.name: kb.value for kb in blocks}
    op = _start(settings)
    _wait_events(op, 2)
    assert op.modal(bpy.context, ui.FakeEvent("TIMER")) == {"RUNNING_MODAL"}  # real-time dt
    for _ in range(30):  # 1.5 s of preview, in fixed steps
        assert op.tick(bpy.context, 0.05) == {"RUNNING_MODAL"}
    assert blocks["mouthSmileLeft"].value > 0.3  # the happy line is showing
    assert op.modal(bpy.context, ui.FakeEvent("MOUSEMOVE")) == {"PASS_THROUGH"}
    assert op.modal(bpy.context, ui.FakeEvent("ESC")) == {"CANCELLED"}
    assert {kb.name: kb.value for kb in blocks} == pytest.approx(original)
    assert not settings.live_running and preview.active_preview() is None
    assert bake.list_takes(face) == []


def test_right_click_stops_too_and_script_end_finishes(face):
    settings = bpy.context.scene.faceaff
    blocks = face.data.shape_keys.key_blocks
    original = [kb.value for kb in blocks]
    op = _start(settings, lines=("[surprise] Oh!",))
    _wait_events(op, 1)
    op.tick(bpy.context, 0.5)
    assert [kb.value for kb in blocks] != original
    assert op.modal(bpy.context, ui.FakeEvent("RIGHTMOUSE")) == {"CANCELLED"}
    assert [kb.value for kb in blocks] == original
    op = _start(settings, lines=("[surprise] Oh!",))
    _wait_events(op, 1)
    deadline = time.monotonic() + 10
    result = {"RUNNING_MODAL"}
    while result == {"RUNNING_MODAL"}:  # the script plays out and the preview ends itself
        op.session.drain()
        result = op.tick(bpy.context, 0.1)
        assert time.monotonic() < deadline
    assert result == {"CANCELLED"} and preview.active_preview() is None


def test_recording_makes_a_new_take(face):
    settings = bpy.context.scene.faceaff
    op = _start(settings, record=True)
    _wait_events(op, 2)
    for _ in range(48):  # 2 s at 24 fps
        op.tick(bpy.context, 1 / 24)
    assert op.modal(bpy.context, ui.FakeEvent("ESC")) == {"FINISHED"}
    takes = bake.list_takes(face)
    assert len(takes) == 1 and takes[0].name.endswith("live")
    assert round(takes[0].frame_range[1]) - round(takes[0].frame_range[0]) >= 46
    assert face.data.shape_keys.animation_data.action == takes[0]


def test_second_preview_and_bad_inputs_are_refused(face):
    settings = bpy.context.scene.faceaff
    settings.text, settings.text_block = "", None
    before = scene_fingerprint()
    with pytest.raises(RuntimeError, match="needs a line"):
        bpy.ops.faceaff.live_preview()  # an ERROR report, not a traceback
    assert scene_fingerprint() == before and preview.active_preview() is None
    op = _start(settings)
    with pytest.raises(RuntimeError, match="already running"):
        bpy.ops.faceaff.live_preview()
    op.modal(bpy.context, ui.FakeEvent("ESC"))


def test_microphone_without_a_device_is_reported(face):
    settings = bpy.context.scene.faceaff
    settings.live_source = "MIC"
    before = scene_fingerprint()
    try:
        with pytest.raises(RuntimeError, match=r"(?i)microphone|sounddevice|PortAudio"):
            bpy.ops.faceaff.live_preview()
    finally:
        op = preview.active_preview()
        if op is not None:  # a machine with a real microphone: just stop it
            op.modal(bpy.context, ui.FakeEvent("ESC"))
            pytest.skip("a microphone is available here")
    assert scene_fingerprint() == before


def test_preview_refuses_objects_without_usable_keys(clean_scene, addon):
    with pytest.raises(RuntimeError, match="Select a mesh"):
        bpy.ops.faceaff.live_preview()
    from .helpers import make_face

    make_face("Odd", ("foo", "bar"))
    clean_scene.faceaff.text = "[happiness] hi"
    before = scene_fingerprint()
    with pytest.raises(RuntimeError, match="matches the ARKit"):
        bpy.ops.faceaff.live_preview()  # rig error, reported
    assert scene_fingerprint() == before


def test_offline_text_model_drives_the_preview(face):
    ui.needs_text_model()
    settings = bpy.context.scene.faceaff
    op = _start(settings, lines=("I am so happy to see you, this is wonderful!",))
    _wait_events(op, 1, timeout_s=60)
    for _ in range(30):
        op.tick(bpy.context, 0.05)
    assert face.data.shape_keys.key_blocks["mouthSmileLeft"].value > 0.2
    op.modal(bpy.context, ui.FakeEvent("ESC"))
