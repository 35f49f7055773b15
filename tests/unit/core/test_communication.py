"""core.communication: each term of the heuristic score behaves as documented."""

from __future__ import annotations

import numpy as np
import pytest

from facial_affect_addon.core import communication as c
from facial_affect_addon.core.errors import InputError


def test_terms() -> None:
    assert c.onset_term(0.0) == 0.0 and c.onset_term(c.ONSET_S / 2) == 0.5
    assert c.onset_term(3.0) == 1.0
    assert c.hold_term(c.HOLD_MIN_S / 4) == pytest.approx(0.25) and c.hold_term(1.0) == 1.0
    assert c.hold_term(2 * c.HOLD_MAX_S) == pytest.approx(0.5)
    au = np.zeros((100, 3))
    au[:, 1] = np.linspace(0.0, 0.8, 100)
    assert c.intensity_term(au) == pytest.approx(np.percentile(au[:, 1], 95))
    w = np.zeros((4, 7))
    w[:, 1], w[:2, 2] = 1.0, 1.0  # two frames split half/half, two clear
    assert c.clarity(w) == pytest.approx(0.75)


def test_score_is_the_product_and_labelled() -> None:
    au = np.full((10, 2), 0.5)
    w = np.eye(7)[[1] * 10]
    s = c.communication_score(au_values=au, emotion_weights=w, rise_s=0.1, hold_s=1.0)
    assert s.legibility_source.startswith("emotion clarity") and s.legibility == 1.0
    assert s.score == pytest.approx(1.0 * 0.5 * (0.1 / c.ONSET_S) * 1.0)
    assert s.label == "heuristic, not learned"
    judged = c.communication_score(
        au_values=au, emotion_weights=w, rise_s=0.1, hold_s=1.0, legibility=0.5
    )
    assert (
        judged.score == pytest.approx(s.score / 2) and judged.legibility_source == "judged frames"
    )
    with pytest.raises(InputError):
        c.communication_score(au_values=au, emotion_weights=w, rise_s=0, hold_s=0, legibility=2)
