"""Rig profiles carry antagonist pairs, per-key gains and per-emotion gains (JSON, validated)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from facial_affect_addon.core import rigs
from facial_affect_addon.core.antagonists import KeyAntagonist
from facial_affect_addon.core.emotions import EmotionWeights
from facial_affect_addon.core.errors import InputError
from facial_affect_addon.core.facs import CHANNEL_INDEX
from facial_affect_addon.core.live import LivePreview
from facial_affect_addon.core.synthesis import single_event_timeline, synthesize

KEYS = {
    "smile_L": {"AU12_L": 1.0},
    "frown_L": {"AU15_L": 1.0},
    "brow_up": {"AU1": 1.0},
    "blink_L": {"AU45_L": 1.0},
    "wide_L": {"AU5_L": 1.0},
}
DOC = {
    "schema_version": 1,
    "kind": "rig_profile",
    "name": "myrig",
    "keys": KEYS,
    "antagonists": [["Smile.L", "frown_l"]],
    "overrides": [["blink_L", "wide_L"]],
    "key_gains": {"smile_l": 0.5},
    "emotion_gains": {"sad": 0.5},
}
RIG = ["Basis", "smile_L", "frown_L", "brow_up", "blink_L", "wide_L"]


def _peak(profile, emotion: str, key: str, **options) -> float:
    timeline = single_event_timeline(EmotionWeights.from_mapping({emotion: 1.0}), 3.0)
    curves = synthesize(timeline, RIG, profile=profile, fps=24, life=False, **options)
    return float(curves.channels[key].max())


def test_json_profile_with_gains_and_pairs_loads_in_any_naming_style():
    profile = rigs.profile_from_dict(DOC)
    assert profile.antagonists == (  # overrides are resolved first
        KeyAntagonist("blink_L", "wide_L", first_overrides=True),
        KeyAntagonist("smile_L", "frown_L"),
    )
    assert profile.key_gain("smile_L") == 0.5 and profile.key_gain("frown_L") == 1.0
    assert profile.emotion_gain_array().tolist() == [1, 1, 0.5, 1, 1, 1, 1]


def test_json_round_trip_keeps_gains_and_pairs(tmp_path):
    profile = rigs.profile_from_dict(DOC)
    path = tmp_path / "rig.json"
    rigs.save_profile(profile, path)
    data = json.loads(path.read_text())
    assert data["key_gains"] == {"smile_L": 0.5} and data["emotion_gains"] == {"sadness": 0.5}
    assert data["antagonists"] == [["smile_L", "frown_L"]]
    assert data["overrides"] == [["blink_L", "wide_L"]]
    assert rigs.load_profile(path) == profile


def test_builtin_profiles_round_trip_through_json():
    for profile in rigs.BUILTIN_PROFILES.values():
        assert rigs.profile_from_dict(json.loads(json.dumps(profile.to_dict()))) == profile


def test_a_profile_without_the_new_fields_still_loads():
    old = {"schema_version": 1, "name": "x", "keys": {"a": {"AU12": 1}}}
    profile = rigs.profile_from_dict(old)
    assert profile.antagonists == () and profile.key_gains == () and profile.emotion_gains == ()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"key_gains": {"nope": 1.0}}, "not one of the rig profile's keys"),
        ({"key_gains": {"smile_L": -1}}, "non-negative"),
        ({"key_gains": {"smile_L": 11}}, "at most 10"),
        ({"key_gains": {"smile_L": "big"}}, "must be a number"),
        ({"key_gains": [1, 2]}, "must map names"),
        ({"emotion_gains": {"glee": 1.0}}, "Unknown emotion"),
        ({"emotion_gains": {"fear": float("nan")}}, "finite"),
        ({"antagonists": [["smile_L"]]}, "pairs"),
        ({"antagonists": "smile_L,frown_L"}, "pairs"),
        ({"antagonists": [["smile_L", "missing"]]}, "not one of the rig profile's keys"),
        ({"overrides": [["smile_L", "Smile.L"]]}, "cannot oppose itself"),
    ],
)
def test_invalid_gains_and_pairs_raise_input_error(extra, message):
    with pytest.raises(InputError, match=message):
        rigs.profile_from_dict({**DOC, **extra})


def test_key_gains_apply_through_the_profile_matrix():
    profile = rigs.profile_from_dict(DOC)
    match = rigs.detect_profile(RIG, [profile])
    row = match.matrix()[match.driven_keys.index("smile_L")]
    assert row[CHANNEL_INDEX["AU12_L"]] == 0.5
    plain = rigs.profile_from_dict({**DOC, "key_gains": {}})
    assert _peak(profile, "happiness", "smile_L") == pytest.approx(
        0.5 * _peak(plain, "happiness", "smile_L")
    )


def test_emotion_gains_scale_that_emotion_only():
    profile = rigs.profile_from_dict(DOC)
    plain = rigs.profile_from_dict({**DOC, "emotion_gains": {}})
    for mode in ("dynamic", "static"):
        sad, sad_plain = (_peak(p, "sadness", "brow_up", mode=mode) for p in (profile, plain))
        assert sad == pytest.approx(0.5 * sad_plain) and sad_plain > 0.9
    assert _peak(profile, "surprise", "brow_up") == pytest.approx(
        _peak(plain, "surprise", "brow_up")
    )


def test_the_live_preview_uses_the_profile_gains_and_pairs():
    profile = rigs.profile_from_dict(DOC)
    live = LivePreview(RIG, profile=profile, life=False)
    live.set_emotion(EmotionWeights.pure("happiness"))
    smile = max(live.tick(1 / 30)["smile_L"] for _ in range(30))
    assert smile == pytest.approx(0.5)
    live.set_emotion(EmotionWeights.pure("sadness"))
    brow = max(live.tick(1 / 30)["brow_up"] for _ in range(30))
    assert brow == pytest.approx(0.5)


def test_the_bundled_rigs_still_bake_with_their_default_gains():
    for name, profile in rigs.BUILTIN_PROFILES.items():
        assert profile.key_gains == () and profile.emotion_gains == (), name
        assert np.all(profile.emotion_gain_array() == 1.0)
