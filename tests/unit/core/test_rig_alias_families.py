"""Every naming family of issue 14, from literal key-name lists typed from the products' names.

Each list is a head's keys as the product names them (ARKit in several case styles, MetaHuman,
FACS codes, Character Creator 4, Daz Genesis 8.1/9, VRoid / VRM 0.x and 1.0, ReadyPlayerMe /
Avaturn, Polywink, MakeHuman / MPFB face units). The names are typed here, not generated from the
alias table, so a table entry that drifts from the product fails. Each test checks what
:func:`suggest_profile` makes of the whole head: which channel each key drives, which keys it
leaves out, and that no channel is driven twice by keys that would double it.
"""

from __future__ import annotations

import re

import pytest

from facial_affect_addon.core.rig_aliases import family_of, is_fallback
from facial_affect_addon.core.rig_mapping import suggest_profile
from facial_affect_addon.core.rig_tables import ARKIT_52

ARKIT = [
    "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "eyeBlinkLeft", "eyeBlinkRight",
    "eyeLookDownLeft", "eyeLookDownRight", "eyeLookInLeft", "eyeLookInRight", "eyeLookOutLeft",
    "eyeLookOutRight", "eyeLookUpLeft", "eyeLookUpRight", "eyeSquintLeft", "eyeSquintRight",
    "eyeWideLeft", "eyeWideRight", "jawForward", "jawLeft", "jawOpen", "jawRight",
    "mouthClose", "mouthDimpleLeft", "mouthDimpleRight", "mouthFrownLeft", "mouthFrownRight",
    "mouthFunnel", "mouthLeft", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthPressLeft",
    "mouthPressRight", "mouthPucker", "mouthRight", "mouthRollLower", "mouthRollUpper",
    "mouthShrugLower", "mouthShrugUpper", "mouthSmileLeft", "mouthSmileRight",
    "mouthStretchLeft", "mouthStretchRight", "mouthUpperUpLeft", "mouthUpperUpRight",
    "noseSneerLeft", "noseSneerRight", "tongueOut",
]  # fmt: skip


def _keys(profile) -> dict[str, dict[str, float]]:
    return profile.to_dict()["keys"]


def _words(name: str) -> list[str]:
    return re.findall(r"[a-z]+|[A-Z][a-z]*", name)


STYLES = {
    "camel": lambda n: n,
    "pascal": lambda n: n[0].upper() + n[1:],
    "snake": lambda n: "_".join(w.lower() for w in _words(n)),
    "upper_snake": lambda n: "_".join(w.upper() for w in _words(n)),
    "kebab": lambda n: "-".join(w.lower() for w in _words(n)),
    "side_suffix": lambda n: re.sub(r"Left$", "_L", re.sub(r"Right$", "_R", n)),
    "blender_side": lambda n: re.sub(r"Left$", ".L", re.sub(r"Right$", ".R", n)),
}


def test_the_typed_arkit_list_is_apples_52():
    assert sorted(ARKIT) == sorted(ARKIT_52) and len(set(ARKIT)) == 52


@pytest.mark.parametrize("style", sorted(STYLES))
def test_arkit_in_any_case_style_maps_all_52_channels(style):
    names = [STYLES[style](n) for n in ARKIT]
    assert len(set(names)) == 52
    profile, coverage = suggest_profile(["Basis", *names])
    keys = _keys(profile)
    assert {name: keys[STYLES[style](name)] for name in ARKIT} == {n: {n: 1.0} for n in ARKIT}
    assert coverage.missing_channels == () and coverage.unmapped_keys == ()


