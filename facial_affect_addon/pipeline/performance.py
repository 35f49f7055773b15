"""The :class:`Performance`, what every input mode produces, and its JSON codec.

A performance is a clip's emotional reading: clip-level weights, the timeline of emotion events
the state machine will play, the per-segment readings behind it, warnings, the models that
produced it and, for a video, the landmark capture. :func:`performance_to_json` writes the
CLI's document; :func:`performance_from_json` reads it back (with the exact timeline, which the
document carries under ``timeline_events`` when asked to).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import pairwise
from typing import Any

import numpy as np

from ..core import limits as lim
from ..core.capture import CaptureResult
from ..core.emotions import EmotionWeights
from ..core.errors import InputError
from ..core.formats import capture_from_dict, capture_to_dict, timeline_from_dict, timeline_to_dict
from ..core.phonemes import PHONES, Phone
from ..core.timeline import EmotionEvent, Timeline, TransitionSettings

JSON_SCHEMA_VERSION = 1
TAIL_SECONDS = 1.0  # room after the last utterance for the face to relax


class PerformanceKind(StrEnum):
    """Which input mode produced a performance."""

    EMOTION = "emotion"
    TEXT = "text"
    AUDIO = "audio"
    VIDEO = "video"


@dataclass(frozen=True)
class Segment:
    """The emotion read from one stretch of input (an utterance, a typed line).

    Attributes:
        start_s: Start in seconds from the beginning of the performance.
        end_s: End in seconds.
        text: What was said or typed ("" for non-verbal input).
        weights: Emotion mixture of the segment.
        intensity: Overall intensity in [0, 1].
        source: Which model read it (``"offline"``, ``"llm"``, ``"preset"``, ``"video"``).
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
        kind: The input mode that produced it.
        weights: Clip-level mixture (duration- and intensity-weighted mean of the segments).
        timeline: The emotion events the state machine will play.
        duration_s: Length of the clip in seconds.
        segments: Per-segment readings.
        warnings: Notes for the user (fallbacks, truncation, engine changes...).
        models: Which models produced the readings (for the UI and JSON).
        capture: A video's landmark capture (ARKit weights per sampled frame), or None.
        phones: Timed ARPAbet phones of what was said (lip-sync), in time order; empty when
            unknown (then speech spans only drive the articulation rhythm).
    """

    kind: PerformanceKind
    weights: EmotionWeights
    timeline: Timeline
    duration_s: float
    segments: tuple[Segment, ...]
    warnings: tuple[str, ...] = ()
    models: Mapping[str, str] = field(default_factory=dict)
    capture: CaptureResult | None = field(default=None, compare=False)
    phones: tuple[Phone, ...] = field(default=(), compare=False)

    @property
    def speech_spans(self) -> tuple[tuple[float, float], ...]:
        """``(start, end)`` of every spoken segment (those with text), for articulation."""
        return tuple((s.start_s, s.end_s) for s in self.segments if s.text)

    @property
    def transcript(self) -> str:
        """All segment texts joined."""
        return " ".join(s.text for s in self.segments if s.text)

    def to_json(self) -> dict[str, Any]:
        """The CLI's JSON document (see :func:`performance_to_json`)."""
        return performance_to_json(self)


def clip_weights(segments: Sequence[Segment]) -> EmotionWeights:
    """Clip-level mixture: the segments' weights averaged by duration × intensity.

    A long, intense utterance counts more than a short, flat one; if every segment has zero
    intensity the plain duration-weighted mean is used.

    Raises:
        InputError: No segments.
    """
    if not segments:
        raise InputError("No segments to summarise.")
    arrays = np.array([s.weights.as_array() for s in segments])
    durations = np.array([max(s.end_s - s.start_s, 1e-3) for s in segments])
    strength = durations * np.array([s.intensity for s in segments])
    mix = strength if strength.sum() > 0 else durations
    return EmotionWeights.from_array(mix @ arrays)


def timeline_from_segments(segments: Sequence[Segment]) -> Timeline:
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


def _rounded(weights: EmotionWeights) -> dict[str, float]:
    return {k: round(v, 6) for k, v in weights.as_dict().items()}


def performance_to_json(
    performance: Performance, *, with_timeline: bool = False, with_capture: bool = True
) -> dict[str, Any]:
    """The performance as the CLI's JSON document (clip ``weights`` and ``timeline``).

    Args:
        performance: What to write.
        with_timeline: Also store the exact state-machine events (``timeline_events``), so
            :func:`performance_from_json` rebuilds the same curves.
        with_capture: Include the landmark capture (``capture``) when there is one.
    """
    p = performance
    doc: dict[str, Any] = {
        "schema_version": JSON_SCHEMA_VERSION,
        "kind": str(p.kind),
        "weights": _rounded(p.weights),
        "dominant": p.weights.dominant(),
        "duration_s": round(p.duration_s, 4),
        "transcript": p.transcript,
        "timeline": [
            {
                "start_s": round(s.start_s, 4),
                "end_s": round(s.end_s, 4),
                "text": s.text,
                "weights": _rounded(s.weights),
                "intensity": round(s.intensity, 4),
                "source": s.source,
                "reason": s.reason,
            }
            for s in p.segments
        ],
        "models": dict(p.models),
        "warnings": list(p.warnings),
    }
    if with_capture and p.capture is not None:
        doc["capture"] = capture_to_dict(p.capture)
    if p.phones:
        doc["phones"] = [
            {
                "symbol": f.symbol,
                "start_s": round(f.start, 4),
                "end_s": round(f.end, 4),
                "word": f.word,
            }
            for f in p.phones
        ]
    if with_timeline:
        doc["timeline_events"] = timeline_to_dict(p.timeline)
    return doc


