"""No baked face drives two shape keys that undo each other (issue 11).

Every single emotion and every compound preset is synthesised through the real pipeline
(``pipeline.curves.emotion_curves`` → ``core.synthesis.synthesize``) with life on (blinks,
asymmetry) and several seeds, on the ARKit, MetaHuman-style and FACS rigs, and each antagonist
pair of the rig's profile must never be driven above the limit on both keys in one frame.
"""

from __future__ import annotations

import numpy as np
import pytest

from facial_affect_addon.core.antagonists import (
    ANTAGONIST_LIMIT,
    SMOOTHING,
    KeyAntagonist,
    close_lids,
    resolve_antagonists,
)
from facial_affect_addon.core.emotions import COMPOUND_PRESETS, EMOTION_NAMES, EmotionWeights
from facial_affect_addon.core.facs import AU_CHANNELS, CHANNEL_INDEX
from facial_affect_addon.core.micro import MicroOptions
from facial_affect_addon.core.rig_tables import ARKIT_52
from facial_affect_addon.core.rigs import BUILTIN_PROFILES, match_profile
from facial_affect_addon.pipeline.curves import emotion_curves
from facial_affect_addon.pipeline.options import PerformanceOptions, SynthesisOptions

FACES = {e: EmotionWeights.pure(e) for e in EMOTION_NAMES[1:]} | {
    str(p): EmotionWeights.compound(p) for p in COMPOUND_PRESETS
}
RIGS = {
    "arkit52": ["Basis", *ARKIT_52],
    "metahuman": list(BUILTIN_PROFILES["metahuman"].keys),
    "facs": list(BUILTIN_PROFILES["facs"].keys),
}
SEEDS = (0, 1, 7)


def _curves(weights, names, seed, *, intensity=1.0, micro=False, seconds=8.0):
    synth = SynthesisOptions(
        fps=24.0, intensity=intensity, life=True, seed=seed, micro=micro, n_frames=int(24 * seconds)
    )
    return emotion_curves(weights, names, PerformanceOptions(synth)).channels


def _worst_overlap(channels, profile_name, names) -> tuple[float, str]:
    match = match_profile(BUILTIN_PROFILES[profile_name], names)
    worst, where = 0.0, ""
    for pair in match.antagonists:
        both = float(np.minimum(channels[pair.first], channels[pair.second]).max())
        if both > worst:
            worst, where = both, f"{pair.first} + {pair.second}"
    return worst, where


def test_the_tables_name_the_antagonists_and_leave_the_licensed_pairs_alone():
    pairs = {
        (p.first, p.second, p.first_overrides) for p in BUILTIN_PROFILES["arkit52"].antagonists
    }
    assert ("mouthSmileLeft", "mouthFrownLeft", False) in pairs
    assert ("eyeBlinkRight", "eyeWideRight", True) in pairs  # a blink overrides a wide eye
    assert ("browDownLeft", "browOuterUpLeft", False) in pairs
    flat = {frozenset(p[:2]) for p in pairs}
    assert frozenset({"browInnerUp", "browDownLeft"}) not in flat  # AU1+4: sad, fearful brow
    assert frozenset({"eyeWideLeft", "eyeSquintLeft"}) not in flat  # AU5+7: angry glare
    for profile in BUILTIN_PROFILES.values():
        assert profile.antagonists, profile.name
        keys = set(profile.keys)
        assert all({p.first, p.second} <= keys for p in profile.antagonists)


@pytest.mark.parametrize("rig", list(RIGS))
@pytest.mark.parametrize("face", list(FACES))
def test_no_frame_drives_an_antagonist_pair_with_blinks_on(rig, face):
    names = RIGS[rig]
    for seed in SEEDS:
        channels = _curves(FACES[face], names, seed)
        worst, where = _worst_overlap(channels, rig, names)
        assert worst <= ANTAGONIST_LIMIT + 1e-9, (seed, where, worst)


@pytest.mark.parametrize(
    "face", ["fear", "surprise", "anger", "fearfully_surprised", "bittersweet"]
)
def test_no_overlap_with_micro_expressions_and_a_weaker_face(face):
    names = RIGS["arkit52"]
    for seed in SEEDS:
        micro = MicroOptions(rate_per_minute=60.0)
        channels = _curves(FACES[face], names, seed, intensity=0.6, micro=micro)
        worst, where = _worst_overlap(channels, "arkit52", names)
        assert worst <= ANTAGONIST_LIMIT + 1e-9, (seed, where, worst)


