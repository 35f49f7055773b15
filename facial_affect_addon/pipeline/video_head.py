"""Head rotation and eye gaze for the video capture (issue 18 §3).

:class:`HeadEyeRecorder` wraps the face analyzer the video pipeline calls once per sampled
frame: it passes every call through and keeps, per frame, only what head and eyes need (the
29 rigid mesh points, ~350 bytes, and the two iris centres in their eyes' frames), never the
frame. Once the capture has picked its neutral frame, :meth:`HeadEyeRecorder.finish` puts the
smoothed head rotation on the capture (:mod:`..core.head_pose`) and appends the eight ARKit
``eyeLook*`` columns from the gaze (:mod:`..core.gaze`). The same pass of the iris model gives
each eye's outline, and the face handed on carries it in place of the mesh's lid points
(:func:`..ml.iris.refine_lids`, as MediaPipe refines its mesh), so the capture reads the lids
(blink, wide, squint) from the model made for eyes. Without the iris model the capture keeps the
mesh's lids and its head rotation and gets no eye columns, with a warning.
"""

from __future__ import annotations

from dataclasses import is_dataclass, replace

import numpy as np

from ..core.capture import CaptureResult
from ..core.errors import InputError, ModelError
from ..core.gaze import EYE_LOOK_NAMES, eye_look_weights, eye_offsets, gaze_track
from ..core.head_pose import RIGID_POINTS, head_rotation_track

_RIGID = list(RIGID_POINTS)


class HeadEyeRecorder:
    """A face analyzer that also records head points and iris positions of each frame.

    Args:
        faces: The :class:`~..ml.faces.FaceAnalyzer` to wrap (its other attributes pass through).
        iris: Run the iris model (loaded here; a missing model only warns).
    """

    def __init__(self, faces, iris: bool = True) -> None:
        self._faces = faces
        self.rigid: list[np.ndarray | None] = []
        self.eyes: list[np.ndarray | None] = []
        self.notes: list[str] = []
        self._iris = None
        if iris:
            from ..ml.iris import IrisLandmarker

            try:
                self._iris = IrisLandmarker()
            except ModelError as exc:
                self.notes.append(f"{exc} Eye gaze is off.")

    def __getattr__(self, name: str):
        return getattr(self._faces, name)

    def analyze(self, rgb: np.ndarray):
        """The wrapped analyzer's face for ``rgb``; records its head and eye measures."""
        face = self._faces.analyze(rgb)
        points = None if face is None else getattr(face, "landmarks", None)
        if points is None:
            self.rigid.append(None)
            self.eyes.append(None)
            return face
        self.rigid.append(np.asarray(points[_RIGID], dtype=np.float32))
        if self._iris is None:
            self.eyes.append(None)
            return face
        from ..ml.iris import refine_lids

        irises, outlines = self._iris.eyes(rgb, points)
        self.eyes.append(eye_offsets(points, irises[:, 0]).astype(np.float32))
        if not is_dataclass(face):
            return face
        return replace(face, landmarks=refine_lids(points, outlines))

    def finish(self, capture: CaptureResult | None, warnings: list[str]) -> CaptureResult | None:
        """``capture`` with the recorded head rotation and ``eyeLook*`` columns added.

        Frames the capture counts as faceless (``capture.valid`` False) are interpolated. Any
        problem is appended to ``warnings`` and the capture is returned as it was.
        """
        warnings.extend(self.notes)
        if capture is None:
            return None
        n = len(capture.times)
        if len(self.rigid) != n:  # the analyzer was called other than once per sampled frame
            warnings.append("Head rotation and eye gaze were not measured (frame count differs).")
            return capture
        try:
            return self._finish(capture)
        except InputError as exc:
            warnings.append(f"Head rotation and eye gaze skipped: {exc}")
            return capture

    def _finish(self, capture: CaptureResult) -> CaptureResult:
        n, ref = len(capture.times), capture.neutral_index
        rigid = _stack(self.rigid, (len(_RIGID), 3), n)
        valid = np.asarray(capture.valid, dtype=bool)
        if capture.head_rotation is not None:  # CaptureOptions.head_rotation asked for it
            rotation = head_rotation_track(rigid, valid, capture.times, ref)
            capture = replace(capture, head_rotation=rotation)
        if self._iris is None or any(name in capture.names for name in EYE_LOOK_NAMES):
            return capture
        offsets = _stack(self.eyes, (4,), n)
        looks = eye_look_weights(gaze_track(offsets, valid, capture.times, ref))
        weights = np.column_stack([capture.weights, *(looks[k] for k in EYE_LOOK_NAMES)])
        return replace(capture, names=capture.names + EYE_LOOK_NAMES, weights=weights)


def _stack(rows: list[np.ndarray | None], shape: tuple[int, ...], n: int) -> np.ndarray:
    out = np.full((n, *shape), np.nan)
    for i, row in enumerate(rows):
        if row is not None:
            out[i] = row
    return out
