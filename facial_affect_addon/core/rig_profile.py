"""The rig profile data model and its JSON form (:mod:`.rigs` matches profiles against rigs).

A :class:`RigProfile` lists shape-key targets, each driven by a weighted sum of AU channels,
plus what a particular rig needs on top of that:

* ``antagonists``: pairs of keys that undo each other (:mod:`.antagonists`), never both driven
  above :data:`~.antagonists.ANTAGONIST_LIMIT` in one frame;
* ``key_gains``: a gain per key on its whole output, ``value = clip(gain * sum_i w_i AU_i)``
  (a rig whose ``mouthSmileLeft`` was sculpted too strong gets 0.8);
* ``emotion_gains``: a gain per emotion on its amplitude ``m_e`` before blending (a rig on which
  fear reads weak gets ``{"fear": 1.2}``); the AU values are still clipped to [0, 1].

Gains lie in ``[0, MAX_GAIN]``; missing keys and emotions have gain 1.

**JSON** (``schema_version`` 1; every field after ``keys`` is optional, so a file written before
the gains existed still loads, and this version writes them all)::

    {"schema_version": 1, "kind": "rig_profile", "name": "myrig", "description": "...",
     "keys": {"smile_L": {"AU12_L": 1.0}, "frown_L": {"AU15_L": 1.0}, "blink_L": {"AU45_L": 1},
              "wide_L": {"AU5_L": 1}},
     "fallbacks": {},
     "antagonists": [["smile_L", "frown_L"]],
     "overrides": [["blink_L", "wide_L"]],
     "key_gains": {"smile_L": 0.8},
     "emotion_gains": {"fear": 1.2},
     "key_offsets": {"blink_L": 0.05},
     "key_clamps": {"smile_L": [0.0, 0.9]},
     "emotion_keys": {"Fcl_ALL_Joy": {"happiness": 1.0}}}

A driver in ``keys`` is an AU (``"AU12_L"``, any spelling) or one of ARKit's 52 channels
(``{"Mouth_Smile_L": {"mouthSmileLeft": 1.0}}``), which stands for its AU mix in
:data:`.rig_tables.ARKIT_TABLE` and is written back as given. ``emotion_keys`` are whole-face
keys (VRoid ``Fcl_ALL_Joy``, VRM ``happy``) driven by the emotion weights themselves, not by AUs.
Every key's value is ``clip(clip(gain * drive, 0, 1) + offset, lo, hi)`` with ``offset`` from
``key_offsets`` (in [-1, 1], default 0) and ``[lo, hi]`` from ``key_clamps`` (within [0, 1],
default [0, 1]). The last three fields came after version 1 was fixed; they are optional, so the
version stays 1 and every older file still loads.

``antagonists`` are symmetric pairs; ``overrides`` pairs list the key that wins first. Key names
in these fields may use any naming style of a key in ``keys``.

:func:`load_profile` reads files through :mod:`.limits`: UTF-8 only, at most
:data:`MAX_PROFILE_BYTES`, ``limits.max_channels`` keys, ``limits.max_items`` pairs or gains,
names up to :data:`~.limits.MAX_NAME_CHARS` characters, JSON nested at most
``limits.max_depth``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from .antagonists import KeyAntagonist
from .atomic import atomic_write_text
from .emotions import EMOTION_NAMES, canonical_emotion_name
from .errors import InputError
from .limits import (
    DEFAULT_LIMITS,
    MAX_NAME_CHARS,
    Limits,
    check_count,
    clip_text,
    finite_number,
    read_json,
)
from .names import normalize_name
from .rig_profile_checks import (  # noqa: F401  (ARKIT_CHANNELS, MAX_GAIN: re-exported)
    ARKIT_CHANNELS,
    MAX_GAIN,
    check_clamp,
    check_drivers,
    check_extras,
    check_gain,
    check_offset,
    check_shaping,
    expand_drivers,
    own_key,
    parse_emotion_keys,
)

PROFILE_SCHEMA_VERSION = 1
MAX_PROFILE_BYTES = 16 * 2**20
"""A profile file's size cap: the built-in profiles are under 20 KB."""


