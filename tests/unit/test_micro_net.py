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


class _PatchReader(MicroNet):
    """A stand-in for the exported network with the same input and output layout: it reads the
    brightness of the frame's centre patch (the drawn burst) from the preprocessed windows, so
    the sliding-window path (layout, time mapping, merging, micro rule) runs on real frames."""

    def __init__(self) -> None:
        self.spec = ClipSpec(frames=16, size=16, mean=(0.0,) * 3, std=(1.0,) * 3, reference="none")
        self.aus, self.labels = ("AU12",), ("happiness", "surprise")

    def run(self, batch: np.ndarray) -> np.ndarray:
        rows = []
        for clip in batch:
            level = clip[:, :, 6:10, 6:10].mean(axis=(0, 2, 3)) - 0.4  # (T,) above the grey
            peak = float(level.max())
            on = np.flatnonzero(level > 0.5 * peak) if peak > 0.05 else np.array([0, 15])
            times = np.array([on[0], int(np.argmax(level)), on[-1]]) / 15.0
            present = float(peak > 0.05)
            rows.append([*times, present, 0.9 * present + 0.05, 0.1])
        return np.array(rows, dtype=np.float32)


def test_sliding_windows_find_known_bursts_in_a_long_clip():
    from facial_affect_addon.core.micro_spot import BurstKind
    from facial_affect_addon.ml.micro_net import WindowOptions

    fps, n = 25.0, 250
    frames = np.full((n, 32, 32, 3), 102, np.uint8)
    truth = [(1.0, 1.2), (4.0, 4.32), (7.0, 8.4)]  # two micro bursts, one 1.4 s (macro) event
    for on, off in truth:
        for i in range(round(on * fps), round(off * fps) + 1):
            u = (i / fps - on) / (off - on)
            frames[i, 12:20, 12:20] = 102 + int(150 * min(u, 1 - u, 0.3) / 0.3)
    found = _PatchReader().spot_clip(frames, fps, WindowOptions(stride=4))
    micro = [b for b in found if b.kind is BurstKind.MICRO]
    assert len(micro) == 2, found
    for burst, (on, off) in zip(micro, truth[:2], strict=True):
        assert abs(burst.onset - on) <= 0.1 and abs(burst.offset - off) <= 0.1
        assert burst.emotion == "happiness" and burst.active_aus() == ("AU12",)
    assert not any(7.0 <= b.apex <= 8.4 for b in micro)  # the long event is not micro
