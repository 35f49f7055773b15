"""Evaluate the demo head's ARKit-52 table into per-vertex shape key offsets (numpy + scipy).

Each entry of :data:`_demo_head_key_table.KEY_TABLE` is a soft-falloff deformation at facial key
points (paper 004's "soft mod" blend shapes). Distances are measured over the skin surface
(geodesic, along mesh edges, with scipy's Dijkstra), so a falloff never jumps across the mouth
or eye openings: the lower lid or lip can move without dragging the upper one. Attached pockets
(eye sockets, mouth) follow their rim vertex; rigid parts (eyeballs, teeth, tongue) move only
when a region names them. Right keys are the exact mirror images of the Left keys.
"""

from __future__ import annotations

from functools import cache
from itertools import pairwise

import numpy as np
from _demo_head_geometry import ATTACHED_PARTS, PART_NAMES, SURFACE_PARTS, HeadGeometry
from _demo_head_key_table import (
    ARKIT_NAMES,
    GROUPS_LEFT,
    GROUPS_MIDLINE,
    KEY_POINTS,
    KEY_TABLE,
    REGIONS,
    SIDED_POINTS,
    CloseLid,
    Crease,
    Hinge,
    Move,
    Region,
    Slide,
    Vec,
)
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

__all__ = ["ARKIT_NAMES", "KEY_POINTS", "key_point_groups", "shape_key_offsets"]

MM = 0.001
EPS_MM = 0.5  # softening of the inverse-square Shepard weights
# Relaxation sweeps of a soft-mod field between its held vertices (targets, pins, outside the
# falloff): the Shepard blend alone leaves flat plateaus around each key point, which the
# refined face shows as dents; a few uniform-Laplacian sweeps make the field smooth.
RELAX_SWEEPS = 25


def key_point_groups(mirror: np.ndarray) -> dict[str, list[int]]:
    """All landmark groups by full name (``upper_lid_left``, ``upper_lid_right``, ``chin``...).

    Args:
        mirror: The head geometry's vertex mirror map.
    """
    groups = {}
    for name, members in GROUPS_LEFT.items():
        groups[f"{name}_left"] = [int(i) for i in members]
        groups[f"{name}_right"] = [int(mirror[i]) for i in members]
    groups.update({name: list(members) for name, members in GROUPS_MIDLINE.items()})
    return groups


MIRROR = np.array([-1.0, 1.0, 1.0])


def falloff(t: np.ndarray) -> np.ndarray:
    """Smoothstep falloff: 1 at ``t = 0``, 0 for ``t >= 1``, zero slope at both ends."""
    t = np.clip(t, 0.0, 1.0)
    return 1.0 - t * t * (3.0 - 2.0 * t)


def group(name: str, mirror: np.ndarray | None = None) -> tuple[int, ...]:
    """Landmark indices of a group or key point name.

    Sided groups are left-side by default; ``<group>_right`` names their mirror image (this
    needs the geometry's ``mirror`` map).

    Raises:
        KeyError: If the name is unknown.
    """
    if name in GROUPS_MIDLINE:
        return GROUPS_MIDLINE[name]
    if name in GROUPS_LEFT:
        return GROUPS_LEFT[name]
    base = name.removesuffix("_right")
    if base != name and base in GROUPS_LEFT and mirror is not None:
        return tuple(int(mirror[i]) for i in GROUPS_LEFT[base])
    return (KEY_POINTS[name],)


def _rotation(axis: Vec, angle: float) -> np.ndarray:
    """Rotation matrix about a unit axis by ``angle`` radians (Rodrigues)."""
    k = np.asarray(axis, dtype=np.float64)
    k = k / np.linalg.norm(k)
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(angle) * kx + (1 - np.cos(angle)) * kx @ kx


