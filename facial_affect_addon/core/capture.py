"""Landmark capture (paper 004): 468 face-mesh points per frame → ARKit-52 weights, numpy only.

Following paper 004, a frame's expression displacement is ``D(n) = E(n) − E0 − D_ori(n)``: the
landmarks ``E(n)`` minus the neutral reference ``E0`` minus the part caused by head motion
``D_ori(n)``. Head motion is removed by a rigid (similarity) alignment of each frame onto the
neutral frame using points that expressions barely move — the nose bridge and the eye corners —
so what is left is the face's own deformation. Displacements are measured in a face frame
(x from the right to the left eye, y down) in units of the neutral inter-ocular distance, turned
into weights by simple geometric rules with one range each (``_RANGES``), held/interpolated over
frames without a face, and smoothed with a One-Euro filter.

**What the ranges are fitted to.** ``tools/validate_capture.py`` poses the project's own synthetic
demo head (``models/demo_head.blend``, whose vertices 0-467 are the MediaPipe landmarks) with each
captured key alone at 0.25-1.0 and captures it two ways: from the projected vertices (*geometry*:
the rules alone) and from 512 px Workbench renders through BlazeFace + the 468-point face mesh
(*render*: end to end). Ranges that the geometry showed off by 1.5x or more (those keys reached
weight 1 at truth 0.5-0.75) were re-set to the geometry's displacement at truth 1.0, rounded to 2
significant digits; the others stayed hand-set. Issue 11 re-sculpted the demo head's keys with
larger travel, and the eye, brow, smile, frown, cheek and sneer ranges were re-fitted the same way
(geometry: median r 1.00, mean MAE 0.09, as before). So the ranges now invert the demo head's
hand-made key shapes, not real faces: **accuracy on real faces remains unmeasured.** Issue 11
also added ``mouthUpperUpLeft/Right`` (AU10, range fitted the same way: 0.079 at truth 1.0;
geometry r 1.00, MAE 0.07; on renders the tracked corner rises with the lip, so the key posed
alone reads 0 there). It did not add ``mouthStretch`` (AU20): the landmark model follows 19 % of
the demo head's stretched-corner travel (0.028 of 0.151) and reads the stretched corner as
rising, like a faint smile, so the key read about 0 on every render, and once AU20 was
observable the readback (``core.readback``) compared fear's AU20 = 1 against that 0 and read
fear as surprise in the 3/4 view. A rule counting a smile's outward corner motion only as far
as its rise explains it (the demo smile's 0.76) was tried and dropped: on renders it cut the
smile key's reading from 0.37 to 0.23 and changed no reading. Headline on
the pre-issue-11 head (22 keys): geometry median Pearson r 1.00, mean MAE 0.09, median weight at
truth 1.0 1.00 (before the first fit: r 0.94, MAE 0.15, and an open jaw read as a full frown).
Render: the face and landmarks are found on every render, but the landmark model follows only part
of this textureless head's motion (jaw 0.87 of it, smile and inner brow ~0.4, brow down, frown,
outer brow and blink 0.1-0.25, squint, wide, cheek, nose and mouth width under 0.1), so end to end
the weights at truth 1.0 are jawOpen 0.69, browInnerUp 0.41, mouthSmile 0.27/0.39, eyeBlink under
0.1, and 12 keys read 0 at every level (mean MAE 0.58). ``CaptureOptions.gain`` scales every weight
for footage that under-reads.

Sides follow ARKit: ``...Left`` is the subject's left (the image right in an unmirrored video).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .curveset import CurveSet
from .errors import InputError
from .neutral_pose import pick_upright_neutral
from .one_euro import smooth
from .sampling import fill_gaps, sample_linear

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
_UPPER_LIP = {"R": (0, 37, 39), "L": (0, 267, 269)}  # outer upper-lip contour, centre to side
_CHIN = 152
_SIDE = {"R": "Right", "L": "Left"}

# Displacement (inter-ocular units, or a ratio for the eyes/mouth width) that reads as weight 1.
# "fit": set from the demo head's geometry (tools/validate_capture.py, see the module docstring);
# "hand": hand-set, and within 1.5x of that fit (the fit in brackets).
_RANGES = {
    "blink": 0.75,  # hand (1.1: the demo lids overshoot closure; a real gap stops at 100 %)
    "wide": 0.76,  # fit (was 0.5 on the pre-issue-11 head)
    "squint": 0.055,  # fit (was 0.04)
    "brow_up": 0.15,  # hand (geometry fit 0.18; 0.15 keeps the render path's inner brow readable)
    "brow_down": 0.15,  # fit (was 0.097)
    "smile": 0.24,  # hand (geometry fit 0.26, was 0.16; keeps the unit tests' synthetic smiles)
    "frown": 0.14,  # fit (was 0.097)
    "jaw": 0.35,  # hand (0.32)
    "pucker": 0.40,  # fit (was 0.25)
    "funnel": 0.10,  # hand (0.084)
    "funnel_narrowing": 0.16,  # fit (was the pucker range): mouth narrowing of a full funnel
    "cheek": 0.035,  # fit (was 0.05)
    "sneer": 0.11,  # fit (was 0.081)
    "upper_lip": 0.079,  # fit (new in issue 11)
}


# One-Euro settings that keep bursts (issue 15): the speed estimate must follow a 40-100 ms burst
# (d_cutoff 10 Hz, not the filter's usual 1 Hz) and the cutoff must rise steeply with it (beta 5).
# A smoothstep burst at 0.5 keeps 0.46 at 100 ms / 30 fps and 0.45 at 40 ms / 60 fps (before:
# min_cutoff 1.5, beta 0.3, d_cutoff 1: 0.26 and 0.12); Gaussian jitter of 0.02 on a held weight
# is cut to 0.012 (before: 0.008 at 30 fps, 0.005 at 60 fps): less smoothing of jitter, which the
# deadzone below removes anyway.
ONE_EURO_MIN_CUTOFF = 1.0
ONE_EURO_BETA = 5.0
ONE_EURO_D_CUTOFF = 10.0

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
    + [f"mouthUpperUp{s}" for s in ("Left", "Right")]
)


@dataclass(frozen=True)
class CaptureOptions:
    """How landmark tracks become weights.

    Attributes:
        neutral_index: Frame to use as the neutral reference (None: pick automatically).
        smoothing: Apply the One-Euro filter.
        min_cutoff: One-Euro cutoff at rest (Hz).
        beta: One-Euro speed coefficient.
        d_cutoff: One-Euro cutoff of the speed estimate (Hz).
        gain: Multiplier on every weight before clipping to [0, 1].
        head_rotation: Also return per-frame head rotation.
        eye_gaze: The video pipeline also measures eye gaze (iris model, two passes a frame:
            about a third of its throughput) into ``eyeLook*`` columns.
        keep_intervals: ``(start, end)`` times (s) of spotted bursts: frames inside them skip
            the jitter deadzone, so a subtle burst the spotter found is not erased.
    """

    neutral_index: int | None = None
    smoothing: bool = True
    min_cutoff: float = ONE_EURO_MIN_CUTOFF
    beta: float = ONE_EURO_BETA
    d_cutoff: float = ONE_EURO_D_CUTOFF
    gain: float = 1.0
    head_rotation: bool = True
    eye_gaze: bool = True
    keep_intervals: tuple[tuple[float, float], ...] = ()


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
        warnings: Non-fatal problems for the user (e.g. no clearly neutral frame).
    """

    times: np.ndarray
    names: tuple[str, ...]
    weights: np.ndarray
    neutral_index: int
    valid: np.ndarray
    head_rotation: np.ndarray | None = None
    warnings: tuple[str, ...] = ()

    def curve(self, name: str) -> np.ndarray:
        """The weight track of one shape key."""
        return self.weights[:, self.names.index(name)]

    def to_curveset(self, fps: float, frame_start: int = 1) -> CurveSet:
        """Resample onto scene frames (linear between samples) for baking."""
        if fps <= 0:
            raise InputError(f"Frame rate must be positive, got {fps}.")
        n = max(1, int(np.ceil(self.times[-1] * fps)) + 1)
        values = sample_linear(self.times, self.weights, np.arange(n) / fps)
        channels = {name: values[:, i] for i, name in enumerate(self.names)}
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


