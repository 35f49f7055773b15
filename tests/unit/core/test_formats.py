"""Versioned JSON for timelines/curves and the Live Link Face CSV."""

from __future__ import annotations

import json

import numpy as np
import pytest

from facial_affect_addon.core import formats
from facial_affect_addon.core.curveset import CurveSet
from facial_affect_addon.core.emotions import EmotionWeights
from facial_affect_addon.core.errors import InputError
from facial_affect_addon.core.micro import MicroBurst
from facial_affect_addon.core.rig_tables import ARKIT_52
from facial_affect_addon.core.timeline import EmotionEvent, Timeline

# Live Link Face's header, as exported by the app.
LLF_HEADER = (
    "Timecode,BlendShapeCount,EyeBlinkLeft,EyeLookDownLeft,EyeLookInLeft,EyeLookOutLeft,"
    "EyeLookUpLeft,EyeSquintLeft,EyeWideLeft,EyeBlinkRight,EyeLookDownRight,EyeLookInRight,"
    "EyeLookOutRight,EyeLookUpRight,EyeSquintRight,EyeWideRight,JawForward,JawRight,JawLeft,"
    "JawOpen,MouthClose,MouthFunnel,MouthPucker,MouthRight,MouthLeft,MouthSmileLeft,"
    "MouthSmileRight,MouthFrownLeft,MouthFrownRight,MouthDimpleLeft,MouthDimpleRight,"
    "MouthStretchLeft,MouthStretchRight,MouthRollLower,MouthRollUpper,MouthShrugLower,"
    "MouthShrugUpper,MouthPressLeft,MouthPressRight,MouthLowerDownLeft,MouthLowerDownRight,"
    "MouthUpperUpLeft,MouthUpperUpRight,BrowDownLeft,BrowDownRight,BrowInnerUp,BrowOuterUpLeft,"
    "BrowOuterUpRight,CheekPuff,CheekSquintLeft,CheekSquintRight,NoseSneerLeft,NoseSneerRight,"
    "TongueOut,HeadYaw,HeadPitch,HeadRoll,LeftEyeYaw,LeftEyePitch,LeftEyeRoll,RightEyeYaw,"
    "RightEyePitch,RightEyeRoll"
)


def _timeline() -> Timeline:
    events = [
        EmotionEvent(0.5, 2.0, EmotionWeights.compound("happily surprised"), 0.9, "Hello!"),
        EmotionEvent(3.0, 1.0, EmotionWeights.pure("sadness")),
    ]
    burst = MicroBurst.from_mapping(1.2, 0.1, {"AU12_L": 0.4}, "happiness")
    return Timeline.from_events(events, [burst])


def test_timeline_json_round_trip(tmp_path):
    tl = _timeline()
    path = tmp_path / "tl.json"
    formats.save_timeline(tl, path)
    data = json.loads(path.read_text())
    assert data["schema_version"] == formats.SCHEMA_VERSION and data["kind"] == "timeline"
    assert data["events"][0]["weights"] == pytest.approx({"happiness": 0.6, "surprise": 0.4})
    back = formats.load_timeline(path)
    assert back.events == tl.events
    assert back.micro[0].start == 1.2 and dict(back.micro[0].apex) == {"AU12_L": 0.4}


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("schema_version"), "schema_version"),
        (lambda d: d.update(schema_version=99), "newer"),
        (lambda d: d.update(kind="curves"), "timeline"),
        (lambda d: d["events"][0].pop("start"), "start"),
        (lambda d: d["events"][0].update(duration="long"), "number"),
        (lambda d: d["events"][0].update(weights={"glee": 1}), "Unknown emotion"),
        (lambda d: d["events"][1].update(start=1.0), "overlap"),
        (lambda d: d["micro"][0].update(apex={"AU99": 0.4}), "Unknown Action Unit"),
    ],
)
def test_invalid_timeline_documents(mutate, message):
    data = formats.timeline_to_dict(_timeline())
    mutate(data)
    with pytest.raises(InputError, match=message):
        formats.timeline_from_dict(data)


