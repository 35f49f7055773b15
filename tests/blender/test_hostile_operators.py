"""A bug in the live preview, Clear Analysis or Cancel is one line, never a traceback (issue 13).

The bug is forced with monkeypatch. The user reads ``internal error: <Type>: <msg> (details in
<log>)``, the traceback is in the error log, and the scene is as it was; a preview stops cleanly
(key values put back, timer and running state gone, no take baked).
"""

from __future__ import annotations

import bpy
import pytest

from facial_affect_addon.blender import bake, jobs, preview, props

from . import ui_fixtures as ui
from .helpers import scene_fingerprint
from .ui_fixtures import *  # noqa: F403 - fixtures

SCRIPT = ("[happiness] Hello there, how lovely to see you!", "[anger] Get out of my house.")


def _broken(*_args, **_kwargs):
    raise ZeroDivisionError("forced bug")


@pytest.fixture
def log(tmp_path, monkeypatch):
    folder = tmp_path / "logs"
    monkeypatch.setenv("FACIAL_AFFECT_LOG_DIR", str(folder))
    return folder / "facial_affect_errors.log"


@pytest.fixture
def reports(monkeypatch):
    """What the live preview reports (it runs outside bpy.ops here, so nothing raises)."""
    seen: list[tuple[set, str]] = []
    monkeypatch.setattr(preview, "_report", lambda _op, kind, text: seen.append((kind, text)))
    return seen


def _assert_internal_error(message: str, log) -> None:
    assert "\n" not in message and "Traceback" not in message and 'File "' not in message
    assert "internal error: ZeroDivisionError: forced bug" in message
    assert f"(details in {log})" in message
    assert "Traceback" in log.read_text(encoding="utf-8")


def _one_line_error(call) -> str:
    with pytest.raises(RuntimeError) as info:
        call()
    message = str(info.value).strip()
    assert "\n" not in message, message
    return message


def _start_preview(settings):
    text = bpy.data.texts.get("live") or bpy.data.texts.new("live")
    text.clear()
    text.write("\n".join(SCRIPT))
    settings.text_block = text
    settings.live_source = "SCRIPT"
    settings.live_record = True  # a failed preview must not bake what it recorded
    assert bpy.ops.faceaff.live_preview() == {"RUNNING_MODAL"}
    return preview.active_preview()


def _assert_stopped(op, face, original, settings) -> None:
    assert preview.active_preview() is None and not settings.live_running
    assert op._timer is None
    assert {kb.name: kb.value for kb in face.data.shape_keys.key_blocks} == pytest.approx(original)
    assert bake.list_takes(face) == []


@pytest.mark.parametrize("where", ["advance", "drain"])
def test_a_bug_in_the_preview_tick_stops_it_in_one_line(face, log, reports, monkeypatch, where):
    settings = bpy.context.scene.faceaff
    blocks = face.data.shape_keys.key_blocks
    blocks["jawOpen"].value = 0.25
    original = {kb.name: kb.value for kb in blocks}
    op = _start_preview(settings)
    assert op.tick(bpy.context, 0.05) == {"RUNNING_MODAL"}
    monkeypatch.setattr(op.session, where, _broken)
    assert op.tick(bpy.context, 0.05) == {"CANCELLED"}
    ((_kind, message),) = [r for r in reports if "ERROR" in r[0]]
    assert message.startswith("Live preview stopped: internal error:")
    _assert_internal_error(message, log)
    _assert_stopped(op, face, original, settings)


def test_a_bug_in_the_preview_modal_loop_stops_it_too(face, log, reports, monkeypatch):
    settings = bpy.context.scene.faceaff
    original = {kb.name: kb.value for kb in face.data.shape_keys.key_blocks}
    op = _start_preview(settings)
    monkeypatch.setattr(op.session, "drain", _broken)
    assert op.modal(bpy.context, ui.FakeEvent("TIMER")) == {"CANCELLED"}
    _assert_internal_error(reports[-1][1], log)
    _assert_stopped(op, face, original, settings)


def test_a_preview_whose_stopping_fails_too_still_ends(face, log, reports, monkeypatch):
    settings = bpy.context.scene.faceaff
    op = _start_preview(settings)
    monkeypatch.setattr(op.session, "advance", _broken)
    monkeypatch.setattr(op.session.feeder, "stop", _broken)
    assert op.tick(bpy.context, 0.05) == {"CANCELLED"}
    _assert_internal_error(reports[-1][1], log)
    assert preview.active_preview() is None and not settings.live_running and op._timer is None
    assert log.read_text(encoding="utf-8").count("Traceback") >= 2
    monkeypatch.undo()
    op.session.feeder.stop()


def test_a_bug_in_clear_analysis_is_one_line_and_keeps_the_analysis(
    face, log, quick_analysis, monkeypatch
):
    settings = bpy.context.scene.faceaff
    settings.text = "anything"
    assert bpy.ops.faceaff.analyze() == {"FINISHED"}
    ui.drain_until_idle()
    assert settings.has_analysis
    stored, before = settings.analysis_data, scene_fingerprint()
    monkeypatch.setattr(props.FACEAFF_PG_settings, "clear_analysis", _broken)
    message = _one_line_error(bpy.ops.faceaff.clear_analysis)
    _assert_internal_error(message, log)
    assert settings.analysis_data == stored and scene_fingerprint() == before


def test_a_bug_in_cancel_is_one_line_and_the_job_keeps_running(
    face, log, slow_analysis, monkeypatch
):
    settings = bpy.context.scene.faceaff
    settings.text = "anything"
    assert bpy.ops.faceaff.analyze() == {"FINISHED"}
    assert jobs.is_running()
    with monkeypatch.context() as patch:
        patch.setattr(jobs, "cancel_job", _broken)
        message = _one_line_error(bpy.ops.faceaff.cancel_job)
    _assert_internal_error(message, log)
    assert jobs.is_running() and settings.job_running and not settings.job_error
    assert bpy.ops.faceaff.cancel_job() == {"FINISHED"}
    ui.drain_until_idle()
    assert not settings.has_analysis
