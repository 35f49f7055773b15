"""Bake the captured eye gaze onto two eye bones (instead of, or next to, the eyeLook keys).

The gaze comes back from a take's ``eyeLook*`` weights (:func:`..core.gaze.eye_angles_from_looks`:
yaw and pitch per eye, the keys' deadzone undone), and each eye bone turns by its eye's yaw about
the character's up axis and its pitch about the left-right axis, from its current pose and
whatever its roll, exactly as :mod:`.bake_head` turns a head bone. The keys are a new action in
an NLA track named :data:`TRACK_NAME` on the armature; the user's keys are not touched.
"""

from __future__ import annotations

import bpy
import numpy as np

from ..core.errors import InputError
from ..core.gaze import eye_angles_from_looks
from ..core.sampling import sample_linear
from .bake_head import (
    HeadBakeResult,
    _new_action,
    _push_track,
    _rotation_keys,
    _target,
    _write,
    head_matrices,
)

TRACK_NAME = "Facial Affect Eyes"


def bake_eye_bones(
    rig: bpy.types.Object | None,
    bones: tuple[str, str],
    looks: dict[str, np.ndarray],
    times: np.ndarray,
    *,
    fps: float,
    frame_start: int,
    take_name: str = "Eyes",
) -> HeadBakeResult:
    """Turn the subject's right and left eye bones by the gaze of ``looks``.

    Args:
        rig: The armature.
        bones: (right eye bone, left eye bone) names, the subject's sides.
        looks: ``eyeLook*`` name → (n,) weights at ``times`` (absent keys read 0).
        times: (n,) seconds; time 0 lands on ``frame_start``.
        fps: Scene frame rate.
        frame_start: First frame.
        take_name: Name part of the new action.

    Raises:
        InputError: No armature, no eye keys, or an axis-angle bone.
        RigError: A bone does not exist.
    """
    items = [_target(rig, bone) for bone in bones]
    assert rig is not None  # _target refused None
    times = np.asarray(times, dtype=np.float64)
    if not looks or not len(times):
        raise InputError("There is no captured eye gaze (no eyeLook keys) to bake.")
    n = max(1, int(np.ceil(times[-1] * fps)) + 1)
    gaze = sample_linear(times, eye_angles_from_looks(looks, len(times)), np.arange(n) / fps)
    channels = []
    for k, (item, bone) in enumerate(zip(items, bones, strict=True)):
        yaw, pitch = gaze[:, 2 * k], gaze[:, 2 * k + 1]
        angles = np.column_stack([pitch, yaw, np.zeros(n)])
        channels.append(_rotation_keys(item, bone, head_matrices(angles)))
    action = _new_action(rig, take_name)
    frames = np.arange(n, dtype=np.float64) + frame_start
    n_keys = _write(action, channels, frames)
    _push_track(rig, action, frame_start, TRACK_NAME)
    target = f"{rig.name}:{bones[0]},{bones[1]}"
    return HeadBakeResult(action.name, target, n_keys, frame_start, frame_start + n - 1)