# An auto-picked neutral frame whose P(neutral) is below this gets a warning. With the emotion
# model's 7 classes chance is 0.14; under 0.35 the classifier does not call even the clip's most
# neutral frame clearly neutral (e.g. the actor smiles throughout), so every captured weight is
# relative to an expression.
NEUTRAL_SCORE_WARN = 0.35

DEADZONE = 0.15  # fraction of each range ignored as landmark jitter (measured on still faces)


def _clip(x: float, rng: str, gain: float, deadzone: float = DEADZONE) -> float:
    value = gain * x / _RANGES[rng]
    return float(np.clip((value - deadzone) / (1.0 - deadzone), 0.0, 1.0))


# Which range of ``_RANGES`` turns each captured key's signal into a weight.
CAPTURE_RULES: dict[str, str] = {
    **{f"eyeBlink{s}": "blink" for s in _SIDE.values()},
    **{f"eyeWide{s}": "wide" for s in _SIDE.values()},
    **{f"eyeSquint{s}": "squint" for s in _SIDE.values()},
    "browInnerUp": "brow_up",
    **{f"browOuterUp{s}": "brow_up" for s in _SIDE.values()},
    **{f"browDown{s}": "brow_down" for s in _SIDE.values()},
    "jawOpen": "jaw",
    "mouthPucker": "pucker",
    "mouthFunnel": "funnel",  # gated by "funnel_narrowing" too
    **{f"mouthSmile{s}": "smile" for s in _SIDE.values()},
    **{f"mouthFrown{s}": "frown" for s in _SIDE.values()},
    **{f"cheekSquint{s}": "cheek" for s in _SIDE.values()},
    **{f"noseSneer{s}": "sneer" for s in _SIDE.values()},
    **{f"mouthUpperUp{s}": "upper_lip" for s in _SIDE.values()},
}