@dataclass(frozen=True)
class KeyTarget:
    """One shape key of a profile and the AU channels that drive it.

    Attributes:
        key: The key's canonical name in the profile (any style matches it).
        drivers: ``(channel, weight)`` pairs; empty for keys no AU drives.
        only_if_missing: Profile keys that, when present in the rig, disable this target.
        spec: The drivers as written when they name ARKit channels (``drivers`` holds their
            AU expansion); empty when ``drivers`` are the written form.
    """

    key: str
    drivers: tuple[tuple[str, float], ...] = ()
    only_if_missing: tuple[str, ...] = ()
    spec: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class RigProfile:
    """A named set of shape-key targets, with the rig's antagonist pairs and gains.

    Attributes:
        name: The profile's name.
        targets: The keys and their AU drivers.
        description: One line for users.
        antagonists: Key pairs that undo each other (names as in ``targets``).
        key_gains: ``(key, gain)`` pairs: a gain on a key's whole output (default 1).
        emotion_gains: ``(emotion, gain)`` pairs: a gain on an emotion's amplitude (default 1).
        key_offsets: ``(key, offset)`` pairs added to a key's value (default 0).
        key_clamps: ``(key, (lo, hi))`` pairs clamping a key's value (default (0, 1)).
        emotion_keys: ``(key, ((emotion, weight), ...))``: whole-face keys driven by emotions.

    Raises:
        InputError: (on construction) if the profile has no targets, no target is driven by an
            AU, a key appears twice, a driver names an unknown channel or a bad weight, an
            antagonist or gain names a key the profile lacks, or a gain is out of range.
    """

    name: str
    targets: tuple[KeyTarget, ...]
    description: str = ""
    antagonists: tuple[KeyAntagonist, ...] = ()
    key_gains: tuple[tuple[str, float], ...] = ()
    emotion_gains: tuple[tuple[str, float], ...] = ()
    key_offsets: tuple[tuple[str, float], ...] = ()
    key_clamps: tuple[tuple[str, tuple[float, float]], ...] = ()
    emotion_keys: tuple[tuple[str, tuple[tuple[str, float], ...]], ...] = ()

    def __post_init__(self) -> None:
        if not self.targets and not self.emotion_keys:
            raise InputError(f"Rig profile {self.name!r} is empty; give it at least one key.")
        if not any(t.drivers for t in self.targets) and not self.emotion_keys:
            raise InputError(
                f"Rig profile {self.name!r} maps no Action Unit to any key; "
                "give at least one key a driver such as {'AU12_L': 1.0}."
            )
        seen: dict[str, str] = {}
        for key in self.all_keys:
            norm = normalize_name(key)
            if norm in seen:
                raise InputError(
                    f"Rig profile {self.name!r} lists {key!r} and {seen[norm]!r}, "
                    "which are the same key; keep one."
                )
            seen[norm] = key
        for t in self.targets:
            check_drivers(t)
        check_extras(self)
        check_shaping(self)

    @property
    def keys(self) -> tuple[str, ...]:
        """All key names of the profile, in order."""
        return tuple(t.key for t in self.targets)

    @property
    def all_keys(self) -> tuple[str, ...]:
        """AU-driven keys, then emotion-driven keys."""
        return self.keys + tuple(k for k, _ in self.emotion_keys)

    def shape(self, key: str, values: np.ndarray) -> np.ndarray:
        """``clip(values + offset, lo, hi)`` for ``key`` (unchanged without offset or clamp)."""
        offset = dict(self.key_offsets).get(key, 0.0)
        lo, hi = dict(self.key_clamps).get(key, (0.0, 1.0))
        if offset == 0.0 and (lo, hi) == (0.0, 1.0):
            return values
        return np.clip(np.asarray(values, dtype=float) + offset, lo, hi)

    def key_gain(self, key: str) -> float:
        """The gain on ``key``'s output (1 unless ``key_gains`` says otherwise)."""
        return dict(self.key_gains).get(key, 1.0)

    def emotion_gain_array(self) -> np.ndarray:
        """``emotion_gains`` as a (7,) array in :data:`EMOTION_NAMES` order (ones by default)."""
        out = np.ones(len(EMOTION_NAMES))
        for name, gain in self.emotion_gains:
            out[EMOTION_NAMES.index(name)] = gain
        return out

    @classmethod
    def from_mapping(
        cls,
        name: str,
        keys: Mapping[str, Mapping[str, float]],
        *,
        description: str = "",
        fallbacks: Mapping[str, Sequence[str]] | None = None,
        antagonists: Iterable[KeyAntagonist] = (),
        key_gains: Mapping[str, float] | None = None,
        emotion_gains: Mapping[str, float] | None = None,
        key_offsets: Mapping[str, float] | None = None,
        key_clamps: Mapping[str, Sequence[float]] | None = None,
        emotion_keys: Mapping[str, Mapping[str, float]] | None = None,
    ) -> RigProfile:
        """Build a profile from ``{key: {AU or ARKit name: weight}}`` (names in any spelling).

        Key names in ``antagonists`` and ``key_gains`` may use any naming style of a key in
        ``keys``; emotion names may be aliases (``"happy"``). Override pairs are kept before
        symmetric ones (the order they are resolved in), each kind in the order given.

        Raises:
            InputError: On unknown AU, key or emotion names, non-numeric or out-of-range
                weights and gains, or an empty mapping.
        """
        if not isinstance(keys, Mapping):
            raise InputError(f"Rig profile {name!r}: 'keys' must be a mapping of key -> AUs.")
        targets = []
        for key, aus in keys.items():
            if not isinstance(aus, Mapping):
                raise InputError(f"Key {key!r}: expected a mapping of AU -> weight, got {aus!r}.")
            drivers, spec = expand_drivers(key, aus)
            only = tuple((fallbacks or {}).get(key, ()))
            targets.append(KeyTarget(str(key), drivers, only, spec))
        emo = parse_emotion_keys(emotion_keys or {})
        own = {normalize_name(k): str(k) for k in (*keys, *(k for k, _ in emo))}
        pairs = tuple(
            KeyAntagonist(own_key(own, p.first), own_key(own, p.second), p.first_overrides)
            for p in sorted(antagonists, key=lambda p: not p.first_overrides)  # overrides first
        )
        kg = tuple(
            (own_key(own, k), check_gain(g, f"key gain of {k!r}"))
            for k, g in (key_gains or {}).items()
        )
        eg = tuple(
            (canonical_emotion_name(e), check_gain(g, f"emotion gain of {e!r}"))
            for e, g in (emotion_gains or {}).items()
        )
        offsets = tuple(
            (own_key(own, k), check_offset(v, f"offset of {k!r}"))
            for k, v in (key_offsets or {}).items()
        )
        clamps = tuple(
            (own_key(own, k), check_clamp(v, f"clamp of {k!r}"))
            for k, v in (key_clamps or {}).items()
        )
        return cls(str(name), tuple(targets), description, pairs, kg, eg, offsets, clamps, emo)

    def to_dict(self) -> dict:
        """A JSON-ready dict (see the module docstring for the schema)."""
        return {
            "schema_version": PROFILE_SCHEMA_VERSION,
            "kind": "rig_profile",
            "name": self.name,
            "description": self.description,
            "keys": {t.key: dict(t.spec or t.drivers) for t in self.targets},
            "fallbacks": {
                t.key: list(t.only_if_missing) for t in self.targets if t.only_if_missing
            },
            "antagonists": [[p.first, p.second] for p in self.antagonists if not p.first_overrides],
            "overrides": [[p.first, p.second] for p in self.antagonists if p.first_overrides],
            "key_gains": dict(self.key_gains),
            "emotion_gains": dict(self.emotion_gains),
            **self._shaping_dict(),
        }

    def _shaping_dict(self) -> dict:
        """The optional fields added after version 1 (only those in use, so old files stay)."""
        out: dict = {}
        if self.key_offsets:
            out["key_offsets"] = dict(self.key_offsets)
        if self.key_clamps:
            out["key_clamps"] = {k: list(v) for k, v in self.key_clamps}
        if self.emotion_keys:
            out["emotion_keys"] = {k: dict(v) for k, v in self.emotion_keys}
        return out


