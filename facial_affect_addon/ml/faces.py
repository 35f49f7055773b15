"""Find the performer's face in a frame: detection (BlazeFace, Haar fallback) + 468 landmarks.

:class:`FaceAnalyzer` hides which detector runs. It prefers MediaPipe's BlazeFace short-range
model and falls back to OpenCV's Haar cascade (with a warning) when the MediaPipe files are not
in ``models/``; without the landmark model it still returns boxes, so the emotion path works and
only landmark capture is lost.

A detection alone is not a face (issue 13): on frames of random noise (uniform, Gaussian and
blurred, 100 of each) BlazeFace fires on 54 of 300 (55 boxes) with scores 0.50-0.64, and real
faces score 0.55-0.94, so no detector threshold separates them. The 468-point mesh model
does: its face-presence output is at most 0.002 on those 55 noise boxes and 1.00 on every
real face measured (the astronaut moving, mirrored, rotated 30-180 degrees, at half size; a
three-quarter profile; all 28 demo-head renders of docs/legibility_grid.png, front and 3/4). So
when the landmark model is loaded a face counts only when (1) the presence is at least
:data:`MIN_PRESENCE` and (2) its mesh is a plausible face for the box (:func:`implausible_mesh`:
eye distance against the box, mesh inside the box, eyes level and above the mouth, left/right
symmetry). The mesh model always draws a face-shaped mesh, so the geometry is a guard against
degenerate crops, not the main signal. A real face the mesh model doubts (presence < 0.5, e.g.
mostly covered) is now interpolated from its neighbours instead of classified. Without the
landmark model, detections are :attr:`FaceObservation.verified` False and the video pipeline
requires them to be stable across neighbouring frames instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.errors import InputError, ModelError

MIN_PRESENCE = 0.5
"""Lowest face-presence probability of the mesh model for a detection to count as a face."""

MAX_CANDIDATES = 3
"""Detections tried, largest first, before a frame is declared to have no face."""

SETTLED = 0.01
"""A tracked face's crop (made from the previous frame's landmarks) is refined, up to twice, only
while the mesh it gives would move the crop more than this fraction of its side; otherwise the
one pass stands, as in MediaPipe's graph. The mesh under-reports how far off an off-centre crop
is (a face 2/3 of its size away at 2 fps sampling moves the crop by 6 %), and a frame whose crop
sat a little off shows as expression (cheekSquint 0.1-0.2 on a still face at 0.02 or with one
pass always, ``test_a_still_face_that_moves_captures_no_expression``), so the bound is tight.
Measured 2026-12-01 on the astronaut moved and scaled across 30 frames (tracker): RMS landmark
jitter 0.0039 of the eye distance at 1.57 mesh passes a frame (0.0046 with the former 2-3
passes); on the bench's 640x480 clip 1.68 passes a frame (was about 3)."""

MAX_FACES = 4
"""Faces :meth:`FaceAnalyzer.detect_faces` returns at most by default."""


@dataclass(frozen=True)
class FaceObservation:
    """The main face of one frame.

    Attributes:
        box: (x, y, w, h) in frame pixels.
        score: Detector confidence.
        landmarks: (468, 3) face-mesh points in pixels, or None without the landmark model.
        detector: ``"blazeface"`` or ``"haar"``.
        presence: The mesh model's face-presence probability, None without the landmark model.
    """

    box: tuple[float, float, float, float]
    score: float
    landmarks: np.ndarray | None
    detector: str
    presence: float | None = None

    @property
    def verified(self) -> bool:
        """True when the mesh model confirmed the detection (presence and geometry)."""
        return self.presence is not None