def _time(value: Any, what: str, low: float = 0.0) -> float:
    """A finite time in seconds within [``low``, the longest take a document may hold]."""
    number = lim.finite_number(value, what)
    longest = lim.DEFAULT_LIMITS.max_duration_s
    if not low <= number <= longest:
        raise InputError(f"{what} must be between {low:g} and {longest:g} s, got {number:g}.")
    return number


def _string(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise InputError(f"{what} must be text, got {type(value).__name__}.")
    return value


def _segment(s: Any, i: int) -> Segment:
    """One stored segment, every field type- and range-checked."""
    what = f"Segment {i + 1}"
    if not isinstance(s, Mapping):
        raise InputError(f"{what} is not an object.")
    start = _time(lim.document_field(s, "start_s", what), f"{what}'s start")
    end = _time(lim.document_field(s, "end_s", what), f"{what}'s end", start)
    intensity = lim.finite_number(lim.document_field(s, "intensity", what), f"{what}'s intensity")
    if not 0.0 <= intensity <= 1.0:
        raise InputError(f"{what}'s intensity must be between 0 and 1, got {intensity:g}.")
    return Segment(
        start,
        end,
        _string(lim.document_field(s, "text", what), f"{what}'s text"),
        EmotionWeights.from_mapping(lim.document_field(s, "weights", what)),
        intensity,
        _string(lim.document_field(s, "source", what), f"{what}'s source"),
        _string(s.get("reason", ""), f"{what}'s reason"),
    )


def _phone(f: Any, i: int) -> Phone:
    """One stored phone: a known ARPAbet symbol (or ``SIL``), times in range, end after start."""
    what = f"Phone {i + 1}"
    if not isinstance(f, Mapping):
        raise InputError(f"{what} is not an object.")
    symbol = _string(lim.document_field(f, "symbol", what), f"{what}'s symbol")
    if symbol not in PHONES:
        raise InputError(f"{what}'s symbol {lim.clip_text(symbol, 20)!r} is not an ARPAbet phone.")
    start = _time(lim.document_field(f, "start_s", what), f"{what}'s start")
    end = _time(lim.document_field(f, "end_s", what), f"{what}'s end", start)
    if end <= start:
        raise InputError(f"{what} must end after it starts.")
    word = lim.clip_text(_string(f.get("word", ""), f"{what}'s word"), 100)
    return Phone(symbol, start, end, word=word)


def _phones(doc: Mapping[str, Any]) -> tuple[Phone, ...]:
    """The document's ``phones`` list (absent in older documents: no phones), in time order."""
    stored = lim.as_list(doc.get("phones", []), "Its 'phones'")
    lim.check_count(len(stored), lim.DEFAULT_LIMITS.max_items, "phones", "The stored analysis")
    phones = tuple(_phone(f, i) for i, f in enumerate(stored))
    if any(b.start < a.start for a, b in pairwise(phones)):
        raise InputError("Its 'phones' are not in time order.")
    return phones


def performance_from_json(doc: Mapping[str, Any], capture: CaptureResult | None = None):
    """Rebuild a performance written by :func:`performance_to_json` with ``with_timeline``.

    The document may come from an edited .blend: times must be finite and within
    [0, :attr:`~..core.limits.Limits.max_duration_s`], an end not before its start, intensities
    in [0, 1], texts strings, phones known ARPAbet symbols in time order. Documents written
    before phones were stored (no ``phones`` key) read as having none.

    Args:
        doc: The parsed document.
        capture: The capture, when it travels outside the document (see :mod:`.store`);
            otherwise the document's ``capture`` block is read, if any.

    Returns:
        The :class:`Performance`.

    Raises:
        InputError: The document is not a valid stored performance.
    """
    where = "The stored analysis"
    try:
        if not isinstance(doc, Mapping):
            raise InputError(f"{where} is not a JSON object.")
        timeline = lim.as_list(lim.document_field(doc, "timeline", where), "Its 'timeline'")
        lim.check_count(len(timeline), lim.DEFAULT_LIMITS.max_items, "segments", where)
        segments = tuple(_segment(s, i) for i, s in enumerate(timeline))
        if capture is None and doc.get("capture"):
            capture = capture_from_dict(doc["capture"])
        warnings = lim.as_list(doc.get("warnings", []), "Its 'warnings'")
        models = doc.get("models", {})
        if not isinstance(models, Mapping):
            raise InputError(f"{where}: 'models' must be an object.")
        return Performance(
            PerformanceKind(_string(lim.document_field(doc, "kind", where), "Its 'kind'")),
            EmotionWeights.from_mapping(lim.document_field(doc, "weights", where)),
            timeline_from_dict(lim.document_field(doc, "timeline_events", where)),
            _time(lim.document_field(doc, "duration_s", where), "Its duration"),
            segments,
            tuple(lim.clip_text(w) for w in warnings[: lim.MAX_WARNINGS]),
            {lim.clip_text(k): lim.clip_text(v) for k, v in models.items()},
            capture,
            _phones(doc),
        )
    except InputError as exc:
        reason = str(exc).removesuffix(".")
        raise InputError(f"{where} is unreadable: {reason}; analyse again.") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        detail = lim.clip_text(exc, 120)
        raise InputError(f"{where} is unreadable ({detail}); analyse again.") from None
