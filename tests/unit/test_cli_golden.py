"""The CLI's JSON on the README examples is byte-identical to the recorded golden files.

The goldens in ``tests/golden/`` were written by the CLI before the orchestration moved into
``pipeline/`` (issue 10); any later change to what the CLI writes shows up here as a diff.
Inputs are made by the test itself: a typed line, an emotion mixture, an espeak-ng recording
and an MJPG video of the astronaut photo. Set ``FACEAFF_UPDATE_GOLDEN=1`` to re-record them
after an intended change (and say why in the commit).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.unit.speech_fixtures import espeak, needs_whisper
from tests.unit.video_fixtures import moving_face_frames, write_video

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden"
UPDATE = os.environ.get("FACEAFF_UPDATE_GOLDEN") == "1"


def run_cli(*args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "facial_affect_addon.cli", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr


def check_golden(name: str, produced: Path, *, tolerance: float = 0.0) -> None:
    """``produced`` equals the golden: byte for byte, or within ``tolerance`` for every number.

    Video goldens get a tolerance: the head pose comes from a least-squares fit over landmarks
    that the face mesh computes in float32, and its second decimal moved by up to 0.02 between
    two x86-64 machines with the same pinned packages (different SIMD paths in OpenCV's DNN).
    Structure, keys, strings and every other number must still match.
    """
    golden = GOLDEN / name
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(produced.read_bytes())
    assert golden.is_file(), f"no golden {golden}: run with FACEAFF_UPDATE_GOLDEN=1"
    if not tolerance:
        assert produced.read_bytes() == golden.read_bytes(), f"{name} differs from its golden"
        return
    got, want = json.loads(produced.read_text()), json.loads(golden.read_text())
    assert _mismatches(got, want, tolerance, name) == [], f"{name} differs from its golden"


def _mismatches(got: Any, want: Any, tol: float, where: str) -> list[str]:
    """Paths where ``got`` and ``want`` differ (numbers by more than ``tol``)."""
    numbers = (int, float)
    if isinstance(want, bool) or isinstance(got, bool) or not isinstance(want, numbers):
        if isinstance(want, dict) and isinstance(got, dict):
            if got.keys() != want.keys():
                return [f"{where}: keys {sorted(got)} != {sorted(want)}"]
            return [m for k in want for m in _mismatches(got[k], want[k], tol, f"{where}.{k}")]
        if isinstance(want, list) and isinstance(got, list):
            if len(got) != len(want):
                return [f"{where}: {len(got)} items != {len(want)}"]
            pairs = zip(got, want, strict=True)
            return [
                m for i, (g, w) in enumerate(pairs) for m in _mismatches(g, w, tol, f"{where}[{i}]")
            ]
        return [] if got == want else [f"{where}: {got!r} != {want!r}"]
    if not isinstance(got, numbers) or abs(got - want) > tol:
        return [f"{where}: {got!r} != {want!r}"]
    return []


def test_text_example(tmp_path):
    out = tmp_path / "x.json"
    run_cli("text", "I'm so excited to see you!", "--json", str(out))
    check_golden("text_excited.json", out)


def test_emotion_example(tmp_path):
    out = tmp_path / "y.json"
    run_cli("emotion", "happiness=0.6,surprise=0.4", "--json", str(out))
    check_golden("emotion_happy_surprised.json", out)


@needs_whisper
def test_audio_example(tmp_path):
    wav = espeak("I am so happy to see you again today.", tmp_path / "line.wav")
    out = tmp_path / "a.json"
    run_cli("audio", str(wav), "--json", str(out))
    check_golden("audio_happy_line.json", out)


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("clip") / "clip.avi"
    return write_video(path, moving_face_frames(12, blank=(5,)), fps=4.0)


def test_video_example(tmp_path, clip):
    out = tmp_path / "v.json"
    run_cli("video", str(clip), "--json", str(out))
    check_golden("video_emotion.json", out, tolerance=0.05)


def test_video_capture_example(tmp_path, clip):
    out = tmp_path / "m.json"
    run_cli("video", str(clip), "--capture", "--neutral-at", "0.5", "--json", str(out))
    check_golden("video_capture.json", out, tolerance=0.05)
