"""Visemes: ARPAbet phones → mouth shapes → smooth, coarticulated shape-key curves.

**Viseme set.** The 15 visemes of Meta's Oculus LipSync "Viseme Reference" (``sil PP FF TH DD kk
CH SS nn RR aa E ih oh ou``), a grouping widely used with ARKit-style blendshape rigs. Phones map
to them by :data:`PHONE_TO_VISEME`; diphthongs take the viseme of their first, longer part.

**Targets.** Each viseme has a target on the ARKit mouth keys (:data:`ARKIT_TARGETS`, our own
values) and on VRoid's expression-level ``Fcl_MTH_A/I/U/E/O`` keys (:data:`VROID_TARGETS`).
Bilabials (``PP``: p b m) close and press the lips with the jaw nearly shut, labiodentals (``FF``:
f v) roll the lower lip in under the upper teeth, rounded vowels (``oh``, ``ou``) funnel and pucker.

**Coarticulation.** Cohen, M. M. & Massaro, D. W. (1993), "Modeling coarticulation in synthetic
visual speech", in *Models and Techniques in Computer Animation*, Springer, 139-156. Each phone
exerts a dominance ``D(τ) = α · exp(-θ · |τ|^c)`` around its centre, with a separate ``θ`` before
the centre (anticipation, look-ahead) and after it (carry-over); a key's value is the
dominance-weighted mean of the phones' targets. Strongly specified segments (bilabials) have a
high ``α`` and win at their centre; tongue consonants leave the lip-rounding keys loosely
specified (low ``α`` on :data:`ROUNDING_KEYS`), so rounding spreads into them from neighbouring
vowels as it does in speech ("soon"). A small constant rest dominance pulls the mouth to its
neutral pose far from any phone. One addition to the paper: the bilabial closure (``PP``)
keeps its peak dominance for ``±closure_hold`` around the centre (a flat top), because the lips
stay sealed through a stop closure rather than touching for an instant; without it a 37 ms /p/
at 6 syllables/s reached only 0.48 ``mouthClose`` on the nearest 24 fps frame (19 ms off centre).

Wired into bakes by :mod:`.lipsync` (issue 17).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from .errors import InputError
from .phonemes import SILENCE, Phone

VISEMES: tuple[str, ...] = tuple("sil PP FF TH DD kk CH SS nn RR aa E ih oh ou".split())  # noqa: SIM905
"""The Oculus LipSync viseme set, in its documented order."""

_GROUPS = {
    "sil": "SIL",
    "PP": "P B M",
    "FF": "F V",
    "TH": "TH DH",
    "DD": "T D",
    "kk": "K G NG HH",
    "CH": "CH JH SH ZH",
    "SS": "S Z",
    "nn": "N L",
    "RR": "R ER",
    "aa": "AA AE AH AY AW",
    "E": "EH EY",
    "ih": "IH IY Y",
    "oh": "AO OW OY",
    "ou": "UW UH W",
}
PHONE_TO_VISEME: Mapping[str, str] = MappingProxyType(
    {phone: viseme for viseme, phones in _GROUPS.items() for phone in phones.split()}
)
"""ARPAbet symbol (no stress digit) or ``SIL`` → viseme."""


def _t(**keys: float) -> Mapping[str, float]:
    """A symmetric ARKit target: ``press=0.6`` sets both ``mouthPressLeft`` and ``...Right``."""
    out: dict[str, float] = {}
    for name, value in keys.items():
        if name in {"press", "stretch", "upperUp", "lowerDown"}:
            stem = "mouth" + name[0].upper() + name[1:]
            out[stem + "Left"] = out[stem + "Right"] = value
        else:
            out[name] = value
    return MappingProxyType(out)


ARKIT_KEYS: tuple[str, ...] = (
    "jawOpen",
    "mouthClose",
    "mouthFunnel",
    "mouthPucker",
    "mouthPressLeft",
    "mouthPressRight",
    "mouthRollLower",
    "mouthRollUpper",
    "mouthStretchLeft",
    "mouthStretchRight",
    "mouthUpperUpLeft",
    "mouthUpperUpRight",
    "mouthLowerDownLeft",
    "mouthLowerDownRight",
)
"""The ARKit mouth keys the visemes drive (unlisted keys of a target are 0)."""

ARKIT_TARGETS: Mapping[str, Mapping[str, float]] = MappingProxyType(
    {
        "sil": _t(),
        "PP": _t(jawOpen=0.03, mouthClose=0.8, press=0.6, mouthRollLower=0.15, mouthRollUpper=0.15),
        "FF": _t(jawOpen=0.08, mouthRollLower=0.7, mouthClose=0.2, upperUp=0.3),
        "TH": _t(jawOpen=0.2, upperUp=0.2, lowerDown=0.2, stretch=0.1),
        "DD": _t(jawOpen=0.2, stretch=0.15, lowerDown=0.1),
        "kk": _t(jawOpen=0.25, stretch=0.1),
        "CH": _t(jawOpen=0.15, mouthFunnel=0.5, mouthPucker=0.3, upperUp=0.2, lowerDown=0.2),
        "SS": _t(jawOpen=0.1, stretch=0.35, upperUp=0.15, lowerDown=0.15),
        "nn": _t(jawOpen=0.2, stretch=0.1),
        "RR": _t(jawOpen=0.15, mouthFunnel=0.35, mouthPucker=0.3),
        "aa": _t(jawOpen=0.6, lowerDown=0.3, upperUp=0.15),
        "E": _t(jawOpen=0.4, stretch=0.35, upperUp=0.2, lowerDown=0.3),
        "ih": _t(jawOpen=0.25, stretch=0.45, upperUp=0.15, lowerDown=0.15),
        "oh": _t(jawOpen=0.45, mouthFunnel=0.6, mouthPucker=0.2),
        "ou": _t(jawOpen=0.2, mouthPucker=0.8, mouthFunnel=0.35),
    }
)
"""Viseme → ARKit mouth-key target (0..1)."""

VROID_KEYS: tuple[str, ...] = ("Fcl_MTH_A", "Fcl_MTH_I", "Fcl_MTH_U", "Fcl_MTH_E", "Fcl_MTH_O")
"""VRoid's expression-level mouth keys (vowel shapes; the closed mouth is all of them at 0)."""


