"""The "Affect" tab in the 3D Viewport sidebar: target, input, analysis, bake, takes, preview.

Panels only draw: every button is an operator whose poll() explains why it is disabled.
Rig detection runs on shape-key names only and is cached, so drawing stays cheap.
"""

from __future__ import annotations

import textwrap
from functools import lru_cache
from typing import TYPE_CHECKING

import bpy

from ..core.emotions import EMOTION_NAMES
from ..core.errors import RigError
from ..core.names import normalize_name
from ..pipeline.options import EmotionSource, FaceMode, InputSource, LiveSource
from . import bake, preview
from .face_pick import draw_faces
from .props import scene_fps, target_object


@lru_cache(maxsize=32)
def rig_summary(names: tuple[str, ...], edited: str = "") -> dict:
    """Profile, coverage and a problem (if any) for a rig's shape-key names (cached).

    ``edited`` is the mapping editor's profile as JSON (empty: the mapping Bake chooses from the
    names, :func:`..core.any_rig.auto_profile`). Coverage comes from
    :func:`..core.rig_mapping.profile_coverage`, so a whole-face (VRoid) head shows which
    emotions it can show rather than a low AU fraction.
    """
    import json

    from ..core.any_rig import auto_profile
    from ..core.errors import FacialAffectError
    from ..core.rig_mapping import profile_coverage
    from ..core.rig_profile import profile_from_dict
    from ..core.rigs import match_profile

    try:
        if edited:
            present = {normalize_name(n) for n in names}
            profile = profile_from_dict(json.loads(edited))
            kept = [k for k in profile.all_keys if normalize_name(k) in present]
            if not kept:
                raise RigError("The edited mapping names none of this head's keys.")
        else:
            profile = auto_profile(names)
        cov = match_profile(profile, names).coverage
    except FacialAffectError as exc:
        return {"problem": _detect_problem(names) or str(exc)}
    mapped = profile_coverage(profile, names)
    emotions = [(e, share) for e, share in mapped.emotions if e != "neutral"]
    return {
        "profile": profile.name,
        "description": profile.description,
        "whole_face": bool(profile.emotion_keys),
        "fraction": cov.fraction,
        "expressible": len(cov.expressible),
        "total": len(cov.expressible) + len(cov.missing),
        "missing": ", ".join(cov.missing_aus()),
        "emotions_shown": sum(share >= 0.5 for _, share in emotions),
        "emotions_total": len(emotions),
        "inexpressible": ", ".join(mapped.inexpressible),
        "channel_keys": mapped.channel_keys,
        "unmapped": mapped.unmapped_keys,
        "describe": mapped.describe(),
    }


def _detect_problem(names: tuple[str, ...]) -> str | None:
    """detect_profile's message for a head nothing maps (it names the families to rename to)."""
    from ..core.errors import FacialAffectError
    from ..core.rigs import detect_profile

    try:
        detect_profile(names)
    except FacialAffectError as exc:
        return str(exc)
    return None


def wrap(layout, text: str, context=None, icon: str = "NONE") -> None:
    """Labels wrapped to the region width (first line with ``icon``)."""
    region = getattr(context, "region", None)
    width = max(24, int((region.width if region and region.width > 1 else 280) / 7))
    col = layout.column(align=True)
    for i, line in enumerate(textwrap.wrap(text, width) or [""]):
        col.label(text=line, icon=icon if i == 0 else "NONE")


if TYPE_CHECKING:  # mypy checks the mix-in's settings against Panel's (Literal) types
    _PanelBase = bpy.types.Panel
else:
    _PanelBase = object


class _AffectPanel(_PanelBase):
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Affect"


class FACEAFF_PT_main(_AffectPanel, bpy.types.Panel):
    """Target object and what its rig can express."""

    bl_idname = "FACEAFF_PT_main"
    bl_label = "Facial Affect"

    def draw(self, context):
        layout = self.layout
        layout.prop(context.scene.faceaff, "target")
        obj = target_object(context)
        if obj is None:
            layout.label(text="No target: select a mesh with shape keys.", icon="INFO")
        elif obj.type != "MESH":
            layout.label(text=f"{obj.name} is not a mesh.", icon="ERROR")
        else:
            draw_rig(context, layout, obj)
        layout.operator("faceaff.add_demo_head", icon="MONKEY")
        draw_generate(context, layout, obj)


