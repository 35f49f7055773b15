"""Bake a capture's head rotation onto an object or a pose bone, as its own action in the NLA.

The rotation (pitch, yaw, roll relative to the neutral frame, :mod:`..core.head_pose`) is turned
from the video's axes into the character's: Blender's convention of a character facing -Y with
+Z up (image x → +X, image y → -Z, depth → +Y). An **object** turns about its origin on top of
the rotation it has when baked. A **pose bone** turns in armature space about its head on top of
its current pose (``L = B⁻¹ R B L₀`` with ``B`` the bone's rest orientation), whatever its roll.
Keys go on ``rotation_quaternion`` or ``rotation_euler`` as the target's rotation mode asks.

The keys are a new action tagged ``faceaff_head``, played by a new NLA track named
:data:`TRACK_NAME` on the target: the user's active action, its keys and its other tracks are
never touched. An active action that keys the same rotation plays over the track (Blender
evaluates the active action last); the bake says so in a warning.
"""

from __future__ import annotations

from dataclasses import dataclass

import bpy
import numpy as np
from mathutils import Matrix, Quaternion

from ..core.errors import InputError, RigError
from ..core.head_pose import head_at_frames, live_link_rotations

HEAD_TAG = "faceaff_head"
TRACK_NAME = "Facial Affect Head"
_IMAGE_TO_BLENDER = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])


@dataclass(frozen=True)
class HeadBakeResult:
    """What a head bake wrote.

    Attributes:
        action_name: The new action.
        target: ``"Object"`` or ``"Object:Bone"``.
        n_keys: Keyframes written (all channels).
        frame_start: First frame. frame_end: Last frame.
        warnings: Non-fatal notes for the user.
    """

    action_name: str
    target: str
    n_keys: int
    frame_start: int
    frame_end: int
    warnings: tuple[str, ...] = ()


def parse_head_target(spec: str) -> tuple[str, str | None]:
    """``"OBJECT"`` or ``"OBJECT:BONE"`` → (object name, bone name or None)."""
    name, _, bone = spec.partition(":")
    if not name.strip():
        raise InputError(f"Head target {spec!r} names no object; use OBJECT or OBJECT:BONE.")
    return name, (bone or None)


def head_matrices(angles: np.ndarray) -> list[np.ndarray]:
    """Character-space 3x3 rotations of (n, 3) pitch, yaw, roll degrees (subject's signs)."""
    out = []
    for pitch, yaw, roll in np.radians(np.asarray(angles, dtype=np.float64)):
        # The image-axes rotation the angles came from: Rz(roll) Ry(-yaw) Rx(-pitch).
        cz, sz, cy, sy = np.cos(roll), np.sin(roll), np.cos(-yaw), np.sin(-yaw)
        cx, sx = np.cos(-pitch), np.sin(-pitch)
        rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
        ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
        rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
        out.append(_IMAGE_TO_BLENDER @ (rz @ ry @ rx) @ _IMAGE_TO_BLENDER.T)
    return out


def _target(obj: bpy.types.Object | None, bone: str | None):
    """The object or pose bone to turn, checked."""
    if obj is None:
        raise InputError("Choose an object (or an armature and its head bone) for the head.")
    item: bpy.types.Object | bpy.types.PoseBone = obj
    if bone is not None:
        if obj.type != "ARMATURE" or obj.pose is None:
            raise RigError(f"{obj.name!r} is not an armature, so it has no bone {bone!r}.")
        pose_bone = obj.pose.bones.get(bone)
        if pose_bone is None:
            raise RigError(f"Armature {obj.name!r} has no bone {bone!r}.")
        item = pose_bone
    if item.rotation_mode == "AXIS_ANGLE":
        raise InputError("Set the head's rotation mode to a quaternion or an Euler order.")
    return item


