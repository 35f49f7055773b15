"""Analyze (a background job), Cancel, and Clear Analysis.

Analyze reads the panel into a :class:`~..pipeline.analysis.AnalysisRequest` on the main
thread; :mod:`.jobs` runs :func:`~..pipeline.analysis.run_analysis` (the same function the
CLI's ``text``/``audio``/``video`` commands call) on a worker thread, which also encodes the
result for the .blend (:func:`~..pipeline.store.keep`). When the job finishes the result is
stored on the scene settings (the compact form for Bake, collections for the panel) and, if
asked, baked right away. A cancelled or failed job changes nothing.
"""

from __future__ import annotations

import bpy
from bpy.props import BoolProperty

from ..core.emotions import EMOTION_NAMES
from ..core.errors import RigError
from ..pipeline.options import FaceMode, InputSource
from . import jobs
from .face_pick import ANALYSED_FACE_PROP, show_faces
from .operators import bake_performance, bake_request, shape_key_problem
from .prefs import service_settings
from .props import target_object
from .reporting import poll_with_reason, report_warnings, reports_errors

JOB_KIND = "analyze"


def input_problem(settings) -> str | None:
    """Why Analyze cannot run with these settings, or None."""
    source = settings.input_source
    if source == InputSource.WEBCAM:
        return "The webcam is read live by Live Preview, not by Analyze."
    if source == InputSource.MIC:
        return "The microphone is used by Live Preview; Analyze reads a line or a file."
    if source == InputSource.TEXT and not settings.lines():
        return "Type a line of dialogue (or pick a Script) to analyse."
    if source == InputSource.AUDIO and not settings.audio_path:
        return "Choose an audio file to analyse."
    if source == InputSource.VIDEO and not settings.video_path:
        return "Choose a video file to analyse."
    return None


def analysis_request(context):
    """The panel's input as a :class:`~..pipeline.analysis.AnalysisRequest` (main thread).

    Raises:
        InputError: An invalid LLM endpoint or model name in the preferences.
    """
    from ..pipeline.analysis import AnalysisRequest

    settings = context.scene.faceaff
    source = InputSource(settings.input_source)
    path = settings.audio_path if source == InputSource.AUDIO else settings.video_path
    mirror = settings.face_mode() == FaceMode.MIRROR
    return AnalysisRequest(
        source=source,
        lines=tuple(settings.lines()),
        path=bpy.path.abspath(path) if path else "",
        services=service_settings(context),
        sample_fps=0.0 if mirror else settings.video_sample_fps,
        neutral_at_s=None if settings.video_neutral_auto else settings.video_neutral_at,
        face_index=None if settings.video_face_auto else settings.video_face_index,
        micro_spot=source == InputSource.VIDEO and settings.video_micro_spot,
        video_audio=settings.video_audio and not mirror,  # the capture moves the mouth
    )


def store_performance(settings, performance, stored=None) -> None:
    """Keep an analysed performance on the scene settings (main thread)."""
    from ..pipeline import store

    stored = stored or store.keep(performance)
    settings.clear_analysis()
    settings.analysis_token = stored.token
    settings.analysis_data = stored.text
    settings.transcript = performance.transcript
    settings.analysis_models = "; ".join(f"{k}: {v}" for k, v in performance.models.items())
    settings.analysis_warnings = " ".join(performance.warnings)
    values = performance.weights.as_dict()
    for name in EMOTION_NAMES:
        item = settings.weights.add()
        item.name = name
        item.value = values.get(name, 0.0)
    for seg in performance.segments:
        item = settings.segments.add()
        item.name = seg.text[:60] or seg.weights.dominant()
        item.start_s, item.end_s = seg.start_s, seg.end_s
        item.text = seg.text
        item.dominant = seg.weights.dominant()
        item.intensity = seg.intensity
        item.source = seg.source


class FACEAFF_OT_analyze(bpy.types.Operator):
    """Read the emotion of the chosen input in the background (Bake then bakes it)"""

    bl_idname = "faceaff.analyze"
    bl_label = "Analyze"
    bl_options = {"REGISTER"}  # changes only the analysis result, when the job ends

    bake_after: BoolProperty(
        name="Bake when done",
        description="Bake the performance as a take as soon as the analysis finishes",
        default=False,
    )

    @classmethod
    def poll(cls, context):
        return poll_with_reason(cls, input_problem(context.scene.faceaff))

    @reports_errors
    def execute(self, context):
        return start_analysis(self, context, bake_after=self.bake_after)


