"""Authored micro-expressions: a burst placed where the user asks, of an emotion or an AU set.

Three front ends make the same :class:`MicroSpec` (apex time, what it shows, intensity,
duration): the CLI's ``--micro-at T:EMOTION_OR_AUS:INTENSITY[:DURATIONms]``
(:func:`parse_micro_at`), a micro-expression timeline file (:func:`load_micro_file`) and the
panel's list of bursts. :func:`author_burst` turns a spec into a :class:`~.micro.MicroBurst`.

**Time is the apex.** ``T`` is where the burst peaks (the middle of its apex hold), not where it
starts: an artist places a burst on the frame where it must read. The onset starts
``0.45 * duration`` earlier (:data:`~.micro.ONSET_FRACTION` plus half the hold), so a burst whose
onset would fall before 0 s is refused.

**What it shows.** An emotion burst shows that emotion's animated face
(:data:`~.facs.PROTOTYPES`, the faces the engine uses for events), as it is: that AU set is
already complete and was tuned to read (issue 11 dropped fear's AU2 and AU7, which the cited
table, and so the graph, would add back). An AU burst starts from the given AUs
(``AU1+AU2+AU5``; ``AU12L`` for one side), and each given AU ``j`` then recruits the AUs ``i``
that the asymmetric co-occurrence graph of paper 002 says usually come with it:
``A[i, j] = P(U_i | U_j) >= COMPLETION_THRESHOLD`` (0.5: more often with ``j`` than without).
A recruited AU gets ``max_j A[i, j] * a_j`` (the strongest evidence, never more than the AU that
recruited it), on the side(s) of that AU. One pass, no chaining: completion adds the direct
companions of what the user asked for, not companions of companions. The paper completes nothing
(its GCN refines predicted AUs); this is our deterministic reading of its graph for authoring.
Completion can be turned off per AU burst (``complete``).

**Modulation.** Paper 002 scales every curve by ``m_e * i_v`` (section 3.4): ``i_v`` in [0, 1]
is the intensity "sampled from user input", here the spec's intensity, multiplied into every
apex value; ``m_e`` is the emotion-specific modulator. It is applied when the performance is
planned (:func:`~.synthesis.plan_performance`), to authored and scattered bursts alike: our
``m_e`` (:data:`~.curves.EMOTION_AMPLITUDE`) times the rig profile's gain for the burst's
emotion. An AU burst takes the emotion whose cited prototype best overlaps its AU set
(:func:`classify_aus`; none when nothing overlaps, and then ``m_e = 1``).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import limits as lim
from .emotions import EMOTION_NAMES, canonical_emotion_name
from .errors import InputError
from .facs import AU_CATALOGUE, PROTOTYPE_SOURCE, PROTOTYPES, parse_au, parse_prototype
from .micro import (
    APEX_FRACTION,
    DEFAULT_GRAPH,
    MAX_DURATION,
    MIN_DURATION,
    ONSET_FRACTION,
    CooccurrenceGraph,
    MicroBurst,
    micro_record,
)

DEFAULT_DURATION = 0.2
"""A burst's length when none is given: 200 ms, the classic upper edge (five frames at 24 fps)."""
COMPLETION_THRESHOLD = 0.5
PEAK_FRACTION = ONSET_FRACTION + APEX_FRACTION / 2
MICRO_FILE_KIND = "micro_expressions"
MICRO_FILE_VERSION = 1
_TOL = 1e-9
_DURATION = re.compile(r"^(\d+(?:\.\d*)?|\.\d+)\s*(ms|s)?$", re.IGNORECASE)


