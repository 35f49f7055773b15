"""Geometry of the demo head: canonical face plus skull, eyes, mouth, ears and neck (numpy only).

Everything is built in MediaPipe's canonical model space (centimetres, +x = the subject's left,
+y up, +z out of the face) and converted once at the end to Blender space (metres, +X = the
subject's left, -Y = the direction the face looks, +Z up), centred on the origin.

Vertex layout: rows ``0..467`` are MediaPipe face landmarks ``0..467`` (the canonical face with
its eye and mouth openings cut out); every other part is appended after them, in the order of
:data:`PART_NAMES`. The last part, ``face_detail``, is the face refined for folding: every
interior edge of the canonical face gets a midpoint vertex (``FACE_REFINE_LEVELS`` times), so
the skin between landmarks can crease while the landmarks keep their indices. The geometry is
exactly mirror-symmetric in X and :attr:`HeadGeometry.mirror` maps each vertex to its mirror
image.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from _demo_head_refine import refine_triangles

N_LANDMARKS = 468

# Closed landmark loops of the canonical face (MediaPipe indices, walked around the opening).
EYE_LOOP_LEFT = (263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249)
EYE_LOOP_RIGHT = (33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7)
INNER_LIP_LOOP = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308,
                  324, 318, 402, 317, 14, 87, 178, 88, 95)  # fmt: skip
OUTER_LIP_LOOP = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291,
                  375, 321, 405, 314, 17, 84, 181, 91, 146)  # fmt: skip
BROW_LEFT = (336, 296, 334, 293, 300, 285, 295, 282, 283, 276)
BROW_RIGHT = (107, 66, 105, 63, 70, 55, 65, 52, 53, 46)

# Part names, in vertex order. "surface" parts form the connected skin on which geodesic
# falloffs are measured; "attached" parts (sockets, mouth) follow their parent rim vertex.
PART_NAMES = (
    "face", "skull", "eye_socket", "mouth_cavity", "eyeball_left", "eyeball_right",
    "teeth_upper", "teeth_lower", "tongue", "ear_left", "ear_right", "neck", "face_detail",
)  # fmt: skip
SURFACE_PARTS = ("face", "skull", "face_detail")
FACE_PARTS = ("face", "face_detail")
# Midpoint refinements of the face (each splits every interior face edge): the canonical
# landmarks are 5-10 mm apart, too coarse for a brow furrow or a nasolabial fold.
FACE_REFINE_LEVELS = 1
ATTACHED_PARTS = ("eye_socket", "mouth_cavity")

MATERIAL_NAMES = (
    "Skin", "Lips", "Brows", "Hair", "EyeWhite", "Iris", "Pupil", "EyeSocket", "MouthInside",
    "Teeth", "Tongue",
)  # fmt: skip

# Shape of the appended parts (centimetres, canonical space).
SKULL_CENTER = (0.0, 3.0, -4.6)
SKULL_RADII = (7.9, 10.3, 10.0)
SKULL_POLE = (0.0, -0.3, -0.95)  # back of the skull, a little below its centre
SKULL_RINGS = 12
HAIR_RIM_HEIGHT = -1.2  # rim columns starting above this height (cm) are hair
EYE_RADIUS = 1.2
EYE_RADII = (1.35, 1.2, 1.2)  # a little wider than deep, to fill the lid opening's corners
EYE_POLAR_DEG = (11.0, 20.0, 30.0, 50.0, 75.0, 100.0, 130.0, 160.0)  # pupil | iris | white
EYE_SEGMENTS = 16
CM_TO_M = 0.01


@dataclass
class HeadGeometry:
    """The demo head as plain arrays.

    Attributes:
        vertices: ``float64[N, 3]`` in Blender space (metres); rows < 468 are landmarks.
        faces: Polygons as tuples of vertex indices (triangles and quads).
        face_materials: Index into :data:`MATERIAL_NAMES` for each polygon.
        part: ``int[N]`` index into :data:`PART_NAMES` for each vertex.
        parent: ``int[N]``; for attached parts the rim vertex each vertex follows, else itself.
        depth: ``float[N]`` in [0, 1]; how deep an attached vertex sits (0 = on the rim).
        mirror: ``int[N]``; index of each vertex's mirror image across X = 0.
        points: Named construction points in Blender space (eye centres, jaw pivot).
    """

    vertices: np.ndarray
    faces: list[tuple[int, ...]]
    face_materials: list[int]
    part: np.ndarray
    parent: np.ndarray
    depth: np.ndarray
    mirror: np.ndarray
    points: dict[str, np.ndarray]


class _Builder:
    """Accumulates vertices and polygons part by part."""

    def __init__(self) -> None:
        self.verts: list[np.ndarray] = []
        self.faces: list[tuple[int, ...]] = []
        self.mats: list[int] = []
        self.part: list[int] = []
        self.parent: list[int] = []
        self.depth: list[float] = []
        self.count = 0

    def add_verts(
        self,
        pts: np.ndarray,
        part: str,
        parent: np.ndarray | int | None = None,
        depth: np.ndarray | float | None = None,
    ) -> np.ndarray:
        """Append vertices of one part and return their indices.

        Args:
            pts: Points (cm, canonical space), one per row.
            part: Name from :data:`PART_NAMES`.
            parent: Rim vertex each point follows (attached parts); default: itself.
            depth: Depth in [0, 1] below the rim (attached parts); default 0.
        """
        pts = np.atleast_2d(np.asarray(pts, dtype=np.float64))
        idx = np.arange(self.count, self.count + len(pts))
        self.verts.append(pts)
        self.part += [PART_NAMES.index(part)] * len(pts)
        self.parent += list(idx if parent is None else np.broadcast_to(parent, len(pts)))
        self.depth += list(
            np.zeros(len(pts)) if depth is None else np.broadcast_to(depth, len(pts))
        )
        self.count += len(pts)
        return idx

    def add_faces(self, faces: Iterable[Sequence[int]], material: str | list[str]) -> None:
        """Append polygons with one material name or one per polygon."""
        faces = [tuple(int(i) for i in f) for f in faces]
        mats = [material] * len(faces) if isinstance(material, str) else material
        self.faces += faces
        self.mats += [MATERIAL_NAMES.index(m) for m in mats]


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _slerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """Spherical interpolation between unit vectors (rows of ``a``) and one unit vector ``b``."""
    omega = np.arccos(np.clip(a @ b, -1.0, 1.0))[:, None]
    return (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)


def _smoothstep(t: np.ndarray | float) -> np.ndarray:
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3 - 2 * t)


def _ring_faces(ring_a: np.ndarray, ring_b: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Quads joining two closed rings of equal length."""
    n = len(ring_a)
    return [(ring_a[k], ring_a[(k + 1) % n], ring_b[(k + 1) % n], ring_b[k]) for k in range(n)]


