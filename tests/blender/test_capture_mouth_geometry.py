"""The capture's upper-lip rule (AU10) on the demo head's own keys, geometry path, in real Blender.

``tools/validate_capture.py`` poses each key alone and projects vertices 0-467 (the landmarks)
with the scene camera; no render, so no face model is needed. ``mouthUpperUp``'s range (0.079)
was fitted here, so a full key must read about 1 and half a key mid-range, while a smile (which
lifts the corners more than the lip) must not read as an upper-lip raise, nor the raise as a
smile. The render path does not follow this key on the textureless head (it moves the corner
with the lip, reading about 0): that is documented in ``core/capture.py``, not tested here.
"""

from __future__ import annotations

import pytest

from .conftest import reset_scene
from .helpers import validate_capture_on_demo_head

KEYS = ("mouthUpperUpLeft", "mouthSmileLeft")
LEVELS = (0.5, 1.0)


@pytest.fixture(scope="module")
def geometry():
    """Per-key measures of the geometry path."""
    vc = validate_capture_on_demo_head()
    raw = vc.measure(KEYS, LEVELS, render=False)
    yield raw["geometry"]["keys"]
    reset_scene()


def test_upper_lip_raise_reads_in_proportion(geometry):
    half, full = geometry["mouthUpperUpLeft"].weights
    assert full["mouthUpperUpLeft"] > 0.8
    assert 0.3 < half["mouthUpperUpLeft"] < 0.75
    assert full["mouthUpperUpRight"] < 0.25  # the key lifts mostly its own side
    assert full["mouthSmileLeft"] == 0.0 and full["mouthSmileRight"] == 0.0


def test_a_smile_is_no_upper_lip_raise(geometry):
    _, full = geometry["mouthSmileLeft"].weights
    assert full["mouthSmileLeft"] > 0.8
    assert full["mouthUpperUpLeft"] == 0.0 and full["mouthUpperUpRight"] == 0.0
