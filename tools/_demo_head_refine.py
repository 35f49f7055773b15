"""Midpoint refinement of the demo head's face mesh (numpy only).

The canonical face's landmarks are 5-10 mm apart: too coarse for a brow furrow or a nasolabial
fold. :func:`refine_triangles` splits every interior edge at a curved midpoint and returns the
new vertices (to be appended after every existing one, so landmark indices never change) and the
split triangles. Edges on the mesh's openings and outer rim stay whole, so parts attached there
(eye sockets, mouth pocket, skull) still meet the face edge to edge.
"""

from __future__ import annotations

import numpy as np


def _edge(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def split_triangle(
    tri: tuple[int, ...], mid_of: dict[tuple[int, int], int], pts: np.ndarray
) -> list[tuple[int, int, int]]:
    """Split a triangle at the midpoints its edges have (0-3), keeping its winding.

    With two split edges the remaining quad is cut along its shorter diagonal, so mirror-image
    triangles are cut the same way.
    """
    for turn in range(3):  # rotate so that an unsplit edge, if any, is (c, a)
        a, b, c = tri[turn:] + tri[:turn]
        if _edge(c, a) not in mid_of or turn == 2:
            break
    mab, mbc, mca = (mid_of.get(_edge(*e)) for e in ((a, b), (b, c), (c, a)))
    if mab is not None and mbc is not None and mca is not None:
        return [(a, mab, mca), (mab, b, mbc), (mca, mbc, c), (mab, mbc, mca)]
    if mab is not None and mbc is not None:
        quad = [(a, mab, mbc), (a, mbc, c)]
        if np.linalg.norm(pts[c] - pts[mab]) < np.linalg.norm(pts[a] - pts[mbc]):
            quad = [(a, mab, c), (mab, mbc, c)]
        return [(mab, b, mbc), *quad]
    for x, y, z, m in ((a, b, c, mab), (b, c, a, mbc), (c, a, b, mca)):
        if m is not None:
            return [(x, m, z), (m, y, z)]
    return [(a, b, c)]


def vertex_normals(pts: np.ndarray, tris: list[tuple[int, ...]]) -> np.ndarray:
    """Area-weighted unit normals of the vertices of ``tris`` (zero elsewhere)."""
    t = np.asarray(tris)
    n = np.cross(pts[t[:, 1]] - pts[t[:, 0]], pts[t[:, 2]] - pts[t[:, 0]])
    out = np.zeros_like(pts)
    for k in range(3):
        np.add.at(out, t[:, k], n)
    length = np.linalg.norm(out, axis=1, keepdims=True)
    return np.divide(out, length, out=np.zeros_like(out), where=length > 0)


def curved_midpoints(
    pts: np.ndarray,
    tris: list[tuple[int, ...]],
    edges: list[tuple[int, int]],
    mirror: np.ndarray,
) -> np.ndarray:
    """Midpoints of the cubic Hermite curve along each edge (tangents in the end normals' planes).

    A straight midpoint would flatten the face between landmarks; this one follows its
    curvature, like PN triangles. Mirror-image edges get exactly mirror-image midpoints.
    """
    normals = vertex_normals(pts, tris)
    i, j = np.asarray(edges).T
    d = pts[j] - pts[i]
    bend = (np.sum(d * normals[j], 1, keepdims=True) * normals[j]
            - np.sum(d * normals[i], 1, keepdims=True) * normals[i])  # fmt: skip
    mids = (pts[i] + pts[j]) / 2 + bend / 8
    index = {e: k for k, e in enumerate(edges)}
    partner = [index[_edge(mirror[a], mirror[b])] for a, b in edges]
    return (mids + mids[partner] * [-1.0, 1.0, 1.0]) / 2


def refine_triangles(
    pts: np.ndarray, tris: list[tuple[int, ...]], mats: list[int], mirror: np.ndarray
) -> tuple[np.ndarray, list[tuple[int, int, int]], list[int], int]:
    """Split every edge shared by two of ``tris`` at its curved midpoint.

    Args:
        pts: All vertices so far; new midpoints are numbered from ``len(pts)``.
        tris: Triangles (vertex indices) to refine.
        mats: Material index per triangle; sub-triangles inherit it.
        mirror: Index of each vertex's mirror image across x = 0.

    Returns:
        (midpoints, triangles, materials, index of the first midpoint).
    """
    count: dict[tuple[int, int], int] = {}
    for tri in tris:
        for e in zip(tri, tri[1:] + tri[:1], strict=True):
            count[_edge(*e)] = count.get(_edge(*e), 0) + 1
    interior = sorted(e for e, n in count.items() if n == 2)
    mids = curved_midpoints(pts, tris, interior, mirror)
    mid_of = {e: len(pts) + k for k, e in enumerate(interior)}
    every = np.vstack([pts, mids])
    faces, face_mats = [], []
    for tri, mat in zip(tris, mats, strict=True):
        parts = split_triangle(tuple(tri), mid_of, every)
        faces += parts
        face_mats += [mat] * len(parts)
    return mids, faces, face_mats, len(pts)
