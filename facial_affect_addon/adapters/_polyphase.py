"""Polyphase FIR resampling by a rational factor ``up / down`` (numpy only).

The same filter and alignment as ``scipy.signal.resample_poly`` with its defaults (Kaiser window,
beta 5.0, zero padding), so that the extension need not bundle scipy (issue 12); the unit tests
compare the two. The low-pass filter is a windowed sinc with ``2 * half_len + 1`` taps,
``half_len = 10 * max(up, down)`` and cutoff ``1 / max(up, down)`` of Nyquist (scipy's
``firwin(..., window=("kaiser", 5.0))``), normalised to unit DC gain and scaled by ``up``.

Output sample ``j`` sits at input time ``j * down / up``: the filter is centred on it. Each
output needs only every ``up``-th tap (one *phase* of the filter), so the work is
``len(output) * taps / up`` multiply-adds, done in float64 one tap index at a time.
"""

from __future__ import annotations

from math import gcd

import numpy as np

KAISER_BETA = 5.0


def lowpass_taps(up: int, down: int) -> np.ndarray:
    """The anti-aliasing filter of :func:`resample_poly` (already multiplied by ``up``).

    Returns:
        (2 * half_len + 1,) float64 taps, ``half_len = 10 * max(up, down)``.
    """
    rate = max(up, down)
    half_len = 10 * rate
    m = np.arange(2 * half_len + 1) - float(half_len)
    cutoff = 1.0 / rate
    h = cutoff * np.sinc(cutoff * m) * np.kaiser(2 * half_len + 1, KAISER_BETA)
    return h / h.sum() * up


def _phases(h: np.ndarray, up: int, down: int) -> tuple[np.ndarray, int]:
    """The filter padded in front like scipy's, split into ``up`` phases: (up, L) and the shift.

    Row ``p`` holds taps ``p, p + up, p + 2 up, ...`` of the padded filter; the shift is the
    number of leading full-rate output samples that belong to the filter's delay.
    """
    half_len = (len(h) - 1) // 2
    pre_pad = down - half_len % down
    padded = np.concatenate([np.zeros(pre_pad), h])
    n_taps = -(-len(padded) // up)
    padded = np.concatenate([padded, np.zeros(n_taps * up - len(padded))])
    shift = (half_len + pre_pad) // down
    return padded.reshape(n_taps, up).T, shift


def resample_poly(x: np.ndarray, up: int, down: int) -> np.ndarray:
    """Resample a 1-D signal by ``up / down`` (scipy's ``resample_poly`` defaults).

    Args:
        x: (n,) real samples.
        up: Upsampling factor (positive integer).
        down: Downsampling factor (positive integer).

    Returns:
        (ceil(n * up / down),) float64 samples.

    Raises:
        ValueError: A factor is not a positive integer or ``x`` is not 1-D.
    """
    up, down = int(up), int(down)
    if up < 1 or down < 1:
        raise ValueError(f"up and down must be positive integers, got {up}, {down}.")
    v = np.asarray(x, dtype=np.float64)
    if v.ndim != 1:
        raise ValueError(f"resample_poly takes 1-D signals, got shape {v.shape}.")
    g = gcd(up, down)
    up, down = up // g, down // g
    if up == down == 1:
        return v.copy()
    n_out = -(-len(v) * up // down)
    phases, shift = _phases(lowpass_taps(up, down), up, down)
    full = (shift + np.arange(n_out, dtype=np.int64)) * down  # full-rate output positions
    phase, base = full % up, full // up  # y[j] = sum_l phases[phase, l] * x[base - l]
    n_taps = phases.shape[1]
    padded = np.concatenate([np.zeros(n_taps), v, np.zeros(max(0, int(base[-1]) + 1 - len(v)))])
    out = np.zeros(n_out)
    for tap in range(n_taps):
        out += phases[phase, tap] * padded[base - tap + n_taps]
    return out
