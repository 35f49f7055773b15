"""core.nearest equals scipy's cKDTree (scipy: the dev reference only)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial import cKDTree

from facial_affect_addon.core.nearest import nearest


def _check(points: np.ndarray, queries: np.ndarray) -> None:
    ref_dist, _ = cKDTree(points).query(queries)
    dist, index = nearest(points, queries)
    assert index.dtype == np.int64 and dist.shape == (len(queries),)
    assert np.max(np.abs(dist - ref_dist), initial=0.0) <= 1e-12
    # The index found is at that distance (ties: the lowest index), recomputed by brute force.
    diff = queries[:, None, :] - points[None, :, :]
    d2 = diff[..., 0] ** 2 + diff[..., 1] ** 2 + diff[..., 2] ** 2
    assert np.array_equal(index, np.argmin(d2, axis=1))


def _surface(rng: np.random.Generator, n: int) -> np.ndarray:
    """Points on a bumpy ellipsoid (a head-like surface), not filling the volume."""
    u = rng.normal(size=(n, 3))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    return u * [0.08, 0.1, 0.12] * (1 + 0.05 * np.sin(7 * u[:, :1]))


@pytest.mark.parametrize("seed", range(3))
def test_random_points_and_queries(seed: int) -> None:
    rng = np.random.default_rng(seed)
    points = rng.uniform(-1, 1, (3000, 3))
    queries = np.r_[rng.uniform(-1.2, 1.2, (1000, 3)), points[:50], rng.normal(0, 20, (20, 3))]
    _check(points, queries)


@pytest.mark.parametrize("seed", range(3))
def test_surface_points_mirror_and_far_queries(seed: int) -> None:
    rng = np.random.default_rng(seed)
    points = _surface(rng, 4000)
    _check(points, points * [-1.0, 1.0, 1.0])  # the keygen mirror query
    _check(points, _surface(rng, 500) * 1.3)  # off the surface
    _check(points[:44], points[:468])  # few points, many queries
    _check(points, np.array([[5.0, 5.0, 5.0], [-3.0, 0.0, 0.0]]))  # far outside the grid


def test_ties_duplicates_and_degenerate_sets() -> None:
    grid = np.stack(np.meshgrid(*[np.arange(6.0)] * 3, indexing="ij"), -1).reshape(-1, 3)
    _check(grid, grid + 0.5)  # equidistant from 8 points: the lowest index
    _check(np.r_[grid, grid], grid)  # duplicates
    _check(np.zeros((5, 3)), np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]]))  # one spot
    flat = np.c_[np.random.default_rng(1).uniform(size=(300, 2)), np.zeros(300)]
    _check(flat, np.random.default_rng(2).uniform(size=(100, 3)))  # all in a plane
    _check(np.ones((1, 3)), np.zeros((3, 3)))
    dist, index = nearest(grid, np.empty((0, 3)))
    assert dist.shape == index.shape == (0,)
    with pytest.raises(ValueError):
        nearest(np.empty((0, 3)), grid)


def test_50k_mirror_query_is_exact() -> None:
    points = _surface(np.random.default_rng(7), 50_000)
    queries = points * [-1.0, 1.0, 1.0]
    ref_dist, ref_index = cKDTree(points).query(queries)
    dist, index = nearest(points, queries)
    assert np.max(np.abs(dist - ref_dist)) <= 1e-12
    same = index == ref_index
    assert same.mean() > 0.999 and np.array_equal(dist[~same], ref_dist[~same])
