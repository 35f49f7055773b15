"""Timeline validation and the state machine (offline planner and real-time stepper)."""

from __future__ import annotations

import numpy as np
import pytest

from facial_affect_addon.core.emotions import EmotionWeights
from facial_affect_addon.core.errors import InputError
from facial_affect_addon.core.facs import AU_CHANNELS, CHANNEL_INDEX
from facial_affect_addon.core.micro import MicroBurst
from facial_affect_addon.core.timeline import (
    AffectStateMachine,
    EmotionEvent,
    Timeline,
    TransitionSettings,
    event_targets,
    plan_keyframes,
)

HAPPY = EmotionWeights.pure("happiness")
SAD = EmotionWeights.pure("sadness")
S = TransitionSettings(rise=0.4, fall=0.7, crossfade=0.3, sustain=0.85)


def _plan(events, mode="dynamic", t_end=20.0, fps=24.0):
    targets = event_targets(events, None, np.ones(len(events)))
    return plan_keyframes(events, targets, S, mode=mode, fps=fps, t_end=t_end)


def test_from_events_sorts_and_end():
    a = EmotionEvent(2.0, 1.0, HAPPY)
    b = EmotionEvent(0.0, 1.0, SAD)
    tl = Timeline.from_events([a, b])
    assert tl.events == (b, a) and tl.end == 3.0
    assert tl.event_at(2.5) is a and tl.event_at(1.5) is None


def test_touching_events_are_fine_overlap_is_not():
    Timeline.from_events([EmotionEvent(0, 1, HAPPY), EmotionEvent(1, 1, SAD)])
    with pytest.raises(InputError, match="overlap"):
        Timeline.from_events([EmotionEvent(0, 1.5, HAPPY), EmotionEvent(1, 1, SAD)])


def test_unsorted_constructor_is_rejected():
    with pytest.raises(InputError, match="sorted"):
        Timeline((EmotionEvent(2, 1, HAPPY), EmotionEvent(0, 1, SAD)))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"start": -1.0},
        {"start": float("nan")},
        {"duration": 0.0},
        {"duration": float("inf")},
        {"intensity": 1.5},
        {"weights": {"happiness": 1.0}},
    ],
)
def test_event_validation(kwargs):
    args = {"start": 0.0, "duration": 1.0, "weights": HAPPY, **kwargs}
    with pytest.raises(InputError):
        EmotionEvent(**args)


def test_isolated_event_rises_holds_and_falls():
    track = _plan([EmotionEvent(1.0, 2.0, HAPPY)])
    assert track.interpolation == "smooth"
    assert track.times.tolist() == pytest.approx([0.0, 1.0, 1.4, 3.0, 3.7, 20.0])
    smile = track.values[:, CHANNEL_INDEX["AU12_L"]]
    assert smile == pytest.approx([0, 0, 1.0, 0.85, 0, 0])


def test_short_gap_is_held_and_crossfaded():
    events = [EmotionEvent(0.0, 2.0, HAPPY), EmotionEvent(2.5, 2.0, SAD)]
    track = _plan(events)
    # no release between: hold through the gap, then cross-fade (0.3 s) to sadness
    assert track.times.tolist() == pytest.approx([0.0, 0.4, 2.0, 2.5, 2.8, 4.5, 5.2, 20.0])
    smile = track.values[:, CHANNEL_INDEX["AU12_L"]]
    frown = track.values[:, CHANNEL_INDEX["AU15_L"]]
    assert smile[3] == pytest.approx(0.85) and smile[4] == 0.0
    assert frown[4] == pytest.approx(1.0)


def test_long_gap_returns_to_rest():
    events = [EmotionEvent(0.0, 1.0, HAPPY), EmotionEvent(3.0, 1.0, SAD)]
    track = _plan(events)
    rest = track.values[np.isclose(track.times, 1.7)]
    assert rest.sum() == 0.0
    assert 3.0 in track.times


def test_short_event_reaches_apex_within_event():
    track = _plan([EmotionEvent(0.0, 0.2, HAPPY)])
    assert track.times[:3].tolist() == pytest.approx([0.0, 0.1, 0.2])


def test_static_plan_is_linear_template_with_frame_ramps():
    events = [EmotionEvent(0.0, 2.0, HAPPY), EmotionEvent(2.0, 2.0, SAD)]
    track = _plan(events, mode="static", fps=20.0)
    assert track.interpolation == "linear"
    ramp = 10 / 20.0
    assert track.times.tolist() == pytest.approx([0, ramp, 2 - ramp, 2, 2 + ramp, 4 - ramp, 4, 20])


def test_empty_timeline_is_a_rest_track():
    track = _plan([], t_end=5.0)
    assert track.values.sum() == 0.0 and track.values.shape[1] == len(AU_CHANNELS)


def test_with_micro_inserts_bursts_sorted():
    tl = Timeline((EmotionEvent(0, 1, HAPPY),))
    b1 = MicroBurst.from_mapping(2.0, 0.1, {"AU4": 0.5})
    b0 = MicroBurst.from_mapping(0.5, 0.1, {"AU12_L": 0.5})
    out = tl.with_micro([b1, b0])
    assert out.micro == (b0, b1) and out.end == pytest.approx(2.1)


def test_transition_settings_validation():
    with pytest.raises(InputError):
        TransitionSettings(rise=0.0)
    with pytest.raises(InputError):
        TransitionSettings(sustain=1.2)
    with pytest.raises(InputError):
        TransitionSettings(static_ramp_frames=0)


def test_live_state_machine_cycle():
    sm = AffectStateMachine(S)
    assert sm.state == "rest"
    sm.set_target(HAPPY, 1.0, duration=1.0)
    values = [sm.tick(0.1)[CHANNEL_INDEX["AU12_L"]] for _ in range(4)]
    assert sm.state == "sustain" and values[-1] == pytest.approx(1.0)
    assert np.all(np.diff(values) >= 0)
    for _ in range(7):
        sm.tick(0.1)
    assert sm.state == "release"
    for _ in range(8):
        sm.tick(0.1)
    assert sm.state == "rest" and sm.values.max() == pytest.approx(0.0)


def test_live_state_machine_crossfades_from_current_values():
    sm = AffectStateMachine(S)
    sm.set_target(HAPPY)
    sm.tick(0.2)  # half-way up
    mid = sm.values[CHANNEL_INDEX["AU12_L"]]
    sm.set_target(SAD)
    first = sm.tick(0.0)
    assert first[CHANNEL_INDEX["AU12_L"]] == pytest.approx(mid)  # no jump
    sm.tick(0.3)
    assert sm.values[CHANNEL_INDEX["AU15_L"]] == pytest.approx(1.0)
    with pytest.raises(InputError):
        sm.set_target(SAD, 2.0)
