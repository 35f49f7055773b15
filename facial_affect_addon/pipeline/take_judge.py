"""Judge a take's rendered frames with the face model (issue 16: Score Take, ``cli report``).

Blender renders the sampled frames (main thread); this module, which never touches bpy, reads
what each frame *means* from the take's performance (:func:`intended_at`) and what the face
emotion model *reads* on the render (:func:`judge_frames`), and summarises both as a
:class:`~..core.take_legibility.TakeLegibility`. It runs on a worker thread in the add-on.
The judge is the shipped FER model trained on 64 px greyscale faces; it says how legible the
head is to that model, not to people.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.emotions import EMOTION_NAMES
from ..core.errors import CancelledError, InputError
from ..core.take_legibility import FrameReading, TakeLegibility, summarise
from .performance import Performance

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class RenderedFrame:
    """One sampled frame of a take, rendered.

    Attributes:
        time: Seconds from the take's first frame.
        intended: The emotion the take means then (:func:`intended_at`).
        path: The PNG.
    """

    time: float
    intended: str
    path: Path


def intended_at(performance: Performance, t: float) -> str:
    """The emotion the performance means at ``t`` seconds: the active event's dominant one.

    Between events (and for an event of zero intensity) the face rests: ``"neutral"``.
    """
    event = performance.timeline.event_at(t)
    if event is None or event.intensity <= 0.0:
        return "neutral"
    return event.weights.dominant()


def sample_times(duration_s: float, n: int) -> list[float]:
    """``n`` times spread evenly over a take, each in the middle of its share of the take."""
    if n < 1 or not duration_s > 0:
        raise InputError("Sample at least one frame of a take longer than zero seconds.")
    return [duration_s * (i + 0.5) / n for i in range(n)]


def judge_frames(
    frames: Sequence[RenderedFrame],
    *,
    progress: Progress | None = None,
    should_cancel: Callable[[], bool] | None = None,
    analyzer=None,
    model=None,
) -> TakeLegibility:
    """Read every rendered frame with the face emotion model.

    Args:
        frames: The rendered frames, any order.
        progress: ``progress(fraction, message)`` after each frame.
        should_cancel: Polled before each frame.
        analyzer: A :class:`~..ml.faces.FaceAnalyzer` (a default one if None).
        model: An :class:`~..ml.emotion_runtime.EmotionModel` (the shipped one if None).

    Returns:
        The readings (a frame without a face reads ``""``) grouped per intended emotion.

    Raises:
        CancelledError: ``should_cancel()`` became true.
        InputError: A render cannot be read.
    """
    from ..ml.emotion_runtime import EmotionModel
    from ..ml.faces import FaceAnalyzer

    analyzer = analyzer or FaceAnalyzer(landmarks=False)
    model = model or EmotionModel()
    readings = []
    for i, frame in enumerate(frames):
        if should_cancel is not None and should_cancel():
            raise CancelledError("Scoring cancelled.")
        rgb = load_rgb(frame.path)
        found = analyzer.analyze(rgb)
        predicted, confidence = "", 0.0
        if found is not None:
            probs = model.predict_faces(rgb, [found.box])[0]
            best = int(np.argmax(probs))
            predicted, confidence = EMOTION_NAMES[best], float(probs[best])
        readings.append(FrameReading(frame.time, frame.intended, predicted, confidence))
        if progress is not None:
            progress((i + 1) / len(frames), f"Judged frame {i + 1} of {len(frames)}")
    return summarise(model.name, readings)


def load_rgb(path: Path) -> np.ndarray:
    """A PNG as RGB uint8, row 0 on top.

    Raises:
        InputError: The file is missing or not an image.
    """
    import cv2

    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise InputError(f"Cannot read the render {Path(path).name}.")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
