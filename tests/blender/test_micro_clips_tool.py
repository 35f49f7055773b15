"""tools/make_micro_clips.py still writes the format of the committed CI set (tests/train/data).

One 0.8 s clip of the demo head at 32 px, rendered by the tool in a subprocess (it opens the demo
head itself), read back by the training tool's own reader and compared field by field with
``tests/train/data/micro_tiny/labels.json`` (the set ``make micro-tiny-set`` regenerates).
"""

from __future__ import annotations

import json
import subprocess
import sys

import cv2
import pytest

from .conftest import DEMO_HEAD, REPO

TINY = REPO / "tests" / "train" / "data" / "micro_tiny" / "labels.json"
sys.path.insert(0, str(REPO / "tools"))

import _micro_data  # noqa: E402


@pytest.mark.skipif(not DEMO_HEAD.is_file(), reason="demo head missing: run `make setup`")
def test_the_tool_writes_the_committed_sets_format(tmp_path):
    cmd = [sys.executable, str(REPO / "tools" / "make_micro_clips.py"), "--out", str(tmp_path)]
    cmd += ["--clips-per-head", "1", "--generated", "0", "--heldout", "0", "--size", "32"]
    cmd += ["--seconds", "0.8", "--fps", "25"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    data = json.loads((tmp_path / "labels.json").read_text(encoding="utf-8"))
    committed = json.loads(TINY.read_text(encoding="utf-8"))
    assert data["format"] == committed["format"] == _micro_data.SYNTHETIC_FORMAT
    (clip,) = data["clips"]
    assert set(clip) == set(committed["clips"][0])
    assert clip["head"] == "demo" and clip["frames"] == 20 and not clip["heldout"]
    assert 0 <= clip["onset"] < clip["apex"] < clip["offset"] <= 0.8
    (rec,) = _micro_data.synthetic_records(tmp_path / "labels.json")
    frames = _micro_data.read_frames(rec.source)
    assert frames.shape == (20, 32, 32, 3) and frames.std() > 1.0  # a rendered face, not blank
    cap = cv2.VideoCapture(str(rec.source))
    assert cap.get(cv2.CAP_PROP_FPS) == pytest.approx(25.0)
    cap.release()
