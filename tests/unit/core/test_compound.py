"""Named compound-emotion presets (extension of core/emotions.py)."""

from __future__ import annotations

import pytest

from facial_affect_addon.core.emotions import (
    COMPOUND_PRESETS,
    CompoundEmotion,
    Emotion,
    EmotionWeights,
    expand_mixture,
)
from facial_affect_addon.core.errors import InputError


def test_happily_surprised_is_the_documented_mixture():
    w = EmotionWeights.compound("Happily Surprised")
    assert w["happiness"] == pytest.approx(0.6) and w["surprise"] == pytest.approx(0.4)
    assert EmotionWeights.compound("happily-surprised") == w


@pytest.mark.parametrize("name", list(COMPOUND_PRESETS))
def test_every_preset_is_a_valid_mixture_of_two_or_more(name):
    w = EmotionWeights.compound(name)
    assert sum(w.values) == pytest.approx(1.0)
    assert sum(v > 0 for v in w.values) >= 2
    assert w["neutral"] == 0.0


def test_typed_names_work_like_strings():
    assert EmotionWeights.pure(Emotion.FEAR) == EmotionWeights.pure("fear")
    assert EmotionWeights.compound(CompoundEmotion.AWED) == EmotionWeights.compound("awed")
    assert CompoundEmotion.HAPPILY_SURPRISED.label == "Happily surprised"
    assert set(COMPOUND_PRESETS) == set(CompoundEmotion)


def test_expand_mixture_spreads_a_preset_over_its_emotions():
    got = expand_mixture([("bittersweet", 2.0), ("happy", 1.0), (Emotion.ANGER, 0.5)])
    assert got == pytest.approx({"happiness": 2.0, "sadness": 1.0, "anger": 0.5})
    with pytest.raises(InputError, match="Unknown emotion or preset"):
        expand_mixture([("glee", 1.0)])
    with pytest.raises(InputError, match="finite number"):
        expand_mixture([("fear", -1.0)])
