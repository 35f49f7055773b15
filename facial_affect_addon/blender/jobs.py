"""Background jobs: analysis, transcription and LLM calls off Blender's main thread.

A job's *work* function runs on a worker thread and never touches ``bpy``: operators convert
every property into plain typed options before :func:`start_job`. The worker talks to the main
thread only through one :class:`queue.Queue` of messages (progress, result, error); the main
thread drains it in :func:`drain_jobs`, which a ``bpy.app.timers`` callback calls in the UI
(timers never fire in background Blender, so tests call :func:`drain_jobs` directly).

Progress lands on the scene settings (``job_progress``, ``job_status``) where the panel draws
it, and in the status bar through ``window_manager.progress_update`` when a window exists.
Every job can be cancelled: the worker receives ``should_cancel`` (a :class:`threading.Event`'s
``is_set``) and the pipeline polls it; a cancelled job's result is thrown away, so it never
writes anything. Loading another file cancels running jobs.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import bpy
from bpy.app.handlers import persistent

from ..core.errors import FacialAffectError
from ..pipeline.worker import (
    JobCancelled,
    JobDone,
    JobFailed,
    JobMessage,
    JobProgress,
    Work,
    run_work,
    with_eta,
)
from .reporting import error_log_path, log_internal_error, one_line

POLL_INTERVAL_S = 0.1


class JobBusyError(FacialAffectError):
    """A job of the same kind is already running."""


@dataclass
class Job:
    """A running job, as the main thread sees it."""

    id: int
    kind: str
    label: str
    scene_name: str
    on_done: Callable[[Any], str | None]
    cancel_event: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    progress: float = 0.0
    status: str = ""
    step: str = ""  # the last progress message, without its ETA

    def should_cancel(self) -> bool:
        """True once the user asked to cancel (polled by the worker)."""
        return self.cancel_event.is_set()


_JOBS: dict[str, Job] = {}
_MESSAGES: queue.Queue[JobMessage] = queue.Queue()
_IDS = itertools.count(1)
_on_file_load: list[Callable[[], None]] = []


def is_running(kind: str | None = None) -> bool:
    """Whether a job (of ``kind``, or any) is running."""
    return bool(_JOBS) if kind is None else kind in _JOBS


def get_job(kind: str) -> Job | None:
    """The running job of ``kind``, or None."""
    return _JOBS.get(kind)


def start_job(
    kind: str,
    label: str,
    work: Work,
    *,
    scene: bpy.types.Scene,
    on_done: Callable[[Any], str | None],
) -> Job:
    """Run ``work(progress, should_cancel)`` on a worker thread.

    Args:
        kind: One job per kind at a time (e.g. ``"analyze"``).
        label: Shown in the panel while it runs.
        work: Plain-Python function; calls ``progress(fraction, message)`` and polls
            ``should_cancel()``. It must not touch bpy.
        scene: The scene whose settings show the job.
        on_done: Called on the main thread with the work's result; returns a status message
            (or None); may raise FacialAffectError, which becomes the job's error.

    Raises:
        JobBusyError: A job of this kind is already running.
    """
    if kind in _JOBS:
        raise JobBusyError(f"{_JOBS[kind].label} is still running; wait or cancel it first.")
    job = Job(next(_IDS), kind, label, scene.name, on_done)
    job.thread = threading.Thread(
        target=run_work,
        args=(job.id, work, job.cancel_event, _MESSAGES.put),
        kwargs={"log": error_log_path()},  # the same log as the operators' internal errors
        name=f"faceaff-{kind}",
        daemon=True,
    )
    _JOBS[kind] = job
    _show(job, 0.0, f"{label}…", running=True, error=False)
    _progress_begin()
    job.thread.start()
    if not bpy.app.timers.is_registered(drain_jobs):
        bpy.app.timers.register(drain_jobs, first_interval=POLL_INTERVAL_S)
    return job


def cancel_job(kind: str | None = None) -> bool:
    """Ask a job (or all) to stop; its result will be discarded. Returns whether one ran."""
    jobs = list(_JOBS.values()) if kind is None else [j for j in [_JOBS.get(kind)] if j]
    for job in jobs:
        job.cancel_event.set()
        _show(job, job.progress, f"Cancelling {job.label.lower()}…")
    return bool(jobs)


def drain_jobs() -> float | None:
    """Apply every queued message on the main thread (the timer callback; tests call it).

    Returns:
        The delay until the next call while jobs run, else None (which stops the timer).
    """
    by_id = {job.id: job for job in _JOBS.values()}
    while True:
        try:
            message = _MESSAGES.get_nowait()
        except queue.Empty:
            break
        job = by_id.get(message.job_id)
        if job is None:
            continue  # a job forgotten on file load
        if isinstance(message, JobProgress):
            job.progress = min(max(message.fraction, 0.0), 1.0)
            job.step = message.message or job.step or job.status
            _show(job, job.progress, with_eta(job.step, message.eta_s))
            _progress_update(job.progress)
        else:
            _finish(job, message)
    return POLL_INTERVAL_S if _JOBS else None


def _finish(job: Job, message: JobDone | JobFailed | JobCancelled) -> None:
    _JOBS.pop(job.kind, None)
    if not _JOBS:
        _progress_end()
    if isinstance(message, JobDone) and job.cancel_event.is_set():
        message = JobCancelled(job.id)
    if isinstance(message, JobCancelled):
        _show(job, 0.0, f"{job.label} cancelled; nothing was changed.", running=False)
    elif isinstance(message, JobFailed):
        _show(job, 0.0, f"{job.label} failed: {message.message}", running=False, error=True)
    else:
        try:
            status = job.on_done(message.result)
        except FacialAffectError as exc:
            _show(job, 0.0, f"{job.label} failed: {one_line(str(exc))}", running=False, error=True)
        except Exception as exc:  # a bug: traceback to the log, one line in the panel
            report = log_internal_error(exc, f"{job.label} (applying the result)")
            _show(job, 0.0, f"{job.label} failed: {report}", running=False, error=True)
        else:
            _show(job, 1.0, status or f"{job.label} done.", running=False, error=False)


def _settings(job: Job):
    scene = bpy.data.scenes.get(job.scene_name)
    return getattr(scene, "faceaff", None) if scene is not None else None


def _show(
    job: Job, progress: float, status: str, *, running: bool | None = None, error=None
) -> None:
    """Mirror the job's state on its scene's settings and redraw the sidebar."""
    job.status = status
    settings = _settings(job)
    if settings is None:
        return
    settings.job_progress = progress
    settings.job_status = status
    if running is not None:
        settings.job_running = running
    if error is not None:
        settings.job_error = error
    _redraw()


def _redraw() -> None:
    wm = bpy.context.window_manager
    for window in wm.windows if wm else ():
        for area in window.screen.areas:
            if area.type == "VIEW_3D":
                area.tag_redraw()


def _progress_begin() -> None:
    wm = bpy.context.window_manager
    if wm is not None and wm.windows:
        wm.progress_begin(0.0, 1.0)


def _progress_update(value: float) -> None:
    wm = bpy.context.window_manager
    if wm is not None and wm.windows:
        wm.progress_update(value)


def _progress_end() -> None:
    wm = bpy.context.window_manager
    if wm is not None and wm.windows:
        wm.progress_end()


def wait_for_jobs(timeout_s: float = 5.0) -> None:
    """Cancel every job and wait (bounded) for the worker threads to end."""
    threads = [j.thread for j in _JOBS.values() if j.thread is not None]
    cancel_job()
    for thread in threads:
        thread.join(timeout_s)


def forget_jobs() -> None:
    """Cancel all jobs and drop them (their late results are ignored)."""
    cancel_job()
    _JOBS.clear()


def add_file_load_callback(callback: Callable[[], None]) -> None:
    """Call ``callback`` (main thread) before another file is loaded."""
    if callback not in _on_file_load:
        _on_file_load.append(callback)


@persistent
def _on_load_pre(*_args) -> None:
    forget_jobs()
    for callback in list(_on_file_load):
        callback()


def register() -> None:
    """Cancel running jobs when another file is loaded."""
    bpy.app.handlers.load_pre.append(_on_load_pre)


def unregister() -> None:
    """Stop every job, the timer and the handler."""
    wait_for_jobs()
    _JOBS.clear()
    if _on_load_pre in bpy.app.handlers.load_pre:
        bpy.app.handlers.load_pre.remove(_on_load_pre)
    if bpy.app.timers.is_registered(drain_jobs):
        bpy.app.timers.unregister(drain_jobs)
