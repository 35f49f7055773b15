"""Naming families, suggested mapping profiles, their JSON round trip and any-rig synthesis."""

from __future__ import annotations

import json

import numpy as np
import pytest

from facial_affect_addon.core import rigs
from facial_affect_addon.core.any_rig import auto_profile, emotion_tracks, synthesize_any
from facial_affect_addon.core.emotions import EmotionWeights
from facial_affect_addon.core.errors import InputError, RigError
from facial_affect_addon.core.rig_aliases import alias_key, family_of, suggest_channels
from facial_affect_addon.core.rig_mapping import suggest_profile
from facial_affect_addon.core.rig_profile import RigProfile, load_profile, save_profile
from facial_affect_addon.core.rig_tables import ARKIT_52
from facial_affect_addon.core.synthesis import single_event_timeline
from facial_affect_addon.core.synthesis_options import SynthesisOptions

SMILE = {"mouthSmileLeft": 1.0}

FAMILIES = {
    # name -> (family, channels)
    "mouthSmileLeft": ("arkit", SMILE),
    "mouth_smile_left": ("arkit", SMILE),
    "MouthSmile_L": ("arkit", SMILE),
    "mouthSmile_L": ("arkit", SMILE),
    "blendShape1.mouthSmileLeft": ("arkit", SMILE),  # ReadyPlayerMe / Avaturn prefix
    "ARKit_mouthSmileLeft": ("arkit", SMILE),
    "Mouth_Smile_L": ("arkit", SMILE),  # CC4 spells some keys like ARKit
    "Brow_Raise_Inner_L": ("cc4", {"browInnerUp": 1.0}),
    "Brow_Raise_Outer_R": ("cc4", {"browOuterUpRight": 1.0}),
    "Brow_Drop_L": ("cc4", {"browDownLeft": 1.0}),
    "Cheek_Raise_L": ("cc4", {"cheekSquintLeft": 1.0}),
    "Cheek_Puff_R": ("cc4", {"cheekPuff": 1.0}),
    "Mouth_Funnel_Down_L": ("cc4", {"mouthFunnel": 1.0}),
    "Mouth_Roll_In_Upper_R": ("cc4", {"mouthRollUpper": 1.0}),
    "Mouth_Up_Upper_L": ("cc4", {"mouthUpperUpLeft": 1.0}),
    "Mouth_Down_Lower_R": ("cc4", {"mouthLowerDownRight": 1.0}),
    "Eye_L_Look_R": ("cc4", {"eyeLookInLeft": 1.0}),
    "Eye_R_Look_R": ("cc4", {"eyeLookOutRight": 1.0}),
    "Eye_Blink_L": ("arkit", {"eyeBlinkLeft": 1.0}),
    "Jaw_Open": ("arkit", {"jawOpen": 1.0}),
    "facs_bs_MouthSmileLeft_div2": ("arkit", SMILE),  # Daz Genesis 8.1 / 9
    "facs_jnt_JawOpen": ("arkit", {"jawOpen": 1.0}),
    "facs_ctrl_EyeBlinkRight": ("arkit", {"eyeBlinkRight": 1.0}),
    "facs_bs_BrowInnerUpLeft_div2": ("daz", {"browInnerUp": 1.0}),
    "browRaiseInL": ("metahuman", {"AU1_L": 1.0}),
    "CTRL_expressions_mouthCornerPullR": ("metahuman", {"AU12_R": 1.0}),
    "AU12_L": ("facs", {"AU12_L": 1.0}),
    "LeftInnerBrowUp": ("makehuman", {"browInnerUp": 1.0}),
    "MouthRightPullUp": ("makehuman", {"mouthSmileRight": 1.0}),
    "JawDrop": ("makehuman", {"jawOpen": 1.0}),
    "Fcl_EYE_Close_L": ("vroid", {"eyeBlinkLeft": 1.0}),
    "Fcl_ALL_Joy": ("vroid", {"emotion:happiness": 1.0}),
    "Fcl_BRW_Angry": ("vroid", {"emotion:anger": 1.0, "emotion:disgust": 0.6}),
    "Fcl_ALL_Surprised": ("vroid", {"emotion:surprise": 1.0, "emotion:fear": 0.6}),
    "happy": ("vrm", {"emotion:happiness": 1.0}),
    "sad": ("vrm", {"emotion:sadness": 1.0, "emotion:fear": 0.4}),
    "Blink_L": ("vroid", {"eyeBlinkLeft": 1.0}),
    "Blink": ("vroid", {"eyeBlinkLeft": 0.5, "eyeBlinkRight": 0.5}),
    "mouthSmile": ("arkit", {"mouthSmileLeft": 0.5, "mouthSmileRight": 0.5}),
    "Mouth_Smile": ("arkit", {"mouthSmileLeft": 0.5, "mouthSmileRight": 0.5}),
    "Fcl_MTH_A": ("viseme", {"jawOpen": 1.0}),
    "viseme_aa": ("viseme", {"jawOpen": 1.0}),
}


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_each_family_maps_to_its_channels(name):
    family, channels = FAMILIES[name]
    assert family_of(name) == family
    assert suggest_channels(name) == channels


