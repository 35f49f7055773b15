"""The settings every synthesis call takes, in a module light enough to import at registration.

:mod:`.synthesis` pulls in the whole engine; the panel's properties need only these types, so they
live apart and :mod:`.synthesis` re-exports them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from typing import TYPE_CHECKING

from .errors import InputError

if TYPE_CHECKING:
    from .life import LifeOptions
    from .micro import MicroBurst, MicroOptions
    from .timeline import TransitionSettings


class SynthesisMode(StrEnum):
    """How emotion events become AU curves."""

    DYNAMIC = "dynamic"
    """Rise, hold and fall with semantic re-weighting (the papers' proposed system)."""
    STATIC = "static"
    """A constant template of the dominant emotion (paper 000's baseline)."""


@dataclass(frozen=True)
class SynthesisOptions:
    """How to synthesise a timeline: the one list of settings every synthesis call takes.

    Attributes:
        fps: Frame rate of the output.
        frame_start: Scene frame of the first sample (timeline t = 0).
        n_frames: Frames to produce; None covers the timeline plus the last release.
        mode: :class:`SynthesisMode` (a plain ``"dynamic"``/``"static"`` string is accepted).
        intensity: Global intensity in [0, 1], multiplied into every event.
        micro: Random micro-expressions: True for defaults, or a :class:`MicroOptions`
            (e.g. with explicit ``times``).
        micro_bursts: Authored micro-expressions (:mod:`.micro_authoring`), added to the
            timeline's own and to any random ones.
        life: Blinks and L/R asymmetry: True for defaults, a :class:`LifeOptions`, or False.
        seed: Seed of every random choice; the same inputs and seed give the same curves.
        transitions: State-machine timing; defaults if None.
        speech: ``(start, end)`` seconds of spoken segments: the jaw and lips articulate there
            (:mod:`.articulation`; rhythm only, not phoneme lip-sync).
    """

    fps: float = 24.0
    frame_start: int = 1
    n_frames: int | None = None
    mode: SynthesisMode | str = SynthesisMode.DYNAMIC
    intensity: float = 1.0
    micro: bool | MicroOptions = False
    micro_bursts: tuple[MicroBurst, ...] = ()
    life: bool | LifeOptions = True
    seed: int = 0
    transitions: TransitionSettings | None = None
    speech: Sequence[tuple[float, float]] = ()


_OPTION_NAMES = frozenset(f.name for f in fields(SynthesisOptions))


def synthesis_options(options: SynthesisOptions | None, overrides: dict) -> SynthesisOptions:
    """``options`` (or the defaults) with keyword ``overrides`` applied.

    Lets callers write ``synthesize(timeline, keys, fps=24, micro=True)`` or pass a ready
    :class:`SynthesisOptions`; both spell the same settings.

    Raises:
        InputError: An override that is not a :class:`SynthesisOptions` field.
    """
    unknown = set(overrides) - _OPTION_NAMES
    if unknown:
        raise InputError(f"Unknown synthesis option(s): {', '.join(sorted(unknown))}.")
    return replace(options or SynthesisOptions(), **overrides)
