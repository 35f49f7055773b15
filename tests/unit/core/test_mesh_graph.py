"""core.mesh_graph equals scipy's Dijkstra and CSR averaging (scipy: the dev reference only)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from facial_affect_addon.core.mesh_graph import MeshGraph


def _mesh(seed: int, n: int = 400):
    """A jittered grid triangulated, with some vertices left out (isolated) and a second part."""
    rng = np.random.default_rng(seed)
    side = int(np.sqrt(n))
    xy = np.stack(np.meshgrid(np.arange(side), np.arange(side), indexing="ij"), -1).reshape(-1, 2)
    verts = np.c_[xy + rng.uniform(-0.3, 0.3, xy.shape), rng.normal(0, 0.2, len(xy))]
    a = (np.arange(side - 1)[:, None] * side + np.arange(side - 1)[None, :]).ravel()
    tris = np.r_[np.c_[a, a + 1, a + side], np.c_[a + 1, a + side + 1, a + side]]
    tris = tris[rng.random(len(tris)) > 0.35]  # holes, isolated vertices, separate parts
    e = np.r_[tris[:, [0, 1]], tris[:, [1, 2]], tris[:, [2, 0]]]
    e = np.unique(np.sort(e, axis=1), axis=0)
    i, j = e[:, 0], e[:, 1]
    return len(verts), i, j, np.linalg.norm(verts[i] - verts[j], axis=1)


def _scipy(n, i, j, w):
    graph = coo_matrix((w, (i, j)), shape=(n, n)).tocsr()
    adj = coo_matrix((np.ones(2 * len(i)), (np.r_[i, j], np.r_[j, i])), (n, n))
    degree = np.maximum(np.asarray(adj.sum(axis=1)).ravel(), 1.0)
    return graph, (adj.tocsr().multiply(1.0 / degree[:, None])).tocsr()


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("limit", [np.inf, 3.0, 0.7, 0.0])
def test_dijkstra_equals_scipy(seed: int, limit: float) -> None:
    n, i, j, w = _mesh(seed)
    graph, _ = _scipy(n, i, j, w)
    ours = MeshGraph(n, i, j, w)
    sources = np.random.default_rng(seed).choice(n, 12, replace=False)
    many = ours.distances(sources, limit)
    for row, s in zip(many, sources, strict=True):
        ref = dijkstra(graph, directed=False, indices=int(s), limit=limit)
        got = ours.dijkstra(int(s), limit)
        assert np.array_equal(np.isinf(got), np.isinf(ref))
        assert np.array_equal(got, ref)  # the same path sums, bit for bit
        assert np.array_equal(row, ref)
    assert np.isinf(many).any() and (limit == np.inf or np.isinf(many).sum() > n)


def test_dijkstra_edge_cases() -> None:
    # Repeated and reversed pairs, a zero-length edge and a self loop, as scipy reads them.
    i = np.array([0, 1, 0, 2, 3, 4, 5])
    j = np.array([1, 0, 1, 3, 3, 5, 4])
    w = np.array([1.0, 0.5, 2.0, 0.0, 1.0, 0.25, 0.125])
    graph, _ = _scipy(7, i, j, w)
    ours = MeshGraph(7, i, j, w)
    for s in range(7):
        for limit in (np.inf, 0.5, 0.0):
            ref = dijkstra(graph, directed=False, indices=s, limit=limit)
            assert np.array_equal(ours.dijkstra(s, limit), ref), (s, limit)
            assert np.array_equal(ours.distances([s], limit)[0], ref), (s, limit)
    assert MeshGraph(3, [], [], []).distances([1, 1]).tolist() == [[np.inf, 0.0, np.inf]] * 2


@pytest.mark.parametrize("seed", range(3))
def test_average_rows_equals_scipy(seed: int) -> None:
    n, i, j, w = _mesh(seed)
    _, average = _scipy(n, i, j, w)
    ours = MeshGraph(n, i, j, w)
    rng = np.random.default_rng(seed)
    rows = np.flatnonzero(rng.random(n) < 0.7)
    for values in (rng.normal(size=n), rng.normal(size=(n, 3))):
        ref = average[rows] @ values
        got = ours.average_rows(rows, values)
        assert got.shape == ref.shape
        assert np.max(np.abs(got - ref)) <= 1e-12
        sweep, ref_sweep = values.copy(), values.copy()
        step = ours.averager(rows)
        for _ in range(20):  # repeated sweeps, as keygen's relax
            sweep[rows] = step(sweep)
            ref_sweep[rows] = average[rows] @ ref_sweep
        assert np.max(np.abs(sweep - ref_sweep)) <= 1e-12
    isolated = np.setdiff1d(np.arange(n), np.r_[i, j])
    assert len(isolated) and not ours.average_rows(isolated, np.ones(n)).any()
