"""Operators: bake a performance onto shape keys, manage takes, add the demo head.

Analysis (background jobs) lives in :mod:`.operators_analysis`, curve files in
:mod:`.operators_io`, the live preview in :mod:`.preview` and preview renders in :mod:`.render`.

Each operator reads the scene settings into typed options, calls the pipeline, and reports.
Errors of the :class:`FacialAffectError` family become ``self.report({'ERROR'}, ...)`` and
``{'CANCELLED'}``; the pipeline validates everything before the bake writes anything, so a
failing operator leaves the file unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import bpy
from bpy.props import StringProperty

from ..core.errors import InputError
from ..pipeline.options import EmotionChoice, PerformanceOptions
from . import bake
from .props import target_object
from .reporting import poll_with_reason, report_bake, reports_errors

if TYPE_CHECKING:
    from ..pipeline.performance import Performance


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


@dataclass(frozen=True)
class BakeRequest:
    """Everything a bake needs, read from the panel on the main thread.

    Attributes:
        performance: The analysed performance (a ``pipeline.performance.Performance``), or
            None to bake the chosen emotion.
        preset: The emotion baked without a performance: one emotion, a compound preset or the
            panel's mix.
        options: Synthesis settings.
        take: Take name, sparse keys, replace.
        length_from_input: Bake a performance over its whole length (else the Duration).
    """

    performance: Performance | None
    preset: EmotionChoice
    options: PerformanceOptions
    take: bake.BakeOptions
    length_from_input: bool = True


def bake_options(settings) -> bake.BakeOptions:
    """The take settings as the bake engine's typed options."""
    return bake.BakeOptions(
        take_name=settings.take_name,
        sparse=settings.sparse,
        replace=settings.replace_take,
        layers=settings.bake_layers,
    )


def stored_performance(settings):
    """The analysed performance kept for the scene (memory first, else the .blend), or None.

    Raises:
        InputError: The stored analysis is unreadable.
    """
    from ..pipeline import store

    if not settings.has_analysis:
        return None
    return store.restore(*settings.stored_analysis())


def bake_request(scene, performance=None, *, emotion_only: bool = False) -> BakeRequest:
    """The scene's bake settings as a :class:`BakeRequest`.

    Args:
        scene: The scene whose ``faceaff`` settings to read.
        performance: The performance to bake; None bakes the stored analysis if there is one.
        emotion_only: Ignore any analysis: bake the panel's chosen emotion (Bake Emotion).

    Raises:
        InputError: The stored analysis is unreadable.
    """
    settings = scene.faceaff
    if performance is None and not emotion_only:
        performance = stored_performance(settings)
    return BakeRequest(
        performance,
        settings.emotion_choice(),
        settings.performance_options(scene),
        bake_options(settings),
        settings.length_from_input,
    )


def bake_performance(obj, request: BakeRequest) -> bake.BakeResult:
    """Bake a request onto ``obj`` as a new take (no context needed: jobs call it too).

    Raises:
        FacialAffectError: Invalid settings, a rig the engine cannot drive, a bad analysis.
    """
    from ..pipeline import store
    from ..pipeline.curves import bake_curves_for
    from ..pipeline.layers import bake_layers_for
    from .operators_mapping import mapping_profile

    profile, notes = mapping_profile(obj)  # the mapping editor's rows, if the target has some
    make = bake_layers_for if request.take.layers else bake_curves_for
    performance, curves = make(
        request.performance,
        request.preset,
        bake.shape_key_names(obj),
        request.options,
        length_from_input=request.length_from_input,
        profile=profile,
    )
    if notes:
        curves = _with_notes(curves, notes)
    result = bake.bake_take(obj, curves, request.take)
    bake.keep_performance(result.action_name, store.encode(performance))  # for Score Take
    return result


