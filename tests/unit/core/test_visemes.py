"""core.visemes: viseme targets and Cohen & Massaro coarticulation (issue 17)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from facial_affect_addon.core.errors import InputError
from facial_affect_addon.core.phonemes import PHONES, Phone, TimingOptions, time_text
from facial_affect_addon.core.visemes import (
    ARKIT_TARGETS,
    VISEMES,
    VROID_KEYS,
    VROID_TARGETS,
    CoarticulationOptions,
    coarticulate,
    viseme_curves,
    viseme_of,
)

# A pronouncing dictionary small enough to read: the sentences below use only these words.
DICT = {
    "bob": (("B", "AA1", "B"),),
    "please": (("P", "L", "IY1", "Z"),),
    "pass": (("P", "AE1", "S"),),
    "the": (("DH", "AH0"),),
    "map": (("M", "AE1", "P"),),
    "i": (("AY1",),),
    "am": (("AE1", "M"),),
    "baby": (("B", "EY1", "B", "IY0"),),
    "pam": (("P", "AE1", "M"),),
    "maybe": (("M", "EY1", "B", "IY0"),),
    "papa": (("P", "AA1", "P", "AH0"),),
    "or": (("AO1", "R"),),
    "mama": (("M", "AA1", "M", "AH0"),),
    "five": (("F", "AY1", "V"),),
    "vivid": (("V", "IH1", "V", "IH0", "D"),),
    "soon": (("S", "UW1", "N"),),
    "seen": (("S", "IY1", "N"),),
    "go": (("G", "OW1"),),
}
SENTENCES = ("Bob, please pass the map.", "I am baby Pam, maybe.", "Papa or mama, bob!")


def _at(curves: dict[str, np.ndarray], t: float, fps: float) -> dict[str, float]:
    i = round(t * fps)
    return {k: float(v[i]) for k, v in curves.items()}


def test_every_phone_has_a_viseme_with_both_targets() -> None:
    assert len(VISEMES) == 15
    for phone in PHONES:
        v = viseme_of(phone)
        assert v in ARKIT_TARGETS and v in VROID_TARGETS
    assert viseme_of("AA1") == "aa"
    with pytest.raises(InputError, match="Unknown phone 'QQ'"):
        viseme_of("QQ")


@pytest.mark.parametrize("fps", [24.0, 30.0])
@pytest.mark.parametrize("rate", [4.0, 5.0, 6.0])
def test_bilabials_close_the_lips(fps: float, rate: float) -> None:
    count = 0
    for text in SENTENCES:
        phones = time_text(text, DICT, TimingOptions(syllables_per_second=rate))
        curves = viseme_curves(phones, fps)
        for p in phones:
            if p.symbol in {"P", "B", "M"}:
                k = _at(curves, p.centre, fps)
                assert max(k["mouthClose"], k["mouthPressLeft"]) >= 0.5, (text, p)
                assert k["jawOpen"] <= 0.15, (text, p)
                count += 1
    assert count == 19


def test_labiodentals_tuck_the_lower_lip() -> None:
    phones = time_text("five vivid", DICT)
    centres = np.array([p.centre for p in phones])
    curves = coarticulate(phones, centres)
    roll = curves["mouthRollLower"]
    for i, p in enumerate(phones):
        if p.symbol in {"F", "V"}:
            assert roll[i] >= 0.5, p
        elif p.symbol in {"AY", "IH"}:
            assert roll[i] < 0.3, p


def test_rounded_vowels_round_and_spread_vowels_do_not() -> None:
    phones = time_text("soon go seen", DICT)
    centres = np.array([p.centre for p in phones])
    c = coarticulate(phones, centres)
    by = {(p.word, p.symbol): i for i, p in enumerate(phones)}
    assert c["mouthPucker"][by["soon", "UW"]] >= 0.6
    assert c["mouthFunnel"][by["go", "OW"]] >= 0.45
    iy = by["seen", "IY"]
    assert c["mouthFunnel"][iy] < 0.1 and c["mouthPucker"][iy] < 0.1
    assert c["mouthStretchLeft"][iy] >= 0.3
    # Anticipatory rounding: the /s/ of "soon" is rounded by its vowel, the /s/ of "seen" is not.
    assert c["mouthPucker"][by["soon", "S"]] > 0.25
    assert c["mouthPucker"][by["seen", "S"]] < 0.1


def test_dominance_looks_ahead_further_than_it_carries_over() -> None:
    phone = (Phone("UW", 1.0, 1.2, 1, "oo"),)
    c = coarticulate(phone, np.array([1.05, 1.15, 1.5]))
    before, after = 1.1 - 1.05, 1.15 - 1.1
    assert before == pytest.approx(after)
    assert c["mouthPucker"][0] > c["mouthPucker"][1] > 0.3
    # With the paper's form the ratio of weights follows exp(-θ|τ|); checked at 0.4 s after.
    opt = CoarticulationOptions()
    w = 0.6 * math.exp(-opt.carryover_rate * 0.4)
    assert c["mouthPucker"][2] == pytest.approx(0.8 * w / (w + opt.rest_dominance))


def test_mouth_rests_away_from_speech() -> None:
    phones = time_text("Bob, map.", DICT, TimingOptions(lead_in=1.0))
    curves = viseme_curves(phones, 24.0, tail=1.0)
    n = len(next(iter(curves.values())))
    assert n == math.ceil((phones[-1].end + 1.0) * 24.0) + 1
    for values in curves.values():
        assert values[0] < 0.01 and values[-1] < 0.01
        assert values.min() >= 0.0 and values.max() <= 1.0


def test_curves_are_smooth_at_60fps() -> None:
    curves = viseme_curves(time_text("Papa or mama, bob!", DICT), 60.0)
    jumps = max(np.abs(np.diff(v)).max() for v in curves.values())
    assert jumps < 0.25


def test_vroid_targets() -> None:
    phones = time_text("mama go", DICT)
    centres = np.array([p.centre for p in phones])
    c = coarticulate(phones, centres, VROID_TARGETS)
    assert set(c) == set(VROID_KEYS)
    i_aa = next(i for i, p in enumerate(phones) if p.symbol == "AA")
    i_m = next(i for i, p in enumerate(phones) if p.symbol == "M")
    i_ow = next(i for i, p in enumerate(phones) if p.symbol == "OW")
    assert c["Fcl_MTH_A"][i_aa] >= 0.7
    assert c["Fcl_MTH_O"][i_ow] >= 0.6 and c["Fcl_MTH_A"][i_ow] < 0.1
    assert max(c[k][i_m] for k in VROID_KEYS) <= 0.15  # closed lips: every vowel shape near 0


def test_bad_input() -> None:
    with pytest.raises(InputError, match="fps"):
        viseme_curves(time_text("bob", DICT), 0.0)
    with pytest.raises(InputError, match="end at or after"):
        coarticulate((Phone("B", 1.0, 0.5),), np.array([0.0]))
    empty = coarticulate((), np.linspace(0, 1, 5))
    assert all(np.all(v == 0) for v in empty.values())
