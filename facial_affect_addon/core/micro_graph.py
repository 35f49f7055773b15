"""Spotted bursts classified by the AU co-occurrence graph (training-free, numpy only).

Paper 002 reads a micro-expression's AUs through a two-layer GCN over the asymmetric AU graph
``A_ij = P(U_i | U_j)`` and an emotion layer on top. We have no CASME II to learn those weights,
so this module keeps the graph and the two propagation steps and fixes everything else:

1. **Evidence.** The capture path measures AU activations (sides merged by their maximum). Only
   AUs that the captured ARKit keys can see carry evidence, present or absent
   (:func:`observed_aus`: :func:`.readback.observable_groups` of the key-to-AU matrix); the
   rest (the capture sees no AU16, AU20 or AU23, for example) are unknown.
2. **Propagation (2 steps).** Each unknown AU ``i`` takes ``max_j A[i, j] * h_j``: the most
   likely co-activation given the AUs already in ``h``. Measured AUs keep their measured value.
   Two steps reach AUs two hops away. This is the completion rule bursts are authored with
   (:func:`.micro_authoring.complete_aus`, same graph :data:`.micro.DEFAULT_GRAPH`, counted on
   the cited EMFACS-7 table of :data:`.facs.PROTOTYPE_SOURCE`), in place of the GCN's learnt
   layers. Row-normalised mean propagation was tried too and read 4 of the 8 bursts of the
   done-criterion clip right against 6 for the maximum (the mean dilutes strong evidence through
   hub AUs such as AU4).
3. **Emotion layer.** The completed vector is compared with each emotion's cited prototype
   (sides merged) by cosine similarity; the best one wins (ties: :data:`.emotions.EMOTION_NAMES`
   order). Contempt stays in the graph but is not one of the emotions.
4. **Confidence.** A softmax of the six cosines at temperature :data:`TEMPERATURE`: near 1 when
   one prototype fits clearly better than the rest, near 1/6 when the evidence fits several
   (AU1+AU2 alone is surprise or fear), and 0 with no evidence (the burst reads as neutral).
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .emotions import EMOTION_NAMES
from .errors import InputError
from .facs import AU_CHANNELS, PROTOTYPE_SOURCE, parse_prototype
from .micro import DEFAULT_GRAPH, CooccurrenceGraph

NEUTRAL = "neutral"
STEPS = 2
TEMPERATURE = 0.1
MIN_EVIDENCE = 0.1  # a strongest AU below this reads as neutral (FACS trace A = 0.2, halved)


@dataclass(frozen=True)
class GraphReading:
    """What the AU graph makes of one burst.

    Attributes:
        emotion: The best-fitting name of :data:`EMOTION_NAMES` (``"neutral"`` without evidence).
        confidence: Softmax share of the winner in [0, 1] (0 for neutral).
        scores: Cosine similarity of the completed AU vector to each emotion's prototype.
        completed: ``{AU code: value}`` after propagation, non-zero entries only.
    """

    emotion: str
    confidence: float
    scores: dict[str, float] = field(default_factory=dict)
    completed: dict[str, float] = field(default_factory=dict)


def observed_aus(names: Sequence[str]) -> frozenset[str]:
    """AU codes that captured ARKit keys ``names`` can measure (see the module docstring)."""
    from .readback import observable_groups
    from .retarget import arkit_au_matrix

    groups = observable_groups(arkit_au_matrix(names))
    return frozenset(AU_CHANNELS[i].split("_")[0] for g in groups for i in g.channels)


@functools.cache
def capture_observed() -> frozenset[str]:
    """AU codes the capture path's keys (:data:`.capture.CAPTURE_NAMES`) can measure."""
    from .capture import CAPTURE_NAMES

    return observed_aus(CAPTURE_NAMES)


def evidence_vector(
    values: Mapping[str, float], graph: CooccurrenceGraph = DEFAULT_GRAPH
) -> np.ndarray:
    """``{channel or AU code: activation}`` as a vector over ``graph.aus`` (sides merged by max).

    Raises:
        InputError: An AU the graph does not know.
    """
    out = np.zeros(len(graph.aus))
    for name, value in values.items():
        code = name.split("_")[0]
        if code not in graph.aus:
            raise InputError(f"Unknown AU {name!r} for the co-occurrence graph.")
        i = graph.aus.index(code)
        out[i] = max(out[i], float(np.clip(value, 0.0, 1.0)))
    return out


def propagate(
    evidence: np.ndarray,
    observed: np.ndarray,
    graph: CooccurrenceGraph = DEFAULT_GRAPH,
    steps: int = STEPS,
) -> np.ndarray:
    """Fill the unobserved AUs from the observed ones through ``P(U_i | U_j)``.

    Args:
        evidence: (n,) AU activations in ``graph.aus`` order.
        observed: (n,) bool, True where the value was measured (kept as is).
        graph: The co-occurrence graph.
        steps: Propagation steps (hops).

    Returns:
        (n,) the completed vector.
    """
    adjacency = graph.adjacency
    e = np.asarray(evidence, dtype=float)
    h = e.copy()
    for _ in range(steps):
        spread = (adjacency * h[None, :]).max(axis=1)
        h = np.where(observed, e, np.maximum(e, spread))
    return h


def prototype_vectors(graph: CooccurrenceGraph = DEFAULT_GRAPH) -> dict[str, np.ndarray]:
    """Each emotion's cited prototype (:data:`.facs.PROTOTYPE_SOURCE`) over ``graph.aus``."""
    return {
        name: evidence_vector(parse_prototype(PROTOTYPE_SOURCE[name]), graph)
        for name in EMOTION_NAMES
        if name != NEUTRAL
    }


def classify_burst(
    values: Mapping[str, float],
    observed: Collection[str] | None = None,
    graph: CooccurrenceGraph = DEFAULT_GRAPH,
) -> GraphReading:
    """Read a burst's AU activations as an emotion through the AU graph.

    Args:
        values: ``{AU channel or code: activation}`` at the apex (``"AU12_L"``, ``"AU26"``);
            AUs left out count as 0 where observed.
        observed: AU codes the measurement could see (:func:`observed_aus`); None: those the
            capture path's keys see (:data:`.capture.CAPTURE_NAMES`), how spotted bursts are
            read out.
        graph: The co-occurrence graph.

    Returns:
        The emotion, its confidence, every emotion's score and the completed AU values.

    Raises:
        InputError: An AU the graph does not know.
    """
    e = evidence_vector(values, graph)
    seen = capture_observed() if observed is None else set(observed)
    mask = np.array([a in seen for a in graph.aus])
    if e.max(initial=0.0) < MIN_EVIDENCE:
        return GraphReading(NEUTRAL, 0.0, {n: 0.0 for n in prototype_vectors(graph)})
    h = propagate(e, mask, graph)
    scores = {}
    for name, proto in prototype_vectors(graph).items():
        scores[name] = float(h @ proto / (np.linalg.norm(h) * np.linalg.norm(proto)))
    cos = np.array(list(scores.values()))
    share = np.exp((cos - cos.max()) / TEMPERATURE)
    best = int(np.argmax(cos))
    completed = {a: float(v) for a, v in zip(graph.aus, h, strict=True) if v > 0}
    return GraphReading(list(scores)[best], float(share[best] / share.sum()), scores, completed)
