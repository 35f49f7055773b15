"""Bake Head: the active take's captured head rotation onto an object or a pose bone.

The take must come from a video capture (its stored performance holds the head rotation). The
target and bone are :class:`FACEAFF_PG_head` on the scene (``scene.faceaff_head``); the keys go
into a new action in an NLA track (:mod:`.bake_head`), undoable.
"""

from __future__ import annotations

import bpy
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


def take_head_track(action):  # -> tuple[np.ndarray, np.ndarray]
    """(rotation (n, 3) pitch/yaw/roll degrees, times (n,)) stored with a take.

    Raises:
        InputError: The take was not baked from a video capture with head rotation.
    """
    from ..pipeline import store

    text = bake.take_performance_text(action) if action is not None else ""
    capture = store.decode(text).capture if text else None
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


def draw_head(layout, context) -> None:
    """The Takes panel's head row: target, bone (for an armature) and the button."""
    head = context.scene.faceaff_head
    box = layout.box()
    box.prop(head, "target")
    if head.target is not None and head.target.type == "ARMATURE":
        box.prop_search(head, "bone", head.target.data, "bones")
    box.operator("faceaff.bake_head", icon="CON_ROTLIKE")


classes = (FACEAFF_PG_head, FACEAFF_OT_bake_head)


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
