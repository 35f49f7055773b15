"""Head rotation baked onto an object and a pose bone (issue 18 §3), in real Blender: its own
action in an NLA track, the user's keys intact; Live Link CSV export with real head/eye columns."""

from __future__ import annotations

import csv
import math

import bpy
import numpy as np
import pytest
from mathutils import Vector

from facial_affect_addon.blender import bake, bake_head
from facial_affect_addon.core import gaze
from facial_affect_addon.core.capture import CaptureResult
from facial_affect_addon.core.errors import InputError, RigError
from facial_affect_addon.core.gaze import EYE_LOOK_NAMES
from facial_affect_addon.core.head_pose import live_link_rotations

from .helpers import make_face

TIMES = np.array([0.0, 1.0, 2.0])
YAW_20 = np.array([[0.0, 0.0, 0.0], [0.0, 20.0, 0.0], [10.0, 0.0, 0.0]])  # pitch, yaw, roll


def _user_keys(obj, path: str = "location"):
    """The user's own action on ``obj`` with two keys on ``path``[2]."""
    obj.keyframe_insert(path, index=2, frame=1)
    getattr(obj, path)[2] = 3.0
    obj.keyframe_insert(path, index=2, frame=40)
    return obj.animation_data.action


def _facing(matrix) -> Vector:
    """Where a character facing -Y looks after ``matrix``'s rotation."""
    return (matrix.to_3x3() @ Vector((0.0, -1.0, 0.0))).normalized()


def test_object_turns_to_its_left_in_its_own_nla_track(clean_scene):
    obj = bpy.data.objects.new("Head", None)
    clean_scene.collection.objects.link(obj)
    user = _user_keys(obj)
    result = bake_head.bake_head_rotation(obj, None, YAW_20, TIMES, fps=24, frame_start=1)
    assert obj.animation_data.action == user  # the user's action stays active, untouched
    (fcurve,) = bake_head._fcurves(user)
    assert [tuple(k.co) for k in fcurve.keyframe_points] == [(1.0, 0.0), (40.0, 3.0)]
    track = obj.animation_data.nla_tracks[bake_head.TRACK_NAME]
    assert track.strips[0].action.name == result.action_name
    assert (result.frame_start, result.frame_end) == (1, 49)
    clean_scene.frame_set(25)  # t = 1 s: yaw 20° to the character's left (+X side)
    look = _facing(obj.matrix_world)
    assert math.degrees(math.atan2(look.x, -look.y)) == pytest.approx(20.0, abs=0.5)
    assert 0.5 < obj.location.z == pytest.approx(fcurve.evaluate(25), abs=1e-4)  # user keys play
    clean_scene.frame_set(49)  # t = 2 s: chin up 10°
    assert math.degrees(math.asin(_facing(obj.matrix_world).z)) == pytest.approx(10.0, abs=0.5)


@pytest.mark.parametrize("roll", [0.0, 1.2])
def test_pose_bone_turns_the_same_whatever_its_roll(clean_scene, roll):
    arm = bpy.data.armatures.new("Rig")
    rig = bpy.data.objects.new("Rig", arm)
    clean_scene.collection.objects.link(rig)
    bpy.context.view_layer.objects.active = rig
    bpy.ops.object.mode_set(mode="EDIT")
    for name, z in (("neck", 0.0), ("head", 1.0)):
        b = arm.edit_bones.new(name)
        b.head, b.tail, b.roll = (0, 0, z), (0, 0, z + 1), roll
    arm.edit_bones["head"].parent = arm.edit_bones["neck"]
    bpy.ops.object.mode_set(mode="OBJECT")
    rig.pose.bones["head"].rotation_mode = "XYZ"
    rig.pose.bones["neck"].location.x = 0.5
    rig.pose.bones["neck"].keyframe_insert("location", index=0, frame=1)
    user = rig.animation_data.action
    result = bake_head.bake_head_rotation(rig, "head", YAW_20, TIMES, fps=24, frame_start=1)
    assert result.target == "Rig:head" and rig.animation_data.action == user
    clean_scene.frame_set(25)
    look = _facing(
        rig.pose.bones["head"].matrix @ rig.pose.bones["head"].bone.matrix_local.inverted()
    )
    assert math.degrees(math.atan2(look.x, -look.y)) == pytest.approx(20.0, abs=0.5)
    assert rig.pose.bones["neck"].location.x == pytest.approx(0.5)  # the user's key