@pytest.mark.parametrize("rig", ["arkit52", "metahuman"])
def test_a_blink_overrides_a_wide_eye(rig):
    blink, wide = (
        ("eyeBlinkLeft", "eyeWideLeft") if rig == "arkit52" else ("eyeBlinkL", "eyeWidenL")
    )
    checked = 0
    for seed in SEEDS:
        c = _curves(FACES["fear"], RIGS[rig], seed)
        b, w = c[blink], c[wide]
        rising = np.flatnonzero((np.diff(b) > 0.05) & (w[:-1] > 0.3))
        for f in rising:  # as the blink rises, the wide eye drops
            assert w[f + 1] < w[f], (seed, f)
            checked += 1
        assert w[b > ANTAGONIST_LIMIT].max(initial=0.0) < 1e-9
        assert w.max() > 0.9  # ... and between blinks the fearful eye is wide open
    assert checked > 0, "no blink landed on the held expression"


def test_fearful_brows_are_raised_and_drawn_together_on_arkit():
    # Fear's inner corners lead (AU1 with a moderate AU4, 4C): no outer raise for the lowered
    # brow to fight, so neither key is cut back to the antagonist limit.
    c = _curves(FACES["fear"], RIGS["arkit52"], 0)
    assert c["browInnerUp"].max() > 0.9
    for side in ("Left", "Right"):
        assert c[f"browDown{side}"].max() == pytest.approx(0.6, abs=0.02)
        assert c[f"browOuterUp{side}"].max() == 0.0


def test_bittersweet_smiles_with_raised_inner_brows_on_arkit():
    for seed in SEEDS:
        c = _curves(FACES["bittersweet"], RIGS["arkit52"], seed)
        for side in ("Left", "Right"):
            assert c[f"mouthSmile{side}"].max() > 0.4
            assert c[f"mouthFrown{side}"].max() == 0.0
        assert c["browInnerUp"].max() > 0.4


def test_symmetric_pairs_cancel_only_the_overlap_above_the_limit():
    values = {"a": np.array([1.0, 0.6, 0.15, 0.0]), "b": np.array([1.0, 0.3, 0.15, 0.9])}
    resolve_antagonists(values, [KeyAntagonist("a", "b")])
    # The hard rule gives a [0.2, 0.5, 0.15, 0] and b [0.2, 0.2, 0.15, 0.9]; its rounded min and
    # max (C1) cancel at most SMOOTHING more, never less.
    assert values["a"] == pytest.approx([0.2, 0.5, 0.15, 0.0], abs=SMOOTHING)
    assert values["b"] == pytest.approx([0.2, 0.2, 0.15, 0.9], abs=SMOOTHING)
    assert values["a"][2:] == pytest.approx([0.15, 0.0]) and values["b"][2:] == pytest.approx(
        [0.15, 0.9]
    )  # far from the limit nothing changes
    assert np.all(np.minimum(values["a"], values["b"]) <= ANTAGONIST_LIMIT + 1e-12)


def test_symmetric_rule_is_c1_through_a_cross_fade():
    t = np.linspace(0.0, 1.0, 2001)
    values = {"smile": 0.9 * (1.0 - t), "frown": 0.9 * t}
    resolve_antagonists(values, [KeyAntagonist("smile", "frown")])
    for v in values.values():
        slope = np.diff(v) / np.diff(t)
        assert np.abs(np.diff(slope)).max() < 0.05  # no jump in slope between samples
    assert np.minimum(values["smile"], values["frown"]).max() <= ANTAGONIST_LIMIT + 1e-12


def test_override_pairs_release_the_second_key_as_the_first_rises():
    values = {"blink": np.array([0.0, 0.05, 0.1, 0.2, 1.0]), "wide": np.ones(5)}
    resolve_antagonists(values, [KeyAntagonist("blink", "wide", first_overrides=True)])
    assert values["wide"][0] == 1.0 and values["wide"][-2:] == pytest.approx([0.0, 0.0])
    assert np.all(np.diff(values["wide"]) <= 0)
    values = {"blink": np.ones(2)}
    resolve_antagonists(values, [KeyAntagonist("blink", "wide", first_overrides=True)])
    assert list(values) == ["blink"]  # a key the rig lacks is skipped


def test_close_lids_releases_the_raised_lid_on_the_blinking_side_only():
    au = np.zeros((2, len(AU_CHANNELS)))
    au[:, CHANNEL_INDEX["AU5_L"]] = au[:, CHANNEL_INDEX["AU5_R"]] = 1.0
    au[1, CHANNEL_INDEX["AU45_L"]] = 0.5
    close_lids(au)
    assert au[0, CHANNEL_INDEX["AU5_L"]] == 1.0
    assert au[1, CHANNEL_INDEX["AU5_L"]] == 0.0 and au[1, CHANNEL_INDEX["AU5_R"]] == 1.0
