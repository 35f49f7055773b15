"""The typed values that cross from a front end (CLI, panel, live preview) into the pipeline.

Nothing here imports a model or a service, so the Blender layer can import this module at
registration. Enumerations are :class:`~enum.StrEnum` whose values are the identifiers the
panel's ``EnumProperty`` items use, so ``InputSource(settings.input_source)`` converts a
property without a lookup table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from ..core.synthesis_options import SynthesisMode, SynthesisOptions

__all__ = [
    "FaceMode",
    "InputSource",
    "LiveSource",
    "PerformanceOptions",
    "SynthesisMode",
    "SynthesisOptions",
]


class InputSource(StrEnum):
    """Where a performance comes from."""

    TEXT = "TEXT"
    AUDIO = "AUDIO"
    MIC = "MIC"
    VIDEO = "VIDEO"
    WEBCAM = "WEBCAM"


class LiveSource(StrEnum):
    """What drives the live preview."""

    SCRIPT = "SCRIPT"
    MIC = "MIC"
    WEBCAM = "WEBCAM"


class FaceMode(StrEnum):
    """What a face on video gives the head: its emotion, or its own expression."""

    EMOTION = "EMOTION"
    """The face's 7-class emotion drives the head's emotion engine."""
    MIRROR = "MIRROR"
    """Landmark capture (paper 004) copies the face's expression key by key."""


@dataclass(frozen=True)
class PerformanceOptions:
    """How to turn a performance into curves for a rig.

    Attributes:
        synthesis: Frame rate, start, length, mode, intensity, micro-expressions, life, seed.
            ``synthesis.n_frames`` None (or 0) covers the whole performance.
        articulate: Move the jaw and lips while lines are spoken (rhythm, not lip-sync).
        face: :attr:`FaceMode.EMOTION` synthesises from the emotion timeline;
            :attr:`FaceMode.MIRROR` replays a video's landmark capture on the rig.
    """

    synthesis: SynthesisOptions = field(default_factory=SynthesisOptions)
    articulate: bool = True
    face: FaceMode = FaceMode.EMOTION