def _fan(ring: np.ndarray, center: int) -> list[tuple[int, int, int]]:
    n = len(ring)
    return [(ring[k], ring[(k + 1) % n], center) for k in range(n)]


def boundary_loop(triangles: np.ndarray) -> list[int]:
    """Ordered outer boundary loop of a triangle mesh (the one with the most vertices)."""
    count: dict[tuple[int, int], int] = {}
    for tri in triangles.tolist():
        for a, b in ((tri[0], tri[1]), (tri[1], tri[2]), (tri[2], tri[0])):
            key = (min(a, b), max(a, b))
            count[key] = count.get(key, 0) + 1
    # Directed boundary edges keep the triangles' winding, so the walk has one orientation.
    nxt = {}
    for tri in triangles.tolist():
        for a, b in ((tri[0], tri[1]), (tri[1], tri[2]), (tri[2], tri[0])):
            if count[(min(a, b), max(a, b))] == 1:
                nxt[a] = b
    loops, seen = [], set()
    for start in sorted(nxt):
        if start in seen:
            continue
        loop, cur = [], start
        while cur not in seen:
            seen.add(cur)
            loop.append(cur)
            cur = nxt[cur]
        loops.append(loop)
    return max(loops, key=len)


def _face_part(b: _Builder, verts: np.ndarray, triangles: np.ndarray) -> list[int]:
    """Landmark vertices and the canonical triangles minus the eye and mouth fills."""
    b.add_verts(verts, "face")
    fills = [EYE_LOOP_LEFT, EYE_LOOP_RIGHT, INNER_LIP_LOOP]
    keep = ~np.any([np.isin(triangles, loop).all(axis=1) for loop in fills], axis=0)
    tris = triangles[keep]
    mats = _face_materials(tris)
    b.add_faces(tris, mats)
    return boundary_loop(tris)


