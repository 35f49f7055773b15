"""The pipeline's own logic: line reading, dispatch, services, worker messages, live sessions."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from facial_affect_addon.core.errors import CancelledError, InputError, ModelError
from facial_affect_addon.core.live import LivePreview
from facial_affect_addon.core.rig_tables import ARKIT_52
from facial_affect_addon.pipeline import analysis, live, worker
from facial_affect_addon.pipeline.options import InputSource, LiveSource
from facial_affect_addon.pipeline.services import (
    OFFLINE_NOTICE,
    ServicePrefs,
    ServiceSettings,
    resolve_services,
)
from facial_affect_addon.pipeline.text import LineReader, directed_line, perform_lines

SCRIPT = ("[anger] Get out of my house.", "[happiness] Oh, it's you! Come in.")


def test_directed_lines_need_no_model_and_keep_their_order():
    perf = perform_lines(SCRIPT)
    assert [s.weights.dominant() for s in perf.segments] == ["anger", "happiness"]
    assert {s.source for s in perf.segments} == {"directed"}
    assert perf.segments[0].text == "Get out of my house."
    assert perf.segments[1].start_s == perf.segments[0].end_s  # one after another
    assert perf.duration_s == pytest.approx(perf.segments[-1].end_s + 1.0)


def test_a_directed_line_joins_the_context():
    reader = LineReader()
    reader.read("[fear] Did you hear that?")
    assert reader.context.recent() == ("Did you hear that?",)
    assert directed_line("[nonsense] hi") == (None, "[nonsense] hi")


def test_cancel_and_progress_between_lines():
    seen = []
    perform_lines(SCRIPT, progress=lambda f, m: seen.append(f))
    assert seen == [0.0, 0.5]
    with pytest.raises(CancelledError):
        perform_lines(SCRIPT, should_cancel=lambda: True)
    with pytest.raises(InputError, match="Nothing to analyse"):
        perform_lines(["", "  "])


def test_run_analysis_dispatches_and_prepends_notices():
    notices = ("Online access is off.",)
    request = analysis.AnalysisRequest(
        InputSource.TEXT, SCRIPT, services=ServiceSettings(notices=notices)
    )
    result = analysis.run_analysis(request)
    assert result.performance.warnings[: len(notices)] == notices
    assert result.video is None and result.to_json()["kind"] == "text"
    for source in (InputSource.MIC, InputSource.WEBCAM):
        with pytest.raises(InputError, match="cannot read"):
            analysis.run_analysis(analysis.AnalysisRequest(source))
    with pytest.raises(InputError, match="Video file not found"):
        analysis.run_analysis(analysis.AnalysisRequest(InputSource.VIDEO, path="/no/such.mp4"))


def test_services_go_offline_with_a_notice_when_the_host_forbids_the_network():
    prefs = ServicePrefs(use_llm=True, llm_model="m", stt_engine="openai")
    offline = resolve_services(prefs, online=False)
    assert offline.llm is None and offline.stt_engine == "whisper"
    assert offline.notices == (OFFLINE_NOTICE,)
    online = resolve_services(prefs, online=True)
    assert online.llm is not None and online.stt_engine == "openai" and not online.notices
    assert resolve_services(None, online=True) == ServiceSettings()


@pytest.mark.parametrize(
    ("work", "expected"),
    [
        (lambda p, c: 42, worker.JobDone(7, 42)),
        (lambda p, c: (_ for _ in ()).throw(CancelledError("x")), worker.JobCancelled(7)),
        (
            lambda p, c: (_ for _ in ()).throw(ModelError("no model")),
            worker.JobFailed(7, "no model"),
        ),
        (
            lambda p, c: (_ for _ in ()).throw(ImportError("x", name="cv2")),
            worker.JobFailed(7, "A required package is missing: cv2."),
        ),
    ],
)
def test_worker_posts_progress_then_one_typed_final_message(work, expected):
    def with_progress(progress, should_cancel):
        progress(0.5, "half")
        return work(progress, should_cancel)

    posted = []
    worker.run_work(7, with_progress, threading.Event(), posted.append)
    assert posted == [worker.JobProgress(7, 0.5, "half"), expected]


def test_a_bug_in_the_work_is_one_sentence_not_a_traceback():
    posted = []
    worker.run_work(1, lambda p, c: 1 / 0, threading.Event(), posted.append)
    assert isinstance(posted[-1], worker.JobFailed) and "ZeroDivisionError" in posted[-1].message


def test_a_live_script_plays_out_and_records_what_was_shown():
    request = live.LiveRequest(LiveSource.SCRIPT, SCRIPT)
    session = live.start_session(request, ARKIT_52, life=False, record=True)
    session.feeder.thread.join(10)
    assert session.drain() == 2 and session.end_s is not None
    assert "browDownLeft" in session.touched_keys
    peak_anger = 0.0
    while not session.finished:
        values = session.advance(0.1)
        peak_anger = max(peak_anger, values["browDownLeft"])
    assert peak_anger > 0.3
    curves = session.recorded_curves(24.0, 1)
    assert curves.n_frames == int(np.floor(session.clock * 24 + 1e-9)) + 1
    assert curves.channels["browDownLeft"].max() == pytest.approx(peak_anger, abs=0.05)


def test_live_sessions_take_typed_messages():
    class Quiet(live.Feeder):
        def run(self):
            return None

    feeder = Quiet()
    feeder.post(live.StatusMessage("calibrating"))
    feeder.post(live.ValuesMessage({"jawOpen": 0.4}))
    feeder.post(live.ErrorMessage("no face"))
    feeder.post(live.DoneMessage())
    session = live.LiveSession(LivePreview(ARKIT_52, life=False), feeder, {})
    assert session.drain() == 0
    assert (session.text, session.error, session.captured) == (
        "calibrating",
        "no face",
        {"jawOpen": 0.4},
    )
    assert session.end_s == pytest.approx(live.RELAX_S)
    assert session.advance(0.1)["jawOpen"] == 0.4  # captured values win over the state machine


def test_a_bug_in_a_live_feeder_ends_it_with_one_line_and_logs_the_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("FACIAL_AFFECT_LOG_DIR", str(tmp_path))

    class Buggy(live.Feeder):
        def run(self):
            return {}["missing"]

    feeder = Buggy()
    feeder.start()
    feeder.thread.join(10)
    message = feeder.events.get_nowait()
    assert isinstance(message, live.ErrorMessage)
    assert message.text.startswith("internal error: KeyError:") and "\n" not in message.text
    assert "Traceback" in "".join(p.read_text() for p in tmp_path.rglob("*.log"))
