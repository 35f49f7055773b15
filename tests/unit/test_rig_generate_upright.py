"""pipeline.rig_generate: a face found whatever the roll of its render (issue 14, any head)."""

from __future__ import annotations

import numpy as np
import pytest

from facial_affect_addon.pipeline.rig_generate import (
    frontality,
    unrotate_pixels,
    upright_landmarks,
)

from .video_fixtures import astronaut_rgb


@pytest.mark.parametrize("shape", [(40, 40), (30, 50)])
def test_unrotate_pixels_undoes_numpy_quarter_turns(shape):
    rng = np.random.default_rng(0)
    for turns in range(-1, 6):
        image = np.zeros(shape)
        rows, cols = rng.integers(0, shape[0], 5), rng.integers(0, shape[1], 5)
        image[rows, cols] = np.arange(1, 6)
        turned = np.rot90(image, turns)
        found = [np.argwhere(turned == k)[0] for k in range(1, 6)]
        points = np.array([(c + 0.5, r + 0.5) for r, c in found])  # (x, y), pixel centres
        back = unrotate_pixels(points, turns, shape)
        np.testing.assert_allclose(back, np.c_[cols + 0.5, rows + 0.5], err_msg=str(turns))


def test_the_face_is_found_upright_in_every_quarter_turn():
    rgb = astronaut_rgb()
    upright = upright_landmarks(rgb)
    assert upright is not None and upright[1] > 0.5
    span = np.linalg.norm(upright[0][263] - upright[0][33])
    for turns in (1, 2, 3):
        found = upright_landmarks(np.ascontiguousarray(np.rot90(rgb, turns)))
        assert found is not None, turns
        # back on the turned image's own pixels, the points sit where the turned face is
        expected = _turn(upright[0], turns, rgb.shape[:2])
        err = np.median(np.linalg.norm(found[0] - expected, axis=1))
        assert err < 0.1 * span, turns
    assert frontality(upright[0]) == pytest.approx(upright[1])


def _turn(points: np.ndarray, turns: int, size: tuple[int, int]) -> np.ndarray:
    """Points on an image -> the same points on ``np.rot90(image, turns)`` (forward map)."""
    out = np.asarray(points, dtype=np.float64)
    height, width = size
    for step in range(turns % 4):
        w = width if step % 2 == 0 else height
        out = np.stack([out[:, 1], w - out[:, 0]], axis=1)
    return out
