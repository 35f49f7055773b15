"""The few B-spline pieces the curves need, in numpy (no scipy in the extension, issue 12).

:class:`BSpline` mirrors ``scipy.interpolate.BSpline`` for what :mod:`.curves` uses: real knots,
(n,) or (n, C) coefficients, evaluation on whole arrays with extrapolation from the end pieces,
and :meth:`BSpline.derivative`. The basis values come from the same Cox-de Boor recursion as
scipy's ``_deBoor_D``, vectorised over the evaluation points; values agree to rounding.

:func:`make_interp_spline_clamped` is ``make_interp_spline(x, y, k=3, bc_type="clamped")``: the
same knots (``x`` with both ends repeated three more times) and the same collocation equations.
Zero end slopes pin the two outer coefficients at each end to the end values; the remaining
equations are tridiagonal (a cubic B-spline has three non-zero basis functions at a simple knot)
and are solved by elimination without pivoting, which is stable here because B-spline
collocation matrices are totally positive (de Boor, *A Practical Guide to Splines*, ch. XIII).
That is O(n) per curve, so 10-minute timelines at 60 fps stay cheap.

The unit tests compare both against scipy on random data.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np


def _basis(t: np.ndarray, k: int, x: np.ndarray, ell: np.ndarray) -> np.ndarray:
    """Values of the ``k + 1`` B-splines non-zero on interval ``ell`` at ``x``: (k + 1, m).

    De Boor's BSPLVB recurrence on the distances to the ``k`` knots either side of ``x``; rows
    (not columns) per basis function, so that every array operation runs on contiguous memory.
    """
    steps = np.arange(1, k + 1)[:, None]
    left = x - t[ell + 1 - steps]  # row j - 1: x - t[ell + 1 - j], j = 1..k
    right = t[ell + steps] - x  # row j - 1: t[ell + j] - x
    h = np.zeros((k + 1, len(x)))
    h[0] = 1.0
    for j in range(1, k + 1):
        saved = np.zeros(len(x))
        for r in range(j):
            den = right[r] + left[j - r - 1]
            temp = h[r] / np.where(den != 0, den, np.inf)  # empty knot span: no weight
            h[r] = saved + right[r] * temp
            saved = left[j - r - 1] * temp
        h[j] = saved
    return h


def _combine(c2: np.ndarray, h: np.ndarray, ell: np.ndarray, k: int) -> np.ndarray:
    """``sum_a h[a] * c2[ell - k + a]``: the spline values from the basis values, (m, C).

    Frames between keys fall into long runs of one interval; each run is then one small matrix
    product, which avoids gathering (m, C) rows four times. Otherwise the coefficients are
    gathered per point: column by column for a few channels, row by row for many.
    """
    m, channels = len(ell), c2.shape[1]
    cuts = np.flatnonzero(np.diff(ell)) + 1
    if 64 * len(cuts) < m * channels:  # a Python step per run costs ~ 64 gathered values
        out = np.empty((m, channels))
        edges = [0, *cuts.tolist(), m]
        for start, stop in pairwise(edges):
            first = int(ell[start]) - k
            out[start:stop] = h[:, start:stop].T @ c2[first : first + k + 1]
        return out
    if channels <= 8:
        cols = np.zeros((channels, m))
        for j, coef in enumerate(np.ascontiguousarray(c2.T)):
            for a in range(k + 1):
                cols[j] += coef.take(ell + (a - k)) * h[a]
        return np.ascontiguousarray(cols.T)
    out = np.zeros((m, channels))
    for a in range(k + 1):
        out += c2[ell + (a - k)] * h[a][:, None]
    return out


class BSpline:
    """A spline ``sum_i c[i] B_{i,k}(x)`` on knots ``t`` (extrapolates from the end pieces).

    Args:
        t: (n + k + 1,) non-decreasing knots with ``t[k] < t[n]``.
        c: (n,) or (n, C) coefficients.
        k: Degree (>= 0).

    Raises:
        ValueError: The shapes of ``t`` and ``c`` do not fit ``k``.
    """

    def __init__(self, t: np.ndarray, c: np.ndarray, k: int) -> None:
        self.t = np.asarray(t, dtype=float)
        self.c = np.asarray(c, dtype=float)
        self.k = int(k)
        n = len(self.t) - self.k - 1
        if self.k < 0 or n < self.k + 1 or self.c.shape[0] != n:
            raise ValueError(f"{len(self.t)} knots, degree {k} and {self.c.shape[0]} coefficients.")

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Values at ``x``: an array of shape ``x.shape + c.shape[1:]``."""
        xs = np.asarray(x, dtype=float)
        flat = xs.reshape(-1)
        n, k = len(self.c), self.k
        ell = np.clip(np.searchsorted(self.t, flat, side="right") - 1, k, n - 1)
        out = _combine(self.c.reshape(n, -1), _basis(self.t, k, flat, ell), ell, k)
        return out.reshape(xs.shape + self.c.shape[1:])

    def derivative(self, nu: int = 1) -> BSpline:
        """The ``nu``-th derivative as a spline of degree ``k - nu``.

        Raises:
            ValueError: ``nu`` exceeds the degree, or repeated interior knots make the spline
                non-differentiable that often.
        """
        spline = self
        for _ in range(int(nu)):
            t, c, k = spline.t, spline.c, spline.k
            if k == 0:
                raise ValueError("Cannot differentiate a degree-0 spline.")
            dt = (t[k + 1 : len(c) + k] - t[1 : len(c)]).reshape((-1,) + (1,) * (c.ndim - 1))
            if np.any(dt == 0):
                raise ValueError("The spline has repeated knots and is not differentiable.")
            spline = BSpline(t[1:-1], (c[1:] - c[:-1]) * k / dt, k - 1)
        return spline