@dataclass(frozen=True)
class MicroSpec:
    """One authored burst, as a front end asked for it.

    Attributes:
        time: Apex (peak) time in seconds.
        intensity: Paper 002's ``i_v`` in [0, 1], multiplied into every apex value.
        emotion: The emotion shown (canonical name), or "" for an AU burst.
        aus: ``(AU name, relative value in [0, 1])`` pairs of an AU burst (``"AU12"`` both
            sides, ``"AU12L"`` one); empty for an emotion burst.
        duration: Length in seconds, 40-500 ms.
        complete: Add the AUs the co-occurrence graph says come with the given ones (AU
            bursts only; an emotion's face is used as it is).

    Raises:
        InputError: A bad time, intensity or duration, an onset before 0 s, neither or both of
            emotion and AUs, neutral, or unknown AU names.
    """

    time: float
    intensity: float
    emotion: str = ""
    aus: tuple[tuple[str, float], ...] = ()
    duration: float = DEFAULT_DURATION
    complete: bool = True

    def __post_init__(self) -> None:
        if not math.isfinite(self.time) or self.time < 0:
            raise InputError(f"A micro-expression's time must be >= 0 s, got {self.time:g}.")
        if not math.isfinite(self.intensity) or not 0.0 <= self.intensity <= 1.0:
            raise InputError(
                f"Micro-expression intensity must be in [0, 1], got {self.intensity:g}."
            )
        if not (
            math.isfinite(self.duration)
            and MIN_DURATION - _TOL <= self.duration <= MAX_DURATION + _TOL
        ):
            raise InputError(
                f"A micro-expression lasts 40-500 ms, got {self.duration * 1000:g} ms."
            )
        if self.time - PEAK_FRACTION * self.duration < -_TOL:
            raise InputError(
                f"A {self.duration * 1000:g} ms micro-expression peaking at {self.time:g} s would "
                f"start before 0 s; place it at >= {PEAK_FRACTION * self.duration:.3f} s."
            )
        if bool(self.emotion) == bool(self.aus):
            raise InputError("A micro-expression shows either an emotion or a set of AUs.")
        if self.emotion and canonical_emotion_name(self.emotion) == "neutral":
            raise InputError("Neutral has no AUs to leak; pick an emotion such as 'fear'.")
        for name, value in self.aus:
            parse_au(name)
            if not math.isfinite(value) or not 0.0 <= value <= 1.0:
                raise InputError(f"Micro-expression {name} must be in [0, 1], got {value:g}.")

    @property
    def onset(self) -> float:
        """Start time in seconds."""
        return max(self.time - PEAK_FRACTION * self.duration, 0.0)

    def label(self) -> str:
        """What the burst shows: the emotion, or ``AU1+AU2``."""
        return self.emotion or "+".join(name for name, _ in self.aus)


def parse_duration(text: str) -> float:
    """``"120ms"``, ``"120"`` (milliseconds) or ``"0.12s"`` as seconds.

    Raises:
        InputError: Anything else.
    """
    match = _DURATION.match(text.strip())
    if not match:
        raise InputError(f"Bad micro-expression duration {lim.clip_text(text, 30)!r}; e.g. 120ms.")
    value = float(match.group(1))
    return value if (match.group(2) or "ms").lower() == "s" else value / 1000.0


def parse_what(text: str) -> tuple[str, tuple[tuple[str, float], ...]]:
    """An emotion name or an AU set ``AU1+AU2+AU5`` as ``(emotion, aus)``.

    Raises:
        InputError: Neither an emotion nor a valid AU set.
    """
    text = text.strip()
    if text.lower().startswith("au"):
        names = [p.strip() for p in text.split("+")]
        for name in names:
            try:
                parse_au(name)
            except InputError:
                raise InputError(
                    f"Unknown AU {lim.clip_text(name, 30)!r} in a micro-expression; e.g. AU1+AU2."
                ) from None
        return "", tuple((name.upper(), 1.0) for name in names)
    try:
        return canonical_emotion_name(text), ()
    except InputError:
        raise InputError(
            f"Unknown micro-expression {lim.clip_text(text, 30)!r}: an emotion "
            f"({', '.join(EMOTION_NAMES[1:])}) or AUs such as AU1+AU2+AU5."
        ) from None


def parse_micro_at(text: str) -> MicroSpec:
    """Parse ``T:EMOTION_OR_AUS:INTENSITY[:DURATION]``, e.g. ``1.20:fear:0.4:120ms``.

    Raises:
        InputError: A malformed field, or a spec :class:`MicroSpec` refuses.
    """
    parts = text.split(":")
    if len(parts) not in (3, 4):
        raise InputError(
            f"Bad --micro-at {lim.clip_text(text, 40)!r}: use TIME:EMOTION_OR_AUS:INTENSITY"
            "[:DURATIONms], e.g. 1.20:fear:0.4:120ms or 2.0:AU1+AU2+AU5:0.5."
        )
    try:
        time, intensity = float(parts[0]), float(parts[2])
    except ValueError:
        raise InputError(
            f"Bad --micro-at {lim.clip_text(text, 40)!r}: time and intensity must be numbers."
        ) from None
    emotion, aus = parse_what(parts[1])
    duration = parse_duration(parts[3]) if len(parts) == 4 else DEFAULT_DURATION
    spec = MicroSpec(time, intensity, emotion, aus, duration)
    lim.check_duration(spec.time, "A --micro-at time")
    return spec


