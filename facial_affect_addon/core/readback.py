"""Read an expression back: AU activations → the nearest EMFACS emotion prototype (numpy only).

The legibility harness (``tools/legibility.py``) bakes an emotion, renders it, captures the
render's landmarks against the neutral render (:mod:`.capture`), solves the captured ARKit
weights for AUs (:func:`.retarget.solve_aus`) and asks this module which emotion that AU vector
is. It is a geometric check of the whole chain, independent of any emotion classifier.

**Rule.** An AU vector whose Euclidean norm is under :data:`NEUTRAL_NORM` reads as neutral.
Otherwise it is compared with each non-neutral prototype of :func:`.facs.prototype_matrix` by
cosine similarity, and the most similar one wins (ties: the first in
:data:`~.emotions.EMOTION_NAMES` order). Cosine ignores overall strength, so an expression at
60 % reads like the same expression at 100 %.

**Only what the measurement can tell apart.** A capture sees AUs through the ARKit table: an AU
no captured key drives is invisible, and AUs that drive the *same* keys in the same proportion
(AU43 and AU45 both only close the lids; AU25, AU26 and AU27 all only open the jaw) cannot be
separated, so the least-squares split between them is arbitrary. :func:`observable_groups` merges
such channels into one coordinate (``Σ kᵢ xᵢ``, the combination the keys do see) and drops the
invisible ones; both the reading and the prototypes are compared in those coordinates. Without a
matrix every channel is its own coordinate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .emotions import EMOTION_NAMES
from .errors import InputError
from .facs import AU_CHANNELS, prototype_matrix
from .retarget import arkit_au_matrix, solve_aus

NEUTRAL = "neutral"
# An AU vector shorter than this reads as neutral. The capture's deadzone already zeroes landmark
# jitter (a still face reads exactly 0), so this only has to stay below a faint expression: one
# AU at 0.1 is the weakest FACS "trace" level (A = 0.2) halved.
NEUTRAL_NORM = 0.1


@dataclass(frozen=True)
class Readback:
    """Which emotion an AU vector reads as.

    Attributes:
        emotion: The winning name of :data:`EMOTION_NAMES` (``"neutral"`` for a weak vector).
        similarity: Cosine similarity to each non-neutral prototype (0 for a neutral reading).
        strength: Euclidean norm of the AU vector that was classified.
    """

    emotion: str
    similarity: dict[str, float] = field(default_factory=dict)
    strength: float = 0.0


@dataclass(frozen=True)
class ChannelGroup:
    """AU channels a measurement sees only together.

    Attributes:
        channels: Indices into :data:`AU_CHANNELS`.
        gains: Each channel's column length in the measurement matrix (``kᵢ``).
    """

    channels: tuple[int, ...]
    gains: tuple[float, ...]


def observable_groups(matrix: np.ndarray, tol: float = 1e-6) -> tuple[ChannelGroup, ...]:
    """Group the AU channels of a measurement matrix by what it can distinguish.

    Args:
        matrix: (k, len(AU_CHANNELS)) rows of measured keys over AU channels, e.g.
            :func:`.retarget.arkit_au_matrix` of the captured names.
        tol: Two columns are parallel when their unit vectors differ by less than this.

    Returns:
        One group per set of parallel non-zero columns, in channel order; all-zero columns
        (channels no key drives) are left out.
    """
    a = np.asarray(matrix, dtype=float)
    norms = np.linalg.norm(a, axis=0)
    groups: list[tuple[np.ndarray, list[int], list[float]]] = []
    for ch in np.flatnonzero(norms > tol):
        unit = a[:, ch] / norms[ch]
        for direction, members, gains in groups:
            if np.abs(direction - unit).max() < tol:
                members.append(int(ch))
                gains.append(float(norms[ch]))
                break
        else:
            groups.append((unit, [int(ch)], [float(norms[ch])]))
    return tuple(ChannelGroup(tuple(m), tuple(g)) for _, m, g in groups)


def group_values(au: np.ndarray, groups: Sequence[ChannelGroup]) -> np.ndarray:
    """AU vector(s) (..., len(AU_CHANNELS)) in group coordinates (..., len(groups))."""
    x = np.asarray(au, dtype=float)
    cols = [x[..., list(g.channels)] @ np.asarray(g.gains) for g in groups]
    return np.stack(cols, axis=-1) if cols else np.zeros((*x.shape[:-1], 0))


def classify_aus(
    au: np.ndarray,
    groups: Sequence[ChannelGroup] | None = None,
    *,
    prototypes: np.ndarray | None = None,
    neutral_norm: float = NEUTRAL_NORM,
) -> Readback:
    """The emotion prototype nearest an AU vector (see the module docstring for the rule).

    Args:
        au: (len(AU_CHANNELS),) AU activations, e.g. from :func:`.retarget.solve_aus`.
        groups: Coordinates to compare in (:func:`observable_groups`); None: every channel.
        prototypes: (7, len(AU_CHANNELS)) in :data:`EMOTION_NAMES` order; default
            :func:`.facs.prototype_matrix`.
        neutral_norm: Vectors shorter than this read as neutral.

    Returns:
        The reading, with the similarity to every non-neutral prototype.

    Raises:
        InputError: ``au`` or ``prototypes`` has the wrong shape.
    """
    x = np.asarray(au, dtype=float)
    protos = prototype_matrix() if prototypes is None else np.asarray(prototypes, dtype=float)
    if x.shape != (len(AU_CHANNELS),) or protos.shape != (len(EMOTION_NAMES), len(AU_CHANNELS)):
        raise InputError(f"Expected ({len(AU_CHANNELS)},) AUs; got {x.shape}, {protos.shape}.")
    strength = float(np.linalg.norm(x))
    if groups is None:
        groups = tuple(ChannelGroup((i,), (1.0,)) for i in range(len(AU_CHANNELS)))
    v, p = group_values(x, groups), group_values(protos, groups)
    sims = {}
    for row, name in enumerate(EMOTION_NAMES):
        if name == NEUTRAL:
            continue
        denom = float(np.linalg.norm(v) * np.linalg.norm(p[row]))
        sims[name] = float(v @ p[row]) / denom if denom > 0 else 0.0
    if strength < neutral_norm or not sims:
        return Readback(NEUTRAL, {name: 0.0 for name in sims}, strength)
    best = max(sims, key=lambda name: (sims[name], -EMOTION_NAMES.index(name)))
    return Readback(best, sims, strength)


def read_weights(
    names: Sequence[str], weights: np.ndarray, *, neutral_norm: float = NEUTRAL_NORM
) -> tuple[Readback, np.ndarray]:
    """Captured ARKit weights of one frame → AUs → the nearest prototype.

    Args:
        names: ARKit names, one per entry of ``weights`` (e.g. ``CaptureResult.names``).
        weights: (len(names),) weights of one frame.
        neutral_norm: As :func:`classify_aus`.

    Returns:
        (the reading, the (len(AU_CHANNELS),) AU activations it was made from).

    Raises:
        InputError: ``names`` and ``weights`` disagree.
    """
    matrix = arkit_au_matrix(names)
    au = solve_aus(names, np.asarray(weights, dtype=float).reshape(-1), matrix)
    return classify_aus(au, observable_groups(matrix), neutral_norm=neutral_norm), au


def confusion_matrix(
    truth: Sequence[str], predicted: Sequence[str | None], labels: Sequence[str] = EMOTION_NAMES
) -> np.ndarray:
    """Counts of (true, predicted) pairs: rows ``labels``, columns ``labels`` plus "none".

    Args:
        truth: True labels, each one of ``labels``.
        predicted: Predictions; None (or a name outside ``labels``) counts in the last column,
            e.g. a render where no face was found.
        labels: Row and column order.

    Returns:
        (len(labels), len(labels) + 1) integer counts.

    Raises:
        InputError: Different lengths, or a true label outside ``labels``.
    """
    if len(truth) != len(predicted):
        raise InputError(f"{len(truth)} true labels but {len(predicted)} predictions.")
    index = {name: i for i, name in enumerate(labels)}
    out = np.zeros((len(labels), len(labels) + 1), dtype=int)
    for true, pred in zip(truth, predicted, strict=True):
        if true not in index:
            raise InputError(f"True label {true!r} is not one of {list(labels)}.")
        out[index[true], index[pred] if pred in index else len(labels)] += 1
    return out
