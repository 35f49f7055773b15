"""Fixtures of the fuzz suite and its summary line.

At the end of the session ``fuzz: N inputs, C crashes, T tracebacks, H hangs, W writes on error,
L lost keys`` is printed and written, with every failing case, to ``out/fuzz_summary.json``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from .promise import REPO, TALLY, by_kind, summary, summary_line


@pytest.fixture
def case_dir(tmp_path: Path) -> Path:
    """The case's folder (inputs under in/, outputs under out/); watched whole."""
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    return tmp_path


_STARTED = time.monotonic()


def pytest_sessionstart(session) -> None:
    """Start the wall clock of the run (collection included)."""
    global _STARTED
    _STARTED = time.monotonic()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Print the summary line and write ``out/fuzz_summary.json``."""
    if not TALLY:
        return
    s = summary()
    line = summary_line(s)
    terminalreporter.write_sep("=", "fuzz summary")
    terminalreporter.write_line(line)
    wall = time.monotonic() - _STARTED
    terminalreporter.write_line(f"fuzz: {wall:.0f} s wall clock, {len(by_kind())} classes")
    failing = [
        {
            "case": o.case,
            "kind": o.kind,
            "rc": o.rc,
            "problems": o.problems,
            "first_error": o.first_error(),
            "seconds": round(o.seconds, 2),
        }
        for o in TALLY
        if o.problems
    ]
    doc = {
        "summary": s,
        "line": line,
        "by_kind": by_kind(),
        "seconds": round(sum(o.seconds for o in TALLY), 1),
        "wall_seconds": round(wall, 1),
        "failing": failing,
    }
    out = REPO / "out"
    try:
        out.mkdir(exist_ok=True)
        (out / "fuzz_summary.json").write_text(json.dumps(doc, indent=1) + "\n", "utf-8")
    except OSError as exc:
        terminalreporter.write_line(f"fuzz: could not write out/fuzz_summary.json: {exc}")