def classify_aus(codes: Sequence[str]) -> str:
    """The emotion whose cited prototype best overlaps an AU set (Jaccard); "" for none.

    Ties go to the earlier emotion of :data:`~.emotions.EMOTION_NAMES`.
    """
    given = {parse_au(c)[0].code for c in codes}
    best, score = "", 0.0
    for name in EMOTION_NAMES[1:]:
        proto = {ch.split("_")[0] for ch in parse_prototype(PROTOTYPE_SOURCE[name])}
        overlap = len(given & proto) / len(given | proto)
        if overlap > score + _TOL:
            best, score = name, overlap
    return best


def complete_aus(
    apex: Mapping[str, float],
    graph: CooccurrenceGraph = DEFAULT_GRAPH,
    threshold: float = COMPLETION_THRESHOLD,
) -> dict[str, float]:
    """Add the AUs that usually come with the given channels (see the module docstring).

    Args:
        apex: ``{channel: value}`` (``"AU12_L"``, ``"AU26"``).
        graph: The co-occurrence graph.
        threshold: Smallest ``P(U_i | U_j)`` that recruits ``i``.

    Returns:
        The given channels unchanged plus the recruited ones.
    """
    adjacency = graph.adjacency
    out = dict(apex)
    given = {ch.split("_")[0] for ch in apex}
    for channel, value in apex.items():
        code, _, side = channel.partition("_")
        j = graph.aus.index(code)
        for i, p in enumerate(adjacency[:, j]):
            joined = graph.aus[i]
            if p < threshold or joined in given:
                continue
            au = AU_CATALOGUE[joined]
            targets = [f"{joined}_{side}"] if side and au.sided else list(au.channels())
            for target in targets:
                out[target] = max(out.get(target, 0.0), float(p) * value)
    return out


def author_burst(spec: MicroSpec, graph: CooccurrenceGraph = DEFAULT_GRAPH) -> MicroBurst:
    """The burst a spec asks for: AU set, completion, ``i_v``; ``m_e`` comes at planning."""
    if spec.emotion:
        apex = dict(PROTOTYPES[spec.emotion])
        emotion = spec.emotion
    else:
        apex = {}
        for name, value in spec.aus:
            au, side = parse_au(name)
            for ch in [f"{au.code}_{side}"] if side else au.channels():
                apex[ch] = max(apex.get(ch, 0.0), value)
        emotion = classify_aus([name for name, _ in spec.aus])
        if spec.complete:
            apex = complete_aus(apex, graph)
    values = tuple((ch, min(1.0, v * spec.intensity)) for ch, v in apex.items())
    return MicroBurst(spec.onset, spec.duration, values, emotion)


def _aus_field(value: Any, where: str) -> tuple[tuple[str, float], ...]:
    if isinstance(value, list):
        names = [str(v) for v in value]
        pairs = [(n, 1.0) for n in names]
    else:
        pairs = list(lim.number_map(value, f"{where} aus").items())
    if not pairs:
        raise InputError(f"{where}: 'aus' is empty.")
    return tuple((n.upper(), v) for n, v in pairs)


