"""Bounded-variable least squares, ``min ||A x - b||`` with ``lower <= x <= upper`` (numpy only).

Replaces ``scipy.optimize.lsq_linear(A, b, bounds=...)`` for the small problems of
:mod:`.retarget` (at most 52 rows, a few dozen AU columns) so that the extension need not bundle
scipy (issue 12). The algorithm is Stark & Parker's BVLS ("Bounded-variable least-squares: an
algorithm and applications", Computational Statistics 10, 1995), an active-set method: variables
sit at a bound or are *free*; the free ones take the unconstrained least-squares solution with
the bound ones fixed, stepping back to the feasible box whenever that solution leaves it, and a
bound variable is freed while the gradient says moving it inwards lowers the residual.

Columns may be equal or dependent (``jawOpen`` drives three AUs alike): the free subproblem is
solved with :func:`numpy.linalg.lstsq` (minimum norm), which only needs *a* minimiser. The
result is an exact minimiser up to rounding, where scipy's default ``trf`` method stops at its
tolerance; the unit tests check that the two reach the same residual on random problems.
"""

from __future__ import annotations

import numpy as np


def _free_solution(a: np.ndarray, b: np.ndarray, x: np.ndarray, free: np.ndarray) -> np.ndarray:
    """Least-squares values of the free variables with the others held at ``x``."""
    rhs = b - a[:, ~free] @ x[~free]
    return np.linalg.lstsq(a[:, free], rhs, rcond=None)[0]


def _entering(
    a: np.ndarray, b: np.ndarray, x: np.ndarray, free: np.ndarray, box: tuple[np.ndarray, ...]
) -> tuple[int, np.ndarray] | None:
    """A bound variable whose release lowers the residual, with the new free solution."""
    lo, hi, tol = box
    w = a.T @ (b - a @ x)  # minus the gradient
    wants = ~free & (((x <= lo) & (w > tol)) | ((x >= hi) & (w < -tol)))
    for j in np.flatnonzero(wants)[np.argsort(-np.abs(w[wants]), kind="stable")]:
        trial = free.copy()
        trial[j] = True
        z = _free_solution(a, b, x, trial)
        zj = z[np.count_nonzero(trial[:j])]
        if (x[j] <= lo[j] and zj > lo[j]) or (x[j] >= hi[j] and zj < hi[j]):
            return int(j), z
    return None


def _step_back(
    x: np.ndarray, free: np.ndarray, z: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> bool:
    """Move the free variables towards ``z`` as far as the box allows.

    Returns:
        True when ``z`` was feasible (the free variables now equal it); otherwise the variables
        that reached a bound are fixed there and leave the free set.
    """
    idx = np.flatnonzero(free)
    if np.all((z >= lo[idx]) & (z <= hi[idx])):
        x[idx] = z
        return True
    cur = x[idx]
    with np.errstate(divide="ignore", invalid="ignore"):
        room = np.where(z < lo[idx], (lo[idx] - cur) / (z - cur), np.inf)
        room = np.minimum(room, np.where(z > hi[idx], (hi[idx] - cur) / (z - cur), np.inf))
    alpha = float(np.clip(np.min(room), 0.0, 1.0))
    moved = cur + alpha * (z - cur)
    at_lo = (moved <= lo[idx]) | (room <= alpha) & (z < lo[idx])
    at_hi = (moved >= hi[idx]) | (room <= alpha) & (z > hi[idx])
    x[idx] = np.where(at_lo, lo[idx], np.where(at_hi, hi[idx], moved))
    free[idx[at_lo | at_hi]] = False
    return False


def bvls(a: np.ndarray, b: np.ndarray, lower: float = 0.0, upper: float = 1.0) -> np.ndarray:
    """The ``x`` in ``[lower, upper]`` that minimises ``||a @ x - b||``.

    Args:
        a: (m, n) matrix.
        b: (m,) target.
        lower: Lower bound of every variable.
        upper: Upper bound of every variable (> ``lower``).

    Returns:
        (n,) solution; with dependent columns one of the minimisers.

    Raises:
        ValueError: Shapes disagree, the bounds are empty, or the data is not finite.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.ndim != 2 or b.shape != (a.shape[0],) or not lower < upper:
        raise ValueError(f"bvls needs a (m, n) matrix and (m,) target, got {a.shape}, {b.shape}.")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError("bvls needs finite data.")
    n = a.shape[1]
    lo, hi = np.full(n, float(lower)), np.full(n, float(upper))
    scale = float(np.abs(a).sum(axis=0).max(initial=0.0)) * (float(np.abs(b).sum()) + 1.0)
    box = (lo, hi, 1e-13 * max(scale, 1e-300))
    x, free = lo.copy(), np.zeros(n, dtype=bool)
    for _ in range(10 * n + 10):  # each round lowers the residual; the cap is a safety net
        found = _entering(a, b, x, free, box)
        if found is None:
            break
        free[found[0]] = True
        z = found[1]
        while not _step_back(x, free, z, lo, hi) and free.any():
            z = _free_solution(a, b, x, free)
    return _share(a, b, x, free, box)


def _share(
    a: np.ndarray, b: np.ndarray, x: np.ndarray, free: np.ndarray, box: tuple[np.ndarray, ...]
) -> np.ndarray:
    """Spread the solution over variables the data cannot tell apart (minimum norm).

    A bound variable with zero gradient at the optimum (e.g. a copy of a free column) may join
    the free ones without changing the residual; their minimum-norm solution splits the weight
    between copies instead of giving it all to whichever was freed first. Kept only when it
    stays inside the box.
    """
    lo, hi, tol = box
    w = a.T @ (b - a @ x)
    share = free | (np.abs(w) <= tol)
    if not share.any() or share.sum() == free.sum():
        return x
    z = _free_solution(a, b, x, share)
    idx = np.flatnonzero(share)
    if np.all((z >= lo[idx]) & (z <= hi[idx])):
        x = x.copy()
        x[idx] = z
    return x