def expression_signals(face: np.ndarray, neutral: np.ndarray) -> dict[str, float]:
    """The raw displacement behind each captured key, before ranges, deadzone and clipping.

    Units are neutral inter-ocular distances, except the eyes (lid gap change as a fraction of
    the neutral gap) and the pucker (mouth-width change as a fraction of the neutral width).
    ``mouthFunnel``'s signal is the inner-lip opening; its weight is also gated by the mouth
    narrowing (the ``mouthPucker`` signal). Mouth-corner height (smile, frown) is measured
    against the midpoint of the inner lips, which a jaw drop lowers as much as the corners:
    measured against the head, an open jaw read as a full frown on the demo head.
    ``mouthUpperUp`` (AU10) is the rise of the upper lip's contour on that side beyond any
    rise of the corner: a smile lifts the corners at least as much as the lip.

    Args:
        face: (468, 2) output of :func:`to_face_coords` for the frame.
        neutral: The same for the neutral frame.

    Returns:
        Signal per name of :data:`CAPTURE_NAMES`; positive means "towards the expression".
    """

    def up(i) -> float:  # upward movement of point(s) i versus neutral (y points down)
        return float(-(face[list(np.atleast_1d(i)), 1] - neutral[list(np.atleast_1d(i)), 1]).mean())

    lip_top, lip_bottom = _LIP_INNER
    gap = float(
        (face[lip_bottom, 1] - face[lip_top, 1]) - (neutral[lip_bottom, 1] - neutral[lip_top, 1])
    )
    mouth_mid = up([lip_top, lip_bottom])
    out: dict[str, float] = {}
    for side, name in _SIDE.items():
        top, bottom = _EYE[side]
        gap0 = max(neutral[bottom, 1] - neutral[top, 1], 1e-3)
        change = float((face[bottom, 1] - face[top, 1] - gap0) / gap0)
        out[f"eyeBlink{name}"] = -change
        out[f"eyeWide{name}"] = change
        out[f"eyeSquint{name}"] = up(bottom)
        out[f"browOuterUp{name}"] = up(_BROW_OUTER[side])
        out[f"browDown{name}"] = -up(_BROW_INNER[side])
        corner = _MOUTH_CORNER[side]
        outward = float(face[corner, 0] - neutral[corner, 0]) * (1.0 if side == "L" else -1.0)
        lift = up(corner) - mouth_mid
        out[f"mouthSmile{name}"] = lift + 0.5 * outward
        out[f"mouthFrown{name}"] = -lift
        out[f"mouthUpperUp{name}"] = up(_UPPER_LIP[side]) - max(up(corner), 0.0)
        out[f"cheekSquint{name}"] = up(_CHEEK[side])
        out[f"noseSneer{name}"] = up(_NOSE_WING[side])
    out["browInnerUp"] = up(_BROW_INNER["R"] + _BROW_INNER["L"])
    out["jawOpen"] = max(-up(_CHIN), gap)
    r, lft = _MOUTH_CORNER["R"], _MOUTH_CORNER["L"]
    width0 = max(float(np.linalg.norm(neutral[lft] - neutral[r])), 1e-3)
    out["mouthPucker"] = (width0 - float(np.linalg.norm(face[lft] - face[r]))) / width0
    out["mouthFunnel"] = gap
    return out


