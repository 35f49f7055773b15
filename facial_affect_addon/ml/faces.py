"""Find the performer's face in a frame: detection (BlazeFace, Haar fallback) + 468 landmarks.

:class:`FaceAnalyzer` hides which detector runs. It prefers MediaPipe's BlazeFace short-range
model and falls back to OpenCV's Haar cascade (with a warning) when the MediaPipe files are not
in ``models/``; without the landmark model it still returns boxes, so the emotion path works and
only landmark capture is lost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.errors import InputError, ModelError


@dataclass(frozen=True)
class FaceObservation:
    """The main face of one frame.

    Attributes:
        box: (x, y, w, h) in frame pixels.
        score: Detector confidence.
        landmarks: (468, 3) face-mesh points in pixels, or None without the landmark model.
        detector: ``"blazeface"`` or ``"haar"``.
    """

    box: tuple[float, float, float, float]
    score: float
    landmarks: np.ndarray | None
    detector: str


class FaceAnalyzer:
    """Detect the largest face in RGB frames and (optionally) its 468 landmarks."""

    def __init__(self, detector: str = "auto", landmarks: bool = True) -> None:
        """Load the face models.

        Args:
            detector: ``"auto"`` (BlazeFace, else Haar), ``"blazeface"`` or ``"haar"``.
            landmarks: Also load the 468-point landmark model (if present).

        Raises:
            ModelError: The requested detector cannot be loaded.
        """
        from . import face_models

        self.warnings: list[str] = []
        self._detector = None
        if detector in ("auto", "blazeface"):
            try:
                self._detector = face_models.BlazeFaceDetector()
            except ModelError as exc:
                if detector == "blazeface":
                    raise
                self.warnings.append(f"{exc} Using OpenCV's Haar cascade instead.")
        elif detector != "haar":
            raise InputError(f"Unknown face detector {detector!r}; use auto, blazeface or haar.")
        if self._detector is None:
            self._detector = face_models.HaarFaceDetector()
        self._landmarker = None
        if landmarks:
            try:
                self._landmarker = face_models.FaceLandmarker()
            except ModelError as exc:
                self.warnings.append(f"{exc} Landmark capture is off.")

    @property
    def description(self) -> str:
        """Which models run, for the UI and the JSON ``models`` block."""
        det = "BlazeFace short-range" if self.detector == "blazeface" else "OpenCV Haar cascade"
        lm = " + MediaPipe 468-point face mesh" if self._landmarker is not None else ""
        return f"{det}{lm} (OpenCV dnn)"

    @property
    def detector(self) -> str:
        """``"blazeface"`` or ``"haar"``."""
        return "haar" if type(self._detector).__name__.startswith("Haar") else "blazeface"

    @property
    def has_landmarks(self) -> bool:
        """Whether landmarks will be returned."""
        return self._landmarker is not None

    def analyze(self, rgb: np.ndarray) -> FaceObservation | None:
        """The largest face in an RGB uint8 frame, or None when there is none."""
        faces = self._detector.detect(rgb)
        if not faces:
            return None
        face = max(faces, key=lambda f: f.w * f.h * f.score)
        points = None
        if self._landmarker is not None:
            found = self._landmarker.landmarks(rgb, face)
            if found.presence >= 0.5:
                points = found.points
        return FaceObservation((face.x, face.y, face.w, face.h), face.score, points, face.detector)
