"""Curve building blocks: envelopes, B-splines through AU keyframes, modulation, resampling.

**Keyframes -> curves.** Paper 000 (section 2.1) interpolates AU keyframes linearly ("easing
function = linear") and in section 3.1.2 switches the keys to cubic; paper 002 (section 3.4)
writes the curve as a cubic B-spline ``c(t) = sum_{i=0..3} b_i B_i(t)``, which taken literally is
a single cubic segment with four control points, not a curve through many keyframes. We offer
three readings, all evaluated as :class:`.bspline.BSpline` (numpy; equal to scipy's, tested) on
whole arrays:

* ``"smooth"`` (default): a cubic B-spline with triple interior knots whose control points
  repeat each key value, i.e. piecewise cubic Bezier segments with flat tangents at every key.
  This is the curve Blender's "auto-clamped" and Unreal's "auto" cubic keys give: it passes
  through every key, is C1 (slopes are 0 on both sides of each key), and by the B-spline
  convex-hull property never leaves the range of neighbouring keys, so it cannot overshoot
  [0, 1]. The price is that motion briefly rests at every key.
* ``"cubic"``: the C2 interpolating cubic B-spline with zero end slopes
  (:func:`.bspline.make_interp_spline_clamped`, scipy's ``make_interp_spline`` with
  ``bc_type="clamped"``). Smoother, but it rings around holds (overshoots above the apex and
  below rest); the overshoot is clipped to [0, 1], which can put kinks back in.
* ``"linear"``: paper 000's linear keys, used by the static baseline.

**Modulation.** Paper 002: ``c'(t) = c(t) * m_e * i_v`` with ``m_e`` an emotion-specific
amplitude ("high-amplitude for joy, low-amplitude for fear") and ``i_v`` in [0, 1] an intensity
variation. The paper gives no numbers; :data:`EMOTION_AMPLITUDE` holds ours, and they are all
1.0: intensity 1.0 must be the full, unmistakable prototype of *every* emotion (its primary keys
near 1.0), and a fear that peaks at 0.8 by design reads as a weak fear, not as a different
emotion. How strongly each emotion shows on a particular rig is the rig profile's
``emotion_gains`` (:mod:`.rigs`), and how strongly a line is felt is its intensity. Because the
curve is linear in its key values, modulating keys and modulating the finished curve are the
same.

Every function returns values clipped to [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from .bspline import BSpline, make_interp_spline_clamped
from .curveset import CurveSet
from .emotions import EMOTION_NAMES, canonical_emotion_name
from .errors import InputError

Interpolation = Literal["smooth", "cubic", "linear"]
INTERPOLATIONS: tuple[str, ...] = ("smooth", "cubic", "linear")

EMOTION_AMPLITUDE: dict[str, float] = {
    "neutral": 0.0,
    "happiness": 1.0,
    "surprise": 1.0,
    "anger": 1.0,
    "disgust": 1.0,
    "sadness": 1.0,
    "fear": 1.0,
}
"""Our per-emotion amplitudes ``m_e`` (paper 002 names the idea, not the values; see above why
they are equal: until issue 11 they ran from 1.0 for happiness down to 0.8 for fear, and fear
peaked at 0.64)."""


def amplitude_array() -> np.ndarray:
    """:data:`EMOTION_AMPLITUDE` as a (7,) array in :data:`EMOTION_NAMES` order."""
    return np.array([EMOTION_AMPLITUDE[e] for e in EMOTION_NAMES])


def displacement_for_intensity(intensity: np.ndarray | float) -> np.ndarray:
    """How far an emotion's keys travel for a felt intensity: ``1 - (1 - i)^2`` on [0, 1].

    Intensity is what a user (or the text and audio analysis) asks for: how strongly the
    emotion is felt and should be seen. It is not the fraction of the keys' travel. Read
    linearly, 0.6 moved every key 60 % of the way, and on the demo head the shipped face
    emotion model read five of seven such faces as neutral (or surprise as fear) from the front,
    while people and the same model read the full faces (legibility harness, issue 11). FACS
    scores intensity on an ordinal scale (A trace ... E maximum) whose steps are not equal in
    displacement either. We therefore map intensity through this quadratic ease-out (our
    choice, not a published curve): 0.6 moves the keys 84 % of the way, 0.5 75 %, 0.3 51 %,
    0.1 19 %; 1.0 is still the full prototype and 0 the rest pose, the mapping is monotone and
    smooth, and its slope at 1 is 0, so intensity jitter near a full face barely shows. It
    scales the emotion's AU targets only; blinks, speech and micro-expressions keep their own
    amplitudes.

    Args:
        intensity: Intensities (any shape); values are clipped to [0, 1] first.

    Returns:
        Key travel in [0, 1], the shape of ``intensity``.
    """
    i = np.clip(np.asarray(intensity, dtype=float), 0.0, 1.0)
    return 1.0 - (1.0 - i) ** 2


def ease(s: np.ndarray) -> np.ndarray:
    """Cubic smoothstep ``3s^2 - 2s^3`` on [0, 1] (clamped): the flat-tangent cubic segment."""
    s = np.clip(s, 0.0, 1.0)
    return s * s * (3.0 - 2.0 * s)


def _check_duration(value: float, what: str, *, allow_zero: bool = True) -> float:
    v = float(value)
    if not np.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        kind = "non-negative" if allow_zero else "positive"
        raise InputError(f"The {what} must be a {kind} number of seconds, got {value}.")
    return v


@dataclass(frozen=True)
class Envelope:
    """An onset / apex / offset envelope (seconds), peaking at ``peak``.

    Raises:
        InputError: On negative or non-finite durations, an all-zero envelope, or a peak
            outside [0, 1].
    """

    onset: float
    apex: float
    offset: float
    peak: float = 1.0

    def __post_init__(self) -> None:
        for name in ("onset", "apex", "offset"):
            _check_duration(getattr(self, name), f"envelope {name}")
        if self.onset + self.apex + self.offset <= 0:
            raise InputError("An envelope needs a positive total duration.")
        if not np.isfinite(self.peak) or not 0.0 <= self.peak <= 1.0:
            raise InputError(f"Envelope peak must be between 0 and 1, got {self.peak}.")

    @property
    def duration(self) -> float:
        """Total length in seconds."""
        return self.onset + self.apex + self.offset

    def evaluate(self, t: np.ndarray, start: float = 0.0) -> np.ndarray:
        """Envelope values at times ``t`` (seconds) for an envelope starting at ``start``."""
        return envelope(
            np.asarray(t, dtype=float), start, self.onset, self.apex, self.offset, self.peak
        )


def envelope(
    t: np.ndarray, start: float, onset: float, apex: float, offset: float, peak: float = 1.0
) -> np.ndarray:
    """Rise (smoothstep) over ``onset``, hold ``peak`` for ``apex``, fall over ``offset``.

    C1 wherever the phases have positive length; a zero-length phase is a step.

    Returns:
        Values in [0, peak], 0 outside the envelope.
    """
    x = np.asarray(t, dtype=float) - start
    up = ease(x / onset) if onset > 0 else (x >= 0).astype(float)
    x_fall = x - onset - apex
    down = 1.0 - ease(x_fall / offset) if offset > 0 else (x_fall <= 0).astype(float)
    return np.where((x >= 0) & (x_fall <= offset), peak * up * down, 0.0)


def _as_keys(times: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(times, dtype=float)
    v = np.asarray(values, dtype=float)
    if t.ndim != 1 or len(t) == 0 or v.shape[0] != len(t):
        raise InputError(f"Keyframes need matching times and values, got {t.shape}, {v.shape}.")
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(v))):
        raise InputError("Keyframe times and values must be finite (no NaN or infinity).")
    if np.any(np.diff(t) <= 0):
        raise InputError("Keyframe times must be strictly increasing.")
    if len(t) == 1:  # a single key is a constant
        t = np.array([t[0], t[0] + 1.0])
        v = np.concatenate([v, v])
    return t, v


def smooth_bspline(times: np.ndarray, values: np.ndarray) -> BSpline:
    """Cubic B-spline through keys with flat tangents (see module docstring, ``"smooth"``).

    Args:
        times: (K,) strictly increasing key times.
        values: (K,) or (K, C) key values.

    Returns:
        A :class:`~.bspline.BSpline` of degree 3 (C1, no overshoot).
    """
    t, v = _as_keys(times, values)
    inner = np.repeat(np.arange(1, len(t) - 1), 3)
    idx = np.concatenate([[0, 0], inner, [len(t) - 1, len(t) - 1]])
    knots = np.concatenate([[t[0]] * 4, np.repeat(t[1:-1], 3), [t[-1]] * 4])
    return BSpline(knots, v[idx], 3)


def linear_bspline(times: np.ndarray, values: np.ndarray) -> BSpline:
    """Degree-1 B-spline through the keys (paper 000's linear easing)."""
    t, v = _as_keys(times, values)
    knots = np.concatenate([[t[0]], t, [t[-1]]])
    return BSpline(knots, v, 1)


def cubic_bspline(times: np.ndarray, values: np.ndarray) -> BSpline:
    """C2 interpolating cubic B-spline with zero end slopes (falls back to linear for < 4 keys)."""
    t, v = _as_keys(times, values)
    if len(t) < 4:
        return linear_bspline(t, v)
    return make_interp_spline_clamped(t, v)


_BUILDERS = {"smooth": smooth_bspline, "cubic": cubic_bspline, "linear": linear_bspline}


@dataclass(frozen=True, eq=False)
class KeyframeTrack:
    """AU keyframes: one value per channel at each key time.

    Attributes:
        times: (K,) strictly increasing key times in seconds.
        values: (K, C) key values in [0, 1].
        interpolation: ``"smooth"``, ``"cubic"`` or ``"linear"``.
    """

    times: np.ndarray
    values: np.ndarray
    interpolation: Interpolation = "smooth"

    def __post_init__(self) -> None:
        if self.interpolation not in _BUILDERS:
            raise InputError(
                f"Unknown interpolation {self.interpolation!r}; use one of {INTERPOLATIONS}."
            )
        _as_keys(self.times, self.values)

    def spline(self) -> BSpline:
        """The B-spline through the keys."""
        return _BUILDERS[self.interpolation](self.times, self.values)

    def evaluate(self, t: np.ndarray) -> np.ndarray:
        """Values at times ``t`` (held constant before the first and after the last key).

        Returns:
            (len(t), C) array clipped to [0, 1].
        """
        tt = np.clip(np.asarray(t, dtype=float), self.times[0], self.times[-1])
        return np.clip(self.spline()(tt), 0.0, 1.0)


def modulate(curve: np.ndarray, m_e: float, i_v: float | np.ndarray) -> np.ndarray:
    """Paper 002's ``c'(t) = c(t) * m_e * i_v``, clipped to [0, 1].

    Args:
        curve: Any array of curve values.
        m_e: Emotion-specific amplitude (>= 0), e.g. ``EMOTION_AMPLITUDE["fear"]``.
        i_v: Intensity variation in [0, 1]: a scalar or an array broadcast against ``curve``.

    Raises:
        InputError: If ``m_e`` is negative or ``i_v`` leaves [0, 1] or anything is NaN.
    """
    iv = np.asarray(i_v, dtype=float)
    if not np.isfinite(m_e) or m_e < 0:
        raise InputError(f"Amplitude m_e must be a non-negative number, got {m_e}.")
    if not np.all(np.isfinite(iv)) or np.any((iv < 0) | (iv > 1)):
        raise InputError("Intensity variation i_v must lie in [0, 1].")
    return np.clip(np.asarray(curve, dtype=float) * m_e * iv, 0.0, 1.0)


def emotion_amplitude(name: str) -> float:
    """``m_e`` for an emotion name (aliases allowed). Raises InputError if unknown."""
    return EMOTION_AMPLITUDE[canonical_emotion_name(name)]


def static_keys(start: float, duration: float, ramp: float) -> tuple[np.ndarray, np.ndarray]:
    """Key times and levels of the static baseline: a constant template with linear ramps.

    The template is switched on and off with ``ramp``-long linear ramps inside the event
    (paper 000: "interpolation steps = 10, easing function = linear"); the ramp shrinks to half
    the event for short events.

    Returns:
        (times, levels) with levels 0, 1, 1, 0 (or 0, 1, 0 when the ramps meet).
    """
    r = min(ramp, duration / 2.0)
    if 2 * r >= duration:
        return np.array([start, start + r, start + duration]), np.array([0.0, 1.0, 0.0])
    times = np.array([start, start + r, start + duration - r, start + duration])
    return times, np.array([0.0, 1.0, 1.0, 0.0])


def dynamic_keys(
    start: float, duration: float, rise: float, fall: float, sustain: float
) -> tuple[np.ndarray, np.ndarray]:
    """Key times and levels of one isolated dynamic event: rise - hold - fall.

    The apex is reached after ``rise`` (at most half the event), the hold decays to ``sustain``
    of the apex by the event's end (expressions relax while held), and the fall takes ``fall``
    seconds after the event.

    Returns:
        (times, levels) to be scaled by the event's AU vector.
    """
    r = min(rise, duration / 2.0)
    times = [start, start + r]
    levels = [0.0, 1.0]
    if duration > r:
        times.append(start + duration)
        levels.append(sustain)
    times.append(start + duration + fall)
    levels.append(0.0)
    return np.array(times), np.array(levels)


def frame_times(n_frames: int, fps: float) -> np.ndarray:
    """Times in seconds of frames ``0..n_frames-1`` (frame 0 at t = 0)."""
    return np.arange(int(n_frames)) / float(fps)


def resample(values: np.ndarray, fps_in: float, fps_out: float, *, method: str = "cubic"):
    """Resample dense per-frame values to another frame rate.

    Args:
        values: (n,) or (n, C) samples at ``fps_in`` starting at t = 0.
        fps_in: Source frame rate.
        fps_out: Target frame rate.
        method: ``"cubic"`` (interpolating cubic B-spline) or ``"linear"``.

    Returns:
        Samples at ``fps_out`` covering the same time span, clipped to [0, 1].

    Raises:
        InputError: On non-positive frame rates, an unknown method, or empty / non-finite input.
    """
    for fps in (fps_in, fps_out):
        if not np.isfinite(fps) or fps <= 0:
            raise InputError(f"Frame rates must be positive, got {fps}.")
    if method not in ("cubic", "linear"):
        raise InputError(f"Unknown resampling method {method!r}; use 'cubic' or 'linear'.")
    v = np.asarray(values, dtype=float)
    if v.shape[0] == 0 or not np.all(np.isfinite(v)):
        raise InputError("Cannot resample an empty curve or one containing NaN.")
    n_out = int(np.floor((v.shape[0] - 1) * fps_out / fps_in + 1e-9)) + 1
    if v.shape[0] == 1:
        return np.clip(np.repeat(v, n_out, axis=0), 0.0, 1.0)
    t_in = frame_times(v.shape[0], fps_in)
    builder = cubic_bspline if method == "cubic" else linear_bspline
    return np.clip(builder(t_in, v)(frame_times(n_out, fps_out)), 0.0, 1.0)


def resample_curveset(curves: CurveSet, fps: float, *, method: str = "cubic") -> CurveSet:
    """A :class:`CurveSet` resampled to ``fps`` (same start frame, same time span).

    Raises:
        InputError: As :func:`resample`, or if the set is empty.
    """
    clean = curves.validated()
    names = list(clean.channels)
    stacked = np.stack([clean.channels[n] for n in names], axis=1)
    out = resample(stacked, clean.fps, fps, method=method)
    return CurveSet(
        clean.frame_start, float(fps), {n: out[:, i] for i, n in enumerate(names)}, clean.warnings
    )
