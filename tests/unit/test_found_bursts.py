"""Found (spotted) micro-expressions back to authored bursts: the panel's Add Found Bursts."""

from __future__ import annotations

import numpy as np
import pytest

from facial_affect_addon.core.errors import InputError
from facial_affect_addon.core.micro_authoring import MicroSpec
from facial_affect_addon.core.micro_spot import BurstKind, SpottedBurst
from facial_affect_addon.pipeline.micro_spot import (
    MicroSpotResult,
    found_bursts,
    found_from_text,
    found_specs,
    found_to_text,
    spot_markers,
)


def _b(apex, emotion, strength=0.4, kind=BurstKind.MICRO, length=0.18):
    keys = {"browInnerUp": strength}
    return SpottedBurst(apex - length / 2, apex, apex + length / 2, ("AU1",), keys, emotion,
                        0.7, kind)  # fmt: skip


def _result(*micro, macro=()):
    return MicroSpotResult(tuple(micro), tuple(macro), 30.0, np.zeros(1), np.zeros((1, 1)))


def test_found_bursts_keep_the_spotted_size_and_survive_the_scene_text():
    result = _result(_b(1.5, "surprise"), _b(2.0, "neutral"), _b(0.02, "fear", 0.05, length=0.1))
    found = found_bursts(result)
    assert [(s.emotion, s.intensity) for s in found] == [("surprise", 0.4), ("fear", 0.1)]
    assert found[0] == MicroSpec(1.5, 0.4, "surprise", duration=found[0].duration)
    assert found[0].duration == pytest.approx(0.18)
    assert found[1].time == pytest.approx(0.045)  # moved so its onset is not before 0 s
    back = found_from_text(found_to_text(found))
    assert [(s.time, s.emotion, s.intensity) for s in back] == [(1.5, "surprise", 0.4),
                                                                 (0.045, "fear", 0.1)]  # fmt: skip
    assert found_bursts(None) is None


def test_markers_pick_the_nearest_spotted_burst_of_their_emotion():
    result = _result(_b(1.0, "surprise", 0.3, length=0.1), _b(3.0, "surprise", 0.8, length=0.3),
                     macro=(_b(2.0, "happiness", kind=BurstKind.MACRO),))  # fmt: skip
    markers = [*spot_markers(result), (2.9, "micro anger 0.50"), (-0.5, "micro fear 0.4"),
               (1.0, "shot 3"), (4.0, "micro glee 0.9")]  # fmt: skip
    specs = found_specs([(1.2, markers[0][1]), *markers[1:]], found_bursts(result))
    got = [(s.time, s.emotion, s.intensity, round(s.duration, 3)) for s in specs]
    assert got == [
        (1.2, "surprise", 0.3, 0.1),  # moved marker: nearest surprise is still the first
        (2.9, "anger", 0.5, 0.2),  # no anger was spotted: the default size
        (3.0, "surprise", 0.8, 0.3),
    ]


@pytest.mark.parametrize("text", ["", "[]", '{"kind": "micro_expressions"}', "{" * 10])
def test_a_hand_edited_scene_text_is_one_input_error(text):
    with pytest.raises(InputError):
        found_from_text(text)