def implausible_mesh(points: np.ndarray, box: tuple[float, float, float, float]) -> str | None:
    """Why a 468-point mesh is not a face for ``box``, or None when it is plausible.

    Bounds are loose: on real faces (frontal, mirrored, rotated 30-180 degrees, a
    three-quarter profile) the measured ranges are eye distance / box side 0.20-0.56, nose-to-eye
    distance ratio 1.01-1.40, |cos| between the eye line and the eyes-to-mouth line <= 0.16,
    mouth-to-eyes / eye distance 0.88-1.87, mesh centre within 0.14 box sides of the box centre.
    """
    p = np.asarray(points, dtype=np.float64)[:, :2]
    if p.shape != (468, 2) or not np.isfinite(p).all():
        return "the mesh has invalid points"
    x, y, w, h = box
    side = max(w, h, 1e-6)
    right, left = p[[33, 133]].mean(0), p[[263, 362]].mean(0)
    iod = float(np.linalg.norm(left - right))
    if not 0.12 <= iod / side <= 1.0:
        return f"the eye distance is {iod / side:.2f} of the box"
    lo, hi = p.min(0), p.max(0)
    centre = np.array([x + w / 2, y + h / 2])
    if np.linalg.norm((lo + hi) / 2 - centre) > 0.5 * side:
        return "the mesh lies outside the detected box"
    to_nose = np.linalg.norm(p[1] - right), np.linalg.norm(p[1] - left)
    if max(to_nose) > 3.0 * max(min(to_nose), 1e-6):
        return "the mesh is lopsided"
    down = p[13] - (left + right) / 2
    length = float(np.linalg.norm(down))
    if not 0.4 * iod <= length <= 3.0 * iod:
        return "the mouth is not below the eyes"
    if abs(float(down @ (left - right))) > 0.5 * length * iod:
        return "the eyes are not level with the mouth"
    return None


