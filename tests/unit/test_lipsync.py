"""Lip-sync wired into the curves (issue 17 §2-§3), on the demo head's ARKit names and VRoid's."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import numpy as np
import pytest

from facial_affect_addon.core.emotions import EmotionWeights
from facial_affect_addon.core.lipsync import rig_lipsync
from facial_affect_addon.core.phonemes import Phone, time_text
from facial_affect_addon.core.speech_mouth import SpeechMouthOptions
from facial_affect_addon.core.visemes import ARKIT_KEYS
from facial_affect_addon.pipeline.curves import performance_curves
from facial_affect_addon.pipeline.lipsync import MAX_STRETCH, text_phones
from facial_affect_addon.pipeline.options import PerformanceOptions, SynthesisOptions
from facial_affect_addon.pipeline.performance import Segment
from facial_affect_addon.pipeline.text import performance_from_weights

FPS = 24.0
LINE = "Bob made me a map, baby."
WORDS = {  # a small CMUdict-style dictionary, so the test needs no installed one
    "bob": (("B", "AA1", "B"),),
    "made": (("M", "EY1", "D"),),
    "me": (("M", "IY1"),),
    "a": (("AH0",),),
    "map": (("M", "AE1", "P"),),
    "baby": (("B", "EY1", "B", "IY0"),),
}
VROID = (
    "Fcl_ALL_Joy",
    "Fcl_ALL_Angry",
    "Fcl_ALL_Surprised",
    "Fcl_EYE_Close_L",
    "Fcl_EYE_Close_R",
    "Fcl_MTH_A",
    "Fcl_MTH_I",
    "Fcl_MTH_U",
    "Fcl_MTH_E",
    "Fcl_MTH_O",
)


def arkit52() -> list[str]:
    from facial_affect_addon.core.rig_tables import ARKIT_52

    return list(ARKIT_52)


def spoken(emotion: str = "happiness", phones: bool = True, seconds: float = 4.0):
    """A performance of one emotion with ``LINE`` spoken from 0.8 s (phones or rhythm only)."""
    perf = performance_from_weights(EmotionWeights.pure(emotion), seconds)
    line = Segment(0.8, 3.0, LINE, perf.weights, 1.0, "test")
    perf = replace(perf, segments=(line,))
    return replace(perf, phones=text_phones((line,), WORDS)) if phones else perf


def options(articulate: bool = True) -> PerformanceOptions:
    return PerformanceOptions(synthesis=SynthesisOptions(fps=FPS, seed=3), articulate=articulate)


def centre_frames(perf, symbols: str) -> list[int]:
    return [round(p.centre * FPS) for p in perf.phones if p.symbol in symbols.split()]


@pytest.mark.parametrize("emotion", ["happiness", "surprise", "anger"])
def test_bilabials_close_the_lips_under_any_emotion(emotion):
    perf = spoken(emotion)
    ch = performance_curves(perf, arkit52(), options()).channels
    frames = centre_frames(perf, "P B M")
    assert len(frames) == 8
    for f in frames:
        closed = max(ch["mouthClose"][f], ch["mouthPressLeft"][f], ch["mouthPressRight"][f])
        assert closed > 0.5, (emotion, f)
        assert ch["jawOpen"][f] < 0.15, (emotion, f)


def test_vowels_open_round_vowels_round_and_f_tucks_the_lower_lip():
    perf = spoken("sadness")  # no smile: the rounding is whole
    line = Segment(0.8, 3.0, "father saw two fish", perf.weights, 1.0, "test")
    words = {
        "father": (("F", "AA1", "DH", "ER0"),),
        "saw": (("S", "AO1"),),
        "two": (("T", "UW1"),),
        "fish": (("F", "IH1", "SH"),),
    }
    perf = replace(perf, segments=(line,), phones=text_phones((line,), words))
    ch = performance_curves(perf, arkit52(), options()).channels
    (aa,) = centre_frames(perf, "AA")
    (uw,) = centre_frames(perf, "UW")
    assert ch["jawOpen"][aa] > 0.4
    assert ch["mouthPucker"][uw] > 0.5 and ch["mouthFunnel"][uw] > 0.2
    for f in centre_frames(perf, "F"):
        assert ch["mouthRollLower"][f] > 0.5 and ch["jawOpen"][f] < 0.15
    happy = replace(perf, timeline=spoken().timeline)  # a smiling "two" is spoken less rounded
    smiling = performance_curves(happy, arkit52(), options()).channels
    assert 0.2 < smiling["mouthPucker"][uw] < 0.7 * ch["mouthPucker"][uw]


def test_speech_leaves_brows_lids_and_cheeks_alone():
    perf = spoken()
    talking = performance_curves(perf, arkit52(), options()).channels
    silent = performance_curves(perf, arkit52(), options(articulate=False)).channels
    mouth = [k for k in silent if k.startswith(("mouth", "jaw", "tongue"))]
    assert len(mouth) > 20
    for key in set(silent) - set(mouth):
        np.testing.assert_array_equal(talking[key], silent[key], err_msg=key)
    assert any(not np.array_equal(talking[k], silent[k]) for k in mouth)


def test_the_smile_is_scaled_by_the_documented_rule():
    perf = spoken()
    talking = performance_curves(perf, arkit52(), options()).channels
    silent = performance_curves(perf, arkit52(), options(articulate=False)).channels
    gain = SpeechMouthOptions().speaking_gain
    for f in centre_frames(perf, "P B M AE EY"):  # the mouth fully needed: need = 1
        assert silent["mouthSmileLeft"][f] > 0.3
        assert talking["mouthSmileLeft"][f] == pytest.approx(gain * silent["mouthSmileLeft"][f])
    after = round(3.2 * FPS)  # the line has ended: nothing needs the mouth
    assert silent["mouthSmileLeft"][after] > 0.3
    assert talking["mouthSmileLeft"][after] == pytest.approx(silent["mouthSmileLeft"][after])


def test_phones_replace_the_rhythm_and_spans_without_phones_keep_it():
    names = arkit52()
    with_phones = performance_curves(spoken(), names, options()).channels
    rhythm = performance_curves(spoken(phones=False), names, options()).channels
    silent = performance_curves(spoken(phones=False), names, options(False)).channels
    span = slice(round(0.9 * FPS), round(2.9 * FPS))
    assert not np.array_equal(rhythm["jawOpen"][span], silent["jawOpen"][span])  # rhythm plays
    assert not np.allclose(with_phones["jawOpen"][span], rhythm["jawOpen"][span], atol=0.05)
    # With phones, a bilabial shuts the jaw that the rhythm would have left open.
    assert all(with_phones["jawOpen"][f] < 0.15 for f in centre_frames(spoken(), "P B M"))


def test_articulate_off_means_no_speech_at_all():
    perf = spoken()
    off = performance_curves(perf, arkit52(), options(False)).channels
    no_words = performance_curves(
        replace(perf, phones=(), segments=(replace(perf.segments[0], text=""),)),
        arkit52(),
        options(),
    ).channels
    for key, values in off.items():
        np.testing.assert_array_equal(values, no_words[key], err_msg=key)


def test_a_vroid_head_speaks_with_its_vowel_keys():
    perf = spoken()
    curves = performance_curves(perf, VROID, options())
    ch = curves.channels
    silent = performance_curves(perf, VROID, options(False)).channels
    (ah,) = centre_frames(perf, "AH")  # "a"
    assert ch["Fcl_MTH_A"][ah] > 0.6
    (iy,) = centre_frames(perf, "IY")[:1]  # "me"
    assert ch["Fcl_MTH_I"][iy] > max(ch["Fcl_MTH_A"][iy], ch["Fcl_MTH_U"][iy])
    for f in centre_frames(perf, "P B M"):
        assert max(ch[k][f] for k in ("Fcl_MTH_A", "Fcl_MTH_E", "Fcl_MTH_O")) < 0.15
    for key in ("Fcl_ALL_Joy", "Fcl_ALL_Angry", "Fcl_EYE_Close_L"):  # whole-face keys keep it
        np.testing.assert_array_equal(ch[key], silent[key], err_msg=key)
    assert ch["Fcl_ALL_Joy"].max() > 0.3
    assert not any("Fcl_MTH_I" in w for w in curves.warnings)  # keyed now, not "left unkeyed"


def test_which_rigs_take_lipsync():
    assert rig_lipsync(arkit52()).family == "arkit"
    snake = ["jaw_open", "mouth_close", "mouth_smile_l", "brow_inner_up"]
    rig = rig_lipsync(snake)
    assert rig.family == "arkit" and rig.key_map["jawOpen"] == ("jaw_open",)
    assert "mouth_smile_l" in rig.mouth_keys and "brow_inner_up" not in rig.mouth_keys
    vroid = rig_lipsync(VROID)
    assert vroid.family == "vroid" and set(vroid.keys) == {k for k in VROID if "_MTH_" in k}
    both = rig_lipsync([*arkit52(), "Fcl_MTH_A"])  # perfect sync: the ARKit keys only
    assert both.family == "arkit" and "Fcl_MTH_A" not in both.keys
    assert set(both.key_map) == set(ARKIT_KEYS)
    assert rig_lipsync(["browInnerUp", "eyeBlinkLeft"]) is None


def test_a_rig_without_mouth_keys_keeps_the_rhythm():
    names = ["browInnerUp", "eyeBlinkLeft", "eyeBlinkRight", "cheekSquintLeft"]
    a = performance_curves(spoken(), names, options()).channels
    b = performance_curves(spoken(phones=False), names, options()).channels
    for key in names:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_text_phones_fill_each_spoken_segment():
    w = EmotionWeights.pure("happiness")
    lines = (
        Segment(0.0, 1.0, "", w, 1.0, "test"),
        Segment(1.0, 2.0, "Bob made me a map, baby.", w, 1.0, "test"),  # longer than 1 s: fitted
        Segment(2.0, 9.0, "me", w, 1.0, "test"),  # short: slowed at most MAX_STRETCH
        Segment(9.0, 10.0, "...!", w, 1.0, "test"),  # nothing to say
    )
    phones = text_phones(lines, WORDS)
    first = [p for p in phones if p.start < 2.0]
    assert first[0].start == pytest.approx(1.0) and first[-1].end == pytest.approx(2.0)
    second = [p for p in phones if p.start >= 2.0]
    natural = time_text("me", WORDS)[-1].end
    assert [p.symbol for p in second] == ["M", "IY"]
    assert second[-1].end - 2.0 == pytest.approx(natural * MAX_STRETCH)
    assert all(a.end <= b.start + 1e-9 for a, b in pairwise(phones))
    assert all(p.word in {"", *WORDS} for p in phones)


def test_a_phone_list_without_speech_changes_nothing():
    perf = replace(spoken(phones=False), phones=(Phone("SIL", 0.8, 3.0),))
    a = performance_curves(perf, arkit52(), options()).channels
    b = performance_curves(spoken(phones=False), arkit52(), options()).channels
    for key, values in b.items():
        np.testing.assert_array_equal(a[key], values, err_msg=key)


def test_the_unmapped_key_warning_still_names_the_users_own_key():
    for names in ([*arkit52(), "MyCorrective"], [*VROID, "MyCorrective"]):
        warnings = performance_curves(spoken(), names, options()).warnings
        unmapped = [w for w in warnings if "not mapped and left unkeyed" in w]
        assert len(unmapped) == 1 and "'MyCorrective'" in unmapped[0], warnings
        assert "Fcl_MTH" not in unmapped[0]


def test_a_profiles_offset_and_clamp_apply_once_to_the_merged_mouth():
    from facial_affect_addon.core.rigs import builtin_profile

    profile = replace(
        builtin_profile("arkit52"),
        key_offsets=(("jawOpen", 0.1),),
        key_clamps=(("mouthClose", (0.0, 0.3)),),
    )
    perf = spoken()
    ch = performance_curves(perf, arkit52(), options(), profile=profile).channels
    plain = performance_curves(perf, arkit52(), options()).channels
    assert ch["jawOpen"][0] == pytest.approx(0.1) and ch["jawOpen"].min() == pytest.approx(0.1)
    np.testing.assert_allclose(ch["jawOpen"], np.clip(plain["jawOpen"] + 0.1, 0, 1))
    assert ch["mouthClose"].max() == pytest.approx(0.3)
    assert plain["mouthClose"].max() > 0.5