METAHUMAN = {
    # the face board's curve names (CTRL_expressions_*), as they reach a shape key
    "CTRL_expressions_browDownL": {"browDownLeft": 1.0},
    "CTRL_expressions_browRaiseInL": {"AU1_L": 1.0},
    "CTRL_expressions_browRaiseInR": {"AU1_R": 1.0},
    "CTRL_expressions_browRaiseOuterL": {"browOuterUpLeft": 1.0},
    "CTRL_expressions_browLateralL": {"AU4_L": 0.8},
    "CTRL_expressions_eyeBlinkL": {"eyeBlinkLeft": 1.0},
    "CTRL_expressions_eyeWidenL": {"AU5_L": 1.0},
    "CTRL_expressions_eyeSquintInnerL": {"AU7_L": 1.0},
    "CTRL_expressions_eyeCheekRaiseL": {"AU6_L": 1.0},
    "CTRL_expressions_noseWrinkleL": {"AU9_L": 1.0},
    "CTRL_expressions_mouthCornerPullL": {"AU12_L": 1.0},
    "CTRL_expressions_mouthCornerPullR": {"AU12_R": 1.0},
    "CTRL_expressions_mouthCornerDepressL": {"AU15_L": 1.0},
    "CTRL_expressions_mouthStretchL": {"mouthStretchLeft": 1.0},
    "CTRL_expressions_mouthDimpleL": {"mouthDimpleLeft": 1.0},
    "CTRL_expressions_mouthLipsTightenUL": {"AU23": 1.0},
    "CTRL_expressions_mouthLipsPurseUL": {"AU18": 1.0},
    "CTRL_expressions_mouthFunnelDR": {"AU22": 1.0},
    "CTRL_expressions_mouthCheekBlowL": {"AU34": 1.0},
    "CTRL_expressions_jawChinRaiseDL": {"AU17": 1.0},
    "CTRL_expressions_jawOpen": {"jawOpen": 1.0},
    "CTRL_expressions_jawFwd": {"jawForward": 1.0},
    "CTRL_expressions_jawLeft": {"jawLeft": 1.0},
}
METAHUMAN_DNA = {
    # the same units as DNA blend shape names, bare and behind Maya's node prefix
    "brow_raiseIn_L": {"AU1_L": 1.0},
    "mouth_cornerPull_L": {"AU12_L": 1.0},
    "mouth_cornerDepress_R": {"AU15_R": 1.0},
    "eye_cheekRaise_L": {"AU6_L": 1.0},
    "jaw_open": {"jawOpen": 1.0},
    "head_lod0_mesh_blendShapes.brow_down_L": {"browDownLeft": 1.0},
}
METAHUMAN_UNMAPPED = ["CTRL_expressions_mouthSharpCornerPullL"]  # AU13: no engine channel


@pytest.mark.parametrize("table", [METAHUMAN, METAHUMAN_DNA], ids=["curves", "dna"])
def test_metahuman_controls_map_to_their_au_channels(table):
    profile, coverage = suggest_profile(["Basis", *table, *METAHUMAN_UNMAPPED])
    assert _keys(profile) == table
    assert coverage.unmapped_keys == tuple(METAHUMAN_UNMAPPED)


FACS = {
    "AU01_L": {"AU1_L": 1.0},
    "AU1_R": {"AU1_R": 1.0},
    "AU02": {"AU2_L": 0.5, "AU2_R": 0.5},
    "AU4": {"AU4_L": 0.5, "AU4_R": 0.5},
    "AU_06_L": {"AU6_L": 1.0},
    "au06_right": {"AU6_R": 1.0},
    "AU12L": {"AU12_L": 1.0},
    "AU12R": {"AU12_R": 1.0},
    "FACS_AU15_L": {"AU15_L": 1.0},
    "AU15_R": {"AU15_R": 1.0},
    "AU17": {"AU17": 1.0},
    "AU23": {"AU23": 1.0},
    "AU26": {"AU26": 1.0},
    "AU45_L": {"AU45_L": 1.0},
    "AU45_R": {"AU45_R": 1.0},
}


def test_facs_codes_in_any_spelling_map_to_their_channels():
    profile, coverage = suggest_profile(["Basis", *FACS])
    keys = _keys(profile)
    assert {k: v for k, v in keys.items() if len(v) == 1} == {
        k: v for k, v in FACS.items() if len(v) == 1
    }
    for combined in ("AU02", "AU4"):  # a unit for both sides follows them, equally
        assert sum(keys[combined].values()) == pytest.approx(1.0)
        assert {c.rstrip("_LR") for c in keys[combined]} <= {"AU2", "AU02", "AU4", "AU04"}
    assert coverage.unmapped_keys == ()


