"""Issue 15's done-criterion for spotting: a real photo, warped at known times, spotted back.

The clip (``micro_fixtures``) is the astronaut photo with four brief landmark-driven warps
(brow raise 150 ms, smile 200 ms, brow lower 120 ms, lip-corner drop 250 ms) and one 2.2 s
smile, written as an MJPG AVI and read back by :func:`spot_video`. Required: at least 3 of the 4
bursts found, the long smile not called micro, at most 2 false alarms; with the head still and
with it swaying under sensor noise (head motion is removed by the alignment and the nose flow).
A swaying head with no expression gives nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from facial_affect_addon.core.micro_spot import BurstKind
from facial_affect_addon.paths import model_path
from facial_affect_addon.pipeline.micro_spot import spot_video

from . import micro_fixtures as mf

pytestmark = pytest.mark.skipif(
    not model_path("face_landmark.tflite").is_file(),
    reason="face models missing: run `make setup` (tools/fetch_face_models.py)",
)
EXPECTED_EMOTION = {"brow_raise": "surprise", "smile": "happiness", "brow_lower": "anger",
                    "frown": "sadness"}  # fmt: skip
TOLERANCE_S = 0.1


@pytest.fixture(scope="module")
def photo_landmarks():
    from facial_affect_addon.ml.faces import FaceAnalyzer

    face = FaceAnalyzer().analyze(mf.head_frame())
    assert face is not None and face.landmarks is not None
    return face.landmarks


@pytest.fixture(scope="module", params=["still", "swaying"])
def spotted(request, tmp_path_factory, photo_landmarks):
    """The done-criterion clip: the head still, or swaying (12 px, 3 %, 3 degrees) with sensor
    noise (Gaussian, 5 grey levels)."""
    path = tmp_path_factory.mktemp("micro") / f"bursts_{request.param}.avi"
    swaying = request.param == "swaying"
    events = [*mf.DONE_BURSTS, mf.LONG_SMILE]
    mf.write_event_clip(
        path, photo_landmarks, events, 9.0, 30.0, mf.sway if swaying else None, 5.0 * swaying
    )
    seen: list[float] = []
    return spot_video(path, progress=seen.append), seen


def matches(burst, event) -> bool:
    return event.onset - TOLERANCE_S <= burst.apex <= event.offset + TOLERANCE_S


def test_done_criterion_bursts_found_long_smile_not_micro_few_false_alarms(spotted):
    result, _ = spotted
    found = [e for e in mf.DONE_BURSTS if any(matches(b, e) for b in result.micro)]
    assert len(found) >= 3, [(b.onset, b.offset) for b in result.micro]
    smile = mf.LONG_SMILE
    assert not any(smile.onset + 0.35 <= b.apex <= smile.offset - 0.35 for b in result.micro)
    assert any(b.onset <= smile.onset + 0.5 and b.offset > smile.onset for b in result.macro)
    false_alarms = [b for b in result.micro if not any(matches(b, e) for e in mf.DONE_BURSTS)]
    assert len(false_alarms) <= 2
    for burst in result.micro:
        assert 0.04 <= burst.duration <= 0.5 and burst.kind is BurstKind.MICRO
    for burst in result.macro:
        assert burst.duration > 0.5 and burst.kind is BurstKind.MACRO


def test_found_bursts_read_as_their_emotion_with_the_moved_keys(spotted):
    result, _ = spotted
    right = 0
    for event in mf.DONE_BURSTS:
        burst = next((b for b in result.micro if matches(b, event)), None)
        right += burst is not None and burst.emotion == EXPECTED_EMOTION[event.action]
    assert right >= 3
    smile = next(b for b in result.micro if matches(b, mf.DONE_BURSTS[1]))
    assert "AU12" in smile.aus
    assert min(smile.keys["mouthSmileLeft"], smile.keys["mouthSmileRight"]) > 0.15
    assert 0 < smile.confidence <= 1


def test_result_json_and_progress(spotted, tmp_path):
    result, seen = spotted
    assert result.fps == pytest.approx(30.0)
    assert seen[-1] == pytest.approx(1.0) and np.all(np.diff(seen) >= 0)
    out = tmp_path / "spot.json"
    out.write_text(json.dumps(result.to_json()), encoding="utf-8")
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert len(doc["micro_expressions"]) == len(result.micro)
    assert len(doc["macro_expressions"]) == len(result.macro)
    assert all(
        set(d) == {"onset", "apex", "offset", "aus", "keys", "emotion", "confidence"}
        for d in doc["micro_expressions"]
    )


def test_cli_micro_spot_writes_found_bursts_in_the_json(tmp_path, photo_landmarks):
    clip = mf.write_event_clip(
        tmp_path / "smile.avi", photo_landmarks, [mf.Event("smile", 1.5, 1.7)], 3.0, 30.0
    )
    out = tmp_path / "spot.json"
    done = subprocess.run(
        [sys.executable, "-m", "facial_affect_addon.cli", "video", str(clip), "--micro-spot",
         "--json", str(out)],
        cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    (burst,) = doc["micro_expressions"]
    assert set(burst) == {"onset", "apex", "offset", "aus", "keys", "emotion", "confidence"}
    assert 1.5 <= burst["apex"] <= 1.7 and burst["emotion"] == "happiness"
    assert doc["macro_expressions"] == []
    assert doc["weights"] and doc["video"]["times"]  # the usual video analysis is still there


def test_a_swaying_head_alone_is_no_expression(tmp_path, photo_landmarks):
    clip = mf.write_event_clip(tmp_path / "sway.avi", photo_landmarks, [], 6.0, 30.0, mf.sway)
    result = spot_video(clip)
    assert result.micro == () and result.macro == ()


def test_a_video_without_a_face_is_one_input_error(tmp_path):
    from facial_affect_addon.core.errors import InputError

    from .video_fixtures import write_video

    grey = [np.full((240, 320, 3), 90, np.uint8)] * 12
    with pytest.raises(InputError, match="No face with landmarks"):
        spot_video(write_video(tmp_path / "grey.avi", grey, fps=24.0))


def test_a_low_frame_rate_is_warned_about(tmp_path, photo_landmarks):
    clip = mf.write_event_clip(tmp_path / "slow.avi", photo_landmarks, [], 2.0, 12.0)
    result = spot_video(clip)
    assert result.fps == pytest.approx(12.0)
    assert any("Analysed at 12 fps" in w for w in result.warnings), result.warnings