def _face_materials(tris: np.ndarray) -> list[str]:
    """Lips (flood fill from the mouth opening to the outer lip line), brows, else skin."""
    edges_of = [
        {(min(a, b), max(a, b)) for a, b in ((t[0], t[1]), (t[1], t[2]), (t[2], t[0]))}
        for t in tris.tolist()
    ]
    by_edge: dict[tuple[int, int], list[int]] = {}
    for fi, edges in enumerate(edges_of):
        for e in edges:
            by_edge.setdefault(e, []).append(fi)
    loop_edges = {
        (min(a, b), max(a, b))
        for loop in (OUTER_LIP_LOOP, INNER_LIP_LOOP)
        for a, b in zip(loop, loop[1:] + loop[:1], strict=True)
    }
    inner_edges = {e for e in loop_edges if e[0] in INNER_LIP_LOOP and e[1] in INNER_LIP_LOOP}
    lips = {fi for e in inner_edges for fi in by_edge.get(e, [])}
    todo = list(lips)
    while todo:
        fi = todo.pop()
        for e in edges_of[fi] - loop_edges:
            for nb in by_edge[e]:
                if nb not in lips:
                    lips.add(nb)
                    todo.append(nb)
    brows = np.isin(tris, BROW_LEFT).all(axis=1) | np.isin(tris, BROW_RIGHT).all(axis=1)
    return ["Lips" if fi in lips else "Brows" if brows[fi] else "Skin" for fi in range(len(tris))]


def _skull_part(b: _Builder, rim: list[int], verts: np.ndarray) -> None:
    """Loft the face's outer rim back over an ellipsoid cranium to a pole behind the head.

    Each rim vertex travels along a great circle (in the ellipsoid's unit-sphere space) to the
    pole at the back of the skull, while its radius eases from the rim's own onto the
    ellipsoid, so the skull meets the face without a step. Columns that start at or above
    ``HAIR_RIM_HEIGHT`` are hair, so the hairline is the face rim plus two smooth meridians.
    """
    center, radii = np.array(SKULL_CENTER), np.array(SKULL_RADII)
    local = (verts[rim] - center) / radii
    rho, dirs = np.linalg.norm(local, axis=1), _unit(local)
    pole = _unit(np.array(SKULL_POLE))
    rings = [np.asarray(rim)]
    for j in range(1, SKULL_RINGS):
        t = j / SKULL_RINGS
        r = rho + (1.0 - rho) * _smoothstep(t / 0.35)
        pts = center + radii * _slerp(dirs, pole, t) * r[:, None]
        rings.append(b.add_verts(pts, "skull"))
    tip = b.add_verts(center + radii * pole, "skull")[0]
    hair_col = verts[rim][:, 1] >= HAIR_RIM_HEIGHT
    n = len(rim)
    hair = [bool(hair_col[k] and hair_col[(k + 1) % n]) for k in range(n)]
    first = len(b.faces)
    for ra, rb in pairwise(rings):
        b.add_faces(_ring_faces(ra, rb), ["Hair" if h else "Skin" for h in hair])
    b.add_faces(_fan(rings[-1], tip), ["Hair" if h else "Skin" for h in hair])
    _orient_part(b, first, center, outward=True)


def _cavity(
    b: _Builder,
    loop: tuple[int, ...],
    part: str,
    shape: list[tuple[float, float, float]],
    material: str,
) -> None:
    """Pocket behind a rim loop: rings scaled about the rim centroid and pushed back (-z).

    ``shape`` rows are ``(scale_x, lift, depth)``: horizontal scale about the centroid, extra
    vertical opening (added away from the centroid's height, in cm) and push-back (cm).
    """
    pts = np.vstack(b.verts)[list(loop)]
    mid = pts.mean(axis=0)
    side = np.sign(np.round(pts[:, 1] - mid[1], 3))
    max_depth = shape[-1][2]
    rings = [np.asarray(loop)]
    for scale_x, lift, depth in shape[:-1]:
        ring = pts.copy()
        ring[:, 0] = mid[0] + (pts[:, 0] - mid[0]) * scale_x
        ring[:, 1] += side * lift
        ring[:, 2] -= depth
        rings.append(b.add_verts(ring, part, parent=np.asarray(loop), depth=depth / max_depth))
    scale_x, lift, depth = shape[-1]
    end = mid + np.array([0.0, lift, -depth])
    tip = b.add_verts(end, part, depth=1.0)[0]  # its own parent: the pocket's bottom stays put
    faces = [f for ra, rb in pairwise(rings) for f in _ring_faces(ra, rb)]
    faces += _fan(rings[-1], tip)
    b.add_faces(faces, material)