def test_quaternion_target_and_refusals(clean_scene):
    obj = bpy.data.objects.new("Q", None)
    clean_scene.collection.objects.link(obj)
    obj.rotation_mode = "QUATERNION"
    result = bake_head.bake_head_rotation(obj, None, YAW_20, TIMES, fps=24, frame_start=1)
    assert result.n_keys == 4 * 49
    clean_scene.frame_set(25)
    look = _facing(obj.matrix_world)
    assert math.degrees(math.atan2(look.x, -look.y)) == pytest.approx(20.0, abs=0.5)
    with pytest.raises(RigError, match="not an armature"):
        bake_head.bake_head_rotation(obj, "head", YAW_20, TIMES, fps=24, frame_start=1)
    obj.rotation_mode = "AXIS_ANGLE"
    with pytest.raises(InputError, match="rotation mode"):
        bake_head.bake_head_rotation(obj, None, YAW_20, TIMES, fps=24, frame_start=1)
    with pytest.raises(InputError, match="Choose an object"):
        bake_head.bake_head_rotation(None, None, YAW_20, TIMES, fps=24, frame_start=1)


def _captured_take(scene):
    """A face whose active take was baked from a capture with head rotation and eye looks."""
    from facial_affect_addon.core.emotions import EmotionWeights
    from facial_affect_addon.core.timeline import Timeline
    from facial_affect_addon.pipeline import store
    from facial_affect_addon.pipeline.performance import Performance, PerformanceKind

    face = make_face("Face", ("jawOpen", *EYE_LOOK_NAMES))
    scene.faceaff.target = face
    names = ("jawOpen", "eyeLookOutLeft", "eyeLookInRight")
    weights = np.array([[0.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.0, 0.0, 0.0]])
    capture = CaptureResult(TIMES, names, weights, 0, np.ones(3, bool), YAW_20)
    neutral = EmotionWeights.from_array(np.eye(7)[0])
    perf = Performance(PerformanceKind.VIDEO, neutral, Timeline(), 2.0, (), capture=capture)
    result = bake.bake_curves(face, capture.to_curveset(24, 1), bake.BakeOptions("Cap"))
    bake.keep_performance(result.action_name, store.encode(perf))
    return face


def test_bake_head_operator_and_undo(clean_scene, addon):
    _captured_take(clean_scene)
    head = bpy.data.objects.new("HeadEmpty", None)
    clean_scene.collection.objects.link(head)
    clean_scene.faceaff_head.target = head
    bpy.ops.ed.undo_push(message="Before Bake Head")
    assert bpy.ops.faceaff.bake_head("EXEC_DEFAULT", True) == {"FINISHED"}
    head = bpy.data.objects["HeadEmpty"]
    assert head.animation_data.nla_tracks[bake_head.TRACK_NAME].strips[0].action
    bpy.context.scene.frame_set(25)
    look = _facing(head.matrix_world)
    assert math.degrees(math.atan2(look.x, -look.y)) == pytest.approx(20.0, abs=0.5)
    bpy.ops.ed.undo()
    head = bpy.data.objects["HeadEmpty"]
    assert head.animation_data is None or not head.animation_data.nla_tracks
    assert not [a for a in bpy.data.actions if a.get(bake_head.HEAD_TAG)]


def test_bake_head_needs_a_captured_head(clean_scene, addon):
    face = make_face("Face")
    clean_scene.faceaff.target = face
    plain = CaptureResult(TIMES, ("jawOpen",), np.zeros((3, 1)), 0, np.ones(3, bool))
    bake.bake_curves(face, plain.to_curveset(24, 1), bake.BakeOptions())
    clean_scene.faceaff_head.target = face
    with pytest.raises(RuntimeError, match="no captured head rotation"):
        bpy.ops.faceaff.bake_head()


