"""Eye gaze from iris centres and eye corners → gaze angles and ARKit ``eyeLook*`` weights.

Each eye gets a frame from its two corners (origin at their midpoint, x along the corner line
towards the image's right, y perpendicular and down, unit = the eye's corner-to-corner width).
The iris centre's position in that frame, minus its position in the neutral frame (the actor
looking into the lens, or wherever they look at rest), is the eye's turn. The visible iris
centre moves by ``r sin(angle)`` for an eyeball of radius ``r``; with adult averages (eyeball
radius ~12 mm, eye opening ~30 mm wide) that is :data:`EYEBALL_PER_WIDTH` eye widths per radian
of sine. Using the eye's own frame makes gaze independent of head roll and of the eye's size in
the frame; it stays relative to the head, which is what ARKit's ``eyeLook*`` keys mean.

**Signs** (subject's sides, unmirrored video): yaw > 0 looks to the subject's left (the image's
right), pitch > 0 looks up. So looking to the subject's left is ``eyeLookOutLeft`` and
``eyeLookInRight``. The angles at which a key reaches 1 (:data:`FULL_LOOK_DEG`) are hand-set from
the usual comfortable eye range, not fitted to any data.
"""

from __future__ import annotations

import numpy as np

from .errors import InputError
from .one_euro import smooth
from .sampling import fill_gaps

# Mesh indices (subject's sides): outer and inner eye corner.
EYE_CORNERS: dict[str, tuple[int, int]] = {"Right": (33, 133), "Left": (263, 362)}
EYEBALL_PER_WIDTH = 0.4
FULL_LOOK_DEG = {"in": 30.0, "out": 30.0, "up": 20.0, "down": 25.0}
COLUMNS: tuple[str, ...] = ("right_yaw", "right_pitch", "left_yaw", "left_pitch")
EYE_LOOK_NAMES: tuple[str, ...] = tuple(
    f"eyeLook{d}{s}" for s in ("Left", "Right") for d in ("In", "Out", "Up", "Down")
)
# Fraction of each key's range ignored as jitter, as the capture's DEADZONE: a still face sliding
# 300 px across 30 frames (tests/unit/test_video.py) read up to 0.10 of a range without it.
DEADZONE = 0.15
GAZE_MIN_CUTOFF = 1.5
GAZE_BETA = 0.3
GAZE_D_CUTOFF = 1.0


def eye_offsets(points: np.ndarray, iris_centres: np.ndarray) -> np.ndarray:
    """Iris centres in their eyes' frames (eye widths): (right x, right y, left x, left y).

    Args:
        points: (468, 2+) face-mesh points in pixels.
        iris_centres: (2, 2) iris centre of the subject's right eye, then left eye, in pixels.
    """
    out = []
    for side, centre in zip(("Right", "Left"), np.asarray(iris_centres, float), strict=True):
        a, b = (np.asarray(points[i, :2], float) for i in EYE_CORNERS[side])
        if a[0] > b[0]:
            a, b = b, a
        width = float(np.linalg.norm(b - a))
        if width <= 1e-6:
            out += [np.nan, np.nan]
            continue
        ex = (b - a) / width
        ey = np.array([-ex[1], ex[0]])
        rel = (centre - (a + b) / 2) / width
        out += [float(rel @ ex), float(rel @ ey)]
    return np.array(out)


