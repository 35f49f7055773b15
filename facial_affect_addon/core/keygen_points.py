"""A head's key points as JSON: ``cli rig generate --points-out`` / ``--points`` (issue 14).

The file holds the 468 landmarks found on the head (object space, the head's own units) and,
for editing by hand, the named key points (:data:`.keygen_table.KEY_POINTS`) at their
landmarks. On reading, a key point moved in the file moves its landmark, and the landmarks
around it follow (:func:`.keygen_head.moved_landmarks`), exactly like the viewport's key point
empties.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np

from .atomic import atomic_write_text, shown
from .errors import InputError
from .keygen import N_LANDMARKS
from .keygen_head import moved_landmarks
from .keygen_table import KEY_POINTS

__all__ = ["POINTS_FORMAT", "load_key_points", "save_key_points"]

POINTS_FORMAT = "facial_affect_key_points"
VERSION = 1
MAX_BYTES = 4_000_000  # 468 points take about 40 kB; anything far larger is not ours


def save_key_points(path: str | os.PathLike, landmarks: np.ndarray, obj_name: str) -> None:
    """Write the landmarks (``float[468, 3]``) and the named key points, atomically.

    Raises:
        InputError: The file cannot be written.
    """
    marks = np.asarray(landmarks, dtype=np.float64)
    data = {
        "format": POINTS_FORMAT,
        "version": VERSION,
        "object": obj_name,
        "space": "object",
        "key_points": {name: _xyz(marks[i]) for name, i in KEY_POINTS.items()},
        "landmarks": [_xyz(p) for p in marks],
    }
    atomic_write_text(path, json.dumps(data, indent=1) + "\n")


def _xyz(point: np.ndarray) -> list[float]:
    return [round(float(c), 7) for c in point]


def load_key_points(path: str | os.PathLike) -> np.ndarray:
    """The 468 landmarks of a key points file, with its edited key points applied.

    Raises:
        InputError: Missing, unreadable, not a key points file, or points that are not
            finite 3D numbers (the message names the file and the problem).
    """
    path = Path(path)
    where = shown(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise InputError(f"{where} is too large to be a key points file.")
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"Key points file not found: {where}") from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InputError(f"Cannot read {where} as key points JSON: {type(exc).__name__}.") from None
    if not isinstance(data, dict) or data.get("format") != POINTS_FORMAT:
        raise InputError(f"{where} is not a key points file (format {POINTS_FORMAT!r}).")
    marks = _points(data.get("landmarks"), where, "landmarks")
    if len(marks) != N_LANDMARKS:
        raise InputError(f"{where}: expected {N_LANDMARKS} landmarks, got {len(marks)}.")
    edited = data.get("key_points", {})
    if not isinstance(edited, dict):
        raise InputError(f"{where}: 'key_points' must map key point names to [x, y, z].")
    unknown = sorted(set(edited) - set(KEY_POINTS))
    if unknown:
        raise InputError(f"{where}: unknown key point {unknown[0]!r}.")
    names = list(edited)
    positions = _points([edited[n] for n in names], where, "key_points")
    indices = np.array([KEY_POINTS[n] for n in names], dtype=np.int64)
    moved = np.abs(positions - marks[indices]).max(axis=1) > 1e-6 if len(names) else []
    return moved_landmarks(marks, indices[moved], positions[moved])


def _points(value: object, where: str, what: str) -> np.ndarray:
    """``float[n, 3]`` from a JSON list of ``[x, y, z]`` numbers."""
    ok = isinstance(value, list) and all(
        isinstance(p, list)
        and len(p) == 3
        and all(isinstance(c, int | float) and not isinstance(c, bool) for c in p)
        for p in value
    )
    if not ok:
        raise InputError(f"{where}: {what!r} must be a list of [x, y, z] numbers.")
    points = np.array(value, dtype=np.float64).reshape(-1, 3)
    if not all(math.isfinite(c) for c in points.ravel()):
        raise InputError(f"{where}: {what!r} holds a number that is not finite.")
    return points
