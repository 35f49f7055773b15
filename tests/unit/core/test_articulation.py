"""The speech articulation layer: syllable rhythm on the mouth AUs, only while speaking."""

from __future__ import annotations

import numpy as np
import pytest

from facial_affect_addon.core.articulation import (
    ARTICULATION_CHANNELS,
    ArticulationOptions,
    articulation_track,
)
from facial_affect_addon.core.emotions import EmotionWeights
from facial_affect_addon.core.errors import InputError
from facial_affect_addon.core.rig_tables import ARKIT_52
from facial_affect_addon.core.synthesis import single_event_timeline, synthesize


def _track(spans, seed=0, **opts):
    return articulation_track(spans, 10.0, ArticulationOptions(**opts), np.random.default_rng(seed))


def test_no_speech_no_layer():
    assert _track([]) is None
    assert _track([(1.0, 1.01)]) is None  # too short to articulate


def test_one_opening_per_syllable_and_closed_at_the_ends():
    track = _track([(1.0, 3.0)], syllables_per_s=4.0)
    t = np.arange(0.0, 4.0, 1 / 240)
    jaw = track.evaluate(t)[:, ARTICULATION_CHANNELS.index("AU26")]
    peaks = np.flatnonzero((jaw[1:-1] > jaw[:-2]) & (jaw[1:-1] >= jaw[2:]) & (jaw[1:-1] > 0.05))
    assert len(peaks) == 8  # 2 s at 4 syllables per second
    assert np.all(jaw[t <= 1.0] < 1e-9) and np.all(jaw[t >= 3.0] < 1e-9)
    assert jaw.min() >= 0.0 and jaw.max() <= 1.0


def test_seeded_and_reproducible():
    a = _track([(0.5, 2.0), (2.5, 4.0)], seed=3)
    b = _track([(0.5, 2.0), (2.5, 4.0)], seed=3)
    c = _track([(0.5, 2.0), (2.5, 4.0)], seed=4)
    np.testing.assert_array_equal(a.values, b.values)
    assert not np.array_equal(a.values, c.values)


@pytest.mark.parametrize("spans", [[(2.0, 1.0)], [(0.0, 2.0), (1.0, 3.0)], [(np.nan, 1.0)]])
def test_bad_spans_are_rejected(spans):
    with pytest.raises(InputError, match="sorted and non-overlapping"):
        _track(spans)


def test_bad_options_are_rejected():
    with pytest.raises(InputError, match="Syllable rate"):
        ArticulationOptions(syllables_per_s=0.0)


def test_synthesize_moves_the_jaw_only_while_speaking():
    timeline = single_event_timeline(EmotionWeights.pure("sadness"), 3.0)  # no jaw AUs
    kwargs = {"fps": 24.0, "n_frames": 96, "life": False}
    silent = synthesize(timeline, ARKIT_52, **kwargs)
    talking = synthesize(timeline, ARKIT_52, speech=[(0.5, 2.5)], **kwargs)
    t = np.arange(96) / 24.0
    jaw = talking.channels["jawOpen"]
    assert np.ptp(silent.channels["jawOpen"]) < 1e-9
    assert jaw[(t > 0.5) & (t < 2.5)].max() > 0.1
    assert np.all(jaw[(t < 0.45) | (t > 2.55)] < 1e-6)
    # the emotion is untouched by talking: the frown is the same curve
    np.testing.assert_allclose(
        talking.channels["mouthFrownLeft"], silent.channels["mouthFrownLeft"], atol=1e-12
    )
