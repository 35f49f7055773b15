"""The one linear resampler: samples at arbitrary times onto other times, and gap filling.

Every place that moves values between time bases uses these two functions: a video's or a
live session's samples onto scene frames, a curve set onto another frame rate, Live Link
timecodes onto a regular grid, and the gaps (frames without a face, NaN samples) inside a
track. Values before the first and after the last sample are held, never extrapolated.
"""

from __future__ import annotations

import numpy as np


def frame_grid(duration_s: float, fps: float) -> np.ndarray:
    """Times of the frames ``0, 1/fps, ...`` up to and including ``duration_s`` (at least one).

    A frame that lands on ``duration_s`` within floating-point noise is kept.
    """
    n = max(1, int(np.floor(float(duration_s) * fps + 1e-9)) + 1)
    return np.arange(n) / fps


def sample_linear(times: np.ndarray, values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Values at ``at`` by linear interpolation between ``(times, values)`` samples.

    Args:
        times: (n,) increasing sample times.
        values: (n,) or (n, C) samples.
        at: (m,) times to evaluate.

    Returns:
        (m,) or (m, C) values; held flat before the first and after the last sample.
    """
    t = np.asarray(times, dtype=float)
    v = np.asarray(values, dtype=float)
    at = np.asarray(at, dtype=float)
    if v.ndim == 1:
        return np.interp(at, t, v)
    out = np.empty((len(at), v.shape[1]))
    for k in range(v.shape[1]):
        out[:, k] = np.interp(at, t, v[:, k])
    return out


def fill_gaps(
    values: np.ndarray, valid: np.ndarray, positions: np.ndarray | None = None
) -> np.ndarray:
    """Replace the invalid samples of a track by interpolating the valid ones.

    Args:
        values: (n,) or (n, C) samples; invalid rows may hold anything (NaN...).
        valid: (n,) booleans, at least one True.
        positions: (n,) times of the samples (default: their indices).

    Returns:
        A new array; invalid samples interpolated between their valid neighbours and held at
        the ends.
    """
    v = np.asarray(values, dtype=float)
    valid = np.asarray(valid, dtype=bool)
    if valid.all():
        return v.copy()
    pos = np.arange(len(v), dtype=float) if positions is None else np.asarray(positions, float)
    return sample_linear(pos[valid], v[valid], pos)
