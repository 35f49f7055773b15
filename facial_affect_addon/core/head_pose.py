"""Head rotation from face-mesh landmarks: yaw, pitch, roll per frame, relative to neutral.

**Method.** The neutral frame's mesh (x, y in pixels and the model's z in the same scale) is the
head's 3-D shape. Each frame's rotation is the scaled-orthographic pose that best projects that
shape onto the frame's 2-D points (least-squares 2x3 affine map, made orthonormal by its SVD,
third axis from the cross product), over :data:`RIGID_POINTS`: nose, eye corners, forehead and
the sides of the face, which expressions barely move. Only the frame's x, y are used: the mesh
model's z of a turned face follows the turn much less than its x, y do. Measured on the
astronaut photo given depth and turned in 3-D (``tests/unit/head_fixtures.py``): a 20-degree
yaw reads 16.2-16.8 degrees this way (a 3-D similarity fit on the mesh's own x, y, z reads
13.3-14.4), so real turns are under-read by about a sixth.

**Signs** (the subject's sides; for an unmirrored video): ``yaw`` > 0 turns the face to the
subject's left, ``pitch`` > 0 lifts the chin, ``roll`` > 0 tilts the head to the subject's left
shoulder. Angles are degrees; tracks are stored as columns ``(pitch, yaw, roll)``
(:data:`COLUMNS`), gaps are interpolated and the track is One-Euro smoothed.
"""

from __future__ import annotations

import numpy as np

from .errors import InputError
from .one_euro import smooth
from .sampling import fill_gaps, sample_linear

RIGID_POINTS: tuple[int, ...] = (
    *(1, 2, 98, 327, 168, 6, 197, 195, 5, 4),  # nose ridge, tip and wings
    *(33, 133, 362, 263),  # eye corners
    *(10, 151, 9, 108, 337, 67, 297),  # forehead
    *(234, 454, 127, 356, 93, 323, 132, 361),  # sides of the face
)
COLUMNS: tuple[str, str, str] = ("pitch", "yaw", "roll")

# Head turns are slow next to expression bursts: smooth jitter hard, follow a turn with little lag.
HEAD_MIN_CUTOFF = 1.0
HEAD_BETA = 0.05
HEAD_D_CUTOFF = 1.0


def orthographic_rotation(model: np.ndarray, image: np.ndarray) -> np.ndarray:
    """The 3x3 rotation of the scaled-orthographic pose projecting ``model`` onto ``image``.

    Args:
        model: (k, 3) 3-D points (image axes: x right, y down, z away from the camera).
        image: (k, 2+) the same points seen in a frame (only x, y are used).

    Returns:
        Rotation ``R`` with ``image_xy ≈ s * (R @ model.T)[:2].T + t``.
    """
    x_model = model - model.mean(0)
    x_image = image[:, :2] - image[:, :2].mean(0)
    affine = np.linalg.lstsq(x_model, x_image, rcond=None)[0].T  # (2, 3)
    u, _, vt = np.linalg.svd(affine, full_matrices=False)
    rows = u @ vt
    return np.vstack([rows, np.cross(rows[0], rows[1])])


def subject_angles(rot: np.ndarray) -> np.ndarray:
    """(pitch, yaw, roll) in degrees, with the module's subject-side signs, of a 3x3 rotation."""
    pitch = -np.degrees(np.arctan2(rot[2, 1], rot[2, 2]))
    yaw = -np.degrees(np.arcsin(np.clip(-rot[2, 0], -1.0, 1.0)))
    roll = np.degrees(np.arctan2(rot[1, 0], rot[0, 0]))
    return np.array([pitch, yaw, roll])


