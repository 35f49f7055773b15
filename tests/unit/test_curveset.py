"""CurveSet validation and sparse key selection (pure numpy, no Blender)."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from facial_affect_addon.core.curveset import CurveSet, hermite_segment, sparse_keys
from facial_affect_addon.core.errors import InputError


def _playback(values, tolerance):
    """Evaluate the Hermite segments between the chosen keys, as Blender plays them back."""
    idx, slopes = sparse_keys(values, tolerance)
    out = np.empty(len(values))
    out[idx[0]] = values[idx[0]]
    for (a, b), (ma, mb) in zip(pairwise(idx), pairwise(slopes), strict=True):
        out[a : b + 1] = hermite_segment(values[a], values[b], ma, mb, b - a)
    return idx, out


def test_hermite_segment_hits_ends_and_slopes():
    seg = hermite_segment(0.2, 0.8, 0.0, 0.0, 10)
    assert seg[0] == pytest.approx(0.2) and seg[-1] == pytest.approx(0.8)
    assert seg[1] - seg[0] < 0.02  # flat start
    line = hermite_segment(0.0, 1.0, 0.1, 0.1, 10)
    np.testing.assert_allclose(line, np.linspace(0, 1, 11), atol=1e-12)


def test_sparse_keys_keep_ends_and_extrema_and_stay_within_tolerance():
    t = np.arange(1000) / 24.0
    values = 0.5 + 0.4 * np.sin(t) * np.exp(-t / 30)
    idx, playback = _playback(values, 0.005)
    assert idx[0] == 0 and idx[-1] == 999
    peak = int(np.argmax(values))
    assert peak in idx
    assert len(idx) < 100
    assert np.abs(playback - values).max() <= 0.005 + 1e-12


def test_sparse_keys_of_a_constant_are_its_two_ends():
    idx, slopes = sparse_keys(np.full(500, 0.3), 0.01)
    assert idx.tolist() == [0, 499]
    assert slopes.tolist() == [0.0, 0.0]


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, st.integers(3, 300), elements=st.floats(0, 1)),
    st.sampled_from([0.001, 0.01, 0.05]),
)
def test_sparse_playback_never_exceeds_tolerance(values, tolerance):
    _, playback = _playback(values, tolerance)
    assert np.all(np.isfinite(playback))
    assert np.abs(playback - values).max() <= tolerance + 1e-9


def test_validated_rejects_mismatched_lengths():
    with pytest.raises(InputError, match="same length"):
        CurveSet(1, 24.0, {"a": np.zeros(3), "b": np.zeros(4)}).validated()


def test_validated_rejects_bad_fps():
    with pytest.raises(InputError, match="Frame rate"):
        CurveSet(1, 0.0, {"a": np.zeros(3)}).validated()


def test_validated_drops_all_nan_channels_with_warning():
    cs = CurveSet(1, 24.0, {"a": np.full(3, np.nan), "b": np.ones(3)}).validated()
    assert list(cs.channels) == ["b"]
    assert any("'a'" in w for w in cs.warnings)
    assert cs.frame_end == 3
