"""Text and preset input: dialogue lines (or an emotion mixture) → a :class:`Performance`.

:class:`LineReader` is the one per-line step: it reads each line (or transcribed utterance) in
the context of the ones before (the LLM sees them), and honours a line that directs its emotion
explicitly (``"[anger] Get out!"``). :func:`perform_lines` (the CLI's ``text`` command and the
panel's Text input), :func:`.audio.performance_from_audio` and the live preview's script and
microphone all read through it. Each typed line lasts the time it takes to say, and its phones
are timed from the text (:func:`.lipsync.text_phones`) for lip-sync.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from ..core.emotions import EMOTION_NAMES, EmotionWeights
from ..core.errors import CancelledError, InputError
from ..core.synthesis import single_event_timeline
from .lipsync import text_phones
from .models import text_model_label
from .performance import (
    TAIL_SECONDS,
    Performance,
    PerformanceKind,
    Segment,
    clip_weights,
    timeline_from_segments,
)

WORDS_PER_SECOND = 2.5  # conversational English, used to time a typed line
MIN_LINE_SECONDS = 3.0

Progress = Callable[[float, str], None]
ShouldCancel = Callable[[], bool]
_DIRECTED = re.compile(r"^\s*\[(\w+)\]\s*(.*)$")


def directed_line(line: str) -> tuple[str | None, str]:
    """Split ``"[anger] Get out!"`` into ("anger", "Get out!"); (None, line) without a tag."""
    match = _DIRECTED.match(line)
    if match and match.group(1).lower() in EMOTION_NAMES:
        return match.group(1).lower(), match.group(2).strip()
    return None, line.strip()


class LineReader:
    """Reads lines one after another, each in the context of the ones before.

    Args:
        llm_config: An :class:`~..adapters.llm.LLMConfig` to ask first (falls back offline),
            or None for the offline model only.
    """

    def __init__(self, llm_config=None) -> None:
        from ..adapters.llm import UtteranceContext

        self.llm_config = llm_config
        self.context = UtteranceContext()

    def read(self, line: str):
        """The emotion of one line (a :class:`~.text_analysis.TextAnalysis`).

        A line tagged ``[emotion]`` shows that emotion at full intensity (source
        ``"directed"``); its text still joins the context.

        Raises:
            InputError: Empty text.
            ModelError: The offline text model is missing.
        """
        from .text_analysis import TextAnalysis, analyze_text, clean_text

        emotion, text = directed_line(line)
        if emotion is None:
            return analyze_text(line, llm_config=self.llm_config, context=self.context)
        clean, warnings = clean_text(text) if text else ("", ())
        self.context.add(clean)  # blank text is ignored
        reason = f"Directed in the script: {emotion}."
        weights = EmotionWeights.pure(emotion)
        return TextAnalysis(clean, weights, 1.0, reason, "directed", 1.0, warnings)


def line_duration(text: str) -> float:
    """Seconds a spoken line of ``text`` takes at a conversational pace, plus room to relax."""
    words = len(text.split())
    return max(MIN_LINE_SECONDS, words / WORDS_PER_SECOND + TAIL_SECONDS)


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
    return Performance(PerformanceKind.EMOTION, weights, timeline, duration_s, (segment,))


def perform_lines(
    lines: Sequence[str],
    *,
    llm_config=None,
    duration_s: float | None = None,
    progress: Progress | None = None,
    should_cancel: ShouldCancel | None = None,
) -> Performance:
    """Read the emotion of each line in context and perform the lines one after another.

    One line is performed over ``duration_s`` (default: the time it takes to say), its apex
    centred; several lines each last the time they take to say.

    Args:
        lines: The dialogue; blank lines are skipped (a single line is checked as given).
        llm_config: An :class:`~..adapters.llm.LLMConfig` to ask first (falls back offline).
        duration_s: Length of a single-line performance (ignored for several lines).
        progress: Called with (fraction, message) before each line.
        should_cancel: Polled before each line; True stops with CancelledError.

    Raises:
        InputError: No line, or an empty single line.
        ModelError: The offline text model is missing.
        CancelledError: ``should_cancel`` returned True.
    """
    todo = [ln for ln in lines if ln and ln.strip()] if len(lines) > 1 else list(lines)
    if not todo:
        raise InputError("Nothing to analyse: type a line of dialogue (or pick a Script).")
    reader = LineReader(llm_config)
    analyses = []
    for i, line in enumerate(todo):
        if should_cancel is not None and should_cancel():
            raise CancelledError("Analysis cancelled.")
        if progress is not None:
            progress(i / len(todo), f"Reading line {i + 1} of {len(todo)}…")
        analyses.append(reader.read(line))
    if len(analyses) == 1:
        return _one_line(analyses[0], llm_config, duration_s)
    return _several_lines(analyses, llm_config)


def _one_line(a, llm_config, duration_s: float | None) -> Performance:
    duration = duration_s if duration_s is not None else line_duration(a.text)
    timeline = single_event_timeline(a.weights, duration, intensity=a.intensity, label=a.text[:80])
    event = timeline.events[0]
    segment = Segment(event.start, event.end, a.text, a.weights, a.intensity, a.source, a.reason)
    models = {"text": text_model_label(a.source, llm_config)}
    return Performance(
        PerformanceKind.TEXT,
        a.weights,
        timeline,
        duration,
        (segment,),
        a.warnings,
        models,
        phones=text_phones((segment,)),
    )


def _several_lines(analyses, llm_config) -> Performance:
    segments, warnings, start = [], [], 0.0
    for a in analyses:
        warnings.extend(w for w in a.warnings if w not in warnings)
        length = line_duration(a.text) - TAIL_SECONDS
        segments.append(
            Segment(start, start + length, a.text, a.weights, a.intensity, a.source, a.reason)
        )
        start += length
    return Performance(
        PerformanceKind.TEXT,
        clip_weights(segments),
        timeline_from_segments(segments),
        start + TAIL_SECONDS,
        tuple(segments),
        tuple(warnings),
        {"text": text_model_label(segments[0].source, llm_config)},
        phones=text_phones(segments),
    )


def performance_from_text(
    text: str, *, llm_config=None, duration_s: float | None = None
) -> Performance:
    """Read the emotion of one line and perform it over the time it takes to say.

    Args:
        text: The line of dialogue.
        llm_config: An :class:`~..adapters.llm.LLMConfig` to ask first (falls back offline).
        duration_s: Length of the performance; default from the line's word count.

    Raises:
        InputError: Empty text.
        ModelError: The offline text model is missing.
    """
    return perform_lines([text], llm_config=llm_config, duration_s=duration_s)
