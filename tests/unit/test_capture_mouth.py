"""The capture's upper-lip raise (AU10, issue 11): read apart from a smile, per side."""

from __future__ import annotations

import numpy as np
import pytest

from facial_affect_addon.core import capture

from .landmark_fixtures import synthetic_face

UPPER_LIP_L, UPPER_LIP_R = (267, 269), (37, 39)
CORNER_L, CORNER_R = 291, 61


def _iod(pts: np.ndarray) -> float:
    return capture._face_frame(pts)[2]


def _weights(neutral: np.ndarray, expr: np.ndarray) -> dict[str, float]:
    angle = np.radians(-7.0)  # the frame is also turned, scaled and moved: head motion
    rot = np.array(
        [[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]]
    )
    moved = 1.2 * expr @ rot.T + np.array([15.0, -9.0, 0.0])
    options = capture.CaptureOptions(0, smoothing=False, head_rotation=False)
    res = capture.capture_weights(np.stack([neutral, moved]), np.array([0.0, 0.1]), options)
    return dict(zip(res.names, res.weights[1].tolist(), strict=True))


@pytest.fixture
def neutral() -> np.ndarray:
    return synthetic_face(np.random.default_rng(11))


def test_upper_lip_raised_with_still_corners_reads_as_upper_lip_up(neutral):
    expr = neutral.copy()
    expr[[0, *UPPER_LIP_L, *UPPER_LIP_R], 1] -= 0.08 * _iod(neutral)  # y points down
    w = _weights(neutral, expr)
    assert w["mouthUpperUpLeft"] > 0.7 and w["mouthUpperUpRight"] > 0.7
    assert w["mouthSmileLeft"] == 0.0 and w["mouthSmileRight"] == 0.0


def test_a_one_sided_raise_reads_on_that_side(neutral):
    expr = neutral.copy()
    expr[list(UPPER_LIP_L), 1] -= 0.08 * _iod(neutral)
    w = _weights(neutral, expr)
    assert w["mouthUpperUpLeft"] > 0.5
    assert w["mouthUpperUpRight"] < 0.2


def test_a_smile_lifting_the_lip_less_than_the_corners_is_no_upper_lip_raise(neutral):
    iod = _iod(neutral)
    expr = neutral.copy()
    expr[[CORNER_L, CORNER_R], 1] -= 0.12 * iod
    expr[CORNER_L, 0] += 0.08 * iod
    expr[CORNER_R, 0] -= 0.08 * iod
    expr[[0, *UPPER_LIP_L, *UPPER_LIP_R], 1] -= 0.05 * iod
    w = _weights(neutral, expr)
    assert w["mouthSmileLeft"] > 0.5 and w["mouthSmileRight"] > 0.5
    assert w["mouthUpperUpLeft"] == 0.0 and w["mouthUpperUpRight"] == 0.0


def test_the_upper_lip_range_is_in_the_rule_table():
    assert capture.CAPTURE_RULES["mouthUpperUpLeft"] == "upper_lip"
    assert len(capture.CAPTURE_NAMES) == 24
    assert set(capture.CAPTURE_RULES) == set(capture.CAPTURE_NAMES)
