"""Landmark capture (paper 004) on seeded synthetic tracks: alignment, weights, smoothing."""

from __future__ import annotations

import numpy as np
import pytest

from facial_affect_addon.core import capture
from facial_affect_addon.core.errors import InputError
from facial_affect_addon.core.one_euro import OneEuroFilter, smooth

from .landmark_fixtures import synthetic_face


def _moved(pts, angle_deg=0.0, scale=1.0, shift=(0.0, 0.0)):
    a = np.radians(angle_deg)
    rot = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    return scale * pts @ rot.T + np.array([*shift, 0.0])


def test_head_motion_alone_gives_no_expression():
    neutral = synthetic_face(np.random.default_rng(0))
    moved = _moved(neutral, 12.0, 1.3, (40, -25))
    track = np.stack([neutral, moved])
    res = capture.capture_weights(
        track, np.array([0.0, 0.5]), capture.CaptureOptions(0, smoothing=False)
    )
    assert np.abs(res.weights).max() < 1e-6
    assert res.head_rotation[1, 2] == pytest.approx(12.0, abs=1e-6)  # roll


def test_smile_blink_and_jaw_rise_under_head_motion():
    neutral = synthetic_face(np.random.default_rng(1))
    expr = neutral.copy()
    expr[[61, 291], 1] -= 8  # mouth corners up
    expr[61, 0] -= 3
    expr[291, 0] += 3
    expr[159, 1] = expr[145, 1]  # right eye closed
    expr[152, 1] += 20  # chin down
    expr[14, 1] += 15
    track = np.stack([neutral, _moved(expr, -8.0, 0.8, (10, 5))])
    res = capture.capture_weights(
        track, np.array([0.0, 0.5]), capture.CaptureOptions(0, smoothing=False)
    )
    w = dict(zip(res.names, res.weights[1], strict=True))
    assert w["mouthSmileLeft"] > 0.5 and w["mouthSmileRight"] > 0.5
    assert w["eyeBlinkRight"] > 0.9 and w["eyeBlinkLeft"] < 0.05
    assert w["jawOpen"] > 0.3
    assert w["mouthFrownLeft"] == 0.0


def test_missing_frames_are_interpolated_and_neutral_is_auto_picked():
    rng = np.random.default_rng(2)
    neutral = synthetic_face(rng)
    smile = neutral.copy()
    smile[[61, 291], 1] -= 8
    track = np.stack([neutral, neutral, np.full((468, 3), np.nan), smile, neutral])
    res = capture.capture_weights(
        track, np.arange(5) * 0.5, capture.CaptureOptions(smoothing=False)
    )
    assert res.valid.tolist() == [True, True, False, True, True]
    assert res.neutral_index in (0, 1, 4)
    smile_track = res.curve("mouthSmileLeft")
    assert smile_track[3] > 0.5 and 0 < smile_track[2] < smile_track[3]


def test_neutral_without_landmarks_is_an_input_error():
    track = np.full((2, 468, 3), np.nan)
    with pytest.raises(InputError):
        capture.capture_weights(track, np.array([0.0, 1.0]))


def test_one_euro_reduces_jitter_and_follows_steps():
    rng = np.random.default_rng(3)
    t = np.arange(200) / 30.0
    clean = (t > 3.0).astype(float)
    noisy = clean + rng.normal(0, 0.05, len(t))
    out = smooth(noisy[:, None], t, min_cutoff=1.0, beta=0.5)[:, 0]
    assert np.std(out[:80] - clean[:80]) < 0.5 * np.std(noisy[:80] - clean[:80])
    assert out[-1] == pytest.approx(1.0, abs=0.1)
    f = OneEuroFilter()
    assert f([1.0, 2.0], 0.0).tolist() == [1.0, 2.0]


def test_to_curveset_resamples_to_scene_frames():
    neutral = synthetic_face(np.random.default_rng(4))
    res = capture.capture_weights(np.stack([neutral, neutral]), np.array([0.0, 1.0]))
    cs = res.to_curveset(24.0)
    assert cs.n_frames == 25 and set(cs.channels) == set(capture.CAPTURE_NAMES)


