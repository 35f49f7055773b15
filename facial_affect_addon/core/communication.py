"""The report's communication score: an interpretable formula, heuristic, not learned.

Paper 003 predicts a face's communication effect (engagement, resonance, shareability) with a
trained network. No audience data exists here, so no trained weights ship; instead the report
shows a product of three terms a reader can check by eye, each in [0, 1]::

    score = legibility x intensity x dynamics
    dynamics = onset x hold

* **legibility**: the share of sampled frames a judge read as the intended emotion
  (:class:`~.take_legibility.TakeLegibility`). Without rendered frames (the CLI on a JSON), the
  *clarity* of the intended emotion stands in: the mean weight of each frame's dominant emotion.
  ``legibility_source`` says which one was used.
* **intensity**: the 95th percentile over frames of the strongest AU value (a face that never
  moves much reads weakly; the percentile ignores a one-frame spike).
* **onset**: ``min(1, rise / ONSET_S)`` of the most energetic AU: onsets faster than
  :data:`ONSET_S` look abrupt (paper 000: static templates give "abrupt peak activations").
* **hold**: 1 for an apex held between :data:`HOLD_MIN_S` and :data:`HOLD_MAX_S`; shorter holds
  scale down linearly, longer ones decay as ``HOLD_MAX_S / hold`` (a frozen face).

The constants are judgement calls, not fitted values; the JSON and HTML label the score
"heuristic, not learned".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import InputError

LABEL = "heuristic, not learned"
ONSET_S = 0.25
"""Rise time (s) from which an onset counts as fully smooth."""
HOLD_MIN_S = 0.4
"""Shortest apex hold (s) that counts as natural."""
HOLD_MAX_S = 4.0
"""Longest apex hold (s) before the face starts to look frozen."""
INTENSITY_PERCENTILE = 95.0


@dataclass(frozen=True)
class CommunicationScore:
    """The heuristic score and its terms (all in [0, 1]).

    Attributes:
        score: ``legibility * intensity * dynamics``.
        legibility: The legibility term.
        legibility_source: ``"judged frames"`` or ``"emotion clarity (no frames judged)"``.
        intensity: The intensity term.
        onset: Smooth-onset term.
        hold: Natural-hold term.
        dynamics: ``onset * hold``.
        label: Always :data:`LABEL`.
    """

    score: float
    legibility: float
    legibility_source: str
    intensity: float
    onset: float
    hold: float
    dynamics: float
    label: str = LABEL


def onset_term(rise_s: float) -> float:
    """``min(1, rise_s / ONSET_S)``."""
    return float(min(1.0, max(0.0, rise_s) / ONSET_S))


def hold_term(hold_s: float) -> float:
    """1 inside [HOLD_MIN_S, HOLD_MAX_S], linear below, ``HOLD_MAX_S / hold`` above."""
    if hold_s < HOLD_MIN_S:
        return float(max(0.0, hold_s) / HOLD_MIN_S)
    if hold_s > HOLD_MAX_S:
        return float(HOLD_MAX_S / hold_s)
    return 1.0


def intensity_term(au_values: np.ndarray) -> float:
    """95th percentile over frames of the per-frame maximum AU value, clipped to [0, 1]."""
    values = np.asarray(au_values, dtype=float)
    if values.ndim != 2 or values.size == 0:
        return 0.0
    return float(np.clip(np.percentile(values.max(axis=1), INTENSITY_PERCENTILE), 0.0, 1.0))


def clarity(emotion_weights: np.ndarray) -> float:
    """Mean over frames of the dominant emotion's weight (rows normalised to sum 1)."""
    w = np.asarray(emotion_weights, dtype=float)
    if w.ndim != 2 or len(w) == 0:
        return 0.0
    sums = w.sum(axis=1, keepdims=True)
    w = np.divide(w, sums, out=np.zeros_like(w), where=sums > 0)
    return float(w.max(axis=1).mean())


def communication_score(
    *,
    au_values: np.ndarray,
    emotion_weights: np.ndarray,
    rise_s: float,
    hold_s: float,
    legibility: float | None = None,
) -> CommunicationScore:
    """The heuristic score of a take.

    Args:
        au_values: (frames, channels) AU intensities in [0, 1].
        emotion_weights: (frames, 7) intended emotion weights per frame.
        rise_s: Rise time of the most energetic AU (seconds).
        hold_s: Apex hold of the most energetic AU (seconds).
        legibility: Judged share of frames read as intended, or None (clarity stands in).

    Raises:
        InputError: ``legibility`` outside [0, 1].
    """
    if legibility is not None and not 0.0 <= legibility <= 1.0:
        raise InputError(f"Legibility must be in [0, 1], got {legibility}.")
    if legibility is None:
        leg, source = clarity(emotion_weights), "emotion clarity (no frames judged)"
    else:
        leg, source = float(legibility), "judged frames"
    inten = intensity_term(au_values)
    onset, hold = onset_term(rise_s), hold_term(hold_s)
    dynamics = onset * hold
    return CommunicationScore(leg * inten * dynamics, leg, source, inten, onset, hold, dynamics)