def head_rotation_track(
    rigid: np.ndarray,
    valid: np.ndarray,
    times: np.ndarray,
    neutral_index: int,
    *,
    smoothing: bool = True,
) -> np.ndarray:
    """Per-frame head rotation relative to the neutral frame.

    Args:
        rigid: (n, k, 3) the :data:`RIGID_POINTS` of each frame's mesh (pixels).
        valid: (n,) frames that have a face; the others are interpolated (held at the ends).
        times: (n,) sample times in seconds.
        neutral_index: The reference frame (must be valid).
        smoothing: One-Euro filter the track.

    Returns:
        (n, 3) pitch, yaw, roll in degrees.

    Raises:
        InputError: Shapes disagree or the neutral frame has no face.
    """
    rigid = np.asarray(rigid, dtype=np.float64)
    valid = np.asarray(valid, dtype=bool) & np.isfinite(rigid).all(axis=(1, 2))
    times = np.asarray(times, dtype=np.float64)
    if rigid.ndim != 3 or rigid.shape[2] != 3 or len(rigid) != len(times) != len(valid):
        raise InputError(f"Expected (n, k, 3) head points and n times; got {rigid.shape}.")
    if not 0 <= neutral_index < len(rigid) or not valid[neutral_index]:
        raise InputError(f"Neutral frame {neutral_index} has no face for the head rotation.")
    model = rigid[neutral_index]
    angles = np.full((len(rigid), 3), np.nan)
    for i in np.flatnonzero(valid):
        angles[i] = subject_angles(orthographic_rotation(model, rigid[i]))
    angles = fill_gaps(angles, valid, times)
    if smoothing and len(times) > 1:
        params = {"min_cutoff": HEAD_MIN_CUTOFF, "beta": HEAD_BETA, "d_cutoff": HEAD_D_CUTOFF}
        angles = smooth(angles, times, **params)
    return angles


def head_at_frames(
    rotation: np.ndarray, times: np.ndarray, fps: float, n_frames: int
) -> np.ndarray:
    """A (pitch, yaw, roll) track resampled onto ``n_frames`` scene frames at ``fps`` (linear,
    held at the ends), frame 0 at time 0."""
    if fps <= 0:
        raise InputError(f"Frame rate must be positive, got {fps}.")
    return sample_linear(
        np.asarray(times, float), np.asarray(rotation, float), np.arange(n_frames) / fps
    )


def live_link_rotations(
    n_frames: int,
    fps: float,
    head: tuple[np.ndarray, np.ndarray] | None = None,
    eyes: np.ndarray | None = None,
) -> np.ndarray:
    """Live Link Face's nine rotation columns, in radians, for ``n_frames`` frames at ``fps``.

    Columns follow :data:`.formats.ROTATION_COLUMNS` (head yaw, pitch, roll; left eye yaw,
    pitch, roll; right eye yaw, pitch, roll) with this module's signs (yaw > 0 to the subject's
    left, pitch > 0 up, roll > 0 to the left shoulder); eye roll is 0. Epic does not document
    the app's signs; these are ours, stated here.

    Args:
        n_frames: Rows to write.
        fps: Frame rate of the rows (row 0 is time 0).
        head: ``(rotation (m, 3) pitch/yaw/roll degrees, times (m,) s)`` or None (zeros).
        eyes: (n_frames, 4) gaze degrees in :data:`.gaze.COLUMNS` order, or None (zeros).
    """
    out = np.zeros((n_frames, 9))
    if head is not None:
        pitch, yaw, roll = head_at_frames(head[0], head[1], fps, n_frames).T
        out[:, 0:3] = np.column_stack([yaw, pitch, roll])
    if eyes is not None:
        eyes = np.asarray(eyes, dtype=np.float64)
        out[:, 3:5] = eyes[:, 2:4]  # left eye: yaw, pitch
        out[:, 6:8] = eyes[:, 0:2]  # right eye
    return np.radians(out)


def rotation_cells(rotations: bool | np.ndarray, n: int) -> list[list[str]]:
    """CSV cells of the nine rotation columns per row: none (False), zeros (True) or values."""
    if isinstance(rotations, bool):
        return [["0"] * 9 if rotations else []] * n
    rot = np.asarray(rotations, dtype=np.float64)
    if rot.shape != (n, 9) or not np.all(np.isfinite(rot)):
        raise InputError(f"Live Link rotations must be finite, one row of 9 per frame ({n}).")
    return [[f"{v:.6f}" for v in row] for row in rot]