def _rotation_keys(item, bone: str | None, mats: list[np.ndarray]) -> tuple[str, np.ndarray]:
    """(data path, (n, 3 or 4) values) turning ``item`` by each matrix from its current pose."""
    current = (
        item.rotation_quaternion.to_matrix()
        if item.rotation_mode == "QUATERNION"
        else item.rotation_euler.to_matrix()
    )
    rest = item.bone.matrix_local.to_3x3() if bone else Matrix.Identity(3)
    rest_inv = rest.inverted()
    prefix = f'pose.bones["{bpy.utils.escape_identifier(bone)}"].' if bone else ""
    rows = []
    prev_q: Quaternion | None = None
    prev_e = None
    for m in mats:
        turned = rest_inv @ Matrix(m.tolist()) @ rest @ current
        if item.rotation_mode == "QUATERNION":
            q = turned.to_quaternion()
            if prev_q is not None and q.dot(prev_q) < 0:
                q.negate()  # the shorter way round: no flips between keys
            prev_q = q
            rows.append(tuple(q))
        else:
            e = turned.to_euler(item.rotation_mode, *(() if prev_e is None else (prev_e,)))
            prev_e = e
            rows.append(tuple(e))
    path = "rotation_quaternion" if item.rotation_mode == "QUATERNION" else "rotation_euler"
    return prefix + path, np.array(rows)


def bake_head_rotation(
    obj: bpy.types.Object | None,
    bone: str | None,
    rotation: np.ndarray,
    times: np.ndarray,
    *,
    fps: float,
    frame_start: int,
    take_name: str = "Head",
) -> HeadBakeResult:
    """Bake a head-rotation track onto ``obj`` (or its pose bone ``bone``) as a new NLA track.

    Args:
        obj: The object, or the armature holding ``bone``.
        bone: A pose bone name, or None to turn the object itself.
        rotation: (n, 3) pitch, yaw, roll in degrees (a capture's ``head_rotation``).
        times: (n,) their times in seconds (time 0 lands on ``frame_start``).
        fps: Scene frame rate.
        frame_start: First frame.
        take_name: Name part of the new action.

    Raises:
        InputError: No object, an axis-angle target, or an empty/invalid track.
        RigError: The bone does not exist.
    """
    item = _target(obj, bone)
    assert obj is not None  # _target refused None
    rotation = np.asarray(rotation, dtype=np.float64)
    times = np.asarray(times, dtype=np.float64)
    if (
        rotation.ndim != 2
        or rotation.shape[1] != 3
        or len(rotation) != len(times)
        or not len(times)
    ):
        raise InputError("The head rotation track is empty or not (n, 3) with n times.")
    if not np.all(np.isfinite(rotation)):
        raise InputError("The head rotation track holds NaN or infinite values.")
    n = max(1, int(np.ceil(times[-1] * fps)) + 1)
    path, values = _rotation_keys(
        item, bone, head_matrices(head_at_frames(rotation, times, fps, n))
    )
    action = _new_action(obj, take_name)
    frames = np.arange(n, dtype=np.float64) + frame_start
    n_keys = _write(action, [(path, values)], frames)
    _push_track(obj, action, frame_start)
    target = f"{obj.name}:{bone}" if bone else obj.name
    warnings = _covered_warning(obj, path)
    return HeadBakeResult(action.name, target, n_keys, frame_start, frame_start + n - 1, warnings)


def _new_action(obj: bpy.types.Object, take_name: str) -> bpy.types.Action:
    base = f"{obj.name} {take_name or 'Head'}"
    name, k = base, 1
    while name in bpy.data.actions:
        k += 1
        name = f"{base}.{k:03d}"
    action = bpy.data.actions.new(name)
    action.use_fake_user = True
    action[HEAD_TAG] = True
    return action


def _write(action: bpy.types.Action, channels: list[tuple[str, np.ndarray]], frames) -> int:
    """Linear keys of every (data path, (n, k) values) channel, in one slot; returns the count."""
    slot = action.slots.new(id_type="OBJECT", name="Head")
    layer = action.layers.new("Facial Affect Head")
    strip = layer.strips.new(type="KEYFRAME")
    bag = strip.channelbag(slot, ensure=True)  # type: ignore[attr-defined]
    return sum(_write_channel(bag, path, frames, values) for path, values in channels)


