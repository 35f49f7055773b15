"""Emotion and speech on one mouth: the rule that makes room for visemes (issue 17).

An emotion's mouth baseline (a smile's stretched corners, surprise's open jaw) fights the visemes if
both are simply added: the lips never close for ``b`` under a laughing smile. The peers found the
same (TalkingHead #35) and scale the emotion's mouth down while speaking. Our rule, per frame:

- ``need(t) = clip(max_k viseme_k(t) / full_need_at, 0, 1)``: how much the speech needs the mouth
  now (0 in pauses, 1 on any clear viseme: with the default ``full_need_at`` 0.25 every vowel
  centre of the test lines reaches 1, as coarticulated vowels peak at 0.27-0.45 on some key).
- **Articulator keys** (every key the viseme curves drive: ``jawOpen``, ``mouthClose``,
  ``mouthPress*``, ``mouthFunnel``...): ``out = clip(viseme + emotion · (1 - need), 0, 1)``.
  At full need the viseme alone decides them, so a bilabial closes under any expression.
- **Other mouth keys** (``mouthSmile*``, ``mouthFrown*``, ``mouthDimple*``, ``mouthShrug*``...):
  ``out = emotion · (1 - (1 - speaking_gain) · need)``. With the default ``speaking_gain`` 0.5 a
  full smile keeps half its strength on every viseme, so the smile shapes the speech instead of
  vanishing.
- **Everything else** (brows, lids, cheeks, nose) keeps the full emotion.

A mouth key is an ARKit ``mouth*``, ``jaw*`` or ``tongue*`` key, or a VRoid ``Fcl_MTH_*`` key
(a rig that spells them otherwise passes its own set, see :func:`combine_speech`). Whole-face
expression keys (VRoid ``Fcl_ALL_Joy``) are not mouth keys: they carry the eyes too, so they keep
the full emotion. :mod:`.lipsync` applies this rule to a rig's baked curves.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np

from .errors import InputError

_MOUTH_PREFIXES = ("mouth", "jaw", "tongue", "Fcl_MTH_")


def is_mouth_key(name: str) -> bool:
    """True for a key the mouth owns: ARKit ``mouth*``/``jaw*``/``tongue*``, VRoid ``Fcl_MTH_*``."""
    return name.startswith(_MOUTH_PREFIXES)


@dataclass(frozen=True)
class SpeechMouthOptions:
    """Strength of the make-room rule.

    Attributes:
        full_need_at: A viseme key at this value counts as the mouth fully needed.
        speaking_gain: Share of the emotion's non-articulator mouth keys kept at full need.
    """

    full_need_at: float = 0.25
    speaking_gain: float = 0.5


def mouth_need(visemes: Mapping[str, np.ndarray], options: SpeechMouthOptions) -> np.ndarray:
    """Per-frame need of the mouth, 0..1, from the viseme curves (see the module rule)."""
    stacked = np.stack([np.asarray(v, dtype=np.float64) for v in visemes.values()])
    return np.clip(stacked.max(axis=0) / options.full_need_at, 0.0, 1.0)


def combine_speech(
    emotion: Mapping[str, np.ndarray],
    visemes: Mapping[str, np.ndarray],
    options: SpeechMouthOptions | None = None,
    need: np.ndarray | None = None,
    mouth_keys: Collection[str] | None = None,
) -> dict[str, np.ndarray]:
    """Merge emotion key curves with viseme key curves by the module's rule.

    Args:
        emotion: Key → per-frame values of the emotion layer.
        visemes: Key → per-frame values from :func:`..visemes.viseme_curves`, same frame count.
        options: Rule strength.
        need: Per-frame need (0..1) to use instead of :func:`mouth_need`. Rigs whose closed mouth
            is the rest pose (VRoid: a bilabial is all ``Fcl_MTH_*`` at 0) should pass the need
            computed from the ARKit curves of the same phones.
        mouth_keys: The emotion keys the rule treats as mouth keys (a CC4 or Daz rig's own
            spellings); None: :func:`is_mouth_key` decides.

    Returns:
        Key → per-frame values for the union of both key sets.

    Raises:
        InputError: When the curves differ in length or the options are out of range.
    """
    opt = options or SpeechMouthOptions()
    if not (opt.full_need_at > 0 and 0.0 <= opt.speaking_gain <= 1.0):
        raise InputError("full_need_at must be positive and speaking_gain within 0..1.")
    if not visemes:
        return {k: np.asarray(v, dtype=np.float64).copy() for k, v in emotion.items()}
    lengths = {len(v) for v in (*emotion.values(), *visemes.values())}
    if len(lengths) != 1:
        raise InputError(
            f"Emotion and viseme curves must have one frame count, got {sorted(lengths)}."
        )
    if need is None:
        need = mouth_need(visemes, opt)
    elif np.shape(need) != (lengths.pop(),):
        raise InputError("The need curve must have one value per frame.")
    need = np.clip(np.asarray(need, dtype=np.float64), 0.0, 1.0)
    out: dict[str, np.ndarray] = {}
    for key, values in emotion.items():
        e = np.asarray(values, dtype=np.float64)
        if key in visemes:
            continue
        if is_mouth_key(key) if mouth_keys is None else key in mouth_keys:
            out[key] = e * (1.0 - (1.0 - opt.speaking_gain) * need)
        else:
            out[key] = e.copy()
    for key, values in visemes.items():
        v = np.asarray(values, dtype=np.float64)
        e = np.asarray(emotion.get(key, np.zeros_like(v)), dtype=np.float64)
        out[key] = np.clip(v + e * (1.0 - need), 0.0, 1.0)
    return out