def _eye_center(verts: np.ndarray, loop: tuple[int, ...]) -> np.ndarray:
    """Eyeball centre: under the middle of the lid opening, front pole just behind the lids."""
    pts = verts[list(loop)]
    mid = pts.mean(axis=0)
    return np.array([mid[0], mid[1], pts[:, 2].max() - EYE_RADIUS - 0.1])


def _sphere(
    center: Sequence[float], radii: Sequence[float], polar_deg: Sequence[float], segments: int
) -> tuple[np.ndarray, list[tuple[int, ...]], list[int]]:
    """UV ellipsoid with its front pole on +z; returns points, polygons and ring index per face.

    Polygons index into the returned points: 0 is the front pole, the last is the back pole.
    """
    polar = np.radians(np.asarray(polar_deg))
    az = np.linspace(0.0, 2 * np.pi, segments, endpoint=False)
    ring_pts = [
        np.stack([np.sin(p) * np.cos(az), np.sin(p) * np.sin(az), np.full(segments, np.cos(p))], 1)
        for p in polar
    ]
    unit = np.vstack([[0.0, 0.0, 1.0], *ring_pts, [0.0, 0.0, -1.0]])
    pts = np.asarray(center) + unit * np.asarray(radii)
    rings = [1 + k * segments + np.arange(segments) for k in range(len(polar))]
    faces, band = [], []
    for k in range(segments):  # front cap, wound to face outward
        faces.append((0, rings[0][k], rings[0][(k + 1) % segments]))
        band.append(0)
    for r, (ra, rb) in enumerate(pairwise(rings), start=1):
        faces += [(a, d, c, bb) for a, bb, c, d in _ring_faces(ra, rb)]
        band += [r] * segments
    last = len(pts) - 1
    faces += [(rings[-1][(k + 1) % segments], rings[-1][k], last) for k in range(segments)]
    band += [len(polar)] * segments
    return pts, faces, band


def _add_sphere(
    b: _Builder,
    part: str,
    center: Sequence[float],
    radii: Sequence[float],
    polar: Sequence[float],
    segments: int,
    materials: list[str],
) -> None:
    """Append a UV ellipsoid; ``materials[band]`` names the material of each ring band."""
    pts, faces, band = _sphere(center, radii, polar, segments)
    idx = b.add_verts(pts, part)
    b.add_faces(
        [tuple(idx[list(f)]) for f in faces], [materials[min(r, len(materials) - 1)] for r in band]
    )


def _orient_part(b: _Builder, first_face: int, inside: np.ndarray, outward: bool) -> None:
    """Flip the polygons added since ``first_face`` if most do not face away from ``inside``."""
    pts = np.vstack(b.verts)
    score = 0.0
    for f in b.faces[first_face:]:
        p = pts[list(f)]
        n = np.cross(p[1] - p[0], p[2] - p[0])
        score += np.sign(n @ (p.mean(axis=0) - inside))
    if (score < 0) == outward:
        b.faces[first_face:] = [tuple(reversed(f)) for f in b.faces[first_face:]]


def _teeth_part(b: _Builder, part: str, top: float, bottom: float, front_z: float) -> None:
    """A curved strip of teeth along an elliptical dental arch behind the lips."""
    phi = np.radians(np.linspace(-75.0, 75.0, 13))
    half_width, depth = 2.3, 1.9
    rows = [
        np.stack(
            [half_width * np.sin(phi), np.full_like(phi, y), front_z - depth * (1 - np.cos(phi))],
            1,
        )
        for y in (top, bottom)
    ]
    first = len(b.faces)
    a, c = b.add_verts(rows[0], part), b.add_verts(rows[1], part)
    b.add_faces([(a[k], a[k + 1], c[k + 1], c[k]) for k in range(len(phi) - 1)], "Teeth")
    _orient_part(b, first, np.array([0.0, (top + bottom) / 2, front_z - 3.0]), outward=True)