class _Field:
    """Geodesic distances on the head's skin and helpers to evaluate operations."""

    def __init__(self, head: HeadGeometry) -> None:
        self.head = head
        self.n = len(head.vertices)
        codes = [PART_NAMES.index(p) for p in SURFACE_PARTS]
        self.surface = np.isin(head.part, codes)
        attached = np.isin(head.part, [PART_NAMES.index(p) for p in ATTACHED_PARTS])
        self.attached = np.flatnonzero(attached)
        edges = {
            (min(a, b), max(a, b))
            for f in head.faces
            for a, b in zip(f, f[1:] + f[:1], strict=True)
            if self.surface[a] and self.surface[b]
        }
        i, j = np.array(sorted(edges)).T
        w = np.linalg.norm(head.vertices[i] - head.vertices[j], axis=1)
        self.graph = coo_matrix((w, (i, j)), shape=(self.n, self.n)).tocsr()
        adj = coo_matrix((np.ones(2 * len(i)), (np.r_[i, j], np.r_[j, i])), (self.n, self.n))
        degree = np.maximum(np.asarray(adj.sum(axis=1)).ravel(), 1.0)
        self.average = (adj.tocsr().multiply(1.0 / degree[:, None])).tocsr()
        self.normals = _skin_normals(head, self.surface)
        self.distance = cache(self._distance)

    def _distance(self, source: int) -> np.ndarray:
        return dijkstra(self.graph, directed=False, indices=source)

    def distances(self, sources: list[int]) -> np.ndarray:
        """``float[len(sources), N]`` geodesic distances (metres; inf off the skin)."""
        return np.array([self.distance(int(s)) for s in sources]).reshape(len(sources), self.n)

    def shepard(self, sources: list[int], values: np.ndarray) -> np.ndarray:
        """Inverse-square-distance blend of per-source values over all vertices."""
        g = self.distances(sources)
        k = 1.0 / (g**2 + (EPS_MM * MM) ** 2)  # 0 where a source is unreachable (inf)
        total = k.sum(axis=0)
        total[total == 0.0] = 1.0
        out = np.einsum("sn,s...->n...", k, values) / total.reshape(-1, *[1] * (values.ndim - 1))
        out[np.asarray(sources)] = values  # exact at the sources: pins stay put, targets hit
        return out

    def envelope(self, sources: list[int], radius_mm: float) -> np.ndarray:
        """Falloff of the distance to the nearest source."""
        return falloff(self.distances(sources).min(axis=0) / (radius_mm * MM))

    def inherit(self, values: np.ndarray, attenuate: bool) -> np.ndarray:
        """Give attached vertices (sockets, mouth pocket) their rim vertex's value."""
        out = values.copy()
        idx = self.attached
        scale = 1.0 - self.head.depth[idx] if attenuate else np.ones(len(idx))
        out[idx] = values[self.head.parent[idx]] * scale.reshape(-1, *[1] * (values.ndim - 1))
        return out

    def relax(self, values: np.ndarray, held: np.ndarray) -> np.ndarray:
        """Uniform-Laplacian sweeps over the skin; ``held`` (bool[N]) vertices keep their value."""
        out = values.copy()
        free = self.surface & ~held
        for _ in range(RELAX_SWEEPS):
            out[free] = (self.average @ out)[free]
        return out

    def mirrored(self, indices: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(int(self.head.mirror[i]) for i in indices)

    def group(self, name: str) -> tuple[int, ...]:
        return group(name, self.head.mirror)

    def surface_only(self, values: np.ndarray) -> np.ndarray:
        """Zero every vertex off the skin (and any NaN from unreachable vertices)."""
        out = np.where(self.surface.reshape(-1, *[1] * (values.ndim - 1)), values, 0.0)
        return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)


def _skin_normals(head: HeadGeometry, surface: np.ndarray) -> np.ndarray:
    """Outward unit vertex normals of the skin (area-weighted; zero off the skin)."""
    v = head.vertices
    out = np.zeros_like(v)
    for f in head.faces:
        if all(surface[i] for i in f):
            n = np.cross(v[f[1]] - v[f[0]], v[f[2]] - v[f[0]])
            out[list(f)] += n
    length = np.linalg.norm(out, axis=1, keepdims=True)
    return np.divide(out, length, out=np.zeros_like(out), where=length > 0)


