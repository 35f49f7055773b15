"""The seven basic emotion classes and a validated, normalised weight vector over them.

The names are the project's contract (CLI JSON, models, UI): ``neutral happiness sadness anger
surprise fear disgust``. A compound emotion is simply a mixture ("happily surprised" =
happiness 0.6 + surprise 0.4); the named ones are :class:`CompoundEmotion` /
:data:`COMPOUND_PRESETS`, and :func:`expand_mixture` reads a mixture written with both kinds of
name (``bittersweet``, ``happily_surprised=0.5,anger=0.5``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum

import numpy as np

from .atomic import shown
from .errors import InputError


class Emotion(str, Enum):
    """One of the seven basic emotion classes (Ekman's six plus neutral)."""

    NEUTRAL = "neutral"
    HAPPINESS = "happiness"
    SADNESS = "sadness"
    ANGER = "anger"
    SURPRISE = "surprise"
    FEAR = "fear"
    DISGUST = "disgust"


EMOTION_NAMES: tuple[str, ...] = tuple(e.value for e in Emotion)

# Common spellings users, LLMs and model label files use for the same classes.
_ALIASES: dict[str, str] = {
    "happy": "happiness",
    "joy": "happiness",
    "sad": "sadness",
    "angry": "anger",
    "surprised": "surprise",
    "afraid": "fear",
    "fearful": "fear",
    "scared": "fear",
    "disgusted": "disgust",
    "calm": "neutral",
}


def _text(name: object) -> str:
    """A name as text: an :class:`Emotion` is its value (``str()`` of it is ``Emotion.FEAR``)."""
    return name.value if isinstance(name, Enum) else str(name)


MAX_SHOWN = 60
"""Characters of a refused value echoed in a message."""


def _shown(value: object) -> str:
    """``repr(value)`` escaped and cut to :data:`MAX_SHOWN` characters."""
    try:
        text = repr(value)
    except ValueError:  # an int over Python's 4,300-digit str() limit
        text = f"an integer of {int(value.bit_length() * 0.30103) + 1} digits"  # type: ignore[attr-defined]
    return shown(text, MAX_SHOWN)


def canonical_emotion_name(name: str) -> str:
    """Return the canonical emotion name for ``name`` (case-insensitive, common aliases allowed).

    Args:
        name: An emotion name such as ``"Happiness"`` or ``"happy"``.

    Returns:
        One of :data:`EMOTION_NAMES`.

    Raises:
        InputError: If the name is not a known emotion.
    """
    key = _text(name).strip().lower()
    key = _ALIASES.get(key, key)
    if key not in EMOTION_NAMES:
        raise InputError(f"Unknown emotion {_shown(name)}; use one of: {', '.join(EMOTION_NAMES)}.")
    return key


@dataclass(frozen=True)
class EmotionWeights:
    """A weight per emotion class, each in [0, 1], summing to 1.

    Build it with :meth:`from_mapping` or :meth:`from_array`, which validate and normalise; the
    constructor expects an already valid 7-tuple in :data:`EMOTION_NAMES` order.
    """

    values: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.values) != len(EMOTION_NAMES):
            raise InputError(
                f"Expected {len(EMOTION_NAMES)} emotion weights, got {len(self.values)}."
            )

    @classmethod
    def from_array(cls, array: Iterable[float]) -> EmotionWeights:
        """Validate and normalise a 7-vector in :data:`EMOTION_NAMES` order.

        Raises:
            InputError: On a wrong length, NaN/inf, negative values or an all-zero vector.
        """
        try:
            arr = np.asarray(list(array), dtype=float)
        except OverflowError:  # an int too large for a float
            raise InputError(
                "Emotion weights must be finite numbers (got one too large for a float)."
            ) from None
        except (TypeError, ValueError):
            raise InputError("Emotion weights must be numbers.") from None
        if arr.shape != (len(EMOTION_NAMES),):
            raise InputError(
                f"Expected {len(EMOTION_NAMES)} emotion weights, got shape {arr.shape}."
            )
        if not np.all(np.isfinite(arr)):
            raise InputError("Emotion weights must be finite numbers (got NaN or infinity).")
        if np.any(arr < 0):
            bad = [EMOTION_NAMES[i] for i in np.flatnonzero(arr < 0)]
            raise InputError(f"Emotion weights must not be negative: {', '.join(bad)}.")
        peak = float(arr.max())
        if peak <= 0:
            raise InputError("All emotion weights are zero; give at least one positive weight.")
        # Scale by the largest first: a sum of huge weights (1e308 + 1e308) overflows to inf
        # and would divide every weight down to zero.
        arr = arr / peak
        return cls(tuple(float(v) for v in arr / arr.sum()))

    @classmethod
    def from_mapping(cls, weights: Mapping[str, float]) -> EmotionWeights:
        """Validate and normalise a mapping of emotion name → weight; missing names count as 0.

        Raises:
            InputError: On unknown names, non-numeric, NaN or negative values, or all zeros.
        """
        if not isinstance(weights, Mapping):
            raise InputError(
                f"Emotion weights must be a mapping of name to weight, got {_shown(weights)}."
            )
        arr = [0.0] * len(EMOTION_NAMES)
        for name, value in weights.items():
            key = canonical_emotion_name(name)
            if isinstance(value, bool):
                raise InputError(f"Weight for {_shown(name)} is not a number: {_shown(value)}.")
            try:
                number = float(value)
            except OverflowError:  # an int too large for a float: refused as infinite below
                number = math.inf
            except (TypeError, ValueError):
                raise InputError(
                    f"Weight for {_shown(name)} is not a number: {_shown(value)}."
                ) from None
            if math.isnan(number):
                raise InputError(f"Weight for {_shown(name)} is NaN.")
            arr[EMOTION_NAMES.index(key)] += number
        return cls.from_array(arr)

    @classmethod
    def pure(cls, name: str) -> EmotionWeights:
        """All weight on one emotion."""
        return cls.from_mapping({name: 1.0})

    def as_array(self) -> np.ndarray:
        """The weights as a float array in :data:`EMOTION_NAMES` order."""
        return np.asarray(self.values, dtype=float)

    def as_dict(self) -> dict[str, float]:
        """The weights as ``{emotion name: weight}``."""
        return dict(zip(EMOTION_NAMES, self.values, strict=True))

    def dominant(self) -> str:
        """The name of the heaviest emotion."""
        return EMOTION_NAMES[int(np.argmax(self.values))]

    def __getitem__(self, name: str) -> float:
        return self.values[EMOTION_NAMES.index(canonical_emotion_name(name))]

    @classmethod
    def compound(cls, name: str) -> EmotionWeights:
        """The weights of a named compound preset (see :data:`COMPOUND_PRESETS`).

        Raises:
            InputError: If the preset name is unknown.
        """
        return cls.from_mapping(COMPOUND_PRESETS[canonical_compound_name(name)])