def _ear_points(side: float) -> tuple[np.ndarray, list[tuple[int, ...]], list[int]]:
    """A flattened, slightly tilted ellipsoid shell standing in for an ear."""
    pts, faces, band = _sphere((0, 0, 0), (1.6, 2.9, 0.45), (30, 60, 90, 120, 150), 12)
    pts = pts[:, [2, 1, 0]] * [side, 1, 1]  # front pole now points sideways (out of the head)
    tilt, flare = np.radians(12.0), np.radians(-10.0 * side)  # top leans back; back edge out
    rot = np.array([[1, 0, 0], [0, np.cos(tilt), -np.sin(tilt)], [0, np.sin(tilt), np.cos(tilt)]])
    yaw = np.array(
        [[np.cos(flare), 0, np.sin(flare)], [0, 1, 0], [-np.sin(flare), 0, np.cos(flare)]]
    )
    pts = pts @ rot.T @ yaw.T + [side * 7.75, 1.0, -4.6]
    if side > 0:  # swapping x and z mirrored the shell; restore outward winding
        faces = [tuple(reversed(f)) for f in faces]
    return pts, faces, band


def _append_mesh(
    b: _Builder, part: str, pts: np.ndarray, faces: list[tuple[int, ...]], material: str
) -> None:
    """Append a self-contained mesh (faces index into ``pts``) as one part."""
    idx = b.add_verts(pts, part)
    b.add_faces([tuple(idx[list(f)]) for f in faces], material)


def _cylinder(
    center_xz: Sequence[float], radii_xz: Sequence[float], ys: np.ndarray, segments: int
) -> tuple[np.ndarray, list[tuple[int, ...]]]:
    """Open elliptic cylinder along y (neck)."""
    az = np.linspace(0.0, 2 * np.pi, segments, endpoint=False)
    pts = np.vstack(
        [
            np.stack(
                [
                    center_xz[0] + radii_xz[0] * np.sin(az),
                    np.full(segments, y),
                    center_xz[1] + radii_xz[1] * np.cos(az),
                ],
                1,
            )
            for y in ys
        ]
    )
    rings = [k * segments + np.arange(segments) for k in range(len(ys))]
    faces = [f for ra, rb in pairwise(rings) for f in _ring_faces(ra, rb)]
    return pts, faces


# Pocket shapes: (horizontal scale, extra vertical opening cm, push-back cm) per ring.
SOCKET_SHAPE = [(0.95, 0.0, 0.3), (0.7, -0.1, 0.9), (0.0, 0.0, 1.3)]
MOUTH_SHAPE = [
    (1.05, 0.25, 0.35),
    (1.3, 1.0, 1.4),
    (1.15, 1.4, 2.8),
    (0.6, 0.8, 3.9),
    (0, -0.3, 4.3),
]


def _inner_parts(b: _Builder, verts: np.ndarray) -> dict[str, np.ndarray]:
    """Eye sockets, mouth pocket, eyeballs, teeth and tongue; returns the eye centres (cm)."""
    for loop in (EYE_LOOP_LEFT, EYE_LOOP_RIGHT):
        first = len(b.faces)
        _cavity(b, loop, "eye_socket", SOCKET_SHAPE, "EyeSocket")
        inside = verts[list(loop)].mean(axis=0) - [0.0, 0.0, 0.5]
        _orient_part(b, first, inside, outward=False)
    first = len(b.faces)
    _cavity(b, INNER_LIP_LOOP, "mouth_cavity", MOUTH_SHAPE, "MouthInside")
    _orient_part(b, first, verts[list(INNER_LIP_LOOP)].mean(axis=0) - [0, 0, 2.0], outward=False)
    centers = {}
    eye_mats = ["Pupil", "Iris", "Iris", "EyeWhite"]
    for side, loop in (("left", EYE_LOOP_LEFT), ("right", EYE_LOOP_RIGHT)):
        centers[side] = _eye_center(verts, loop)
        first = len(b.faces)
        _add_sphere(b, f"eyeball_{side}", centers[side], EYE_RADII, EYE_POLAR_DEG,
                    EYE_SEGMENTS, eye_mats)  # fmt: skip
        _orient_part(b, first, centers[side], outward=True)
    lip_top, lip_bottom = verts[13], verts[14]
    _teeth_part(b, "teeth_upper", lip_top[1] + 0.45, lip_top[1] - 0.25, lip_top[2] - 0.3)
    _teeth_part(b, "teeth_lower", lip_bottom[1] + 0.15, lip_bottom[1] - 0.55, lip_bottom[2] - 0.5)
    tongue_center = (0.0, lip_bottom[1] - 0.75, lip_bottom[2] - 2.9)
    first = len(b.faces)
    _add_sphere(b, "tongue", tongue_center, (1.6, 0.5, 2.2), (30, 60, 90, 120, 150), 12,
                ["Tongue"])  # fmt: skip
    _orient_part(b, first, np.asarray(tongue_center), outward=True)
    return centers


