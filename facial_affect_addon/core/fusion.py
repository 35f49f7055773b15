"""Fuse emotion evidence from several sources (face, text...) into one mixture.

Default rule: **confidence-weighted geometric mean** (log-linear opinion pool)::

    w_i   = c_i / sum_j c_j                               (source weights from confidences)
    p~_i  = (1 - floor) * p_i + floor / K                 (K = 7; keeps every class > 0)
    q(e)  ∝ prod_i p~_i(e) ** w_i                         (renormalised over the 7 classes)

Why this rule rather than a weighted arithmetic mean:

* It rewards agreement. If the face says "happiness or surprise" and the text says "surprise",
  the fused mixture concentrates on surprise instead of averaging two different pictures into a
  vaguer one -- the "semantic refinement" of a visual baseline that paper 000 describes.
* A confident source can pull a class down, not only up: text that clearly rules out anger
  lowers anger even when a noisy frame showed some.
* The weights are normalised, so two sources that agree are not made over-confident (no
  double counting of correlated evidence, unlike an unweighted product of experts).
* The ``floor`` mixes each distribution with a little uniform mass so that one source's hard
  zero cannot veto a class the other source is sure of.

The arithmetic mean (linear opinion pool, ``method="linear"``) is kept as an option: it never
sharpens and keeps each source's components visibly in the mix, which some animators prefer for
deliberately mixed performances.

The fused confidence is ``sum_i w_i * c_i * BC(p_i, q)``, where ``BC`` is the Bhattacharyya
coefficient (1 when a source agrees with the result, 0 when disjoint): agreeing confident sources
keep their confidence, disagreeing ones lose it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .emotions import EMOTION_NAMES, EmotionWeights
from .errors import InputError

METHODS = ("geometric", "linear")


@dataclass(frozen=True)
class Evidence:
    """One source's opinion.

    Attributes:
        weights: The source's emotion mixture.
        confidence: How much to trust it, in [0, 1] (0 = ignore).
        source: A label for reports, e.g. ``"face"`` or ``"text:llm"``.
    """

    weights: EmotionWeights
    confidence: float
    source: str = "unknown"

    def __post_init__(self) -> None:
        if not isinstance(self.weights, EmotionWeights):
            raise InputError("Evidence weights must be EmotionWeights.")
        c = self.confidence
        if isinstance(c, bool) or not isinstance(c, int | float) or not math.isfinite(c):
            raise InputError(f"Confidence of {self.source!r} must be a finite number, got {c!r}.")
        if not 0.0 <= c <= 1.0:
            raise InputError(f"Confidence of {self.source!r} must be in [0, 1], got {c}.")


@dataclass(frozen=True)
class FusedEmotion:
    """The fused mixture.

    Attributes:
        weights: Normalised emotion mixture.
        confidence: Fused confidence in [0, 1] (see the module docstring).
        shares: ``(source, weight w_i)`` pairs actually used, in input order.
        method: ``"geometric"`` or ``"linear"``.
    """

    weights: EmotionWeights
    confidence: float
    shares: tuple[tuple[str, float], ...]
    method: str


def _source_weights(confidences: np.ndarray) -> np.ndarray:
    total = confidences.sum()
    if total <= 0:
        # Nobody is confident: treat every source alike rather than refuse to answer.
        return np.full(len(confidences), 1.0 / len(confidences))
    return confidences / total


def fuse(
    evidence: Sequence[Evidence], *, method: str = "geometric", floor: float = 0.02
) -> FusedEmotion:
    """Combine several sources' emotion mixtures by confidence.

    Args:
        evidence: One or more opinions; order only matters for ``shares``.
        method: ``"geometric"`` (log-linear pool, default) or ``"linear"`` (arithmetic mean).
        floor: Uniform mass mixed into each source before the geometric pool, in (0, 1).

    Returns:
        The fused mixture. Sources with zero confidence are left out (unless all are zero:
        then all count equally); a single remaining source comes back unchanged.

    Raises:
        InputError: No evidence, an unknown method or a floor outside (0, 1).
    """
    items = list(evidence)
    if not items:
        raise InputError("Nothing to fuse: give at least one source of emotion evidence.")
    if method not in METHODS:
        raise InputError(f"Unknown fusion method {method!r}; use one of: {', '.join(METHODS)}.")
    if not 0.0 < floor < 1.0:
        raise InputError(f"Fusion floor must be in (0, 1), got {floor}.")
    c = np.array([float(e.confidence) for e in items])
    w = _source_weights(c)
    used = [i for i in range(len(items)) if w[i] > 0]
    p = np.stack([items[i].weights.as_array() for i in used])  # (sources, 7)
    c, wu = c[used], w[used]
    if len(used) == 1:
        # One voice (or all others at zero confidence): pass it through untouched.
        q, confidence = p[0], float(c[0])
    else:
        if method == "linear":
            q = wu @ p
        else:
            k = len(EMOTION_NAMES)
            log_q = wu @ np.log((1.0 - floor) * p + floor / k)
            q = np.exp(log_q - log_q.max())
        q = q / q.sum()
        agreement = np.sqrt(p * q[None, :]).sum(axis=1)  # Bhattacharyya coefficient per source
        confidence = float(np.clip(np.sum(wu * c * agreement), 0.0, 1.0))
    shares = tuple((e.source, float(wi)) for e, wi in zip(items, w, strict=True))
    return FusedEmotion(EmotionWeights.from_array(q), confidence, shares, method)


def fuse_face_text(face: Evidence | None, text: Evidence | None, **options: object) -> FusedEmotion:
    """Fuse face and text evidence when both exist; pass the one that exists through.

    Args:
        face: Evidence from the face model (video/image), or ``None``.
        text: Evidence from the text analysis, or ``None``.
        **options: ``method`` / ``floor`` for :func:`fuse`.

    Raises:
        InputError: If both are ``None``.
    """
    present = [e for e in (face, text) if e is not None]
    if not present:
        raise InputError("Neither face nor text evidence is available to fuse.")
    return fuse(present, **options)  # type: ignore[arg-type]