def test_a_combined_facs_key_gives_way_to_its_sided_keys():
    profile, _ = suggest_profile(["Basis", "AU01", "AU01_L", "AU01_R"])
    assert set(_keys(profile)) == {"AU01_L", "AU01_R"}


CC4 = {
    "Brow_Raise_Inner_L": {"browInnerUp": 1.0},
    "Brow_Raise_Inner_R": {"browInnerUp": 1.0},
    "Brow_Raise_Outer_L": {"browOuterUpLeft": 1.0},
    "Brow_Drop_L": {"browDownLeft": 1.0},
    "Brow_Drop_R": {"browDownRight": 1.0},
    "Eye_Blink_L": {"eyeBlinkLeft": 1.0},
    "Eye_Squint_R": {"eyeSquintRight": 1.0},
    "Eye_Wide_L": {"eyeWideLeft": 1.0},
    "Eye_L_Look_L": {"eyeLookOutLeft": 1.0},
    "Eye_L_Look_R": {"eyeLookInLeft": 1.0},
    "Eye_R_Look_Up": {"eyeLookUpRight": 1.0},
    "Eye_L_Look_Down": {"eyeLookDownLeft": 1.0},
    "Cheek_Raise_L": {"cheekSquintLeft": 1.0},
    "Cheek_Puff_L": {"cheekPuff": 1.0},
    "Cheek_Puff_R": {"cheekPuff": 1.0},
    "Nose_Sneer_L": {"noseSneerLeft": 1.0},
    "Mouth_Smile_L": {"mouthSmileLeft": 1.0},
    "Mouth_Smile_R": {"mouthSmileRight": 1.0},
    "Mouth_Frown_L": {"mouthFrownLeft": 1.0},
    "Mouth_Stretch_L": {"mouthStretchLeft": 1.0},
    "Mouth_Dimple_L": {"mouthDimpleLeft": 1.0},
    "Mouth_Press_L": {"mouthPressLeft": 1.0},
    "Mouth_Tighten_L": {"AU23": 1.0},
    "Mouth_Pucker_Up_L": {"mouthPucker": 1.0},
    "Mouth_Pucker_Down_R": {"mouthPucker": 1.0},
    "Mouth_Funnel_Up_R": {"mouthFunnel": 1.0},
    "Mouth_Roll_In_Upper_L": {"mouthRollUpper": 1.0},
    "Mouth_Roll_In_Lower_R": {"mouthRollLower": 1.0},
    "Mouth_Up_Upper_L": {"mouthUpperUpLeft": 1.0},
    "Mouth_Down_Lower_R": {"mouthLowerDownRight": 1.0},
    "Mouth_Shrug_Upper": {"mouthShrugUpper": 1.0},
    "Mouth_Shrug_Lower": {"mouthShrugLower": 1.0},
    "Mouth_Close": {"mouthClose": 1.0},
    "Mouth_L": {"mouthLeft": 1.0},
    "Mouth_R": {"mouthRight": 1.0},
    "Jaw_Open": {"jawOpen": 1.0},
    "Jaw_Forward": {"jawForward": 1.0},
    "Jaw_L": {"jawLeft": 1.0},
    "Tongue_Out": {"tongueOut": 1.0},
}
CC4_UNMAPPED = [
    # no engine channel of their own, or a second key for a channel another key has
    "Brow_Compress_L",
    "Cheek_Suck_L",
    "Nose_Nostril_Dilate_L",
    "Mouth_Smile_Sharp_L",
    "Mouth_Roll_Out_Upper_L",
    "Jaw_Backward",
]


def test_cc4_expression_morphs_map_and_the_rest_is_named():
    profile, coverage = suggest_profile(["Basis", *CC4, *CC4_UNMAPPED])
    assert _keys(profile) == CC4
    assert coverage.unmapped_keys == tuple(CC4_UNMAPPED)
    assert {family_of(k) for k in ("Brow_Drop_L", "Cheek_Raise_L", "Mouth_Tighten_L")} == {"cc4"}


