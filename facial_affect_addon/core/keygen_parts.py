"""Rigid parts of a generated head: eyeballs, teeth and tongue found as separate mesh islands.

A head sculpted or bought as one mesh often carries its eyeballs, teeth and tongue as separate
islands (pieces not joined to the skin by any edge). Soft-mod falloffs are for skin; these
parts must move rigidly or not at all: eyeballs stay (the lids close over them), the upper
teeth stay, the lower teeth and the tongue turn with the jaw. Islands are found by
connectivity and named by where they sit relative to the landmarks (table frame: metres at the
demo head's scale, +Z up, face toward -Y, subject's left +X). Any other island that is not
skin (eyelashes, brows, a separate neck) follows its nearest skin vertex, fading out with
distance, so nothing is torn or smeared.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .nearest import nearest

__all__ = ["PART_NAMES", "HeadParts", "head_parts", "mesh_islands", "part_mirror"]

PART_NAMES = (
    "skin",
    "eyeball_left",
    "eyeball_right",
    "teeth_upper",
    "teeth_lower",
    "tongue",
    "attached",
)
# Limits (table metres; the demo head's outer eye corners are 88.9 mm apart).
EYEBALL_REACH = 0.014  # an eyeball's centre lies this close to the eye centre estimate
EYEBALL_SIZE = 0.040  # and it is no wider than this
MOUTH_HALF_WIDTH = 0.030  # teeth and tongue centres lie this close to the midline,
MOUTH_DEPTH = 0.070  # no farther behind the lips than this
PART_SIZE = 0.080  # and no part is larger than this
ATTACH_REACH = 0.010  # other islands follow the skin fully at 0 mm, not at all from here on
SKIN_SHARE = 0.1  # an island holding this share of the landmarks is skin too


@dataclass(frozen=True)
class HeadParts:
    """Each vertex's part and, for ``attached`` vertices, whom they follow.

    Attributes:
        part: ``int[N]`` index into :data:`PART_NAMES`.
        parent: ``int[N]``; an attached vertex's nearest skin vertex (others: themselves).
        depth: ``float[N]``; 0 = follow the parent fully, 1 = stay.
        found: Part name -> vertex count, for the parts other than skin that were found.
    """

    part: np.ndarray
    parent: np.ndarray
    depth: np.ndarray
    found: dict[str, int]


def mesh_islands(n: int, edges_i: np.ndarray, edges_j: np.ndarray) -> np.ndarray:
    """Connected components of a mesh: ``int[n]``, each vertex's smallest vertex index.

    Hooking and pointer jumping on the edge list (no scipy, a few numpy passes per level).
    """
    parent = np.arange(n)
    i, j = np.asarray(edges_i, dtype=np.int64), np.asarray(edges_j, dtype=np.int64)
    while True:
        a, b = parent[i], parent[j]
        differ = a != b
        if not differ.any():
            return parent
        low, high = np.minimum(a, b)[differ], np.maximum(a, b)[differ]
        np.minimum.at(parent, high, low)  # hook roots onto smaller roots
        while True:  # compress every chain to its root
            up = parent[parent]
            if (up == parent).all():
                break
            parent = up


def head_parts(
    vertices: np.ndarray,
    islands: np.ndarray,
    landmark_points: np.ndarray,
    eye_centers: tuple[np.ndarray, np.ndarray],
) -> HeadParts:
    """Name the islands of a head in the table frame.

    Args:
        vertices: ``float[N, 3]`` table-frame positions.
        islands: ``int[N]`` island label per vertex (:func:`mesh_islands`).
        landmark_points: ``float[468, 3]`` table-frame landmarks on the skin.
        eye_centers: Estimated left and right eye centres (table frame).

    Returns:
        The parts. Islands holding landmarks are skin; if the landmarks' nearest vertices all
        lie on non-skin islands (a mesh of loose parts only), everything is skin.
    """
    v = np.asarray(vertices, dtype=np.float64)
    labels, inverse = np.unique(islands, return_inverse=True)
    hits = np.bincount(inverse[nearest(v, landmark_points)[1]], minlength=len(labels))
    main = int(np.argmax(hits))
    part = np.full(len(v), PART_NAMES.index("attached"), dtype=np.int64)
    mouth_z = float(landmark_points[[13, 14]].mean(axis=0)[2])
    lips_y = float(landmark_points[[13, 14, 0, 17]][:, 1].min())
    mouth = []
    for k in range(len(labels)):
        members = inverse == k
        if k == main or hits[k] >= SKIN_SHARE * len(landmark_points):
            part[members] = 0
            continue
        name = _eyeball(v[members], eye_centers)
        if name is None and _in_mouth(v[members], lips_y, mouth_z):
            mouth.append(k)
        elif name is not None:
            part[members] = PART_NAMES.index(name)
    _name_mouth(v, inverse, mouth, mouth_z, part)
    return _attach(v, part)


def _extent(points: np.ndarray) -> float:
    return float((points.max(axis=0) - points.min(axis=0)).max())


def _eyeball(points: np.ndarray, eye_centers: tuple[np.ndarray, np.ndarray]) -> str | None:
    """``eyeball_left``/``eyeball_right`` for an island centred on an eye, else None."""
    centre = points.mean(axis=0)
    if _extent(points) > EYEBALL_SIZE:
        return None
    for side, eye in zip(("left", "right"), eye_centers, strict=True):
        if np.linalg.norm(centre - eye) < EYEBALL_REACH:
            return f"eyeball_{side}"
    return None


def _in_mouth(points: np.ndarray, lips_y: float, mouth_z: float) -> bool:
    """Whether an island sits behind the lips, near the midline, around the mouth's height."""
    x, y, z = points.mean(axis=0)
    return bool(
        abs(x) < MOUTH_HALF_WIDTH
        and lips_y < y < lips_y + MOUTH_DEPTH
        and abs(z - mouth_z) < MOUTH_HALF_WIDTH
        and _extent(points) < PART_SIZE
    )