def _targets(fld: _Field, op: Move) -> tuple[list[int], np.ndarray]:
    """Target vertex indices and their displacements (metres), mirrored copies included."""
    index: dict[int, np.ndarray] = {}
    for name, vec in op.targets:
        for i in fld.group(name):
            index[i] = np.asarray(vec, dtype=np.float64) * MM
        if op.both_sides:
            for i in fld.mirrored(fld.group(name)):
                index.setdefault(i, np.asarray(vec, dtype=np.float64) * MM * MIRROR)
    return list(index), np.array(list(index.values()))


def _pins(fld: _Field, names: tuple[str, ...], both_sides: bool) -> list[int]:
    pins = {i for name in names for i in fld.group(name)}
    if both_sides:
        pins |= set(fld.mirrored(tuple(pins)))
    return sorted(pins)


def eval_move(fld: _Field, op: Move) -> np.ndarray:
    """Displacement field of a :class:`Move`."""
    sources, disp = _targets(fld, op)
    pins = [p for p in _pins(fld, op.pins, op.both_sides) if p not in sources]
    values = np.vstack([disp, np.zeros((len(pins), 3))])
    blend = fld.shepard(sources + pins, values)
    envelope = fld.envelope(sources, op.radius)
    field = fld.surface_only(blend * envelope[:, None])
    held = envelope == 0.0
    held[sources + pins] = True
    return fld.inherit(fld.relax(field, held), attenuate=True)


def eval_close_lid(fld: _Field, op: CloseLid) -> np.ndarray:
    """Displacement field of a :class:`CloseLid`: upper lid onto lower lid, lower lid pinned."""
    upper, lower = GROUPS_LEFT["upper_lid"], GROUPS_LEFT["lower_lid"]
    corners = GROUPS_LEFT["eye_corners"]
    if op.side == "right":
        upper, lower, corners = (fld.mirrored(g) for g in (upper, lower, corners))
    v = fld.head.vertices
    overlap = np.asarray(op.overlap) * MM
    disp = (v[list(lower)] - v[list(upper)] + overlap) * op.amount
    pins = list(lower) + list(corners)
    blend = fld.shepard(list(upper) + pins, np.vstack([disp, np.zeros((len(pins), 3))]))
    field = fld.surface_only(blend * fld.envelope(list(upper), op.radius)[:, None])
    return fld.inherit(field, attenuate=True)


def _path_points(fld: _Field, path: tuple, mirror: bool) -> np.ndarray:
    """Basis positions along a crease path (landmarks, or ``(a, b)`` for their midpoint)."""
    v = fld.head.vertices
    pts = []
    for item in path:
        ids = [int(i) for i in np.atleast_1d(item)]
        if mirror:
            ids = [int(fld.head.mirror[i]) for i in ids]
        pts.append(v[ids].mean(axis=0))
    return np.array(pts)


def _distance_to_polyline(points: np.ndarray, line: np.ndarray) -> np.ndarray:
    """Euclidean distance of each point to a polyline (metres)."""
    best = np.full(len(points), np.inf)
    for a, b in pairwise(line):
        ab = b - a
        t = np.clip((points - a) @ ab / max(ab @ ab, 1e-18), 0.0, 1.0)
        best = np.minimum(best, np.linalg.norm(points - (a + t[:, None] * ab), axis=1))
    return best


def eval_crease(fld: _Field, op: Crease) -> np.ndarray:
    """Displacement field of a :class:`Crease`: skin pushed in along the path's normals."""
    depth = np.zeros(fld.n)
    for mirror in (False, True) if op.both_sides else (False,):
        line = _path_points(fld, op.path, mirror)
        weight = falloff(_distance_to_polyline(fld.head.vertices, line) / (op.width * MM))
        depth = np.maximum(depth, weight * op.depth * MM)
    field = fld.surface_only(-fld.normals * depth[:, None])
    return fld.inherit(field, attenuate=True)