class CompoundEmotion(StrEnum):
    """A named compound emotion (a preset mixture of :data:`COMPOUND_PRESETS`)."""

    HAPPILY_SURPRISED = "happily_surprised"
    HAPPILY_DISGUSTED = "happily_disgusted"
    SADLY_FEARFUL = "sadly_fearful"
    SADLY_ANGRY = "sadly_angry"
    SADLY_SURPRISED = "sadly_surprised"
    SADLY_DISGUSTED = "sadly_disgusted"
    FEARFULLY_ANGRY = "fearfully_angry"
    FEARFULLY_SURPRISED = "fearfully_surprised"
    FEARFULLY_DISGUSTED = "fearfully_disgusted"
    ANGRILY_SURPRISED = "angrily_surprised"
    ANGRILY_DISGUSTED = "angrily_disgusted"
    DISGUSTEDLY_SURPRISED = "disgustedly_surprised"
    BITTERSWEET = "bittersweet"
    AWED = "awed"
    HATRED = "hatred"

    @property
    def label(self) -> str:
        """``"Happily surprised"``."""
        return self.value.replace("_", " ").capitalize()


# Compound emotions as mixtures. Names follow the compound categories of Du, Tao & Martinez,
# "Compound facial expressions of emotion", PNAS 111(15), 2014; the weights are ours: the adverb's
# emotion gets 0.6 and the adjective's 0.4 ("happily surprised" = happiness 0.6 + surprise 0.4),
# and the last three are even or near-even mixtures. Bittersweet (happiness 0.5 + sadness 0.5) is
# not one of Du et al.'s; it is the mixture the net-force rule of facs.blend_matrix once erased.
COMPOUND_PRESETS: dict[CompoundEmotion, dict[str, float]] = {
    CompoundEmotion.HAPPILY_SURPRISED: {"happiness": 0.6, "surprise": 0.4},
    CompoundEmotion.HAPPILY_DISGUSTED: {"happiness": 0.6, "disgust": 0.4},
    CompoundEmotion.SADLY_FEARFUL: {"sadness": 0.6, "fear": 0.4},
    CompoundEmotion.SADLY_ANGRY: {"sadness": 0.6, "anger": 0.4},
    CompoundEmotion.SADLY_SURPRISED: {"sadness": 0.6, "surprise": 0.4},
    CompoundEmotion.SADLY_DISGUSTED: {"sadness": 0.6, "disgust": 0.4},
    CompoundEmotion.FEARFULLY_ANGRY: {"fear": 0.6, "anger": 0.4},
    CompoundEmotion.FEARFULLY_SURPRISED: {"fear": 0.6, "surprise": 0.4},
    CompoundEmotion.FEARFULLY_DISGUSTED: {"fear": 0.6, "disgust": 0.4},
    CompoundEmotion.ANGRILY_SURPRISED: {"anger": 0.6, "surprise": 0.4},
    CompoundEmotion.ANGRILY_DISGUSTED: {"anger": 0.6, "disgust": 0.4},
    CompoundEmotion.DISGUSTEDLY_SURPRISED: {"disgust": 0.6, "surprise": 0.4},
    CompoundEmotion.BITTERSWEET: {"happiness": 0.5, "sadness": 0.5},
    CompoundEmotion.AWED: {"surprise": 0.5, "fear": 0.3, "happiness": 0.2},
    CompoundEmotion.HATRED: {"anger": 0.5, "disgust": 0.5},
}


