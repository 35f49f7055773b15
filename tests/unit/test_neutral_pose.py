"""The automatic neutral frame avoids a turned head (issue 18 follow-up, core/neutral_pose.py)."""

from __future__ import annotations

import numpy as np

from facial_affect_addon.core import capture
from facial_affect_addon.core.head_pose import RIGID_POINTS, orthographic_rotation, subject_angles
from facial_affect_addon.core.neutral_pose import pose_offsets

from .landmark_fixtures import synthetic_face


def _head(seed: int = 3) -> np.ndarray:
    """The synthetic mesh given real depth (a head is ~as deep as it is wide)."""
    rng = np.random.default_rng(seed)
    face = synthetic_face(rng)
    face[:, 2] = rng.uniform(-40, 40, len(face))
    return face


def _turned(face: np.ndarray, yaw_deg: float, rng: np.random.Generator) -> np.ndarray:
    """``face`` rotated about the vertical axis through its centre, plus 0.3 px jitter."""
    a = np.radians(yaw_deg)
    rot = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    centre = face.mean(0)
    return (face - centre) @ rot.T + centre + rng.normal(0, 0.3, face.shape)


def _clip(yaws: list[float]) -> np.ndarray:
    rng = np.random.default_rng(11)
    head = _head()
    return np.stack([_turned(head, y, rng) for y in yaws])


def test_the_fixture_turn_reads_as_a_turn():
    track = _clip([0.0, 25.0])
    idx = list(RIGID_POINTS)
    yaw = subject_angles(orthographic_rotation(track[0][idx], track[1][idx]))[1]
    assert 20 < abs(yaw) < 30
    assert pose_offsets(track, np.arange(2), 0).max() > 10  # median of two: half the turn


def test_a_turned_most_neutral_frame_gives_way_to_an_upright_one():
    track = _clip([0.0, 2.0, 25.0, -1.0, 1.0])
    scores = np.array([0.50, 0.55, 0.62, 0.58, 0.40])  # the turned frame scores best
    assert capture.pick_neutral(track, scores) == 3  # best of the upright candidates
    result = capture.capture_weights(track, np.arange(5) * 0.25, None, scores)
    assert result.neutral_index == 3


def test_an_upright_best_frame_is_kept_and_a_clearly_better_turned_one_too():
    track = _clip([0.0, 2.0, 25.0, -1.0, 1.0])
    assert capture.pick_neutral(track, np.array([0.5, 0.7, 0.62, 0.58, 0.4])) == 1
    # Far more neutral than every upright frame (beyond the 0.1 margin): no candidate but itself.
    assert capture.pick_neutral(track, np.array([0.2, 0.3, 0.9, 0.25, 0.1])) == 2


def test_when_every_candidate_is_off_the_median_pose_the_nearest_wins():
    # The head is turned most of the clip; the two candidates are frontal and half-turned.
    track = _clip([30.0, 28.0, 0.0, 31.0, 15.0])
    scores = np.array([0.1, 0.1, 0.6, 0.1, 0.55])
    assert capture.pick_neutral(track, scores) == 4
