"""Antagonist shape keys: pairs of keys that undo each other on one feature, and the rule that
keeps a face from driving both (numpy only).

Blending emotions (:func:`.facs.blend_matrix`) already keeps opposing *Action Units* apart, but
a rig's keys are not AUs: on ARKit ``browDownLeft`` lowers the *outer* brow (Apple's
``ARFaceAnchor.BlendShapeLocation`` documentation: "downward movement of the outer portion of
the left eyebrow") and ``browOuterUpLeft`` raises that same outer brow, so fear's ``1+2+4``,
which FACS licenses, drives both; and a blink (AU45, from the life layer) lands on eyes that an
emotion holds wide open (AU5). So each rig profile carries an explicit table of antagonist key
pairs (:data:`.rig_tables.ARKIT_ANTAGONISTS` and its siblings), and every synthesised frame
passes through :func:`resolve_antagonists`:

* **Override** pairs (``first`` overrides ``second``: a blink over a wide eye): the second key
  is multiplied by ``1 - smoothstep(first / limit)``, so as the blink rises the wide eye drops,
  and it is gone once the blink passes :data:`ANTAGONIST_LIMIT`.
* **Symmetric** pairs (smile vs frown on one corner, outer brow down vs up): the overlap above
  the limit cancels, ``excess = max(min(a, b) - limit, 0)`` is taken off both (net force with a
  tolerance), so a faint co-activation stays and a strong one never happens. The ``min`` and
  ``max`` are rounded over :data:`SMOOTHING` (C1, never less than the hard excess), so a smile
  handing over to a frown in a cross-fade slows into the limit instead of stopping with a kink.
  For fear's outer brow both keys end at the limit: brows raised at the centre
  (``browInnerUp``) and about level at the sides, the brow raised and drawn together that Ekman
  & Friesen describe for fear (*Unmasking the Face*, 1975), flatter than surprise's arch.

Either way no frame drives both keys of a pair above the limit. Pairs the FACS tables license
stay out of the tables: inner brow up with brow down (AU1+4, the sad and fearful brow) and a
wide eye with a tightened lid (AU5+7, the angry glare). :func:`close_lids` applies the blink
rule at the AU level too (AU43/AU45 over AU5), so rigs without a table get it as well.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass

import numpy as np

from .facs import CHANNEL_INDEX

ANTAGONIST_LIMIT = 0.2
"""Above this, two antagonist keys are never both driven in the same frame."""


@dataclass(frozen=True)
class KeyAntagonist:
    """Two shape keys that undo each other on the same feature.

    Attributes:
        first: A key name (the overriding one when ``first_overrides``).
        second: The other key name.
        first_overrides: ``first`` always wins (a blink over a wide eye); else symmetric.
    """

    first: str
    second: str
    first_overrides: bool = False


SMOOTHING = 0.05
"""Width of the rounding of :func:`_soft_min` and :func:`_soft_ramp` (key-value units)."""


def _soft_min(a: np.ndarray, b: np.ndarray, width: float = SMOOTHING) -> np.ndarray:
    """A C1 minimum that is never below ``min(a, b)`` and at most ``width`` above it."""
    half = 0.5 * (a - b)
    return 0.5 * (a + b) - np.sqrt(half * half + width * width) + width


def _soft_ramp(x: np.ndarray, width: float = SMOOTHING) -> np.ndarray:
    """A C1 ``max(x, 0)``: 0 below ``-width``, ``x`` above ``width``, a parabola between.

    It is never below ``max(x, 0)``, so with :func:`_soft_min` the rule still cancels at least
    the hard overlap ``max(min(a, b) - limit, 0)``.
    """
    x = np.asarray(x, dtype=float)
    mid = (x + width) ** 2 / (4.0 * width)
    return np.where(x <= -width, 0.0, np.where(x >= width, x, mid))


def _smoothstep(x: np.ndarray) -> np.ndarray:
    s = np.clip(x, 0.0, 1.0)
    return s * s * (3.0 - 2.0 * s)


def resolve_antagonists(
    values: MutableMapping[str, np.ndarray],
    pairs: Sequence[KeyAntagonist],
    limit: float = ANTAGONIST_LIMIT,
) -> None:
    """Apply the antagonist rule (module docstring) to per-key curves, in place.

    Values only ever go down, so resolving one pair never breaks a pair resolved before it.

    Args:
        values: ``{key name: array}`` (any shape, all alike); keys not named by a pair are
            left alone, and a pair with a key missing from ``values`` is skipped.
        pairs: The antagonist pairs, in the names ``values`` uses.
        limit: The co-activation both keys of a pair may share.
    """
    for pair in pairs:
        a, b = values.get(pair.first), values.get(pair.second)
        if a is None or b is None:
            continue
        if pair.first_overrides:
            values[pair.second] = b * (1.0 - _smoothstep(np.asarray(a) / limit))
        else:
            excess = _soft_ramp(_soft_min(np.asarray(a), np.asarray(b)) - limit)
            values[pair.first] = np.maximum(a - excess, 0.0)
            values[pair.second] = np.maximum(b - excess, 0.0)


_LIDS = tuple(
    (CHANNEL_INDEX[f"AU5_{s}"], CHANNEL_INDEX[f"AU43_{s}"], CHANNEL_INDEX[f"AU45_{s}"])
    for s in ("L", "R")
)


def close_lids(au: np.ndarray, limit: float = ANTAGONIST_LIMIT) -> np.ndarray:
    """A closing lid (AU43 or AU45) overrides a raised upper lid (AU5) on the same side, in place.

    FACS scores a blink as a closure of the lids; the upper lid cannot close and stay raised, so
    AU5 fades out as the closure rises and is gone once it passes ``limit``.

    Args:
        au: (..., len(AU_CHANNELS)) AU values.
        limit: Closure at which the raised lid is fully released.

    Returns:
        ``au`` (changed in place).
    """
    for raise_col, closed_col, blink_col in _LIDS:
        closure = np.maximum(au[..., closed_col], au[..., blink_col])
        au[..., raise_col] *= 1.0 - _smoothstep(closure / limit)
    return au
