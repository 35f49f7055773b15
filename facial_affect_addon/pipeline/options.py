"""The typed values that cross from a front end (CLI, panel, live preview) into the pipeline.

Nothing here imports a model or a service, so the Blender layer can import this module at
registration. Enumerations are :class:`~enum.StrEnum` whose values are the identifiers the
panel's ``EnumProperty`` items use, so ``InputSource(settings.input_source)`` converts a
property without a lookup table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from ..core.emotions import EMOTION_NAMES, CompoundEmotion, Emotion, EmotionWeights
from ..core.errors import InputError
from ..core.synthesis_options import SynthesisMode, SynthesisOptions

__all__ = [
    "CompoundEmotion",
    "Emotion",
    "EmotionChoice",
    "EmotionSource",
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


class EmotionSource(StrEnum):
    """What Bake Emotion performs when nothing is analysed."""

    EMOTION = "EMOTION"
    """One of the seven emotions."""
    PRESET = "PRESET"
    """A named compound emotion (:class:`~..core.emotions.CompoundEmotion`)."""
    MIX = "MIX"
    """A mixture of the seven emotions, one weight each."""


@dataclass(frozen=True)
class EmotionChoice:
    """The emotion a preset bake performs, as a front end picked it.

    Attributes:
        source: Which of the three fields below is used.
        emotion: The single emotion (:attr:`EmotionSource.EMOTION`).
        preset: The compound preset (:attr:`EmotionSource.PRESET`).
        mix: ``{emotion name: weight}`` (:attr:`EmotionSource.MIX`); normalised when used.
    """

    source: EmotionSource = EmotionSource.EMOTION
    emotion: Emotion = Emotion.HAPPINESS
    preset: CompoundEmotion = CompoundEmotion.BITTERSWEET
    mix: Mapping[str, float] = field(default_factory=dict)

    def weights(self) -> EmotionWeights:
        """The chosen emotion as normalised weights.

        Raises:
            InputError: A mix whose weights are all zero (or invalid).
        """
        if self.source == EmotionSource.PRESET:
            return EmotionWeights.compound(self.preset)
        if self.source == EmotionSource.MIX:
            if not any(float(self.mix.get(name, 0.0)) > 0 for name in EMOTION_NAMES):
                raise InputError("Every Mix weight is zero; raise at least one emotion's slider.")
            return EmotionWeights.from_mapping(self.mix)
        return EmotionWeights.pure(self.emotion)
