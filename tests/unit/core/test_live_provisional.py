"""The provisional face's numpy pieces: mouth follower, frame pitch, arousal, carried emotion."""

from __future__ import annotations

import math

import numpy as np
import pytest

from facial_affect_addon.core.emotions import EmotionWeights
from facial_affect_addon.core.live_provisional import (
    MouthFollower,
    ProsodyMeter,
    ProvisionalSettings,
    frame_pitch_hz,
    provisional_emotion,
)

RATE = 16000


def _voice(f0: float, n: int = 480) -> np.ndarray:
    """A buzzy vowel-like frame: five harmonics of ``f0``."""
    t = np.arange(n) / RATE
    return sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 6)).astype(np.float32)


@pytest.mark.parametrize("f0", [90.0, 150.0, 240.0])
def test_frame_pitch_finds_a_voice_and_not_noise(f0):
    assert frame_pitch_hz(_voice(f0), RATE) == pytest.approx(f0, rel=0.03)
    noise = np.random.default_rng(1).standard_normal(480)
    assert math.isnan(frame_pitch_hz(noise, RATE))
    assert math.isnan(frame_pitch_hz(np.zeros(480), RATE))


def test_the_mouth_opens_with_loud_frames_and_closes_below_the_threshold():
    mouth = MouthFollower()
    levels = [-60, -15, -15, -15, -30, -15, -60, -60, -60, -60, -60, -60]
    values = [mouth.step(level, -50.0) for level in levels]
    assert values[0] == 0.0 and values[3] > 0.9  # fast attack to the voice's peak
    assert values[4] < values[3] and values[5] > values[4]  # follows a syllable dip
    assert values[-1] == 0.0  # released below the voice threshold


def test_arousal_rises_with_a_louder_wider_voice_than_usual():
    meter = ProsodyMeter()
    for i in range(30):
        meter.add(-25.0, 150.0 * 2 ** ((i % 5 - 2) * 1.4 / 12))  # a usual 2-semitone spread
    calm = meter.arousal()
    meter.end_utterance()
    for i in range(30):
        meter.add(-15.0, 150.0 * 2 ** ((i % 10) * 1.5 / 12))  # 10 dB louder, over an octave
    assert calm == pytest.approx(0.5, abs=0.05) and meter.arousal() > calm + 0.3


def test_the_provisional_emotion_is_the_last_one_weaker_and_none_without_one():
    anger = EmotionWeights.pure("anger")
    nothing = provisional_emotion(None, 0.9)
    assert nothing.intensity == 0.0 and nothing.source == "none"
    calm, aroused = provisional_emotion((anger, 0.8), 0.0), provisional_emotion((anger, 0.8), 1.0)
    assert calm.weights == anger and calm.source == "carried"
    assert 0.0 < calm.intensity < aroused.intensity <= 0.8
    with pytest.raises(ValueError):
        ProvisionalSettings(carry=0.0)
