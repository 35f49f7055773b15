"""Confidence-weighted fusion of face and text emotion evidence."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facial_affect_addon.core.emotions import EMOTION_NAMES, EmotionWeights
from facial_affect_addon.core.errors import InputError
from facial_affect_addon.core.fusion import Evidence, FusedEmotion, fuse, fuse_face_text


def ev(confidence: float, source: str = "s", **weights: float) -> Evidence:
    return Evidence(EmotionWeights.from_mapping(weights), confidence, source)


def test_single_source_passes_through() -> None:
    face = ev(0.7, "face", happiness=0.6, surprise=0.4)
    for method in ("geometric", "linear"):
        fused = fuse([face], method=method)
        assert isinstance(fused, FusedEmotion)
        assert fused.weights == face.weights and fused.confidence == 0.7
        assert fused.shares == (("face", 1.0),)


def test_zero_confidence_source_is_ignored() -> None:
    face = ev(0.8, "face", happiness=0.6, surprise=0.4)
    text = ev(0.0, "text", anger=1.0)
    fused = fuse([face, text])
    assert fused.weights == face.weights
    assert dict(fused.shares) == {"face": 1.0, "text": 0.0}


def test_linear_is_the_confidence_weighted_mean() -> None:
    face = ev(0.6, "face", happiness=1.0)
    text = ev(0.2, "text", sadness=1.0)
    fused = fuse([face, text], method="linear")
    assert fused.weights["happiness"] == pytest.approx(0.75)
    assert fused.weights["sadness"] == pytest.approx(0.25)
    assert dict(fused.shares) == pytest.approx({"face": 0.75, "text": 0.25})


def test_geometric_matches_the_documented_formula() -> None:
    p1 = np.array([0.1, 0.5, 0.0, 0.0, 0.4, 0.0, 0.0])
    p2 = np.array([0.0, 0.1, 0.0, 0.0, 0.7, 0.2, 0.0])
    c1, c2, floor = 0.9, 0.3, 0.02
    fused = fuse(
        [Evidence(EmotionWeights.from_array(p1), c1), Evidence(EmotionWeights.from_array(p2), c2)],
        floor=floor,
    )
    w1, w2 = c1 / (c1 + c2), c2 / (c1 + c2)
    k = len(EMOTION_NAMES)
    q = ((1 - floor) * p1 + floor / k) ** w1 * ((1 - floor) * p2 + floor / k) ** w2
    assert fused.weights.as_array() == pytest.approx(q / q.sum())


def test_agreement_is_emphasised_more_than_by_averaging() -> None:
    face = ev(0.5, "face", happiness=0.5, surprise=0.5)
    text = ev(0.5, "text", surprise=0.8, fear=0.2)
    geometric = fuse([face, text]).weights
    linear = fuse([face, text], method="linear").weights
    assert geometric.dominant() == "surprise"
    assert geometric["surprise"] > linear["surprise"]


def test_more_confident_source_dominates() -> None:
    face = ev(0.9, "face", happiness=1.0)
    text = ev(0.1, "text", sadness=1.0)
    assert fuse([face, text]).weights.dominant() == "happiness"
    assert fuse([ev(0.1, "f", happiness=1.0), ev(0.9, "t", sadness=1.0)]).weights.dominant() == (
        "sadness"
    )


def test_hard_zero_does_not_veto() -> None:
    fused = fuse([ev(0.5, "a", anger=1.0), ev(0.5, "b", fear=1.0)])
    assert fused.weights["anger"] == pytest.approx(fused.weights["fear"])
    assert fused.weights["anger"] > 0.3
    assert np.all(np.isfinite(fused.weights.as_array()))


def test_disagreement_lowers_confidence() -> None:
    agree = fuse([ev(0.8, "a", anger=1.0), ev(0.8, "b", anger=0.9, disgust=0.1)])
    disagree = fuse([ev(0.8, "a", anger=1.0), ev(0.8, "b", happiness=1.0)])
    assert agree.confidence > 0.7
    assert disagree.confidence < 0.75 * agree.confidence


def test_all_zero_confidence_counts_sources_equally() -> None:
    fused = fuse([ev(0.0, "a", anger=1.0), ev(0.0, "b", fear=1.0)], method="linear")
    assert fused.weights["anger"] == pytest.approx(0.5) and fused.confidence == 0.0


def test_fuse_face_text() -> None:
    face = ev(0.6, "face", happiness=1.0)
    text = ev(0.6, "text", happiness=0.5, surprise=0.5)
    assert fuse_face_text(face, None).weights == face.weights
    assert fuse_face_text(None, text).weights == text.weights
    assert fuse_face_text(face, text).weights.dominant() == "happiness"
    with pytest.raises(InputError, match="Neither face nor text"):
        fuse_face_text(None, None)


@pytest.mark.parametrize(
    "kwargs",
    [{"method": "median"}, {"floor": 0.0}, {"floor": 1.0}, {"floor": -0.1}],
)
def test_bad_options(kwargs: dict) -> None:
    with pytest.raises(InputError):
        fuse([ev(0.5, happiness=1.0), ev(0.5, sadness=1.0)], **kwargs)


def test_bad_evidence() -> None:
    with pytest.raises(InputError, match="at least one"):
        fuse([])
    w = EmotionWeights.pure("anger")
    for bad in (-0.1, 1.5, float("nan"), True, "high"):
        with pytest.raises(InputError, match="Confidence"):
            Evidence(w, bad)  # type: ignore[arg-type]
    with pytest.raises(InputError):
        Evidence({"anger": 1.0}, 0.5)  # type: ignore[arg-type]


distributions = st.lists(
    st.floats(min_value=0, max_value=1, allow_nan=False), min_size=7, max_size=7
).filter(lambda v: sum(v) > 1e-6)
evidence = st.builds(
    lambda v, c: Evidence(EmotionWeights.from_array(v), c),
    distributions,
    st.floats(min_value=0, max_value=1, allow_nan=False),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(evidence, min_size=1, max_size=4), st.sampled_from(["geometric", "linear"]))
def test_fusion_is_a_valid_distribution_and_order_free(items: list, method: str) -> None:
    fused = fuse(items, method=method)
    q = fused.weights.as_array()
    assert np.all(q >= 0) and q.sum() == pytest.approx(1.0)
    assert 0.0 <= fused.confidence <= 1.0
    assert fuse(items[::-1], method=method).weights.as_array() == pytest.approx(q, abs=1e-9)
