"""A performance → per-shape-key curves for a rig (what Bake writes).

:func:`performance_curves` synthesises the emotion timeline (:attr:`FaceMode.EMOTION`) or
replays a video's landmark capture retargeted to the rig (:attr:`FaceMode.MIRROR`).
:func:`bake_curves_for` is what the panel's Bake buttons call: the analysed performance when
there is one, else the chosen emotion (one of the seven, a compound preset or a mix, an
:class:`~.options.EmotionChoice`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import replace

import numpy as np

from ..core.any_rig import synthesize_any
from ..core.curveset import CurveSet
from ..core.emotions import EmotionWeights
from ..core.errors import InputError
from ..core.rig_profile import RigProfile
from ..core.sampling import sample_linear
from . import text
from .lipsync import speech_spans_and_lipsync, with_lipsync
from .options import EmotionChoice, FaceMode, PerformanceOptions
from .performance import Performance

PRESET_SECONDS = 3.0


def performance_curves(
    performance: Performance,
    shape_key_names: Iterable[str],
    options: PerformanceOptions,
    *,
    profile: RigProfile | None = None,
) -> CurveSet:
    """Synthesise the performance's curves for a rig.

    ``options.synthesis.n_frames`` of None (or 0) covers the whole performance. ``profile`` maps
    the engine's channels and emotions to the rig's keys (:mod:`..core.any_rig`); without one it
    is chosen from the key names. Keys no profile maps stay unkeyed, with a warning.

    With ``options.articulate`` on, speech moves the mouth: a performance's timed phones become
    coarticulated visemes on the rig's mouth keys, merged with the emotion by the make-room rule
    (:mod:`..core.lipsync`), and spoken segments without phones (or a rig without viseme keys)
    keep the articulation rhythm. With it off there is no speech at all.

    Raises:
        InputError: Invalid options, or MIRROR without a capture.
        RigError: The rig has no shape keys the engine can drive.
    """
    synth = options.synthesis
    n_frames = synth.n_frames or max(1, math.ceil(performance.duration_s * synth.fps))
    if options.face == FaceMode.MIRROR:
        return captured_curves(performance, shape_key_names, options, n_frames)
    if options.face != FaceMode.EMOTION:
        raise InputError(f"Unknown drive {options.face!r}; use EMOTION or MIRROR.")
    names = [str(n) for n in shape_key_names]
    speech, lipsync_rig = speech_spans_and_lipsync(performance, names, options.articulate)
    curves = synthesize_any(
        performance.timeline,
        names,
        replace(synth, n_frames=n_frames, speech=speech),
        profile,
        shaped=lipsync_rig is None,  # with lip-sync the offsets and clamps apply to the sum
    )
    if lipsync_rig is None:
        return curves
    return with_lipsync(curves, performance, names, lipsync_rig, profile)


def captured_curves(
    performance: Performance,
    shape_key_names: Iterable[str],
    options: PerformanceOptions,
    n_frames: int,
) -> CurveSet:
    """The performance's landmark capture on the rig's keys, ``n_frames`` long.

    Samples are interpolated linearly onto frames and held after the last one; ``intensity``
    scales every value. Keys the capture does not reach stay unkeyed.

    Raises:
        InputError: The performance has no capture (not a video, or no landmarks were found).
        RigError: No rig key can take captured ARKit weights.
    """
    from ..core.retarget import ArkitRetarget

    capture = performance.capture
    if capture is None:
        raise InputError(
            "This analysis has no landmark capture (only a video with a visible face has one); "
            "bake its emotion instead, or analyse a video."
        )
    keys, values = ArkitRetarget(shape_key_names).apply(capture.names, capture.weights)
    if not keys:
        raise InputError("None of the captured expression keys exists on this rig.")
    synth = options.synthesis
    scale = float(np.clip(synth.intensity, 0.0, 1.0))
    frames = sample_linear(capture.times, values, np.arange(n_frames) / synth.fps)
    channels = {key: scale * frames[:, i] for i, key in enumerate(keys)}
    return CurveSet(synth.frame_start, synth.fps, channels, tuple(capture.warnings))


def emotion_curves(
    weights: EmotionWeights | Mapping[str, float],
    shape_key_names: Iterable[str],
    options: PerformanceOptions,
    *,
    profile: RigProfile | None = None,
) -> CurveSet:
    """Curves for a single emotion held over ``options.synthesis.n_frames`` (3 s by default)."""
    performance = preset_performance(weights, options)
    return performance_curves(
        performance, shape_key_names, replace(options, face=FaceMode.EMOTION), profile=profile
    )


def preset_performance(
    weights: EmotionWeights | Mapping[str, float], options: PerformanceOptions
) -> Performance:
    """The performance :func:`emotion_curves` plays: one emotion over ``n_frames`` (3 s)."""
    synth = options.synthesis
    n_frames = synth.n_frames or round(PRESET_SECONDS * synth.fps)
    return text.performance_from_weights(weights, n_frames / synth.fps)


def bake_curves_for(
    performance: Performance | None,
    preset: EmotionChoice | EmotionWeights,
    shape_key_names: Iterable[str],
    options: PerformanceOptions,
    *,
    length_from_input: bool = True,
    profile: RigProfile | None = None,
) -> tuple[Performance, CurveSet]:
    """What a Bake writes: the analysed performance, or the chosen emotion without one.

    Args:
        performance: The analysed performance, or None.
        preset: The emotion baked when there is no performance (only then is a choice turned
            into weights, so an all-zero mix does not stop a performance from baking).
        shape_key_names: The rig's keys.
        options: Synthesis settings (``n_frames`` from the panel's Duration).
        length_from_input: Bake a performance over its whole length (ignore ``n_frames``).
        profile: The rig's mapping profile; chosen from the key names if None.

    Returns:
        The performance baked (the preset's own when none was given; the take keeps it for
        Score Take) and its curves.

    Raises:
        FacialAffectError: Invalid settings, or a rig the engine cannot drive.
    """
    names = list(shape_key_names)
    performance, options = what_to_bake(performance, preset, options, length_from_input)
    return performance, performance_curves(performance, names, options, profile=profile)


def what_to_bake(
    performance: Performance | None,
    preset: EmotionChoice | EmotionWeights,
    options: PerformanceOptions,
    length_from_input: bool,
) -> tuple[Performance, PerformanceOptions]:
    """The performance a Bake plays and its options (see :func:`bake_curves_for`'s arguments)."""
    if performance is None:
        weights = preset.weights() if isinstance(preset, EmotionChoice) else preset
        return preset_performance(weights, options), replace(options, face=FaceMode.EMOTION)
    if length_from_input:
        options = replace(options, synthesis=replace(options.synthesis, n_frames=None))
    return performance, options
