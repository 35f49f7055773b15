"""Micro-expressions: brief (40-500 ms) bursts whose AU sets follow an AU co-occurrence graph.

**Duration.** Paper 002 calls micro-expressions "brief (1/25 to 1/5 second)" in its
introduction but uses "less than 0.5 seconds" (its ref. 6: Yan et al., "How fast are the leaked
facial expressions", J. Nonverbal Behav. 37, 2013, which measured leaked expressions and put the
boundary at 500 ms) when it defines what its spotter looks for. We accept the wider literature
range everywhere a burst is made or read: :data:`MIN_DURATION` 40 ms to :data:`MAX_DURATION`
500 ms (the CLI, timeline files, the panel's list). Randomly scattered bursts keep the classic
1/25 - 1/5 s by default (:data:`TYPICAL_MAX_DURATION`), the range most coded ones fall in.

**Co-occurrence graph.** Paper 002 (section 3.3) builds a directed graph over AUs with the
asymmetric adjacency ``A_ij = P(U_i | U_j) = N_ij / N_j``: ``N_ij`` counts how often AUs i and j
are active together and ``N_j`` how often j is active. The paper learns the counts from CASME II,
which we do not have. Our count table is derived from the cited prototype table of :mod:`.facs`
(:data:`~.facs.PROTOTYPE_SOURCE`, the seven EMFACS-7 prototypes including contempt): ``N_ij`` is
the number of prototypes containing both AUs, ``N_j`` the number containing j (sides merged).
For example AU12 occurs in happiness (6+12) and contempt (12+14), so ``A[AU6, AU12] = 1/2``.
Seven prototypes give a coarse graph, but every co-activation it proposes is one FACS coders
report, which is the property that matters here.

**A burst.** A burst leaks one emotion: a seed AU is drawn from that emotion's prototype
(proportionally to its intensity in the cited table), and each other AU ``i`` joins with probability
``A[i, seed]``, at an amplitude scaled by the same probability. Its envelope is onset
(:data:`ONSET_FRACTION`), apex (:data:`APEX_FRACTION`), offset (the rest), all smoothstep
ramps. A frame-sampled curve cannot show 40 ms at 24 fps, so :func:`frame_aligned` stretches
bursts to at least three frames (125 ms at 24 fps, still a micro-expression) and centres the
apex on a frame.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .curves import envelope
from .emotions import EMOTION_NAMES, canonical_emotion_name
from .errors import InputError
from .facs import (
    AU_CATALOGUE,
    AU_CHANNELS,
    CHANNEL_INDEX,
    PROTOTYPE_SOURCE,
    parse_au,
    parse_prototype,
)

MIN_DURATION = 1.0 / 25.0
MAX_DURATION = 0.5
TYPICAL_MAX_DURATION = 1.0 / 5.0
ONSET_FRACTION = 0.35
APEX_FRACTION = 0.2
_TOL = 1e-9


@dataclass(frozen=True)
class MicroBurst:
    """One micro-expression.

    Attributes:
        start: Start time in seconds.
        duration: Total length in seconds, within [0.04, 0.5].
        apex: ``(channel, value)`` pairs: the AU intensities at the apex.
        emotion: The leaked emotion (informational).

    Raises:
        InputError: On a bad time or duration, an empty apex, unknown channels or values
            outside [0, 1].
    """

    start: float
    duration: float
    apex: tuple[tuple[str, float], ...]
    emotion: str = ""

    def __post_init__(self) -> None:
        if not np.isfinite(self.start) or self.start < 0:
            raise InputError(f"A micro-expression must start at a time >= 0 s, got {self.start}.")
        if not (MIN_DURATION - _TOL <= self.duration <= MAX_DURATION + _TOL):
            raise InputError(
                f"A micro-expression lasts 40-500 ms, got {self.duration * 1000:g} ms."
            )
        if not self.apex:
            raise InputError("A micro-expression needs at least one AU.")
        for channel, value in self.apex:
            if channel not in CHANNEL_INDEX:
                raise InputError(f"Unknown AU channel {channel!r} in a micro-expression.")
            if not np.isfinite(value) or not 0.0 <= value <= 1.0:
                raise InputError(f"Micro-expression {channel} must be in [0, 1], got {value}.")

    @classmethod
    def from_mapping(
        cls, start: float, duration: float, aus: Mapping[str, float], emotion: str = ""
    ) -> MicroBurst:
        """Build a burst from ``{AU name: apex value}`` (``"AU12"`` sets both sides).

        Raises:
            InputError: As the constructor, or on unknown AU names.
        """
        apex: dict[str, float] = {}
        for name, value in aus.items():
            au, side = parse_au(name)
            for ch in [f"{au.code}_{side}"] if side else au.channels():
                apex[ch] = float(value)
        return cls(float(start), float(duration), tuple(apex.items()), emotion)

    def vector(self) -> np.ndarray:
        """Apex values as a (C,) array in :data:`~.facs.AU_CHANNELS` order."""
        out = np.zeros(len(AU_CHANNELS))
        for channel, value in self.apex:
            out[CHANNEL_INDEX[channel]] = value
        return out

    def phases(self) -> tuple[float, float, float]:
        """(onset, apex, offset) durations in seconds."""
        onset = ONSET_FRACTION * self.duration
        hold = APEX_FRACTION * self.duration
        return onset, hold, self.duration - onset - hold

    def peak_time(self) -> float:
        """The middle of the apex hold, in seconds: where the burst peaks."""
        return self.start + (ONSET_FRACTION + APEX_FRACTION / 2) * self.duration

    def scaled(self, factor: float) -> MicroBurst:
        """The burst with every apex value times ``factor`` (clipped to [0, 1])."""
        apex = tuple((ch, float(np.clip(v * factor, 0.0, 1.0))) for ch, v in self.apex)
        return MicroBurst(self.start, self.duration, apex, self.emotion)


@dataclass(frozen=True, eq=False)
class CooccurrenceGraph:
    """AU co-occurrence counts and the asymmetric adjacency ``A_ij = N_ij / N_j``.

    Attributes:
        aus: AU codes (``"AU1"``...), the row/column order.
        counts: (n, n) ``N_ij``; the diagonal holds ``N_j``.
    """

    aus: tuple[str, ...]
    counts: np.ndarray

    @property
    def adjacency(self) -> np.ndarray:
        """(n, n) ``A[i, j] = P(U_i | U_j)``; columns of never-seen AUs are 0."""
        n_j = np.diag(self.counts).astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(n_j[None, :] > 0, self.counts / n_j[None, :], 0.0)

    def conditional(self, au_i: str, au_j: str) -> float:
        """``P(U_i | U_j)`` for two AU names. Raises InputError on unknown AUs."""
        i = self.aus.index(parse_au(au_i)[0].code)
        j = self.aus.index(parse_au(au_j)[0].code)
        return float(self.adjacency[i, j])

    def sample(self, seed_au: str, rng: np.random.Generator) -> dict[str, float]:
        """Draw a plausible AU set around ``seed_au``.

        Returns:
            ``{AU code: P(U_i | U_seed)}`` for the seed (1.0) and each AU that joined.

        Raises:
            InputError: If the seed AU never occurs in the count table.
        """
        j = self.aus.index(parse_au(seed_au)[0].code)
        if self.counts[j, j] == 0:
            raise InputError(f"{seed_au} never occurs in the co-occurrence table; pick another.")
        column = self.adjacency[:, j]
        draws = rng.random(len(self.aus))
        return {
            self.aus[i]: float(column[i])
            for i in range(len(self.aus))
            if i == j or (column[i] > 0 and draws[i] < column[i])
        }


def prototype_counts(source: Mapping[str, str] = PROTOTYPE_SOURCE) -> CooccurrenceGraph:
    """Co-occurrence counts derived from a prototype table (sides merged).

    Args:
        source: Emotion -> FACS formula, by default the cited :data:`~.facs.PROTOTYPE_SOURCE`.
    """
    aus = tuple(AU_CATALOGUE)
    counts = np.zeros((len(aus), len(aus)), dtype=int)
    for formula in source.values():
        present = {ch.split("_")[0] for ch in parse_prototype(formula)}
        idx = [aus.index(a) for a in present]
        counts[np.ix_(idx, idx)] += 1
    return CooccurrenceGraph(aus, counts)


DEFAULT_GRAPH = prototype_counts()
# Bursts seed from the same cited table the graph counts (not from the animated faces of
# :data:`~.facs.EXPRESSION_SOURCE`), so every seed AU has a row in the graph.
_CITED_PROTOTYPES = {name: parse_prototype(f) for name, f in PROTOTYPE_SOURCE.items()}


@dataclass(frozen=True)
class MicroOptions:
    """How to generate micro-expressions.

    Attributes:
        rate_per_minute: Mean rate of random bursts (a Poisson process) when ``times`` is None.
        times: Explicit burst start times in seconds (then ``rate_per_minute`` is unused).
        duration_range: Min and max burst length, within [0.04, 0.5] s (default 40-200 ms).
        intensity_range: Min and max apex amplitude of the seed AU, within [0, 1].
        emotion: The emotion that leaks; None = drawn from the active event's non-neutral
            weights, or uniformly when no emotional event is active.
        asymmetry: Max relative left/right difference of a burst.

    Raises:
        InputError: On out-of-range values or an unknown emotion.
    """

    rate_per_minute: float = 2.0
    times: tuple[float, ...] | None = None
    duration_range: tuple[float, float] = (MIN_DURATION, TYPICAL_MAX_DURATION)
    intensity_range: tuple[float, float] = (0.3, 0.6)
    emotion: str | None = None
    asymmetry: float = 0.2

    def __post_init__(self) -> None:
        if not np.isfinite(self.rate_per_minute) or self.rate_per_minute < 0:
            raise InputError("Micro-expression rate must be a non-negative number per minute.")
        lo, hi = self.duration_range
        if not MIN_DURATION - _TOL <= lo <= hi <= MAX_DURATION + _TOL:
            raise InputError("Micro-expression durations must satisfy 0.04 <= min <= max <= 0.5 s.")
        lo, hi = self.intensity_range
        if not 0.0 <= lo <= hi <= 1.0:
            raise InputError("Micro-expression intensities must satisfy 0 <= min <= max <= 1.")
        if self.times is not None and not all(np.isfinite(t) and t >= 0 for t in self.times):
            raise InputError("Micro-expression times must be finite and >= 0 s.")
        if self.emotion is not None and canonical_emotion_name(self.emotion) == "neutral":
            raise InputError("Neutral has no AUs to leak; pick an emotion such as 'fear'.")
        if not 0.0 <= self.asymmetry < 1.0:
            raise InputError("Micro-expression asymmetry must be in [0, 1).")


def _leaked_emotion(
    events: Sequence[Any], t: float, options: MicroOptions, rng: np.random.Generator
) -> str:
    if options.emotion is not None:
        return canonical_emotion_name(options.emotion)
    event = next((e for e in events if e.start <= t < e.end), None)
    w = event.weights.as_array().copy() if event is not None else np.zeros(len(EMOTION_NAMES))
    w[EMOTION_NAMES.index("neutral")] = 0.0
    if w.sum() <= 0:
        w = np.ones(len(EMOTION_NAMES))
        w[EMOTION_NAMES.index("neutral")] = 0.0
    return EMOTION_NAMES[int(rng.choice(len(w), p=w / w.sum()))]


def make_burst(
    start: float,
    emotion: str,
    options: MicroOptions,
    rng: np.random.Generator,
    graph: CooccurrenceGraph = DEFAULT_GRAPH,
) -> MicroBurst:
    """One burst of ``emotion`` at ``start`` (seed AU, co-activated AUs, amplitudes, sides)."""
    proto = {ch.split("_")[0]: v for ch, v in _CITED_PROTOTYPES[emotion].items()}
    codes = list(proto)
    p = np.array([proto[c] for c in codes])
    seed = codes[int(rng.choice(len(codes), p=p / p.sum()))]
    amp = rng.uniform(*options.intensity_range)
    skew = rng.uniform(-options.asymmetry, options.asymmetry)
    apex: dict[str, float] = {}
    for code, prob in graph.sample(seed, rng).items():
        value = amp * prob
        au = AU_CATALOGUE[code]
        if au.sided:
            apex[f"{code}_L"] = float(np.clip(value * (1 + skew), 0, 1))
            apex[f"{code}_R"] = float(np.clip(value * (1 - skew), 0, 1))
        else:
            apex[code] = float(np.clip(value, 0, 1))
    duration = rng.uniform(*options.duration_range)
    return MicroBurst(float(start), float(duration), tuple(apex.items()), emotion)


def generate_bursts(
    events: Sequence[Any],
    t_end: float,
    options: MicroOptions,
    rng: np.random.Generator,
) -> tuple[MicroBurst, ...]:
    """Bursts at the given times or at seeded random (Poisson) times in ``[0, t_end]``.

    Args:
        events: The timeline's events (objects with ``start``, ``end``, ``weights``).
        t_end: End of the time range for random bursts, in seconds.
        options: Generation options.
        rng: The random generator (seed it for reproducible output).
    """
    if options.times is not None:
        times = sorted(float(t) for t in options.times)
    else:
        span = max(t_end - options.duration_range[1], 0.0)
        n = int(rng.poisson(options.rate_per_minute * span / 60.0))
        times = sorted(rng.uniform(0.0, span, size=n).tolist())
    return tuple(
        make_burst(t, _leaked_emotion(events, t, options, rng), options, rng) for t in times
    )


def frame_aligned(burst: MicroBurst, fps: float) -> MicroBurst:
    """The burst stretched to >= 3 frames (if that stays <= 0.5 s) with its apex on a frame."""
    duration = min(max(burst.duration, 3.0 / fps), max(burst.duration, MAX_DURATION))
    centre = round(burst.peak_time() * fps) / fps
    start = max(centre - (ONSET_FRACTION + APEX_FRACTION / 2) * duration, 0.0)
    return MicroBurst(start, duration, burst.apex, burst.emotion)


RECORD_FIELDS = ("onset", "apex", "offset", "aus", "keys", "emotion", "confidence")
"""The fields of a ``"micro_expressions"`` JSON entry, authored and spotted alike."""
RECORD_DIGITS = 6


def micro_record(
    onset: float,
    apex: float,
    offset: float,
    aus: Sequence[str],
    keys: Mapping[str, float],
    emotion: str,
    confidence: float,
) -> dict[str, Any]:
    """One entry of the JSON output's ``"micro_expressions"`` (and ``"macro_expressions"``).

    Authored bursts (:func:`.micro_authoring.burst_record`) and spotted ones
    (:meth:`.micro_spot.SpottedBurst.to_json`) both go through here, so a reader sees one shape:
    :data:`RECORD_FIELDS`, times/values/confidence as plain floats (numpy scalars converted,
    rounded to :data:`RECORD_DIGITS`), ``aus`` a list of AU codes, ``keys`` ARKit key -> apex
    value (keys at 0 left out), ``emotion`` a string.
    """
    return {
        "onset": round(float(onset), RECORD_DIGITS),
        "apex": round(float(apex), RECORD_DIGITS),
        "offset": round(float(offset), RECORD_DIGITS),
        "aus": [str(code) for code in aus],
        "keys": {str(k): round(float(v), RECORD_DIGITS) for k, v in keys.items() if v > 0},
        "emotion": str(emotion),
        "confidence": round(float(confidence), RECORD_DIGITS),
    }


def render_bursts(
    bursts: Sequence[MicroBurst], times: np.ndarray, out: np.ndarray | None = None
) -> np.ndarray:
    """The bursts' AU curves at ``times`` (sorted seconds), (len(times), C) in [0, 1].

    Bursts combine with each other and with ``out`` like independent activations,
    ``1 - (1 - a)(1 - b)``, which stays in [0, 1] and keeps the curves smooth.

    Args:
        bursts: The bursts (use :func:`frame_aligned` ones for frame-sampled output).
        times: Sorted sample times in seconds.
        out: Optional (len(times), C) AU array to layer the bursts onto, in place.
    """
    t = np.asarray(times, dtype=float)
    if out is None:
        out = np.zeros((len(t), len(AU_CHANNELS)))
    for burst in bursts:
        lo, hi = np.searchsorted(t, [burst.start, burst.start + burst.duration])
        if hi <= lo:
            continue
        env = envelope(t[lo:hi], burst.start, *burst.phases())
        layer = env[:, None] * burst.vector()[None, :]
        out[lo:hi] = 1.0 - (1.0 - out[lo:hi]) * (1.0 - layer)
    return out
