"""The Micro-expressions sub-panel of Bake: a list of authored bursts and the scatter switch.

Each row is a burst placed by hand (:mod:`.props_micro`): where it peaks, an emotion or an AU
set, its intensity and duration (40-500 ms). "Scatter" adds random bursts placed by the AU
co-occurrence model, as the CLI's ``--micro`` does. Bake uses both
(:meth:`~.props.FACEAFF_PG_settings.performance_options`).
"""

from __future__ import annotations

import bpy
from bpy.props import EnumProperty

from ..core.errors import InputError
from ..pipeline.options import FaceMode
from .panels import _AffectPanel
from .props import scene_fps
from .reporting import poll_with_reason, reports_errors


class FACEAFF_UL_micro(bpy.types.UIList):
    """One authored burst a row: time, what it shows, intensity, duration."""

    def draw_item(self, context, layout, data, item, icon, active_data, active_propname, index):
        row = layout.row(align=True)
        row.prop(item, "time", text="", emboss=False)
        row.label(text=item.label(), icon="SHADERFX")
        row.label(text=f"{item.intensity:.2f}")
        row.label(text=f"{item.duration_ms:.0f} ms")


class FACEAFF_OT_micro_add(bpy.types.Operator):
    """Add a micro-expression at the current frame"""

    bl_idname = "faceaff.micro_add"
    bl_label = "Add Micro-expression"
    bl_options = {"REGISTER", "UNDO"}

    shows: EnumProperty(
        name="Shows",
        items=[("EMOTION", "Emotion", "An emotion's face"), ("AUS", "AUs", "A set of AUs")],
        default="EMOTION",
        options={"SKIP_SAVE"},
    )

    @reports_errors
    def execute(self, context):
        scene = context.scene
        settings = scene.faceaff
        row = settings.micro_bursts.add()
        row.shows = self.shows
        seconds = (scene.frame_current - settings.frame_start) / scene_fps(scene)
        row.time = max(seconds, 0.1)
        settings.micro_index = len(settings.micro_bursts) - 1
        return {"FINISHED"}


class FACEAFF_OT_micro_remove(bpy.types.Operator):
    """Remove the selected micro-expression"""

    bl_idname = "faceaff.micro_remove"
    bl_label = "Remove Micro-expression"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        settings = context.scene.faceaff
        ok = 0 <= settings.micro_index < len(settings.micro_bursts)
        return poll_with_reason(cls, None if ok else "Select a micro-expression in the list.")

    def execute(self, context):
        settings = context.scene.faceaff
        settings.micro_bursts.remove(settings.micro_index)
        settings.micro_index = max(0, min(settings.micro_index, len(settings.micro_bursts) - 1))
        return {"FINISHED"}


def _found_markers(scene) -> list[tuple[float, str]]:
    """The scene's spotted micro-expression markers as (seconds from the bake's start, label)."""
    fps, start = scene_fps(scene), scene.faceaff.frame_start
    return [
        ((m.frame - start) / fps, m.name)
        for m in scene.timeline_markers
        if m.name.startswith("micro ")
    ]


def _last_found(scene) -> tuple:
    """The last spot's found bursts kept on the scene (empty when none, or unreadable)."""
    from ..pipeline.micro_spot import found_from_text
    from .operators_analysis import FOUND_BURSTS_PROP

    text = scene.get(FOUND_BURSTS_PROP)
    if not isinstance(text, str):
        return ()
    try:
        return found_from_text(text)
    except InputError:  # edited by hand: the markers alone still place the bursts
        return ()


class FACEAFF_OT_micro_add_found(bpy.types.Operator):
    """Add the micro-expressions Spot found (their timeline markers) to the bursts to bake"""

    bl_idname = "faceaff.micro_add_found"
    bl_label = "Add Found Bursts to Bake"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        found = _found_markers(context.scene)
        return poll_with_reason(
            cls, None if found else "No found bursts: Analyze a video with Spot micro-expressions."
        )

    @reports_errors
    def execute(self, context):
        from ..pipeline.micro_spot import found_specs

        scene = context.scene
        spotted = _last_found(scene)
        settings = scene.faceaff
        half_frame = 0.5 / scene_fps(scene)
        have = [(r.time, r.emotion) for r in settings.micro_bursts if r.shows == "EMOTION"]
        added = 0
        for spec in found_specs(_found_markers(scene), spotted):
            if any(abs(t - spec.time) < half_frame and e == spec.emotion for t, e in have):
                continue  # already in the list (added before)
            row = settings.micro_bursts.add()
            row.shows, row.emotion, row.time = "EMOTION", spec.emotion, spec.time
            row.intensity, row.duration_ms = spec.intensity, spec.duration * 1000.0
            have.append((row.time, row.emotion))
            added += 1
        if not added:
            self.report({"WARNING"}, "No new found bursts to add (neutral ones are skipped).")
            return {"CANCELLED"}
        settings.micro_index = len(settings.micro_bursts) - 1
        sized = "sized as found" if spotted else "at intensity 0.5, 200 ms (no spot result kept)"
        self.report({"INFO"}, f"Added {added} found burst(s), {sized}; edit them in the list.")
        if settings.face_mode() == FaceMode.MIRROR:
            self.report(
                {"WARNING"}, "Mirror already keeps found bursts; drive by Emotion to bake these."
            )
        return {"FINISHED"}


class FACEAFF_PT_micro(_AffectPanel, bpy.types.Panel):
    """Authored bursts and random scatter."""

    bl_idname = "FACEAFF_PT_micro"
    bl_label = "Micro-expressions"
    bl_parent_id = "FACEAFF_PT_bake"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout = self.layout
        settings = context.scene.faceaff
        layout.prop(settings, "micro", text="Scatter (co-occurrence model)")
        row = layout.row()
        row.template_list(
            "FACEAFF_UL_micro", "", settings, "micro_bursts", settings, "micro_index", rows=3
        )
        col = row.column(align=True)
        col.operator("faceaff.micro_add", text="", icon="ADD")
        col.operator("faceaff.micro_remove", text="", icon="REMOVE")
        layout.operator("faceaff.micro_add_found", icon="MARKER_HLT")
        if len(settings.micro_bursts) and settings.face_mode() == FaceMode.MIRROR:
            layout.label(text="Mirror bakes the capture: remove these to bake", icon="ERROR")
        if 0 <= settings.micro_index < len(settings.micro_bursts):
            item = settings.micro_bursts[settings.micro_index]
            col = layout.column(align=True)
            col.prop(item, "time")
            col.prop(item, "shows", expand=True)
            if item.shows == "EMOTION":
                col.prop(item, "emotion")
            else:
                col.prop(item, "aus")
                col.prop(item, "complete")
            col.prop(item, "intensity", slider=True)
            col.prop(item, "duration_ms")


classes = (
    FACEAFF_UL_micro,
    FACEAFF_OT_micro_add,
    FACEAFF_OT_micro_remove,
    FACEAFF_OT_micro_add_found,
    FACEAFF_PT_micro,
)
# fake-bpy-module 5.0 types register_classes_factory() as returning None, not the pair.
register, unregister = bpy.utils.register_classes_factory(classes)  # type: ignore[func-returns-value,misc]
