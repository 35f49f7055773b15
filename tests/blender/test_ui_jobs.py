"""Background jobs: progress, cancellation, refusal of a second Analyze, errors in the panel."""

from __future__ import annotations

import threading
import time

import bpy
import pytest

from facial_affect_addon.blender import bake, jobs

from . import ui_fixtures as ui
from .helpers import scene_fingerprint
from .ui_fixtures import *  # noqa: F403 - fixtures


def _wait_progress(settings, minimum: float, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while settings.job_progress < minimum:
        jobs.drain_jobs()
        assert time.monotonic() < deadline, "no progress arrived"
        time.sleep(0.02)


def test_progress_reaches_the_panel_and_status(face, slow_analysis):
    slow_analysis.steps, slow_analysis.step_s = 20, 0.01
    settings = bpy.context.scene.faceaff
    settings.text = "anything"
    bpy.ops.faceaff.analyze()
    assert settings.job_running and jobs.is_running("analyze")
    _wait_progress(settings, 0.1)
    assert settings.job_status.startswith("Step")
    ui.drain_until_idle()
    assert not settings.job_running and settings.job_progress == 1.0
    assert jobs.drain_jobs() is None  # the timer stops itself when idle


def test_cancelled_job_leaves_no_partial_take(face, slow_analysis):
    settings = bpy.context.scene.faceaff
    settings.text = "anything"
    before = scene_fingerprint()
    assert bpy.ops.faceaff.analyze(bake_after=True) == {"FINISHED"}
    _wait_progress(settings, 0.05)
    assert bpy.ops.faceaff.cancel_job() == {"FINISHED"}
    ui.drain_until_idle()
    assert "cancelled" in settings.job_status
    assert bake.list_takes(face) == [] and not settings.has_analysis
    assert scene_fingerprint() == before
    assert not bpy.ops.faceaff.cancel_job.poll()


def test_second_analyze_is_refused_politely(face, slow_analysis):
    settings = bpy.context.scene.faceaff
    settings.text = "anything"
    assert bpy.ops.faceaff.analyze() == {"FINISHED"}
    assert bpy.ops.faceaff.analyze() == {"CANCELLED"}  # a warning report, not an exception
    assert jobs.is_running("analyze")
    with pytest.raises(RuntimeError, match="Wait for the analysis"):
        bpy.ops.faceaff.bake()  # Bake waits for the running analysis too


def test_cancel_a_real_multi_line_analysis(face):
    ui.needs_text_model()
    settings = bpy.context.scene.faceaff
    script = bpy.data.texts.new("script")
    script.write("\n".join(f"Line number {i}, and I am very happy." for i in range(40)))
    settings.text_block = script
    before = scene_fingerprint()
    bpy.ops.faceaff.analyze(bake_after=True)
    _wait_progress(settings, 0.05, timeout_s=60)
    jobs.cancel_job()
    ui.drain_until_idle(timeout_s=60)
    assert "cancelled" in settings.job_status
    assert bake.list_takes(face) == [] and scene_fingerprint() == before


def test_job_errors_land_in_the_status(face, monkeypatch):
    from facial_affect_addon.core.errors import ModelError
    from facial_affect_addon.pipeline import analysis

    def broken(request, progress, should_cancel):
        raise ModelError("The text model is missing.")

    monkeypatch.setattr(analysis, "run_analysis", broken)
    settings = bpy.context.scene.faceaff
    settings.text = "anything"
    bpy.ops.faceaff.analyze()
    ui.drain_until_idle()
    assert settings.job_error and "text model is missing" in settings.job_status


def test_unexpected_worker_bug_is_a_sentence_not_a_crash(face, monkeypatch):
    from facial_affect_addon.pipeline import analysis

    monkeypatch.setattr(analysis, "run_analysis", lambda *a: 1 / 0)
    settings = bpy.context.scene.faceaff
    settings.text = "anything"
    bpy.ops.faceaff.analyze()
    ui.drain_until_idle()
    assert settings.job_error and "ZeroDivisionError" in settings.job_status
    # One log for every internal error: the worker's goes where the operators' go.
    from facial_affect_addon.blender.reporting import error_log_path

    log = error_log_path()
    assert "failed: internal error:" in settings.job_status and str(log) in settings.job_status
    assert "ZeroDivisionError" in log.read_text()


def test_loading_a_file_forgets_running_jobs(face, slow_analysis):
    bpy.context.scene.faceaff.text = "anything"
    bpy.ops.faceaff.analyze()
    bpy.ops.wm.read_homefile(use_empty=True, use_factory_startup=True)
    assert not jobs.is_running()
    jobs.drain_jobs()  # the old job's late messages are ignored


def test_progress_text_shows_the_eta_without_repeating_it(face):
    from facial_affect_addon.pipeline.worker import JobProgress

    release = threading.Event()
    settings = bpy.context.scene.faceaff
    job = jobs.start_job(
        "eta", "Waiting", lambda p, c: release.wait(10), scene=bpy.context.scene, on_done=str
    )
    try:
        jobs._MESSAGES.put(JobProgress(job.id, 0.4, "Reading the video…", 95.0))
        jobs.drain_jobs()
        assert settings.job_status == "Reading the video… (about 2 min left)"
        jobs._MESSAGES.put(JobProgress(job.id, 0.9, "", 5.0))  # same step, new estimate
        jobs.drain_jobs()
        assert settings.job_status == "Reading the video… (about 5 s left)"
    finally:
        release.set()
        ui.drain_until_idle()
