"""Mapping profiles suggested from a rig's own key names, and what such a face can express.

:func:`suggest_profile` reads every shape-key name through the alias table of
:mod:`.rig_aliases` and returns a :class:`~.rig_profile.RigProfile` whose keys are the rig's
actual names: channel-level keys get their engine channels as drivers (``{"Mouth_Smile_L":
{"mouthSmileLeft": 1.0}}``), whole-face keys (VRoid ``Fcl_ALL_Joy``, VRM ``happy``) become
``emotion_keys``. It also returns a :class:`MappingCoverage`: which channels drive which keys,
which keys no family knows, and which emotions the face cannot show.

Rules that keep two keys from doing one job twice:

* fallback keys (:func:`.rig_aliases.is_fallback`: visemes such as ``Fcl_MTH_A``, ``aa``,
  ``viseme_aa``; one key for both sides such as ``mouthSmile``, ``Blink``; ``mouthOpen``) take
  their channels only when no other key of the rig takes them all (a ReadyPlayerMe head has
  ``jawOpen`` *and* ``viseme_aa`` and ``mouthOpen``, ``mouthSmileLeft`` *and* ``mouthSmile``);
* ARKit's antagonist key pairs (smile/frown, blink over wide...) carry over to the rig's keys
  that stand for those channels, so the suggestion resolves them as the ARKit profile does;
* of the expression-level keys, VRoid's whole-face ``Fcl_ALL_*`` win over VRM presets, which win
  over VRoid's part keys (``Fcl_BRW_*``, ``Fcl_EYE_*``, ``Fcl_MTH_*``, driven together only when
  the rig has no whole-face key).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from .antagonists import KeyAntagonist
from .emotions import EMOTION_NAMES
from .errors import InputError
from .facs import PROTOTYPES, expand_au
from .names import normalize_name
from .rig_aliases import EMOTION_PREFIX, family_of, is_fallback, suggest_channels
from .rig_profile import ARKIT_CHANNELS, RigProfile
from .rig_tables import ARKIT_52, ARKIT_ANTAGONISTS, ARKIT_TABLE, FACS_FALLBACKS

__all__ = ["MappingCoverage", "profile_coverage", "suggest_profile"]

EXPRESSIBLE_SHARE = 0.5
"""An emotion counts as expressible when the face can show this share of its AU prototype."""


@dataclass(frozen=True)
class MappingCoverage:
    """What a profile does on one rig.

    Attributes:
        channel_keys: ``(engine channel, rig keys)`` for every channel some key takes: ARKit
            names, AU names, or ``emotion:<name>`` for whole-face keys.
        unmapped_keys: Rig keys the profile does not drive.
        missing_channels: ARKit channels no rig key takes.
        emotions: ``(emotion, share)``: the share of the emotion's AU prototype the face can
            show (1.0 when a whole-face key shows it).
    """

    channel_keys: tuple[tuple[str, tuple[str, ...]], ...]
    unmapped_keys: tuple[str, ...]
    missing_channels: tuple[str, ...]
    emotions: tuple[tuple[str, float], ...]

    @property
    def inexpressible(self) -> tuple[str, ...]:
        """Emotions (not neutral) the face shows less than :data:`EXPRESSIBLE_SHARE` of."""
        return tuple(e for e, s in self.emotions if e != "neutral" and s < EXPRESSIBLE_SHARE)

    def describe(self) -> str:
        """One line for users: how many keys are mapped, what is left out."""
        mapped = sorted({k for _, keys in self.channel_keys for k in keys})
        parts = [f"{len(mapped)} shape key(s) mapped to {len(self.channel_keys)} channel(s)"]
        if self.unmapped_keys:
            shown = ", ".join(repr(k) for k in self.unmapped_keys[:6])
            more = "..." if len(self.unmapped_keys) > 6 else ""
            parts.append(f"{len(self.unmapped_keys)} not mapped ({shown}{more})")
        if self.inexpressible:
            parts.append(f"the face cannot show {', '.join(self.inexpressible)}")
        return "; ".join(parts) + "."


def _emotion_group(name: str) -> int:
    """0 = VRoid whole face, 1 = VRM preset, 2 = VRoid part key (lower wins)."""
    low = name.lower()
    if low.startswith("fcl_all"):
        return 0
    return 2 if low.startswith("fcl_") else 1


def suggest_profile(
    key_names: Iterable[str], name: str = "suggested"
) -> tuple[RigProfile | None, MappingCoverage]:
    """Suggest a mapping profile for a rig from its shape-key names.

    Args:
        key_names: The rig's key names (``Basis`` is ignored).
        name: The profile's name.

    Returns:
        The profile (None when no key maps to anything) and its coverage on these keys.
    """
    return _suggest(tuple(str(n) for n in key_names), str(name))


@lru_cache(maxsize=64)
def _suggest(key_names: tuple[str, ...], name: str) -> tuple[RigProfile | None, MappingCoverage]:
    """:func:`suggest_profile` on hashable input (profiles are frozen, so sharing is safe)."""
    names = _unique(list(key_names))
    channel: dict[str, dict[str, float]] = {}
    emotion: dict[str, dict[str, float]] = {}
    for key in names:
        spec = suggest_channels(key)
        if spec is None:
            continue
        if all(c.startswith(EMOTION_PREFIX) for c in spec):
            emotion[key] = {c.removeprefix(EMOTION_PREFIX): w for c, w in spec.items()}
        else:
            channel[key] = spec
    present = {normalize_name(n) for n in names}
    for combined, sided in FACS_FALLBACKS.items():
        actual = next((k for k in channel if normalize_name(k) == normalize_name(combined)), None)
        if actual is not None and any(normalize_name(s) in present for s in sided):
            del channel[actual]  # AU01 only when the rig has neither AU01_L nor AU01_R
    channel = _without_doubles(channel)
    if emotion:
        best = min(_emotion_group(k) for k in emotion)
        emotion = {k: s for k, s in emotion.items() if _emotion_group(k) == best}
    profile = None
    if channel or emotion:
        try:
            profile = RigProfile.from_mapping(
                name,
                channel,
                description="Suggested from the rig's key names (rig_aliases).",
                antagonists=_antagonists(channel),
                emotion_keys=emotion,
            )
        except InputError:  # only undriven keys (gaze, tongue): nothing the engine can move
            profile = None
    return profile, profile_coverage(profile, names)


def _without_doubles(channel: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """Drop fallback keys whose channels other keys all take: regular keys first, then
    fallbacks that are not visemes (``mouthOpen``, ``mouthSmile``), then visemes."""

    def rank(key: str) -> int:
        if not is_fallback(key):
            return 0
        return 2 if family_of(key) == "viseme" else 1

    taken: set[str] = set()
    kept: dict[str, dict[str, float]] = {}
    for r in range(3):
        keys = [k for k in channel if rank(k) == r and (r == 0 or not set(channel[k]) <= taken)]
        for k in keys:
            kept[k] = channel[k]
        taken |= {c for k in keys for c in channel[k]}
    return {k: s for k, s in channel.items() if k in kept}  # in the rig's order


def _antagonists(channel: Mapping[str, Mapping[str, float]]) -> list[KeyAntagonist]:
    """ARKit's antagonist pairs (:data:`.rig_tables.ARKIT_ANTAGONISTS`) in the rig's key names.

    Only keys that are one ARKit channel each take part (a key mixing several is left alone).
    """
    keys: dict[str, list[str]] = {}
    for key, spec in channel.items():
        if len(spec) == 1:
            arkit = ARKIT_CHANNELS.get(normalize_name(next(iter(spec))))
            if arkit is not None:
                keys.setdefault(arkit, []).append(key)
    return [
        KeyAntagonist(a, b, pair.first_overrides)
        for pair in ARKIT_ANTAGONISTS
        for a in keys.get(pair.first, ())
        for b in keys.get(pair.second, ())
    ]


def _unique(names: list[str]) -> list[str]:
    """Names without Basis and without later look-alikes (same key in another style)."""
    seen: set[str] = set()
    out = []
    for n in names:
        norm = normalize_name(n)
        if norm == "basis" or norm in seen:
            continue
        seen.add(norm)
        out.append(n)
    return out


def _channels_of(spec: Mapping[str, float]) -> list[str]:
    """Engine channel names of a written driver spec (ARKit names kept, AUs per channel)."""
    out = []
    for name, weight in spec.items():
        arkit = ARKIT_CHANNELS.get(normalize_name(name))
        if arkit is not None:
            out.append(arkit)
        else:
            out.extend(ch for ch, _ in expand_au(name, weight))
    return out


def profile_coverage(profile: RigProfile | None, key_names: Iterable[str]) -> MappingCoverage:
    """Which channels drive which of the rig's keys through ``profile``, and what is missing.

    Profile keys match rig keys in any naming style.
    """
    names = _unique([str(n) for n in key_names])
    index = {normalize_name(n): n for n in names}
    reach: dict[str, list[str]] = {}
    au_reach: set[str] = set()
    shown: set[str] = set()
    used: set[str] = set()
    if profile is not None:
        for t in profile.targets:
            actual = index.get(normalize_name(t.key))
            if actual is None:
                continue
            used.add(actual)
            for ch in _channels_of(dict(t.spec or t.drivers)):
                reach.setdefault(ch, []).append(actual)
            au_reach.update(ch for ch, w in t.drivers if w > 0)
        for key, spec in profile.emotion_keys:
            actual = index.get(normalize_name(key))
            if actual is None:
                continue
            used.add(actual)
            for emo, w in spec:
                reach.setdefault(f"{EMOTION_PREFIX}{emo}", []).append(actual)
                if w >= EXPRESSIBLE_SHARE:
                    shown.add(emo)
    arkit_reached = {a for a in ARKIT_52 if a in reach} | _arkit_via_aus(au_reach)
    return MappingCoverage(
        tuple((ch, tuple(keys)) for ch, keys in reach.items()),
        tuple(n for n in names if n not in used),
        tuple(a for a in ARKIT_52 if a not in arkit_reached),
        tuple((e, 1.0 if e in shown else _share(e, au_reach)) for e in EMOTION_NAMES),
    )


def _arkit_via_aus(au_reach: set[str]) -> set[str]:
    """ARKit channels whose whole AU mix the rig can show (a MetaHuman or FACS rig)."""
    out = set()
    for name, aus in ARKIT_TABLE.items():
        chans = {ch for au, w in aus.items() for ch, _ in expand_au(au, w)}
        if chans and chans <= au_reach:
            out.add(name)
    return out


def _share(emotion: str, au_reach: set[str]) -> float:
    proto = PROTOTYPES.get(emotion, {})
    total = reached = 0.0
    for au, w in proto.items():
        for ch, part in expand_au(au, w):
            total += part
            reached += part if ch in au_reach else 0.0
    return reached / total if total else 1.0
