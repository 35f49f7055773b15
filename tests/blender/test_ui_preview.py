"""Live preview: modal() driven with stand-in TIMER/ESC events, queue drained directly."""

from __future__ import annotations

import time

import bpy
import numpy as np
import pytest

from facial_affect_addon.blender import bake, preview
from facial_affect_addon.paths import model_path

from . import ui_fixtures as ui
from .helpers import evaluate, fcurve_for, scene_fingerprint
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
    with pytest.raises(RuntimeError, match="maps to a face channel"):
        bpy.ops.faceaff.live_preview()  # the rig error the bake gives, reported
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


# --- webcam source (video files stand in for a camera) ---------------------------------------

needs_face_models = pytest.mark.skipif(
    not model_path("face_detection_short_range.tflite").is_file(),
    reason="face models missing: run `make setup` (tools/fetch_face_models.py)",
)
CLIP_FPS = 10.0


def _canvas(head):
    canvas = np.full((480, 640, 3), 90, np.uint8)
    canvas[90:390, 170:470] = head
    return canvas


def _mouth_warp(rgb, marks, lift_px: float, widen_px: float, iod: float):
    """The frame with the mouth corners bent up (``lift_px`` < 0: down) and pulled outwards
    (``widen_px`` < 0: inwards), the lips' middle left in place: a wider or fainter smile."""
    import cv2

    h, w = rgb.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    right, left = marks[61, :2], marks[291, :2]
    centre, half = (right + left) / 2, float(np.linalg.norm(left - right)) / 2
    u = (xx - centre[0]) / half  # -1 and 1 at the corners
    reach = np.exp(-((yy - centre[1]) ** 2) / (2 * (0.3 * iod) ** 2) - (np.abs(u) / 1.6) ** 4)
    dy = lift_px * np.clip(np.abs(u), 0, 1.2) ** 2 * reach  # content at y + dy shows at y
    dx = -widen_px * np.clip(u, -1.2, 1.2) * reach
    return cv2.remap(
        rgb, xx + dx, yy + dy.astype(np.float32), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """Videos written from the astronaut photo: a smiling face that then leaves the view, and
    a faint smile (the mouth corners warped down and in: calibration) that widens into the
    photo's full smile."""
    from facial_affect_addon.ml.faces import FaceAnalyzer

    from ..unit.video_fixtures import astronaut_rgb, write_video

    folder = tmp_path_factory.mktemp("webcam")
    face = _canvas(astronaut_rgb()[0:300, 80:380])
    blank = np.full_like(face, 90)
    emotion = [np.roll(face, int(3 * np.sin(i / 3)), axis=1) for i in range(25)] + [blank] * 15
    marks = FaceAnalyzer().analyze(face).landmarks
    iod = float(np.linalg.norm(marks[[263, 362], :2].mean(0) - marks[[33, 133], :2].mean(0)))
    faint = [_mouth_warp(face, marks, -8.0 * k, -4.0 * k, iod) for k in (1.0, 0.66, 0.33)]
    mirror = [faint[0]] * 15 + faint + [face] * 17
    return {
        "emotion": write_video(folder / "emotion.avi", emotion, CLIP_FPS),
        "mirror": write_video(folder / "mirror.avi", mirror, CLIP_FPS),
    }


def _start_webcam(settings, camera, mode="EMOTION", record=False):
    settings.live_source = "WEBCAM"
    settings.live_camera = str(camera)
    settings.live_face_mode = mode
    settings.live_record = record
    assert bpy.ops.faceaff.live_preview() == {"RUNNING_MODAL"}
    op = preview.active_preview()
    assert op is not None and settings.live_running
    return op


class _Watch:
    """Ticks a running preview in (roughly) real time and remembers what the session showed."""

    def __init__(self, op):
        self.op = op
        self.texts: list[str] = []
        self.warnings: list[str] = []
        self.result = {"RUNNING_MODAL"}

    def step(self, dt: float = 0.05):
        session = self.op.session
        session.drain()  # tick drains too; draining here lets the test see the warnings
        if session.error:
            self.warnings.append(session.error)
        result = self.op.tick(bpy.context, dt)
        if not self.texts or self.texts[-1] != session.text:
            self.texts.append(session.text)
        time.sleep(dt)
        self.result = result
        return result

    def until(self, done, timeout_s: float = 15.0, what: str = "") -> None:
        deadline = time.monotonic() + timeout_s
        while not done():
            assert self.step() == {"RUNNING_MODAL"}, f"the preview ended before {what}"
            assert time.monotonic() < deadline, f"timed out waiting for {what}"


def _assert_stopped(op, blocks, original):
    assert {kb.name: kb.value for kb in blocks} == pytest.approx(original)
    assert not bpy.context.scene.faceaff.live_running and preview.active_preview() is None
    assert not op.session.feeder.running  # both threads ended, the camera/file released


@needs_face_models
def test_webcam_that_is_not_there_is_reported_and_changes_nothing(face):
    settings = bpy.context.scene.faceaff
    values = [kb.value for kb in face.data.shape_keys.key_blocks]
    before = scene_fingerprint()
    for camera, message in (("97", "No camera at index 97"), ("//no/such.avi", "not found")):
        settings.live_source, settings.live_camera = "WEBCAM", camera
        with pytest.raises(RuntimeError, match=message):
            bpy.ops.faceaff.live_preview()
        assert scene_fingerprint() == before and preview.active_preview() is None
        assert not settings.live_running
        assert [kb.value for kb in face.data.shape_keys.key_blocks] == values


def test_missing_face_models_are_reported_not_raised(face, monkeypatch, tmp_path):
    monkeypatch.setenv("FACIAL_AFFECT_MODELS", str(tmp_path))  # an empty models folder
    settings = bpy.context.scene.faceaff
    settings.live_source, settings.live_camera = "WEBCAM", "0"
    before = scene_fingerprint()
    for mode, message in (("EMOTION", "Emotion model .* missing"), ("MIRROR", "landmark model")):
        settings.live_face_mode = mode
        with pytest.raises(RuntimeError, match=message):
            bpy.ops.faceaff.live_preview()
        assert scene_fingerprint() == before and preview.active_preview() is None


@needs_face_models
def test_webcam_emotion_smiles_holds_without_a_face_and_esc_restores(face, clips):
    blocks = face.data.shape_keys.key_blocks
    blocks["jawOpen"].value = 0.25
    blocks["mouthSmileLeft"].value = 0.1
    original = {kb.name: kb.value for kb in blocks}
    op = _start_webcam(bpy.context.scene.faceaff, clips["emotion"])
    watch = _Watch(op)
    watch.until(lambda: blocks["mouthSmileLeft"].value > 0.2, what="the smile")
    assert any("happiness" in t for t in watch.texts)
    watch.until(lambda: op.session.text.startswith("No face in view"), what="the face to leave")
    for _ in range(12):  # 0.6 s without a face: the expression holds, one warning only
        watch.step()
    assert blocks["mouthSmileLeft"].value > 0.2
    assert len([w for w in watch.warnings if "No face" in w]) == 1
    assert op.session.feeder.stats.processed >= 15  # the clip has 10 frames a second
    assert op.modal(bpy.context, ui.FakeEvent("ESC")) == {"CANCELLED"}
    _assert_stopped(op, blocks, original)
    assert bake.list_takes(face) == []


@needs_face_models
def test_webcam_mirror_calibrates_then_copies_the_smile(face, clips):
    blocks = face.data.shape_keys.key_blocks
    blocks["jawOpen"].value = 0.25
    original = {kb.name: kb.value for kb in blocks}
    op = _start_webcam(bpy.context.scene.faceaff, clips["mirror"], mode="MIRROR")
    session = op.session
    assert set(op.session.feeder.keys) >= {"mouthSmileLeft", "jawOpen"}
    watch = _Watch(op)
    watch.until(lambda: session.captured, what="captured values")
    shown = [t for t in watch.texts if t]
    assert shown[:2] == ["Calibrating: keep a neutral face", "Mirroring the face"]
    first = dict(session.captured)
    assert max(first.values()) < 0.15  # calibrated on this very face: about neutral
    smiles = []
    while len(smiles) < 60 and min(smiles[-1:] or [0.0]) < 0.25:  # the smile widens
        assert watch.step() == {"RUNNING_MODAL"}
        for name, value in session.captured.items():  # the keys show exactly the capture
            assert blocks[name].value == pytest.approx(value, abs=1e-6)
        smiles.append(min(blocks["mouthSmileLeft"].value, blocks["mouthSmileRight"].value))
    assert smiles[-1] >= 0.25, f"the captured smile peaked at {max(smiles):.2f}"
    assert session.live.machine.state == "rest"  # no emotion event ran in Mirror mode
    assert op.modal(bpy.context, ui.FakeEvent("ESC")) == {"CANCELLED"}
    _assert_stopped(op, blocks, original)


@needs_face_models
@pytest.mark.parametrize("mode", ["EMOTION", "MIRROR"])
def test_webcam_session_records_a_take_when_the_video_ends(face, clips, mode):
    clip = clips["emotion" if mode == "EMOTION" else "mirror"]
    op = _start_webcam(bpy.context.scene.faceaff, clip, mode=mode, record=True)
    watch = _Watch(op)
    deadline = time.monotonic() + 20
    while watch.step(1 / 24) == {"RUNNING_MODAL"}:  # the file plays once, then it stops
        assert time.monotonic() < deadline
    assert watch.result == {"FINISHED"} and not op.session.feeder.running
    takes = bake.list_takes(face)
    assert len(takes) == 1 and takes[0].name.endswith("live")
    start, end = (round(f) for f in takes[0].frame_range)
    assert end - start >= 48
    assert face.data.shape_keys.animation_data.action == takes[0]
    smile = evaluate(fcurve_for(takes[0], "mouthSmileRight"), range(start, end + 1))
    assert smile[0] < 0.05 and smile.max() > 0.25  # what the preview showed is in the take