DAZ = {
    # Genesis 8.1 / 9 FACS morphs: shape parts (facs_bs_*_div2), joint parts, controls
    "facs_bs_BrowDownLeft_div2": {"browDownLeft": 1.0},
    "facs_bs_BrowInnerUpLeft_div2": {"browInnerUp": 1.0},
    "facs_bs_BrowInnerUpRight_div2": {"browInnerUp": 1.0},
    "facs_bs_BrowOuterUpRight_div2": {"browOuterUpRight": 1.0},
    "facs_bs_CheekPuffLeft_div2": {"cheekPuff": 1.0},
    "facs_bs_CheekSquintLeft_div2": {"cheekSquintLeft": 1.0},
    "facs_bs_EyeBlinkLeft_div2": {"eyeBlinkLeft": 1.0},
    "facs_bs_EyeWideRight_div2": {"eyeWideRight": 1.0},
    "facs_bs_MouthSmileLeft_div2": {"mouthSmileLeft": 1.0},
    "facs_bs_MouthSmileRight_div2": {"mouthSmileRight": 1.0},
    "facs_bs_MouthFrownLeft_div2": {"mouthFrownLeft": 1.0},
    "facs_bs_MouthFunnel_div2": {"mouthFunnel": 1.0},
    "facs_bs_NoseSneerRight_div2": {"noseSneerRight": 1.0},
    "facs_jnt_JawOpen": {"jawOpen": 1.0},
    "facs_jnt_JawForward": {"jawForward": 1.0},
    "facs_jnt_JawLeft": {"jawLeft": 1.0},
    "facs_ctrl_EyeBlinkRight": {"eyeBlinkRight": 1.0},
    "facs_bs_TongueOut": {"tongueOut": 1.0},
}


def test_daz_genesis_facs_morphs_map_to_arkit_channels():
    profile, coverage = suggest_profile(["Basis", *DAZ])
    assert _keys(profile) == DAZ
    assert coverage.unmapped_keys == ()


VROID = [
    "Fcl_ALL_Neutral", "Fcl_ALL_Angry", "Fcl_ALL_Fun", "Fcl_ALL_Joy", "Fcl_ALL_Sorrow",
    "Fcl_ALL_Surprised", "Fcl_BRW_Angry", "Fcl_BRW_Fun", "Fcl_BRW_Joy", "Fcl_BRW_Sorrow",
    "Fcl_BRW_Surprised", "Fcl_EYE_Natural", "Fcl_EYE_Angry", "Fcl_EYE_Close", "Fcl_EYE_Close_R",
    "Fcl_EYE_Close_L", "Fcl_EYE_Fun", "Fcl_EYE_Joy", "Fcl_EYE_Joy_R", "Fcl_EYE_Joy_L",
    "Fcl_EYE_Sorrow", "Fcl_EYE_Surprised", "Fcl_EYE_Spread", "Fcl_EYE_Iris_Hide",
    "Fcl_EYE_Highlight_Hide", "Fcl_MTH_Close", "Fcl_MTH_Up", "Fcl_MTH_Down", "Fcl_MTH_Angry",
    "Fcl_MTH_Small", "Fcl_MTH_Large", "Fcl_MTH_Neutral", "Fcl_MTH_Fun", "Fcl_MTH_Joy",
    "Fcl_MTH_Sorrow", "Fcl_MTH_Surprised", "Fcl_MTH_A", "Fcl_MTH_I", "Fcl_MTH_U", "Fcl_MTH_E",
    "Fcl_MTH_O", "Fcl_HA_Hide", "Fcl_HA_Fung1",
]  # fmt: skip


def test_a_vroid_head_maps_whole_face_keys_by_emotion_and_blinks_and_visemes_by_channel():
    profile, coverage = suggest_profile(["Basis", *VROID])
    emotion = profile.to_dict()["emotion_keys"]
    assert emotion == {
        "Fcl_ALL_Angry": {"anger": 1.0, "disgust": 0.6},
        "Fcl_ALL_Joy": {"happiness": 1.0},
        "Fcl_ALL_Sorrow": {"sadness": 1.0, "fear": 0.4},
        "Fcl_ALL_Surprised": {"surprise": 1.0, "fear": 0.6},
    }  # whole-face keys win over the part keys (BRW/EYE/MTH), which would double them
    assert _keys(profile) == {
        "Fcl_EYE_Close_R": {"eyeBlinkRight": 1.0},
        "Fcl_EYE_Close_L": {"eyeBlinkLeft": 1.0},
        "Fcl_MTH_A": {"jawOpen": 1.0},
        "Fcl_MTH_U": {"mouthPucker": 1.0},
        "Fcl_MTH_O": {"mouthFunnel": 1.0},
    }  # Fcl_EYE_Close (both eyes) gives way to the two sided keys
    assert coverage.inexpressible == ()
    assert "Fcl_ALL_Fun" in coverage.unmapped_keys and "Fcl_HA_Hide" in coverage.unmapped_keys