def _solve_tridiagonal(
    sub: np.ndarray, diag: np.ndarray, sup: np.ndarray, rhs: np.ndarray
) -> np.ndarray:
    """Solve a tridiagonal system by elimination without pivoting (rows of ``rhs`` are (C,))."""
    m = len(diag)
    scale, vals = [0.0] * m, np.empty_like(rhs)
    prev, prev_val = 0.0, np.zeros(rhs.shape[1:])
    for i in range(m):
        pivot = float(diag[i]) - float(sub[i]) * prev
        prev = float(sup[i]) / pivot
        prev_val = (rhs[i] - sub[i] * prev_val) / pivot
        scale[i], vals[i] = prev, prev_val
    for i in range(m - 2, -1, -1):
        vals[i] -= scale[i] * vals[i + 1]
    return vals


def make_interp_spline_clamped(x: np.ndarray, y: np.ndarray) -> BSpline:
    """The C2 cubic through ``(x, y)`` with zero slopes at both ends.

    Args:
        x: (n,) strictly increasing sites, n >= 2.
        y: (n,) or (n, C) values.

    Returns:
        The same spline as ``make_interp_spline(x, y, k=3, bc_type="clamped")``.

    Raises:
        ValueError: Fewer than two sites, or ``x`` and ``y`` disagree.
    """
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n = len(xs)
    if xs.ndim != 1 or n < 2 or ys.shape[0] != n:
        raise ValueError(f"Need >= 2 sites with matching values, got {xs.shape}, {ys.shape}.")
    t = np.concatenate([[xs[0]] * 3, xs, [xs[-1]] * 3])
    c = np.empty((n + 2, *ys.shape[1:]))
    c[:2], c[-2:] = ys[0], ys[-1]  # zero end slopes: c1 = c0 = y0, c[n] = c[n+1] = y[-1]
    if n > 2:
        inner = xs[1:-1]
        h = _basis(t, 3, inner, np.arange(4, n + 2))  # B_j, B_j+1, B_j+2 at x_j (B_j+3 is 0)
        rhs = ys[1:-1].reshape(n - 2, -1).copy()
        rhs[0] -= h[0, 0] * ys[0]
        rhs[-1] -= h[2, -1] * ys[-1]
        sol = _solve_tridiagonal(h[0], h[1], h[2], rhs)
        c[2:n] = sol.reshape((n - 2, *ys.shape[1:]))
    return BSpline(t, c, 3)
