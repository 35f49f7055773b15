"""Orchestration without Blender: input → emotion weights → timeline → per-shape-key curves.

Each input mode has one entry point returning a :class:`Performance` (clip-level weights, a
timeline of emotion events, the per-segment readings and warnings):

* :func:`performance_from_weights` — a built-in or hand-given emotion mixture;
* :func:`performance_from_text` — one line of dialogue (offline model, or an LLM if configured);
* :func:`performance_from_audio` — a recorded line: speech-to-text, one event per utterance;
* :func:`.video_pipeline.performance_from_video` — a video of a face (emotion track and, with
  landmarks, a capture of the face's own expression).

:func:`performance_curves` turns a performance into a :class:`CurveSet` for a rig's shape keys:
synthesised from the emotion timeline (``options.drive == "emotion"``) or, for a video with a
landmark capture, the captured expression retargeted to the rig (``"capture"``).
Speech and model imports happen inside the functions, so importing this module stays cheap.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .core.capture import CaptureResult
from .core.curveset import CurveSet
from .core.emotions import EmotionWeights
from .core.errors import InputError
from .core.formats import capture_to_dict
from .core.synthesis import single_event_timeline, synthesize
from .core.timeline import EmotionEvent, Timeline, TransitionSettings
from .pipeline_options import PerformanceOptions

JSON_SCHEMA_VERSION = 1
WORDS_PER_SECOND = 2.5  # conversational English, used to time a typed line
MIN_LINE_SECONDS = 3.0
TAIL_SECONDS = 1.0  # room after the last utterance for the face to relax


@dataclass(frozen=True)
class Segment:
    """The emotion read from one stretch of input (an utterance, a typed line).

    Attributes:
        start_s: Start in seconds from the beginning of the performance.
        end_s: End in seconds.
        text: What was said or typed ("" for non-verbal input).
        weights: Emotion mixture of the segment.
        intensity: Overall intensity in [0, 1].
        source: Which model read it (``"offline"``, ``"llm"``, ``"preset"``...).
        reason: Short explanation, when the model gives one.
    """

    start_s: float
    end_s: float
    text: str
    weights: EmotionWeights
    intensity: float
    source: str
    reason: str = ""


@dataclass(frozen=True)
class Performance:
    """A clip's emotional performance, ready to turn into curves.

    Attributes:
        kind: ``"emotion"``, ``"text"`` or ``"audio"``.
        weights: Clip-level mixture (duration- and intensity-weighted mean of the segments).
        timeline: The emotion events the state machine will play.
        duration_s: Length of the clip in seconds.
        segments: Per-segment readings.
        warnings: Notes for the user (fallbacks, truncation, engine changes...).
        models: Which models produced the readings (for the UI and JSON).
        capture: A video's landmark capture (ARKit weights per sampled frame), or None.
    """

    kind: str
    weights: EmotionWeights
    timeline: Timeline
    duration_s: float
    segments: tuple[Segment, ...]
    warnings: tuple[str, ...] = ()
    models: Mapping[str, str] = field(default_factory=dict)
    capture: CaptureResult | None = field(default=None, compare=False)

    @property
    def speech_spans(self) -> tuple[tuple[float, float], ...]:
        """``(start, end)`` of every spoken segment (those with text), for articulation."""
        return tuple((s.start_s, s.end_s) for s in self.segments if s.text)

    @property
    def transcript(self) -> str:
        """All segment texts joined."""
        return " ".join(s.text for s in self.segments if s.text)

    def to_json(self) -> dict[str, Any]:
        """The performance as the CLI's JSON document (clip ``weights`` and ``timeline``)."""
        return {
            "schema_version": JSON_SCHEMA_VERSION,
            "kind": self.kind,
            "weights": {k: round(v, 6) for k, v in self.weights.as_dict().items()},
            "dominant": self.weights.dominant(),
            "duration_s": round(self.duration_s, 4),
            "transcript": self.transcript,
            "timeline": [
                {
                    "start_s": round(s.start_s, 4),
                    "end_s": round(s.end_s, 4),
                    "text": s.text,
                    "weights": {k: round(v, 6) for k, v in s.weights.as_dict().items()},
                    "intensity": round(s.intensity, 4),
                    "source": s.source,
                    "reason": s.reason,
                }
                for s in self.segments
            ],
            "models": dict(self.models),
            "warnings": list(self.warnings),
            **({"capture": capture_to_dict(self.capture)} if self.capture is not None else {}),
        }