VRM_1 = ["happy", "angry", "sad", "relaxed", "surprised", "aa", "ih", "ou", "ee", "oh",
         "blink", "blinkLeft", "blinkRight", "lookUp", "lookDown", "lookLeft", "lookRight",
         "neutral"]  # fmt: skip
VRM_0 = ["Neutral", "A", "I", "U", "E", "O", "Blink", "Joy", "Angry", "Sorrow", "Fun", "LookUp",
         "LookDown", "LookLeft", "LookRight", "Blink_L", "Blink_R"]  # fmt: skip


@pytest.mark.parametrize(
    ("names", "happy", "sad"),
    [(VRM_1, "happy", "sad"), (VRM_0, "Joy", "Sorrow")],
    ids=["vrm1", "vrm0"],
)
def test_vrm_presets_map_by_emotion(names, happy, sad):
    profile, _ = suggest_profile(["Basis", *names])
    emotion = profile.to_dict()["emotion_keys"]
    assert emotion[happy] == {"happiness": 1.0}
    assert emotion[sad] == {"sadness": 1.0, "fear": 0.4}
    keys = _keys(profile)
    blink_l, blink_r = (n for n in names if n.lower().startswith("blink") and len(n) > 5)
    assert keys[blink_l] == {"eyeBlinkLeft": 1.0} and keys[blink_r] == {"eyeBlinkRight": 1.0}
    assert not any(k.lower() == "blink" for k in keys)  # both-eye key: the sided ones have it
    assert keys[names[names.index("aa" if "aa" in names else "A")]] == {"jawOpen": 1.0}
    assert not {"relaxed", "Fun", "neutral", "Neutral"} & set(emotion)  # not doubled onto joy


READY_PLAYER_ME = [*ARKIT, "viseme_sil", "viseme_PP", "viseme_FF", "viseme_TH", "viseme_DD",
                   "viseme_kk", "viseme_CH", "viseme_SS", "viseme_nn", "viseme_RR", "viseme_aa",
                   "viseme_E", "viseme_I", "viseme_O", "viseme_U", "mouthOpen", "mouthSmile",
                   "eyesClosed", "eyesLookUp", "eyesLookDown"]  # fmt: skip


def test_readyplayerme_and_avaturn_drive_each_channel_once():
    profile, coverage = suggest_profile(["Basis", *READY_PLAYER_ME])
    keys = _keys(profile)
    assert keys == {n: {n: 1.0} for n in ARKIT}  # the extra keys would double smile, jaw, blink
    for extra in ("mouthSmile", "mouthOpen", "eyesClosed", "viseme_aa", "viseme_O"):
        assert is_fallback(extra) and extra in coverage.unmapped_keys


def test_a_readyplayerme_half_body_without_arkit_keys_uses_its_fallbacks():
    names = ["Basis", "mouthOpen", "mouthSmile", "eyesClosed", "viseme_aa", "viseme_O"]
    keys = _keys(suggest_profile(names)[0])
    assert keys["mouthSmile"] == {"mouthSmileLeft": 0.5, "mouthSmileRight": 0.5}
    assert keys["eyesClosed"] == {"eyeBlinkLeft": 0.5, "eyeBlinkRight": 0.5}
    assert keys["mouthOpen"] == {"jawOpen": 1.0} and keys["viseme_O"] == {"mouthFunnel": 1.0}
    assert "viseme_aa" not in keys  # mouthOpen has the jaw already (both fallbacks: one wins)