def _compound_key(name: str) -> str:
    return "_".join(_text(name).strip().lower().replace("-", " ").replace("_", " ").split())


def canonical_compound_name(name: str) -> CompoundEmotion:
    """The :class:`CompoundEmotion` named ``name`` (case, spaces and hyphens ignored).

    Raises:
        InputError: If no preset has that name.
    """
    key = _compound_key(name)
    if key not in COMPOUND_PRESETS:
        raise InputError(
            f"Unknown compound emotion {_shown(name)}; use one of: {', '.join(COMPOUND_PRESETS)}."
        )
    return CompoundEmotion(key)


def expand_mixture(parts: Iterable[tuple[str, float]]) -> dict[str, float]:
    """Emotion weights from ``(name, weight)`` pairs naming emotions or compound presets.

    A preset's weight is shared out by its mixture (``("bittersweet", 1.0)`` is happiness 0.5 +
    sadness 0.5; ``("happily_surprised", 0.5), ("anger", 0.5)`` is happiness 0.3, surprise 0.2,
    anger 0.5); names that repeat add up. The result is not normalised
    (:meth:`EmotionWeights.from_mapping` does that).

    Args:
        parts: ``(name, weight)`` pairs; names as :func:`canonical_emotion_name` or
            :func:`canonical_compound_name` accept them.

    Returns:
        ``{emotion name: weight}``.

    Raises:
        InputError: On a name that is neither, or a weight that is not a finite number >= 0.
    """
    out: dict[str, float] = {}
    for name, weight in parts:
        value = non_negative_number(weight, f"weight for {_shown(name)}")
        if _text(name).strip().lower() in EMOTION_NAMES or _text(name).strip().lower() in _ALIASES:
            share = {canonical_emotion_name(name): 1.0}
        elif _compound_key(name) in COMPOUND_PRESETS:
            share = COMPOUND_PRESETS[CompoundEmotion(_compound_key(name))]
        else:
            raise InputError(
                f"Unknown emotion or preset {_shown(name)}; emotions: {', '.join(EMOTION_NAMES)}; "
                f"presets: {', '.join(COMPOUND_PRESETS)}."
            )
        for emotion, part in share.items():
            out[emotion] = out.get(emotion, 0.0) + value * part
    return out


def non_negative_number(value: object, what: str) -> float:
    """``value`` as a finite number >= 0 (weights, gains), or a one-line error naming ``what``.

    The value is echoed cut to :data:`MAX_SHOWN` characters (a 400-digit integer is not repeated).

    Raises:
        InputError: Not a number (booleans included), not finite (an integer too large for a
            float too), or negative.
    """
    number = _finite_number(value, f"The {what}")
    if number < 0:
        raise InputError(
            f"The {what} must be a finite number, non-negative (>= 0), got {_shown(value)}."
        )
    return number


def _finite_number(value: object, what: str) -> float:
    """``value`` as a finite float; ``what`` starts the message (``"The weight for 'joy'"``).

    Raises:
        InputError: Not a number (booleans included) or not finite.
    """
    if isinstance(value, bool):
        raise InputError(f"{what} must be a number, got {_shown(value)}.")
    try:
        number = float(value)  # type: ignore[arg-type]
    except OverflowError:  # an int too large for a float
        number = math.inf
    except (TypeError, ValueError):
        raise InputError(f"{what} must be a number, got {_shown(value)}.") from None
    if not math.isfinite(number):
        raise InputError(
            f"{what} must be a finite number, non-negative (>= 0), got {_shown(value)}."
        )
    return number