def draw_generate(context, layout, obj) -> None:
    """Detect Key Points (editable empties), Generate Expression Keys, and its progress."""
    from . import jobs
    from .rig_generate import JOB_KIND, key_point_empties

    running = jobs.is_running(JOB_KIND)
    row = layout.row(align=True)
    row.enabled = not running
    row.operator("faceaff.detect_key_points", icon="EMPTY_DATA")
    row.operator("faceaff.generate_expression_keys", icon="SHAPEKEY_DATA")
    if obj is not None and not running and key_point_empties(obj):
        layout.operator("faceaff.discard_key_points", icon="X")
    if running:
        draw_job(layout, context.scene.faceaff)


def draw_rig(context, layout, obj) -> None:
    """The target's shape keys, detected rig profile and AU coverage."""
    names = bake.shape_key_names(obj)
    if not names:
        layout.label(text=f"{obj.name} has no shape keys.", icon="ERROR")
        return
    mapping = getattr(obj, "faceaff_mapping", None)
    edited = edited_json(mapping)
    info = rig_summary(tuple(names), edited)
    box = layout.box()
    box.label(text=f"{obj.name}: {len(names)} shape keys", icon="SHAPEKEY_DATA")
    if "problem" in info:
        wrap(box, info["problem"], context, icon="ERROR")
    else:
        draw_coverage(context, box, info, edited=bool(edited))
    if mapping is not None:
        draw_mapping(context, box, mapping)


def edited_json(mapping) -> str:
    """The mapping editor's profile as JSON when Bake uses it, else ``""``."""
    if mapping is None or not mapping.use or not len(mapping.rows):
        return ""
    import json

    from .operators_mapping import rows_dict

    return json.dumps(rows_dict(mapping), sort_keys=True)


def draw_coverage(context, box, info: dict, *, edited: bool) -> None:
    """Which profile maps the head, what it can show, and what it cannot."""
    source = " (edited)" if edited else ""
    box.label(text=f"Rig profile: {info['profile']}{source}", icon="CHECKMARK")
    if info["whole_face"]:
        box.progress(
            factor=info["emotions_shown"] / max(1, info["emotions_total"]),
            text=f"Shows {info['emotions_shown']} of {info['emotions_total']} emotions",
        )
    else:
        box.progress(
            factor=info["fraction"],
            text=f"Can express {info['expressible']} of {info['total']} AU channels",
        )
        if info["missing"]:
            wrap(box, f"Cannot express: {info['missing']}", context, icon="INFO")
    if info["inexpressible"]:
        wrap(box, f"Cannot show: {info['inexpressible']}", context, icon="INFO")
    wrap(box, f"Mapping: {info['describe']}", context)


def draw_mapping(context, box, mapping) -> None:
    """The mapping editor: Suggest / Load / Save, the channel -> key list, Test and Stop."""
    col = box.column(align=True)
    row = col.row(align=True)
    row.label(text="Mapping", icon="LINKED")
    row.operator("faceaff.mapping_suggest", text="Suggest", icon="LIGHT")
    row.operator("faceaff.mapping_load", text="", icon="FILEBROWSER")
    row.operator("faceaff.mapping_save", text="", icon="FILE_TICK")
    if not len(mapping.rows):
        col.label(text="Bake maps the keys by name; Suggest to edit the mapping.", icon="INFO")
        return
    row = col.row(align=True)
    row.prop(mapping, "use")
    row.operator("faceaff.mapping_clear", text="", icon="X")
    row = col.row()
    row.template_list("FACEAFF_UL_mapping", "", mapping, "rows", mapping, "index", rows=5)
    side = row.column(align=True)
    side.operator("faceaff.mapping_add", text="", icon="ADD")
    side.operator("faceaff.mapping_remove", text="", icon="REMOVE")
    if mapping.test_key:
        row = col.row(align=True)
        row.label(text=f"Testing {mapping.test_key} at 1.0", icon="HIDE_OFF")
        row.operator("faceaff.mapping_stop_test", text="Stop Test", icon="LOOP_BACK")


