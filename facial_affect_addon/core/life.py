"""The "life" layer: spontaneous blinks and subtle left/right asymmetry, seeded and reproducible.

**Blinks.** Adults at rest blink about 17 times a minute, more in conversation (about 26 a
minute) and less while reading (Bentivoglio et al. 1997, Movement Disorders 12). A blink closes
fast and opens slowly, some 100-400 ms in all. We draw inter-blink intervals from a gamma
distribution (shape 2, which gives the skewed distribution observed, with few very short
intervals) above a refractory minimum, and shape each blink as close - brief hold - open on the
AU45 channels of both eyes.

**Asymmetry.** Spontaneous expressions are rarely perfectly symmetric. Each event gets a small
random left/right gain ``1 +- a`` on its sided AU channels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .curves import KeyframeTrack
from .errors import InputError
from .facs import AU_CHANNELS, CHANNEL_INDEX

BLINK_CHANNELS: tuple[str, str] = ("AU45_L", "AU45_R")
_LEFT = np.array([ch.endswith("_L") for ch in AU_CHANNELS])
_RIGHT = np.array([ch.endswith("_R") for ch in AU_CHANNELS])


@dataclass(frozen=True)
class LifeOptions:
    """Options of the life layer.

    Attributes:
        blink_rate_per_minute: Mean blink rate (0 disables blinks).
        blink_close: Closing time, seconds.
        blink_hold: Time fully closed, seconds.
        blink_open: Opening time, seconds.
        min_interval: Refractory minimum between blink starts, seconds.
        asymmetry: Max relative left/right gain difference per event (0 disables).

    Raises:
        InputError: On negative or non-finite values, or an asymmetry of 1 or more.
    """

    blink_rate_per_minute: float = 17.0
    blink_close: float = 0.08
    blink_hold: float = 0.04
    blink_open: float = 0.16
    min_interval: float = 0.6
    asymmetry: float = 0.06

    def __post_init__(self) -> None:
        for name in ("blink_rate_per_minute", "blink_hold", "min_interval", "asymmetry"):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0:
                raise InputError(f"Life option {name} must be a non-negative number, got {value}.")
        for name in ("blink_close", "blink_open"):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 1e-3:
                raise InputError(f"Life option {name} must be at least 1 ms, got {value}.")
        if self.asymmetry >= 1:
            raise InputError("Life asymmetry must be below 1 (it is a relative gain).")
        if self.min_interval <= self.blink_duration:
            raise InputError("min_interval must be longer than one blink.")

    @property
    def blink_duration(self) -> float:
        """Total blink length in seconds."""
        return self.blink_close + self.blink_hold + self.blink_open


def blink_starts(t_end: float, options: LifeOptions, rng: np.random.Generator) -> np.ndarray:
    """Seeded blink start times in ``[0, t_end)`` seconds."""
    if options.blink_rate_per_minute <= 0 or t_end <= 0:
        return np.zeros(0)
    mean = 60.0 / options.blink_rate_per_minute
    extra = max(mean - options.min_interval, 1e-3)
    n = int(t_end / max(options.min_interval, 1e-3)) + 2
    gaps = options.min_interval + rng.gamma(2.0, extra / 2.0, size=n)
    starts = rng.uniform(0.0, mean) + np.concatenate([[0.0], np.cumsum(gaps[:-1])])
    return starts[starts < t_end]


def blink_track(t_end: float, options: LifeOptions, rng: np.random.Generator) -> KeyframeTrack:
    """Keyframes of the blink layer on :data:`BLINK_CHANNELS` (a (K, 2) ``"smooth"`` track)."""
    starts = blink_starts(t_end, options, rng)
    amp = rng.uniform(0.85, 1.0, size=len(starts))  # some blinks are incomplete
    offsets = np.array(
        [0.0, options.blink_close, options.blink_close + options.blink_hold, options.blink_duration]
    )
    levels = np.array([0.0, 1.0, 1.0, 0.0])
    if options.blink_hold <= 0:
        offsets, levels = offsets[[0, 1, 3]], levels[[0, 1, 3]]
    times = (starts[:, None] + offsets[None, :]).ravel()
    values = (amp[:, None] * levels[None, :]).ravel()
    times = np.concatenate(
        [
            [min(0.0, times[0] if len(times) else 0.0) - 1.0],
            times,
            [max(t_end, times[-1] if len(times) else 0.0) + 1.0],
        ]
    )
    values = np.concatenate([[0.0], values, [0.0]])
    return KeyframeTrack(times, np.repeat(values[:, None], 2, axis=1), "smooth")


def blink_layer(track: KeyframeTrack, times: np.ndarray) -> np.ndarray:
    """The blink track rendered into full (len(times), C) AU channel arrays."""
    out = np.zeros((len(times), len(AU_CHANNELS)))
    cols = [CHANNEL_INDEX[c] for c in BLINK_CHANNELS]
    out[:, cols] = track.evaluate(times)
    return out


def asymmetry_gains(n_events: int, amount: float, rng: np.random.Generator) -> np.ndarray:
    """Per-event channel gains (E, C): sided channels get ``1 + a`` (left) and ``1 - a`` (right)."""
    a = rng.uniform(-amount, amount, size=n_events) if amount > 0 else np.zeros(n_events)
    gains = np.ones((n_events, len(AU_CHANNELS)))
    gains[:, _LEFT] += a[:, None]
    gains[:, _RIGHT] -= a[:, None]
    return gains
