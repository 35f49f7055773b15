"""Progress messages carry an ETA from the job's rate so far (a stand-in clock, no wall time)."""

from __future__ import annotations

import threading

import pytest

from facial_affect_addon.pipeline import worker


def test_progress_messages_carry_an_eta_once_it_means_something():
    ticks = iter([100.0, 100.5, 110.0, 130.0])  # start, then one reading per progress call

    def work(progress, should_cancel):
        progress(0.01, "Reading the video…")  # 0.5 s in: too early
        progress(0.25, "Reading the video…")  # 10 s for a quarter: 30 s left
        progress(0.75, "")  # 30 s for three quarters: 10 s left
        return "done"

    posted = []
    worker.run_work(4, work, threading.Event(), posted.append, clock=lambda: next(ticks))
    etas = [m.eta_s for m in posted if isinstance(m, worker.JobProgress)]
    assert etas == [None, pytest.approx(30.0), pytest.approx(10.0)]
    assert posted[-1] == worker.JobDone(4, "done")


@pytest.mark.parametrize(
    ("elapsed", "fraction", "expected"),
    [(1.0, 0.5, None), (10.0, 0.01, None), (10.0, 1.0, None), (10.0, 0.5, 10.0)],
)
def test_eta_seconds(elapsed, fraction, expected):
    assert worker.eta_seconds(elapsed, fraction) == expected


def test_eta_text():
    assert worker.format_eta(0.2) == "about 1 s left"
    assert worker.format_eta(42) == "about 42 s left"
    assert worker.format_eta(185) == "about 3 min left"
    assert worker.format_eta(3900) == "about 1 h 5 min left"
    assert worker.with_eta("Reading the video…", 185) == "Reading the video… (about 3 min left)"
    assert worker.with_eta("Reading the video…", None) == "Reading the video…"
