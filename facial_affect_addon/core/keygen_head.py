"""Expression keys for any head from 468 landmarks found on its surface (paper 004, issue 14).

The head is moved into the table's frame (+Z up, face toward -Y, subject's left +X, scaled so its
outer eye corners are as far apart as the demo head's), its keys are evaluated there by
:mod:`.keygen` and the offsets are turned back into the head's own axes and units. No vertex
indices are assumed: each landmark takes its nearest vertex, each vertex's mirror is the vertex
nearest its mirror image, and the pivots (eye centres, jaw hinge) are placed from landmarks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .errors import RigError
from .keygen import MIRROR, N_LANDMARKS, KeyMesh, _polygon_groups, shape_key_offsets
from .keygen_parts import PART_NAMES, head_parts, mesh_islands, part_mirror
from .keygen_table import GROUPS_LEFT, GROUPS_MIDLINE, SIDED_POINTS
from .nearest import nearest

__all__ = ["Frame", "face_frame", "generate_offsets", "landmark_mirror", "moved_landmarks"]

# The demo head, measured in the table frame (metres): outer eye corners (landmarks 263, 33)
# apart, and the pivots relative to landmark anchors. A generated head is scaled to this eye
# distance, so the table's millimetres mean the same on it.
DEMO_EYE_SPAN = 0.0889
JAW_PIVOT_FROM_FACE_SIDES = np.array([0.0, 0.009, -0.006])  # from mean(234, 454)
EYE_CENTER_FROM_LIDS = np.array([0.0, 0.0107, 0.0])  # from the lid contour's mean
# Dijkstra stops this far (table metres) from a source: every radius in the table is under
# 45 mm, so farther vertices (80 mm on the demo head is a third of its height) only get
# negligible Shepard weight.
GEODESIC_LIMIT = 0.08


# ---------------------------------------------------------------------------------------------
MIDLINE = (9, 6, 1, 2, 0, 13, 14, 17, 200, 152, 151, 168, 4, 5, 195, 94, 19, 18, 175, 199)


@dataclass(frozen=True)
class Frame:
    """The table frame of a head: ``table = scale * (local - origin) @ axes.T``."""

    origin: np.ndarray
    axes: np.ndarray  # rows: the head's left, back, up (unit, in the head's axes)
    scale: float

    def to_table(self, points: np.ndarray) -> np.ndarray:
        return self.scale * (points - self.origin) @ self.axes.T

    def offsets_back(self, offsets: np.ndarray) -> np.ndarray:
        return (offsets @ self.axes) / self.scale


def face_frame(landmarks: np.ndarray) -> Frame:
    """The frame of 468 landmark positions: left from the eye corners, up from chin to brow.

    Raises:
        RigError: The landmarks are degenerate (all in a point or a line).
    """
    p = np.asarray(landmarks, dtype=np.float64)
    left = p[263] - p[33]
    span = float(np.linalg.norm(left))
    up = p[9] - p[152]
    if not np.isfinite(span) or span <= 0 or np.linalg.norm(np.cross(left, up)) <= 1e-12 * span:
        raise RigError("The face's key points are degenerate; cannot place the expression keys.")
    left /= span
    up = up - (up @ left) * left
    up /= np.linalg.norm(up)
    back = np.cross(up, left)
    axes = np.array([left, back, up])
    origin = p[list(MIDLINE)].mean(axis=0)
    return Frame(origin, axes, DEMO_EYE_SPAN / span)


def landmark_mirror(table_landmarks: np.ndarray) -> np.ndarray:
    """Each landmark's mirror landmark (the nearest to its image across X = 0).

    The table's sided pairs are set exactly, so ``..._right`` groups are what the table means.
    """
    out = nearest(table_landmarks, table_landmarks * MIRROR)[1]
    for left, right in SIDED_POINTS.values():
        out[left], out[right] = right, left
    for members in GROUPS_MIDLINE.values():
        out[list(members)] = list(members)
    return out


def generate_offsets(
    vertices: np.ndarray,
    faces: list | np.ndarray,
    landmarks: np.ndarray,
    names: tuple[str, ...] | None = None,
    progress: Callable[[float, str], None] | None = None,
    rigid_parts: list[str] | None = None,
) -> dict[str, np.ndarray]:
    """ARKit shape key offsets for any head, in the head's own axes and units.

    Separate islands inside the head are rigid parts (:mod:`.keygen_parts`): eyeballs and
    upper teeth stay, lower teeth and tongue turn with the jaw; other islands follow the skin.

    Args:
        vertices: ``float[N, 3]`` the head's vertices (object space, any unit, any placement).
        faces: Polygons as sequences of vertex indices.
        landmarks: ``float[468, 3]`` MediaPipe landmarks on the surface, same space.
        names: Keys wanted (default all 52).
        progress: ``progress(fraction, key name)`` per table entry (may raise to cancel).
        rigid_parts: If given, the names of the rigid parts found are appended to it.

    Returns:
        ARKit name -> ``float[N, 3]`` offsets from the Basis.

    Raises:
        RigError: Degenerate landmarks or a mesh without edges.
    """
    landmarks = np.asarray(landmarks, dtype=np.float64)
    if landmarks.shape != (N_LANDMARKS, 3) or not np.isfinite(landmarks).all():
        raise RigError(f"Expected {N_LANDMARKS} finite 3D key points, got {landmarks.shape}.")
    frame = face_frame(landmarks)
    verts = frame.to_table(np.asarray(vertices, dtype=np.float64))
    marks = frame.to_table(landmarks)
    if len(faces) == 0:
        raise RigError("The mesh has no faces to deform.")
    head = _key_mesh(verts, faces, marks)
    if rigid_parts is not None:
        found = set(np.unique(head.part).tolist())
        rigid_parts += [n for i, n in enumerate(PART_NAMES[1:-1], 1) if i in found]
    offsets = shape_key_offsets(head, names, progress)
    return {name: frame.offsets_back(off) for name, off in offsets.items()}


def _key_mesh(verts: np.ndarray, faces: list | np.ndarray, marks: np.ndarray) -> KeyMesh:
    """The head in the table frame with its parts, mirror map, landmark vertices and pivots."""
    lids = list(GROUPS_LEFT["upper_lid"] + GROUPS_LEFT["lower_lid"])
    lmirror = landmark_mirror(marks)
    eye_left = marks[lids].mean(axis=0) + EYE_CENTER_FROM_LIDS
    eye_right = marks[lmirror[lids]].mean(axis=0) + EYE_CENTER_FROM_LIDS
    # Every polygon side, duplicates and all: connectivity needs no unique edge list.
    sides = [
        (f[:, c], f[:, (c + 1) % f.shape[1]])
        for f in _polygon_groups(faces)
        for c in range(f.shape[1])
    ]
    edges = (np.concatenate([a for a, _ in sides]), np.concatenate([b for _, b in sides]))
    parts = head_parts(verts, mesh_islands(len(verts), *edges), marks, (eye_left, eye_right))
    skin = np.flatnonzero(parts.part == 0)
    landmark_vertex = skin[nearest(verts[skin], marks)[1]]  # never on an eyeball or a tooth
    return KeyMesh(
        vertices=verts,
        faces=faces,
        mirror=part_mirror(verts, parts.part),
        landmarks=landmark_vertex,
        landmark_mirror=lmirror,
        points={
            "eye_center_left": eye_left,
            "eye_center_right": eye_right,
            "jaw_pivot": marks[[234, 454]].mean(axis=0) + JAW_PIVOT_FROM_FACE_SIDES,
        },
        part=parts.part,
        part_names=PART_NAMES,
        surface_parts=("skin",),
        attached_parts=("attached",),
        parent=parts.parent,
        depth=parts.depth,
        geodesic_limit=GEODESIC_LIMIT,
        attenuate_regions=True,
        average_rigid=False,
    )


def moved_landmarks(
    landmarks: np.ndarray, indices: np.ndarray, positions: np.ndarray
) -> np.ndarray:
    """The 468 landmarks after the user moved some key points (the editable points).

    Each key point ``indices[k]`` goes to ``positions[k]``; every other landmark follows the
    move of its nearest key point, fading out smoothly by twice the distance between them
    (20% of the eye span away).
    """
    marks = np.asarray(landmarks, dtype=np.float64).copy()
    indices = np.asarray(indices, dtype=np.int64)
    moves = np.asarray(positions, dtype=np.float64) - marks[indices]
    if not len(indices) or not np.abs(moves).any():
        return marks
    span = float(np.linalg.norm(marks[263] - marks[33]))
    dist, closest = nearest(marks[indices], marks)
    reach = max(0.2 * span, 1e-12)
    t = np.clip(dist / reach, 0.0, 1.0)
    weight = 1.0 - t * t * (3.0 - 2.0 * t)
    marks += weight[:, None] * moves[closest]
    marks[indices] = positions
    return marks