def _smile_track(n: int = 4) -> np.ndarray:
    """``n`` frames of one face smiling throughout (no neutral frame in the clip)."""
    smile = synthetic_face(np.random.default_rng(5))
    smile[[61, 291], 1] -= 8
    return np.stack([smile] * n)


def test_low_neutral_scores_warn_that_weights_are_relative_to_an_expression():
    times = np.arange(4) * 0.5
    scores = np.array([0.05, 0.12, 0.08, 0.10])
    res = capture.capture_weights(
        _smile_track(), times, capture.CaptureOptions(smoothing=False), scores
    )
    assert res.neutral_index == 1
    assert len(res.warnings) == 1
    assert "No clearly neutral frame (best P(neutral) 0.12 at 0.5 s)" in res.warnings[0]
    assert "Choose a neutral frame" in res.warnings[0]


def test_neutral_warning_is_silent_for_a_clear_neutral_or_an_explicit_choice():
    times = np.arange(4) * 0.5
    clear = np.array([0.05, 0.80, 0.08, 0.10])
    low = np.array([0.05, 0.12, 0.08, 0.10])
    track = _smile_track()
    picked = capture.capture_weights(track, times, capture.CaptureOptions(), clear)
    assert picked.neutral_index == 1 and picked.warnings == ()
    chosen = capture.capture_weights(track, times, capture.CaptureOptions(neutral_index=2), low)
    assert chosen.neutral_index == 2 and chosen.warnings == ()
    assert capture.capture_weights(track, times).warnings == ()  # no scores: shape-based pick
    threshold = np.full(4, capture.NEUTRAL_SCORE_WARN)
    assert capture.capture_weights(track, times, None, threshold).warnings == ()


def test_neutral_scores_must_be_one_per_frame():
    with pytest.raises(InputError, match="neutral scores"):
        capture.capture_weights(_smile_track(), np.arange(4) * 0.5, None, np.ones(3))


def test_nan_neutral_scores_never_win():
    track = _smile_track(3)
    assert capture.pick_neutral(track, np.array([np.nan, 0.2, 0.1])) == 1


def test_jaw_drop_is_not_a_frown_but_lowered_corners_are():
    neutral = synthetic_face(np.random.default_rng(6))
    jaw = neutral.copy()
    jaw[152, 1] += 20  # chin down
    jaw[14, 1] += 15  # lower lip down: the inner-lip midpoint drops 7.5 px
    jaw[[61, 291], 1] += 6  # the corners ride along with the jaw, a bit less than the midpoint
    frown = neutral.copy()
    frown[[61, 291], 1] += 6  # the same corner drop with the lips still
    track = np.stack([neutral, jaw, frown])
    res = capture.capture_weights(
        track, np.arange(3) * 0.5, capture.CaptureOptions(0, smoothing=False)
    )
    assert res.curve("jawOpen")[1] > 0.5 and res.curve("mouthFrownLeft")[1] == 0.0
    assert res.curve("mouthFunnel")[1] == 0.0, "an open jaw without narrowed lips is no funnel"
    assert res.curve("mouthFrownLeft")[2] > 0.5 and res.curve("mouthFrownRight")[2] > 0.5
    assert res.curve("jawOpen")[2] == 0.0


def test_weights_are_the_signals_through_their_ranges():
    neutral = synthetic_face(np.random.default_rng(7))
    face = neutral.copy()
    face[[107, 55, 336, 285], 1] -= 3  # inner brows up
    a = capture.to_face_coords(face, neutral)
    b = capture.to_face_coords(neutral, neutral)
    signal = capture.expression_signals(a, b)["browInnerUp"]
    weight = capture.expression_weights(a, b)["browInnerUp"]
    expected = (signal / capture._RANGES["brow_up"] - capture.DEADZONE) / (1 - capture.DEADZONE)
    assert signal > 0 and weight == pytest.approx(np.clip(expected, 0, 1))
    assert set(capture.CAPTURE_RULES) == set(capture.CAPTURE_NAMES)
    assert set(capture.CAPTURE_RULES.values()) <= set(capture._RANGES)
