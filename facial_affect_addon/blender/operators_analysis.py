"""Analyze (a background job), Cancel, and Clear Analysis.

Analyze reads the panel into an :class:`~.analysis_work.AnalysisRequest` on the main thread,
then :mod:`.jobs` runs the analysis on a worker thread. When the job finishes, the result is
stored on the scene settings (JSON for Bake, collections for the panel) and, if asked, baked
right away. A cancelled or failed job changes nothing.
"""

from __future__ import annotations

import bpy
from bpy.props import BoolProperty

from ..core.emotions import EMOTION_NAMES
from ..core.errors import FacialAffectError
from . import jobs
from .operators import bake_settings, shape_key_problem
from .prefs import service_settings
from .props import target_object

JOB_KIND = "analyze"


def input_problem(settings) -> str | None:
    """Why Analyze cannot run with these settings, or None."""
    from .analysis_work import video_available

    source = settings.input_source
    if source in {"VIDEO", "WEBCAM"} and not video_available():
        return (
            f"{source.capitalize()} input is not available yet "
            "(it arrives with the video issue: facial_affect_addon/video_pipeline.py)."
        )
    if source == "WEBCAM":
        return "The webcam is read live by Live Preview, not by Analyze."
    if source == "MIC":
        return "The microphone is used by Live Preview; Analyze reads a line or a file."
    if source == "TEXT" and not settings.lines():
        return "Type a line of dialogue (or pick a Script) to analyse."
    if source == "AUDIO" and not settings.audio_path:
        return "Choose an audio file to analyse."
    if source == "VIDEO" and not settings.video_path:
        return "Choose a video file to analyse."
    return None


def _request(context):
    from .analysis_work import AnalysisRequest

    settings = context.scene.faceaff
    services = service_settings(context)
    source = settings.input_source
    path = settings.audio_path if source == "AUDIO" else settings.video_path
    return AnalysisRequest(
        source=source,
        lines=tuple(settings.lines()),
        path=bpy.path.abspath(path) if path else "",
        stt_engine=services.stt_engine,
        llm=services.llm,
        stt_config=services.stt_config,
        sample_fps=0.0 if settings.drive() == "capture" else settings.video_sample_fps,
        neutral_at_s=None if settings.video_neutral_auto else settings.video_neutral_at,
        notices=services.notices,
    )


def store_performance(settings, performance) -> None:
    """Keep an analysed performance on the scene settings (main thread)."""
    from .analysis_work import performance_to_json

    settings.clear_analysis()
    settings.analysis_json = performance_to_json(performance)
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
        problem = input_problem(context.scene.faceaff)
        if problem:
            cls.poll_message_set(problem)
        return problem is None

    def execute(self, context):
        if jobs.is_running(JOB_KIND):
            self.report({"WARNING"}, "An analysis is already running: wait or cancel it first.")
            return {"CANCELLED"}
        if self.bake_after:
            problem = shape_key_problem(target_object(context))
            if problem:
                self.report({"ERROR"}, problem)
                return {"CANCELLED"}
        try:
            request = _request(context)
        except FacialAffectError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        from .analysis_work import run_analysis

        scene_name = context.scene.name
        target_name = getattr(target_object(context), "name", "")
        bake_after = self.bake_after

        def work(progress, should_cancel):
            return run_analysis(request, progress, should_cancel)

        def on_done(performance):
            return _apply(scene_name, target_name, performance, bake_after)

        jobs.start_job(JOB_KIND, "Analysis", work, scene=context.scene, on_done=on_done)
        for notice in request.notices:
            self.report({"WARNING"}, notice)
        self.report({"INFO"}, "Analysing in the background…")
        return {"FINISHED"}


def _apply(scene_name: str, target_name: str, performance, bake_after: bool) -> str:
    """Main thread: store the result, bake if asked. Raises FacialAffectError."""
    scene = bpy.data.scenes.get(scene_name)
    if scene is None:
        return "The scene was removed; the analysis was discarded."
    settings = scene.faceaff
    message = f"Analysed: mostly {performance.weights.dominant()}."
    if bake_after:
        obj = bpy.data.objects.get(target_name)
        problem = shape_key_problem(obj)
        if problem:
            from ..core.errors import RigError

            raise RigError(problem)
        previous = settings.analysis_json
        settings.analysis_json = _json(performance)
        try:
            result = bake_settings(_SceneContext(scene), obj)
        except FacialAffectError:
            settings.analysis_json = previous
            raise
        message += f" Baked take {result.action_name!r}."
    store_performance(settings, performance)
    if performance.warnings:
        message += " " + performance.warnings[0]
    return message


def _json(performance) -> str:
    from .analysis_work import performance_to_json

    return performance_to_json(performance)


class _SceneContext:
    """The bit of a context :func:`bake_settings` reads, for a job finishing in a timer."""

    def __init__(self, scene):
        self.scene = scene


class FACEAFF_OT_cancel_job(bpy.types.Operator):
    """Cancel the running analysis; nothing it computed is kept"""

    bl_idname = "faceaff.cancel_job"
    bl_label = "Cancel"
    bl_options = {"REGISTER"}

    @classmethod
    def poll(cls, context):
        if not jobs.is_running():
            cls.poll_message_set("No job is running.")
            return False
        return True

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
        if not context.scene.faceaff.analysis_json:
            cls.poll_message_set("Nothing has been analysed.")
            return False
        return True

    def execute(self, context):
        context.scene.faceaff.clear_analysis()
        return {"FINISHED"}


classes = (FACEAFF_OT_analyze, FACEAFF_OT_cancel_job, FACEAFF_OT_clear_analysis)
register, unregister = bpy.utils.register_classes_factory(classes)
