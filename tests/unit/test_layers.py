"""pipeline.layers: a performance's curves as exact additive layers."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from facial_affect_addon.core.emotions import EmotionWeights
from facial_affect_addon.core.micro import MicroBurst
from facial_affect_addon.core.rig_tables import ARKIT_52
from facial_affect_addon.core.timeline import Timeline
from facial_affect_addon.pipeline.curves import performance_curves
from facial_affect_addon.pipeline.layers import Layer, bake_layers_for, layer_curves
from facial_affect_addon.pipeline.options import PerformanceOptions, SynthesisOptions
from facial_affect_addon.pipeline.performance import Segment
from facial_affect_addon.pipeline.text import performance_from_weights


def _spoken(seconds: float = 3.0, bursts=()):
    """A happy performance with a spoken line over its middle (so speech articulates)."""
    perf = performance_from_weights(EmotionWeights.pure("happiness"), seconds)
    line = Segment(0.5, seconds - 0.5, "hello there my friend", perf.weights, 0.8, "test")
    timeline = Timeline(perf.timeline.events, tuple(bursts))
    return replace(perf, segments=(line,), timeline=timeline)


def _options(**synth) -> PerformanceOptions:
    base = {"fps": 24.0, "frame_start": 1, "micro": True, "life": True, "seed": 7}
    return PerformanceOptions(synthesis=SynthesisOptions(**{**base, **synth}))


def test_layers_sum_to_the_single_action_curves():
    perf, options = _spoken(), _options()
    split = layer_curves(perf, ARKIT_52, options)
    single = performance_curves(perf, ARKIT_52, options)
    assert [lay.layer for lay in split.layers] == list(Layer)
    assert set(split.full.channels) == set(single.channels)
    summed = split.summed()
    for name, values in single.channels.items():
        np.testing.assert_allclose(summed.channels[name], values, atol=1e-12, err_msg=name)
    n = single.n_frames
    assert all(lay.curves.n_frames == n for lay in split.layers)


def test_each_layer_holds_only_its_part():
    perf, options = _spoken(), _options()
    layers = {
        lay.layer: lay.curves.channels for lay in layer_curves(perf, ARKIT_52, options).layers
    }
    quiet = replace(options.synthesis, micro=False, life=False)
    emotion = performance_curves(
        perf, ARKIT_52, replace(options, articulate=False, synthesis=quiet)
    )
    for name, values in emotion.channels.items():
        np.testing.assert_array_equal(layers[Layer.EMOTION][name], values)
    assert "jawOpen" in layers[Layer.SPEECH]  # the line moves the jaw
    assert "eyeBlinkLeft" in layers[Layer.LIFE]  # blinks
    assert "eyeBlinkLeft" not in layers[Layer.SPEECH]


def test_authored_bursts_go_to_the_micro_layer_not_the_emotion():
    burst = MicroBurst(
        start=1.0, duration=0.3, apex=(("AU4_L", 0.8), ("AU4_R", 0.8)), emotion="anger"
    )
    perf = _spoken(bursts=(burst,))
    options = _options(micro=False)
    layers = {lay.layer: lay for lay in layer_curves(perf, ARKIT_52, options).layers}
    plain = {lay.layer: lay for lay in layer_curves(_spoken(), ARKIT_52, options).layers}
    assert Layer.MICRO in layers and Layer.MICRO not in plain
    for name, values in plain[Layer.EMOTION].curves.channels.items():
        np.testing.assert_array_equal(layers[Layer.EMOTION].curves.channels[name], values)


def test_zero_layers_are_left_out_and_presets_bake_from_the_choice():
    options = _options(micro=False, life=False, n_frames=48)
    perf, split = bake_layers_for(None, EmotionWeights.pure("sadness"), ARKIT_52, options)
    assert [lay.layer for lay in split.layers] == [Layer.EMOTION]  # no words, no bursts, no life
    assert split.full.n_frames == 48 and perf.duration_s == pytest.approx(2.0)
