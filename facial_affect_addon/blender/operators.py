"""Operators: bake a performance onto shape keys, manage takes, add the demo head.

Analysis (background jobs) lives in :mod:`.operators_analysis`, curve files in
:mod:`.operators_io`, the live preview in :mod:`.preview` and preview renders in :mod:`.render`.

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


def shape_key_problem(obj) -> str | None:
    """Why ``obj`` cannot take a performance, or None when it can."""
    if obj is None:
        return "Select a mesh with shape keys (or set the Affect panel's target)."
    if obj.type != "MESH":
        return f"{obj.name!r} is not a mesh."
    if not bake.shape_key_names(obj):
        return f"{obj.name!r} has no shape keys."
    return None


def takes_problem(obj) -> str | None:
    """Why ``obj`` has no takes to switch or delete, or None when it has some."""
    if obj is None or obj.type != "MESH" or not bake.list_takes(obj):
        return "The target has no baked takes."
    return None


def poll_with_reason(cls, problem: str | None) -> bool:
    """An operator poll result: show ``problem`` as the disabled button's tooltip, if any."""
    if problem:
        cls.poll_message_set(problem)
    return problem is None


class FACEAFF_OT_bake_emotion(bpy.types.Operator):
    """Bake the chosen emotion as a new take on the target's shape keys"""

    bl_idname = "faceaff.bake_emotion"
    bl_label = "Bake Emotion"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        return poll_with_reason(cls, shape_key_problem(target_object(context)))

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
            result = bake.bake_curves(obj, curves, bake_options(settings))
        except FacialAffectError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        report_bake(self, result)
        return {"FINISHED"}


def report_bake(op, result: bake.BakeResult) -> None:
    """Report a bake's warnings and a one-line summary."""
    for warning in result.warnings:
        op.report({"WARNING"}, warning)
    op.report(
        {"INFO"},
        f"Baked take {result.action_name!r}: {result.n_curves} curves, "
        f"frames {result.frame_start}–{result.frame_end}.",
    )


def bake_settings(context, obj) -> bake.BakeResult:
    """Bake the analysed performance, or the preset emotion when nothing was analysed.

    Raises:
        FacialAffectError: Invalid settings, a rig the engine cannot drive, a bad analysis.
    """
    from dataclasses import replace

    from .. import pipeline
    from .analysis_work import performance_from_json

    settings = context.scene.faceaff
    options = settings.performance_options(context.scene)
    names = bake.shape_key_names(obj)
    if settings.analysis_json:
        performance = performance_from_json(settings.analysis_json)
        if settings.length_from_input:
            options = replace(options, n_frames=None)
        curves = pipeline.performance_curves(performance, names, options)
    else:
        curves = pipeline.emotion_curves({settings.emotion: 1.0}, names, options)
    return bake.bake_curves(obj, curves, bake_options(settings))


class FACEAFF_OT_bake(bpy.types.Operator):
    """Bake the analysed performance (or the preset emotion) as a new take"""

    bl_idname = "faceaff.bake"
    bl_label = "Bake"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        problem = shape_key_problem(target_object(context))
        if problem is None and context.scene.faceaff.job_running:
            problem = "Wait for the analysis to finish (or cancel it)."
        return poll_with_reason(cls, problem)

    def execute(self, context):
        try:
            result = bake_settings(context, target_object(context))
        except FacialAffectError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        report_bake(self, result)
        return {"FINISHED"}


def bake_options(settings) -> bake.BakeOptions:
    """The take settings as the bake engine's typed options."""
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
        return poll_with_reason(cls, takes_problem(target_object(context)))

    def execute(self, context):
        obj = target_object(context)
        name = self.action or selected_take_name(context) or _active_take_name(obj)
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


class FACEAFF_OT_activate_take(bpy.types.Operator):
    """Make a take the active animation of the target's shape keys"""

    bl_idname = "faceaff.activate_take"
    bl_label = "Activate Take"
    bl_options = {"REGISTER", "UNDO"}

    action: StringProperty(name="Take", description="Action name of the take (empty: selected)")

    @classmethod
    def poll(cls, context):
        return poll_with_reason(cls, takes_problem(target_object(context)))

    def execute(self, context):
        obj = target_object(context)
        name = self.action or selected_take_name(context)
        if not name:
            self.report({"ERROR"}, "Pick a take in the list first.")
            return {"CANCELLED"}
        try:
            bake.activate_take(obj, name)
        except FacialAffectError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        self.report({"INFO"}, f"Take {name!r} is now active.")
        return {"FINISHED"}


def selected_take_name(context) -> str | None:
    """The take selected in the panel's list, if it is one of the target's takes."""
    settings = context.scene.faceaff
    obj = target_object(context)
    if obj is None or not 0 <= settings.take_index < len(bpy.data.actions):
        return None
    action = bpy.data.actions[settings.take_index]
    return action.name if obj.type == "MESH" and action in bake.list_takes(obj) else None


def active_take(obj):
    """The target's active take action, or None."""
    name = _active_take_name(obj) if obj is not None and obj.type == "MESH" else None
    return bpy.data.actions.get(name) if name else None


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


classes = (
    FACEAFF_OT_bake_emotion,
    FACEAFF_OT_bake,
    FACEAFF_OT_clear_take,
    FACEAFF_OT_activate_take,
    FACEAFF_OT_add_demo_head,
)
register, unregister = bpy.utils.register_classes_factory(classes)
