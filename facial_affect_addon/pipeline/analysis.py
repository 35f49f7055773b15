"""One request → result call for every recorded input mode (text lines, audio file, video file).

The CLI's ``text``/``audio``/``video`` commands and the panel's Analyze button both build an
:class:`AnalysisRequest` and call :func:`run_analysis`, which dispatches to the input mode's
function (:func:`.text.perform_lines`, :func:`.audio.performance_from_audio`,
:func:`.video.analyze_video`). It runs on a worker thread in Blender: plain Python, never bpy.
Live input (microphone, webcam, a script played in real time) streams through :mod:`.live`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..core.capture import CaptureOptions
from ..core.errors import CancelledError, InputError
from ..core.micro_authoring import MicroSpec
from . import audio, store, text, video
from .micro_spot import MicroSpotResult, found_bursts, spot_markers, spot_video
from .options import InputSource
from .performance import Performance, performance_to_json
from .services import ServiceSettings
from .store import StoredPerformance
from .video_speech import VideoSpeech, add_video_speech

Progress = Callable[[float, str], None]
ShouldCancel = Callable[[], bool]


@dataclass(frozen=True)
class AnalysisRequest:
    """What to analyse, as plain values.

    Attributes:
        source: TEXT, AUDIO or VIDEO.
        lines: Dialogue lines (TEXT).
        path: Media file (AUDIO, VIDEO), absolute.
        services: LLM, speech engine and the notices about services switched off.
        duration_s: TEXT with one line: its length (None: from the word count).
        sample_fps: Video frames analysed per second (0: every frame).
        neutral_at_s: Video: time of the capture's neutral reference frame (None: automatic).
        face_index: Video: the face identity to analyse (None: the main actor).
        micro_spot: Video: also spot micro-expressions (every frame, :mod:`.micro_spot`); the
            capture then keeps the spotted bursts (no deadzone inside them).
        video_audio: Video: also read its sound track, fuse the speech with the face and
            lip-sync to it (:mod:`.video_speech`); a video without sound is unaffected.
    """

    source: InputSource
    lines: tuple[str, ...] = ()
    path: str = ""
    services: ServiceSettings = field(default_factory=ServiceSettings)
    duration_s: float | None = None
    sample_fps: float = 2.0
    neutral_at_s: float | None = None
    face_index: int | None = None
    micro_spot: bool = False
    video_audio: bool = True


@dataclass(frozen=True)
class AnalysisResult:
    """What an analysis produced.

    Attributes:
        performance: The performance to bake.
        video: For a video, the per-frame track and peaks (:class:`.video.VideoAnalysis`).
        spotted: Spotted micro- and macro-expressions (with ``micro_spot``), else None.
        speech: For a video with speech, each utterance's face, speech and fused readings.
    """

    performance: Performance
    video: video.VideoAnalysis | None = None
    spotted: MicroSpotResult | None = None
    speech: VideoSpeech | None = None

    def to_json(self) -> dict[str, Any]:
        """The CLI's JSON document: the performance, plus the ``video`` block for a video and
        ``micro_expressions`` / ``macro_expressions`` when spotted, and ``speech`` (both
        sources per utterance) for a video with speech."""
        doc = performance_to_json(self.performance)
        if self.video is not None:
            doc["video"] = video.track_to_json(self.video)
        if self.speech is not None:
            doc["speech"] = self.speech.to_json()
        if self.spotted is not None:
            doc.update(self.spotted.to_json())
        return doc


def _no_progress(_fraction: float, _message: str = "") -> None:
    return None


def run_analysis(
    request: AnalysisRequest,
    progress: Progress | None = None,
    should_cancel: ShouldCancel | None = None,
) -> AnalysisResult:
    """Analyse the request's input.

    Args:
        request: What to analyse.
        progress: Called with (fraction, message) as the work advances.
        should_cancel: Polled between steps; True stops with CancelledError.

    Raises:
        InputError: Empty, missing or unreadable input, or a source Analyze cannot read.
        ModelError: A model is missing.
        CancelledError: ``should_cancel()`` became True.
    """
    progress = progress or _no_progress
    cancel = should_cancel or (lambda: False)
    source = InputSource(request.source)
    if source == InputSource.TEXT:
        result = AnalysisResult(_text(request, progress, cancel))
    elif source == InputSource.AUDIO:
        result = AnalysisResult(_audio(request, progress, cancel))
    elif source == InputSource.VIDEO:
        result = _video(request, progress, cancel)
    else:
        raise InputError(f"Analyze cannot read from {source.lower()} input.")
    if cancel():
        raise CancelledError("Analysis cancelled.")
    progress(1.0, "Analysis done.")
    notices = request.services.notices
    if notices:
        warnings = (*notices, *result.performance.warnings)
        result = replace(result, performance=replace(result.performance, warnings=warnings))
    return result


def _text(request: AnalysisRequest, progress: Progress, cancel: ShouldCancel) -> Performance:
    return text.perform_lines(
        request.lines,
        llm_config=request.services.llm,
        duration_s=request.duration_s,
        progress=progress,
        should_cancel=cancel,
    )


def _audio(request: AnalysisRequest, progress: Progress, cancel: ShouldCancel) -> Performance:
    progress(0.05, "Transcribing speech…")
    services = request.services
    return audio.performance_from_audio(
        request.path,
        engine=services.stt_engine,
        llm_config=services.llm,
        stt_config=services.stt_config,
        should_cancel=cancel,
    )


def _video(request: AnalysisRequest, progress: Progress, cancel: ShouldCancel) -> AnalysisResult:
    if not request.path or not Path(request.path).is_file():
        raise InputError(f"Video file not found: {request.path or '(none chosen)'}")
    spotted, start, options = None, 0.02, None
    if request.micro_spot:
        progress(start, "Spotting micro-expressions…")
        spotted = spot_video(
            request.path,
            face_index=request.face_index,
            should_cancel=cancel,
            progress=lambda f: progress(0.02 + 0.48 * f, "Spotting micro-expressions…"),
        )
        options = CaptureOptions(keep_intervals=tuple((b.onset, b.offset) for b in spotted.micro))
        start = 0.5
    progress(start, "Reading the video…")
    end = 0.8 if request.video_audio else 0.98
    found = video.analyze_video(
        request.path,
        sample_fps=request.sample_fps,
        neutral_at_s=request.neutral_at_s,
        face_index=request.face_index,
        should_cancel=cancel,
        progress=lambda f: progress(start + (end - start) * f, "Reading the video…"),
        capture_options=options,
    )
    performance, speech = found.performance, None
    if request.video_audio:
        progress(end, "Transcribing the video's speech…")
        performance, speech = add_video_speech(
            found, request.path, services=request.services, should_cancel=cancel
        )
    if spotted is not None and spotted.warnings:
        performance = replace(performance, warnings=(*performance.warnings, *spotted.warnings))
    return AnalysisResult(performance, found, spotted, speech)


def analyse_and_keep(
    request: AnalysisRequest, progress: Progress, should_cancel: ShouldCancel
) -> tuple[
    Performance,
    StoredPerformance,
    tuple[tuple[float, str], ...] | None,
    tuple[MicroSpec, ...] | None,
    tuple,
    int | None,
]:
    """The panel's Analyze job (worker thread): analyse, then keep the result for Bake.

    The compact .blend form is encoded here, off the main thread.

    Returns:
        The performance, its :class:`~.store.StoredPerformance`, the timeline markers of
        spotted micro-/macro-expressions (``(time s, label)``) and the found micro-expressions
        as bursts of their emotion (:func:`.micro_spot.found_bursts`; both None without
        ``micro_spot``), and a video's faces found (:attr:`.video.VideoAnalysis.faces`, with
        thumbnails; empty for other inputs), and the identity analysed (None without tracking).

    Raises:
        As :func:`run_analysis`.
    """
    result = run_analysis(request, progress, should_cancel)
    performance = result.performance
    spotted = result.spotted
    faces = result.video.faces if result.video is not None else ()
    face_id = result.video.face_id if result.video is not None else None
    kept = store.keep(performance)
    return performance, kept, spot_markers(spotted), found_bursts(spotted), faces, face_id
