"""Rig profiles: which shape keys express which Action Units, and auto-detection from key names.

A :class:`RigProfile` lists shape-key targets, each driven by a weighted sum of AU channels
(one AU may drive several keys, one key may mix several AUs). The shape-key value is
``clip(gain * sum_i weight_i * AU_i, 0, 1)``: a linear map, so a whole performance is mapped with
one matrix product (:meth:`RigMatch.matrix`), and then antagonist key pairs are resolved.

Built-in profiles (tables in :mod:`.rig_tables`):

* ``arkit52`` - Apple ARKit's 52 blendshapes (``browDownLeft``, ``mouthSmileLeft``, ``jawOpen``...).
* ``metahuman`` - MetaHuman-style control names as used in paper 000, Table 4 (``browRaiseInL``,
  ``mouthCornerPullR``, ``mouthLipsTogetherDL``...). The paper's table note says L/R are "relative
  to the viewer's perspective"; MetaHuman's own rig (and FACS) use the character's left, which we
  follow. A rig built the other way round can be described with a JSON profile.
* ``facs`` - FACS-coded names (``AU01``, ``AU12_L``, ``AU26``). A combined key such as ``AU01``
  is only driven when the rig has neither ``AU01_L`` nor ``AU01_R`` (no double counting).

Rigs of other naming families (Character Creator 4, Daz Genesis 8.1/9, MakeHuman, VRoid/VRM,
ReadyPlayerMe...) get a profile suggested from their key names (:mod:`.rig_aliases`,
:func:`.rig_mapping.suggest_profile`), which :func:`detect_profile` tries after the built-ins;
whole-face keys (``Fcl_ALL_Joy``) are driven by emotions in :mod:`.any_rig`.

:func:`detect_profile` matches a rig's key names against every profile regardless of case and
separator style (``mouthSmileLeft``, ``MouthSmile_L`` and ``mouth_smile_left`` are one key; a
prefix shared by all keys such as ``CTRL_expressions_`` is ignored) and returns a
:class:`RigMatch` with the mapping to the rig's actual names and a :class:`Coverage` report.
User profiles are JSON files (:func:`load_profile`, :func:`save_profile`). The profile itself,
with its antagonist key pairs and per-key / per-emotion gains, is :mod:`.rig_profile`; a match
applies the key gains in :meth:`RigMatch.matrix` and names the antagonist pairs in the rig's own
key names (:attr:`RigMatch.antagonists`), which :func:`.synthesis.map_to_rig` resolves.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .antagonists import KeyAntagonist
from .errors import InputError, RigError
from .facs import AU_CATALOGUE, AU_CHANNELS, CHANNEL_INDEX
from .names import normalize_name
from .rig_profile import (
    PROFILE_SCHEMA_VERSION,
    KeyTarget,
    RigProfile,
    load_profile,
    profile_from_dict,
    save_profile,
)
from .rig_tables import (
    ARKIT_ANTAGONISTS,
    ARKIT_TABLE,
    FACS_ANTAGONISTS,
    FACS_FALLBACKS,
    FACS_TABLE,
    METAHUMAN_ANTAGONISTS,
    METAHUMAN_TABLE,
)

__all__ = [
    "BUILTIN_PROFILES",
    "PROFILE_SCHEMA_VERSION",
    "Coverage",
    "KeyTarget",
    "RigMatch",
    "RigProfile",
    "builtin_profile",
    "detect_profile",
    "load_profile",
    "match_profile",
    "profile_from_dict",
    "save_profile",
]

BUILTIN_PROFILES: dict[str, RigProfile] = {
    "arkit52": RigProfile.from_mapping(
        "arkit52",
        ARKIT_TABLE,
        description="Apple ARKit 52 blendshapes (Live Link Face).",
        antagonists=ARKIT_ANTAGONISTS,
    ),
    "metahuman": RigProfile.from_mapping(
        "metahuman",
        METAHUMAN_TABLE,
        description="MetaHuman-style face controls (paper 000).",
        antagonists=METAHUMAN_ANTAGONISTS,
    ),
    "facs": RigProfile.from_mapping(
        "facs",
        FACS_TABLE,
        description="FACS-coded keys (AU01, AU12_L...).",
        fallbacks=FACS_FALLBACKS,
        antagonists=FACS_ANTAGONISTS,
    ),
}


@dataclass(frozen=True)
class Coverage:
    """Which AU channels a rig can express through a profile.

    Attributes:
        expressible: Channels at least one present key responds to.
        missing: Channels no present key responds to.
        partial: Expressible channels for which some of the profile's keys are absent.
    """

    expressible: tuple[str, ...]
    missing: tuple[str, ...]
    partial: tuple[str, ...] = ()

    @property
    def fraction(self) -> float:
        """Share of engine channels the rig can express (0..1)."""
        return len(self.expressible) / len(AU_CHANNELS)

    def missing_aus(self) -> tuple[str, ...]:
        """Missing channels grouped per AU: ``AU9`` when both sides are missing, else ``AU9_L``."""
        out = []
        gone = set(self.missing)
        for au in AU_CATALOGUE.values():
            chans = au.channels()
            if all(c in gone for c in chans):
                out.append(au.code)
            else:
                out.extend(c for c in chans if c in gone)
        return tuple(out)

    def describe(self) -> str:
        """One line for users, naming the AUs the rig cannot express."""
        if not self.missing:
            return f"The rig can express all {len(AU_CHANNELS)} AU channels."
        names = ", ".join(f"{a} ({AU_CATALOGUE[a.split('_')[0]].name})" for a in self.missing_aus())
        return (
            f"The rig cannot express {len(self.missing)} of {len(AU_CHANNELS)} AU channels: "
            f"{names}. Add matching shape keys or load a JSON rig profile that maps them."
        )


@dataclass(frozen=True)
class RigMatch:
    """A profile matched against a rig's actual shape-key names.

    Attributes:
        profile: The matched profile.
        key_map: Profile key -> the rig's actual key name, for every active matched target.
        coverage: What the rig can and cannot express.
        unmatched: Rig key names the profile does not know.
        notes: Non-fatal remarks (e.g. two rig keys that differ only in style).
    """

    profile: RigProfile
    key_map: Mapping[str, str]
    coverage: Coverage
    unmatched: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @cached_property
    def _driven(self) -> tuple[tuple[str, ...], np.ndarray]:
        rows, names = [], []
        gains = dict(self.profile.key_gains)
        for t in self.profile.targets:
            if t.key in self.key_map and t.drivers:
                row = np.zeros(len(AU_CHANNELS))
                for channel, weight in t.drivers:
                    row[CHANNEL_INDEX[channel]] += weight
                rows.append(row * gains.get(t.key, 1.0))
                names.append(self.key_map[t.key])
        return tuple(names), np.array(rows).reshape(len(rows), len(AU_CHANNELS))

    @property
    def driven_keys(self) -> tuple[str, ...]:
        """The rig's actual key names that some AU drives, in profile order."""
        return self._driven[0]

    def matrix(self) -> np.ndarray:
        """The (len(driven_keys), len(AU_CHANNELS)) AU -> key weight matrix (key gains applied)."""
        return self._driven[1]

    @cached_property
    def antagonists(self) -> tuple[KeyAntagonist, ...]:
        """The profile's antagonist pairs whose two keys the rig drives, in the rig's names."""
        driven = set(self.driven_keys)
        out = []
        for pair in self.profile.antagonists:
            a, b = self.key_map.get(pair.first), self.key_map.get(pair.second)
            if a in driven and b in driven:
                out.append(KeyAntagonist(a, b, pair.first_overrides))
        return tuple(out)


