"""Lip-sync on rigs with their own viseme keys (issue 17 §2): Oculus ``viseme_*``, VRM presets."""

from __future__ import annotations

import numpy as np
import pytest

from facial_affect_addon.core.lipsync import rig_lipsync
from facial_affect_addon.core.speech_mouth import is_mouth_key
from facial_affect_addon.pipeline.curves import performance_curves
from tests.unit.test_lipsync import arkit52, centre_frames, options, spoken

RPM_VISEMES = [  # ReadyPlayerMe / Avaturn, as their glTF heads name them
    "viseme_sil",
    "viseme_PP",
    "viseme_FF",
    "viseme_TH",
    "viseme_DD",
    "viseme_kk",
    "viseme_CH",
    "viseme_SS",
    "viseme_nn",
    "viseme_RR",
    "viseme_aa",
    "viseme_E",
    "viseme_I",
    "viseme_O",
    "viseme_U",
]
VRCHAT = ["vrc.v_sil", "vrc.v_pp", "vrc.v_ff", "vrc.v_aa", "vrc.v_e", "vrc.v_ih", "vrc.v_oh"]
VRM1 = ["Basis", "happy", "angry", "sad", "blink", "aa", "ih", "ou", "ee", "oh"]
VRM0 = ["Basis", "Joy", "Angry", "Sorrow", "Blink", "A", "I", "U", "E", "O"]


def test_which_own_viseme_rigs_take_lipsync():
    rpm = rig_lipsync([*arkit52(), *RPM_VISEMES])  # both families: the sculpted visemes win
    assert rpm.family == "oculus" and set(rpm.keys) == set(RPM_VISEMES)
    assert rpm.key_map["viseme_ih"] == ("viseme_I",) and rpm.key_map["viseme_PP"] == ("viseme_PP",)
    assert "jawOpen" in rpm.yielding and "mouthClose" in rpm.yielding
    assert not set(rpm.keys) & rpm.yielding and "mouthSmileLeft" in rpm.mouth_keys
    vrc = rig_lipsync(VRCHAT)
    assert vrc.family == "oculus" and vrc.key_map["viseme_oh"] == ("vrc.v_oh",)
    upper = rig_lipsync([k.upper() for k in RPM_VISEMES])  # any case
    assert upper.key_map["viseme_kk"] == ("VISEME_KK",)
    vrm1, vrm0 = rig_lipsync(VRM1), rig_lipsync(VRM0)
    assert vrm1.family == vrm0.family == "vrm"
    assert dict(vrm1.key_map) == {
        "Fcl_MTH_A": ("aa",),
        "Fcl_MTH_I": ("ih",),
        "Fcl_MTH_U": ("ou",),
        "Fcl_MTH_E": ("ee",),
        "Fcl_MTH_O": ("oh",),
    }
    assert set(vrm0.keys) == {"A", "I", "U", "E", "O"} and "Joy" not in vrm0.mouth_keys
    assert rig_lipsync(["Basis", "A", "E", "browUp"]) is None  # two letters are no VRM rig
    assert rig_lipsync(["viseme_aa", "viseme_O", "eyeBlinkLeft"]) is None  # nor two visemes


def test_own_viseme_keys_are_mouth_keys():
    for name in [*RPM_VISEMES, *VRCHAT, "blendShape1.viseme_PP", "VISEME_AA", *VRM1[5:], *VRM0[5:]]:
        assert is_mouth_key(name), name
    for name in ("eyeBlinkLeft", "Blink", "Joy", "happy", "Fcl_EYE_Close", "browInnerUp", "vis"):
        assert not is_mouth_key(name), name


@pytest.mark.parametrize("emotion", ["happiness", "surprise"])
def test_bilabials_drive_viseme_pp_on_a_readyplayerme_head(emotion):
    names = [*arkit52(), *RPM_VISEMES]
    perf = spoken(emotion)
    ch = performance_curves(perf, names, options()).channels
    frames = centre_frames(perf, "P B M")
    assert len(frames) == 8
    for f in frames:
        assert ch["viseme_PP"][f] > 0.6, (emotion, f)
        others = max(ch[k][f] for k in RPM_VISEMES if k != "viseme_PP")
        assert others < 0.25, (emotion, f)
        assert ch["jawOpen"][f] < 0.15, (emotion, f)  # surprise's open jaw yields to the seal
    silent = performance_curves(perf, names, options(False)).channels
    assert "jawOpen" in silent
    for key in rig_lipsync(names).yielding:  # the ARKit mouth is not driven a second time
        if key in silent:
            assert np.all(ch[key] <= silent[key] + 1e-9), key
        else:
            assert key not in ch, key
    np.testing.assert_array_equal(ch["browInnerUp"], silent["browInnerUp"])


def test_a_vowel_drives_its_own_key():
    perf = spoken("sadness")
    rpm = performance_curves(perf, RPM_VISEMES, options()).channels
    for symbol, key in (("AH", "viseme_aa"), ("IY", "viseme_I"), ("EY", "viseme_E")):
        for f in centre_frames(perf, symbol)[:1]:
            assert rpm[key][f] == max(rpm[k][f] for k in RPM_VISEMES), (symbol, f)
            assert rpm[key][f] > 0.4, (symbol, f)
    for names, a, i in ((VRM1, "aa", "ih"), (VRM0, "A", "I")):
        ch = performance_curves(perf, names, options()).channels
        (ah,) = centre_frames(perf, "AH")
        assert ch[a][ah] > 0.6 and ch[i][ah] < 0.2
        (iy,) = centre_frames(perf, "IY")[:1]
        assert ch[i][iy] > ch[a][iy]
        for f in centre_frames(perf, "P B M"):
            assert max(ch[k][f] for k in names[5:]) < 0.15, (names, f)
