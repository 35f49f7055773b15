"""Lip-sync on a rig: timed phones → viseme keys on the rig's own names, merged with the emotion.

This is where :mod:`.visemes` (Oculus visemes, Cohen & Massaro coarticulation) and
:mod:`.speech_mouth` (the make-room rule) meet a real rig's key names (issue 17 §2-§3):

* **Which keys.** A rig with three or more Oculus viseme keys (ReadyPlayerMe, Avaturn:
  ``viseme_sil viseme_PP ... viseme_aa viseme_E viseme_I viseme_O viseme_U``; VRChat
  ``vrc.v_pp``; any case) takes :data:`.visemes.OCULUS_TARGETS`: each key is driven by its own
  viseme's coarticulated weight, so the rig's sculpted mouth shapes are used. It wins over the
  ARKit keys such rigs also carry: the viseme shapes were sculpted as whole mouth poses for
  exactly these visemes, while our ARKit targets are generic mixes, and driving both would
  move the mouth twice. The rig's ARKit articulators then only carry the emotion, eased off on
  a lip seal (:attr:`LipSyncRig.yielding`). Otherwise a rig with ARKit mouth keys in any
  spelling (``jawOpen``, ``Jaw_Open``, CC4's ``Mouth_Roll_In_Lower_L``, Daz
  ``facs_bs_MouthCloseLeft_div2``...; found by :class:`.retarget.ArkitRetarget`'s direct map,
  never its AU route, which would rewrite the brows from mouth shapes) takes
  :data:`.visemes.ARKIT_TARGETS`. A rig without them but with
  VRoid's expression-level ``Fcl_MTH_A/I/U/E/O`` keys takes :data:`.visemes.VROID_TARGETS`. A
  rig with both (VRoid "perfect sync") takes ARKit only, so the mouth is not driven twice. A VRM
  rig whose keys carry its mouth preset names (VRM 1.0 ``aa ih ou ee oh``, VRM 0.x
  ``A I U E O``; three of the five at least) takes the same VRoid targets. A rig with none
  gets no lip-sync: :func:`rig_lipsync` returns None and the caller keeps the articulation
  rhythm.
* **What each phone does** (:data:`.visemes.ARKIT_TARGETS`): bilabials ``p b m`` close and press
  the lips (``mouthClose`` 0.8, ``mouthPress*`` 0.6, ``jawOpen`` 0.03); labiodentals ``f v``
  tuck the lower lip by *rolling it in* (``mouthRollLower`` 0.7) with a little ``mouthUpperUp``
  to show the upper teeth; rounded vowels funnel and pucker (``mouthFunnel``, ``mouthPucker``).
* **How it merges.** :func:`.speech_mouth.combine_speech` with the need of the mouth and the
  lip seal computed from the ARKit curves of the same phones on every rig (a VRoid bilabial is
  all ``Fcl_MTH_*`` at 0, which alone would read as "mouth free"), and the rig's own spellings
  of the ARKit mouth keys as its mouth keys. Brows, lids, cheeks and whole-face keys keep the
  full emotion.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from .errors import RigError
from .names import normalize_name
from .phonemes import Phone
from .retarget import ArkitRetarget
from .rig_aliases import alias_key
from .speech_mouth import (
    SpeechMouthOptions,
    combine_speech,
    is_mouth_key,
    mouth_need,
    mouth_seal,
)
from .visemes import (
    ARKIT_KEYS,
    ARKIT_TARGETS,
    OCULUS_KEYS,
    OCULUS_TARGETS,
    VISEMES,
    VRM_PRESETS,
    VROID_KEYS,
    VROID_TARGETS,
    CoarticulationOptions,
    coarticulate,
    is_speech,
)

__all__ = ["LipSyncRig", "apply_lipsync", "rig_lipsync", "spans_without_phones"]


@dataclass(frozen=True)
class LipSyncRig:
    """How lip-sync reaches one rig.

    Attributes:
        family: ``"oculus"``, ``"arkit"``, ``"vroid"`` or ``"vrm"``: which viseme targets drive
            it (``"vrm"``: VRM preset keys, driven by the VRoid targets).
        key_map: Viseme key (ARKit, ``viseme_*`` or ``Fcl_MTH_*`` name) → the rig keys that
            take it.
        mouth_keys: Every rig key the make-room rule treats as the emotion's mouth.
        yielding: Rig keys of ARKit articulators lip-sync does not drive on this route (an
            Oculus rig's ``jawOpen``...): the emotion on them yields to a lip seal like an
            articulator's (``emotion · keep · (1 - seal)``), so a surprised jaw does not hold the
            lips apart on a ``p``.
    """

    family: str
    key_map: Mapping[str, tuple[str, ...]]
    mouth_keys: frozenset[str]

    yielding: frozenset[str] = frozenset()

    @property
    def targets(self) -> Mapping[str, Mapping[str, float]]:
        """The viseme targets for this rig's family."""
        return {"arkit": ARKIT_TARGETS, "oculus": OCULUS_TARGETS}.get(self.family, VROID_TARGETS)

    @property
    def keys(self) -> tuple[str, ...]:
        """Every rig key lip-sync writes."""
        return tuple(k for keys in self.key_map.values() for k in keys)


def _own_visemes(names: list[str]) -> frozenset[str]:
    """Lookup forms of every Oculus and VRM preset key, kept out of the ARKit map."""
    forms = {normalize_name(k) for k in VROID_KEYS}
    forms |= {alias_key(p) for presets in VRM_PRESETS.values() for p in presets}
    return frozenset(forms | {alias_key(n) for n in _oculus_map(names).values()})


def _arkit_map(names: list[str]) -> dict[str, tuple[str, ...]]:
    """ARKit name → rig keys for every ARKit key of the rig (any spelling).

    VRoid's ``Fcl_MTH_*``, VRM's presets and Oculus ``viseme_*`` keys are left out: the retarget
    reads ``Fcl_MTH_A`` or ``viseme_aa`` as ``jawOpen`` (:data:`.rig_aliases.VISEME_ALIASES`),
    but lip-sync drives them as the visemes they are.
    """
    try:
        retarget = ArkitRetarget(names)
    except RigError:
        return {}
    own = _own_visemes(names)
    out = {}
    for name, key in retarget.direct.items():
        keys = tuple(
            k
            for k in (key, *retarget.copies.get(name, ()))
            if normalize_name(k) not in own and alias_key(k) not in own
        )
        if keys:
            out[name] = keys
    return out


_OCULUS_SPELLINGS = {"ih": ("ih", "i"), "oh": ("oh", "o"), "ou": ("ou", "u")}
"""Other spellings of an Oculus viseme's name (ReadyPlayerMe ``viseme_I``, ``viseme_O``...)."""


def _oculus_map(names: list[str]) -> dict[str, str]:
    """``viseme_<V>`` → the rig key for it: ``viseme_PP``, ``Viseme_pp``, ``vrc.v_pp``...

    Matched on :func:`.rig_aliases.alias_key` (case, separators and exporter prefixes such as
    ``blendShape1.`` ignored), with the ``viseme`` or VRChat ``vrc.v`` stem.
    """
    index: dict[str, str] = {}
    for n in names:
        index.setdefault(alias_key(n), n)
    out = {}
    for v, key in zip(VISEMES, OCULUS_KEYS, strict=True):
        for spelling in _OCULUS_SPELLINGS.get(v, (v.lower(),)):
            found = index.get("viseme" + spelling) or index.get("vrcv" + spelling)
            if found is not None:
                out[key] = found
                break
    return out


def _vrm_map(names: list[str]) -> dict[str, str]:
    """VRoid key → the rig's VRM preset key (``aa``/``A``...), when it has 3 or more of the 5.

    Single letters are common names, so fewer than three presets are not taken as a VRM rig.
    """
    index = {alias_key(n): n for n in names}
    for preset in range(2):  # VRM 1.0 names first, then VRM 0.x
        found = {
            k: index[alias_key(p[preset])]
            for k, p in VRM_PRESETS.items()
            if alias_key(p[preset]) in index
        }
        if len(found) >= 3:
            return found
    return {}


MIN_OCULUS_KEYS = 3
"""A rig needs this many Oculus viseme keys to be driven through them."""


def rig_lipsync(shape_key_names: Iterable[str]) -> LipSyncRig | None:
    """The lip-sync route for a rig (see the module docstring), or None if it has none.

    Args:
        shape_key_names: The rig's key names.
    """
    names = [str(n) for n in shape_key_names]
    arkit = _arkit_map(names)
    arkit_mouth = {key for name, keys in arkit.items() if is_mouth_key(name) for key in keys}
    oculus = _oculus_map(names)
    if len(oculus) >= MIN_OCULUS_KEYS:
        yielding = {key for name in ARKIT_KEYS for key in arkit.get(name, ())}
        mouth = arkit_mouth | set(oculus.values()) | {n for n in names if is_mouth_key(n)}
        key_map = MappingProxyType({k: (v,) for k, v in oculus.items()})
        return LipSyncRig("oculus", key_map, frozenset(mouth), frozenset(yielding))
    driven = {k: arkit[k] for k in ARKIT_KEYS if k in arkit}
    if "jawOpen" in driven or "mouthClose" in driven:
        return LipSyncRig("arkit", MappingProxyType(driven), frozenset(arkit_mouth))
    index = {normalize_name(n): n for n in names}
    vroid = {k: index[normalize_name(k)] for k in VROID_KEYS if normalize_name(k) in index}
    family = "vroid" if vroid else "vrm"
    vroid = vroid or _vrm_map(names)
    if vroid:
        mouth = {n for n in names if is_mouth_key(n)} | set(vroid.values())
        key_map = MappingProxyType({k: (v,) for k, v in vroid.items()})
        return LipSyncRig(family, key_map, frozenset(mouth))
    return None


def spans_without_phones(
    spans: Sequence[tuple[float, float]], phones: Sequence[Phone]
) -> tuple[tuple[float, float], ...]:
    """The speech spans no spoken phone overlaps: where the articulation rhythm still plays."""
    spoken = [(p.start, p.end) for p in phones if is_speech(p)]
    return tuple(
        (start, end) for start, end in spans if not any(a < end and b > start for a, b in spoken)
    )


def viseme_channels(
    phones: Sequence[Phone],
    rig: LipSyncRig,
    times: np.ndarray,
    coarticulation: CoarticulationOptions | None = None,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Viseme values on the rig's keys at ``times``, and the mouth's need (ARKit-based).

    Returns:
        (rig key → values, need per time in 0..1 before the rule's scaling by ``full_need_at``:
        the ARKit viseme curves, for :func:`.speech_mouth.mouth_need`).
    """
    arkit = _at_rest(coarticulate(phones, times, ARKIT_TARGETS, coarticulation))
    own = arkit
    if rig.family != "arkit":
        own = _at_rest(coarticulate(phones, times, rig.targets, coarticulation))
    out: dict[str, np.ndarray] = {}
    for name, keys in rig.key_map.items():
        for key in keys:
            out[key] = own[name]
    return out, arkit


REST_BELOW = 0.005
"""The dominance functions' far tails (a vowel 0.4 s ahead still gives ``jawOpen`` 0.002) are
cut: viseme values map through ``clip((v - REST_BELOW) / (1 - REST_BELOW), 0, 1)``, continuous,
so the face is exactly at rest (the profile's offsets and all) away from speech."""


def _at_rest(curves: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: np.clip((v - REST_BELOW) / (1.0 - REST_BELOW), 0.0, 1.0) for k, v in curves.items()}


def apply_lipsync(
    channels: Mapping[str, np.ndarray],
    phones: Sequence[Phone],
    rig: LipSyncRig,
    fps: float,
    options: SpeechMouthOptions | None = None,
    coarticulation: CoarticulationOptions | None = None,
) -> dict[str, np.ndarray]:
    """The rig's emotion curves with the phones' visemes merged in by the make-room rule.

    Args:
        channels: Rig key → per-frame emotion values (frame ``i`` at ``i / fps`` seconds).
        phones: Timed phones, seconds from the first frame.
        rig: From :func:`rig_lipsync` on the same rig.
        fps: Frames per second.
        options: The make-room rule's strength.
        coarticulation: Dominance shape of the visemes.

    Returns:
        Rig key → per-frame values: the emotion keys, plus the viseme keys it lacked.
    """
    opt = options or SpeechMouthOptions()
    n = len(next(iter(channels.values()))) if channels else 0
    if n == 0 or not any(is_speech(p) for p in phones):
        return {k: np.asarray(v, dtype=np.float64) for k, v in channels.items()}
    visemes, arkit = viseme_channels(phones, rig, np.arange(n) / fps, coarticulation)
    for key in rig.yielding:  # a zero viseme: the emotion there is sealed like an articulator's
        if key in channels and key not in visemes:
            visemes[key] = np.zeros(n)
    need, seal = mouth_need(arkit, opt), mouth_seal(arkit, opt)
    return combine_speech(channels, visemes, opt, need, rig.mouth_keys, seal)


_UNMAPPED = re.compile(r"^\d+ shape key\(s\) not mapped and left unkeyed: ")


def unkeyed_warnings(
    warnings: Sequence[str], names: Iterable[str], mapped: Iterable[str], keyed: Iterable[str]
) -> tuple[str, ...]:
    """The synthesis warnings with the "not mapped" note recounted after lip-sync keyed more.

    A VRoid rig's ``Fcl_MTH_*`` keys have no emotional reading, so the emotion synthesis leaves
    them unkeyed and says so; once lip-sync keys them the note must not name them.

    Args:
        warnings: The emotion synthesis's warnings.
        names: The rig's keys, in order.
        mapped: The keys the rig's profile maps (:attr:`.any_rig.RigDrive.own`).
        keyed: The keys lip-sync writes.
    """
    done = set(mapped) | set(keyed)
    left = [n for n in names if n not in done and n.lower() != "basis"]
    out = []
    for w in warnings:
        if not _UNMAPPED.match(w):
            out.append(w)
        elif left:
            shown = ", ".join(repr(k) for k in left[:6]) + ("..." if len(left) > 6 else "")
            out.append(
                f"{len(left)} shape key(s) not mapped and left unkeyed: {shown}; "
                "map them in a rig profile (--profile) if they should move."
            )
    return tuple(out)
