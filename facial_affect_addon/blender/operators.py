"""Operators: bake a performance onto shape keys, manage takes, add the demo head.

Each operator reads the scene settings into typed options, calls the pipeline, and reports.
Errors of the :class:`FacialAffectError` family become ``self.report({'ERROR'}, ...)`` and
``{'CANCELLED'}``; the pipeline validates everything before the bake writes anything, so a
failing operator leaves the file unchanged.
"""

from __future__ import annotations

import bpy
from bpy.props import StringProperty

from ..core.errors import FacialAffectError
from . import bake
from .props import target_object


def _shape_key_problem(obj) -> str | None:
    """Why ``obj`` cannot take a performance, or None when it can."""
    if obj is None:
        return "Select a mesh with shape keys (or set the Affect panel's target)."
    if obj.type != "MESH":
        return f"{obj.name!r} is not a mesh."
    if not bake.shape_key_names(obj):
        return f"{obj.name!r} has no shape keys."
    return None


class FACEAFF_OT_bake_emotion(bpy.types.Operator):
    """Bake the chosen emotion as a new take on the target's shape keys"""

    bl_idname = "faceaff.bake_emotion"
    bl_label = "Bake Emotion"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        problem = _shape_key_problem(target_object(context))
        if problem:
            cls.poll_message_set(problem)
        return problem is None

    def execute(self, context):
        from .. import pipeline  # heavy (scipy): only when the user bakes

        settings = context.scene.faceaff
        obj = target_object(context)
        try:
            curves = pipeline.emotion_curves(
                {settings.emotion: 1.0},
                bake.shape_key_names(obj),
                settings.performance_options(context.scene),
            )
            result = bake.bake_curves(obj, curves, _bake_options(settings))
        except FacialAffectError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        for warning in result.warnings:
            self.report({"WARNING"}, warning)
        self.report(
            {"INFO"},
            f"Baked take {result.action_name!r}: {result.n_curves} curves, "
            f"frames {result.frame_start}–{result.frame_end}.",
        )
        return {"FINISHED"}


def _bake_options(settings) -> bake.BakeOptions:
    return bake.BakeOptions(
        take_name=settings.take_name,
        sparse=settings.sparse,
        replace=settings.replace_take,
    )


class FACEAFF_OT_clear_take(bpy.types.Operator):
    """Delete a take and put back the animation that was active before it"""

    bl_idname = "faceaff.clear_take"
    bl_label = "Clear Take"
    bl_options = {"REGISTER", "UNDO"}

    action: StringProperty(name="Take", description="Action name of the take (empty: active)")

    @classmethod
    def poll(cls, context):
        obj = target_object(context)
        if obj is None or not bake.list_takes(obj):
            cls.poll_message_set("The target has no baked takes.")
            return False
        return True

    def execute(self, context):
        obj = target_object(context)
        name = self.action or _active_take_name(obj)
        if not name:
            self.report({"ERROR"}, "No take is active; pick one to clear.")
            return {"CANCELLED"}
        try:
            restored = bake.clear_take(obj, name)
        except FacialAffectError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        note = f"; restored {restored!r}" if restored else ""
        self.report({"INFO"}, f"Deleted take {name!r}{note}.")
        return {"FINISHED"}


def _active_take_name(obj) -> str | None:
    anim = obj.data.shape_keys.animation_data if obj.data.shape_keys else None
    action = anim.action if anim else None
    return action.name if action is not None and action.get(bake.TAKE_TAG) else None


class FACEAFF_OT_add_demo_head(bpy.types.Operator):
    """Add the built-in demo head (52 ARKit shape keys) to the scene"""

    bl_idname = "faceaff.add_demo_head"
    bl_label = "Add Demo Head"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        from ..paths import demo_head_path

        path = demo_head_path()
        if not path.exists():
            self.report({"ERROR"}, f"Demo head not found at {path}; reinstall the add-on.")
            return {"CANCELLED"}
        with bpy.data.libraries.load(str(path), link=False) as (src, dst):
            dst.objects = [n for n in src.objects if n.startswith("DemoHead") or n == "DemoEyes"]
        head = None
        for obj in dst.objects:
            if obj is None:
                continue
            context.collection.objects.link(obj)
            if obj.name.startswith("DemoHead") and obj.data.shape_keys:
                head = obj
        if head is None:
            self.report({"ERROR"}, f"{path.name} holds no DemoHead object with shape keys.")
            return {"CANCELLED"}
        context.view_layer.objects.active = head
        context.scene.faceaff.target = head
        self.report({"INFO"}, f"Added {head.name!r} with {len(bake.shape_key_names(head))} keys.")
        return {"FINISHED"}


classes = (FACEAFF_OT_bake_emotion, FACEAFF_OT_clear_take, FACEAFF_OT_add_demo_head)
register, unregister = bpy.utils.register_classes_factory(classes)