def _outer_parts(b: _Builder) -> None:
    """Ears and neck (separate shells that tuck into the skull)."""
    for side, part in ((1.0, "ear_left"), (-1.0, "ear_right")):
        pts, faces, _band = _ear_points(side)
        first = len(b.faces)
        _append_mesh(b, part, pts, faces, "Skin")
        _orient_part(b, first, pts.mean(axis=0), outward=True)
    pts, faces = _cylinder((0.0, -4.2), (5.9, 5.9), np.linspace(-2.0, -17.0, 5), 16)
    first = len(b.faces)
    _append_mesh(b, "neck", pts, faces, "Skin")
    _orient_part(b, first, np.array([0.0, -9.0, -4.2]), outward=True)


def _refine_face(b: _Builder, n_faces: int) -> int:
    """Split every interior edge of the first ``n_faces`` polygons (the face) at its midpoint.

    The midpoints are appended as part ``face_detail`` (see ``tools/_demo_head_refine.py``);
    sub-triangles keep their triangle's material and replace the first ``n_faces`` polygons.

    Returns:
        The number of face polygons after the split.
    """
    pts = np.vstack(b.verts)
    mids, faces, mats, _first = refine_triangles(
        pts, b.faces[:n_faces], b.mats[:n_faces], mirror_map(pts)
    )
    b.add_verts(mids, "face_detail")  # numbered from len(pts), as refine_triangles assumed
    b.faces[:n_faces], b.mats[:n_faces] = faces, mats
    return len(faces)


def _to_blender(p: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """Canonical cm (x left, y up, z out) to Blender metres (X left, -Y out, Z up)."""
    p = np.asarray(p, dtype=np.float64)
    return np.stack([p[..., 0], -p[..., 2], p[..., 1]], -1) * CM_TO_M - offset


def mirror_map(vertices: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """Index of each vertex's mirror image across X = 0.

    Raises:
        ValueError: If the geometry is not mirror-symmetric within ``tol``.
    """
    flipped = vertices * [-1.0, 1.0, 1.0]
    order = np.lexsort(np.round(vertices, 9).T)
    # Pair by sorting both sets on rounded coordinates, then verify exactly.
    forder = np.lexsort(np.round(flipped, 9).T)
    mirror = np.empty(len(vertices), dtype=np.int64)
    mirror[forder] = order
    err = np.abs(vertices[mirror] - flipped).max()
    if err > tol:
        raise ValueError(f"head geometry is not mirror-symmetric (max error {err:.3g})")
    return mirror


def build_head(canonical_vertices: np.ndarray, triangles: np.ndarray) -> HeadGeometry:
    """Build the whole demo head from the canonical face.

    Args:
        canonical_vertices: ``float[468, 3]`` canonical face (cm, MediaPipe model space).
        triangles: ``int[898, 3]`` canonical triangles.

    Returns:
        The head in Blender space, centred on the origin.
    """
    b = _Builder()
    verts = np.asarray(canonical_vertices, dtype=np.float64)
    rim = _face_part(b, verts, triangles)
    n_face = len(b.faces)
    _skull_part(b, rim, verts)
    centers = _inner_parts(b, verts)
    _outer_parts(b)
    for _ in range(FACE_REFINE_LEVELS):
        n_face = _refine_face(b, n_face)
    pts = np.vstack(b.verts)
    head = pts[np.isin(b.part, [PART_NAMES.index(p) for p in SURFACE_PARTS])]
    mid = (head.min(axis=0) + head.max(axis=0)) / 2
    offset = _to_blender(mid, np.zeros(3))
    vertices = _to_blender(pts, offset)
    vertices[np.abs(vertices[:, 0]) < 1e-12, 0] = 0.0
    tmj = (verts[234] + verts[454]) / 2 + [0.0, -0.6, -0.9]  # in front of the ears, lower
    return HeadGeometry(
        vertices=vertices,
        faces=b.faces,
        face_materials=b.mats,
        part=np.asarray(b.part),
        parent=np.asarray(b.parent, dtype=np.int64),
        depth=np.asarray(b.depth),
        mirror=mirror_map(vertices),
        points={
            "eye_center_left": _to_blender(centers["left"], offset),
            "eye_center_right": _to_blender(centers["right"], offset),
            "jaw_pivot": _to_blender(tmj, offset),
        },
    )
