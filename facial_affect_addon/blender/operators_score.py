"""Score Take (issue 16): render a take's sampled frames, judge them, write its report.

Three phases, the UI responsive throughout:

1. **Render** (main thread, bpy): a modal operator renders one sampled frame per timer tick
   (:class:`.report_take.TakeRenderer`); Esc or the panel's Cancel stops it.
2. **Judge and report** (a worker job, :mod:`.jobs`, no bpy): the face model reads the renders
   (:func:`..pipeline.take_judge.judge_frames`) and :func:`..pipeline.report.build_report` /
   ``write_report`` write ``report.json``, the PNG plots and ``report.html`` into a hidden
   staging folder next to the report folder.
3. **Publish** (main thread): the staging folder is renamed to the report folder and the
   headline numbers land on the scene (``scene.faceaff_score``), where the Takes panel shows
   them. Open Report loads the plots as images and opens the HTML in the browser.

Cancelling in any phase puts the scene back (frame, render settings, camera, active action,
active object) and removes the renders and the staging folder: nothing half-written remains.
The report goes to ``<blend folder>/faceaff_report/<take>/`` (a temporary folder for an unsaved
file).
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import bpy
from bpy.props import BoolProperty, FloatProperty, IntProperty, StringProperty

from ..core.errors import CancelledError, InputError
from . import jobs
from .operators import active_take, selected_take_name, takes_problem
from .props import scene_fps, target_object
from .reporting import log_internal_error, one_line, poll_with_reason, reports_errors

JOB_KIND = "score_take"
TICK_S = 0.05
_ACTIVE: list[FACEAFF_OT_score_take] = []
_STAGING: set[Path] = set()  # staging folders of scoring jobs, removed once their job has ended


def sweep_staging() -> None:
    """Remove the staging folders of jobs that ended without publishing (a cancel that came
    after the worker's last check leaves its finished staging folder behind)."""
    if jobs.is_running(JOB_KIND):
        return
    for path in list(_STAGING):
        shutil.rmtree(path, ignore_errors=True)
        _STAGING.discard(path)


class FACEAFF_PG_score(bpy.types.PropertyGroup):
    """Score Take's settings and the last score's headline numbers."""

    frames: IntProperty(
        name="Frames", description="Frames to render and judge", default=12, min=2, max=120
    )
    resolution: IntProperty(
        name="Size", description="Render size (pixels, square)", default=384, min=128, max=2048
    )
    rendering: BoolProperty(name="Rendering", default=False)
    progress: FloatProperty(name="Progress", default=0.0, min=0.0, max=1.0, subtype="FACTOR")
    status: StringProperty(name="Status", default="")
    has_result: BoolProperty(name="Has Result", default=False)
    take: StringProperty(name="Take", default="")
    folder: StringProperty(name="Report Folder", default="", subtype="DIR_PATH")
    legibility: FloatProperty(name="Legibility", default=0.0)
    energy: FloatProperty(name="Energy", default=0.0)
    jerk: FloatProperty(name="RMS Jerk", default=0.0)
    communication: FloatProperty(name="Communication", default=0.0)
    communication_label: StringProperty(name="Communication Label", default="")


@dataclass(frozen=True)
class ScoreResult:
    """What the worker hands back to the main thread."""

    staging: Path
    folder: Path
    legibility: float
    energy: float
    jerk: float
    communication: float
    label: str


def report_folder(take_name: str) -> Path:
    """Where a take's report goes: next to the saved .blend, else a new temporary folder."""
    safe = bpy.path.clean_name(take_name) or "take"
    if bpy.data.filepath:
        return Path(bpy.path.abspath("//")) / "faceaff_report" / safe
    return Path(tempfile.mkdtemp(prefix="faceaff-report-")) / safe


def scored_take(context):
    """The take Score Take works on: the one selected in the list, else the active one."""
    obj = target_object(context)
    name = selected_take_name(context)
    action = bpy.data.actions.get(name) if name else active_take(obj)
    if action is None:
        raise InputError("Pick a take in the list (or activate one) to score.")
    return obj, action


class FACEAFF_OT_score_take(bpy.types.Operator):
    """Render sampled frames of the take, judge them with the face model and write its report"""

    bl_idname = "faceaff.score_take"
    bl_label = "Score Take"
    bl_options = {"REGISTER"}

    @classmethod
    def poll(cls, context):
        problem = takes_problem(target_object(context))
        if problem is None and (_ACTIVE or jobs.is_running(JOB_KIND)):
            problem = "A take is being scored (Esc or Cancel stops it)."
        return poll_with_reason(cls, problem)

    def invoke(self, context, event):
        return self.execute(context)

    @reports_errors
    def execute(self, context):
        from .report_take import TakeRenderer, plan_frames, take_performance

        sweep_staging()
        obj, action = scored_take(context)
        score = context.scene.faceaff_score
        performance = take_performance(action)  # a take without one: one clear error
        plan = plan_frames(action, performance, scene_fps(context.scene), score.frames)
        self._performance = performance
        self._renders = Path(tempfile.mkdtemp(prefix="faceaff-score-"))
        self._folder = report_folder(action.name)
        self._take = action.name
        self._scene_name = context.scene.name
        try:
            self._renderer = TakeRenderer(
                context.scene, obj, action, plan, self._renders, score.resolution
            )
        except Exception:
            shutil.rmtree(self._renders, ignore_errors=True)
            raise
        self._ended = False
        wm = context.window_manager
        self._timer = wm.event_timer_add(TICK_S, window=context.window) if context.window else None
        wm.modal_handler_add(self)
        _ACTIVE.append(self)
        _show(score, 0.0, f"Rendering {len(plan.frames)} frames of {action.name}…", rendering=True)
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        if self._ended:  # the Cancel button already stopped it and put the scene back
            return {"CANCELLED"}
        if event.type == "ESC" and event.value == "PRESS":
            return self.cancel_scoring(context)
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        try:
            return self.step(context)
        except Exception as exc:  # InputError from a render, or a bug: stop, one line
            message = one_line(str(exc)) if isinstance(exc, InputError) else None
            message = message or log_internal_error(exc, f"{self.bl_idname} (rendering)")
            self._stop(context)
            _show(context.scene.faceaff_score, 0.0, f"Score Take failed: {message}")
            self.report({"ERROR"}, message)
            return {"CANCELLED"}

    def step(self, context):
        """Render one frame; after the last, restore the scene and start the judging job."""
        renderer = self._renderer
        renderer.render_next()
        n, total = len(renderer.rendered), len(renderer.plan.frames)
        score = context.scene.faceaff_score
        _show(score, 0.5 * n / total, f"Rendered frame {n} of {total}", rendering=True)
        if not renderer.done:
            return {"RUNNING_MODAL"}
        self._end_modal(context)
        self._start_job(context)
        return {"FINISHED"}

    def cancel_scoring(self, context):
        """Stop rendering: the scene is put back and the renders removed."""
        self._stop(context)
        _show(context.scene.faceaff_score, 0.0, "Score Take cancelled; nothing was written.")
        return {"CANCELLED"}

    def _stop(self, context) -> None:
        self._end_modal(context)
        shutil.rmtree(self._renders, ignore_errors=True)

    def _end_modal(self, context) -> None:
        self._ended = True
        self._renderer.restore()
        if self._timer is not None:
            context.window_manager.event_timer_remove(self._timer)
            self._timer = None
        if self in _ACTIVE:
            _ACTIVE.remove(self)
        context.scene.faceaff_score.rendering = False

    def _start_job(self, context) -> None:
        frames, renders, folder = list(self._renderer.rendered), self._renders, self._folder
        performance = self._performance
        staging = folder.parent / f".{folder.name}.partial-{uuid.uuid4().hex[:8]}"
        _STAGING.add(staging)

        def work(progress, should_cancel):
            from ..pipeline.report import build_report, write_report
            from ..pipeline.take_judge import judge_frames

            try:
                legibility = judge_frames(
                    frames,
                    progress=lambda f, m: progress(0.5 + 0.3 * f, m),
                    should_cancel=should_cancel,
                )
                report = build_report(
                    performance,
                    legibility=legibility,
                    progress=lambda f, m="": progress(0.8 + 0.15 * f, m),
                    should_cancel=should_cancel,
                )
                write_report(report, staging)
                if should_cancel():
                    raise CancelledError("Score Take cancelled.")
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            finally:
                shutil.rmtree(renders, ignore_errors=True)
            return ScoreResult(
                staging,
                folder,
                legibility.share,
                report.total_energy,
                report.mean_rms_jerk,
                report.communication.score,
                report.communication.label,
            )

        scene = bpy.data.scenes[self._scene_name]
        take = self._take
        jobs.start_job(
            JOB_KIND,
            "Score Take",
            work,
            scene=scene,
            on_done=lambda result: _publish(scene.name, take, result),
        )


def _publish(scene_name: str, take: str, result: ScoreResult) -> str:
    """Main thread: rename the staging folder into place and show the headline numbers."""
    folder = result.folder
    _STAGING.discard(result.staging)
    old = folder.parent / f".{folder.name}.old-{uuid.uuid4().hex[:8]}"
    try:
        if folder.exists():
            folder.rename(old)
        result.staging.rename(folder)
    except OSError as exc:
        shutil.rmtree(result.staging, ignore_errors=True)
        if old.exists() and not folder.exists():
            old.rename(folder)
        raise InputError(f"Cannot write the report to {folder}: {exc.strerror}.") from None
    shutil.rmtree(old, ignore_errors=True)
    score = bpy.data.scenes[scene_name].faceaff_score  # type: ignore[attr-defined]
    score.take, score.folder, score.has_result = take, str(folder), True
    score.legibility, score.energy, score.jerk = result.legibility, result.energy, result.jerk
    score.communication, score.communication_label = result.communication, result.label
    message = f"Scored {take}: legibility {result.legibility:.0%}; report in {folder}"
    _show(score, 1.0, message)
    return message


def _show(score, progress: float, status: str, *, rendering: bool | None = None) -> None:
    score.progress, score.status = progress, status
    if rendering is not None:
        score.rendering = rendering
    for window in bpy.context.window_manager.windows if bpy.context.window_manager else ():
        for area in window.screen.areas:
            if area.type == "VIEW_3D":
                area.tag_redraw()


def active_scoring() -> FACEAFF_OT_score_take | None:
    """The Score Take operator that is rendering, or None."""
    return _ACTIVE[0] if _ACTIVE else None


class FACEAFF_OT_cancel_score(bpy.types.Operator):
    """Stop scoring the take; nothing is written and the scene is put back"""

    bl_idname = "faceaff.cancel_score"
    bl_label = "Cancel Score"
    bl_options = {"REGISTER"}

    @classmethod
    def poll(cls, context):
        running = bool(_ACTIVE) or jobs.is_running(JOB_KIND)
        return poll_with_reason(cls, None if running else "No take is being scored.")

    def execute(self, context):
        for op in list(_ACTIVE):
            op.cancel_scoring(context)  # at once, not at the next event
        jobs.cancel_job(JOB_KIND)  # its staging folder goes with the next sweep_staging()
        return {"FINISHED"}


class FACEAFF_OT_open_report(bpy.types.Operator):
    """Load the report's plots as images (shown in an Image Editor) and open its HTML page"""

    bl_idname = "faceaff.open_report"
    bl_label = "Open Report"
    bl_options = {"REGISTER"}

    browser: BoolProperty(name="Open in Browser", default=True)

    @classmethod
    def poll(cls, context):
        score = context.scene.faceaff_score
        ok = score.has_result and Path(score.folder, "report.html").is_file()
        return poll_with_reason(cls, None if ok else "Score a take first.")

    @reports_errors
    def execute(self, context):
        folder = Path(context.scene.faceaff_score.folder)
        images = [
            bpy.data.images.load(str(p), check_existing=True) for p in sorted(folder.glob("*.png"))
        ]
        _show_in_image_editor(context, images[0] if images else None)
        if self.browser:
            bpy.ops.wm.url_open(url=(folder / "report.html").resolve().as_uri())
        self.report({"INFO"}, f"Loaded {len(images)} plot(s) from {folder}.")
        return {"FINISHED"}


def _show_in_image_editor(context, image) -> None:
    """Show ``image`` in the first Image Editor of the window, if there is one."""
    screen = getattr(context, "screen", None)
    for area in screen.areas if (screen is not None and image is not None) else ():
        if area.type == "IMAGE_EDITOR":
            area.spaces.active.image = image
            return


def draw_score(layout, context) -> None:
    """The Takes panel's Score Take row, its progress, and the last score's numbers."""
    score = context.scene.faceaff_score
    running = score.rendering or jobs.is_running(JOB_KIND)
    row = layout.row(align=True)
    row.enabled = not running
    row.operator("faceaff.score_take", icon="VIEWZOOM")
    row.prop(score, "frames", text="")
    if running:
        row = layout.row(align=True)
        settings = context.scene.faceaff
        progress, text = score.progress, score.status
        if not score.rendering:
            progress, text = settings.job_progress, settings.job_status
        row.progress(factor=progress, text=text or "Working…")
        row.operator("faceaff.cancel_score", text="", icon="CANCEL")
        return
    if score.has_result:
        box = layout.box()
        box.label(text=f"Report: {score.take}", icon="INFO")
        col = box.column(align=True)
        col.label(text=f"Legibility: {score.legibility:.0%} of frames read as meant")
        col.label(text=f"Energy: {score.energy:.1f}")
        col.label(text=f"Smoothness (RMS jerk, lower is smoother): {score.jerk:.2f}")
        col.label(text=f"Communication score: {score.communication:.2f}")
        col.label(text=f"  ({score.communication_label})")
        box.operator("faceaff.open_report", icon="IMAGE_DATA")
    elif score.status:
        layout.label(text=score.status, icon="INFO")


classes = (
    FACEAFF_PG_score,
    FACEAFF_OT_score_take,
    FACEAFF_OT_cancel_score,
    FACEAFF_OT_open_report,
)


def _forget_on_load() -> None:
    """Another file is loading: Blender ends the modal operator; drop it and its renders (the
    scene it would restore is going away)."""
    for op in list(_ACTIVE):
        with contextlib.suppress(ReferenceError):  # Blender may have freed the operator
            shutil.rmtree(op._renders, ignore_errors=True)
    _ACTIVE.clear()


def register() -> None:
    """Register the classes and ``Scene.faceaff_score``."""
    for cls in classes:
        bpy.utils.register_class(cls)
    jobs.add_file_load_callback(_forget_on_load)
    # Added at run time (mypy cannot know it); fake-bpy-module types PointerProperty() as None.
    bpy.types.Scene.faceaff_score = bpy.props.PointerProperty(type=FACEAFF_PG_score)  # type: ignore[attr-defined,func-returns-value]


def unregister() -> None:
    """Stop a running score and remove everything :func:`register` added."""
    for op in list(_ACTIVE):
        try:
            op.cancel_scoring(bpy.context)
        except Exception as exc:  # unregistering must go on
            log_internal_error(exc, "Score Take (unregister)")
    _ACTIVE.clear()
    del bpy.types.Scene.faceaff_score  # type: ignore[attr-defined]
    for cls in reversed(classes):
        bpy.utils.unregister_class(cls)
