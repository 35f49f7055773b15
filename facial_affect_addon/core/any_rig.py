"""Synthesis for any rig: AU-level keys through the profile, whole-face keys from the emotions.

:func:`synthesize_any` is :func:`.synthesis.synthesize` plus what a mapping profile adds:

* **emotion keys** (VRoid ``Fcl_ALL_Joy``, VRM ``happy``): the timeline's emotion weights run
  through the same state machine as the AUs (:func:`.timeline.plan_keyframes`, so the rise, hold,
  cross-fade and fall match the AU keys), times the event and global intensity and the profile's
  emotion gains; a key's value is ``clip(gain * sum_e w_e * E_e(t), 0, 1)``;
* **offsets and clamps** per key (:meth:`.rig_profile.RigProfile.shape`);
* **unknown names do not block**: keys the profile does not know stay unkeyed and are named in
  a warning; only a rig on which nothing at all maps is refused (:class:`~.errors.RigError`).

:func:`rig_drive` resolves a profile on one rig once (a :class:`RigDrive`); the bake and the live
preview (:class:`.live.LivePreview`) both drive the rig through it, so a whole-face key, an
offset or a clamp reads the same in the viewport as in the baked take.

:func:`auto_profile` picks the profile when the user gave none: a built-in one (ARKit,
MetaHuman, FACS) when it expresses at least as much as the suggestion from the key names
(:func:`.rig_mapping.suggest_profile`) and the rig has no emotion keys, else the suggestion.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

import numpy as np

from .curves import displacement_for_intensity, frame_times
from .curveset import CurveSet
from .emotions import EMOTION_NAMES
from .errors import RigError
from .names import normalize_name
from .rig_mapping import profile_coverage, suggest_profile
from .rigs import (
    BUILTIN_PROFILES,
    RigMatch,
    RigProfile,
    builtin_profile,
    detect_profile,
    match_profile,
)
from .synthesis import synthesize, synthesize_au
from .synthesis_options import SynthesisMode, SynthesisOptions, synthesis_options
from .timeline import Timeline, TransitionSettings, emotion_levels, plan_keyframes

__all__ = ["RigDrive", "auto_profile", "emotion_tracks", "rig_drive", "synthesize_any"]

EmotionSpec = tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class RigDrive:
    """A profile resolved on one rig: every key the bake and the live preview drive.

    Attributes:
        profile: The user's profile, or :func:`auto_profile`'s choice.
        match: The profile's AU-level keys on the rig.
        emotion_keys: ``(rig key, profile key, ((emotion, weight), ...))`` for the whole-face
            keys the rig has.
        given: True when the user gave the profile.
    """

    profile: RigProfile
    match: RigMatch
    emotion_keys: tuple[tuple[str, str, EmotionSpec], ...]
    given: bool

    @property
    def keys(self) -> tuple[str, ...]:
        """The rig keys driven: AU-level keys, then whole-face keys."""
        return self.match.driven_keys + tuple(k for k, _, _ in self.emotion_keys)

    @property
    def own(self) -> dict[str, str]:
        """Rig key -> the profile's name for it."""
        out = {actual: key for key, actual in self.match.key_map.items()}
        out.update({actual: key for actual, key, _ in self.emotion_keys})
        return out

    def emotion_values(self, levels: np.ndarray) -> dict[str, np.ndarray]:
        """Whole-face keys from emotion levels ``(..., 7)``: ``clip(gain * sum w_e L_e, 0, 1)``."""
        levels = np.asarray(levels, dtype=float)
        out = {}
        for actual, key, spec in self.emotion_keys:
            drive = sum(w * levels[..., EMOTION_NAMES.index(e)] for e, w in spec)
            out[actual] = np.clip(self.profile.key_gain(key) * drive, 0.0, 1.0)
        return out

    def shape(self, channels: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Each key's offset and clamp applied (:meth:`.rig_profile.RigProfile.shape`)."""
        own = self.own
        return {k: self.profile.shape(own.get(k, k), v) for k, v in channels.items()}


def rig_drive(shape_key_names: Iterable[str], profile: RigProfile | str | None = None) -> RigDrive:
    """Resolve a profile on a rig (the user's, a built-in's name, or :func:`auto_profile`).

    Raises:
        RigError: Nothing the profile drives exists on the rig, or a given profile names keys
            the rig lacks (a profile made for another head).
        InputError: An unknown built-in profile name.
    """
    names = [str(n) for n in shape_key_names]
    if isinstance(profile, str):
        profile = builtin_profile(profile)
    given = profile is not None
    profile = profile if profile is not None else auto_profile(names)
    absent = _absent_keys(profile, names) if given else []
    if absent:  # issue 14 item 4: a mapping for another head is refused, not half applied
        raise RigError(
            f"Rig profile {profile.name!r} names {len(absent)} key(s) this rig lacks: "
            f"{_shown(absent)}; remove or rename them in the profile (cli rig suggest writes "
            "one for this head)."
        )
    match = match_profile(profile, names)
    emo = tuple((a, k, spec) for a, (k, spec) in _present_emotion_keys(profile, names).items())
    if not match.coverage.expressible and not emo:
        raise RigError(_nothing_maps(names) if not given else _none_driven(profile))
    return RigDrive(profile, match, emo, given)


def auto_profile(shape_key_names: Iterable[str]) -> RigProfile:
    """The profile for a rig without a user profile (see the module docstring).

    Raises:
        RigError: No key of the rig maps to any engine channel or emotion.
    """
    names = [str(n) for n in shape_key_names]
    suggested, _ = suggest_profile(names)
    try:
        best: RigMatch | None = detect_profile(names, list(BUILTIN_PROFILES.values()))
    except RigError:
        best = None
    if suggested is None:
        if best is not None:
            return best.profile
        raise RigError(_nothing_maps(names))
    mine = match_profile(suggested, names)
    if (
        best is not None
        and not suggested.emotion_keys
        and len(best.coverage.expressible) >= len(mine.coverage.expressible)
    ):
        return best.profile
    return suggested


def _nothing_maps(names: list[str]) -> str:
    body = [n for n in names if n.lower() != "basis"]
    if not body:
        return "The object has no shape keys to animate; add shape keys (e.g. ARKit's)."
    sample = ", ".join(repr(n) for n in body[:4])
    return (
        f"None of the {len(body)} shape keys ({sample}{'...' if len(body) > 4 else ''}) maps to "
        "a face channel or emotion; rename them (e.g. 'mouthSmileLeft') or pass a rig profile."
    )


def emotion_tracks(
    timeline: Timeline, options: SynthesisOptions, n_frames: int, gains: np.ndarray | None = None
) -> np.ndarray:
    """The emotion weights over time, (n_frames, 7) in [0, 1], :data:`EMOTION_NAMES` order.

    Each event holds ``weights * travel * gains`` with ``travel`` the event intensity times
    ``options.intensity`` through :func:`.curves.displacement_for_intensity`, as the AU synthesis
    does (static mode: the dominant emotion at the global intensity), with the AU state
    machine's timing.
    """
    events = timeline.events
    n_emo = len(EMOTION_NAMES)
    if not events or n_frames <= 0:
        return np.zeros((max(n_frames, 0), n_emo))
    if options.mode == SynthesisMode.STATIC:
        weights = np.zeros((len(events), n_emo))
        for i, e in enumerate(events):
            weights[i, EMOTION_NAMES.index(e.weights.dominant())] = 1.0
        intensity = np.full(len(events), float(options.intensity))
    else:
        weights = np.stack([e.weights.as_array() for e in events])
        intensity = np.array([e.intensity for e in events]) * options.intensity
    targets = emotion_levels(weights, displacement_for_intensity(intensity), gains)
    fps = float(options.fps)
    settings = options.transitions or TransitionSettings()
    t_end = (n_frames - 1) / fps
    track = plan_keyframes(events, targets, settings, mode=str(options.mode), fps=fps, t_end=t_end)
    return np.clip(track.evaluate(frame_times(n_frames, fps)), 0.0, 1.0)


def synthesize_any(
    timeline: Timeline,
    shape_key_names: Iterable[str],
    options: SynthesisOptions | None = None,
    profile: RigProfile | None = None,
    *,
    shaped: bool = True,
) -> CurveSet:
    """Shape-key curves for any rig (see the module docstring).

    Args:
        timeline: The emotion events.
        shape_key_names: The rig's key names.
        options: Synthesis settings.
        profile: A mapping profile; :func:`auto_profile` when None.
        shaped: Apply the profile's offsets and clamps; False leaves that to a caller that adds
            to the curves first (lip-sync: :meth:`RigDrive.shape` once, on the sum).

    Returns:
        Curves keyed by the rig's actual key names; ``warnings`` name what is not mapped.

    Raises:
        RigError: Nothing the profile drives exists on the rig, or a given profile names keys
            the rig lacks (a profile made for another head).
        InputError: Invalid options.
    """
    names = [str(n) for n in shape_key_names]
    o = synthesis_options(options, {})
    drive = rig_drive(names, profile)
    profile = drive.profile
    if drive.match.coverage.expressible:
        curves = synthesize(timeline, names, o, profile=profile)
        channels, warnings = dict(curves.channels), list(curves.warnings)
    else:
        au = synthesize_au(timeline, o, emotion_gains=profile.emotion_gain_array())
        channels, warnings = {}, [*au.warnings]
        o = replace(o, n_frames=len(au.values))
    n = len(next(iter(channels.values()))) if channels else int(o.n_frames or 0)
    if drive.emotion_keys:
        tracks = emotion_tracks(timeline, o, n, profile.emotion_gain_array())
        channels.update(drive.emotion_values(tracks))
        warnings = _emotion_rig_warnings(warnings, drive.match, profile, names)
    channels = drive.shape(channels) if shaped else channels
    warnings += _mapping_warnings(profile, names, drive.own, drive.given)
    return CurveSet(int(o.frame_start), float(o.fps), channels, tuple(warnings))


def _emotion_rig_warnings(
    warnings: list[str], match: RigMatch, profile: RigProfile, names: list[str]
) -> list[str]:
    """On a rig with whole-face keys, AU coverage says little: name the emotions it lacks."""
    out = [
        w
        for w in warnings
        if w != match.coverage.describe() and not w.startswith("This performance uses ")
    ]
    lacking = profile_coverage(profile, names).inexpressible
    if lacking:
        out.append(
            f"This rig's keys cannot show {', '.join(lacking)}; add keys for them or map them "
            "in a rig profile (emotion_keys)."
        )
    return out


def _mapping_warnings(
    profile: RigProfile, names: list[str], own: dict[str, str], given: bool
) -> list[str]:
    """Warnings naming the rig keys left unkeyed (a profile naming absent keys is refused)."""
    out = []
    unmapped = [n for n in names if n not in own and n.lower() != "basis"]
    if unmapped:
        out.append(
            f"{len(unmapped)} shape key(s) not mapped and left unkeyed: {_shown(unmapped)}; "
            "map them in a rig profile (--profile) if they should move."
        )
    return out


def _shown(names: list[str]) -> str:
    return ", ".join(repr(k) for k in names[:6]) + ("..." if len(names) > 6 else "")


def _absent_keys(profile: RigProfile, names: list[str]) -> list[str]:
    index = {normalize_name(n) for n in names}
    return [k for k in profile.all_keys if normalize_name(k) not in index]


def _present_emotion_keys(
    profile: RigProfile, names: list[str]
) -> dict[str, tuple[str, tuple[tuple[str, float], ...]]]:
    """Rig name -> (profile key, emotion spec) for the profile's emotion keys the rig has."""
    index = {normalize_name(n): n for n in names}
    out = {}
    for key, spec in profile.emotion_keys:
        actual = index.get(normalize_name(key))
        if actual is not None:
            out[actual] = (key, spec)
    return out


def _none_driven(profile: RigProfile) -> str:
    return (
        f"Rig profile {profile.name!r} drives none of this rig's shape keys; check that its key "
        "names match the object's."
    )
