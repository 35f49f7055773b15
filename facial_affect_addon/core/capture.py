"""Landmark capture (paper 004): 468 face-mesh points per frame → ARKit-52 weights, numpy only.

Following paper 004, a frame's expression displacement is ``D(n) = E(n) − E0 − D_ori(n)``: the
landmarks ``E(n)`` minus the neutral reference ``E0`` minus the part caused by head motion
``D_ori(n)``. Head motion is removed by a rigid (similarity) alignment of each frame onto the
neutral frame using points that expressions barely move — the nose bridge and the eye corners —
so what is left is the face's own deformation. Displacements are measured in a face frame
(x from the right to the left eye, y down) in units of the neutral inter-ocular distance, turned
into weights by simple geometric rules with hand-set ranges (``_RANGES``, not fitted to
data), held/interpolated over frames without a face, and smoothed with a One-Euro filter.

Sides follow ARKit: ``...Left`` is the subject's left (the image right in an unmirrored video).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .curveset import CurveSet
from .errors import InputError
from .one_euro import smooth

# Nose bridge (6, 168, 197, 195), nose (5, 4) and inner/outer eye corners (133, 362, 33, 263).
STABLE_POINTS: tuple[int, ...] = (6, 168, 197, 195, 5, 4, 133, 362, 33, 263)
N_LANDMARKS = 468

# Mesh indices: R = subject's right (image left), L = subject's left.
_EYE = {"R": (159, 145), "L": (386, 374)}  # upper lid, lower lid
_EYE_CORNERS = {"R": (33, 133), "L": (263, 362)}
_BROW_INNER = {"R": (107, 55), "L": (336, 285)}
_BROW_OUTER = {"R": (70, 46), "L": (300, 276)}
_MOUTH_CORNER = {"R": 61, "L": 291}
_CHEEK = {"R": 50, "L": 280}
_NOSE_WING = {"R": 129, "L": 358}
_LIP_INNER = (13, 14)  # upper, lower
_CHIN = 152
_SIDE = {"R": "Right", "L": "Left"}

# Displacement (inter-ocular units, or a ratio for the eyes/mouth width) that reads as weight 1.
_RANGES = {
    "blink": 0.75,  # lid gap shrinking by 75 % of its neutral size closes the eye
    "wide": 0.5,
    "squint": 0.04,
    "brow_up": 0.08,
    "brow_down": 0.05,
    "smile": 0.10,
    "frown": 0.06,
    "jaw": 0.35,
    "pucker": 0.25,
    "funnel": 0.10,
    "cheek": 0.05,
    "sneer": 0.04,
}

CAPTURE_NAMES: tuple[str, ...] = tuple(
    [f"eyeBlink{s}" for s in ("Left", "Right")]
    + [f"eyeWide{s}" for s in ("Left", "Right")]
    + [f"eyeSquint{s}" for s in ("Left", "Right")]
    + ["browInnerUp"]
    + [f"browOuterUp{s}" for s in ("Left", "Right")]
    + [f"browDown{s}" for s in ("Left", "Right")]
    + ["jawOpen", "mouthPucker", "mouthFunnel"]
    + [f"mouthSmile{s}" for s in ("Left", "Right")]
    + [f"mouthFrown{s}" for s in ("Left", "Right")]
    + [f"cheekSquint{s}" for s in ("Left", "Right")]
    + [f"noseSneer{s}" for s in ("Left", "Right")]
)


@dataclass(frozen=True)
class CaptureOptions:
    """How landmark tracks become weights.

    Attributes:
        neutral_index: Frame to use as the neutral reference (None: pick automatically).
        smoothing: Apply the One-Euro filter.
        min_cutoff: One-Euro cutoff at rest (Hz).
        beta: One-Euro speed coefficient.
        gain: Multiplier on every weight before clipping to [0, 1].
        head_rotation: Also return per-frame head rotation.
    """

    neutral_index: int | None = None
    smoothing: bool = True
    min_cutoff: float = 1.5
    beta: float = 0.3
    gain: float = 1.0
    head_rotation: bool = True


@dataclass(frozen=True)
class CaptureResult:
    """Per-frame ARKit weights captured from landmarks.

    Attributes:
        times: (n,) sample times in seconds.
        names: ARKit shape-key names, one per column of ``weights``.
        weights: (n, k) weights in [0, 1].
        neutral_index: The frame used as neutral reference.
        valid: (n,) True where the frame had landmarks (others are interpolated/held).
        head_rotation: (n, 3) pitch, yaw, roll in degrees relative to the neutral frame, or None.
    """

    times: np.ndarray
    names: tuple[str, ...]
    weights: np.ndarray
    neutral_index: int
    valid: np.ndarray
    head_rotation: np.ndarray | None = None

    def curve(self, name: str) -> np.ndarray:
        """The weight track of one shape key."""
        return self.weights[:, self.names.index(name)]

    def to_curveset(self, fps: float, frame_start: int = 1) -> CurveSet:
        """Resample onto scene frames (linear between samples) for baking."""
        if fps <= 0:
            raise InputError(f"Frame rate must be positive, got {fps}.")
        n = max(1, int(np.ceil(self.times[-1] * fps)) + 1)
        t = np.arange(n) / fps
        channels = {
            name: np.interp(t, self.times, self.weights[:, i]) for i, name in enumerate(self.names)
        }
        return CurveSet(frame_start, fps, channels)


def similarity_align(src: np.ndarray, dst: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Umeyama least-squares similarity mapping ``src`` points onto ``dst`` (both (k, d)).

    Returns:
        (scale, rotation (d, d), translation (d,)) with ``dst ≈ scale * src @ R.T + t``.
    """
    mu_s, mu_d = src.mean(0), dst.mean(0)
    a, b = src - mu_s, dst - mu_d
    u, sig, vt = np.linalg.svd(b.T @ a / len(src))
    d = np.ones(len(sig))
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[-1] = -1.0
    rot = u @ np.diag(d) @ vt
    var = (a**2).sum() / len(src)
    scale = float((sig * d).sum() / var) if var > 0 else 1.0
    return scale, rot, mu_d - scale * mu_s @ rot.T


