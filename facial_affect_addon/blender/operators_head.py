"""Bake Head / Bake Eye Bones: the active take's captured head rotation onto an object or a pose
bone, and its captured gaze onto two eye bones.

The take must come from a video capture (its stored performance holds the head rotation). The
target and bone are :class:`FACEAFF_PG_head` on the scene (``scene.faceaff_head``); the keys go
into a new action in an NLA track (:mod:`.bake_head`), undoable.
"""

from __future__ import annotations

import bpy
import numpy as np
from bpy.props import PointerProperty, StringProperty

from ..core.errors import InputError
from . import bake, bake_head
from .operators import active_take
from .props import scene_fps, target_object
from .reporting import report_warnings, reports_errors


class FACEAFF_PG_head(bpy.types.PropertyGroup):
    """Where Bake Head puts the head rotation."""

    target: PointerProperty(
        name="Head",
        description="Object to turn, or the armature whose head bone turns",
        type=bpy.types.Object,
    )
    bone: StringProperty(
        name="Bone", description="The armature's head bone (empty: turn the object itself)"
    )
    eye_right: StringProperty(name="Right Eye", description="The subject's right eye bone")
    eye_left: StringProperty(name="Left Eye", description="The subject's left eye bone")


def take_capture(action):  # -> CaptureResult | None
    """The landmark capture stored with a take, or None."""
    from ..pipeline import store

    text = bake.take_performance_text(action) if action is not None else ""
    return store.decode(text).capture if text else None


def take_head_track(action):  # -> tuple[np.ndarray, np.ndarray]
    """(rotation (n, 3) pitch/yaw/roll degrees, times (n,)) stored with a take.

    Raises:
        InputError: The take was not baked from a video capture with head rotation.
    """
    capture = take_capture(action)
    if capture is None or capture.head_rotation is None:
        raise InputError("The active take has no captured head rotation (bake a video capture).")
    return capture.head_rotation, capture.times


class FACEAFF_OT_bake_head(bpy.types.Operator):
    """Bake the active take's head rotation onto the chosen object or bone (a new NLA track)"""

    bl_idname = "faceaff.bake_head"
    bl_label = "Bake Head Rotation"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        if active_take(target_object(context)) is None:
            cls.poll_message_set("The target has no active take.")
            return False
        if context.scene.faceaff_head.target is None:
            cls.poll_message_set("Choose the head object or armature.")
            return False
        return True

    @reports_errors
    def execute(self, context):
        action = active_take(target_object(context))
        rotation, times = take_head_track(action)
        head = context.scene.faceaff_head
        result = bake_head.bake_head_rotation(
            head.target,
            head.bone.strip() or None,
            rotation,
            times,
            fps=scene_fps(context.scene),
            frame_start=round(action.frame_range[0]),
            take_name=f"Head {action.name}",
        )
        report_warnings(self, list(result.warnings))
        self.report(
            {"INFO"},
            f"Baked the head onto {result.target} ({result.action_name}, frames "
            f"{result.frame_start}-{result.frame_end}).",
        )
        return {"FINISHED"}


class FACEAFF_OT_bake_eyes(bpy.types.Operator):
    """Bake the active take's eye gaze onto the chosen armature's two eye bones (a new NLA track)"""

    bl_idname = "faceaff.bake_eyes"
    bl_label = "Bake Eye Bones"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        head = context.scene.faceaff_head
        if active_take(target_object(context)) is None:
            cls.poll_message_set("The target has no active take.")
            return False
        if head.target is None or head.target.type != "ARMATURE":
            cls.poll_message_set("Choose the armature that holds the eye bones.")
            return False
        if not (head.eye_right.strip() and head.eye_left.strip()):
            cls.poll_message_set("Choose both eye bones.")
            return False
        return True

    @reports_errors
    def execute(self, context):
        from ..core.gaze import EYE_LOOK_NAMES
        from .bake_eyes import bake_eye_bones

        action = active_take(target_object(context))
        capture = take_capture(action)
        names = () if capture is None else capture.names
        looks = {n: capture.curve(n) for n in EYE_LOOK_NAMES if n in names}
        head = context.scene.faceaff_head
        result = bake_eye_bones(
            head.target,
            (head.eye_right.strip(), head.eye_left.strip()),
            looks,
            np.zeros(0) if capture is None else capture.times,
            fps=scene_fps(context.scene),
            frame_start=round(action.frame_range[0]),
            take_name=f"Eyes {action.name}",
        )
        self.report({"INFO"}, f"Baked the gaze onto {result.target} ({result.action_name}).")
        return {"FINISHED"}


def draw_head(layout, context) -> None:
    """The Takes panel's head row: target, bone (for an armature) and the button."""
    head = context.scene.faceaff_head
    box = layout.box()
    box.prop(head, "target")
    armature = head.target is not None and head.target.type == "ARMATURE"
    if armature:
        box.prop_search(head, "bone", head.target.data, "bones")
    box.operator("faceaff.bake_head", icon="CON_ROTLIKE")
    if armature:
        box.prop_search(head, "eye_right", head.target.data, "bones")
        box.prop_search(head, "eye_left", head.target.data, "bones")
        box.operator("faceaff.bake_eyes", icon="HIDE_OFF")


classes = (FACEAFF_PG_head, FACEAFF_OT_bake_head, FACEAFF_OT_bake_eyes)


def register() -> None:
    """Register the classes and ``Scene.faceaff_head``."""
    for cls in classes:
        bpy.utils.register_class(cls)
    # fake-bpy-module 5.0 types PointerProperty() as returning None.
    bpy.types.Scene.faceaff_head = PointerProperty(type=FACEAFF_PG_head)  # type: ignore[attr-defined,func-returns-value]


def unregister() -> None:
    """Remove ``Scene.faceaff_head`` and the classes."""
    del bpy.types.Scene.faceaff_head  # type: ignore[attr-defined]
    for cls in reversed(classes):
        bpy.utils.unregister_class(cls)
