"""core.take_legibility: readings grouped into segments, shares counted."""

import pytest

from facial_affect_addon.core.errors import InputError
from facial_affect_addon.core.take_legibility import FrameReading, summarise


def test_segments_follow_runs_of_the_intended_emotion():
    readings = [
        FrameReading(1.0, "happiness", "happiness", 0.9),
        FrameReading(0.0, "happiness", "neutral", 0.6),
        FrameReading(2.0, "sadness", "sadness", 0.7),
        FrameReading(3.0, "sadness", "", 0.0),
        FrameReading(4.0, "sadness", "fear", 0.5),
    ]
    take = summarise("fer", readings)
    assert [r.time for r in take.readings] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert [(s.emotion, s.frames, s.correct) for s in take.segments] == [
        ("happiness", 2, 1),
        ("sadness", 3, 1),
    ]
    assert take.segments[0].share == 0.5
    assert take.share == pytest.approx(2 / 5)


def test_empty_take_has_zero_share():
    take = summarise("fer", [])
    assert take.segments == () and take.share == 0.0


def test_unknown_emotions_are_refused():
    with pytest.raises(InputError):
        FrameReading(0.0, "joy", "neutral", 0.1)
    with pytest.raises(InputError):
        FrameReading(0.0, "neutral", "joy", 0.1)
