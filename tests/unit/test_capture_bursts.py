"""Capture keeps micro-expression bursts (issue 15): One-Euro settings and the deadzone bypass.

Synthetic smiles of known size on the synthetic mesh: the mouth corners rise by a set fraction
of the smile range for a set time, with smoothstep onset and offset (40 % each, 20 % hold).
"""

from __future__ import annotations

import numpy as np
import pytest

from facial_affect_addon.core import capture
from facial_affect_addon.core.capture import CaptureOptions, capture_weights, in_intervals
from facial_affect_addon.core.one_euro import smooth

from .landmark_fixtures import synthetic_face

IOD = 55.0  # eye distance of the synthetic face (px)
SMILE_RANGE = 0.24  # capture's smile range (eye distances at weight 1 before the deadzone)


def envelope(t: np.ndarray, onset: float, duration: float) -> np.ndarray:
    u = np.clip(
        np.minimum((t - onset) / (0.4 * duration), (onset + duration - t) / (0.4 * duration)), 0, 1
    )
    return u * u * (3 - 2 * u)


def smile_track(fps: float, duration: float, value: float, seconds: float = 2.0):
    """Landmarks of a smile burst at 1.0 s whose undeadzoned weight peaks at ``value``."""
    t = np.arange(round(seconds * fps)) / fps
    neutral = synthetic_face(np.random.default_rng(7))
    lift = value * SMILE_RANGE * IOD * envelope(t, 1.0, duration)
    track = np.repeat(neutral[None], len(t), axis=0)
    track[:, [61, 291], 1] -= lift[:, None]
    return track, t


def smile_peak(track, t, keep=()) -> float:
    opts = CaptureOptions(neutral_index=0, keep_intervals=keep, head_rotation=False)
    res = capture_weights(track, t, opts)
    return float(min(res.curve("mouthSmileLeft").max(), res.curve("mouthSmileRight").max()))


@pytest.mark.parametrize(
    ("fps", "duration", "at_least"),
    [(30, 0.1, 0.45), (60, 0.04, 0.42), (24, 0.1, 0.42), (30, 0.2, 0.46)],
)
def test_a_burst_at_half_keeps_its_peak_through_the_one_euro_filter(fps, duration, at_least):
    track, t = smile_track(fps, duration, 0.5)
    raw = 0.5 * envelope(t, 1.0, duration).max()  # the peak the frames actually sample
    assert raw == pytest.approx(0.5, abs=0.04)
    peak = smile_peak(track, t, keep=((0.9, 1.1 + duration),))
    assert at_least <= peak <= raw + 0.01


def test_the_old_settings_lost_the_burst_the_new_ones_keep():
    track, t = smile_track(30, 0.1, 0.5)
    old = CaptureOptions(
        neutral_index=0,
        min_cutoff=1.5,
        beta=0.3,
        d_cutoff=1.0,
        keep_intervals=((0.9, 1.2),),
        head_rotation=False,
    )
    before = capture_weights(track, t, old).curve("mouthSmileLeft").max()
    assert before < 0.4 < smile_peak(track, t, keep=((0.9, 1.2),))


def test_the_deadzone_erases_a_subtle_burst_unless_the_spotter_found_it():
    track, t = smile_track(30, 0.15, 0.12)  # under the 15 % deadzone
    assert smile_peak(track, t) == 0.0
    raw = 0.12 * envelope(t, 1.0, 0.15).max()
    # a slower (smaller) burst raises the One-Euro cutoff less: within 15 % of its size
    assert 0.85 * raw <= smile_peak(track, t, keep=((0.95, 1.2),)) <= raw + 0.005


def test_a_large_burst_outside_spotted_intervals_still_reads_through_the_deadzone():
    track, t = smile_track(30, 0.2, 0.6)
    expected = (0.6 - capture.DEADZONE) / (1 - capture.DEADZONE)
    assert smile_peak(track, t) == pytest.approx(expected, abs=0.04)


def test_jitter_on_a_held_weight_is_still_smoothed():
    t = np.arange(300) / 30.0
    noisy = 0.3 + np.random.default_rng(1).normal(0, 0.02, len(t))
    out = smooth(
        noisy[:, None],
        t,
        min_cutoff=capture.ONE_EURO_MIN_CUTOFF,
        beta=capture.ONE_EURO_BETA,
        d_cutoff=capture.ONE_EURO_D_CUTOFF,
    )[30:, 0]
    assert out.std() < 0.7 * noisy[30:].std()
    assert out.mean() == pytest.approx(0.3, abs=0.005)


def test_in_intervals():
    t = np.array([0.0, 0.5, 1.0, 1.5])
    assert in_intervals(t, ((0.4, 1.0),)).tolist() == [False, True, True, False]
    assert not in_intervals(t, ()).any()