def expression_weights(
    face: np.ndarray, neutral: np.ndarray, gain: float = 1.0, deadzone: float = DEADZONE
) -> dict:
    """ARKit weights of one frame from face-frame coordinates of it and of the neutral frame.

    Args:
        face: (468, 2) output of :func:`to_face_coords` for the frame.
        neutral: The same for the neutral frame.
        gain: Multiplier before clipping.
        deadzone: Fraction of each range ignored as jitter (0 inside a spotted burst).

    Returns:
        Weight in [0, 1] per name of :data:`CAPTURE_NAMES`.
    """
    sig = expression_signals(face, neutral)
    out = {name: _clip(sig[name], CAPTURE_RULES[name], gain, deadzone) for name in CAPTURE_NAMES}
    # A funnel is an opening of narrowed lips: a plain jaw drop must not read as one.
    out["mouthFunnel"] = _clip(sig["mouthPucker"], "funnel_narrowing", 1.0) * out["mouthFunnel"]
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
    valid frame whose head is near the clip's median pose, among the frames scoring within 0.1
    of the best (:func:`.neutral_pose.pick_upright_neutral` states the rule; NaN scores never
    win): a turned head is not made the reference. Otherwise the frame whose aligned shape is
    closest to the median shape of the clip (the person's typical face, which for most
    performances is the resting one, and whose similarity-aligned shape a turn also distorts).

    Raises:
        InputError: No frame has landmarks.
    """
    valid = np.flatnonzero(np.isfinite(landmarks).all(axis=(1, 2)))
    if not len(valid):
        raise InputError("No frame has face landmarks; cannot pick a neutral frame.")
    if neutral_scores is not None:
        scores = np.nan_to_num(np.asarray(neutral_scores, dtype=float)[valid], nan=-np.inf)
        return pick_upright_neutral(landmarks, valid, scores)
    ref = landmarks[valid[0]].astype(float)
    coords = np.array([to_face_coords(landmarks[i].astype(float), ref) for i in valid])
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
            Float32 is used as it is (each frame is solved in float64), so a long clip's track
            is never copied whole.
        times: (n,) increasing sample times in seconds.
        options: Neutral frame, smoothing, gain, head rotation.
        neutral_scores: (n,) per-frame neutrality (e.g. P(neutral)) used to auto-pick the neutral
            frame; if the best valid score is below :data:`NEUTRAL_SCORE_WARN` the result
            carries a warning.

    Returns:
        The weights; ``warnings`` says when the neutral reference is doubtful.

    Raises:
        InputError: Wrong shapes, no valid frame, or a neutral index without landmarks.
    """
    opts = options or CaptureOptions()
    pts = np.asarray(landmarks)  # float32 stays float32: a long clip is not copied whole
    if not np.issubdtype(pts.dtype, np.floating):
        pts = pts.astype(float)
    times = np.asarray(times, dtype=float)
    if pts.ndim != 3 or pts.shape[1:] != (N_LANDMARKS, 3) or len(times) != len(pts):
        raise InputError(f"Expected (n, 468, 3) landmarks and n times; got {pts.shape}.")
    valid = np.isfinite(pts).all(axis=(1, 2))
    warnings: list[str] = []
    if opts.neutral_index is None:
        scores = _scores(neutral_scores, len(pts))
        neutral_index = pick_neutral(pts, scores)
        if scores is not None:
            warnings += _neutral_warning(float(scores[neutral_index]), times[neutral_index])
    else:
        neutral_index = int(opts.neutral_index)
        if not 0 <= neutral_index < len(pts) or not valid[neutral_index]:
            raise InputError(f"Neutral frame {neutral_index} has no face landmarks.")
    weights, rotation = _solve_frames(pts, valid, pts[neutral_index].astype(float), times, opts)
    weights = fill_gaps(weights, valid, times)
    if rotation is not None:
        rotation = fill_gaps(rotation, valid, times)
    if opts.smoothing and len(times) > 1:
        params = {"min_cutoff": opts.min_cutoff, "beta": opts.beta, "d_cutoff": opts.d_cutoff}
        weights = np.clip(smooth(weights, times, **params), 0, 1)
    return CaptureResult(
        times, CAPTURE_NAMES, weights, neutral_index, valid, rotation, tuple(warnings)
    )


