"""Analysis work that runs on a worker thread: plain Python only, no ``bpy`` (never import it).

The Analyze operator turns the panel's properties into an :class:`AnalysisRequest`; the worker
calls :func:`run_analysis`, which returns a :class:`~..pipeline.Performance`. The performance
travels back to the main thread and is stored on the scene as JSON (:func:`performance_to_json`)
so Bake can rebuild it later (:func:`performance_from_json`).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..core.errors import CancelledError, InputError

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class AnalysisRequest:
    """What to analyse, as plain values.

    Attributes:
        source: ``"TEXT"``, ``"AUDIO"`` or ``"VIDEO"``.
        lines: Dialogue lines (TEXT).
        path: Media file (AUDIO, VIDEO), absolute.
        stt_engine: Speech engine for AUDIO.
        llm: An ``LLMConfig`` or None (offline).
        stt_config: An ``OpenAIConfig`` for cloud speech, or None.
        notices: Warnings to attach to the result (e.g. online access disabled).
        sample_fps: Video frames analysed per second (0: every frame).
        neutral_at_s: Video: time of the neutral reference frame (None: automatic).
    """

    source: str
    lines: tuple[str, ...] = ()
    path: str = ""
    stt_engine: str = "whisper"
    llm: Any = field(default=None, repr=False)
    stt_config: Any = field(default=None, repr=False)
    notices: tuple[str, ...] = ()
    sample_fps: float = 2.0
    neutral_at_s: float | None = None


def run_analysis(request: AnalysisRequest, progress: Progress, should_cancel: Callable[[], bool]):
    """Analyse the request's input (worker thread).

    Returns:
        A ``Performance``.

    Raises:
        InputError: Empty or unreadable input.
        ModelError: A model is missing.
        CancelledError: ``should_cancel()`` became True.
    """
    from dataclasses import replace

    if request.source == "TEXT":
        performance = performance_from_lines(request.lines, request.llm, progress, should_cancel)
    elif request.source == "AUDIO":
        performance = _audio(request, progress, should_cancel)
    elif request.source == "VIDEO":
        performance = _video(request, progress, should_cancel)
    else:
        raise InputError(f"Analyze cannot read from {request.source.lower()} input.")
    if should_cancel():
        raise CancelledError("Analysis cancelled.")
    progress(1.0, "Analysis done.")
    if request.notices:
        performance = replace(performance, warnings=(*request.notices, *performance.warnings))
    return performance


def performance_from_lines(
    lines, llm, progress: Progress, should_cancel: Callable[[], bool]
):  # -> Performance
    """One timeline event per line, each lasting the time it takes to say it.

    Raises:
        InputError: No non-empty line.
        CancelledError: Cancelled between two lines.
    """
    from .. import pipeline
    from ..adapters.llm import UtteranceContext
    from ..adapters.text import analyze_text

    lines = [ln.strip() for ln in lines if ln and ln.strip()]
    if not lines:
        raise InputError("Nothing to analyse: type a line of dialogue (or pick a Script).")
    context = UtteranceContext()
    segments, warnings, start = [], [], 0.0
    for i, line in enumerate(lines):
        if should_cancel():
            raise CancelledError("Analysis cancelled.")
        progress(i / len(lines), f"Reading line {i + 1} of {len(lines)}…")
        a = analyze_text(line, llm_config=llm, context=context)
        warnings.extend(w for w in a.warnings if w not in warnings)
        length = pipeline.line_duration(a.text) - pipeline.TAIL_SECONDS
        segments.append(
            pipeline.Segment(
                start, start + length, a.text, a.weights, a.intensity, a.source, a.reason
            )
        )
        start += length
    if len(segments) == 1:
        single = pipeline.performance_from_weights(
            segments[0].weights, pipeline.line_duration(segments[0].text), segments[0].intensity
        )
        timeline = single.timeline
        duration = single.duration_s
    else:
        timeline = pipeline.timeline_from_segments(segments)
        duration = start + pipeline.TAIL_SECONDS
    return pipeline.Performance(
        "text",
        pipeline.clip_weights(tuple(segments)),
        timeline,
        duration,
        tuple(segments),
        tuple(warnings),
        {"text": text_model_label(segments[0].source, llm)},
    )


def text_model_label(source: str, llm) -> str:
    """Which model read the text, for the panel."""
    if source == "llm" and llm is not None:
        return f"LLM {llm.model} at {llm.endpoint}"
    return "offline MiniLM + logistic regression"


def _audio(request: AnalysisRequest, progress: Progress, should_cancel):
    from .. import pipeline

    if not request.path or not Path(request.path).is_file():
        raise InputError(f"Audio file not found: {request.path or '(none chosen)'}")
    progress(0.05, "Transcribing speech…")
    return pipeline.performance_from_audio(
        request.path,
        engine=request.stt_engine,
        llm_config=request.llm,
        stt_config=request.stt_config,
        should_cancel=should_cancel,
    )


def video_available() -> bool:
    """Whether the video issue's ``video_pipeline`` module exists and imports."""
    path = Path(__file__).resolve().parents[1] / "video_pipeline.py"
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return False
    return _imports(stamp)


@lru_cache(maxsize=4)
def _imports(_stamp: int) -> bool:
    try:
        importlib.import_module("..video_pipeline", __package__)
    except Exception:  # any failure means "not usable": the UI says so
        return False
    return True


def _video(request: AnalysisRequest, progress: Progress, should_cancel):
    if not video_available():
        raise InputError("Video input is not available yet.")
    module = importlib.import_module("..video_pipeline", __package__)
    analyse = getattr(module, "performance_from_video", None)
    if analyse is None:
        raise InputError("video_pipeline has no performance_from_video(); update the add-on.")
    if not request.path or not Path(request.path).is_file():
        raise InputError(f"Video file not found: {request.path or '(none chosen)'}")
    progress(0.02, "Reading the video…")
    return analyse(
        request.path,
        sample_fps=request.sample_fps,
        neutral_at_s=request.neutral_at_s,
        should_cancel=should_cancel,
        progress=lambda f: progress(0.02 + 0.96 * f, "Reading the video…"),
    )


def performance_to_json(performance) -> str:
    """The performance (and its exact timeline) as the JSON text stored on the scene."""
    from ..core.formats import timeline_to_dict

    doc = performance.to_json()
    doc["timeline_events"] = timeline_to_dict(performance.timeline)
    return json.dumps(doc)


def performance_from_json(text: str):  # -> Performance
    """Rebuild a performance stored by :func:`performance_to_json`.

    Raises:
        InputError: The stored text is not a valid analysis.
    """
    from .. import pipeline
    from ..core.emotions import EmotionWeights
    from ..core.formats import capture_from_dict, timeline_from_dict

    try:
        doc = json.loads(text)
        segments = tuple(
            pipeline.Segment(
                float(s["start_s"]),
                float(s["end_s"]),
                str(s["text"]),
                EmotionWeights.from_mapping(s["weights"]),
                float(s["intensity"]),
                str(s["source"]),
                str(s.get("reason", "")),
            )
            for s in doc["timeline"]
        )
        return pipeline.Performance(
            str(doc["kind"]),
            EmotionWeights.from_mapping(doc["weights"]),
            timeline_from_dict(doc["timeline_events"]),
            float(doc["duration_s"]),
            segments,
            tuple(doc.get("warnings", ())),
            dict(doc.get("models", {})),
            capture_from_dict(doc["capture"]) if doc.get("capture") else None,
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"The stored analysis is unreadable ({exc}); analyse again.") from None
