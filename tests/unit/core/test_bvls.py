"""core.bvls against scipy.optimize.lsq_linear (scipy stays a test dependency only)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import lsq_linear

from facial_affect_addon.core.bvls import bvls
from facial_affect_addon.core.retarget import arkit_au_matrix, solve_aus
from facial_affect_addon.core.rig_tables import ARKIT_52


def _cost(a: np.ndarray, b: np.ndarray, x: np.ndarray) -> float:
    return float(np.sum((a @ x - b) ** 2))


def _problem(rng: np.random.Generator, trial: int) -> tuple[np.ndarray, np.ndarray]:
    """Dense, sparse non-negative (like the AU tables), and rank-deficient problems."""
    m, n = int(rng.integers(1, 60)), int(rng.integers(1, 41))
    if trial % 3:
        a = rng.standard_normal((m, n)) * (rng.uniform(size=n) > 0.2)  # some zero columns
    else:
        a = np.abs(rng.standard_normal((m, n))) * (rng.uniform(size=(m, n)) > 0.7)
    if trial % 5 == 0 and n > 2:
        a[:, 1], a[:, 2] = a[:, 0], 0.5 * a[:, 0]  # dependent columns
    truth = rng.uniform(-0.5, 1.5, n)  # partly outside the box: active bounds
    return a, a @ truth + rng.standard_normal(m) * rng.choice([0.0, 0.01, 0.3])


def test_residual_equals_scipy_on_random_problems() -> None:
    rng = np.random.default_rng(12)
    unique = 0
    for trial in range(600):
        a, b = _problem(rng, trial)
        ours = bvls(a, b, 0.0, 1.0)
        ref = lsq_linear(a, b, bounds=(0.0, 1.0)).x
        assert np.all((ours >= 0.0) & (ours <= 1.0))
        # never worse than scipy (its trf stops at tol 1e-10, so it may be a hair worse)
        assert _cost(a, b, ours) <= _cost(a, b, ref) * (1 + 1e-9) + 1e-15
        assert _cost(a, b, ref) - _cost(a, b, ours) <= 1e-5 * max(_cost(a, b, ref), 1e-3)
        if np.linalg.matrix_rank(a) == a.shape[1]:  # the solution is unique
            unique += 1
            np.testing.assert_allclose(ours, ref, atol=1e-5)
    assert unique > 100


def test_kkt_conditions_hold() -> None:
    rng = np.random.default_rng(3)
    for trial in range(200):
        a, b = _problem(rng, trial)
        x = bvls(a, b)
        grad = a.T @ (a @ x - b)
        tol = 1e-8 * max(1.0, float(np.abs(a).sum()) * float(np.abs(b).sum()))
        inside = (x > 0.0) & (x < 1.0)
        assert np.all(np.abs(grad[inside]) <= tol)
        assert np.all(grad[x == 0.0] >= -tol) and np.all(grad[x == 1.0] <= tol)


def test_copies_of_a_column_share_the_weight_and_errors() -> None:
    a = np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    np.testing.assert_allclose(bvls(a, np.array([0.8, 0.3])), [0.4, 0.4, 0.3])
    np.testing.assert_allclose(bvls(a, np.array([5.0, -2.0])), [1.0, 1.0, 0.0])
    assert bvls(np.zeros((3, 2)), np.ones(3)).tolist() == [0.0, 0.0]
    with pytest.raises(ValueError):
        bvls(np.ones((2, 2)), np.ones(3))
    with pytest.raises(ValueError):
        bvls(np.ones((2, 2)), np.array([1.0, np.nan]))


def test_solve_aus_reconstructs_like_scipy() -> None:
    names = list(ARKIT_52)
    a = arkit_au_matrix(names)
    used = np.flatnonzero(a.any(axis=0))
    rng = np.random.default_rng(8)
    frames = rng.uniform(0, 1, (60, len(names))) * (rng.uniform(size=(60, len(names))) > 0.6)
    ours = solve_aus(names, frames, a)
    for row, w in enumerate(frames):
        ref = lsq_linear(a[:, used], w, bounds=(0.0, 1.0)).x
        assert _cost(a, w, ours[row]) <= _cost(a[:, used], w, ref) * (1 + 1e-9) + 1e-15
