"""Video → per-frame emotion probabilities, peak frames, a clip vector, timeline and capture.

Paper 000's recipe (section 3.2.1): sample the video at 2 fps, classify each frame's face into
7 emotion probabilities, keep the peak frame of every emotion and average the frames into a
clip-level vector. On top of that the emotion track is cut into segments of stable dominant
emotion, which become timeline events, and (paper 004) the face's 468 landmarks become ARKit
capture curves. Frames are streamed and faces classified in small batches, so memory per frame
is a few kilobytes of results, never pixels. Frames without a face are interpolated from their
neighbours (held at the ends) and counted in a warning.

A face counts only when the face-mesh model confirms the detection (:mod:`..ml.faces`); when
the landmark model is missing, an unconfirmed detection counts only if a neighbouring sampled
frame has one near it (:func:`unstable_detections`), so random noise yields "no face found"
rather than an emotion track.

Use :func:`performance_from_video` for the :class:`~.performance.Performance` alone, or
:func:`analyze_video` for everything (probabilities, peaks, capture curves).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import numpy as np

from ..core.capture import N_LANDMARKS, CaptureOptions, CaptureResult, capture_weights
from ..core.emotions import EMOTION_NAMES, EmotionWeights
from ..core.errors import InputError
from ..core.row_buffer import RowBuffer
from ..core.sampling import fill_gaps
from .performance import Performance, PerformanceKind, Segment, timeline_from_segments
from .video_faces import actor_analyzer, check_face_choice, faces_to_json

MIN_SEGMENT_S = 1.0  # dominant-emotion runs shorter than this are merged into a neighbour
BATCH_SIZE = 16
MAX_SAMPLED_FRAMES = 36_000
"""Most frames analysed in one video (20 min at 30 fps, 5 h at 2 fps): each keeps ~6 kB of
results (landmarks), and the capture solve holds a few float64 copies of them."""


@dataclass(frozen=True)
class PeakFrame:
    """The sampled frame where one emotion scored highest."""

    emotion: str
    frame_index: int
    time_s: float
    probability: float


@dataclass(frozen=True)
class VideoAnalysis:
    """Everything read from a video.

    Attributes:
        performance: Clip weights, timeline and segments (``kind == "video"``).
        frame_indices: (n,) indices of the sampled frames in the file.
        times: (n,) their times in seconds.
        probabilities: (n, 7) emotion probabilities in EMOTION_NAMES order (gaps interpolated).
        face_found: (n,) whether a face was detected in each sampled frame.
        peaks: Emotion name → its peak frame.
        capture: Landmark capture curves (None without landmarks).
        faces: Every face identity found (:class:`~..ml.face_tracking.FaceSummary`).
        face_id: The identity analysed (None when no tracking ran).
        face_boxes: (n,) its box (x, y, w, h) in each sampled frame, None where not found.
    """

    performance: Performance
    frame_indices: np.ndarray
    times: np.ndarray
    probabilities: np.ndarray
    face_found: np.ndarray
    peaks: Mapping[str, PeakFrame]
    capture: CaptureResult | None
    faces: tuple = ()
    face_id: int | None = None
    face_boxes: tuple = ()


class _Collector:
    """Gathers per-frame results; face crops are classified in batches of BATCH_SIZE."""

    def __init__(self, model) -> None:
        self.model = model
        self.indices: list[int] = []
        self.times: list[float] = []
        self.probs: list[np.ndarray | None] = []
        self.landmarks = RowBuffer((N_LANDMARKS, 3))  # float32 blocks: ~5.6 kB a frame
        self.boxes: list[tuple[float, float, float, float] | None] = []
        self.verified: list[bool] = []
        self._pending: list[tuple[int, np.ndarray]] = []

    def add(self, frame, face) -> None:
        self.indices.append(frame.index)
        self.times.append(frame.time_s)
        self.probs.append(None)
        self.landmarks.append(None if face is None else face.landmarks)
        self.boxes.append(None if face is None else tuple(face.box))
        self.verified.append(face is not None and bool(getattr(face, "verified", False)))
        if face is not None:
            crop = self.model.preprocess(frame.rgb, [face.box])[0]
            self._pending.append((len(self.probs) - 1, crop))
            if len(self._pending) >= BATCH_SIZE:
                self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        rows, crops = zip(*self._pending, strict=True)
        for row, p in zip(rows, self.model.predict_batch(np.stack(crops)), strict=True):
            self.probs[row] = p
        self._pending.clear()

    def drop(self, rows: list[int]) -> None:
        """Forget the faces of ``rows`` (after :meth:`flush`)."""
        for row in rows:
            self.probs[row] = self.boxes[row] = None
        self.landmarks.clear_rows(rows)


def unstable_detections(
    boxes: list[tuple[float, float, float, float] | None], verified: list[bool]
) -> list[int]:
    """Rows whose face is unconfirmed and has no detection near it in a neighbouring frame.

    A real face persists: in the previous or the next sampled frame there is a box whose
    centre is within one box side and whose size is within a factor of two. Detections on noise
    jump around and come alone. Confirmed (mesh-verified) faces always stay.
    """

    def near(a, b) -> bool:
        if b is None:
            return False
        side_a, side_b = max(a[2], a[3]), max(b[2], b[3])
        if not 0.5 <= side_a / max(side_b, 1e-6) <= 2.0:
            return False
        ca = np.array([a[0] + a[2] / 2, a[1] + a[3] / 2])
        cb = np.array([b[0] + b[2] / 2, b[1] + b[3] / 2])
        return float(np.linalg.norm(ca - cb)) <= max(side_a, side_b)

    out = []
    for i, box in enumerate(boxes):
        if box is None or verified[i]:
            continue
        neighbours = [boxes[j] for j in (i - 1, i + 1) if 0 <= j < len(boxes)]
        if not any(near(box, b) for b in neighbours):
            out.append(i)
    return out


def emotion_segments(
    times: np.ndarray, probs: np.ndarray, end_s: float, min_segment_s: float = MIN_SEGMENT_S
) -> list[Segment]:
    """Cut a probability track into segments of stable dominant emotion.

    Runs shorter than ``min_segment_s`` join the previous run (or the next, at the start), so
    single-frame flickers do not become events. Each segment's weights are its mean
    probabilities; its intensity is the mean probability of its dominant emotion.
    """
    dominant = probs.argmax(1)
    bounds = [0] + [i for i in range(1, len(dominant)) if dominant[i] != dominant[i - 1]]
    runs = [[s, e] for s, e in zip(bounds, [*bounds[1:], len(dominant)], strict=True)]
    edges = np.append(times, end_s)
    merged: list[list[int]] = []
    for run in runs:
        short = edges[run[1]] - edges[run[0]] < min_segment_s
        if merged and (short or dominant[merged[-1][0]] == dominant[run[0]]):
            merged[-1][1] = run[1]
        else:
            merged.append(run)
    if len(merged) > 1 and edges[merged[0][1]] - edges[merged[0][0]] < min_segment_s:
        merged[1][0] = merged[0][0]
        merged.pop(0)
    segments = []
    for s, e in merged:
        mean = probs[s:e].mean(0)
        segments.append(
            Segment(
                float(edges[s]),
                float(edges[e]),
                "",
                EmotionWeights.from_array(mean),
                float(mean.max()),
                "video",
            )
        )
    return segments


def analyze_video(
    path: str | os.PathLike,
    *,
    sample_fps: float = 2.0,
    should_cancel: Callable[[], bool] | None = None,
    progress: Callable[[float], None] | None = None,
    emotion_model=None,
    face_analyzer=None,
    capture_options: CaptureOptions | None = None,
    neutral_at_s: float | None = None,
    face_index: int | None = None,
) -> VideoAnalysis:
    """Analyse a video file's facial emotion and capture its expression curves.

    Args:
        path: The video (anything OpenCV's FFmpeg backend reads).
        sample_fps: Frames per second to analyse (paper: 2); 0 analyses every frame.
        should_cancel: Polled before every sampled frame; True stops with CancelledError.
        progress: Called with the fraction done (0..1) after every sampled frame.
        emotion_model: An :class:`~..ml.emotion_runtime.EmotionModel` (default model if None).
        face_analyzer: A :class:`~..ml.faces.FaceAnalyzer` (default if None).
        capture_options: Neutral frame, smoothing and gain of the landmark capture.
        neutral_at_s: Time (s) of a frame showing the actor's neutral face; the sampled frame
            nearest to it becomes the capture's reference (default: picked automatically).
        face_index: The face identity to analyse (numbered in order of first appearance, left
            to right within a frame); None: the main actor (:mod:`..ml.face_tracking`).

    Raises:
        InputError: Missing/unreadable/truncated/huge video, fewer than 2 frames, or no face.
        ModelError: A model file is missing.
        CancelledError: The job was cancelled.
    """
    from ..adapters.video import probe_video
    from ..ml.emotion_runtime import EmotionModel
    from .video_head import HeadEyeRecorder

    info = probe_video(path)
    model = emotion_model or EmotionModel()
    actor = actor_analyzer(face_analyzer, face_index)
    faces = HeadEyeRecorder(actor, iris=(capture_options or CaptureOptions()).eye_gaze)
    collector = _Collector(model)
    n_decoded = _read_frames(info, faces, collector, sample_fps, should_cancel, progress)
    face_info, face_notes = check_face_choice(actor, face_index, info.path.name)
    unstable = unstable_detections(collector.boxes, collector.verified)
    collector.drop(unstable)
    found = np.array([p is not None for p in collector.probs])
    warnings = _video_warnings(info, faces, len(unstable), found, n_decoded) + face_notes
    times = np.array(collector.times)
    raw = np.array([p if p is not None else np.full(7, np.nan) for p in collector.probs])
    probs = fill_gaps(raw, found)
    end_s = max(n_decoded, 1) / info.fps
    peaks = _peaks(raw, found, times, collector.indices)
    capture_options = _neutral_at(capture_options, times, neutral_at_s)
    capture = _capture(collector, times, probs, capture_options, warnings)
    capture = faces.finish(capture, warnings)
    models = {"face": faces.description, "emotion": model.description()}
    performance = _performance(times, probs, found, end_s, warnings, models, capture)
    indices = np.array(collector.indices)
    face_info += (tuple(collector.boxes),)  # faces found, the one analysed, its boxes
    return VideoAnalysis(performance, indices, times, probs, found, peaks, capture, *face_info)


def _video_warnings(info, faces, n_unstable: int, found: np.ndarray, n_decoded: int) -> list[str]:
    """What the user should know about the video: decoder and face notes, coverage, truncation."""
    warnings = [*info.warnings, *faces.warnings]
    if n_unstable:
        warnings.append(
            f"{n_unstable} unconfirmed face detection(s) with no face near them in the "
            "neighbouring frames were ignored."
        )
    warnings += _coverage_warnings(found, info.path.name)
    if info.n_frames and n_decoded < info.n_frames - 1:
        warnings.append(
            f"Decoding stopped after {n_decoded} of {info.n_frames} frames (truncated file?)."
        )
    return warnings


def _performance(times, probs, found, end_s, warnings, models, capture) -> Performance:
    """The video's performance: stable-emotion segments as events, clip mean of faced frames."""
    segments = emotion_segments(times, probs, end_s)
    return Performance(
        PerformanceKind.VIDEO,
        EmotionWeights.from_array(probs[found].mean(0)),
        timeline_from_segments(segments),
        end_s,
        tuple(segments),
        tuple(warnings),
        models,
        capture,
    )


def _read_frames(info, faces, collector, sample_fps, should_cancel, progress) -> int:
    """Decode the sampled frames into ``collector``; returns how many frames were decoded.

    Raises:
        InputError: Fewer than 2 frames.
        CancelledError: The job was cancelled.
    """
    from ..adapters.video import DecodeStats, iter_frames

    _check_frame_count(info, sample_fps)
    stats = DecodeStats()
    for frame in iter_frames(info, sample_fps, should_cancel, stats):
        if len(collector.indices) >= MAX_SAMPLED_FRAMES:  # the header claimed fewer frames
            _check_frame_count(info, sample_fps, MAX_SAMPLED_FRAMES + 1)
        collector.add(frame, faces.analyze(frame.rgb))
        if progress is not None:
            progress(min(1.0, (frame.index + 1) / max(info.n_frames, 1)))
    collector.flush()
    if stats.n_decoded < 2 and info.n_frames < 2:
        raise InputError(
            f"{info.path.name} has a single frame; a performance needs a moving video "
            "(at least 2 frames). For a still, use a video of it or the emotion command."
        )
    return stats.n_decoded


def _check_frame_count(info, sample_fps: float, count: int | None = None) -> None:
    """Refuse a video that would be analysed at more than :data:`MAX_SAMPLED_FRAMES` frames.

    ``count`` is the number actually reached while decoding; without it the estimate comes from
    the header's frame count, before anything is decoded.
    """
    if count is None:
        every = sample_fps <= 0 or sample_fps >= info.fps
        count = info.n_frames if every else int(info.n_frames / info.fps * sample_fps) + 1
    if count > MAX_SAMPLED_FRAMES:
        rate = "every frame" if sample_fps <= 0 else f"{sample_fps:g} fps"
        raise InputError(
            f"{info.path.name} has too many frames to analyse at {rate} ({count:,}; the limit "
            f"is {MAX_SAMPLED_FRAMES:,}). Sample it at a lower rate or cut it into shorter clips."
        )


def _neutral_at(
    options: CaptureOptions | None, times: np.ndarray, neutral_at_s: float | None
) -> CaptureOptions | None:
    """The capture options with the sampled frame nearest ``neutral_at_s`` as reference."""
    if neutral_at_s is None:
        return options
    nearest = int(np.argmin(np.abs(times - float(neutral_at_s))))
    return replace(options or CaptureOptions(), neutral_index=nearest)


def _coverage_warnings(found: np.ndarray, name: str) -> list[str]:
    """Raises InputError without any face; warns about the frames without one."""
    if not found.any():
        raise InputError(
            f"No face found in any of the {len(found)} sampled frames of {name}; the face "
            "should be lit, turned less than ~45 degrees from the camera and at least 40 "
            "pixels tall."
        )
    if found.all():
        return []
    return [
        f"No face in {int((~found).sum())} of {len(found)} sampled frames; "
        "their emotion was interpolated from neighbouring frames."
    ]


def _peaks(raw: np.ndarray, found: np.ndarray, times: np.ndarray, indices) -> dict:
    """The sampled frame where each emotion scored highest (frames with a face only)."""
    valid_idx = np.flatnonzero(found)
    peaks = {}
    for k, name in enumerate(EMOTION_NAMES):
        best = valid_idx[np.argmax(raw[valid_idx, k])]
        peaks[name] = PeakFrame(name, indices[best], float(times[best]), float(raw[best, k]))
    return peaks


def track_to_json(analysis: VideoAnalysis) -> dict:
    """The per-frame emotion track and the peak frames, for the CLI's JSON (``"video"`` block).

    ``probabilities`` are in ``emotions`` order; frames without a face carry interpolated values
    and ``face_found`` false.
    """
    return {
        "emotions": list(EMOTION_NAMES),
        "frame_indices": [int(i) for i in analysis.frame_indices],
        "times": np.round(analysis.times, 4).tolist(),
        "probabilities": np.round(analysis.probabilities, 4).tolist(),
        "face_found": [bool(f) for f in analysis.face_found],
        **faces_to_json(analysis),
        "peaks": {
            name: {
                "frame_index": p.frame_index,
                "time_s": round(p.time_s, 4),
                "probability": round(p.probability, 4),
            }
            for name, p in analysis.peaks.items()
        },
    }


def _capture(collector, times, probs, options, warnings) -> CaptureResult | None:
    if not collector.landmarks.present().any() or len(times) < 1:
        return None
    pts = collector.landmarks.release()  # float32, NaN rows without a face
    neutral_scores = probs[:, EMOTION_NAMES.index("neutral")]
    try:
        result = capture_weights(pts, times, options, neutral_scores)
        warnings.extend(result.warnings)
        return result
    except InputError as exc:
        warnings.append(f"Landmark capture skipped: {exc}")
        return None


def performance_from_video(
    path: str | os.PathLike,
    *,
    sample_fps: float = 2.0,
    should_cancel: Callable[[], bool] | None = None,
    progress: Callable[[float], None] | None = None,
    neutral_at_s: float | None = None,
) -> Performance:
    """A video's facial performance, its landmark capture attached (``performance.capture``).

    See :func:`analyze_video` for the arguments and for per-frame probabilities and peaks.

    Raises:
        InputError: Missing/unreadable/truncated/huge video, fewer than 2 frames, or no face.
        ModelError: A model file is missing.
        CancelledError: The job was cancelled.
    """
    return analyze_video(
        path,
        sample_fps=sample_fps,
        should_cancel=should_cancel,
        progress=progress,
        neutral_at_s=neutral_at_s,
    ).performance
