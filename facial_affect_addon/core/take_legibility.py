"""Legibility of a whole take: sampled frames read by a judge, summarised per emotion segment.

The report (issue 16) asks "of the frames where the take means emotion X, how often does a judge
read X?". Rendering and judging happen elsewhere (Blender renders, the face model judges); this
module holds only the typed readings and the arithmetic, so the report, the CLI and the panel all
summarise them the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .emotions import EMOTION_NAMES
from .errors import InputError


@dataclass(frozen=True)
class FrameReading:
    """One sampled frame, rendered and judged.

    Attributes:
        time: Seconds from the start of the take.
        intended: The emotion the take means at this time (the dominant timeline emotion).
        predicted: The judge's reading, or ``""`` when no face was found on the render.
        confidence: The judge's probability for ``predicted`` (0 when no face was found).
    """

    time: float
    intended: str
    predicted: str
    confidence: float

    def __post_init__(self) -> None:
        if self.intended not in EMOTION_NAMES:
            raise InputError(f"Unknown intended emotion {self.intended!r} in a frame reading.")
        if self.predicted and self.predicted not in EMOTION_NAMES:
            raise InputError(f"Unknown judged emotion {self.predicted!r} in a frame reading.")

    @property
    def correct(self) -> bool:
        """Whether the judge read the intended emotion."""
        return self.predicted == self.intended


@dataclass(frozen=True)
class SegmentLegibility:
    """The share of one segment's sampled frames read as the segment's emotion.

    Attributes:
        start: Segment start in seconds.
        end: Segment end in seconds.
        emotion: The segment's intended emotion.
        frames: Number of sampled frames inside the segment.
        correct: How many of them the judge read as ``emotion``.
    """

    start: float
    end: float
    emotion: str
    frames: int
    correct: int

    @property
    def share(self) -> float:
        """``correct / frames`` (0 for a segment with no sampled frame)."""
        return self.correct / self.frames if self.frames else 0.0


@dataclass(frozen=True)
class TakeLegibility:
    """All readings of one take and their per-segment summary.

    Attributes:
        judge: Which judge read the frames (e.g. the face model's file name).
        readings: The sampled frames in time order.
        segments: One entry per run of consecutive readings with the same intended emotion.
    """

    judge: str
    readings: tuple[FrameReading, ...]
    segments: tuple[SegmentLegibility, ...]

    @property
    def share(self) -> float:
        """The share of all sampled frames read as intended (0 when nothing was sampled)."""
        if not self.readings:
            return 0.0
        return sum(r.correct for r in self.readings) / len(self.readings)


def summarise(judge: str, readings: Iterable[FrameReading]) -> TakeLegibility:
    """Group time-ordered readings into segments of one intended emotion.

    Args:
        judge: Name of the judge that produced the readings.
        readings: Frame readings; they are sorted by time here.

    Returns:
        The take's legibility with one segment per run of equal intended emotions.
    """
    ordered: Sequence[FrameReading] = sorted(readings, key=lambda r: r.time)
    segments: list[SegmentLegibility] = []
    run: list[FrameReading] = []
    for reading in ordered:
        if run and reading.intended != run[0].intended:
            segments.append(_segment(run))
            run = []
        run.append(reading)
    if run:
        segments.append(_segment(run))
    return TakeLegibility(judge=judge, readings=tuple(ordered), segments=tuple(segments))


def _segment(run: Sequence[FrameReading]) -> SegmentLegibility:
    return SegmentLegibility(
        start=run[0].time,
        end=run[-1].time,
        emotion=run[0].intended,
        frames=len(run),
        correct=sum(r.correct for r in run),
    )
