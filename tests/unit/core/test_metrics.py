"""Metrics on hand-computed examples."""

from __future__ import annotations

import numpy as np
import pytest

from facial_affect_addon.core import metrics
from facial_affect_addon.core.errors import InputError


def test_activation_energy_hand_computed():
    curves = {"AU12_L": [0.0, 0.5, 1.0, 0.5], "AU4_L": [0.2, 0.2, 0.0, 0.0]}
    energy = metrics.activation_energy(curves)
    assert energy["AU12_L"] == pytest.approx(0.25 + 1.0 + 0.25)
    assert energy["AU4_L"] == pytest.approx(0.08)


def test_spatial_distribution_hand_computed():
    curves = {
        "AU12_L": np.array([0.0, 1.0, 0.0]),  # mouth, E = 1
        "AU26": np.array([1.0, 1.0, 1.0]),  # jaw, E = 3
        "AU1_R": np.array([0.02, 0.0, 0.0]),  # brows, tiny, below the activity threshold
    }
    dist = metrics.spatial_distribution(curves)
    assert set(dist) == {"brows", "eyes", "cheeks", "nose", "mouth", "jaw"}
    total = 4.0004
    assert dist["jaw"].energy == pytest.approx(3.0)
    assert dist["jaw"].share == pytest.approx(3.0 / total)
    assert dist["mouth"].active == ("AU12_L",)
    assert dist["brows"].active == () and dist["eyes"].share == 0.0
    shares = np.array([1, 3, 0.0004]) / total
    assert metrics.region_entropy(dist) == pytest.approx(-(shares * np.log2(shares)).sum())


def test_spatial_distribution_with_explicit_regions_and_errors():
    dist = metrics.spatial_distribution({"jawOpen": [0.5]}, regions={"jawOpen": "jaw"})
    assert dist["jaw"].share == 1.0
    with pytest.raises(InputError):
        metrics.spatial_distribution({"jawOpen": [0.5]})
    with pytest.raises(InputError):
        metrics.spatial_distribution({"jawOpen": [0.5]}, regions={"jawOpen": "ears"})


def test_temporal_structure_hand_computed():
    v = [0, 0.05, 0.5, 1, 1, 0.95, 0.5, 0.2, 0.05, 0]
    ts = metrics.temporal_structure(v, fps=10)
    assert ts.peak_frame == 3 and ts.peak_value == 1.0
    assert ts.onset_frame == 2
    assert (ts.rise_frames, ts.hold_frames, ts.fall_frames) == (1, 3, 2)
    assert (ts.rise_s, ts.hold_s, ts.fall_s) == pytest.approx((0.1, 0.3, 0.2))


def test_temporal_structure_of_a_silent_curve():
    ts = metrics.temporal_structure(np.zeros(5), fps=24)
    assert ts.peak_frame is None and ts.hold_frames == 0


def test_jerk_of_a_cubic_is_constant():
    t = np.arange(10) / 5.0
    j = metrics.jerk(t**3, fps=5)
    assert j == pytest.approx(np.full(7, 6.0))
    sm = metrics.smoothness(t**3, fps=5)
    assert sm.rms_jerk == pytest.approx(6.0) and sm.max_jerk == pytest.approx(6.0)


def test_jerk_detects_a_step():
    step = np.r_[np.zeros(5), np.ones(5)]
    assert metrics.smoothness(step, fps=1).max_jerk == pytest.approx(2.0)  # 1, -2, 1 pattern
    assert metrics.smoothness([0.0, 1.0], fps=24) == metrics.Smoothness(0.0, 0.0)


def test_metric_input_errors():
    with pytest.raises(InputError):
        metrics.activation_energy({"AU12_L": [0.0, np.nan]})
    with pytest.raises(InputError):
        metrics.temporal_structure([], fps=24)
    with pytest.raises(InputError):
        metrics.temporal_structure([0.1, 0.2], fps=24, low=0.9, high=0.1)