POLYWINK = {
    # ARKit names as delivered, and as a Maya blend shape node or an exporter prefixes them
    "eyeBlinkLeft": {"eyeBlinkLeft": 1.0},
    "blendShape1.eyeBlinkRight": {"eyeBlinkRight": 1.0},
    "BS_ARKit.mouthSmileLeft": {"mouthSmileLeft": 1.0},
    "ARKit_mouthSmileRight": {"mouthSmileRight": 1.0},
    "BS_Polywink.jawOpen": {"jawOpen": 1.0},  # any node name before the dot
    "browInnerUp": {"browInnerUp": 1.0},
}


def test_polywink_arkit_sets_map_behind_their_prefixes():
    profile, coverage = suggest_profile(["Basis", *POLYWINK])
    assert _keys(profile) == POLYWINK and coverage.unmapped_keys == ()


MAKEHUMAN = {
    # MakeHuman / MPFB face pose units (face-poseunits), baked to shape keys
    "LeftInnerBrowUp": {"browInnerUp": 1.0},
    "RightInnerBrowUp": {"browInnerUp": 1.0},
    "LeftOuterBrowUp": {"browOuterUpLeft": 1.0},
    "LeftBrowDown": {"browDownLeft": 1.0},
    "RightBrowDown": {"browDownRight": 1.0},
    "NoseWrinkler": {"noseSneerLeft": 0.5, "noseSneerRight": 0.5},
    "LeftCheekUp": {"cheekSquintLeft": 1.0},
    "LeftUpperLidClosed": {"eyeBlinkLeft": 1.0},
    "RightUpperLidClosed": {"eyeBlinkRight": 1.0},
    "LeftUpperLidOpen": {"eyeWideLeft": 1.0},
    "LeftLowerLidUp": {"eyeSquintLeft": 1.0},
    "LeftEyeUp": {"eyeLookUpLeft": 1.0},
    "RightEyeDown": {"eyeLookDownRight": 1.0},
    "LeftEyeturnLeft": {"eyeLookOutLeft": 1.0},
    "LeftEyeturnRight": {"eyeLookInLeft": 1.0},
    "RightEyeturnRight": {"eyeLookOutRight": 1.0},
    "RightEyeturnLeft": {"eyeLookInRight": 1.0},
    "MouthLeftPullUp": {"mouthSmileLeft": 1.0},
    "MouthRightPullUp": {"mouthSmileRight": 1.0},
    "MouthLeftPullDown": {"mouthFrownLeft": 1.0},
    "MouthRightPullSide": {"mouthStretchRight": 1.0},
    "MouthMoveLeft": {"mouthLeft": 1.0},
    "LipsKiss": {"mouthPucker": 1.0},
    "UpperLipUp": {"mouthUpperUpLeft": 0.5, "mouthUpperUpRight": 0.5},
    "lowerLipDown": {"mouthLowerDownLeft": 0.5, "mouthLowerDownRight": 0.5},
    "JawDrop": {"jawOpen": 1.0},
    "ChinForward": {"jawForward": 1.0},
    "ChinLeft": {"jawLeft": 1.0},
    "CheeksPump": {"cheekPuff": 1.0},
    "TongueOut": {"tongueOut": 1.0},
}
MAKEHUMAN_UNMAPPED = ["MouthOpen", "MouthLeftPlatysma", "JawDropStretched", "TongueUshape"]


def test_makehuman_face_units_map_and_mouth_open_gives_way_to_jaw_drop():
    profile, coverage = suggest_profile(["Basis", *MAKEHUMAN, *MAKEHUMAN_UNMAPPED])
    assert _keys(profile) == MAKEHUMAN
    assert coverage.unmapped_keys == tuple(MAKEHUMAN_UNMAPPED)
    assert all(family_of(k) in {"makehuman", "arkit"} for k in MAKEHUMAN)


@pytest.mark.parametrize(
    "names",
    [ARKIT, list(CC4), list(DAZ), list(MAKEHUMAN), list(METAHUMAN)],
    ids=["arkit", "cc4", "daz", "makehuman", "metahuman"],
)
def test_each_family_can_smile_and_frown(names):
    _, coverage = suggest_profile(["Basis", *names])
    shares = dict(coverage.emotions)
    assert shares["happiness"] >= 0.5 and shares["sadness"] >= 0.5