def builtin_profile(name: str) -> RigProfile:
    """The built-in profile called ``name``.

    Raises:
        InputError: If no built-in profile has that name.
    """
    if name not in BUILTIN_PROFILES:
        raise InputError(
            f"Unknown rig profile {name!r}; use one of {', '.join(BUILTIN_PROFILES)} "
            "or load a JSON profile."
        )
    return BUILTIN_PROFILES[name]


def _strip_common_prefix(names: Sequence[str]) -> dict[str, str]:
    """Map each name to itself without a prefix all of them share (cut at a separator)."""
    body = [n for n in names if normalize_name(n) != "basis"]
    if len(body) < 2:
        return {}
    prefix = os.path.commonprefix([n.lower() for n in body])
    cut = max(prefix.rfind(c) for c in "_.:|- ")
    if cut < 0:
        return {}
    return {n: n[cut + 1 :] for n in body if len(n) > cut + 1}


def _rig_index(names: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """Normalised name -> actual rig name (raw names win over prefix-stripped ones)."""
    index: dict[str, str] = {}
    notes = []
    for name in names:
        norm = normalize_name(name)
        if norm in index:
            notes.append(f"Shape keys {index[norm]!r} and {name!r} look alike; using the first.")
            continue
        index[norm] = name
    for name, short in _strip_common_prefix(names).items():
        index.setdefault(normalize_name(short), name)
    return index, notes


def match_profile(profile: RigProfile, shape_key_names: Iterable[str]) -> RigMatch:
    """Match one profile against a rig's shape-key names.

    Args:
        profile: The profile to match.
        shape_key_names: The rig's key names, e.g. ``[k.name for k in key.key_blocks]``.

    Returns:
        The :class:`RigMatch` (possibly with nothing matched).
    """
    names = [str(n) for n in shape_key_names]
    index, notes = _rig_index(names)
    present = {
        t.key: index[normalize_name(t.key)]
        for t in profile.targets
        if normalize_name(t.key) in index
    }
    active = {
        key: actual
        for key, actual in present.items()
        if not any(o in present for o in _target(profile, key).only_if_missing)
    }
    used = set(active.values())
    unmatched = tuple(n for n in names if n not in used and normalize_name(n) != "basis")
    return RigMatch(profile, active, _coverage(profile, active), unmatched, tuple(notes))


def _target(profile: RigProfile, key: str) -> KeyTarget:
    return next(t for t in profile.targets if t.key == key)


def _coverage(profile: RigProfile, active: Mapping[str, str]) -> Coverage:
    reach: dict[str, set[str]] = {c: set() for c in AU_CHANNELS}
    wanted: dict[str, set[str]] = {c: set() for c in AU_CHANNELS}
    for t in profile.targets:
        for channel, weight in t.drivers:
            if weight > 0:
                if not t.only_if_missing:
                    wanted[channel].add(t.key)
                if t.key in active:
                    reach[channel].add(t.key)
    expressible = tuple(c for c in AU_CHANNELS if reach[c])
    missing = tuple(c for c in AU_CHANNELS if not reach[c])
    partial = tuple(c for c in expressible if wanted[c] - reach[c])
    return Coverage(expressible, missing, partial)


def _default_candidates(names: Sequence[str]) -> list[RigProfile]:
    """The built-in profiles, then the one suggested from the names (it wins only if better)."""
    from .rig_mapping import suggest_profile  # rig_mapping builds on this module's siblings

    suggested, _ = suggest_profile(names)
    extra = [suggested] if suggested is not None and suggested.targets else []
    return list(BUILTIN_PROFILES.values()) + extra


def detect_profile(
    shape_key_names: Iterable[str], profiles: Iterable[RigProfile] | None = None
) -> RigMatch:
    """Pick the profile that best fits a rig's shape-key names.

    The winner expresses the most AU channels; ties go to the profile that matched more keys,
    then to the earlier profile. Without ``profiles`` the candidates are the built-ins and, last,
    the profile :func:`.rig_mapping.suggest_profile` makes from the names (CC4, Daz, MakeHuman
    and other families of :mod:`.rig_aliases`).

    Args:
        shape_key_names: The rig's key names (``Basis`` is ignored).
        profiles: Candidates; the built-in profiles if None.

    Returns:
        The best :class:`RigMatch`.

    Raises:
        RigError: If there are no shape keys or none of them belongs to any candidate profile.
    """
    names = [str(n) for n in shape_key_names]
    if not [n for n in names if normalize_name(n) != "basis"]:
        raise RigError("The object has no shape keys to animate; add shape keys (e.g. ARKit's).")
    candidates = list(profiles) if profiles is not None else _default_candidates(names)
    if not candidates:
        raise InputError("No rig profiles to choose from; pass at least one profile.")
    matches = [match_profile(p, names) for p in candidates]
    builtin = {id(p) for p in BUILTIN_PROFILES.values()}
    suggested = [profiles is None and id(m.profile) not in builtin for m in matches]
    best = max(
        range(len(matches)),
        key=lambda i: (
            len(matches[i].coverage.expressible),
            not suggested[i],  # the suggestion wins only by expressing more
            len(matches[i].key_map),
            -i,
        ),
    )
    if not matches[best].coverage.expressible:
        sample = ", ".join(repr(n) for n in names[:4])
        raise RigError(
            f"None of the {len(names)} shape keys ({sample}...) matches the ARKit, MetaHuman or "
            "FACS naming; rename the keys (e.g. 'mouthSmileLeft') or load a JSON rig profile."
        )
    return matches[best]
