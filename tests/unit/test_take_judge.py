"""pipeline.take_judge without Blender: what a take's frames mean, and where they are sampled."""

from __future__ import annotations

import pytest

from facial_affect_addon.core.emotions import EmotionWeights
from facial_affect_addon.core.errors import InputError
from facial_affect_addon.core.timeline import EmotionEvent, Timeline
from facial_affect_addon.pipeline.performance import Performance, PerformanceKind
from facial_affect_addon.pipeline.take_judge import intended_at, judge_frames, sample_times


def _performance(events) -> Performance:
    timeline = Timeline.from_events(events)
    return Performance(
        PerformanceKind.TEXT, EmotionWeights.from_mapping({"neutral": 1.0}), timeline, 4.0, ()
    )


def test_intended_emotion_follows_the_timeline_and_rests_between_events():
    mix = EmotionWeights.from_mapping({"sadness": 0.3, "anger": 0.7})
    performance = _performance(
        [
            EmotionEvent(0.5, 1.0, EmotionWeights.from_mapping({"happiness": 1.0})),
            EmotionEvent(2.0, 1.0, mix, intensity=0.6),
            EmotionEvent(3.0, 0.5, mix, intensity=0.0),
        ]
    )
    assert intended_at(performance, 0.2) == "neutral"  # before the first event
    assert intended_at(performance, 1.0) == "happiness"
    assert intended_at(performance, 1.75) == "neutral"  # between events
    assert intended_at(performance, 2.5) == "anger"  # the mix's dominant emotion
    assert intended_at(performance, 3.2) == "neutral"  # an event of zero intensity is rest


def test_samples_sit_in_the_middle_of_equal_shares():
    assert sample_times(3.0, 3) == pytest.approx([0.5, 1.5, 2.5])
    with pytest.raises(InputError):
        sample_times(0.0, 3)
    with pytest.raises(InputError):
        sample_times(2.0, 0)


def test_judging_stops_when_cancelled(tmp_path):
    from facial_affect_addon.core.errors import CancelledError
    from facial_affect_addon.pipeline.take_judge import RenderedFrame

    frames = [RenderedFrame(0.0, "neutral", tmp_path / "missing.png")]
    with pytest.raises(CancelledError):
        judge_frames(frames, should_cancel=lambda: True, analyzer=object(), model=object())
    with pytest.raises(InputError, match="Cannot read the render"):
        judge_frames(frames, analyzer=object(), model=object())
