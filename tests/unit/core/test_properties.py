"""Property tests: for any valid input, no NaN and nothing outside [0, 1]."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facial_affect_addon.core import curves, facs, metrics
from facial_affect_addon.core.emotions import EmotionWeights
from facial_affect_addon.core.micro import MicroOptions
from facial_affect_addon.core.rig_tables import ARKIT_52
from facial_affect_addon.core.rigs import BUILTIN_PROFILES
from facial_affect_addon.core.synthesis import synthesize, synthesize_au
from facial_affect_addon.core.timeline import EmotionEvent, Timeline

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

unit = st.floats(0.0, 1.0, allow_nan=False)
weights = st.lists(unit, min_size=7, max_size=7).filter(lambda w: sum(w) > 1e-6)


@st.composite
def timelines(draw) -> Timeline:
    events, t = [], draw(st.floats(0.0, 2.0))
    for _ in range(draw(st.integers(0, 5))):
        duration = draw(st.floats(1e-3, 4.0))
        w = EmotionWeights.from_array(draw(weights))
        events.append(EmotionEvent(t, duration, w, draw(unit)))
        t += duration + draw(st.floats(0.0, 2.0))
    return Timeline(tuple(events))


rig_names = st.lists(st.sampled_from(ARKIT_52), min_size=1, max_size=52, unique=True).filter(
    lambda names: any(BUILTIN_PROFILES["arkit52"].targets[ARKIT_52.index(n)].drivers
                      for n in names)
)  # fmt: skip


@SETTINGS
@given(
    tl=timelines(),
    names=rig_names,
    fps=st.sampled_from([1.0, 12.0, 23.976, 24.0, 60.0]),
    mode=st.sampled_from(["dynamic", "static"]),
    micro=st.booleans(),
    life=st.booleans(),
    intensity=unit,
    seed=st.integers(0, 2**31),
)
def test_synthesize_is_finite_and_in_range(tl, names, fps, mode, micro, life, intensity, seed):
    opts = MicroOptions(rate_per_minute=20.0) if micro else False
    cs = synthesize(tl, names, fps=fps, mode=mode, micro=opts, life=life, intensity=intensity,
                    seed=seed)  # fmt: skip
    assert cs.channels
    for values in cs.channels.values():
        assert len(values) == cs.n_frames
        assert np.all(np.isfinite(values)) and values.min() >= 0.0 and values.max() <= 1.0


@SETTINGS
@given(tl=timelines(), n_frames=st.integers(1, 300))
def test_au_curves_are_finite_and_in_range(tl, n_frames):
    au = synthesize_au(tl, fps=30.0, n_frames=n_frames, micro=True)
    assert au.values.shape[0] == n_frames
    assert np.all(np.isfinite(au.values)) and au.values.min() >= 0 and au.values.max() <= 1


@SETTINGS
@given(rows=st.lists(weights, min_size=1, max_size=8), amp=st.floats(0.0, 3.0), iv=unit)
def test_blend_is_in_range(rows, amp, iv):
    w = np.array([EmotionWeights.from_array(r).as_array() for r in rows])
    out = facs.blend_matrix(w, np.full(7, amp), np.full(len(rows), iv))
    assert np.all(np.isfinite(out)) and out.min() >= 0 and out.max() <= 1


@SETTINGS
@given(
    keys=st.lists(st.tuples(st.floats(1e-3, 2.0), unit), min_size=1, max_size=12),
    kind=st.sampled_from(["smooth", "cubic", "linear"]),
)
def test_keyframe_tracks_stay_in_range(keys, kind):
    times = np.cumsum([k[0] for k in keys])
    values = np.array([[k[1]] for k in keys])
    out = curves.KeyframeTrack(times, values, kind).evaluate(np.linspace(-1, times[-1] + 1, 500))
    assert np.all(np.isfinite(out)) and out.min() >= 0 and out.max() <= 1
    if kind == "smooth":  # convex hull: never beyond the keys
        assert out.min() >= values.min() - 1e-12 and out.max() <= values.max() + 1e-12


@SETTINGS
@given(
    values=st.lists(unit, min_size=1, max_size=60),
    fps_in=st.floats(1.0, 120.0),
    fps_out=st.floats(1.0, 120.0),
)
def test_resample_and_metrics_are_finite(values, fps_in, fps_out):
    out = curves.resample(np.array(values), fps_in, fps_out)
    assert np.all(np.isfinite(out)) and out.min() >= 0 and out.max() <= 1
    energy = metrics.activation_energy({"AU12_L": out})["AU12_L"]
    assert np.isfinite(energy) and energy >= 0
    ts = metrics.temporal_structure(out, fps_out)
    assert ts.rise_frames >= 0 and ts.fall_frames >= 0
