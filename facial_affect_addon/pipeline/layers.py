"""A performance's curves split into layers (emotion, speech, micro-expressions, life).

The split never reaches into the synthesis: it calls :func:`.curves.performance_curves` four
times with more of the performance switched on each time and takes the differences of
successive stages, so the layers are exact additive deltas:

===========  ==========================================================================
emotion      the emotion alone: no speech (``articulate`` off), no micro-expressions
             (random or authored), no life (blinks, asymmetry)
speech       (emotion + speech) − emotion: lip-sync or articulation, however it is made,
             including the make-room scaling of the emotion's mouth (negative values)
micro        (… + micro-expressions) − previous stage
life         the full performance − previous stage: blinks and L/R asymmetry
===========  ==========================================================================

Their sum is the single-action bake's curves (the last stage *is* ``performance_curves`` with
the caller's options), to floating-point rounding. Each stage is deterministic for the seed
and the synthesis keeps separate random streams per layer, so switching one on does not move
the others. Layers that are zero everywhere (e.g. speech for a wordless preset) are left out.

The result is a separate typed object, :class:`LayeredCurves`, rather than a field on
:class:`~..core.curveset.CurveSet`: a curve set stays one plain set of values, and code that
needs the layers asks for them by name.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np

from ..core.curveset import CurveSet
from ..core.emotions import EmotionWeights
from ..core.rig_profile import RigProfile
from ..core.timeline import Timeline
from .curves import performance_curves, what_to_bake
from .options import EmotionChoice, FaceMode, PerformanceOptions
from .performance import Performance


class Layer(StrEnum):
    """The layers of a layered take, bottom first."""

    EMOTION = "emotion"
    SPEECH = "speech"
    MICRO = "micro"
    LIFE = "life"


@dataclass(frozen=True)
class CurveLayer:
    """One layer: which it is and its values (a delta, except the emotion layer).

    Attributes:
        layer: The layer.
        curves: Per-frame values; every layer of a split has the same frames.
    """

    layer: Layer
    curves: CurveSet


@dataclass(frozen=True)
class LayeredCurves:
    """A performance's curves as layers, bottom (emotion) first.

    Attributes:
        layers: The emotion layer, then the non-zero deltas in :class:`Layer` order.
        full: The single-action curves (what a bake without layers writes).
    """

    layers: tuple[CurveLayer, ...]
    full: CurveSet

    def summed(self) -> CurveSet:
        """Every layer added up: the full curves, to rounding (channels of ``full`` only)."""
        channels = {
            name: sum(
                (lay.curves.channels[name] for lay in self.layers if name in lay.curves.channels),
                np.zeros(self.full.n_frames),
            )
            for name in self.full.channels
        }
        return replace(self.full, channels=channels)


def layer_curves(
    performance: Performance,
    shape_key_names: Iterable[str],
    options: PerformanceOptions,
    *,
    profile: RigProfile | None = None,
) -> LayeredCurves:
    """Split the performance's curves (as :func:`.curves.performance_curves` makes them).

    A mirrored capture (:attr:`FaceMode.MIRROR`) has no parts to separate: it is one emotion
    layer, with a warning saying so.

    Raises:
        FacialAffectError: As :func:`.curves.performance_curves`.
    """
    names = list(shape_key_names)
    synth = options.synthesis
    n_frames = synth.n_frames or max(1, math.ceil(performance.duration_s * synth.fps))
    options = replace(options, synthesis=replace(synth, n_frames=n_frames))
    full = performance_curves(performance, names, options, profile=profile)
    if options.face == FaceMode.MIRROR:
        note = "A mirrored capture is baked as one layer (emotion)."
        full = replace(full, warnings=(*full.warnings, note))
        return LayeredCurves((CurveLayer(Layer.EMOTION, full),), full)
    bare = replace(performance, timeline=Timeline(performance.timeline.events))
    quiet = replace(synth, n_frames=n_frames, micro=False, micro_bursts=(), life=False)
    steps = (
        (bare, replace(options, articulate=False, synthesis=quiet)),
        (bare, replace(options, synthesis=quiet)),
        (
            performance,
            replace(
                options,
                synthesis=replace(quiet, micro=synth.micro, micro_bursts=synth.micro_bursts),
            ),
        ),
    )
    stages = [performance_curves(p, names, o, profile=profile) for p, o in steps] + [full]
    return LayeredCurves(_deltas(stages), full)


def _deltas(stages: list[CurveSet]) -> tuple[CurveLayer, ...]:
    """The emotion stage (on every channel any stage has), then each non-zero difference."""
    names = list(dict.fromkeys(n for s in stages for n in s.channels))
    zeros = np.zeros(stages[0].n_frames)

    def values(stage: CurveSet) -> dict[str, np.ndarray]:
        return {n: np.asarray(stage.channels.get(n, zeros), dtype=np.float64) for n in names}

    previous = values(stages[0])
    layers = [CurveLayer(Layer.EMOTION, replace(stages[0], channels=previous, warnings=()))]
    for layer, stage in zip(list(Layer)[1:], stages[1:], strict=True):
        current = values(stage)
        delta = {n: current[n] - previous[n] for n in names}
        delta = {n: d for n, d in delta.items() if np.any(d != 0.0)}
        if delta:
            layers.append(CurveLayer(layer, replace(stage, channels=delta, warnings=())))
        previous = current
    return tuple(layers)


def bake_layers_for(
    performance: Performance | None,
    preset: EmotionChoice | EmotionWeights,
    shape_key_names: Iterable[str],
    options: PerformanceOptions,
    *,
    length_from_input: bool = True,
    profile: RigProfile | None = None,
) -> tuple[Performance, LayeredCurves]:
    """What a layered Bake writes: as :func:`.curves.bake_curves_for`, split into layers.

    Returns:
        The performance baked (the preset's own when none was given) and its layers.

    Raises:
        FacialAffectError: Invalid settings, or a rig the engine cannot drive.
    """
    performance, options = what_to_bake(performance, preset, options, length_from_input)
    return performance, layer_curves(performance, shape_key_names, options, profile=profile)