def _write_channel(bag, path: str, frames: np.ndarray, values: np.ndarray) -> int:
    pairs = np.empty(2 * len(frames), dtype=np.float32)
    pairs[0::2] = frames
    for index in range(values.shape[1]):
        fcurve = bag.fcurves.new(path, index=index)
        fcurve.keyframe_points.add(len(frames))
        pairs[1::2] = values[:, index]
        fcurve.keyframe_points.foreach_set("co", pairs)
        fcurve.keyframe_points.foreach_set(
            "interpolation",
            np.full(len(frames), 1, dtype=np.int32),  # LINEAR
        )
        fcurve.update()
    return len(frames) * values.shape[1]


def _push_track(
    obj: bpy.types.Object, action: bpy.types.Action, frame_start: int, name: str = TRACK_NAME
) -> None:
    anim = obj.animation_data or obj.animation_data_create()
    track = anim.nla_tracks.new()
    track.name = name
    strip = track.strips.new(action.name, int(frame_start), action)
    if hasattr(strip, "action_slot") and strip.action_slot is None and action.slots:
        strip.action_slot = action.slots[0]


def _fcurves(action: bpy.types.Action):
    """Every F-curve of a layered action (all layers, strips and slots)."""
    for layer in action.layers:
        for strip in layer.strips:
            for slot in action.slots:
                bag = strip.channelbag(slot)  # type: ignore[attr-defined]
                if bag is not None:
                    yield from bag.fcurves


def _covered_warning(obj: bpy.types.Object, path: str) -> tuple[str, ...]:
    active = obj.animation_data.action if obj.animation_data else None
    if active is None or not any(f.data_path == path for f in _fcurves(active)):
        return ()
    return (
        f"The active action {active.name!r} keys {path}, and it plays over the head track; "
        "mute it or set its blending to Combine to see the head.",
    )


def take_rotations(action, curves):  # -> np.ndarray | bool
    """Live Link's nine head/eye rotation columns for a take, or True (zeros) when it has none.

    The head comes from the performance stored on the take (its capture's head rotation), the
    eyes from the take's own ``eyeLook*`` keys, so edited eye keys are exported as edited.
    """
    from ..core.gaze import EYE_LOOK_NAMES, eye_angles_from_looks
    from ..pipeline import store
    from .bake import take_performance_text

    head = None
    text = take_performance_text(action)
    if text:
        try:
            capture = store.decode(text).capture
        except InputError:
            capture = None
        if capture is not None and capture.head_rotation is not None:
            head = (capture.head_rotation, capture.times)
    looks = {k: v for k, v in curves.channels.items() if k in EYE_LOOK_NAMES}
    if head is None and not looks:
        return True
    eyes = eye_angles_from_looks(looks, curves.n_frames) if looks else None
    return live_link_rotations(curves.n_frames, curves.fps, head, eyes)


def resolve_head_target(spec: str) -> tuple[bpy.types.Object, str | None]:
    """The object (and bone) of an ``OBJECT[:BONE]`` spec in the open file, checked.

    Raises:
        InputError: No such object, or it cannot be turned (see :func:`bake_head_rotation`).
        RigError: No such bone.
    """
    name, bone = parse_head_target(spec)
    obj = bpy.data.objects.get(name)
    if obj is None:
        names = ", ".join(o.name for o in list(bpy.data.objects)[:10]) or "none"
        raise InputError(f"No object {name!r} for the head in this file (objects: {names}).")
    _target(obj, bone)
    return obj, bone


def bake_from_performance(
    spec: str, performance, *, fps: float, frame_start: int, take_name: str = "Head"
) -> HeadBakeResult:
    """Bake a performance's captured head rotation onto ``OBJECT[:BONE]`` (the CLI's
    ``--head-target``).

    Raises:
        InputError: The performance has no head rotation, or the target is unusable.
        RigError: No such bone.
    """
    obj, bone = resolve_head_target(spec)
    capture = getattr(performance, "capture", None)
    if capture is None or capture.head_rotation is None:
        raise InputError("There is no captured head rotation to bake (it needs a face video).")
    return bake_head_rotation(
        obj,
        bone,
        capture.head_rotation,
        capture.times,
        fps=fps,
        frame_start=frame_start,
        take_name=take_name,
    )