def _name(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{what} must be a non-empty string, got {clip_text(repr(value), 60)}.")
    if len(value) > MAX_NAME_CHARS:
        raise InputError(f"{what} {clip_text(value, 40)!r} is over {MAX_NAME_CHARS} characters.")
    return value


def _mapping(data: Mapping, field: str, what: str, limits: Limits) -> Mapping:
    value = data.get(field) or {}
    if not isinstance(value, Mapping):
        raise InputError(f"{field!r} must map {what}.")
    check_count(len(value), limits.max_channels, f"entries in {field!r}", "The rig profile")
    return value


def _pairs(data: Mapping, field: str, overrides: bool, limits: Limits) -> list[KeyAntagonist]:
    items = data.get(field) or []
    if not isinstance(items, list) or not all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(k, str) for k in p) for p in items
    ):
        raise InputError(f"{field!r} must be a list of [key, key] pairs.")
    check_count(len(items), limits.max_items, f"pairs in {field!r}", "The rig profile")
    return [KeyAntagonist(_name(a, "A key"), _name(b, "A key"), overrides) for a, b in items]


def _gain_map(data: Mapping, field: str, limits: Limits) -> dict[str, float]:
    gains = _mapping(data, field, "names to gains", limits)
    return {_name(k, "A name"): finite_number(g, f"{field} of {k!r}") for k, g in gains.items()}