def region_weight(fld: _Field, region: Region) -> np.ndarray:
    """Per-vertex weight of a :class:`Region` (anchors on both sides)."""
    weight = np.zeros(fld.n)
    if region.moving:
        moving = _pins(fld, region.moving, both_sides=True)
        fixed = [p for p in _pins(fld, region.fixed, both_sides=True) if p not in moving]
        values = np.concatenate([np.ones(len(moving)), np.zeros(len(fixed))])
        blend = fld.shepard(moving + fixed, values)
        weight = fld.surface_only(blend * fld.envelope(moving, region.radius))
        weight = fld.inherit(weight, attenuate=False)
    for part in region.rigid:
        weight[fld.head.part == PART_NAMES.index(part)] = 1.0
    return weight


def eval_hinge(fld: _Field, op: Hinge) -> np.ndarray:
    """Displacement field of a :class:`Hinge`: each vertex turns by ``weight * angle``."""
    weight = region_weight(fld, REGIONS[op.region])
    pivot = fld.head.points[op.pivot]
    v = fld.head.vertices
    out = np.zeros_like(v)
    for i in np.flatnonzero(weight):
        rot = _rotation(op.axis, np.radians(op.angle) * weight[i])
        out[i] = rot @ (v[i] - pivot) + pivot - v[i]
    return out


def eval_slide(fld: _Field, op: Slide) -> np.ndarray:
    """Displacement field of a :class:`Slide`."""
    weight = region_weight(fld, REGIONS[op.region])
    return weight[:, None] * (np.asarray(op.offset, dtype=np.float64) * MM)


_EVALUATORS = {
    Move: eval_move,
    CloseLid: eval_close_lid,
    Hinge: eval_hinge,
    Slide: eval_slide,
    Crease: eval_crease,
}


def key_offset(fld: _Field, ops: tuple) -> np.ndarray:
    """Sum of the displacement fields of one table entry."""
    return sum((_EVALUATORS[type(op)](fld, op) for op in ops), np.zeros((fld.n, 3)))


def check_key_points(head: HeadGeometry) -> None:
    """Verify that every sided key point pair and every group is landmark-symmetric.

    Raises:
        ValueError: If a (left, right) pair is not a mirror pair of the geometry.
    """
    for name, (left, right) in SIDED_POINTS.items():
        if head.mirror[left] != right:
            raise ValueError(f"key point {name}: {right} is not the mirror of {left}")
    for name, members in GROUPS_MIDLINE.items():
        if any(head.mirror[i] != i for i in members):
            raise ValueError(f"midline group {name} has off-midline landmarks")


def shape_key_offsets(head: HeadGeometry) -> dict[str, np.ndarray]:
    """Displacement (metres, ``float[N, 3]``) of every ARKit shape key from the Basis.

    Args:
        head: The demo head geometry.

    Returns:
        ARKit name -> per-vertex offsets. Right keys mirror Left keys; centre keys are made
        exactly symmetric.
    """
    check_key_points(head)
    fld = _Field(head)
    mirror = head.mirror
    offsets: dict[str, np.ndarray] = {}
    for name, ops in KEY_TABLE.items():
        field = key_offset(fld, ops)
        if name.endswith("Left"):
            offsets[name] = field
            offsets[name[: -len("Left")] + "Right"] = field[mirror] * MIRROR
        else:
            offsets[name] = (field + field[mirror] * MIRROR) / 2
    missing = set(ARKIT_NAMES) - set(offsets)
    if missing or len(offsets) != len(ARKIT_NAMES):
        raise ValueError(f"key table does not match ARKit-52: missing {sorted(missing)}")
    return offsets