class FACEAFF_PT_input(_AffectPanel, bpy.types.Panel):
    """What to read the emotion from, and the Analyze job."""

    bl_idname = "FACEAFF_PT_input"
    bl_label = "Input"
    bl_parent_id = "FACEAFF_PT_main"

    def draw(self, context):
        layout = self.layout
        settings = context.scene.faceaff
        layout.prop(settings, "input_source", text="")
        source = settings.input_source
        if source == InputSource.TEXT:
            layout.prop(settings, "text", text="")
            layout.prop(settings, "text_block")
        elif source == InputSource.AUDIO:
            layout.prop(settings, "audio_path", text="")
        elif source == InputSource.MIC:
            layout.label(text="Use Live Preview (below) to listen.", icon="REC")
        elif source in {InputSource.VIDEO, InputSource.WEBCAM}:
            if source == InputSource.VIDEO:
                layout.prop(settings, "video_path", text="")
                layout.prop(settings, "video_drive", expand=True)
                row = layout.row(align=True)
                row.prop(settings, "video_face_auto")
                sub = row.row(align=True)
                sub.enabled = not settings.video_face_auto
                sub.prop(settings, "video_face_index")
                draw_faces(layout, context.scene)
                layout.prop(settings, "video_micro_spot")
                if settings.video_drive == FaceMode.EMOTION:
                    layout.prop(settings, "video_audio")
                    layout.prop(settings, "video_sample_fps")
                else:
                    row = layout.row(align=True)
                    row.prop(settings, "video_neutral_auto")
                    sub = row.row(align=True)
                    sub.enabled = not settings.video_neutral_auto
                    sub.prop(settings, "video_neutral_at", text="")
            else:
                layout.label(text="The webcam is read by Live Preview (below).", icon="INFO")
        row = layout.row(align=True)
        row.enabled = not settings.job_running
        row.operator("faceaff.analyze", icon="VIEWZOOM")
        op = row.operator("faceaff.analyze", text="Analyze + Bake", icon="KEYINGSET")
        op.bake_after = True
        draw_job(layout, settings)


def draw_job(layout, settings) -> None:
    """Progress and Cancel while a job runs; its last status after."""
    if settings.job_running:
        row = layout.row(align=True)
        row.progress(factor=settings.job_progress, text=settings.job_status or "Working…")
        row.operator("faceaff.cancel_job", text="", icon="CANCEL")
    elif settings.job_status:
        layout.label(text=settings.job_status, icon="ERROR" if settings.job_error else "CHECKMARK")


class FACEAFF_PT_analysis(_AffectPanel, bpy.types.Panel):
    """Transcript, emotion weights, timeline and the models that produced them."""

    bl_idname = "FACEAFF_PT_analysis"
    bl_label = "Analysis"
    bl_parent_id = "FACEAFF_PT_main"

    def draw(self, context):
        from ..pipeline.models import model_notes
        from .prefs import get_preferences, service_prefs

        layout = self.layout
        settings = context.scene.faceaff
        if not settings.has_analysis:
            layout.label(text="Nothing analysed: Bake uses the preset emotion.", icon="INFO")
        else:
            if settings.transcript:
                wrap(layout.box(), f"“{settings.transcript}”", context, icon="TEXT")
            col = layout.column(align=True)
            for item in settings.weights:
                col.progress(factor=item.value, text=f"{item.name.capitalize()} {item.value:.0%}")
            draw_timeline(layout, settings)
            if settings.analysis_warnings:
                wrap(layout, settings.analysis_warnings, context, icon="ERROR")
            layout.operator("faceaff.clear_analysis", icon="X")
        box = layout.box()
        box.label(text="Models", icon="INFO")
        for name, note in model_notes(
            service_prefs(get_preferences(context)), bool(bpy.app.online_access)
        ):
            wrap(box, f"{name} — {note}", context)
        if settings.analysis_models:
            wrap(box, f"Last analysis: {settings.analysis_models}", context)


def draw_timeline(layout, settings) -> None:
    """The analysed timeline's events (first twelve)."""
    if not settings.segments:
        return
    box = layout.box()
    box.label(text=f"Timeline: {len(settings.segments)} event(s)", icon="TIME")
    for seg in settings.segments[:12]:
        row = box.row()
        row.label(text=f"{seg.start_s:5.1f}–{seg.end_s:.1f} s")
        row.label(text=f"{seg.dominant} {seg.intensity:.0%}")
        if seg.text:
            box.label(text=f"   {seg.text[:48]}")
    if len(settings.segments) > 12:
        box.label(text=f"… and {len(settings.segments) - 12} more")