def _clamps(data: Mapping, limits: Limits) -> dict[str, list]:
    clamps = _mapping(data, "key_clamps", "key names to [low, high] pairs", limits)
    out = {}
    for key, pair in clamps.items():
        if not isinstance(pair, list) or len(pair) != 2:
            raise InputError(f"'key_clamps' of {clip_text(key, 60)!r} must be a [low, high] pair.")
        out[_name(key, "A key name")] = [finite_number(v, f"Clamp of {key!r}") for v in pair]
    return out


def _keys(data: Mapping, limits: Limits, field: str = "keys") -> dict[str, dict[str, float]]:
    """``keys``: names checked, AU weights finite numbers (before the profile's own checks)."""
    keys = _mapping(data, field, "key names to {name: weight} mappings", limits)
    out = {}
    for key, aus in keys.items():
        if not isinstance(aus, Mapping):
            raise InputError(f"Key {clip_text(key, 60)!r}: expected a mapping of AU -> weight.")
        check_count(
            len(aus), limits.max_channels, f"AUs on key {clip_text(key, 40)!r}", "The rig profile"
        )
        out[_name(key, "A key name")] = {
            _name(au, "An AU name"): finite_number(w, f"Weight of {au!r} on {key!r}")
            for au, w in aus.items()
        }
    return out


def _fallbacks(data: Mapping, limits: Limits) -> dict[str, list[str]]:
    fallbacks = _mapping(data, "fallbacks", "key names to lists of key names", limits)
    out = {}
    for key, names in fallbacks.items():
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise InputError(f"'fallbacks' of {clip_text(key, 60)!r} must be a list of key names.")
        out[_name(key, "A key name")] = [_name(n, "A key name") for n in names]
    return out


def profile_from_dict(data: Mapping, *, limits: Limits = DEFAULT_LIMITS) -> RigProfile:
    """Build a profile from its JSON form (schema in the module docstring).

    Args:
        data: The parsed JSON document.
        limits: Caps on keys (``max_channels``) and pairs (``max_items``).

    Raises:
        InputError: On a wrong kind or version, missing fields, wrong types, too many
            entries, or invalid content.
    """
    if not isinstance(data, Mapping):
        raise InputError("A rig profile must be a JSON object.")
    version = data.get("schema_version")
    if isinstance(version, bool) or version != PROFILE_SCHEMA_VERSION:
        raise InputError(
            f"Unsupported rig profile schema_version {clip_text(repr(version), 40)}; "
            f"this version reads {PROFILE_SCHEMA_VERSION}."
        )
    if data.get("kind", "rig_profile") != "rig_profile":
        got = clip_text(repr(data.get("kind")), 40)
        raise InputError(f"Expected a rig_profile, got kind {got}.")
    if not isinstance(data.get("name"), str) or not data["name"].strip():
        raise InputError("A rig profile needs a non-empty 'name'.")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise InputError("A rig profile's 'description' must be a string.")
    pairs = _pairs(data, "antagonists", False, limits) + _pairs(data, "overrides", True, limits)
    return RigProfile.from_mapping(
        _name(data["name"], "The profile name"),
        _keys(data, limits),
        description=clip_text(description, 1000),
        fallbacks=_fallbacks(data, limits),
        antagonists=pairs,
        key_gains=_gain_map(data, "key_gains", limits),
        emotion_gains=_gain_map(data, "emotion_gains", limits),
        key_offsets=_gain_map(data, "key_offsets", limits),
        key_clamps=_clamps(data, limits),
        emotion_keys=_keys(data, limits, "emotion_keys"),
    )


def load_profile(path: str | os.PathLike, *, limits: Limits | None = None) -> RigProfile:
    """Read and validate a JSON rig profile (UTF-8, with or without a byte-order mark).

    Args:
        path: The file.
        limits: Caps; by default :data:`~.limits.DEFAULT_LIMITS` with ``max_bytes`` lowered to
            :data:`MAX_PROFILE_BYTES`.

    Raises:
        InputError: If the file is missing, too large, not UTF-8, not JSON, nested too deep,
            or not a valid profile; the message names the file.
    """
    limits = limits or replace(DEFAULT_LIMITS, max_bytes=MAX_PROFILE_BYTES)
    source = f"Rig profile {str(path)!r}"
    data = read_json(path, source, limits)
    try:
        return profile_from_dict(data, limits=limits)
    except InputError as exc:
        raise InputError(f"{source}: {exc}") from None


def save_profile(profile: RigProfile, path: str | os.PathLike) -> None:
    """Write a profile as JSON (UTF-8, indented), atomically.

    Raises:
        InputError: The file cannot be written (the message names it).
    """
    atomic_write_text(path, json.dumps(profile.to_dict(), indent=2) + "\n")
