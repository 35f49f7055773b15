"""AU catalogue, the cited prototype table, and compound blending with antagonists."""

from __future__ import annotations

import numpy as np
import pytest

from facial_affect_addon.core import facs
from facial_affect_addon.core.emotions import EMOTION_NAMES, EmotionWeights
from facial_affect_addon.core.errors import InputError

# Transcribed by hand from the cited source (Wikipedia, "Facial Action Coding System",
# section "Emotions": EMFACS-7 prototypes of Friesen & Ekman 1983).
CITED_TABLE = {
    "happiness": "6+12",
    "sadness": "1+4+15",
    "surprise": "1+2+5B+26",
    "fear": "1+2+4+5+7+20+26",
    "anger": "4+5+7+23",
    "disgust": "9+15+16",
    "contempt": "R12A+R14A",
}
REQUIRED_AUS = [1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 16, 17, 20, 23, 24, 25, 26, 27, 28, 43, 45]


def test_catalogue_has_required_aus_with_names_and_regions():
    for n in REQUIRED_AUS:
        au = facs.AU_CATALOGUE[f"AU{n}"]
        assert au.number == n and au.name
        assert au.region in facs.REGIONS
    assert facs.AU_CATALOGUE["AU12"].name == "Lip Corner Puller"
    assert facs.AU_CATALOGUE["AU26"].region == "jaw"
    assert facs.AU_CATALOGUE["AU1"].region == "brows"


def test_sided_aus_get_left_and_right_channels():
    assert {"AU12_L", "AU12_R", "AU45_L", "AU45_R", "AU26"} <= set(facs.AU_CHANNELS)
    assert "AU26_L" not in facs.AU_CHANNELS
    assert len(set(facs.AU_CHANNELS)) == len(facs.AU_CHANNELS)


def test_prototype_source_is_the_cited_table():
    assert {k: v for k, v in facs.PROTOTYPE_SOURCE.items() if v} == CITED_TABLE
    assert facs.PROTOTYPE_SOURCE["neutral"] == ""


# Cited AUs the animated faces leave out, each explained in facs.EXPRESSION_SOURCE's docstring.
DROPPED_FROM_THE_TABLE = {"fear": {"AU2", "AU7", "AU26"}, "anger": {"AU23"}, "disgust": {"AU16"}}


def _aus(formula: str) -> set[str]:
    return {f"AU{int(''.join(ch for ch in code if ch.isdigit()))}" for code in formula.split("+")}


@pytest.mark.parametrize("emotion", list(CITED_TABLE))
def test_animated_faces_keep_the_cited_aus_except_the_documented_ones(emotion):
    got = {ch.split("_")[0] for ch in facs.PROTOTYPES[emotion]}
    assert got == _aus(facs.EXPRESSION_SOURCE[emotion])
    dropped = DROPPED_FROM_THE_TABLE.get(emotion, set())
    assert _aus(CITED_TABLE[emotion]) - dropped <= got
    assert not dropped & got


def test_prototype_intensities_follow_the_letters():
    # Unlettered AUs are full-blown (E = 1.0), lettered ones follow A=0.2 ... E=1.0.
    assert facs.parse_prototype(facs.PROTOTYPE_SOURCE["surprise"]) == {
        "AU1_L": 1.0, "AU1_R": 1.0, "AU2_L": 1.0, "AU2_R": 1.0,
        "AU5_L": 0.4, "AU5_R": 0.4, "AU26": 1.0,
    }  # fmt: skip
    # The animated surprise opens the eye fully (sclera above the iris) and rounds the jaw drop.
    assert facs.PROTOTYPES["surprise"] == {
        "AU1_L": 1.0, "AU1_R": 1.0, "AU2_L": 1.0, "AU2_R": 1.0,
        "AU5_L": 1.0, "AU5_R": 1.0, "AU22": 0.8, "AU26": 1.0, "AU27": 0.2,
    }  # fmt: skip
    # Contempt is unilateral (R) and at trace intensity (A).
    assert facs.PROTOTYPES["contempt"] == {"AU12_R": 0.2, "AU14_R": 0.2}
    assert facs.PROTOTYPES["neutral"] == {}


def test_parse_au_spellings():
    assert facs.parse_au("AU01_L")[1] == "L"
    assert facs.parse_au("au12 right") == (facs.AU_CATALOGUE["AU12"], "R")
    assert facs.parse_au("AU26")[1] is None
    assert facs.expand_au("AU12", 1.0) == [("AU12_L", 0.5), ("AU12_R", 0.5)]


def test_side_on_midline_au_is_rejected():
    with pytest.raises(InputError, match="no left/right"):
        facs.parse_au("AU26_L")


def test_pure_emotion_blend_is_its_prototype():
    for emotion in EMOTION_NAMES:
        got = facs.blend_prototypes(EmotionWeights.pure(emotion))
        assert got == pytest.approx(facs.PROTOTYPES[emotion])


def _blend(**weights) -> dict[str, float]:
    return facs.blend_prototypes(EmotionWeights.from_mapping(weights))


def _felt(share: float) -> float:
    """A share read as a felt intensity (facs.felt_shares): 1 - (1 - w)^2."""
    return 1.0 - (1.0 - share) ** 2


def test_a_share_shows_as_that_emotion_felt_at_the_share():
    assert _felt(0.5) == pytest.approx(0.75) and _felt(1.0) == 1.0
    got = _blend(happiness=0.5, neutral=0.5)
    assert got["AU12_L"] == pytest.approx(0.75)  # not half way: happiness felt at 0.5
    shares = facs.felt_shares(np.array([[0.0, 0.1, 0.2, 0.5, 0.9, 1.0, 0.0]]))
    assert shares[0] == pytest.approx([0.0, 0.19, 0.36, 0.75, 0.99, 1.0, 0.0])