def clip_weights(segments: tuple[Segment, ...]) -> EmotionWeights:
    """Clip-level mixture: the segments' weights averaged by duration × intensity.

    A long, intense utterance counts more than a short, flat one; if every segment has zero
    intensity the plain duration-weighted mean is used.
    """
    if not segments:
        raise InputError("No segments to summarise.")
    arrays = np.array([s.weights.as_array() for s in segments])
    durations = np.array([max(s.end_s - s.start_s, 1e-3) for s in segments])
    strength = durations * np.array([s.intensity for s in segments])
    mix = strength if strength.sum() > 0 else durations
    return EmotionWeights.from_array(mix @ arrays)


def performance_from_weights(
    weights: EmotionWeights | Mapping[str, float],
    duration_s: float = 3.0,
    intensity: float = 1.0,
) -> Performance:
    """A single-emotion performance (a preset or a hand-made mixture) of ``duration_s``.

    Raises:
        InputError: Invalid weights, or a duration too short for the transitions.
    """
    if not isinstance(weights, EmotionWeights):
        weights = EmotionWeights.from_mapping(weights)
    timeline = single_event_timeline(weights, duration_s, intensity=intensity)
    event = timeline.events[0]
    segment = Segment(event.start, event.end, "", weights, intensity, "preset")
    return Performance("emotion", weights, timeline, duration_s, (segment,))


def line_duration(text: str) -> float:
    """Seconds a spoken line of ``text`` takes at a conversational pace, plus room to relax."""
    words = len(text.split())
    return max(MIN_LINE_SECONDS, words / WORDS_PER_SECOND + TAIL_SECONDS)


def performance_from_text(
    text: str, *, llm_config=None, duration_s: float | None = None
) -> Performance:
    """Read the emotion of one line and perform it over the time it takes to say.

    Args:
        text: The line of dialogue.
        llm_config: An :class:`~.adapters.llm.LLMConfig` to ask first (falls back offline).
        duration_s: Length of the performance; default from the line's word count.

    Raises:
        InputError: Empty text.
        ModelError: The offline text model is missing.
    """
    from .adapters.text import analyze_text

    analysis = analyze_text(text, llm_config=llm_config)
    duration = duration_s if duration_s is not None else line_duration(analysis.text)
    timeline = single_event_timeline(
        analysis.weights, duration, intensity=analysis.intensity, label=analysis.text[:80]
    )
    event = timeline.events[0]
    segment = Segment(
        event.start,
        event.end,
        analysis.text,
        analysis.weights,
        analysis.intensity,
        analysis.source,
        analysis.reason,
    )
    return Performance(
        "text",
        analysis.weights,
        timeline,
        duration,
        (segment,),
        analysis.warnings,
        {"text": _text_model_label(analysis.source, llm_config)},
    )


def _text_model_label(source: str, llm_config) -> str:
    if source == "llm" and llm_config is not None:
        return f"LLM {llm_config.model} at {llm_config.endpoint}"
    return "offline MiniLM + logistic regression (held-out accuracy in README)"


def performance_from_audio(
    path,
    *,
    engine: str = "whisper",
    llm_config=None,
    stt_config=None,
    should_cancel: Callable[[], bool] | None = None,
) -> Performance:
    """Transcribe a recorded line and read each utterance's emotion in context.

    Each utterance becomes one timeline event spanning the time it was spoken, so the face
    changes with what is said; the state machine blends between them.

    Raises:
        InputError: Missing/unreadable audio, or no speech found (silence).
        ModelError: The speech or text model is missing.
        CancelledError: ``should_cancel`` returned True.
    """
    from .adapters.llm import UtteranceContext
    from .adapters.stt import transcribe_file
    from .adapters.text import analyze_text

    transcript = transcribe_file(
        path, engine, openai_config=stt_config, should_cancel=should_cancel
    )
    utterances = [u for u in transcript.utterances if u.text.strip()]
    if not utterances:
        detail = "; ".join(transcript.warnings) or "no words were recognised"
        raise InputError(f"No speech found in {path}: {detail}.")
    context = UtteranceContext()
    segments: list[Segment] = []
    warnings = list(transcript.warnings)
    for u in utterances:
        if should_cancel is not None and should_cancel():
            from .core.errors import CancelledError

            raise CancelledError("Analysis cancelled.")
        a = analyze_text(u.text, llm_config=llm_config, context=context)
        warnings.extend(w for w in a.warnings if w not in warnings)
        segments.append(Segment(u.start_s, u.end_s, a.text, a.weights, a.intensity, a.source))
    duration = max(transcript.duration_s, segments[-1].end_s) + TAIL_SECONDS
    return Performance(
        "audio",
        clip_weights(tuple(segments)),
        timeline_from_segments(segments),
        duration,
        tuple(segments),
        tuple(warnings),
        {"speech": transcript.engine, "text": _text_model_label(segments[0].source, llm_config)},
    )