@pytest.mark.parametrize("name", ["Key 1", "Foo", "Mouth_Sad", "Fcl_HA_Hide", "relaxed", "Fun"])
def test_unknown_names_stay_unmapped(name):
    assert suggest_channels(name) is None and family_of(name) is None


def test_alias_key_drops_prefixes_and_daz_suffix():
    assert alias_key("facs_bs_MouthSmileLeft_div2") == alias_key("Mouth_Smile_L") == "mouthsmilel"


def _cc4_names() -> list[str]:
    out = ["Basis"]
    for s in "LR":
        out += [
            f"Brow_Raise_Inner_{s}", f"Brow_Raise_Outer_{s}", f"Brow_Drop_{s}", f"Eye_Blink_{s}",
            f"Eye_Squint_{s}", f"Eye_Wide_{s}", f"Cheek_Raise_{s}", f"Cheek_Puff_{s}",
            f"Nose_Sneer_{s}", f"Mouth_Smile_{s}", f"Mouth_Frown_{s}", f"Mouth_Dimple_{s}",
            f"Mouth_Stretch_{s}", f"Mouth_Press_{s}", f"Mouth_Up_Upper_{s}",
            f"Mouth_Down_Lower_{s}", f"Mouth_Funnel_Up_{s}", f"Mouth_Pucker_Up_{s}",
            f"Mouth_Roll_In_Upper_{s}", f"Mouth_Roll_In_Lower_{s}", f"Eye_{s}_Look_Up",
            f"Eye_{s}_Look_Down", f"Eye_{s}_Look_L", f"Eye_{s}_Look_R",
        ]  # fmt: skip
    return [
        *out,
        "Jaw_Open", "Jaw_Forward", "Jaw_L", "Jaw_R", "Mouth_Close", "Mouth_L", "Mouth_R",
        "Mouth_Shrug_Upper", "Mouth_Shrug_Lower", "Tongue_Out", "Ear_Up_L",
    ]  # fmt: skip


def test_cc4_covers_every_arkit_channel():
    profile, coverage = suggest_profile(_cc4_names())
    assert profile is not None
    assert coverage.missing_channels == ()
    assert coverage.unmapped_keys == ("Ear_Up_L",)
    assert coverage.inexpressible == ()
    assert dict(coverage.channel_keys)["mouthFunnel"] == ("Mouth_Funnel_Up_L", "Mouth_Funnel_Up_R")


def test_partial_rig_reports_what_it_cannot_show():
    names = ["Basis", "Mouth_Smile_L", "Mouth_Smile_R", "Cheek_Raise_L", "Cheek_Raise_R", "Foo"]
    _, coverage = suggest_profile([*names, "Jaw_Open"])
    assert coverage.unmapped_keys == ("Foo",)
    assert "disgust" in coverage.inexpressible and "happiness" not in coverage.inexpressible
    assert "cannot show" in coverage.describe() and "'Foo'" in coverage.describe()


def test_vroid_whole_face_keys_win_over_part_keys_and_visemes_only_fill_gaps():
    names = ["Fcl_ALL_Joy", "Fcl_ALL_Angry", "Fcl_BRW_Joy", "Fcl_EYE_Close_L", "Fcl_MTH_A"]
    profile, coverage = suggest_profile(names)
    assert dict(profile.emotion_keys) == {
        "Fcl_ALL_Joy": (("happiness", 1.0),),
        "Fcl_ALL_Angry": (("anger", 1.0), ("disgust", 0.6)),
    }
    assert coverage.unmapped_keys == ("Fcl_BRW_Joy",)
    assert profile.keys == ("Fcl_EYE_Close_L", "Fcl_MTH_A")
    rpm, _ = suggest_profile(["jawOpen", "viseme_aa", "mouthSmileLeft"])
    assert "viseme_aa" not in rpm.keys


