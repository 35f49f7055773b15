"""Exact nearest-neighbour queries in 3D with a uniform grid, numpy only.

Stands in for ``scipy.spatial.cKDTree(points).query(queries)`` (the extension bundles no scipy,
issue 12); tests/unit/core/test_nearest.py compares the two. Every point within one cell size
of a query lies in the 27 cells around the query's cell, so a best distance under the cell size
is exact; the others search growing rings of cells, then (far from every point) brute force.
Distances are ``sqrt(dx**2 + dy**2 + dz**2)`` like cKDTree's; of equally near points the lowest
index wins.
"""

from __future__ import annotations

import numpy as np

POINTS_PER_CELL = 4.0
SHELLS = 3  # rings of cells searched around a query's cell before brute force
BRUTE_FLOATS = 1 << 22  # brute-force chunk size (query x point pairs)


def _cell_size(points: np.ndarray) -> float:
    """A cell size giving about :data:`POINTS_PER_CELL` points per occupied cell."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    span = float((hi - lo).max())
    if not np.isfinite(span) or span <= 0.0:
        return 1.0
    m = len(points)
    size = span / max(1.0, np.cbrt(m / POINTS_PER_CELL))
    for _ in range(3):  # points on a surface fill fewer cells than the volume suggests
        cells = np.floor((points - lo) / size).astype(np.int64)
        dims = cells.max(axis=0) + 1
        occupied = len(np.unique((cells[:, 0] * dims[1] + cells[:, 1]) * dims[2] + cells[:, 2]))
        size *= float(np.sqrt(occupied * POINTS_PER_CELL / m))
        size = max(size, span * 1e-6)
    return size


def _brute(points: np.ndarray, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Squared distance and index of the nearest point of each query, chunked."""
    best = np.empty(len(queries))
    index = np.empty(len(queries), dtype=np.int64)
    step = max(1, BRUTE_FLOATS // max(1, len(points)))
    for a in range(0, len(queries), step):
        diff = queries[a : a + step, None, :] - points[None, :, :]
        d2 = diff[..., 0] ** 2 + diff[..., 1] ** 2 + diff[..., 2] ** 2
        index[a : a + step] = np.argmin(d2, axis=1)  # the first (lowest index) minimum
        best[a : a + step] = d2[np.arange(len(d2)), index[a : a + step]]
    return best, index


def _shell(r: int) -> np.ndarray:
    """Cell offsets ``int[k, 3]`` at Chebyshev distance ``r`` (``r = 0``: the cell itself)."""
    axis = np.arange(-r, r + 1)
    off = np.stack(np.meshgrid(axis, axis, axis, indexing="ij"), -1).reshape(-1, 3)
    off = off[np.abs(off).max(axis=1) == r]
    return off[np.argsort(np.abs(off).sum(axis=1), kind="stable")]  # nearest cells first


def _scan_cells(points, queries, grid, qi, k, best, index) -> None:
    """Compare queries ``qi`` with every point of their cell ``k``; keep improvements in place.

    ``grid`` is ``(keys, start, count, order)``: the occupied cells' keys (sorted), where each
    cell's points start in ``order`` and how many there are. Ties go to the lowest point index.
    """
    keys, start, count, order = grid
    m, q = len(points), len(queries)
    at = np.searchsorted(keys, k).clip(0, len(keys) - 1)
    hit = keys[at] == k
    qi, at = qi[hit], at[hit]
    n = count[at]
    pair = np.repeat(np.arange(len(qi)), n)
    first = np.cumsum(n) - n
    cand = order[start[at][pair] + (np.arange(int(n.sum())) - first[pair])]
    qp = qi[pair]
    diff = queries[qp] - points[cand]
    d2 = diff[:, 0] ** 2 + diff[:, 1] ** 2 + diff[:, 2] ** 2
    low = np.full(q, np.inf)
    np.minimum.at(low, qp, d2)
    win = d2 == low[qp]
    low_index = np.full(q, m, dtype=np.int64)
    np.minimum.at(low_index, qp[win], cand[win])
    better = (low < best) | ((low == best) & (low_index < index))
    best[better], index[better] = low[better], low_index[better]


def nearest(points: np.ndarray, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each query's nearest point.

    Args:
        points: ``float[m, 3]`` (m >= 1).
        queries: ``float[q, 3]``.

    Returns:
        ``(dist float[q], index int64[q])``: the Euclidean distance and the point's index.
    """
    points = np.ascontiguousarray(points, dtype=np.float64).reshape(-1, 3)
    queries = np.ascontiguousarray(queries, dtype=np.float64).reshape(-1, 3)
    m, q = len(points), len(queries)
    if not m:
        raise ValueError("nearest() needs at least one point")
    best = np.full(q, np.inf)
    index = np.full(q, m, dtype=np.int64)
    size = _cell_size(points)
    lo = points.min(axis=0)
    cells = np.floor((points - lo) / size).astype(np.int64)
    dims = cells.max(axis=0) + 1
    key = (cells[:, 0] * dims[1] + cells[:, 1]) * dims[2] + cells[:, 2]
    order = np.argsort(key, kind="stable")  # within a cell: ascending point index
    keys, start, count = np.unique(key[order], return_index=True, return_counts=True)
    scaled = (queries - lo) / size
    qcell = np.floor(scaled)
    inside = np.isfinite(qcell).all(axis=1)
    # Where the query sits in its cell (0..1 per axis), less a margin for rounding.
    below = np.where(inside[:, None], scaled - qcell, 0.0) - 1e-9
    above = np.where(inside[:, None], 1.0 - (scaled - qcell), 0.0) - 1e-9
    qcell = np.where(inside[:, None], qcell, -SHELLS - 1)
    qcell = qcell.clip(-SHELLS - 1, dims + SHELLS).astype(np.int64)
    todo = np.arange(q)
    for r in range(SHELLS + 1):  # rings of cells around each query's cell, nearest first
        qc, low_side, high_side = qcell[todo], below[todo], above[todo]
        qkey = (qc[:, 0] * dims[1] + qc[:, 1]) * dims[2] + qc[:, 2]
        for off in _shell(r):
            ok = np.ones(len(todo), dtype=bool)
            gap2 = np.zeros(len(todo))
            for a in np.flatnonzero(off):
                ca = qc[:, a] + off[a]
                ok &= (ca >= 0) & (ca < dims[a])
                # The gap from the query to that cell: skip cells farther than the best so far.
                side = low_side[:, a] if off[a] < 0 else high_side[:, a]
                gap2 += (abs(off[a]) - 1 + side).clip(0) ** 2
            ok &= ~(gap2 * size**2 > best[todo])
            sel = np.flatnonzero(ok)
            k = qkey[sel] + (off[0] * dims[1] + off[1]) * dims[2] + off[2]
            grid = (keys, start, count, order)
            _scan_cells(points, queries, grid, todo[sel], k, best, index)
        # Every point nearer than the next ring of cells is seen by now (the margins in
        # ``below`` and ``above`` cover floor's rounding), so a best distance under that is exact.
        edge = np.minimum(below[todo], above[todo]).min(axis=1).clip(0)
        todo = todo[~(best[todo] < ((r + edge) * size) ** 2)]
        if not len(todo):
            break
    if len(todo):
        best[todo], index[todo] = _brute(points, queries[todo])
    return np.sqrt(best), index