def timeline_from_segments(segments: list[Segment]) -> Timeline:
    """One event per segment; very short segments are stretched to the rise time.

    A stretched event never runs into the next one: it is cut at the next segment's start.
    """
    rise = TransitionSettings().rise
    events = []
    for i, s in enumerate(segments):
        end = max(s.end_s, s.start_s + rise)
        if i + 1 < len(segments):
            end = min(end, segments[i + 1].start_s)
        end = max(end, s.start_s + 1e-3)
        events.append(EmotionEvent(s.start_s, end - s.start_s, s.weights, s.intensity, s.text))
    return Timeline.from_events(events)


def performance_curves(
    performance: Performance, shape_key_names, options: PerformanceOptions
) -> CurveSet:
    """Synthesise the performance's curves for a rig.

    ``options.n_frames`` of None (or 0) covers the whole performance at ``options.fps``.

    Raises:
        InputError: Invalid options.
        RigError: The rig has no shape keys the engine can drive.
    """
    n_frames = options.n_frames or max(1, math.ceil(performance.duration_s * options.fps))
    if options.drive == "capture":
        return captured_curves(performance, shape_key_names, options, n_frames)
    if options.drive != "emotion":
        raise InputError(f"Unknown drive {options.drive!r}; use 'emotion' or 'capture'.")
    return synthesize(
        performance.timeline,
        shape_key_names,
        fps=options.fps,
        frame_start=options.frame_start,
        n_frames=n_frames,
        mode=options.mode,
        intensity=options.intensity,
        micro=options.micro,
        life=options.life,
        seed=options.seed,
        speech=performance.speech_spans if options.articulate else (),
    )


def captured_curves(
    performance: Performance, shape_key_names, options: PerformanceOptions, n_frames: int
) -> CurveSet:
    """The performance's landmark capture on the rig's keys, ``n_frames`` long.

    Samples are interpolated linearly onto frames and held after the last one; ``intensity``
    scales every value. Keys the capture does not reach stay unkeyed.

    Raises:
        InputError: The performance has no capture (not a video, or no landmarks were found).
        RigError: No rig key can take captured ARKit weights.
    """
    from .core.retarget import ArkitRetarget

    capture = performance.capture
    if capture is None:
        raise InputError(
            "This analysis has no landmark capture (only a video with a visible face has one); "
            "bake its emotion instead, or analyse a video."
        )
    keys, values = ArkitRetarget(shape_key_names).apply(capture.names, capture.weights)
    if not keys:
        raise InputError("None of the captured expression keys exists on this rig.")
    t = np.arange(n_frames) / options.fps
    scale = float(np.clip(options.intensity, 0.0, 1.0))
    channels = {
        key: scale * np.interp(t, capture.times, values[:, i]) for i, key in enumerate(keys)
    }
    return CurveSet(options.frame_start, options.fps, channels, tuple(capture.warnings))


def emotion_curves(
    weights: EmotionWeights | Mapping[str, float],
    shape_key_names,
    options: PerformanceOptions,
) -> CurveSet:
    """Curves for a single emotion held over ``options.n_frames`` (the Bake Emotion button)."""
    n_frames = options.n_frames or round(3.0 * options.fps)
    performance = performance_from_weights(weights, n_frames / options.fps)
    return performance_curves(performance, shape_key_names, replace(options, drive="emotion"))
