"""Evaluate the ARKit-52 table (:mod:`.keygen_table`) into per-vertex shape key offsets.

Paper 004's "soft mod" blend shapes: each key is a soft-falloff deformation at facial key points
(MediaPipe landmarks). Distances are measured over the skin surface (geodesic, along mesh edges,
with our Dijkstra, :mod:`.mesh_graph`), so a falloff never jumps across the mouth or eye openings.
Attached pockets (eye sockets, mouth) follow their rim vertex; rigid parts (eyeballs, teeth,
tongue) move only when a region names them. Right keys are the mirror images of the Left keys.

Two callers: the demo-head builder (``tools/make_demo_head.py``, whose landmarks are vertices
0-467 and whose parts are labelled) and :func:`.keygen_head.generate_offsets` for any key-less
head, whose landmarks are points found on its surface (``cli rig generate``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

from .keygen_table import (
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
from .mesh_graph import MeshGraph

__all__ = ["ARKIT_NAMES", "KEY_POINTS", "KeyMesh", "shape_key_offsets"]

MM = 0.001
EPS_MM = 0.5  # softening of the inverse-square Shepard weights
# Relaxation sweeps of a soft-mod field between its held vertices (targets, pins, outside the
# falloff): the Shepard blend alone leaves flat plateaus around each key point, which the
# refined face shows as dents; a few uniform-Laplacian sweeps make the field smooth.
RELAX_SWEEPS = 25
MIRROR = np.array([-1.0, 1.0, 1.0])
N_LANDMARKS = 468


@dataclass
class KeyMesh:
    """A head as plain arrays in the table frame (metres, +Z up, face toward -Y, left = +X).

    Attributes:
        vertices: ``float64[N, 3]``.
        faces: Polygons as tuples of vertex indices (or ``int[m, L]`` when all have ``L``).
        mirror: ``int[N]``; each vertex's mirror image across X = 0.
        landmarks: ``int[468]``; the vertex of each MediaPipe landmark.
        landmark_mirror: ``int[468]``; each landmark's mirror landmark.
        points: Pivots: ``eye_center_left``, ``eye_center_right``, ``jaw_pivot``.
        part: ``int[N]`` index into ``part_names`` (all 0 for an unlabelled head).
        part_names: Part names; ``surface_parts`` carry skin distances, ``attached_parts``
            follow their ``parent`` rim vertex, scaled down by ``depth``.
        geodesic_limit: Dijkstra's search radius (metres; inf = the whole skin).
        attenuate_regions: Scale attached vertices' jaw/lip region weights by ``1 - depth``
            too (a generated head's loose islands fade out with distance; the demo head's
            mouth pocket follows its rim fully).
        average_rigid: Centre keys average rigid parts (neither skin nor attached) with their
            mirror image like the skin. Exact on a mirrored mesh (the demo head); a generated
            head's mirror map is only nearest-vertex, so it keeps their own rigid motion.
    """

    vertices: np.ndarray
    faces: list
    mirror: np.ndarray
    landmarks: np.ndarray
    landmark_mirror: np.ndarray
    points: dict[str, np.ndarray]
    part: np.ndarray | None = None
    part_names: tuple[str, ...] = ("skin",)
    surface_parts: tuple[str, ...] = ("skin",)
    attached_parts: tuple[str, ...] = ()
    parent: np.ndarray | None = None
    depth: np.ndarray | None = None
    geodesic_limit: float = np.inf
    check_symmetry: bool = field(default=False)
    attenuate_regions: bool = False  # attached vertices take ``1 - depth`` of a region too
    average_rigid: bool = True  # centre keys: rigid parts averaged with their mirror too

    def __post_init__(self) -> None:
        n = len(self.vertices)
        if self.part is None:
            self.part = np.zeros(n, dtype=np.int64)
        if self.parent is None:
            self.parent = np.arange(n)
        if self.depth is None:
            self.depth = np.zeros(n)


def key_point_groups(mirror: np.ndarray) -> dict[str, list[int]]:
    """All landmark groups by full name (``upper_lid_left``, ``upper_lid_right``, ``chin``...).

    Args:
        mirror: Landmark mirror map (the demo head's vertex mirror map works too).
    """
    groups = {}
    for name, members in GROUPS_LEFT.items():
        groups[f"{name}_left"] = [int(i) for i in members]
        groups[f"{name}_right"] = [int(mirror[i]) for i in members]
    groups.update({name: list(members) for name, members in GROUPS_MIDLINE.items()})
    return groups


def falloff(t: np.ndarray) -> np.ndarray:
    """Smoothstep falloff: 1 at ``t = 0``, 0 for ``t >= 1``, zero slope at both ends."""
    t = np.clip(t, 0.0, 1.0)
    return 1.0 - t * t * (3.0 - 2.0 * t)


def group(name: str, mirror: np.ndarray | None = None) -> tuple[int, ...]:
    """Landmark indices of a group or key point name.

    Sided groups are left-side by default; ``<group>_right`` names their mirror image (this
    needs the landmark ``mirror`` map).

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


class _Field:
    """Geodesic distances on the head's skin and helpers to evaluate operations."""

    def __init__(self, head: KeyMesh) -> None:
        self.head = head
        self.n = len(head.vertices)
        codes = [head.part_names.index(p) for p in head.surface_parts]
        self.surface = np.isin(head.part, codes)
        codes = [head.part_names.index(p) for p in head.attached_parts]
        self.attached = np.flatnonzero(np.isin(head.part, codes))
        i, j = _edges(head.faces, self.surface)
        w = np.linalg.norm(head.vertices[i] - head.vertices[j], axis=1)
        self.graph = MeshGraph(self.n, i, j, w)
        self.normals = _skin_normals(head, self.surface)
        self._distance: dict[int, np.ndarray] = {}

    def distances(self, sources: list[int]) -> np.ndarray:
        """``float[len(sources), N]`` geodesic distances (metres; inf off the skin)."""
        keys = [int(s) for s in sources]
        new = list(dict.fromkeys(s for s in keys if s not in self._distance))
        if new:  # the sources not seen yet, in one search
            found = self.graph.distances(new, self.head.geodesic_limit)
            self._distance.update(zip(new, found, strict=True))
        return np.array([self._distance[s] for s in keys]).reshape(len(keys), self.n)

    def shepard(self, sources: list[int], values: np.ndarray, where: np.ndarray) -> np.ndarray:
        """Inverse-square-distance blend of per-source values at the ``where`` (bool[N])
        vertices (0 elsewhere: the callers' envelopes are 0 there) and at the sources."""
        cols = np.flatnonzero(where)
        g = self.distances(sources)[:, cols]
        k = 1.0 / (g**2 + (EPS_MM * MM) ** 2)  # 0 where a source is unreachable (inf)
        total = k.sum(axis=0)
        total[total == 0.0] = 1.0
        out = np.zeros((self.n, *values.shape[1:]))
        blend = np.einsum("sn,s...->n...", k, values)
        out[cols] = blend / total.reshape(-1, *[1] * (values.ndim - 1))
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
        free = np.flatnonzero(self.surface & ~held)
        average = self.graph.averager(free)  # only the free rows: the rest keep their value
        for _ in range(RELAX_SWEEPS):
            out[free] = average(out)
        return out

    def vertex(self, landmarks: tuple[int, ...]) -> tuple[int, ...]:
        """The vertices of landmarks."""
        return tuple(int(self.head.landmarks[i]) for i in landmarks)

    def mirrored(self, landmarks: tuple[int, ...]) -> tuple[int, ...]:
        """Mirror landmarks of landmarks."""
        return tuple(int(self.head.landmark_mirror[i]) for i in landmarks)

    def group(self, name: str) -> tuple[int, ...]:
        """Landmark indices of a group (see :func:`group`)."""
        return group(name, self.head.landmark_mirror)

    def surface_only(self, values: np.ndarray) -> np.ndarray:
        """Zero every vertex off the skin (and any NaN from unreachable vertices)."""
        out = np.where(self.surface.reshape(-1, *[1] * (values.ndim - 1)), values, 0.0)
        return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)