def _name_mouth(
    v: np.ndarray, inverse: np.ndarray, mouth: list[int], mouth_z: float, part: np.ndarray
) -> None:
    """Upper teeth above the mouth line; below it, the rearmost island is the tongue (when
    there are two or more) and the rest are lower teeth."""
    centres = {k: v[inverse == k].mean(axis=0) for k in mouth}
    lower = [k for k in mouth if centres[k][2] < mouth_z]
    tongue = max(lower, key=lambda k: centres[k][1]) if len(lower) >= 2 else None
    for k in mouth:
        name = "teeth_upper" if k not in lower else "tongue" if k == tongue else "teeth_lower"
        part[inverse == k] = PART_NAMES.index(name)


def _attach(v: np.ndarray, part: np.ndarray) -> HeadParts:
    """Parents and depths of the attached vertices; the counts of the parts found."""
    parent = np.arange(len(v))
    depth = np.zeros(len(v))
    attached = np.flatnonzero(part == PART_NAMES.index("attached"))
    skin = np.flatnonzero(part == 0)
    if len(attached) and len(skin):
        dist, idx = nearest(v[skin], v[attached])
        parent[attached] = skin[idx]
        depth[attached] = np.clip(dist / ATTACH_REACH, 0.0, 1.0)
    elif len(attached):  # no skin at all: treat the whole mesh as skin
        part[attached] = 0
    found = {
        name: int((part == i).sum()) for i, name in enumerate(PART_NAMES) if i and (part == i).any()
    }
    return HeadParts(part, parent, depth, found)


def part_mirror(vertices: np.ndarray, part: np.ndarray) -> np.ndarray:
    """Each vertex's mirror image across X = 0 (table frame), looked up within its mirror part
    (left eyeball <-> right eyeball, teeth <-> the same teeth), so a key's mirror never moves
    one part with another part's motion."""
    mirror = np.arange(len(vertices))
    flip = np.array([-1.0, 1.0, 1.0])
    for i, name in enumerate(PART_NAMES):
        own = np.flatnonzero(part == i)
        if not len(own):
            continue
        other = name.replace("left", "@").replace("right", "left").replace("@", "right")
        pool = np.flatnonzero(part == PART_NAMES.index(other))
        pool = pool if len(pool) else own
        mirror[own] = pool[nearest(vertices[pool], vertices[own] * flip)[1]]
    return mirror