def start_analysis(operator, context, *, bake_after: bool = False) -> set[str]:
    """Start the Analyze job for the panel's input (Analyze and the face thumbnails' pick).

    Returns:
        The operator result: ``{"CANCELLED"}`` (with a warning) while an analysis runs.

    Raises:
        RigError: ``bake_after`` with no usable target.
        InputError: As :func:`analysis_request`.
    """
    if jobs.is_running(JOB_KIND):
        operator.report({"WARNING"}, "An analysis is already running: wait or cancel it first.")
        return {"CANCELLED"}
    if bake_after:
        problem = shape_key_problem(target_object(context))
        if problem:
            raise RigError(problem)
    from ..pipeline import analysis

    request = analysis_request(context)
    scene_name = context.scene.name
    target_name = getattr(target_object(context), "name", "")

    def work(progress, should_cancel):
        return analysis.analyse_and_keep(request, progress, should_cancel)

    def on_done(result):
        return _apply(scene_name, target_name, *result, bake_after)

    label = "Analysis" if request.face_index is None else f"Analysis of face {request.face_index}"
    jobs.start_job(JOB_KIND, label, work, scene=context.scene, on_done=on_done)
    report_warnings(operator, request.services.notices)
    operator.report({"INFO"}, f"{label} running in the background…")
    return {"FINISHED"}


SPOT_MARKER_PREFIXES = ("micro ", "macro ")
FOUND_BURSTS_PROP = "faceaff_found_bursts"
"""Scene ID property: the last spot's found bursts (a ``--micro-file`` JSON document), read by
Add Found Bursts to Bake (:mod:`.micro_ui`); saved with the .blend and undone with it."""


def set_spot_markers(scene, markers, found=None) -> None:
    """Replace the scene's spotted-expression markers with ``markers`` ((time s, label) pairs).

    Times count from the bake's first frame (the panel's Start frame), as the baked curves do.
    ``found`` (the spot's bursts, :func:`~..pipeline.micro_spot.found_bursts`) replaces the
    stored ones; None forgets them.
    """
    from ..pipeline.micro_spot import found_to_text

    if found is None:
        scene.pop(FOUND_BURSTS_PROP, None)
    else:
        scene[FOUND_BURSTS_PROP] = found_to_text(found)
    for old in [m for m in scene.timeline_markers if m.name.startswith(SPOT_MARKER_PREFIXES)]:
        scene.timeline_markers.remove(old)
    fps = scene.render.fps / scene.render.fps_base
    start = scene.faceaff.frame_start
    for time_s, label in markers:
        scene.timeline_markers.new(label, frame=start + round(time_s * fps))


def _apply(
    scene_name: str,
    target_name: str,
    performance,
    stored,
    markers,
    found,
    faces,
    face_id: int | None,
    bake_after: bool,
) -> str:
    """Main thread: store the result, set spot markers, bake if asked. Raises FacialAffectError."""
    scene = bpy.data.scenes.get(scene_name)
    if scene is None:
        return "The scene was removed; the analysis was discarded."
    message = f"Analysed: mostly {performance.weights.dominant()}."
    if markers is not None:  # spotting ran: its markers replace the last spot's
        set_spot_markers(scene, markers, found)
        message += f" {sum(m[1].startswith('micro ') for m in markers)} micro-expression(s) marked."
    if bake_after:
        obj = bpy.data.objects.get(target_name)
        problem = shape_key_problem(obj)
        if problem:
            raise RigError(problem)
        result = bake_performance(obj, bake_request(scene, performance))
        message += f" Baked take {result.action_name!r}."
    store_performance(scene.faceaff, performance, stored)
    show_faces(scene, faces, face_id)
    if performance.warnings:
        message += " " + performance.warnings[0]
    return message


class FACEAFF_OT_cancel_job(bpy.types.Operator):
    """Cancel the running analysis; nothing it computed is kept"""

    bl_idname = "faceaff.cancel_job"
    bl_label = "Cancel"
    bl_options = {"REGISTER"}

    @classmethod
    def poll(cls, context):
        return poll_with_reason(cls, None if jobs.is_running() else "No job is running.")

    @reports_errors
    def execute(self, context):
        jobs.cancel_job()
        self.report({"INFO"}, "Cancelling…")
        return {"FINISHED"}


class FACEAFF_OT_clear_analysis(bpy.types.Operator):
    """Forget the analysed performance (Bake then uses the preset emotion)"""

    bl_idname = "faceaff.clear_analysis"
    bl_label = "Clear Analysis"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        has = context.scene.faceaff.has_analysis
        return poll_with_reason(cls, None if has else "Nothing has been analysed.")

    @reports_errors
    def execute(self, context):
        context.scene.faceaff.clear_analysis()
        context.scene.pop(ANALYSED_FACE_PROP, None)
        return {"FINISHED"}


classes = (FACEAFF_OT_analyze, FACEAFF_OT_cancel_job, FACEAFF_OT_clear_analysis)
# fake-bpy-module 5.0 types register_classes_factory() as returning None, not the pair.
register, unregister = bpy.utils.register_classes_factory(classes)  # type: ignore[func-returns-value,misc]
