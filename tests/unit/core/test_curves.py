"""Envelopes, B-splines through keyframes, modulation and resampling."""

from __future__ import annotations

import numpy as np
import pytest

from facial_affect_addon.core import curves
from facial_affect_addon.core.curveset import CurveSet
from facial_affect_addon.core.errors import InputError


def _max_slope_jump(values: np.ndarray, fps: float) -> float:
    d = np.diff(values) * fps
    return float(np.abs(np.diff(d)).max())


def test_envelope_shape():
    env = curves.Envelope(onset=0.2, apex=0.3, offset=0.4, peak=0.8)
    t = np.linspace(-0.5, 1.5, 2001)
    v = env.evaluate(t, start=0.1)
    assert np.all(v[t < 0.1] == 0) and np.all(v[t > 1.0] == 0)
    rise = v[(t >= 0.1) & (t <= 0.3)]
    hold = v[(t >= 0.3) & (t <= 0.6)]
    fall = v[(t >= 0.6) & (t <= 1.0)]
    assert np.all(np.diff(rise) >= 0) and np.all(np.diff(fall) <= 0)
    assert hold == pytest.approx(0.8)
    assert env.evaluate(np.array([0.2]), start=0.1)[0] == pytest.approx(0.4)  # half-way up
    assert env.duration == pytest.approx(0.9)


def test_envelope_is_c1():
    env = curves.Envelope(0.3, 0.2, 0.5)
    fine = [_max_slope_jump(env.evaluate(curves.frame_times(n, n / 1.5)), n / 1.5)
            for n in (1500, 3000)]  # fmt: skip
    assert fine[1] < 0.6 * fine[0]  # shrinks with the step: no derivative jump


def test_envelope_validation():
    with pytest.raises(InputError):
        curves.Envelope(-0.1, 0.1, 0.1)
    with pytest.raises(InputError):
        curves.Envelope(0.0, 0.0, 0.0)
    with pytest.raises(InputError):
        curves.Envelope(0.1, 0.1, 0.1, peak=1.5)


def test_smooth_bspline_passes_through_keys_without_overshoot():
    times = np.array([0.0, 0.4, 1.0, 1.2, 2.0])
    values = np.array([0.0, 1.0, 0.85, 0.3, 0.0])
    spline = curves.smooth_bspline(times, values)
    assert spline(times) == pytest.approx(values)
    dense = spline(np.linspace(0, 2, 4001))
    assert dense.min() >= 0.0 and dense.max() <= 1.0
    assert spline.k == 3
    # flat tangents at every key
    assert spline.derivative()(times) == pytest.approx(np.zeros(5), abs=1e-9)


def test_smooth_track_is_c1_but_linear_is_not():
    times = np.array([0.0, 0.3, 1.3, 2.0, 2.4, 3.0])
    values = np.array([[0.0], [0.9], [0.8], [0.2], [0.6], [0.0]])
    jumps = {}
    for kind in ("smooth", "linear"):
        track = curves.KeyframeTrack(times, values, kind)
        jumps[kind] = [
            _max_slope_jump(track.evaluate(curves.frame_times(int(3 * f) + 1, f))[:, 0], f)
            for f in (500, 1000)
        ]
    assert jumps["smooth"][1] < 0.6 * jumps["smooth"][0]
    assert jumps["linear"][1] > 0.9 * jumps["linear"][0] > 1.0  # kinks stay kinks


def test_cubic_bspline_overshoots_and_is_clipped():
    times = np.array([0.0, 0.2, 1.0, 1.2, 2.0])
    values = np.array([[0.0], [1.0], [1.0], [0.0], [0.0]])
    raw = curves.cubic_bspline(times, values)(np.linspace(0, 2, 401))
    assert raw.max() > 1.0 or raw.min() < 0.0
    clipped = curves.KeyframeTrack(times, values, "cubic").evaluate(np.linspace(0, 2, 401))
    assert clipped.min() >= 0.0 and clipped.max() <= 1.0


def test_keyframe_track_holds_outside_and_validates():
    track = curves.KeyframeTrack(np.array([1.0, 2.0]), np.array([[0.2], [0.6]]))
    assert track.evaluate(np.array([0.0, 5.0]))[:, 0] == pytest.approx([0.2, 0.6])
    with pytest.raises(InputError, match="strictly increasing"):
        curves.KeyframeTrack(np.array([1.0, 1.0]), np.array([[0.0], [1.0]]))
    with pytest.raises(InputError):
        curves.KeyframeTrack(np.array([0.0, 1.0]), np.array([[0.0], [np.nan]]))
    with pytest.raises(InputError, match="interpolation"):
        curves.KeyframeTrack(np.array([0.0, 1.0]), np.array([[0.0], [1.0]]), "bezier")


def test_modulation_formula():
    c = np.array([0.0, 0.5, 1.0])
    assert curves.modulate(c, 0.8, 0.5) == pytest.approx([0.0, 0.2, 0.4])
    assert curves.modulate(c, 3.0, 1.0).max() == 1.0  # clipped
    # Every emotion's full prototype reaches the rig at intensity 1.0 (issue 11): equal m_e.
    assert curves.emotion_amplitude("happy") == curves.emotion_amplitude("fear") == 1.0
    assert curves.emotion_amplitude("neutral") == 0.0
    with pytest.raises(InputError):
        curves.modulate(c, 1.0, 1.5)
    with pytest.raises(InputError):
        curves.modulate(c, -1.0, 0.5)


def test_static_and_dynamic_keys():
    t, lv = curves.static_keys(1.0, 2.0, 0.25)
    assert t == pytest.approx([1.0, 1.25, 2.75, 3.0]) and lv.tolist() == [0, 1, 1, 0]
    t, lv = curves.static_keys(1.0, 0.2, 0.25)
    assert t == pytest.approx([1.0, 1.1, 1.2])
    t, lv = curves.dynamic_keys(0.0, 2.0, 0.4, 0.7, 0.85)
    assert t == pytest.approx([0.0, 0.4, 2.0, 2.7]) and lv == pytest.approx([0, 1, 0.85, 0])


def test_resample_keeps_span_and_shape():
    src = np.sin(np.linspace(0, np.pi, 25)) * 0.9
    out = curves.resample(src, 24, 60)
    assert len(out) == 61
    assert out[0] == pytest.approx(src[0]) and out[-1] == pytest.approx(src[-1], abs=1e-9)
    assert out[30] == pytest.approx(src[12], abs=1e-3)
    assert out.min() >= 0 and out.max() <= 1
    lin = curves.resample(np.stack([src, src], axis=1), 24, 12, method="linear")
    assert lin.shape == (13, 2) and lin[:, 0] == pytest.approx(src[::2])
    with pytest.raises(InputError):
        curves.resample(src, 0, 24)


def test_resample_curveset():
    cs = CurveSet(5, 24.0, {"a": np.linspace(0, 1, 49)})
    out = curves.resample_curveset(cs, 30)
    assert out.fps == 30 and out.frame_start == 5 and out.n_frames == 61
    assert out.channels["a"][-1] == pytest.approx(1.0)