def test_curves_json_round_trip(tmp_path):
    cs = CurveSet(10, 30.0, {"jawOpen": np.linspace(0, 1, 7)}, ("note",))
    path = tmp_path / "c.json"
    formats.save_curves(cs, path)
    back = formats.load_curves(path)
    assert back.frame_start == 10 and back.fps == 30.0 and back.warnings == ("note",)
    assert back.channels["jawOpen"] == pytest.approx(cs.channels["jawOpen"])


def test_invalid_curves_documents(tmp_path):
    base = formats.curves_to_dict(CurveSet(1, 24.0, {"a": np.zeros(3)}))
    for bad in (
        {**base, "channels": {"a": [0, 1], "b": [0]}},
        {**base, "channels": {"a": ["x"]}},
        {**base, "fps": 0},
        {**base, "frame_start": 1.5},
    ):
        with pytest.raises(InputError):
            formats.curves_from_dict(bad)
    path = tmp_path / "broken.json"
    path.write_text("[")
    with pytest.raises(InputError, match="not valid JSON"):
        formats.load_curves(path)


def test_timecodes():
    assert formats.format_timecode(0, 24) == "00:00:00:00.000"
    assert formats.format_timecode(25, 24) == "00:00:01:01.000"
    assert formats.format_timecode(24 * 3661 + 5, 24) == "01:01:01:05.000"
    assert formats.format_timecode(1, 29.97) == "00:00:00:01.000"
    assert formats.format_timecode(30, 29.97) == "00:00:01:00.030"
    assert formats.parse_timecode("14:03:52:28.207") == (14, 3, 52, pytest.approx(28.207))
    with pytest.raises(InputError):
        formats.parse_timecode("12:00")


def test_csv_header_matches_live_link_face():
    cs = CurveSet(1, 24.0, {"MouthSmile_L": np.array([0.0, 0.5])})
    text, warnings = formats.live_link_csv_text(cs)
    lines = text.splitlines()
    assert lines[0] == LLF_HEADER and not warnings
    first = lines[2].split(",")
    assert first[0] == "00:00:00:01.000" and first[1] == "61"
    assert float(first[2 + ARKIT_52.index("mouthSmileLeft")]) == 0.5
    assert len(first) == 2 + 52 + 9
    short, _ = formats.live_link_csv_text(cs, include_rotations=False)
    assert short.splitlines()[1].split(",")[1] == "52"


def test_csv_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    cs = CurveSet(1, 30.0, {n: rng.uniform(0, 1, 75) for n in ARKIT_52})
    path = tmp_path / "take.csv"
    formats.write_live_link_csv(cs, path)
    back = formats.read_live_link_csv(path)  # fps inferred from FF (take spans > 1 s)
    assert back.fps == 30.0 and back.n_frames == 75
    for name in ARKIT_52:
        assert back.channels[name] == pytest.approx(cs.channels[name], abs=1e-8)


def test_csv_reads_subset_and_resamples_by_timecode():
    text = "Timecode,BlendShapeCount,JawOpen\n00:00:00:00.000,1,0\n00:00:00:02.000,1,1\n"
    cs = formats.parse_live_link_csv(text, fps=60)
    assert cs.n_frames == 3
    assert cs.channels["jawOpen"] == pytest.approx([0.0, 0.5, 1.0])
    assert cs.channels["eyeBlinkLeft"].sum() == 0 and "absent" in cs.warnings[0]


def test_csv_errors():
    cs = CurveSet(1, 24.0, {"notAKey": np.zeros(3)})
    with pytest.raises(InputError, match="ARKit"):
        formats.live_link_csv_text(cs)
    with pytest.raises(InputError, match="no data rows"):
        formats.parse_live_link_csv("Timecode,BlendShapeCount,JawOpen\n")
    with pytest.raises(InputError, match="bad value"):
        formats.parse_live_link_csv("Timecode,JawOpen\n00:00:00:00.000,abc\n")
    with pytest.raises(InputError, match="blendshape columns"):
        formats.parse_live_link_csv("a,b\n1,2\n")