class FaceAnalyzer:
    """Detect the largest face in RGB frames and (optionally) its 468 landmarks."""

    def __init__(
        self,
        detector: str = "auto",
        landmarks: bool = True,
        verify: bool = True,
        min_face_px: float | None = None,
    ) -> None:
        """Load the face models.

        Args:
            detector: ``"auto"`` (BlazeFace, else Haar), ``"blazeface"`` or ``"haar"``.
            landmarks: Return the 468 landmarks (the landmark model is loaded if present).
            verify: Confirm each detection with the landmark model (loaded even when
                ``landmarks`` is False; one mesh pass, about 5 ms a face) so that noise or
                texture the detector mistakes for a face is not reported.
            min_face_px: Smallest face height (frame pixels) to find: the detector runs a
                pyramid down to it (:mod:`.face_models`). None: one whole-frame pass, fastest,
                for faces above ~1/6 of the frame side (stills, webcam).

        Raises:
            ModelError: The requested detector cannot be loaded.
        """
        from . import face_models

        self.min_face_px = min_face_px
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
        self._want_landmarks = landmarks
        if landmarks or verify:
            try:
                self._landmarker = face_models.FaceLandmarker()
            except ModelError as exc:
                what = "Landmark capture is off" if landmarks else "Faces are not verified"
                self.warnings.append(f"{exc} {what}.")

    @property
    def description(self) -> str:
        """Which models run, for the UI and the JSON ``models`` block."""
        det = "BlazeFace short-range" if self.detector == "blazeface" else "OpenCV Haar cascade"
        if self.min_face_px and self.detector == "blazeface":
            det += f" pyramid (faces from {self.min_face_px:g} px)"
        lm = " + MediaPipe 468-point face mesh" if self.has_landmarks else ""
        model = getattr(self._landmarker or self._detector, "model", None)
        runtime = "LiteRT" if getattr(model, "runtime", "") == "litert" else "OpenCV dnn"
        return f"{det}{lm} ({runtime})"

    @property
    def detector(self) -> str:
        """``"blazeface"`` or ``"haar"``."""
        return "haar" if type(self._detector).__name__.startswith("Haar") else "blazeface"

    @property
    def has_landmarks(self) -> bool:
        """Whether landmarks will be returned."""
        return self._want_landmarks and self._landmarker is not None

    @property
    def verifies(self) -> bool:
        """Whether detections are confirmed by the landmark model."""
        return self._landmarker is not None

    def analyze(self, rgb: np.ndarray) -> FaceObservation | None:
        """The largest face in an RGB uint8 frame, or None when there is none.

        With the landmark model, the detections are tried largest first (at most
        :data:`MAX_CANDIDATES`) and the first one the mesh confirms is returned.
        """
        faces = self.detect_faces(rgb, 1)
        return faces[0] if faces else None

    def detect_faces(
        self,
        rgb: np.ndarray,
        max_faces: int = MAX_FACES,
        known: tuple = (),
        level: int | None = None,
    ) -> list[FaceObservation]:
        """Up to ``max_faces`` confirmed faces of an RGB uint8 frame, largest first.

        For one face, detections are tried largest first (:data:`MAX_CANDIDATES` at most). For
        several, they are tried best score first (``3 * max_faces`` at most), because on
        textured backgrounds the pyramid's fine level fires on texture (up to 11 extra boxes
        measured on a 1080p frame, scores 0.5-0.65) that would crowd out small real faces
        (0.8-1.0); every one of them is verified and the largest ``max_faces`` are kept, so in a
        crowd the main actor is not dropped for a smaller face that scored higher. A detection
        overlapping a face already accepted, or one of the ``known`` boxes (x, y, w, h: faces
        the caller tracks already), is skipped before its mesh runs. ``level`` runs one level
        of the detector pyramid only (see :meth:`.face_models.BlazeFaceDetector.detect`).
        """
        found = self._detector.detect(rgb, self.min_face_px, level)
        if max_faces == 1:
            found = sorted(found, key=lambda f: -f.w * f.h * f.score)[:MAX_CANDIDATES]
        else:
            found = sorted(found, key=lambda f: -f.score)[: 3 * max_faces]
        if self._landmarker is None:
            return [
                FaceObservation((f.x, f.y, f.w, f.h), f.score, None, f.detector)
                for f in found[:max_faces]
            ]
        from ..core.face_tracks import box_iou
        from .face_models import REFINE_PASSES

        refine = REFINE_PASSES if self._want_landmarks else 0
        out: list[FaceObservation] = []
        for face in found:
            box = (face.x, face.y, face.w, face.h)
            taken = [o.box for o in out] + list(known)
            if (max_faces == 1 and out) or any(box_iou(box, b) > 0.3 for b in taken):
                continue
            marks = self._landmarker.landmarks(rgb, face, refine=refine)
            if marks.presence < MIN_PRESENCE or implausible_mesh(marks.points, box):
                continue
            points = marks.points if self._want_landmarks else None
            out.append(FaceObservation(box, face.score, points, face.detector, marks.presence))
        return sorted(out, key=lambda o: -o.box[2] * o.box[3])[:max_faces]

    def follow(
        self, rgb: np.ndarray, previous: FaceObservation, box_from_mesh=None, shift=(0.0, 0.0)
    ) -> FaceObservation | None:
        """The face of ``previous`` in the next frame, cropped from its landmarks (no detector).

        This is MediaPipe's tracking: the mesh model runs on a crop around the previous frame's
        landmarks, and the face counts only when the mesh confirms it as :meth:`detect_faces`
        does. Returns None when the face is lost (then detect again).

        Args:
            rgb: The next frame.
            previous: The face in the frame before, with landmarks.
            box_from_mesh: Maps the new (468, 3) points to the face box to report (default:
                their bounding square), so tracked boxes match the detector's.
            shift: Expected motion (x, y) in pixels since ``previous``: the crop moves with it,
                which matters when frames are sampled far apart (2 fps).
        """
        if previous.landmarks is None or self._landmarker is None:
            return None
        from .face_models import FaceBox, roi_from_landmarks

        start = FaceBox(*previous.box, previous.score, None, previous.detector)
        moved = previous.landmarks + np.array([shift[0], shift[1], 0.0], np.float32)
        marks = self._landmarker.landmarks(rgb, roi_from_landmarks(moved, start), 2, SETTLED)
        if marks.presence < MIN_PRESENCE:
            return None
        if box_from_mesh is not None:
            box = box_from_mesh(marks.points)
        else:
            mesh_box = roi_from_landmarks(marks.points, start)
            box = (mesh_box.x, mesh_box.y, mesh_box.w, mesh_box.h)
        if implausible_mesh(marks.points, box):
            return None
        return FaceObservation(box, previous.score, marks.points, previous.detector, marks.presence)
