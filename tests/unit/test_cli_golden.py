"""The CLI's JSON on the README examples is byte-identical to the recorded golden files.

The goldens in ``tests/golden/`` were written by the CLI before the orchestration moved into
``pipeline/`` (issue 10); any later change to what the CLI writes shows up here as a diff.
Inputs are made by the test itself: a typed line, an emotion mixture, an espeak-ng recording
and an MJPG video of the astronaut photo. Set ``FACEAFF_UPDATE_GOLDEN=1`` to re-record them
after an intended change (and say why in the commit).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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


def check_golden(name: str, produced: Path) -> None:
    golden = GOLDEN / name
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(produced.read_bytes())
    assert golden.is_file(), f"no golden {golden}: run with FACEAFF_UPDATE_GOLDEN=1"
    assert produced.read_bytes() == golden.read_bytes(), f"{name} differs from its golden"


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
    check_golden("video_emotion.json", out)


def test_video_capture_example(tmp_path, clip):
    out = tmp_path / "m.json"
    run_cli("video", str(clip), "--capture", "--neutral-at", "0.5", "--json", str(out))
    check_golden("video_capture.json", out)