def test_nothing_known_gives_no_profile_and_a_one_line_error():
    profile, coverage = suggest_profile(["Basis", "Key 1", "Key 2"])
    assert profile is None and coverage.unmapped_keys == ("Key 1", "Key 2")
    with pytest.raises(RigError, match="None of the 2 shape keys") as err:
        auto_profile(["Basis", "Key 1", "Key 2"])
    assert "\n" not in str(err.value)


def test_suggested_profile_round_trips_exactly(tmp_path):
    profile, _ = suggest_profile([*_cc4_names(), "Fcl_ALL_Joy"])
    shaped = RigProfile.from_mapping(
        "shaped",
        {"Mouth_Smile_L": {"mouthSmileLeft": 0.8, "AU6_L": 0.2}, "Eye_Blink_L": {"AU45_L": 1}},
        key_gains={"Mouth_Smile_L": 1.2},
        key_offsets={"Eye_Blink_L": 0.05},
        key_clamps={"Mouth_Smile_L": [0.0, 0.9]},
        emotion_keys={"Fcl_ALL_Joy": {"happy": 1.0}},
        emotion_gains={"fear": 1.2},
    )
    for p in (profile, shaped):
        path = tmp_path / f"{p.name}.json"
        save_profile(p, path)
        loaded = load_profile(path)
        assert loaded == p
        assert loaded.to_dict() == p.to_dict() == json.loads(path.read_text())
    assert shaped.to_dict()["keys"]["Mouth_Smile_L"] == {"mouthSmileLeft": 0.8, "AU6_L": 0.2}
    drivers = dict(shaped.targets[0].drivers)
    assert drivers == {"AU12_L": 0.8, "AU6_L": 0.2}


def test_old_files_still_load_and_write_no_new_fields():
    old = {"schema_version": 1, "name": "x", "keys": {"a": {"AU12": 1}}}
    profile = rigs.profile_from_dict(old)
    assert set(profile.to_dict()) == {
        "schema_version", "kind", "name", "description", "keys", "fallbacks", "antagonists",
        "overrides", "key_gains", "emotion_gains",
    }  # fmt: skip


@pytest.mark.parametrize(
    "extra",
    [
        {"key_offsets": {"a": 2.0}},
        {"key_offsets": {"nope": 0.1}},
        {"key_clamps": {"a": [0.5, 0.2]}},
        {"key_clamps": {"a": [0, 2]}},
        {"key_clamps": {"a": 0.5}},
        {"emotion_keys": {"joy": {"glee": 1.0}}},
        {"emotion_keys": {"joy": {"happiness": -1}}},
        {"emotion_keys": {"a": {"happiness": 1}}},
    ],
)
def test_bad_shaping_fields_are_refused(extra):
    with pytest.raises(InputError):
        rigs.profile_from_dict(
            {"schema_version": 1, "name": "x", "keys": {"a": {"AU12": 1}}, **extra}
        )


def test_emotion_only_profile_is_valid():
    p = rigs.profile_from_dict(
        {"schema_version": 1, "name": "v", "emotion_keys": {"Fcl_ALL_Joy": {"happiness": 1}}}
    )
    assert p.keys == () and p.all_keys == ("Fcl_ALL_Joy",)


def _happy_timeline():
    return single_event_timeline(EmotionWeights.from_mapping({"happiness": 1.0}), 3.0)


def test_cc4_rig_smiles():
    curves = synthesize_any(_happy_timeline(), _cc4_names(), SynthesisOptions(fps=24))
    assert curves.channels["Mouth_Smile_L"].max() > 0.3
    assert "Ear_Up_L" not in curves.channels
    assert any("'Ear_Up_L'" in w for w in curves.warnings)


def test_vroid_joy_key_follows_the_emotion_and_blinks_still_come_from_aus():
    names = ["Basis", "Fcl_ALL_Joy", "Fcl_ALL_Angry", "Fcl_ALL_Sorrow", "Fcl_EYE_Close_L"]
    curves = synthesize_any(_happy_timeline(), names, SynthesisOptions(fps=24, seed=1))
    joy = curves.channels["Fcl_ALL_Joy"]
    assert joy.max() > 0.3 and joy[0] == 0.0
    assert curves.channels["Fcl_ALL_Angry"].max() == 0.0
    assert "Fcl_EYE_Close_L" in curves.channels


def test_expression_only_rig_bakes_from_emotions_alone():
    curves = synthesize_any(_happy_timeline(), ["Basis", "happy", "sad"], SynthesisOptions(fps=24))
    assert set(curves.channels) == {"happy", "sad"}
    assert curves.channels["happy"].max() > 0.3


