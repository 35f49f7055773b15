"""core.bspline against scipy.interpolate (scipy stays a test dependency, not a runtime one)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.interpolate import BSpline as ScipyBSpline
from scipy.interpolate import make_interp_spline

from facial_affect_addon.core import curves
from facial_affect_addon.core.bspline import BSpline, make_interp_spline_clamped

SIZES = [*range(2, 25), 100, 1000, 5000]


def _sites(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.cumsum(rng.uniform(0.01, 2.0, n)) + rng.uniform(-5, 5)


def _points(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    """Random points inside and beyond the ends (extrapolation), plus the sites themselves."""
    return np.concatenate([rng.uniform(x[0] - 1.0, x[-1] + 1.0, 400), x])


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("channels", [None, 1, 6])
def test_clamped_interpolation_matches_scipy(n: int, channels: int | None) -> None:
    rng = np.random.default_rng(n * 10 + (channels or 0))
    x = _sites(rng, n)
    y = rng.uniform(-1.0, 2.0, (n,) if channels is None else (n, channels))
    ref = make_interp_spline(x, y, k=3, bc_type="clamped")
    ours = make_interp_spline_clamped(x, y)
    assert np.array_equal(ours.t, ref.t) and ours.k == 3
    np.testing.assert_allclose(ours.c, ref.c, rtol=0, atol=1e-10)
    pts = _points(rng, x)
    scale = max(1.0, float(np.abs(ref(pts)).max()))
    np.testing.assert_allclose(ours(pts), ref(pts), rtol=0, atol=1e-10 * scale)
    np.testing.assert_allclose(ours.derivative()(pts), ref.derivative()(pts), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("channels", [4, 12])  # coefficients gathered by column / by row
def test_evaluation_matches_scipy(n: int, k: int, channels: int) -> None:
    """The knot layouts curves.py builds: simple knots (linear) and triple ones (smooth)."""
    rng = np.random.default_rng(1000 + n * 2 + k + channels)
    x = _sites(rng, n)
    inner = np.repeat(x[1:-1], k)
    t = np.concatenate([[x[0]] * (k + 1), inner, [x[-1]] * (k + 1)])
    c = rng.uniform(-1.0, 2.0, (len(t) - k - 1, channels))
    ref = ScipyBSpline(t, c, k, extrapolate=True)
    ours = BSpline(t, c, k)
    pts = _points(rng, x)
    scale = max(1.0, float(np.abs(ref(pts)).max()))
    np.testing.assert_allclose(ours(pts), ref(pts), rtol=0, atol=1e-12 * scale)
    assert ours(pts[:7].reshape(7, 1)).shape == (7, 1, channels)
    assert ours(np.float64(x[0])).shape == (channels,)
    dense = np.linspace(x[0] - 0.5, x[-1] + 0.5, 40 * n)  # long runs per interval: matmul path
    np.testing.assert_allclose(ours(dense), ref(dense), rtol=0, atol=1e-12 * scale)


def test_derivatives_and_errors() -> None:
    rng = np.random.default_rng(5)
    t = np.concatenate([[0.0] * 4, np.sort(rng.uniform(0, 1, 6)), [1.0] * 4])
    c = rng.uniform(size=len(t) - 4)
    ref, ours = ScipyBSpline(t, c, 3), BSpline(t, c, 3)
    pts = np.linspace(-0.2, 1.2, 301)
    for nu in (1, 2, 3):
        np.testing.assert_allclose(ours.derivative(nu)(pts), ref.derivative(nu)(pts), atol=1e-8)
    with pytest.raises(ValueError):
        ours.derivative(4)
    with pytest.raises(ValueError):
        BSpline(t, c[:-1], 3)
    with pytest.raises(ValueError):
        make_interp_spline_clamped(np.array([0.0]), np.array([1.0]))


@pytest.mark.parametrize("kind", ["smooth", "cubic", "linear"])
def test_keyframe_tracks_equal_the_scipy_curves(kind: str) -> None:
    rng = np.random.default_rng(9)
    times = _sites(rng, 40)
    values = rng.uniform(0, 1, (40, 3))
    track = curves.KeyframeTrack(times, values, kind)
    spline = track.spline()
    ref = (
        make_interp_spline(times, values, k=3, bc_type="clamped")
        if kind == "cubic"
        else ScipyBSpline(spline.t, spline.c, spline.k)
    )
    pts = np.linspace(times[0], times[-1], 5000)
    np.testing.assert_allclose(spline(pts), ref(pts), rtol=0, atol=1e-12)


def test_long_timeline_builds_in_linear_time() -> None:
    x = np.arange(36_000) / 60.0  # 10 minutes at 60 fps
    y = np.random.default_rng(2).uniform(size=(36_000, 4))
    ours = make_interp_spline_clamped(x, y)
    np.testing.assert_allclose(ours.c, make_interp_spline(x, y, 3, bc_type="clamped").c, atol=1e-10)