def _solve_frames(
    pts: np.ndarray, valid: np.ndarray, neutral: np.ndarray, times: np.ndarray, opts
) -> tuple[np.ndarray, np.ndarray | None]:
    """Raw weights (and head rotation) of the valid frames, NaN elsewhere.

    Each frame is converted to float64 on its own, so a float32 track is never copied whole.
    """
    neutral_face = to_face_coords(neutral, neutral)
    weights = np.full((len(pts), len(CAPTURE_NAMES)), np.nan)
    rotation = np.full((len(pts), 3), np.nan) if opts.head_rotation else None
    idx = list(STABLE_POINTS)
    kept = in_intervals(times, opts.keep_intervals)
    for i in np.flatnonzero(valid):
        deadzone = 0.0 if kept[i] else DEADZONE
        frame = pts[i].astype(float)
        w = expression_weights(to_face_coords(frame, neutral), neutral_face, opts.gain, deadzone)
        weights[i] = [w[name] for name in CAPTURE_NAMES]
        if rotation is not None:
            _, rot, _ = similarity_align(neutral[idx], frame[idx])
            rotation[i] = rotation_angles(rot)
    return weights, rotation


def in_intervals(times: np.ndarray, intervals: tuple[tuple[float, float], ...]) -> np.ndarray:
    """(n,) True where a time lies inside any ``(start, end)`` interval (ends included)."""
    t = np.asarray(times, dtype=float)
    out = np.zeros(len(t), dtype=bool)
    for start, end in intervals:
        out |= (t >= start) & (t <= end)
    return out


def _scores(neutral_scores: np.ndarray | None, n: int) -> np.ndarray | None:
    if neutral_scores is None:
        return None
    scores = np.asarray(neutral_scores, dtype=float)
    if scores.shape != (n,):
        raise InputError(f"Expected {n} neutral scores (one per frame); got shape {scores.shape}.")
    return scores


def _neutral_warning(score: float, time_s: float) -> list[str]:
    if score >= NEUTRAL_SCORE_WARN:
        return []
    return [
        f"No clearly neutral frame (best P(neutral) {score:.2f} at {time_s:.1f} s); captured "
        "weights are relative to that frame. Choose a neutral frame to fix this."
    ]


def curves_summary(result: CaptureResult) -> Mapping[str, float]:
    """Peak weight per captured shape key (for reports and tests)."""
    return {name: float(result.weights[:, i].max()) for i, name in enumerate(result.names)}