def _face_frame(neutral: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Origin, 2x2 axes (rows: x right→left eye, y down) and inter-ocular distance."""
    right = neutral[list(_EYE_CORNERS["R"]), :2].mean(0)
    left = neutral[list(_EYE_CORNERS["L"]), :2].mean(0)
    ex = left - right
    iod = float(np.linalg.norm(ex))
    if iod <= 1e-6:
        raise InputError("The neutral frame's landmarks are degenerate (eyes coincide).")
    ex /= iod
    axes = np.array([ex, [-ex[1], ex[0]]])
    origin = neutral[list(STABLE_POINTS), :2].mean(0)
    return origin, axes, iod


def to_face_coords(points: np.ndarray, neutral: np.ndarray) -> np.ndarray:
    """Align ``points`` onto ``neutral`` on the stable points, then express in the face frame.

    Returns:
        (468, 2) coordinates in neutral inter-ocular units.
    """
    idx = list(STABLE_POINTS)
    s, rot, t = similarity_align(points[idx], neutral[idx])
    aligned = s * points @ rot.T + t
    origin, axes, iod = _face_frame(neutral)
    return (aligned[:, :2] - origin) @ axes.T / iod


DEADZONE = 0.15  # fraction of each range ignored as landmark jitter (measured on still faces)


def _clip(x: float, rng: str, gain: float) -> float:
    value = gain * x / _RANGES[rng]
    return float(np.clip((value - DEADZONE) / (1.0 - DEADZONE), 0.0, 1.0))


def expression_weights(face: np.ndarray, neutral: np.ndarray, gain: float = 1.0) -> dict:
    """ARKit weights of one frame from face-frame coordinates of it and of the neutral frame.

    Args:
        face: (468, 2) output of :func:`to_face_coords` for the frame.
        neutral: The same for the neutral frame.
        gain: Multiplier before clipping.
    """

    def up(i) -> float:  # upward movement of point(s) i versus neutral (y points down)
        return float(-(face[list(np.atleast_1d(i)), 1] - neutral[list(np.atleast_1d(i)), 1]).mean())

    out: dict[str, float] = {}
    for side, name in _SIDE.items():
        top, bottom = _EYE[side]
        gap0 = max(neutral[bottom, 1] - neutral[top, 1], 1e-3)
        change = (face[bottom, 1] - face[top, 1] - gap0) / gap0
        out[f"eyeBlink{name}"] = _clip(-change, "blink", gain)
        out[f"eyeWide{name}"] = _clip(change, "wide", gain)
        out[f"eyeSquint{name}"] = _clip(up(bottom), "squint", gain)
        out[f"browOuterUp{name}"] = _clip(up(_BROW_OUTER[side]), "brow_up", gain)
        out[f"browDown{name}"] = _clip(-up(_BROW_INNER[side]), "brow_down", gain)
        corner = _MOUTH_CORNER[side]
        outward = (face[corner, 0] - neutral[corner, 0]) * (1.0 if side == "L" else -1.0)
        out[f"mouthSmile{name}"] = _clip(up(corner) + 0.5 * outward, "smile", gain)
        out[f"mouthFrown{name}"] = _clip(-up(corner), "frown", gain)
        out[f"cheekSquint{name}"] = _clip(up(_CHEEK[side]), "cheek", gain)
        out[f"noseSneer{name}"] = _clip(up(_NOSE_WING[side]), "sneer", gain)
    out["browInnerUp"] = _clip(up(_BROW_INNER["R"] + _BROW_INNER["L"]), "brow_up", gain)
    top, bottom = _LIP_INNER
    gap = (face[bottom, 1] - face[top, 1]) - (neutral[bottom, 1] - neutral[top, 1])
    out["jawOpen"] = _clip(max(-up(_CHIN), gap), "jaw", gain)
    r, lft = _MOUTH_CORNER["R"], _MOUTH_CORNER["L"]
    width0 = max(float(np.linalg.norm(neutral[lft] - neutral[r])), 1e-3)
    narrowing = (width0 - float(np.linalg.norm(face[lft] - face[r]))) / width0
    out["mouthPucker"] = _clip(narrowing, "pucker", gain)
    out["mouthFunnel"] = _clip(narrowing, "pucker", 1.0) * _clip(gap, "funnel", gain)
    return out


def rotation_angles(rot: np.ndarray) -> np.ndarray:
    """(pitch, yaw, roll) in degrees of a 3x3 rotation (x, y, z = image axes, y down)."""
    pitch = np.degrees(np.arctan2(rot[2, 1], rot[2, 2]))
    yaw = np.degrees(np.arcsin(np.clip(-rot[2, 0], -1.0, 1.0)))
    roll = np.degrees(np.arctan2(rot[1, 0], rot[0, 0]))
    return np.array([pitch, yaw, roll])


def pick_neutral(landmarks: np.ndarray, neutral_scores: np.ndarray | None = None) -> int:
    """The most neutral valid frame.

    With ``neutral_scores`` (e.g. an emotion model's P(neutral) per frame) the best-scoring
    frame; otherwise the frame whose aligned shape is closest to the median shape of the clip
    (the person's typical face, which for most performances is the resting one).

    Raises:
        InputError: No frame has landmarks.
    """
    valid = np.flatnonzero(np.isfinite(landmarks).all(axis=(1, 2)))
    if not len(valid):
        raise InputError("No frame has face landmarks; cannot pick a neutral frame.")
    if neutral_scores is not None:
        return int(valid[np.argmax(np.asarray(neutral_scores)[valid])])
    ref = landmarks[valid[0]]
    coords = np.array([to_face_coords(landmarks[i], ref) for i in valid])
    median = np.median(coords, axis=0)
    return int(valid[np.argmin(np.abs(coords - median).sum(axis=(1, 2)))])


def capture_weights(
    landmarks: np.ndarray,
    times: np.ndarray,
    options: CaptureOptions | None = None,
    neutral_scores: np.ndarray | None = None,
) -> CaptureResult:
    """ARKit weights for a landmark track.

    Args:
        landmarks: (n, 468, 3) points per frame (pixels); NaN rows where no face was found.
        times: (n,) increasing sample times in seconds.
        options: Neutral frame, smoothing, gain, head rotation.
        neutral_scores: Per-frame neutrality used to auto-pick the neutral frame.

    Raises:
        InputError: Wrong shapes, no valid frame, or a neutral index without landmarks.
    """
    opts = options or CaptureOptions()
    pts = np.asarray(landmarks, dtype=float)
    times = np.asarray(times, dtype=float)
    if pts.ndim != 3 or pts.shape[1:] != (N_LANDMARKS, 3) or len(times) != len(pts):
        raise InputError(f"Expected (n, 468, 3) landmarks and n times; got {pts.shape}.")
    valid = np.isfinite(pts).all(axis=(1, 2))
    if opts.neutral_index is None:
        neutral_index = pick_neutral(pts, neutral_scores)
    else:
        neutral_index = int(opts.neutral_index)
        if not 0 <= neutral_index < len(pts) or not valid[neutral_index]:
            raise InputError(f"Neutral frame {neutral_index} has no face landmarks.")
    neutral = pts[neutral_index]
    neutral_face = to_face_coords(neutral, neutral)
    weights = np.full((len(pts), len(CAPTURE_NAMES)), np.nan)
    rotation = np.full((len(pts), 3), np.nan) if opts.head_rotation else None
    idx = list(STABLE_POINTS)
    for i in np.flatnonzero(valid):
        w = expression_weights(to_face_coords(pts[i], neutral), neutral_face, opts.gain)
        weights[i] = [w[name] for name in CAPTURE_NAMES]
        if rotation is not None:
            _, rot, _ = similarity_align(neutral[idx], pts[i][idx])
            rotation[i] = rotation_angles(rot)
    weights = _fill_gaps(weights, times, valid)
    if rotation is not None:
        rotation = _fill_gaps(rotation, times, valid)
    if opts.smoothing and len(times) > 1:
        weights = np.clip(smooth(weights, times, min_cutoff=opts.min_cutoff, beta=opts.beta), 0, 1)
    return CaptureResult(times, CAPTURE_NAMES, weights, neutral_index, valid, rotation)


def _fill_gaps(values: np.ndarray, times: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Linear interpolation between valid samples; held flat before the first/after the last."""
    out = values.copy()
    if valid.all():
        return out
    for k in range(values.shape[1]):
        out[:, k] = np.interp(times, times[valid], values[valid, k])
    return out


def curves_summary(result: CaptureResult) -> Mapping[str, float]:
    """Peak weight per captured shape key (for reports and tests)."""
    return {name: float(result.weights[:, i].max()) for i, name in enumerate(result.names)}