def test_live_link_csv_has_the_head_and_eye_values(clean_scene, addon, tmp_path):
    _captured_take(clean_scene)
    path = tmp_path / "take.csv"
    assert bpy.ops.faceaff.export_curves(filepath=str(path), file_format="CSV") == {"FINISHED"}
    rows = list(csv.DictReader(path.open()))
    assert len(rows) == 49
    assert float(rows[24]["HeadYaw"]) == pytest.approx(math.radians(20), abs=1e-3)
    assert float(rows[48]["HeadPitch"]) == pytest.approx(math.radians(10), abs=1e-3)
    # eyeLookOutLeft 0.5 past the deadzone of its 30°: the left eye looks to the subject's left
    eye = math.radians(30 * (0.5 * (1 - gaze.DEADZONE) + gaze.DEADZONE))
    assert float(rows[24]["LeftEyeYaw"]) == pytest.approx(eye, abs=1e-3)
    assert float(rows[24]["RightEyeYaw"]) == pytest.approx(eye, abs=1e-3)
    assert float(rows[0]["HeadYaw"]) == 0.0
    assert np.allclose(live_link_rotations(2, 24.0)[0], 0)


def test_cli_head_target_bakes_the_turn_and_eye_keys(tmp_path, clean_scene):
    from facial_affect_addon.ml.faces import FaceAnalyzer
    from tests.unit.head_fixtures import frontal_frame, turned_face
    from tests.unit.video_fixtures import write_video

    from .helpers import run_cli

    base = frontal_frame()
    points = FaceAnalyzer().analyze(base).landmarks
    frames = [turned_face(base, points, y) for y in (0, 0, 0, 10, 20, 20, 20, 20)]
    video = write_video(tmp_path / "turn.avi", frames, fps=4.0)
    blend = tmp_path / "h.blend"
    args = ("video", str(video), "--capture", "--neutral-at", "0", "--no-audio", "--no-life")
    wrong = run_cli(*args, "--bake", str(blend), "--head-target", "Nope")
    assert wrong.returncode == 2 and "No object 'Nope'" in wrong.stderr and not blend.exists()
    alone = run_cli(*args, "--head-target", "DemoHead")
    assert alone.returncode == 2 and "--head-target is only used with --bake" in alone.stderr
    done = run_cli(*args, "--bake", str(blend), "--head-target", "DemoHead")
    assert done.returncode == 0, done.stderr
    assert "baked head rotation" in done.stdout
    bpy.ops.wm.open_mainfile(filepath=str(blend))
    head = bpy.data.objects["DemoHead"]
    assert head.animation_data.nla_tracks[bake_head.TRACK_NAME].strips[0].action
    bpy.context.scene.frame_set(1 + 7 * 6)  # the last frame of the 20° hold (t = 1.75 s)
    look = _facing(head.matrix_world)
    assert 13.0 < math.degrees(math.atan2(look.x, -look.y)) < 25.0
    take = bake.list_takes(head)[0]
    bag = take.layers[0].strips[0].channelbag(take.slots[0])
    assert {f'key_blocks["{n}"].value' for n in EYE_LOOK_NAMES} <= {
        f.data_path for f in bag.fcurves
    }


def test_bake_eye_bones_turns_both_eyes_to_the_subjects_left(clean_scene, addon):
    _captured_take(clean_scene)  # at t = 1 s: eyeLookOutLeft and eyeLookInRight 0.5
    arm = bpy.data.armatures.new("EyeRig")
    rig = bpy.data.objects.new("EyeRig", arm)
    clean_scene.collection.objects.link(rig)
    bpy.context.view_layer.objects.active = rig
    bpy.ops.object.mode_set(mode="EDIT")
    for name, x in (("eye.R", -0.3), ("eye.L", 0.3)):  # eye bones point forward (-Y)
        b = arm.edit_bones.new(name)
        b.head, b.tail, b.roll = (x, 0, 1.6), (x, -0.2, 1.6), 0.4
    bpy.ops.object.mode_set(mode="OBJECT")
    clean_scene.faceaff.target = bpy.data.objects["Face"]
    head = clean_scene.faceaff_head
    head.target, head.eye_right, head.eye_left = rig, "eye.R", "eye.L"
    assert bpy.ops.faceaff.bake_eyes() == {"FINISHED"}
    assert rig.animation_data.action is None and rig.animation_data.nla_tracks["Facial Affect Eyes"]
    clean_scene.frame_set(25)
    want = 30 * (0.5 * (1 - gaze.DEADZONE) + gaze.DEADZONE)
    for name in ("eye.R", "eye.L"):
        axis = rig.pose.bones[name].matrix.col[1].xyz.normalized()  # where the eye points
        assert math.degrees(math.atan2(axis.x, -axis.y)) == pytest.approx(want, abs=0.5), name
        assert abs(axis.z) < 0.01
