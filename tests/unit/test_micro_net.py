"""ml.micro_net without torch: TIM resampling, clip preprocessing, and the missing-model path.

The exported model itself is checked against torch in tests/train/test_train_micro.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from facial_affect_addon.core.errors import InputError, ModelError
from facial_affect_addon.ml.micro_net import (
    ClipSpec,
    MicroNet,
    model_status,
    preprocess_clip,
    tim_resample,
)
from facial_affect_addon.pipeline.models import micro_model_note


def test_tim_keeps_every_frame_and_both_ends():
    clip = np.random.default_rng(0).random((11, 3, 2))
    np.testing.assert_allclose(tim_resample(clip, 11), clip, atol=1e-5)
    np.testing.assert_allclose(tim_resample(clip, 21)[::2], clip, atol=1e-5)
    short = tim_resample(clip, 4)
    np.testing.assert_allclose(short[[0, -1]], clip[[0, -1]], atol=1e-5)


def test_tim_follows_a_smooth_motion_when_shortening_and_lengthening():
    t = np.linspace(0.0, 1.0, 37)
    motion = np.sin(np.pi * t)[:, None]
    for length in (16, 60):
        out = tim_resample(motion, length)[:, 0]
        assert np.abs(out - np.sin(np.pi * np.linspace(0, 1, length))).max() < 0.01


def test_tim_refuses_empty_clips():
    with pytest.raises(InputError):
        tim_resample(np.zeros((0, 4)), 16)
    assert tim_resample(np.ones((1, 2)), 3).shape == (3, 2)


def test_preprocess_gives_a_motion_clip_of_the_spec():
    spec = ClipSpec(frames=16, size=32, mean=(0.5,) * 3, std=(0.25,) * 3, reference="first")
    frames = np.zeros((9, 48, 64, 3), np.uint8)
    frames[4:, 10:20, 10:20] = 255
    x = preprocess_clip(frames, spec)
    assert x.shape == (3, 16, 32, 32) and x.dtype == np.float32
    assert np.all(x[:, 0] == 0) and x[:, -1].max() > 3.0  # relative to the first frame
    assert ClipSpec.from_meta(spec.to_meta()) == spec


def test_missing_model_is_said_not_raised_on_the_default_path(tmp_path):
    assert "training-free spotter is used" in model_status(tmp_path / "micro.onnx")
    name, note = micro_model_note()
    assert name.startswith("Micro-expressions:") and note
    with pytest.raises(ModelError, match="training-free spotter"):
        MicroNet(tmp_path / "micro.onnx")
