"""Spotted bursts read by the AU co-occurrence graph (core.micro_graph)."""

from __future__ import annotations

import numpy as np
import pytest

from facial_affect_addon.core.errors import InputError
from facial_affect_addon.core.micro import DEFAULT_GRAPH
from facial_affect_addon.core.micro_graph import (
    NEUTRAL,
    capture_observed,
    classify_burst,
    propagate,
    prototype_vectors,
)


@pytest.mark.parametrize("emotion", list(prototype_vectors()))
def test_each_prototype_au_set_reads_as_its_emotion(emotion):
    proto = prototype_vectors()[emotion]
    values = {a: float(v) for a, v in zip(DEFAULT_GRAPH.aus, proto, strict=True) if v > 0}
    reading = classify_burst(values)
    assert reading.emotion == emotion, reading.scores
    assert reading.confidence > 0.8


@pytest.mark.parametrize(
    ("values", "emotion", "completed"),
    [
        ({"AU9": 0.6}, "disgust", "AU16"),  # the capture sees no AU16; P(16|9) = 1
        ({"AU5_L": 0.5, "AU5_R": 0.5, "AU7": 0.5}, "anger", "AU23"),
        ({"AU1": 0.7, "AU15": 0.7}, "sadness", "AU16"),
        ({"AU1": 0.7, "AU2": 0.7, "AU26": 0.5}, "surprise", "AU20"),
    ],
)
def test_a_partial_set_is_completed_by_the_graph_and_read_right(values, emotion, completed):
    reading = classify_burst(values)
    assert reading.emotion == emotion, reading.scores
    assert completed not in values and reading.completed[completed] > 0


def test_completion_only_fills_what_the_capture_cannot_see():
    observed = capture_observed()
    assert {"AU1", "AU4", "AU12", "AU15"} <= observed
    assert not {"AU16", "AU20", "AU23"} & observed
    e = np.zeros(len(DEFAULT_GRAPH.aus))
    e[DEFAULT_GRAPH.aus.index("AU12")] = 0.8
    mask = np.array([a in observed for a in DEFAULT_GRAPH.aus])
    h = propagate(e, mask)
    # AU6 is measured (0 stays 0), AU14 is not: P(14|12) = 1/2 of the evidence.
    assert h[DEFAULT_GRAPH.aus.index("AU6")] == 0.0
    assert h[DEFAULT_GRAPH.aus.index("AU14")] == pytest.approx(0.4)


def test_no_evidence_is_neutral_with_no_confidence():
    for values in ({}, {"AU12": 0.05}):
        reading = classify_burst(values)
        assert reading.emotion == NEUTRAL and reading.confidence == 0.0


def test_ambiguous_evidence_is_less_confident_than_a_full_prototype():
    brows = classify_burst({"AU1": 0.8, "AU2": 0.8})  # surprise or fear
    full = classify_burst({"AU1": 0.8, "AU2": 0.8, "AU5": 0.3, "AU26": 0.8})
    assert brows.emotion == full.emotion == "surprise"
    assert 1 / 6 < brows.confidence < full.confidence <= 1.0


def test_an_unknown_au_is_an_input_error():
    with pytest.raises(InputError, match="AU99"):
        classify_burst({"AU99": 0.5})
