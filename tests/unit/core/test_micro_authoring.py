"""Authored micro-expressions: parsing, AU-set completion, m_e * i_v modulation, timeline files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from facial_affect_addon.core import micro, micro_authoring
from facial_affect_addon.core.emotions import EMOTION_NAMES
from facial_affect_addon.core.errors import InputError
from facial_affect_addon.core.facs import CHANNEL_INDEX, PROTOTYPES
from facial_affect_addon.core.micro_authoring import (
    MicroSpec,
    author_burst,
    burst_record,
    complete_aus,
    load_micro_file,
    parse_micro_at,
)
from facial_affect_addon.core.synthesis import modulate_bursts, synthesize_au
from facial_affect_addon.core.timeline import Timeline


def test_parse_emotion_with_duration():
    spec = parse_micro_at("1.20:fear:0.4:120ms")
    assert spec == MicroSpec(1.2, 0.4, "fear", (), 0.12)


def test_parse_au_set_default_duration_and_units():
    spec = parse_micro_at("2.0:AU1+au2+AU5:0.5")
    assert spec.aus == (("AU1", 1.0), ("AU2", 1.0), ("AU5", 1.0))
    assert spec.emotion == ""
    assert spec.duration == micro_authoring.DEFAULT_DURATION
    assert parse_micro_at("2:happiness:0.5:0.3s").duration == pytest.approx(0.3)
    assert parse_micro_at("2:happiness:0.5:80").duration == pytest.approx(0.08)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("1.2:fear", "TIME:EMOTION_OR_AUS:INTENSITY"),
        ("1.2:fear:0.4:120ms:x", "TIME:EMOTION_OR_AUS:INTENSITY"),
        ("soon:fear:0.4", "must be numbers"),
        ("1.2:fear:1.5", "intensity must be in [0, 1]"),
        ("1.2:fear:nan", "intensity must be in [0, 1]"),
        ("1.2:fear:0.4:30ms", "40-500 ms"),
        ("1.2:fear:0.4:501ms", "40-500 ms"),
        ("1.2:fear:0.4:fast", "duration"),
        ("1.2:neutral:0.4", "Neutral"),
        ("1.2:grumpy:0.4", "Unknown micro-expression"),
        ("1.2:AU1+AU99:0.4", "Unknown AU 'AU99'"),
        ("0.02:fear:0.4:120ms", "start before 0 s"),
        ("-1:fear:0.4", ">= 0 s"),
        ("1e400:fear:0.4", ">= 0 s, got inf"),
        ("36000:fear:0.4", "over the 4 h limit"),
        ("1:AU1++AU2:0.4", "Unknown AU ''"),
    ],
)
def test_parse_errors_are_one_line(text, words):
    with pytest.raises(InputError) as err:
        parse_micro_at(text)
    assert words in str(err.value)
    assert "\n" not in str(err.value)


def test_durations_40_to_500_ms_everywhere():
    assert micro.MAX_DURATION == 0.5
    micro.MicroBurst(0.0, 0.5, (("AU12_L", 0.5),))
    micro.MicroOptions(duration_range=(0.04, 0.5))
    with pytest.raises(InputError):
        micro.MicroOptions(duration_range=(0.04, 0.6))
    assert MicroSpec(1.0, 0.5, "fear", duration=0.5).duration == 0.5


def test_authored_burst_peaks_at_the_asked_time():
    for spec in (parse_micro_at("1.20:fear:0.4:120ms"), parse_micro_at("0.3:AU12:1:500ms")):
        burst = author_burst(spec)
        assert burst.peak_time() == pytest.approx(spec.time)
        assert burst.duration == pytest.approx(spec.duration)


def test_emotion_burst_is_its_face_times_i_v():
    burst = author_burst(parse_micro_at("1:fear:0.4"))
    expected = {ch: 0.4 * v for ch, v in PROTOTYPES["fear"].items()}
    assert dict(burst.apex) == pytest.approx(expected)
    assert burst.emotion == "fear"


def test_completion_follows_the_asymmetric_graph():
    graph = micro.DEFAULT_GRAPH
    # AU26 (surprise, fear) always comes with AU5, AU5 (also anger) with AU26 only 2/3 of times.
    assert graph.conditional("AU5", "AU26") == 1.0
    assert graph.conditional("AU26", "AU5") == pytest.approx(2 / 3)
    done = complete_aus({"AU5_L": 0.6, "AU5_R": 0.6})
    assert done["AU26"] == pytest.approx(0.4)
    assert done["AU5_L"] == 0.6
    assert complete_aus({"AU26": 0.6})["AU5_L"] == pytest.approx(0.6)
    # Asymmetry: AU6 recruits AU12 (P = 1) but AU12 recruits AU6 only at P = 1/2.
    assert graph.conditional("AU12", "AU6") == 1.0
    assert graph.conditional("AU6", "AU12") == 0.5
    assert complete_aus({"AU6_L": 0.8})["AU12_L"] == pytest.approx(0.8)
    assert complete_aus({"AU12_L": 0.8})["AU6_L"] == pytest.approx(0.4)
    # A one-sided AU recruits on its own side only.
    assert "AU6_R" not in complete_aus({"AU12_L": 0.8})
    # Below the threshold nothing joins; with a threshold above 1 nothing ever does.
    assert complete_aus({"AU12_L": 0.8}, threshold=1.01) == {"AU12_L": 0.8}


def test_au_burst_completion_can_be_turned_off_and_is_classified():
    spec = parse_micro_at("2.0:AU1+AU2+AU5:0.5")
    full = author_burst(spec)
    bare = author_burst(MicroSpec(2.0, 0.5, aus=spec.aus, complete=False))
    assert set(dict(bare.apex)) == {"AU1_L", "AU1_R", "AU2_L", "AU2_R", "AU5_L", "AU5_R"}
    assert set(dict(full.apex)) > set(dict(bare.apex))
    assert "AU26" in dict(full.apex)
    assert full.emotion == "surprise"
    assert micro_authoring.classify_aus(["AU6", "AU12"]) == "happiness"
    assert micro_authoring.classify_aus(["AU43"]) == ""


def test_m_e_scales_bursts_by_their_emotion_gain():
    fear = author_burst(parse_micro_at("1:fear:0.5"))
    happy = author_burst(parse_micro_at("2:happiness:0.5"))
    gains = np.ones(len(EMOTION_NAMES))
    gains[EMOTION_NAMES.index("fear")] = 0.5
    out = modulate_bursts([fear, happy], gains)
    assert out[0].vector() == pytest.approx(fear.vector() * 0.5)
    assert out[1] is happy
    assert modulate_bursts([fear])[0] is fear  # m_e = 1 for every emotion (issue 11)


def test_synthesised_curve_peaks_at_the_burst_and_follows_gain():
    spec = parse_micro_at("1.0:AU12:0.8:60ms")
    timeline = Timeline.from_events([])
    fps = 24.0
    burst = author_burst(spec)
    au = synthesize_au(timeline, fps=fps, n_frames=48, life=False, micro_bursts=(burst,)).values
    col = au[:, CHANNEL_INDEX["AU12_L"]]
    assert int(np.argmax(col)) == round(spec.time * fps)
    assert col.max() == pytest.approx(0.8)


def test_micro_file_round_trip(tmp_path):
    path = tmp_path / "bursts.json"
    doc = {
        "schema_version": 1,
        "kind": "micro_expressions",
        "bursts": [
            {"time": 1.2, "emotion": "fear", "intensity": 0.4, "duration_ms": 120},
            {"time": 2.0, "aus": ["AU1", "AU2", "AU5"], "intensity": 0.5},
            {"time": 3.0, "aus": {"AU12L": 1.0, "AU14L": 0.5}, "intensity": 0.6, "complete": False},
        ],
    }
    path.write_text(json.dumps(doc), encoding="utf-8")
    specs = load_micro_file(path)
    assert specs[0] == parse_micro_at("1.2:fear:0.4:120ms")
    assert specs[1] == parse_micro_at("2.0:AU1+AU2+AU5:0.5")
    assert dict(author_burst(specs[2]).apex) == pytest.approx({"AU12_L": 0.6, "AU14_L": 0.3})


@pytest.mark.parametrize(
    ("doc", "words"),
    [
        ([], "must be a JSON object"),
        ({"schema_version": 1, "kind": "timeline", "bursts": []}, "Expected a 'micro_expressions'"),
        ({"schema_version": 1, "kind": "micro_expressions"}, "missing the field 'bursts'"),
        ({"schema_version": 1, "kind": "micro_expressions", "bursts": {}}, "must be a list"),
        ({"schema_version": 1, "kind": "micro_expressions", "bursts": [], "x": 1}, "Unknown field"),
        (
            {"schema_version": 1, "kind": "micro_expressions", "bursts": [3]},
            "Micro-expression burst 0 must be",
        ),
        (
            {"schema_version": 1, "kind": "micro_expressions", "bursts": [{"time": 1}]},
            "Micro-expression burst 0 is missing the field 'intensity'",
        ),
        (
            {
                "schema_version": 1,
                "kind": "micro_expressions",
                "bursts": [{"time": 1, "intensity": 0.5, "emotion": "fear", "speed": 2}],
            },
            "unknown field(s): speed",
        ),
        (
            {
                "schema_version": 1,
                "kind": "micro_expressions",
                "bursts": [{"time": 1, "intensity": 0.5, "emotion": "fear", "aus": ["AU1"]}],
            },
            "either an emotion or a set of AUs",
        ),
        (
            {
                "schema_version": 1,
                "kind": "micro_expressions",
                "bursts": [{"time": 1, "intensity": 0.5, "aus": []}],
            },
            "'aus' is empty",
        ),
        (
            {
                "schema_version": 1,
                "kind": "micro_expressions",
                "bursts": [{"time": 1, "intensity": 0.5, "emotion": "fear", "duration_ms": 900}],
            },
            "40-500 ms",
        ),
        (
            {
                "schema_version": 1,
                "kind": "micro_expressions",
                "bursts": [{"time": 1, "intensity": 0.5, "emotion": "fear", "complete": "no"}],
            },
            "'complete' must be true or false",
        ),
    ],
)
def test_micro_file_errors(tmp_path, doc, words):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_micro_file(path)
    assert words in str(err.value)
    assert "\n" not in str(err.value)


def test_micro_file_not_json(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{nope", encoding="utf-8")
    with pytest.raises(InputError, match="not valid JSON"):
        load_micro_file(path)


def test_burst_record_has_the_shared_shape():
    burst = author_burst(parse_micro_at("1.20:fear:0.4:120ms"))
    record = burst_record(burst, micro_authoring.arkit_keys(burst))
    assert set(record) == {"onset", "apex", "offset", "aus", "keys", "emotion", "confidence"}
    assert record["apex"] == pytest.approx(1.2)
    assert record["offset"] - record["onset"] == pytest.approx(0.12)
    assert record["confidence"] == 1.0
    assert record["emotion"] == "fear"
    assert record["aus"][0] == "AU1"
    assert record["keys"]["browInnerUp"] > 0
    json.dumps(record)


def test_rig_emotion_gain_scales_an_authored_burst_in_synthesis():
    burst = author_burst(parse_micro_at("1.0:fear:0.8:120ms"))
    gains = np.ones(len(EMOTION_NAMES))
    gains[EMOTION_NAMES.index("fear")] = 0.5
    timeline = Timeline.from_events([])
    col = CHANNEL_INDEX["AU1_L"]
    kwargs = {"fps": 24.0, "n_frames": 48, "life": False, "micro_bursts": (burst,)}
    full = synthesize_au(timeline, **kwargs).values[:, col]
    half = synthesize_au(timeline, emotion_gains=gains, **kwargs).values[:, col]
    assert full.max() == pytest.approx(0.8)
    assert half.max() == pytest.approx(0.4)
    assert int(np.argmax(half)) == 24


@pytest.mark.parametrize("base", ["flat", "ramp"])
def test_sparse_keys_keep_a_60_ms_burst_peak(base):
    from facial_affect_addon.core.curveset import hermite_segment, sparse_keys

    fps = 24.0
    t = np.arange(96) / fps
    burst = micro.frame_aligned(author_burst(parse_micro_at("2.0:AU12:0.7:60ms")), fps)
    curve = micro.render_bursts([burst], t)[:, CHANNEL_INDEX["AU12_L"]]
    if base == "ramp":  # a slow smile rising under the burst
        curve = 1.0 - (1.0 - curve) * (1.0 - np.clip(t / 4.0, 0.0, 1.0) * 0.5)
    idx, slopes = sparse_keys(curve, 0.01)
    assert len(idx) < len(curve) / 4
    # Play the keys back as the Bezier does (Hermite between keys) and find the peak.
    played = np.empty_like(curve)
    for k in range(len(idx) - 1):
        a, b = idx[k], idx[k + 1]
        played[a : b + 1] = hermite_segment(curve[a], curve[b], slopes[k], slopes[k + 1], b - a)
    assert int(np.argmax(played)) == 48
    assert played.max() == pytest.approx(curve.max(), abs=0.01)
