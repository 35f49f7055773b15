"""The live preview drives whole-face keys, offsets and clamps exactly as the bake does.

Both go through :func:`facial_affect_addon.core.any_rig.rig_drive`; a held emotion's plateau in
the preview equals the bake's apex for every key of a VRoid-style rig, emotion by emotion.
"""

from __future__ import annotations

import numpy as np
import pytest

from facial_affect_addon.core.any_rig import rig_drive, synthesize_any
from facial_affect_addon.core.emotions import EMOTION_NAMES, EmotionWeights
from facial_affect_addon.core.errors import RigError
from facial_affect_addon.core.live import LivePreview
from facial_affect_addon.core.rig_mapping import suggest_profile
from facial_affect_addon.core.rig_profile import RigProfile
from facial_affect_addon.core.synthesis import single_event_timeline
from facial_affect_addon.core.synthesis_options import SynthesisOptions
from facial_affect_addon.core.timeline import AffectStateMachine

VROID = ["Basis", "Fcl_ALL_Joy", "Fcl_ALL_Angry", "Fcl_ALL_Sorrow", "Fcl_ALL_Surprised"]
VROID += ["Fcl_EYE_Close_L", "Fcl_EYE_Close_R", "MyCorrective"]


def _live_plateau(names, emotion: str, profile=None) -> dict[str, float]:
    live = LivePreview(names, profile=profile, life=False)
    live.set_emotion(EmotionWeights.pure(emotion))
    for _ in range(90):  # 3 s: long past the rise
        values = live.tick(1 / 30)
    return values


def _bake_apex(names, emotion: str, profile=None) -> dict[str, float]:
    timeline = single_event_timeline(EmotionWeights.pure(emotion), 4.0)
    curves = synthesize_any(timeline, names, SynthesisOptions(fps=30), profile)
    return {k: float(v.max()) for k, v in curves.channels.items()}


@pytest.mark.parametrize("emotion", [e for e in EMOTION_NAMES if e != "neutral"])
def test_live_whole_face_keys_reach_the_bakes_apex(emotion):
    live, baked = _live_plateau(VROID, emotion), _bake_apex(VROID, emotion)
    whole_face = [k for k in VROID if k.startswith("Fcl_ALL")]
    assert set(whole_face) <= set(live) and set(whole_face) <= set(baked)
    for key in whole_face:
        assert live[key] == pytest.approx(baked[key], abs=1e-6), key
    assert "MyCorrective" not in live  # a key no family knows is never written


def test_fear_shows_on_the_surprise_and_sorrow_keys_live():
    live = _live_plateau(VROID, "fear")
    assert live["Fcl_ALL_Surprised"] == pytest.approx(0.6)
    assert live["Fcl_ALL_Sorrow"] == pytest.approx(0.4)
    assert live["Fcl_ALL_Joy"] == 0.0


def test_live_applies_the_profiles_gain_offset_and_clamp_like_the_bake():
    profile, _ = suggest_profile(VROID, name="vroid")
    doc = profile.to_dict()
    edited = RigProfile.from_mapping(
        "vroid",
        doc["keys"],
        emotion_keys=doc["emotion_keys"],
        key_gains={"Fcl_ALL_Sorrow": 0.5},
        key_offsets={"Fcl_ALL_Angry": 0.1},
        key_clamps={"Fcl_ALL_Joy": [0.0, 0.45]},
    )
    names = [n for n in VROID if n != "MyCorrective"]
    happy = _live_plateau(names, "happiness", edited)
    assert happy["Fcl_ALL_Joy"] == pytest.approx(0.45)
    assert happy["Fcl_ALL_Angry"] == pytest.approx(0.1)
    sad, baked = _live_plateau(names, "sadness", edited), _bake_apex(names, "sadness", edited)
    assert sad["Fcl_ALL_Sorrow"] == pytest.approx(0.5) == baked["Fcl_ALL_Sorrow"]
    live = LivePreview(names, profile=edited, life=False)
    assert set(live.keys) == set(names) - {"Basis"}


def test_an_expression_only_rig_previews_and_a_profile_for_another_head_is_refused():
    live = _live_plateau(["Basis", "happy", "sad"], "happiness")
    assert live == {"happy": pytest.approx(1.0), "sad": 0.0}
    other = RigProfile.from_mapping("x", {}, emotion_keys={"Ghost": {"happiness": 1.0}})
    with pytest.raises(RigError, match="'Ghost'"):
        LivePreview(["Basis", "happy"], profile=other)
    with pytest.raises(RigError, match="'Ghost'"):
        rig_drive(["Basis", "happy"], other)


def test_the_state_machines_emotion_levels_follow_the_au_timing():
    sm = AffectStateMachine(emotion_gains=np.full(7, 0.5))
    sm.set_target(EmotionWeights.pure("happiness"), 1.0, duration=0.5)
    joy = EMOTION_NAMES.index("happiness")
    levels = [sm.tick(0.05) is not None and float(sm.emotions[joy]) for _ in range(60)]
    assert max(levels) == pytest.approx(0.5)  # weight 1 x full intensity x gain 0.5
    assert levels[-1] == 0.0 and sm.state == "rest"  # released after its duration, with the AUs


def test_whole_face_keys_show_a_mixtures_component_as_the_au_blend_does():
    from facial_affect_addon.core.facs import blend_prototypes
    from facial_affect_addon.core.timeline import emotion_levels

    mixture = EmotionWeights.from_mapping({"happiness": 0.5, "surprise": 0.5})
    levels = emotion_levels(mixture.as_array()[None], np.ones(1))[0]
    joy = levels[EMOTION_NAMES.index("happiness")]
    assert joy == pytest.approx(0.75)  # happiness felt at 0.5, not half way
    assert joy == pytest.approx(blend_prototypes(mixture)["AU12_L"])  # the smile's AU agrees
