"""Validation of rig profiles (:mod:`.rig_profile`): drivers, gains, offsets, clamps, emotion keys.

Kept apart so the data model stays short; every function raises :class:`~.errors.InputError`
with a message naming the profile and the field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from .emotions import EMOTION_NAMES, canonical_emotion_name, non_negative_number
from .errors import InputError
from .facs import CHANNEL_INDEX, expand_au
from .limits import clip_text, finite_number
from .names import normalize_name
from .rig_tables import ARKIT_52, ARKIT_TABLE

if TYPE_CHECKING:
    from .rig_profile import KeyTarget, RigProfile

MAX_GAIN = 10.0
ARKIT_CHANNELS: dict[str, str] = {normalize_name(n): n for n in ARKIT_52}
"""Normalised ARKit channel name -> its canonical spelling (drivers may name these)."""


def expand_drivers(
    key: object, aus: Mapping[str, object]
) -> tuple[tuple[tuple[str, float], ...], tuple[tuple[str, float], ...]]:
    """A key's AU drivers, and its written form when that names ARKit channels (else ())."""
    drivers: dict[str, float] = {}
    arkit = False
    for name, weight in aus.items():
        w = non_negative_number(weight, f"weight of {name!r} for key {key!r}")
        channel = ARKIT_CHANNELS.get(normalize_name(str(name)))
        if channel is not None:
            arkit = True
            parts = [
                (ch, part * w)
                for au, aw in ARKIT_TABLE[channel].items()
                for ch, part in expand_au(au, aw)
            ]
        else:
            parts = expand_au(name, w)
        for ch, part in parts:
            drivers[ch] = drivers.get(ch, 0.0) + part
    spec = tuple((str(n), float(w)) for n, w in aus.items()) if arkit else ()
    return tuple(drivers.items()), spec


def parse_emotion_keys(
    emotion_keys: Mapping[str, Mapping[str, float]],
) -> tuple[tuple[str, tuple[tuple[str, float], ...]], ...]:
    out = []
    for key, emotions in emotion_keys.items():
        if not isinstance(emotions, Mapping) or not emotions:
            raise InputError(f"Emotion key {key!r}: expected a mapping of emotion -> weight.")
        spec = tuple(
            (canonical_emotion_name(e), check_gain(w, f"weight of {e!r} on key {key!r}"))
            for e, w in emotions.items()
        )
        out.append((str(key), spec))
    return tuple(out)


def check_offset(value: object, what: str) -> float:
    number = finite_number(value, f"The {what}")
    if not -1.0 <= number <= 1.0:
        raise InputError(f"The {what} must lie in [-1, 1], got {value!r}.")
    return number


def check_clamp(value: object, what: str) -> tuple[float, float]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != 2:
        raise InputError(
            f"The {what} must be a [low, high] pair, got {clip_text(repr(value), 60)}."
        )
    lo, hi = (finite_number(v, f"The {what}") for v in value)
    if not 0.0 <= lo < hi <= 1.0:
        raise InputError(f"The {what} must satisfy 0 <= low < high <= 1, got [{lo}, {hi}].")
    return (lo, hi)


def check_shaping(profile: RigProfile) -> None:
    """Offsets, clamps and emotion keys must name the profile's keys and valid values."""
    keys = set(profile.all_keys)
    for key, offset in profile.key_offsets:
        if key not in keys:
            raise InputError(f"Rig profile {profile.name!r} has an offset for unknown key {key!r}.")
        check_offset(offset, f"offset of {key!r}")
    for key, pair in profile.key_clamps:
        if key not in keys:
            raise InputError(f"Rig profile {profile.name!r} has a clamp for unknown key {key!r}.")
        check_clamp(pair, f"clamp of {key!r}")
    for key, spec in profile.emotion_keys:
        for emotion, weight in spec:
            if emotion not in EMOTION_NAMES:
                raise InputError(f"Emotion key {key!r}: no emotion is called {emotion!r}.")
            check_gain(weight, f"weight of {emotion!r} on key {key!r}")


def check_drivers(target: KeyTarget) -> None:
    for channel, weight in target.drivers:
        if channel not in CHANNEL_INDEX:
            raise InputError(f"Key {target.key!r} is driven by unknown channel {channel!r}.")
        if not np.isfinite(weight) or weight < 0:
            raise InputError(
                f"Key {target.key!r}: weight of {channel} must be a non-negative number, "
                f"got {weight}."
            )


def check_extras(profile: RigProfile) -> None:
    """Antagonists and gains must name the profile's own keys (and known emotions)."""
    keys = set(profile.all_keys)
    for pair in profile.antagonists:
        for key in (pair.first, pair.second):
            if key not in keys:
                raise InputError(
                    f"Rig profile {profile.name!r}: antagonist pair names {key!r}, "
                    "which is not one of its keys."
                )
        if pair.first == pair.second:
            raise InputError(f"Rig profile {profile.name!r}: {pair.first!r} cannot oppose itself.")
    for key, gain in profile.key_gains:
        if key not in keys:
            raise InputError(f"Rig profile {profile.name!r} has a gain for unknown key {key!r}.")
        check_gain(gain, f"key gain of {key!r}")
    for name, gain in profile.emotion_gains:
        if name not in EMOTION_NAMES:
            raise InputError(f"Rig profile {profile.name!r}: no emotion is called {name!r}.")
        check_gain(gain, f"emotion gain of {name!r}")


def own_key(own: Mapping[str, str], key: object) -> str:
    """The profile's spelling of ``key`` (any naming style), or an error naming it."""
    found = own.get(normalize_name(str(key)))
    if found is None:
        raise InputError(f"{key!r} is not one of the rig profile's keys.")
    return found


def check_gain(value: object, what: str) -> float:
    number = non_negative_number(value, what)
    if number > MAX_GAIN:
        raise InputError(f"The {what} must be at most {MAX_GAIN:g}, got {value!r}.")
    return number