def spec_from_dict(obj: Any, i: int) -> MicroSpec:
    """One burst of a micro-expression file (see :func:`load_micro_file`).

    Raises:
        InputError: Not an object, unknown or missing fields, bad values.
    """
    where = f"Micro-expression burst {i}"
    if not isinstance(obj, Mapping):
        raise InputError(f"{where} must be an object with 'time', 'intensity' and 'emotion'/'aus'.")
    unknown = set(obj) - {"time", "emotion", "aus", "intensity", "duration_ms", "complete"}
    if unknown:
        raise InputError(f"{where} has unknown field(s): {', '.join(sorted(map(str, unknown)))}.")
    emotion = obj.get("emotion", "")
    if not isinstance(emotion, str):
        raise InputError(f"{where}: 'emotion' must be a string.")
    complete = obj.get("complete", True)
    if not isinstance(complete, bool):
        raise InputError(f"{where}: 'complete' must be true or false.")
    return MicroSpec(
        lim.finite_number(lim.document_field(obj, "time", where), f"{where} time"),
        lim.finite_number(lim.document_field(obj, "intensity", where), f"{where} intensity"),
        parse_what(emotion)[0] if emotion else "",
        _aus_field(obj["aus"], where) if "aus" in obj else (),
        lim.finite_number(obj.get("duration_ms", DEFAULT_DURATION * 1000), f"{where} duration_ms")
        / 1000.0,
        complete,
    )


def specs_from_dict(data: Any, limits: lim.Limits = lim.DEFAULT_LIMITS) -> tuple[MicroSpec, ...]:
    """Validate a micro-expression timeline document (see :func:`load_micro_file`).

    Raises:
        InputError: The first problem, as one line that names the burst.
    """
    lim.check_header(data, MICRO_FILE_VERSION, MICRO_FILE_KIND)
    unknown = set(data) - {"schema_version", "kind", "bursts"}
    if unknown:
        raise InputError(f"Unknown field(s) in the file: {', '.join(sorted(map(str, unknown)))}.")
    bursts = lim.as_list(lim.document_field(data, "bursts", "The file"), "'bursts'")
    lim.check_count(len(bursts), limits.max_items, "bursts", "The file")
    specs = tuple(spec_from_dict(b, i) for i, b in enumerate(bursts))
    lim.check_duration(max((s.time for s in specs), default=0.0), "The file", limits)
    return specs


def load_micro_file(
    path: str | os.PathLike, limits: lim.Limits = lim.DEFAULT_LIMITS
) -> tuple[MicroSpec, ...]:
    """Read a micro-expression timeline file (UTF-8 JSON)::

        {"schema_version": 1, "kind": "micro_expressions",
         "bursts": [{"time": 1.2, "emotion": "fear", "intensity": 0.4, "duration_ms": 120},
                    {"time": 2.0, "aus": ["AU1", "AU2", "AU5"], "intensity": 0.5},
                    {"time": 3.1, "aus": {"AU12L": 1.0, "AU14L": 0.5}, "intensity": 0.6,
                     "complete": false}]}

    ``time`` is the apex in seconds; ``emotion`` or ``aus`` (a list, or AU -> relative value);
    ``intensity`` in [0, 1]; ``duration_ms`` 40-500 (default 200); ``complete`` (default true).

    Raises:
        InputError: An unreadable or invalid file, as one line.
    """
    source = f"Micro-expression file {lim.clip_text(repr(os.fspath(path)), 80)}"
    return specs_from_dict(lim.read_json(path, source, limits), limits)


def arkit_keys(burst: MicroBurst) -> dict[str, float]:
    """The burst's apex on Apple's 52 ARKit keys (the built-in ``arkit52`` profile), no ``m_e``."""
    from .rig_tables import ARKIT_52
    from .rigs import BUILTIN_PROFILES, match_profile
    from .synthesis import map_to_rig

    match = match_profile(BUILTIN_PROFILES["arkit52"], ARKIT_52)
    keys = map_to_rig(burst.vector()[None, :], match)
    return {name: float(v[0]) for name, v in keys.items() if v[0] > 0}


def burst_record(
    burst: MicroBurst, keys: Mapping[str, float], confidence: float = 1.0
) -> dict[str, Any]:
    """A burst as an entry of the JSON output's ``"micro_expressions"`` list.

    The shape is shared with spotted bursts: ``onset``, ``apex``, ``offset`` (seconds), ``aus``
    (AU codes, sides merged), ``keys`` (ARKit key -> apex value), ``emotion``, ``confidence``.
    """
    aus = sorted({ch.split("_")[0] for ch, _ in burst.apex}, key=lambda c: int(c[2:]))
    end = burst.start + burst.duration
    return micro_record(burst.start, burst.peak_time(), end, aus, keys, burst.emotion, confidence)
