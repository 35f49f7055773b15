"""Streaming landmark capture (paper 004) for live frames: calibrate, then weights per frame.

The offline capture (:func:`.capture.capture_weights`) sees the whole clip and can pick its most
neutral frame afterwards. A live feed cannot, so :class:`LiveCapture` *calibrates*: the first
``calibration_s`` seconds of landmark frames are taken as the neutral face. **The user must
start with a relaxed, neutral face** (and keep it for that second); whatever expression is held
during calibration becomes "zero" for every key afterwards. :meth:`LiveCapture.recalibrate`
starts over, e.g. after the performer changed or the first second was not neutral.

The neutral reference is robust to jitter and to head motion during calibration: each
calibration frame is aligned onto the first one with the capture module's similarity alignment
on the stable points (nose bridge, eye corners), and the reference is the per-point median of
the aligned frames. After calibration every frame goes through exactly the offline rules —
:func:`.capture.to_face_coords` removes head motion against the reference and
:func:`.capture.expression_weights` turns the remaining deformation into ARKit weights — and a
streaming :class:`.one_euro.OneEuroFilter` smooths each channel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .capture import (
    CAPTURE_NAMES,
    N_LANDMARKS,
    ONE_EURO_BETA,
    ONE_EURO_D_CUTOFF,
    ONE_EURO_MIN_CUTOFF,
    STABLE_POINTS,
    expression_weights,
    similarity_align,
    to_face_coords,
)
from .errors import InputError
from .one_euro import OneEuroFilter


@dataclass(frozen=True)
class LiveCaptureOptions:
    """How live landmark frames become weights.

    Attributes:
        calibration_s: Seconds of (neutral) face at the start used as the reference.
        min_calibration_frames: Frames calibration needs at least, however long it takes.
        min_cutoff: One-Euro cutoff at rest (Hz), as in :class:`.capture.CaptureOptions`.
        beta: One-Euro speed coefficient.
        d_cutoff: One-Euro cutoff of the speed estimate (Hz).
        gain: Multiplier on every weight before clipping to [0, 1].
    """

    calibration_s: float = 1.0
    min_calibration_frames: int = 3
    min_cutoff: float = ONE_EURO_MIN_CUTOFF
    beta: float = ONE_EURO_BETA
    d_cutoff: float = ONE_EURO_D_CUTOFF
    gain: float = 1.0


class LiveCapture:
    """Landmark frames in, smoothed ARKit weights out, one frame at a time.

    Example (a worker thread, frames from a camera)::

        cap = LiveCapture()
        for t, landmarks in frames:          # (468, 3) pixels per frame
            weights = cap.update(landmarks, t)
            if weights is None:
                show("Calibrating: keep a neutral face")
            else:
                use(weights)                  # {ARKit name: weight in [0, 1]}

    Args:
        options: Calibration length, smoothing and gain.

    Raises:
        InputError: A calibration time that is not a positive number.
    """

    names: tuple[str, ...] = CAPTURE_NAMES

    def __init__(self, options: LiveCaptureOptions | None = None) -> None:
        self.options = options or LiveCaptureOptions()
        if not np.isfinite(self.options.calibration_s) or self.options.calibration_s <= 0:
            raise InputError(
                f"Calibration must last a positive number of seconds, "
                f"got {self.options.calibration_s}."
            )
        self.recalibrate()

    def recalibrate(self) -> None:
        """Forget the neutral reference and the smoothing; the next frames calibrate again."""
        self._frames: list[np.ndarray] = []
        self._t0: float | None = None
        self._neutral: np.ndarray | None = None
        self._neutral_face: np.ndarray | None = None
        self._filter = OneEuroFilter(
            self.options.min_cutoff, self.options.beta, self.options.d_cutoff
        )

    @property
    def calibrating(self) -> bool:
        """True until the neutral reference exists."""
        return self._neutral is None

    @property
    def neutral(self) -> np.ndarray | None:
        """The (468, 3) neutral reference (in the first calibration frame's pixels), or None."""
        return self._neutral

    def progress(self, t: float) -> float:
        """Fraction of the calibration time elapsed at ``t`` (1.0 once calibrated)."""
        if not self.calibrating:
            return 1.0
        if self._t0 is None:
            return 0.0
        return float(np.clip((t - self._t0) / self.options.calibration_s, 0.0, 1.0))

    def update(self, landmarks: np.ndarray, t: float) -> dict[str, float] | None:
        """Feed one frame's landmarks.

        Args:
            landmarks: (468, 3) face-mesh points in pixels (a (468, 2) array is taken as z=0).
            t: The frame's time in seconds (increasing).

        Returns:
            Weight in [0, 1] per name of :data:`.capture.CAPTURE_NAMES`, or None while
            calibrating.

        Raises:
            InputError: Wrong shape or non-finite points, or a degenerate calibration face.
        """
        pts = _as_points(landmarks)
        if self._neutral is None:
            if self._t0 is None:
                self._t0 = float(t)
            self._frames.append(pts)
            elapsed = float(t) - self._t0
            if (
                elapsed < self.options.calibration_s
                or len(self._frames) < self.options.min_calibration_frames
            ):
                return None
            self._finish_calibration()
        face = to_face_coords(pts, self._neutral)
        raw = expression_weights(face, self._neutral_face, self.options.gain)
        values = self._filter(np.array([raw[name] for name in CAPTURE_NAMES]), float(t))
        return {
            name: float(v) for name, v in zip(CAPTURE_NAMES, np.clip(values, 0, 1), strict=True)
        }

    def _finish_calibration(self) -> None:
        """Median of the calibration frames, each aligned onto the first on the stable points."""
        first = self._frames[0]
        idx = list(STABLE_POINTS)
        aligned = []
        for pts in self._frames:
            scale, rot, shift = similarity_align(pts[idx], first[idx])
            aligned.append(scale * pts @ rot.T + shift)
        neutral = np.median(np.stack(aligned), axis=0)
        try:
            self._neutral_face = to_face_coords(neutral, neutral)
        except InputError:
            self.recalibrate()  # a broken face must not stick: start over with the next frames
            raise
        self._neutral = neutral
        self._frames = []


def _as_points(landmarks: np.ndarray) -> np.ndarray:
    pts = np.asarray(landmarks, dtype=float)
    if pts.ndim == 2 and pts.shape == (N_LANDMARKS, 2):
        pts = np.column_stack([pts, np.zeros(N_LANDMARKS)])
    if pts.shape != (N_LANDMARKS, 3):
        raise InputError(f"Expected (468, 3) face landmarks, got shape {pts.shape}.")
    if not np.isfinite(pts).all():
        raise InputError("Face landmarks contain NaN or infinity.")
    return pts