def test_offsets_and_clamps_shape_the_values():
    profile = RigProfile.from_mapping(
        "p",
        {"smile": {"mouthSmileLeft": 1.0}},
        key_clamps={"smile": [0.0, 0.25]},
        key_offsets={"joy": -0.5},
        emotion_keys={"joy": {"happiness": 1.0}},
    )
    curves = synthesize_any(_happy_timeline(), ["smile", "joy"], SynthesisOptions(fps=24), profile)
    assert curves.channels["smile"].max() == pytest.approx(0.25)
    assert curves.channels["joy"].min() == 0.0 and curves.channels["joy"].max() < 0.51


def test_profile_naming_absent_keys_is_refused_and_one_matching_nothing_fails():
    profile = RigProfile.from_mapping("p", {"smile": {"AU12": 1}, "ghost": {"AU4": 1}})
    with pytest.raises(RigError, match=r"names 1 key.*lacks: 'ghost'"):
        synthesize_any(_happy_timeline(), ["smile"], SynthesisOptions(fps=24), profile)
    only_smile = RigProfile.from_mapping("p", {"smile": {"AU12": 1}})
    curves = synthesize_any(_happy_timeline(), ["smile", "x"], SynthesisOptions(fps=24), only_smile)
    assert curves.channels["smile"].max() > 0.3
    with pytest.raises(RigError, match="lacks"):
        synthesize_any(_happy_timeline(), ["other"], SynthesisOptions(fps=24), only_smile)


def test_arkit_rig_still_uses_the_builtin_profile():
    assert auto_profile(["Basis", *ARKIT_52]).name == "arkit52"


def test_emotion_tracks_static_mode_uses_the_dominant_emotion():
    timeline = single_event_timeline(
        EmotionWeights.from_mapping({"happiness": 0.6, "surprise": 0.4}), 3.0
    )
    tracks = emotion_tracks(timeline, SynthesisOptions(fps=24, mode="static"), 72)
    assert tracks.shape == (72, 7)
    assert np.count_nonzero(tracks.max(axis=0)) == 1


def test_suggestion_carries_arkit_antagonists_to_the_rig_names():
    profile, _ = suggest_profile(["Mouth_Smile_L", "Mouth_Frown_L", "Eye_Blink_L", "Eye_Wide_L"])
    pairs = {(p.first, p.second, p.first_overrides) for p in profile.antagonists}
    assert ("Eye_Blink_L", "Eye_Wide_L", True) in pairs
    assert ("Mouth_Smile_L", "Mouth_Frown_L", False) in pairs


def test_only_undriven_keys_suggest_nothing_and_detection_stays_a_rig_error():
    assert suggest_profile(["tongueOut", "Eye_L_Look_L"])[0] is None
    with pytest.raises(RigError):
        rigs.detect_profile(["tongueOut"])


def test_detection_picks_the_suggestion_only_when_it_expresses_more():
    assert rigs.detect_profile(["Basis", *ARKIT_52]).profile.name == "arkit52"
    cc4 = rigs.detect_profile(_cc4_names())
    assert cc4.profile.name == "suggested" and not cc4.coverage.missing


def test_capture_goes_straight_to_cc4_keys_and_to_every_split_key():
    from facial_affect_addon.core.retarget import ArkitRetarget

    names = ["Basis", "Mouth_Smile_L", "Cheek_Raise_L", "Mouth_Funnel_Up_L", "Mouth_Funnel_Up_R"]
    keys, values = ArkitRetarget(names).apply(
        ["mouthSmileLeft", "cheekSquintLeft", "mouthFunnel"], np.array([0.5, 0.3, 0.4])
    )
    assert dict(zip(keys, values, strict=True)) == {
        "Mouth_Smile_L": 0.5,
        "Cheek_Raise_L": 0.3,
        "Mouth_Funnel_Up_L": 0.4,
        "Mouth_Funnel_Up_R": 0.4,
    }


def test_expression_rig_warns_about_emotions_not_au_channels():
    names = ["Basis", "Fcl_ALL_Joy", "Fcl_EYE_Close_L", "Fcl_EYE_Close_R", "Fcl_HA_Hide"]
    curves = synthesize_any(_happy_timeline(), names, SynthesisOptions(fps=24))
    assert not any("AU channels" in w for w in curves.warnings)
    assert any("cannot show sadness, anger" in w for w in curves.warnings)
    assert any("'Fcl_HA_Hide'" in w for w in curves.warnings)