def _polygon_groups(faces: list) -> list[np.ndarray]:
    """The polygons as ``int[m, L]`` arrays, one per polygon size ``L``."""
    if isinstance(faces, np.ndarray) and faces.ndim == 2:
        return [faces.astype(np.int64, copy=False)]
    by_size: dict[int, list] = {}
    for f in faces:
        by_size.setdefault(len(f), []).append(f)
    return [np.asarray(fs, dtype=np.int64) for _, fs in sorted(by_size.items())]


def _edges(faces: list, surface: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique skin edges ``(i, j)`` with ``i < j``, sorted."""
    pairs = []
    for f in _polygon_groups(faces):
        for c in range(f.shape[1]):
            a, b = f[:, c], f[:, (c + 1) % f.shape[1]]
            keep = surface[a] & surface[b]
            pairs.append(np.stack([np.minimum(a, b)[keep], np.maximum(a, b)[keep]], axis=1))
    edges = np.unique(np.concatenate(pairs), axis=0)
    return edges[:, 0], edges[:, 1]


def _skin_normals(head: KeyMesh, surface: np.ndarray) -> np.ndarray:
    """Outward unit vertex normals of the skin (area-weighted; zero off the skin)."""
    v = head.vertices
    out = np.zeros_like(v)
    for f in _polygon_groups(head.faces):
        f = f[surface[f].all(axis=1)]
        n = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
        for c in range(f.shape[1]):
            np.add.at(out, f[:, c], n)
    length = np.linalg.norm(out, axis=1, keepdims=True)
    return np.divide(out, length, out=np.zeros_like(out), where=length > 0)


def _targets(fld: _Field, op: Move) -> tuple[list[int], np.ndarray]:
    """Target vertex indices and their displacements (metres), mirrored copies included."""
    index: dict[int, np.ndarray] = {}
    for name, vec in op.targets:
        for i in fld.vertex(fld.group(name)):
            index[i] = np.asarray(vec, dtype=np.float64) * MM
        if op.both_sides:
            for i in fld.vertex(fld.mirrored(fld.group(name))):
                index.setdefault(i, np.asarray(vec, dtype=np.float64) * MM * MIRROR)
    return list(index), np.array(list(index.values()))


def _pins(fld: _Field, names: tuple[str, ...], both_sides: bool) -> list[int]:
    """Vertices of the named groups (and their mirror groups)."""
    pins = {i for name in names for i in fld.group(name)}
    if both_sides:
        pins |= set(fld.mirrored(tuple(pins)))
    return sorted(set(fld.vertex(tuple(sorted(pins)))))


def eval_move(fld: _Field, op: Move) -> np.ndarray:
    """Displacement field of a :class:`Move`."""
    sources, disp = _targets(fld, op)
    pins = [p for p in _pins(fld, op.pins, op.both_sides) if p not in sources]
    values = np.vstack([disp, np.zeros((len(pins), 3))])
    envelope = fld.envelope(sources, op.radius)
    blend = fld.shepard(sources + pins, values, envelope > 0.0)
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
    upper, lower, corners = (fld.vertex(g) for g in (upper, lower, corners))
    v = fld.head.vertices
    overlap = np.asarray(op.overlap) * MM
    disp = (v[list(lower)] - v[list(upper)] + overlap) * op.amount
    pins = [p for p in list(lower) + list(corners) if p not in upper]
    disp = np.vstack([disp, np.zeros((len(pins), 3))])
    envelope = fld.envelope(list(upper), op.radius)
    blend = fld.shepard(list(upper) + pins, disp, envelope > 0.0)
    field = fld.surface_only(blend * envelope[:, None])
    return fld.inherit(field, attenuate=True)


def _path_points(fld: _Field, path: tuple, mirror: bool) -> np.ndarray:
    """Basis positions along a crease path (landmarks, or ``(a, b)`` for their midpoint)."""
    v = fld.head.vertices
    pts = []
    for item in path:
        ids = tuple(int(i) for i in np.atleast_1d(item))
        if mirror:
            ids = fld.mirrored(ids)
        pts.append(v[list(fld.vertex(ids))].mean(axis=0))
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
        envelope = fld.envelope(moving, region.radius)
        blend = fld.shepard(moving + fixed, values, envelope > 0.0)
        weight = fld.surface_only(blend * envelope)
        weight = fld.inherit(weight, attenuate=fld.head.attenuate_regions)
    for part in region.rigid:
        if part in fld.head.part_names:
            weight[fld.head.part == fld.head.part_names.index(part)] = 1.0
    return weight


def _rotate(points: np.ndarray, axis: Vec, angles: np.ndarray) -> np.ndarray:
    """Rotate each point about a unit axis through the origin by its own angle (Rodrigues)."""
    k = np.asarray(axis, dtype=np.float64)
    k = k / np.linalg.norm(k)
    cos, sin = np.cos(angles)[:, None], np.sin(angles)[:, None]
    return points * cos + np.cross(k, points) * sin + np.outer(points @ k, k) * (1 - cos)


def eval_hinge(fld: _Field, op: Hinge) -> np.ndarray:
    """Displacement field of a :class:`Hinge`: each vertex turns by ``weight * angle``."""
    weight = region_weight(fld, REGIONS[op.region])
    pivot = fld.head.points[op.pivot]
    v = fld.head.vertices
    out = np.zeros_like(v)
    idx = np.flatnonzero(weight)
    rel = v[idx] - pivot
    out[idx] = _rotate(rel, op.axis, np.radians(op.angle) * weight[idx]) - rel
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


def check_key_points(mirror: np.ndarray) -> None:
    """Verify that every sided key point pair and every group is landmark-symmetric.

    Raises:
        ValueError: If a (left, right) pair is not a mirror pair.
    """
    for name, (left, right) in SIDED_POINTS.items():
        if mirror[left] != right:
            raise ValueError(f"key point {name}: {right} is not the mirror of {left}")
    for name, members in GROUPS_MIDLINE.items():
        if any(mirror[i] != i for i in members):
            raise ValueError(f"midline group {name} has off-midline landmarks")


def shape_key_offsets(
    head: KeyMesh,
    names: tuple[str, ...] | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> dict[str, np.ndarray]:
    """Displacement (table metres, ``float[N, 3]``) of ARKit shape keys from the Basis.

    Args:
        head: The head in the table frame.
        names: Keys wanted (default all 52).
        progress: Called as ``progress(fraction, key name)`` before each table entry; a
            background job's progress callback may raise :class:`.errors.CancelledError`.

    Returns:
        ARKit name -> per-vertex offsets. Right keys mirror Left keys; centre keys are made
        symmetric.
    """
    if head.check_symmetry:
        check_key_points(head.landmark_mirror)
    wanted = set(ARKIT_NAMES if names is None else names)
    fld = _Field(head)
    mirror = head.mirror
    offsets: dict[str, np.ndarray] = {}
    todo = [
        (name, ops, name[: -len("Left")] + "Right" if name.endswith("Left") else None)
        for name, ops in KEY_TABLE.items()
    ]
    todo = [(name, ops, right) for name, ops, right in todo if {name, right} & wanted]
    for done, (name, ops, right) in enumerate(todo):
        if progress is not None:
            progress(done / len(todo), name)
        field = key_offset(fld, ops)
        if right is not None:
            offsets[name] = field
            offsets[right] = field[mirror] * MIRROR
        else:
            centre = (field + field[mirror] * MIRROR) / 2
            if not head.average_rigid:
                rigid = ~fld.surface
                rigid[fld.attached] = False
                centre[rigid] = field[rigid]
            offsets[name] = centre
    if names is None:
        missing = set(ARKIT_NAMES) - set(offsets)
        if missing or len(offsets) != len(ARKIT_NAMES):
            raise ValueError(f"key table does not match ARKit-52: missing {sorted(missing)}")
    return {k: v for k, v in offsets.items() if k in wanted}