def test_a_leading_smile_keeps_its_whole_share_and_cancels_the_frown():
    got = _blend(happiness=0.6, sadness=0.4)  # felt 0.84 and 0.64
    assert got["AU12_L"] == pytest.approx(_felt(0.6)) and "AU15_L" not in got
    assert got["AU6_L"] == pytest.approx(_felt(0.6))
    # Sadness keeps its inner brow raise; a smile stronger than sadness takes its brow lowerer
    # and lid droop (facs._yield_to_smile).
    assert got["AU1_L"] == pytest.approx(_felt(0.4))
    assert "AU4_L" not in got and "AU43_L" not in got


def test_bittersweet_tie_smiles_with_raised_inner_brows():
    got = facs.blend_prototypes(EmotionWeights.compound("bittersweet"))
    assert got["AU12_L"] == got["AU12_R"] == pytest.approx(0.75)  # the smile wins the tie
    assert "AU15_L" not in got and "AU15_R" not in got  # ... and no frown on the same corner
    assert got["AU1_L"] == got["AU1_R"] == pytest.approx(0.75)  # sadness's inner brows stay
    for gone in ("AU4_L", "AU4_R", "AU43_L", "AU43_R"):  # ... and are not pulled back down
        assert gone not in got


def test_the_smile_fades_while_the_frown_is_up_to_twice_as_strong_then_the_frown_shows():
    # Felt 0.64 and 0.84, s_o / s_p = 1.31: the smile keeps (2 - 1.31) of its share, no frown.
    got = _blend(happiness=0.4, sadness=0.6)
    smile = _felt(0.4) * (2 * _felt(0.4) - _felt(0.6)) / _felt(0.4)
    assert got["AU12_L"] == pytest.approx(smile) and "AU15_L" not in got
    # The weaker smile takes only part of the sad brow lowerer: 1 - smile / sadness's share.
    assert got["AU4_L"] == pytest.approx(_felt(0.6) * 0.6 * (1 - smile / _felt(0.6)))
    # Felt 0.36 and 0.96, s_o / s_p = 2.67: no smile; the frown keeps its net force, and the
    # sad brow is whole again.
    got = _blend(happiness=0.2, sadness=0.8)
    s_p, s_o = _felt(0.2), _felt(0.8)
    assert "AU12_L" not in got and got["AU15_L"] == pytest.approx(s_o - 2 * s_p)
    assert got["AU4_L"] == pytest.approx(s_o * 0.6) and got["AU43_L"] == pytest.approx(s_o * 0.6)


def test_brow_antagonism_between_surprise_and_anger():
    got = _blend(anger=0.6, surprise=0.4)
    assert got["AU4_L"] == pytest.approx(_felt(0.6))  # lowered brows have priority (4+25+26)
    assert "AU1_L" not in got and "AU2_L" not in got
    assert got["AU26"] == pytest.approx(_felt(0.4) + _felt(0.6) * 0.4)  # the jaw: not contested
    got = _blend(anger=0.2, surprise=0.8)
    s_p, s_o = _felt(0.2), _felt(0.8)
    assert "AU4_L" not in got and got["AU1_L"] == pytest.approx(s_o - 2 * s_p)


def test_fear_keeps_its_own_brow_coactivation():
    got = facs.blend_prototypes(EmotionWeights.pure("fear"))
    assert got["AU1_L"] == pytest.approx(1.0) and got["AU4_L"] == pytest.approx(0.6)


def test_contested_features_are_never_both_driven():
    rng = np.random.default_rng(3)
    rows = rng.dirichlet(np.ones(7), size=2000)
    out = facs.blend_matrix(rows)
    for left, right in (("AU12_L", "AU15_L"), ("AU12_R", "AU15_R")):
        both = np.minimum(out[:, facs.CHANNEL_INDEX[left]], out[:, facs.CHANNEL_INDEX[right]])
        assert both.max() == 0.0


def test_blend_is_continuous_in_the_weights():
    ws = np.linspace(0, 1, 201)
    rows = np.zeros((len(ws), 7))
    rows[:, EMOTION_NAMES.index("happiness")] = ws
    rows[:, EMOTION_NAMES.index("sadness")] = 1 - ws
    out = facs.blend_matrix(rows)
    assert np.abs(np.diff(out, axis=0)).max() < 0.02


def test_amplitude_and_intensity_scale_the_blend():
    got = facs.blend_prototypes(
        EmotionWeights.pure("fear"), amplitudes={"fear": 0.5}, intensity=0.5
    )
    assert got["AU20_L"] == pytest.approx(1.0 * 0.5 * 0.5)
    with pytest.raises(InputError):
        facs.blend_prototypes(EmotionWeights.pure("fear"), intensity=1.5)


def test_a_raised_lid_outweighs_the_sad_droop_in_a_compound():
    assert facs.PROTOTYPES["sadness"]["AU43_L"] == pytest.approx(0.6)  # sadness's drooping lid
    got = _blend(sadness=0.5, surprise=0.5)
    assert got["AU5_L"] == pytest.approx(0.75) and "AU43_L" not in got  # the stare wins the tie
    got = _blend(sadness=0.9, fear=0.1)  # s_o / s_p = 3.1: the droop keeps its net force
    s_p, s_o = _felt(0.1), _felt(0.9) * 0.6
    assert "AU5_L" not in got and got["AU43_L"] == pytest.approx(s_o - 2 * s_p)
