"""core.keygen_parts: mesh islands and the rigid parts of a generated head."""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from facial_affect_addon.core.keygen_parts import (
    PART_NAMES,
    head_parts,
    mesh_islands,
    part_mirror,
)


def _reference_islands(n: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Breadth-first search: each vertex's smallest connected vertex."""
    neighbours: list[list[int]] = [[] for _ in range(n)]
    for a, b in zip(i.tolist(), j.tolist(), strict=True):
        neighbours[a].append(b)
        neighbours[b].append(a)
    out = np.full(n, -1)
    for start in range(n):
        if out[start] >= 0:
            continue
        out[start], todo = start, [start]
        while todo:
            for b in neighbours[todo.pop()]:
                if out[b] < 0:
                    out[b] = start
                    todo.append(b)
    return out


def test_islands_equal_a_breadth_first_search() -> None:
    rng = np.random.default_rng(0)
    for n, m in ((1, 0), (50, 20), (2000, 1500), (2000, 2600)):
        i, j = rng.integers(0, n, m), rng.integers(0, n, m)
        assert np.array_equal(mesh_islands(n, i, j), _reference_islands(n, i, j))
    chain = np.arange(999)  # a long path: many hooking levels
    assert (mesh_islands(1000, chain[::-1], chain[::-1] + 1) == 0).all()


def _blob(centre, size: float, n: int, rng) -> np.ndarray:
    return np.asarray(centre) + rng.uniform(-size / 2, size / 2, (n, 3))


def _face(rng) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """468 landmarks on a plane in front (y = -9 cm), lips at z = -6 cm; the eye centres."""
    marks = np.c_[rng.uniform(-0.07, 0.07, 468), np.full(468, -0.09), rng.uniform(-0.09, 0.06, 468)]
    lips = [[0, -0.09, -0.058], [0, -0.09, -0.062], [0, -0.092, -0.05], [0, -0.09, -0.07]]
    marks[[13, 14, 0, 17]] = lips
    return marks, (np.array([0.032, -0.064, 0.01]), np.array([-0.032, -0.064, 0.01]))


def test_parts_are_named_by_where_they_sit() -> None:
    rng = np.random.default_rng(1)
    marks = np.c_[rng.uniform(-0.07, 0.07, 468), np.full(468, -0.09), rng.uniform(-0.09, 0.06, 468)]
    marks[[13, 14, 0, 17]] = [
        [0, -0.09, -0.058],
        [0, -0.09, -0.062],
        [0, -0.092, -0.05],
        [0, -0.09, -0.07],
    ]
    eyes = (np.array([0.032, -0.064, 0.01]), np.array([-0.032, -0.064, 0.01]))
    pieces = {
        "skin": marks + np.array([0, 0.0005, 0]),
        "eyeball_left": _blob(eyes[0], 0.024, 60, rng),
        "eyeball_right": _blob(eyes[1], 0.024, 60, rng),
        "teeth_upper": _blob([0, -0.078, -0.055], 0.012, 30, rng),
        "teeth_lower": _blob([0, -0.078, -0.064], 0.012, 30, rng),
        "tongue": _blob([0, -0.06, -0.069], 0.02, 40, rng),
        "lashes": marks[:8]
        + np.array([0, -0.003, 0]),  # 3.5 mm in front of the skin: follows it mostly
        "neck": _blob([0, 0.0, -0.2], 0.1, 50, rng),  # far: stays
    }
    verts = np.concatenate(list(pieces.values()))
    owner = np.repeat(np.arange(len(pieces)), [len(p) for p in pieces.values()])
    starts = np.r_[0, np.cumsum([len(p) for p in pieces.values()])]
    i = np.concatenate([np.arange(a, b - 1) for a, b in pairwise(starts)])
    parts = head_parts(verts, mesh_islands(len(verts), i, i + 1), marks, eyes)
    names = list(pieces)
    for k, name in enumerate(names):
        got = {PART_NAMES[p] for p in parts.part[owner == k]}
        want = "attached" if name in ("lashes", "neck") else name
        assert got == {want}, name
    lashes, neck = owner == names.index("lashes"), owner == names.index("neck")
    assert np.allclose(parts.depth[lashes], 0.35)
    assert (parts.depth[neck] == 1.0).all() and (parts.depth[owner == 0] == 0).all()
    assert (parts.part[parts.parent[lashes]] == 0).all()
    assert parts.found["tongue"] == 40 and "skin" not in parts.found
    mirror = part_mirror(verts, parts.part)  # within the mirror part, never across parts
    left, right = (owner == names.index(f"eyeball_{s}") for s in ("left", "right"))
    assert right[mirror[left]].all() and left[mirror[right]].all()
    tongue = owner == names.index("tongue")
    assert tongue[mirror[tongue]].all()


def test_one_lower_mouth_island_is_lower_teeth_and_no_skin_means_all_skin() -> None:
    rng = np.random.default_rng(2)
    marks = np.c_[rng.uniform(-0.07, 0.07, 468), np.full(468, -0.09), rng.uniform(-0.09, 0.06, 468)]
    marks[[13, 14, 0, 17]] = [
        [0, -0.09, -0.058],
        [0, -0.09, -0.062],
        [0, -0.092, -0.05],
        [0, -0.09, -0.07],
    ]
    eyes = (np.array([0.032, -0.064, 0.01]), np.array([-0.032, -0.064, 0.01]))
    verts = np.r_[marks, _blob([0, -0.07, -0.068], 0.02, 40, rng)]
    i = np.r_[np.arange(467), np.arange(468, 507)]
    parts = head_parts(verts, mesh_islands(len(verts), i, i + 1), marks, eyes)
    assert parts.found == {"teeth_lower": 40}
    alone = head_parts(marks, np.zeros(468, dtype=np.int64), marks, eyes)
    assert (alone.part == 0).all() and alone.found == {}