def _v(a: float = 0, i: float = 0, u: float = 0, e: float = 0, o: float = 0) -> Mapping[str, float]:
    return MappingProxyType(dict(zip(VROID_KEYS, (a, i, u, e, o), strict=True)))


VROID_TARGETS: Mapping[str, Mapping[str, float]] = MappingProxyType(
    {
        "sil": _v(),
        "PP": _v(),
        "FF": _v(i=0.2),
        "TH": _v(e=0.25),
        "DD": _v(i=0.2, a=0.1),
        "kk": _v(a=0.2),
        "CH": _v(u=0.45),
        "SS": _v(i=0.35),
        "nn": _v(i=0.15, a=0.1),
        "RR": _v(u=0.35, o=0.1),
        "aa": _v(a=0.9),
        "E": _v(e=0.8),
        "ih": _v(i=0.8),
        "oh": _v(o=0.8),
        "ou": _v(u=0.8),
    }
)
"""Viseme → VRoid ``Fcl_MTH_*`` target (0..1)."""

OCULUS_KEYS: tuple[str, ...] = tuple(f"viseme_{v}" for v in VISEMES)
"""One key per Oculus viseme (``viseme_sil`` ... ``viseme_ou``): the shapes ReadyPlayerMe,
Avaturn and VRChat (``vrc.v_*``) rigs sculpt themselves. :mod:`.lipsync` finds the rig's own
spelling (ReadyPlayerMe writes ``viseme_I``, ``viseme_O``, ``viseme_U`` for ``ih oh ou``)."""

OCULUS_TARGETS: Mapping[str, Mapping[str, float]] = MappingProxyType(
    {v: MappingProxyType({f"viseme_{v}": 1.0}) for v in VISEMES}
)
"""Viseme → its own key at 1: coarticulated, each key is its viseme's dominance-weighted share
(the weights of the Cohen & Massaro blend), so the rig's sculpted shapes mix as the phones do."""

VRM_PRESETS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "Fcl_MTH_A": ("aa", "A"),
        "Fcl_MTH_I": ("ih", "I"),
        "Fcl_MTH_U": ("ou", "U"),
        "Fcl_MTH_E": ("ee", "E"),
        "Fcl_MTH_O": ("oh", "O"),
    }
)
"""VRoid key → the VRM 1.0 and VRM 0.x preset names of the same vowel shape; VRM rigs with
keys named after their presets take :data:`VROID_TARGETS` through this table."""

ROUNDING_KEYS: frozenset[str] = frozenset(
    {
        "mouthFunnel",
        "mouthPucker",
        "mouthStretchLeft",
        "mouthStretchRight",
        "Fcl_MTH_U",
        "Fcl_MTH_O",
    }
)
"""Lip-rounding/spreading keys that tongue consonants leave to their neighbours."""

DOMINANCE: Mapping[str, float] = MappingProxyType(
    {
        "sil": 0.6,
        "PP": 1.0,
        "FF": 0.9,
        "TH": 0.6,
        "DD": 0.3,
        "kk": 0.2,
        "CH": 0.7,
        "SS": 0.5,
        "nn": 0.3,
        "RR": 0.6,
        "aa": 0.5,
        "E": 0.5,
        "ih": 0.5,
        "oh": 0.6,
        "ou": 0.6,
    }
)
"""Each viseme's dominance magnitude ``α`` (Cohen & Massaro's per-segment strength)."""
_LOOSE = frozenset({"TH", "DD", "kk", "SS", "nn"})
_CLOSURES = frozenset({"PP"})