def gaze_track(
    offsets: np.ndarray,
    valid: np.ndarray,
    times: np.ndarray,
    neutral_index: int,
    *,
    smoothing: bool = True,
) -> np.ndarray:
    """Per-frame gaze angles relative to the neutral frame.

    Args:
        offsets: (n, 4) :func:`eye_offsets` per frame (NaN where no iris was found).
        valid: (n,) frames with a face.
        times: (n,) sample times in seconds.
        neutral_index: The reference frame.
        smoothing: One-Euro filter the angles.

    Returns:
        (n, 4) degrees in :data:`COLUMNS` order.

    Raises:
        InputError: Wrong shapes, or the neutral frame has no iris.
    """
    offsets = np.asarray(offsets, dtype=np.float64)
    times = np.asarray(times, dtype=np.float64)
    if offsets.ndim != 2 or offsets.shape[1] != 4 or len(offsets) != len(times):
        raise InputError(f"Expected (n, 4) eye offsets and n times; got {offsets.shape}.")
    valid = np.asarray(valid, dtype=bool) & np.isfinite(offsets).all(1)
    if not 0 <= neutral_index < len(offsets) or not valid[neutral_index]:
        raise InputError(f"Neutral frame {neutral_index} has no iris for the eye gaze.")
    rel = (offsets - offsets[neutral_index]) / EYEBALL_PER_WIDTH
    angles = np.degrees(np.arcsin(np.clip(rel, -1.0, 1.0)))
    angles[:, 1::2] *= -1.0  # image y points down; pitch > 0 looks up
    angles[~valid] = np.nan
    angles = fill_gaps(angles, valid, times)
    if smoothing and len(times) > 1:
        params = {"min_cutoff": GAZE_MIN_CUTOFF, "beta": GAZE_BETA, "d_cutoff": GAZE_D_CUTOFF}
        angles = smooth(angles, times, **params)
    return angles


def eye_look_weights(angles: np.ndarray) -> dict[str, np.ndarray]:
    """ARKit ``eyeLook{In,Out,Up,Down}{Left,Right}`` weights in [0, 1] from (n, 4) gaze angles
    (the first :data:`DEADZONE` of each key's range reads 0)."""
    angles = np.atleast_2d(np.asarray(angles, dtype=np.float64))
    full = FULL_LOOK_DEG

    def key(x: np.ndarray, rng: float) -> np.ndarray:
        return np.clip((x / rng - DEADZONE) / (1.0 - DEADZONE), 0.0, 1.0)

    out: dict[str, np.ndarray] = {}
    for k, side in enumerate(("Right", "Left")):
        yaw, pitch = angles[:, 2 * k], angles[:, 2 * k + 1]
        # Looking to the subject's left turns the left eye out and the right eye in.
        toward_left, toward_right = np.clip(yaw, 0, None), np.clip(-yaw, 0, None)
        outward, inward = (
            (toward_left, toward_right) if side == "Left" else (toward_right, toward_left)
        )
        out[f"eyeLookIn{side}"] = key(inward, full["in"])
        out[f"eyeLookOut{side}"] = key(outward, full["out"])
        out[f"eyeLookUp{side}"] = key(pitch, full["up"])
        out[f"eyeLookDown{side}"] = key(-pitch, full["down"])
    return {name: out[name] for name in EYE_LOOK_NAMES}


def eye_angles_from_looks(looks: dict[str, np.ndarray], n: int) -> np.ndarray:
    """(n, 4) gaze angles (degrees, :data:`COLUMNS`) back from ``eyeLook*`` weights (absent: 0).

    The inverse of :func:`eye_look_weights` inside its range; used to fill Live Link's eye
    columns from a take's baked keys.
    """
    full = FULL_LOOK_DEG

    def get(name: str) -> np.ndarray:  # the key's share of its range, deadzone undone
        values = looks.get(name)
        w = np.zeros(n) if values is None else np.asarray(values, dtype=np.float64)
        return np.where(w > 0, w * (1.0 - DEADZONE) + DEADZONE, 0.0)

    cols = []
    for side in ("Right", "Left"):
        outward = get(f"eyeLookOut{side}") * full["out"]
        inward = get(f"eyeLookIn{side}") * full["in"]
        yaw = outward - inward if side == "Left" else inward - outward
        pitch = get(f"eyeLookUp{side}") * full["up"] - get(f"eyeLookDown{side}") * full["down"]
        cols += [yaw, pitch]
    return np.column_stack(cols)
