"""A mesh's edge graph: geodesic distances (Dijkstra) and neighbour averaging, numpy only.

Stands in for ``scipy.sparse.csgraph.dijkstra`` and a row-normalised ``scipy.sparse`` adjacency
(the extension bundles no scipy, issue 12); tests/unit/core/test_mesh_graph.py compares both
with scipy.

* :meth:`MeshGraph.dijkstra` equals ``dijkstra(G, directed=False, indices=source, limit=limit)``
  exactly: a distance is the smallest sum, added up from the source, over the paths along the
  edges, so every exact shortest-path method gives the same floats; vertices farther than
  ``limit`` (or unreachable) are inf.
* :meth:`MeshGraph.average_rows` equals ``A[rows] @ values`` for the adjacency ``A`` (edge
  multiplicities, both directions) divided by each row's degree (at least 1), summed in column
  order like scipy's CSR product: an isolated vertex averages to 0.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

import numpy as np


def _csr(n: int, rows: np.ndarray, cols: np.ndarray, data: np.ndarray):
    """``(indptr, indices, data)`` with duplicate entries summed, columns sorted in each row."""
    key = rows.astype(np.int64) * n + cols.astype(np.int64)
    uniq, inverse = np.unique(key, return_inverse=True)
    summed = np.zeros(len(uniq))
    np.add.at(summed, inverse.ravel(), data)
    r, c = np.divmod(uniq, n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=n), out=indptr[1:])
    return indptr, c.astype(np.int64), summed


class MeshGraph:
    """The undirected edge graph of ``n`` vertices with edges ``(i[k], j[k])`` of length ``w[k]``.

    Repeated ``(i, j)`` pairs add up their lengths (as a scipy COO matrix would).
    """

    def __init__(self, n: int, i: np.ndarray, j: np.ndarray, w: np.ndarray) -> None:
        self.n = int(n)
        i = np.asarray(i, dtype=np.int64).ravel()
        j = np.asarray(j, dtype=np.int64).ravel()
        w = np.asarray(w, dtype=np.float64).ravel()
        # The directed matrix G (duplicates summed), then G and its transpose together: an
        # undirected search follows both, keeping the shorter of G[a, b] and G[b, a].
        ip, ic, iw = _csr(self.n, i, j, w)
        gi = np.repeat(np.arange(self.n), np.diff(ip))
        src, dst, wts = np.r_[gi, ic], np.r_[ic, gi], np.r_[iw, iw]
        order = np.lexsort((dst, src))
        self.indptr = np.zeros(self.n + 1, dtype=np.int64)
        np.cumsum(np.bincount(src, minlength=self.n), out=self.indptr[1:])
        self.indices, self.weights = dst[order], wts[order]
        # The averaging operator: adjacency counts (both directions) over the clamped degree.
        ones = np.ones(2 * len(i))
        ap, ac, ad = _csr(self.n, np.r_[i, j], np.r_[j, i], ones)
        arow = np.repeat(np.arange(self.n), np.diff(ap))
        degree = np.maximum(np.bincount(arow, weights=ad, minlength=self.n), 1.0)
        self.avg_indptr, self.avg_indices = ap, ac
        self.avg_data = ad * (1.0 / degree)[arow]

    def dijkstra(self, source: int, limit: float = np.inf) -> np.ndarray:
        """``float[n]`` edge-path distances from ``source``; inf beyond ``limit`` or unreachable."""
        dist = [np.inf] * self.n
        done = bytearray(self.n)
        nbrs, wts, ptr = self.indices.tolist(), self.weights.tolist(), self.indptr.tolist()
        limit = float(limit)
        source = int(source)
        dist[source] = 0.0
        heap = [(0.0, source)]
        pop, push = heapq.heappop, heapq.heappush
        while heap:
            d, v = pop(heap)
            if done[v]:
                continue
            done[v] = 1
            for k in range(ptr[v], ptr[v + 1]):
                u = nbrs[k]
                if done[u]:
                    continue
                nd = d + wts[k]
                if nd <= limit and nd < dist[u]:
                    dist[u] = nd
                    push(heap, (nd, u))
        return np.array(dist, dtype=np.float64)

    def distances(self, sources, limit: float = np.inf) -> np.ndarray:
        """``float[len(sources), n]``: :meth:`dijkstra` from each source, all in one search.

        Label-correcting (Bellman-Ford over the changed vertices only), vectorised over every
        (source, vertex) pair: it settles on the same smallest path sums as Dijkstra.
        """
        sources = np.asarray(sources, dtype=np.int64).ravel()
        n, limit = self.n, float(limit)
        dist = np.full(len(sources) * n, np.inf)
        active = np.unique(np.arange(len(sources), dtype=np.int64) * n + sources)
        dist[active] = 0.0
        degree = np.diff(self.indptr)
        stamp = np.empty(len(dist), dtype=np.int32)
        while len(active):
            row, v = np.divmod(active, n)
            count = degree[v]
            total = int(count.sum())
            if not total:
                break
            pair = np.repeat(np.arange(len(active)), count)
            first = np.cumsum(count) - count
            k = self.indptr[v][pair] + (np.arange(total) - first[pair])
            target = row[pair] * n + self.indices[k]
            cand = dist[active][pair] + self.weights[k]
            better = (cand <= limit) & (cand < dist[target])
            target, cand = target[better], cand[better]
            np.minimum.at(dist, target, cand)
            target = target[dist[target] == cand]  # every lowered vertex, some repeated
            slot = np.arange(len(target), dtype=np.int32)
            stamp[target] = slot  # one of each (no sort): the last write wins
            active = target[stamp[target] == slot]
        return dist.reshape(len(sources), n)

    def averager(self, rows: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        """``f(values) = average_rows(rows, values)``, set up once for repeated sweeps."""
        rows = np.asarray(rows, dtype=np.int64)
        start = self.avg_indptr[rows]
        count = self.avg_indptr[rows + 1] - start
        steps = []  # k-th entry of every row that has one: CSR order, like scipy's sum
        live = np.arange(len(rows))
        for k in range(int(count.max(initial=0))):
            live = live[count[live] > k]
            at = start[live] + k
            steps.append((live, self.avg_data[at], self.avg_indices[at]))

        def average(values: np.ndarray) -> np.ndarray:
            values = np.asarray(values)
            shape = (-1, *[1] * (values.ndim - 1))
            out = np.zeros((len(rows), *values.shape[1:]), np.result_type(values, np.float64))
            for live, weight, col in steps:
                out[live] += weight.reshape(shape) * values[col]
            return out

        return average

    def average_rows(self, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
        """The neighbour average of ``values`` (``[n, ...]``) at ``rows``: ``A[rows] @ values``."""
        return self.averager(rows)(values)
