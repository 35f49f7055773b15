"""Named compound-emotion presets (extension of core/emotions.py)."""

from __future__ import annotations

import pytest

from facial_affect_addon.core.emotions import COMPOUND_PRESETS, EmotionWeights


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