def _with_notes(curves, notes):
    """``curves`` (a CurveSet or LayeredCurves) with ``notes`` added to its warnings."""
    from ..pipeline.layers import LayeredCurves

    if isinstance(curves, LayeredCurves):
        full = curves.full
        return replace(curves, full=replace(full, warnings=(*full.warnings, *notes)))
    return replace(curves, warnings=(*curves.warnings, *notes))


class FACEAFF_OT_bake_emotion(bpy.types.Operator):
    """Bake the chosen emotion (one emotion, a compound preset or the mix) as a new take"""

    bl_idname = "faceaff.bake_emotion"
    bl_label = "Bake Emotion"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        return poll_with_reason(cls, shape_key_problem(target_object(context)))

    @reports_errors
    def execute(self, context):
        request = bake_request(context.scene, emotion_only=True)
        report_bake(self, bake_performance(target_object(context), request))
        return {"FINISHED"}


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

    @reports_errors
    def execute(self, context):
        report_bake(self, bake_performance(target_object(context), bake_request(context.scene)))
        return {"FINISHED"}


class _TakeOperator:
    """What the take operators share: they need a target with takes and a take to act on."""

    if TYPE_CHECKING:
        action: str  # each operator's StringProperty

    @classmethod
    def poll(cls, context):
        return poll_with_reason(cls, takes_problem(target_object(context)))

    def take_name(self, context, *, or_active: bool) -> str:
        """The take named by ``action``, else the one selected in the list (else the active).

        Raises:
            InputError: None of them.
        """
        name = self.action or selected_take_name(context)
        if not name and or_active:
            name = _active_take_name(target_object(context))
        if not name:
            raise InputError(
                "No take is active; pick one to clear."
                if or_active
                else "Pick a take in the list first."
            )
        return name


class FACEAFF_OT_clear_take(_TakeOperator, bpy.types.Operator):
    """Delete a take and put back the animation that was active before it"""

    bl_idname = "faceaff.clear_take"
    bl_label = "Clear Take"
    bl_options = {"REGISTER", "UNDO"}

    action: StringProperty(name="Take", description="Action name of the take (empty: active)")

    @reports_errors
    def execute(self, context):
        name = self.take_name(context, or_active=True)
        restored = bake.clear_take(target_object(context), name)
        note = f"; restored {restored!r}" if restored else ""
        self.report({"INFO"}, f"Deleted take {name!r}{note}.")
        return {"FINISHED"}


class FACEAFF_OT_activate_take(_TakeOperator, bpy.types.Operator):
    """Make a take the active animation of the target's shape keys"""

    bl_idname = "faceaff.activate_take"
    bl_label = "Activate Take"
    bl_options = {"REGISTER", "UNDO"}

    action: StringProperty(name="Take", description="Action name of the take (empty: selected)")

    @reports_errors
    def execute(self, context):
        name = self.take_name(context, or_active=False)
        bake.activate_take(target_object(context), name)
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
    """The take that plays: the active action if it is a take, else a layered take's."""
    from .bake_layers import active_layered_take

    anim = obj.data.shape_keys.animation_data if obj.data.shape_keys else None
    action = anim.action if anim else None
    if action is None:
        action = active_layered_take(obj)
    return action.name if action is not None and action.get(bake.TAKE_TAG) else None


class FACEAFF_OT_add_demo_head(bpy.types.Operator):
    """Add the built-in demo head (52 ARKit shape keys) to the scene"""

    bl_idname = "faceaff.add_demo_head"
    bl_label = "Add Demo Head"
    bl_options = {"REGISTER", "UNDO"}

    @reports_errors
    def execute(self, context):
        from ..pipeline.models import demo_head_path

        path = demo_head_path()
        if not path.exists():
            raise InputError(f"Demo head not found at {path}; reinstall the add-on.")
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
            raise InputError(f"{path.name} holds no DemoHead object with shape keys.")
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
# fake-bpy-module 5.0 types register_classes_factory() as returning None, not the pair.
register, unregister = bpy.utils.register_classes_factory(classes)  # type: ignore[func-returns-value,misc]
