"""Generate ARKit expression keys for a key-less head (paper 004; issue 14 item 3).

No bpy here: :mod:`..blender.rig_generate` renders the head, hands the render to
:func:`landmarks_in_image` (the project's face mesh), casts the pixels back onto the surface and
hands the 3D points to :func:`expression_offsets` (:mod:`..core.keygen_head`), then writes the
keys. :func:`plan_keys` decides which keys to write so the user's own keys are left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..core.errors import RigError
from ..core.keygen_head import generate_offsets, moved_landmarks
from ..core.keygen_table import KEY_POINTS
from ..core.rig_tables import ARKIT_52

__all__ = [
    "KEY_POINTS",
    "KeyPlan",
    "describe_parts",
    "expression_offsets",
    "landmarks_in_image",
    "moved_landmarks",
    "plan_keys",
    "unrotate_pixels",
    "upright_landmarks",
]

# A face counts as upright on an image when its brow-to-chin line points down the image to
# within 50 degrees; the four quarter turns of a render then cover any roll of the head.
UPRIGHT_COS = 0.64
TURN_PREFERENCE = 0.01  # how much more upright a fit on a further turn must be to win
# A turn whose face the detector is this much surer of wins over the turn preference: the pyramid
# detector (issue 18) also finds an upside-down face, and the mesh can fit it upright, but with a
# low detection score (astronaut photo: 0.60 upside down vs 0.92 upright).
SURER_BY = 0.2


@dataclass(frozen=True)
class KeyPlan:
    """Which ARKit keys to write and which are skipped because the head already has them."""

    write: tuple[str, ...]
    skipped: tuple[str, ...]
    warnings: list[str] = field(default_factory=list)
    rigid_parts: tuple[str, ...] = ()  # islands kept rigid (filled once the keys are built)


def plan_keys(existing: list[str] | tuple[str, ...]) -> KeyPlan:
    """Plan the keys for a head whose shape keys are ``existing`` (names).

    Raises:
        RigError: The head already has all 52 ARKit keys (nothing to generate).
    """
    have = set(existing)
    skipped = tuple(n for n in ARKIT_52 if n in have)
    write = tuple(n for n in ARKIT_52 if n not in have)
    if not write:
        raise RigError("The head already has all 52 ARKit keys; nothing to generate.")
    warnings = []
    if skipped:
        shown = ", ".join(skipped[:5]) + (" ..." if len(skipped) > 5 else "")
        warnings.append(f"Kept the head's own {len(skipped)} ARKit key(s): {shown}.")
    return KeyPlan(write, skipped, warnings)


_ANALYZER = None


def landmarks_in_image(rgb: np.ndarray) -> np.ndarray | None:
    """468 face-mesh landmarks (pixel x, y) of the face in an RGB uint8 render, or None.

    Raises:
        RigError: The face-mesh model is not installed (detection alone gives no key points).
    """
    found = _face_in_image(rgb)
    return None if found is None else found[0]


def _face_in_image(rgb: np.ndarray) -> tuple[np.ndarray, float] | None:
    """The face's 468 landmark pixels and its detection score, or None (see above)."""
    global _ANALYZER
    from ..ml.faces import FaceAnalyzer

    if _ANALYZER is None:
        _ANALYZER = FaceAnalyzer(landmarks=True)
    if not _ANALYZER.has_landmarks:
        raise RigError("The face-mesh model is not installed; cannot find the face's key points.")
    found = _ANALYZER.analyze(np.ascontiguousarray(rgb))
    if found is None or found.landmarks is None:
        return None
    return np.asarray(found.landmarks, dtype=np.float64)[:, :2], float(found.score)


def expression_offsets(
    vertices: np.ndarray,
    faces: list | np.ndarray,
    landmarks: np.ndarray,
    names: tuple[str, ...],
    progress: Callable[[float, str], None] | None = None,
    rigid_parts: list[str] | None = None,
) -> dict[str, np.ndarray]:
    """Per-key vertex offsets (the head's own units and axes) for the keys ``names``.

    ``progress(fraction, key)`` is called before each key (a job's callback raises
    :class:`..core.errors.CancelledError` to stop); the rigid parts found (``eyeball_left``,
    ``teeth_lower``, ``tongue``...) are appended to ``rigid_parts`` when it is given.
    """
    return generate_offsets(vertices, faces, landmarks, names, progress, rigid_parts)


def describe_parts(rigid_parts: tuple[str, ...] | list[str]) -> str:
    """One line for the user: which islands were kept rigid."""
    if not rigid_parts:
        return "no separate eyeballs, teeth or tongue found"
    return "rigid parts: " + ", ".join(n.replace("_", " ") for n in rigid_parts)


def unrotate_pixels(points: np.ndarray, turns: int, size: tuple[int, int]) -> np.ndarray:
    """Pixel ``(x, y)`` points found on ``np.rot90(image, turns)`` back on ``image``.

    Args:
        points: ``float[n, 2]`` continuous pixel coordinates on the turned image.
        turns: The quarter turns given to :func:`numpy.rot90` (counter-clockwise).
        size: The original image's ``(height, width)``.
    """
    out = np.asarray(points, dtype=np.float64).copy()
    height, width = size
    for step in range(turns % 4, 0, -1):
        # Undo one turn: the image before it was (width, height) after an odd number of turns.
        w = width if step % 2 == 1 else height
        out = np.stack([w - out[:, 1], out[:, 0]], axis=1)
    return out


def frontality(pixels: np.ndarray) -> float:
    """1 for a face seen from the front, toward 0 in profile: how evenly the nose tip
    (landmark 1) sits between the outer eye corners (33, 263) on the image."""
    a = float(np.linalg.norm(pixels[1] - pixels[33]))
    b = float(np.linalg.norm(pixels[1] - pixels[263]))
    return min(a, b) / max(a, b, 1e-9)


def upright_landmarks(rgb: np.ndarray) -> tuple[np.ndarray, float] | None:
    """The face on a render whatever its roll: the render is searched in its four quarter
    turns and the fit whose brow-to-chin line is closest to vertical wins.

    A sideways face can get a loose, tilted fit, and on a smooth head (a voxel remesh closes
    the eyes and mouth) the face mesh can also fit an upright face to the upside-down render;
    near-ties (within :data:`TURN_PREFERENCE` per step) go to the turns closest to the camera's
    own up (world +Z, or +Y looking along Z: the common conventions), in the order as rendered,
    a quarter turn either way, upside down, unless the detector is :data:`SURER_BY` surer of
    another turn's face (an upright fit on an upside-down photo scores low). All four turns are
    searched.

    Returns:
        468 landmark pixels on ``rgb`` and their :func:`frontality`, or None without an
        upright face.

    Raises:
        RigError: The face-mesh model is not installed.
    """
    fits: list[tuple[float, float, np.ndarray]] = []  # (score, detection score, pixels)
    for rank, turns in enumerate((0, 1, 3, 2)):
        found = _face_in_image(np.rot90(rgb, turns))
        if found is None:
            continue
        points, detection = found
        down = points[152] - points[9]  # brow to chin, on the turned image (y grows downward)
        upright = float(down[1] / max(np.linalg.norm(down), 1e-9))
        if upright >= UPRIGHT_COS:
            pixels = unrotate_pixels(points, turns, rgb.shape[:2])
            fits.append((upright - TURN_PREFERENCE * rank, detection, pixels))
    if not fits:
        return None
    best = max(fits, key=lambda f: f[0])
    surest = max(fits, key=lambda f: f[1])
    if surest[1] >= best[1] + SURER_BY:
        best = surest
    return best[2], frontality(best[2])