@dataclass(frozen=True)
class CoarticulationOptions:
    """Shape of the Cohen & Massaro dominance functions.

    Attributes:
        anticipation_rate: ``θ`` before a phone's centre, 1/s: lower reaches further ahead.
        carryover_rate: ``θ`` after the centre, 1/s: carry-over fades faster than anticipation.
        exponent: ``c``; 1 gives exponential tails as in the paper's figures.
        loose_factor: ``α`` multiplier on :data:`ROUNDING_KEYS` for tongue consonants.
        rest_dominance: Constant dominance of the neutral pose (all keys 0).
        closure_hold: Half-width in seconds of the flat top of ``PP`` dominance.
    """

    anticipation_rate: float = 25.0
    carryover_rate: float = 35.0
    exponent: float = 1.0
    loose_factor: float = 0.2
    rest_dominance: float = 0.01
    closure_hold: float = 0.015


def viseme_of(phone: str) -> str:
    """The viseme of an ARPAbet phone (stress digit allowed) or ``SIL``.

    Raises:
        InputError: For a symbol outside the phone set.
    """
    base = phone.rstrip("012")
    try:
        return PHONE_TO_VISEME[base]
    except KeyError:
        raise InputError(f"Unknown phone {phone!r}: expected an ARPAbet symbol or SIL.") from None


def coarticulate(
    phones: Sequence[Phone],
    times: np.ndarray,
    targets: Mapping[str, Mapping[str, float]] = ARKIT_TARGETS,
    options: CoarticulationOptions | None = None,
) -> dict[str, np.ndarray]:
    """Key values at ``times`` from timed phones, by Cohen & Massaro dominance blending.

    Args:
        phones: Timed phones (any order; silences included or not).
        times: Seconds at which to evaluate, 1-D.
        targets: Viseme → key → target (:data:`ARKIT_TARGETS` or :data:`VROID_TARGETS`).
        options: Dominance shape.

    Returns:
        Key → values at ``times`` for every key that appears in ``targets``.

    Raises:
        InputError: On an unknown phone or a phone that ends before it starts.
    """
    opt = options or CoarticulationOptions()
    keys = sorted({k for target in targets.values() for k in target})
    t = np.asarray(times, dtype=np.float64).reshape(-1)
    if not phones:
        return {k: np.zeros_like(t) for k in keys}
    visemes = [viseme_of(p.symbol) for p in phones]
    if any(not (math.isfinite(p.start) and p.end >= p.start) for p in phones):
        raise InputError("Every phone must have a finite start and an end at or after it.")
    centres = np.array([p.centre for p in phones])[:, None]
    tau = centres - t[None, :]  # > 0: the phone is still ahead (anticipation)
    theta = np.where(tau > 0, opt.anticipation_rate, opt.carryover_rate)
    hold = np.array([opt.closure_hold if v in _CLOSURES else 0.0 for v in visemes])[:, None]
    distance = np.maximum(np.abs(tau) - hold, 0.0)
    shape = np.exp(-theta * distance**opt.exponent)  # (phones, times)
    alpha = np.array([DOMINANCE[v] for v in visemes])
    loose = np.array([v in _LOOSE for v in visemes])
    out: dict[str, np.ndarray] = {}
    for key in keys:
        a = np.where(loose, alpha * opt.loose_factor, alpha) if key in ROUNDING_KEYS else alpha
        goal = np.array([targets[v].get(key, 0.0) for v in visemes])
        weights = a[:, None] * shape
        out[key] = (weights * goal[:, None]).sum(0) / (weights.sum(0) + opt.rest_dominance)
    return out


def viseme_curves(
    phones: Sequence[Phone],
    fps: float,
    targets: Mapping[str, Mapping[str, float]] = ARKIT_TARGETS,
    options: CoarticulationOptions | None = None,
    tail: float = 0.2,
) -> dict[str, np.ndarray]:
    """Per-frame key curves for timed phones: frame ``i`` is at ``i / fps`` seconds.

    Args:
        phones: Timed phones.
        fps: Frames per second (> 0).
        targets: Viseme targets for the rig's key family.
        options: Dominance shape.
        tail: Seconds rendered after the last phone ends, so the mouth settles.

    Returns:
        Key → one value per frame from 0 to the frame after the last phone plus ``tail``.

    Raises:
        InputError: On a non-positive fps or a bad phone.
    """
    if not (math.isfinite(fps) and fps > 0):
        raise InputError(f"fps must be positive, got {fps}.")
    end = max((p.end for p in phones), default=0.0) + tail
    n = math.ceil(end * fps) + 1
    return coarticulate(phones, np.arange(n) / fps, targets, options)


def is_speech(phone: Phone) -> bool:
    """True for a phone that moves the mouth (anything but silence)."""
    return phone.symbol != SILENCE
