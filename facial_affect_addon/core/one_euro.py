"""The One-Euro filter (Casiez, Roussel & Vogel, CHI 2012) for jittery tracking signals.

A low-pass filter whose cutoff rises with the signal's speed: slow movements (tracking noise
around a held expression) are smoothed hard, fast ones (a blink, a jaw drop) pass with little lag.
Works on arrays: every column is filtered independently with the same parameters.
"""

from __future__ import annotations

import math

import numpy as np


def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray | float:
    tau = 1.0 / (2.0 * math.pi * np.asarray(cutoff))
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """Streaming One-Euro filter over vectors.

    Args:
        min_cutoff: Cutoff (Hz) at rest; lower = smoother, more lag.
        beta: How fast the cutoff grows with speed; higher = less lag on fast moves.
        d_cutoff: Cutoff (Hz) of the speed estimate.
    """

    def __init__(self, min_cutoff: float = 1.0, beta: float = 0.5, d_cutoff: float = 1.0) -> None:
        self.min_cutoff, self.beta, self.d_cutoff = min_cutoff, beta, d_cutoff
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t: float | None = None

    def reset(self) -> None:
        """Forget the history (e.g. after a cut in the video)."""
        self._x = self._dx = self._t = None

    def __call__(self, x, t: float) -> np.ndarray:
        """Filter one sample ``x`` taken at time ``t`` (seconds, increasing)."""
        x = np.asarray(x, dtype=float)
        if self._x is None or self._t is None or t <= self._t:
            self._x, self._dx, self._t = x.copy(), np.zeros_like(x), t
            return x.copy()
        dt = t - self._t
        dx = (x - self._x) / dt
        self._dx = self._dx + _alpha(self.d_cutoff, dt) * (dx - self._dx)
        cutoff = self.min_cutoff + self.beta * np.abs(self._dx)
        self._x = self._x + _alpha(cutoff, dt) * (x - self._x)
        self._t = t
        return self._x.copy()


def smooth(values: np.ndarray, times: np.ndarray, **params: float) -> np.ndarray:
    """One-Euro filter a whole (n, k) track sampled at ``times``; returns a new array."""
    values = np.asarray(values, dtype=float)
    f = OneEuroFilter(**params)
    return np.array([f(v, float(t)) for v, t in zip(values, times, strict=True)]).reshape(
        values.shape
    )