class FACEAFF_PT_bake(_AffectPanel, bpy.types.Panel):
    """Frame range, synthesis and take settings, and the Bake button."""

    bl_idname = "FACEAFF_PT_bake"
    bl_label = "Bake"
    bl_parent_id = "FACEAFF_PT_main"

    def draw(self, context):
        layout = self.layout
        settings = context.scene.faceaff
        fps = scene_fps(context.scene)
        col = layout.column(align=True)
        col.prop(settings, "frame_start")
        if settings.has_analysis:
            col.prop(settings, "length_from_input")
        if not (settings.has_analysis and settings.length_from_input):
            col.prop(settings, "duration")
            end = settings.frame_start + max(1, round(settings.duration * fps)) - 1
            col.label(text=f"Frames {settings.frame_start}–{end} at {fps:g} fps (scene)")
        else:
            col.label(text=f"Whole performance at {fps:g} fps (scene)")
        if not settings.has_analysis:
            draw_emotion_choice(layout, settings)
        layout.prop(settings, "mode", expand=True)
        col = layout.column(align=True)
        col.prop(settings, "intensity", slider=True)
        col.prop(settings, "life")
        col.prop(settings, "sparse")
        col.prop(settings, "bake_layers")
        row = layout.row(align=True)
        row.prop(settings, "take_name", text="Take")
        row.prop(settings, "replace_take", text="", icon="FILE_REFRESH")
        text = "Bake Analysis" if settings.has_analysis else "Bake Emotion"
        layout.operator("faceaff.bake", text=text, icon="KEYINGSET")


def draw_emotion_choice(layout, settings) -> None:
    """Emotion / Preset / Mix: what Bake Emotion performs, and its one or seven controls."""
    layout.prop(settings, "emotion_source", expand=True)
    if settings.emotion_source == EmotionSource.PRESET:
        layout.prop(settings, "compound", text="")
    elif settings.emotion_source == EmotionSource.MIX:
        col = layout.column(align=True)
        for name in EMOTION_NAMES:
            col.prop(settings.mix, name, slider=True)
        total = sum(settings.mix.as_dict().values())
        if total <= 0:
            col.label(text="Raise at least one slider.", icon="ERROR")
    else:
        layout.prop(settings, "emotion", text="")


class FACEAFF_PT_takes(_AffectPanel, bpy.types.Panel):
    """The target's takes: switch, delete, export, import, score."""

    bl_idname = "FACEAFF_PT_takes"
    bl_label = "Takes"
    bl_parent_id = "FACEAFF_PT_main"

    def draw(self, context):
        layout = self.layout
        settings = context.scene.faceaff
        layout.template_list(
            "FACEAFF_UL_takes", "", bpy.data, "actions", settings, "take_index", rows=3
        )
        row = layout.row(align=True)
        row.operator("faceaff.activate_take", text="Activate", icon="PLAY")
        row.operator("faceaff.clear_take", text="Delete", icon="TRASH")
        from .layers_ui import draw_take_layers

        draw_take_layers(layout, context)
        row = layout.row(align=True)
        row.operator("faceaff.export_curves", text="Export", icon="EXPORT")
        row.operator("faceaff.import_curves", text="Import", icon="IMPORT")
        from .operators_head import draw_head

        draw_head(layout, context)
        from .operators_score import draw_score

        draw_score(layout, context)


class FACEAFF_PT_preview(_AffectPanel, bpy.types.Panel):
    """Live preview in the viewport and a quick preview render."""

    bl_idname = "FACEAFF_PT_preview"
    bl_label = "Preview"
    bl_parent_id = "FACEAFF_PT_main"

    def draw(self, context):
        layout = self.layout
        settings = context.scene.faceaff
        layout.prop(settings, "live_source", expand=True)
        if settings.live_source == LiveSource.WEBCAM:
            layout.prop(settings, "live_camera")
            layout.prop(settings, "live_face_mode", expand=True)
        layout.prop(settings, "live_record")
        if settings.live_running:
            layout.label(text="Live preview running: Esc or right-click stops.", icon="REC")
            running = preview.active_preview()
            if running is not None and running.session.text:
                wrap(layout, running.session.text, context)
        else:
            layout.operator("faceaff.live_preview", icon="PLAY")
        row = layout.row(align=True)
        row.prop(settings, "render_engine", text="")
        row.prop(settings, "render_size")
        layout.operator("faceaff.render_preview", icon="RENDER_ANIMATION")


classes = (
    FACEAFF_PT_main,
    FACEAFF_PT_input,
    FACEAFF_PT_analysis,
    FACEAFF_PT_bake,
    FACEAFF_PT_takes,
    FACEAFF_PT_preview,
)
# fake-bpy-module 5.0 types register_classes_factory() as returning None, not the pair.
register, unregister = bpy.utils.register_classes_factory(classes)  # type: ignore[func-returns-value,misc]
