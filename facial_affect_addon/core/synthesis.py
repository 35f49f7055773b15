"""The engine's front door: timeline + rig key names -> per-shape-key curves (a CurveSet).

Everything else (pipeline, CLI, operators, live preview) calls :func:`synthesize`::

    from .core.emotions import EmotionWeights
    from .core.synthesis import single_event_timeline, synthesize

    timeline = single_event_timeline(EmotionWeights.compound("happily_surprised"), 3.0)
    curves = synthesize(timeline, key_names, SynthesisOptions(fps=24, frame_start=1))
    # curves.channels: {rig key name: array per frame}; curves.warnings: what the rig lacks

The pipeline, step by step:

1. **Rig.** The profile is detected from the rig's key names (:func:`.rigs.detect_profile`)
   unless one is given; its :class:`~.rigs.RigMatch` maps AU channels to the rig's actual keys.
2. **Targets.** Each event's AU vector: prototypes blended by the event's weights
   (:func:`.facs.blend_matrix`, antagonists resolved), times ``m_e`` and ``i_v`` (paper 002).
   *Dynamic* mode uses per-emotion amplitudes and a seeded intensity variation of +-10 % of
   the head-room (:func:`vary_intensity`: intensity 1.0 stays the full prototype); *static*
   mode (paper 000's baseline) shows the dominant emotion's fixed template at the global
   intensity, no modulation. Both apply the rig profile's ``emotion_gains``.
3. **State machine.** :func:`.timeline.plan_keyframes` turns events into AU keyframes
   (rise-hold-fall, holds and cross-fades in dynamic mode; linear 10-frame ramps in static).
4. **Layers.** Optional life (blinks, L/R asymmetry, :mod:`.life`) and micro-expressions
   (:mod:`.micro`), combined with the base as ``1 - (1 - a)(1 - b)``.
5. **Render.** The keyframe B-splines are evaluated on all frame times at once; a closing lid
   overrides a raised one (:func:`.antagonists.close_lids`); one matrix product maps the 40 AU
   channels to the rig's keys (with the profile's key gains), clipped to [0, 1]; and the
   profile's antagonist key pairs are resolved (:func:`.antagonists.resolve_antagonists`).

Steps 2-4 are deterministic for a given ``seed``; random streams are independent, so turning
micro-expressions on does not move the blinks. :func:`plan_performance` and
:func:`render_plan` expose steps 1-4 and 5 separately (the benchmark checks the vectorised
render against a per-frame loop over the same plan). :class:`.live.LivePreview` steps the
state machine in real time and returns current key values per tick.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .antagonists import close_lids, resolve_antagonists
from .articulation import ARTICULATION_CHANNELS, ArticulationOptions, articulation_track
from .curves import KeyframeTrack, amplitude_array, displacement_for_intensity, frame_times
from .curveset import CurveSet
from .emotions import EMOTION_NAMES, EmotionWeights
from .errors import InputError
from .facs import AU_CATALOGUE, AU_CHANNELS, CHANNEL_INDEX, blend_matrix
from .life import BLINK_CHANNELS, LifeOptions, asymmetry_gains, blink_track
from .micro import MicroBurst, MicroOptions, frame_aligned, generate_bursts, render_bursts
from .rigs import RigMatch, RigProfile, builtin_profile, detect_profile
from .synthesis_options import SynthesisMode, SynthesisOptions, synthesis_options
from .timeline import (
    EmotionEvent,
    Timeline,
    TransitionSettings,
    event_targets,
    plan_keyframes,
)

MODES: tuple[str, ...] = tuple(SynthesisMode)
MAX_FRAMES = 2_000_000
"""Longest render (about 23 h at 24 fps); beyond it memory, not time, becomes the problem."""
_TAIL_SECONDS = 0.5
_USED = 1e-6


@dataclass(frozen=True, eq=False)
class PerformancePlan:
    """Everything needed to render AU curves at any times (steps 1-4 of the module docstring).

    Attributes:
        fps: Frame rate.
        n_frames: Number of frames to render.
        mode: ``"dynamic"`` or ``"static"``.
        keyframes: The state machine's AU keyframes (all channels).
        blinks: Blink keyframes on :data:`.life.BLINK_CHANNELS`, or None without life.
        bursts: Frame-aligned micro-expression bursts.
        warnings: Notes gathered while planning.
    """

    fps: float
    n_frames: int
    mode: str
    keyframes: KeyframeTrack
    blinks: KeyframeTrack | None = None
    bursts: tuple[MicroBurst, ...] = ()
    warnings: tuple[str, ...] = field(default=())
    articulation: KeyframeTrack | None = None

    def times(self) -> np.ndarray:
        """Frame times in seconds (frame 0 at t = 0)."""
        return frame_times(self.n_frames, self.fps)


@dataclass(frozen=True, eq=False)
class AUCurves:
    """Dense AU channel curves.

    Attributes:
        fps: Frame rate.
        frame_start: Scene frame of the first sample.
        values: (n_frames, len(AU_CHANNELS)) intensities in [0, 1].
        warnings: Notes gathered while synthesising.
    """

    fps: float
    frame_start: int
    values: np.ndarray
    warnings: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, np.ndarray]:
        """``{channel: (n_frames,) array}`` for every channel."""
        return {ch: self.values[:, i] for i, ch in enumerate(AU_CHANNELS)}

    def used_channels(self) -> tuple[str, ...]:
        """Channels that are non-zero somewhere."""
        peak = self.values.max(axis=0) if len(self.values) else np.zeros(len(AU_CHANNELS))
        return tuple(ch for ch, p in zip(AU_CHANNELS, peak, strict=True) if p > _USED)


def _check_common(fps: float, n_frames: int | None, mode: str, intensity: float) -> None:
    if isinstance(fps, bool) or not np.isfinite(fps) or fps <= 0:
        raise InputError(f"Frame rate must be a positive number, got {fps}.")
    if n_frames is not None and (
        isinstance(n_frames, bool) or int(n_frames) != n_frames or n_frames < 1
    ):
        raise InputError(f"n_frames must be a positive whole number, got {n_frames}.")
    if mode not in MODES:
        raise InputError(f"Unknown synthesis mode {mode!r}; use 'dynamic' or 'static'.")
    if not np.isfinite(intensity) or not 0.0 <= intensity <= 1.0:
        raise InputError(f"Intensity must be between 0 and 1, got {intensity}.")


def resolve_options(
    micro: bool | MicroOptions | None, life: bool | LifeOptions | None
) -> tuple[MicroOptions | None, LifeOptions | None]:
    """Turn the ``micro``/``life`` switches (bool or options object) into options or None.

    Raises:
        InputError: If either is something else.
    """
    micro_opt = MicroOptions() if micro is True else (micro or None)
    life_opt = LifeOptions() if life is True else (life or None)
    if micro_opt is not None and not isinstance(micro_opt, MicroOptions):
        raise InputError("micro must be True, False or a MicroOptions.")
    if life_opt is not None and not isinstance(life_opt, LifeOptions):
        raise InputError("life must be True, False or a LifeOptions.")
    return micro_opt, life_opt


def vary_intensity(intensity: np.ndarray, variation: float, rng: np.random.Generator) -> np.ndarray:
    """Paper 002's intensity variation ``i_v``: a seeded jitter that never clips.

    Each intensity moves by up to ``variation`` times its head-room ``min(i, 1 - i)``, up or
    down with equal chance: +-10 % (the default) around 0.5, less towards 0 and 1, none at
    1.0. A full-blown expression therefore stays full-blown (clipping a symmetric jitter at 1.0
    made intensity 1.0 peak anywhere between 0.9 and 1.0, 0.95 on average) and the mean stays
    the intensity asked for.

    Args:
        intensity: (E,) intensities in [0, 1].
        variation: The relative variation (``TransitionSettings.intensity_variation``).
        rng: The seeded generator (one draw per event).

    Returns:
        (E,) varied intensities in [0, 1].
    """
    i = np.asarray(intensity, dtype=float)
    jitter = rng.uniform(-1.0, 1.0, size=i.shape) * variation
    return np.clip(i + jitter * np.minimum(i, 1.0 - i), 0.0, 1.0)


def _targets(
    timeline: Timeline,
    mode: str,
    intensity: float,
    settings: TransitionSettings,
    life: LifeOptions | None,
    rngs: Sequence[np.random.Generator],
    gains: np.ndarray | None = None,
) -> np.ndarray:
    """Each event's AU vector (step 2), (E, C); ``gains`` are the rig's emotion gains.

    The (varied) intensity becomes key travel through :func:`.curves.displacement_for_intensity`.
    """
    events = timeline.events
    n = len(events)
    if n == 0:
        return np.zeros((0, len(AU_CHANNELS)))
    g = np.ones(len(EMOTION_NAMES)) if gains is None else np.asarray(gains, dtype=float)
    if mode == "static":
        dominant = np.zeros((n, len(EMOTION_NAMES)))
        for i, e in enumerate(events):
            dominant[i, EMOTION_NAMES.index(e.weights.dominant())] = 1.0
        targets = blend_matrix(dominant, g, displacement_for_intensity(np.full(n, intensity)))
    else:
        wanted = np.array([e.intensity for e in events]) * intensity
        i_v = vary_intensity(wanted, settings.intensity_variation, rngs[0])
        targets = event_targets(events, amplitude_array() * g, displacement_for_intensity(i_v))
    if life is not None and life.asymmetry > 0:
        targets = np.clip(targets * asymmetry_gains(n, life.asymmetry, rngs[1]), 0.0, 1.0)
    return targets


def modulate_bursts(
    bursts: Sequence[MicroBurst], emotion_gains: np.ndarray | None = None
) -> list[MicroBurst]:
    """Paper 002's ``m_e`` on bursts: each burst's apex times its emotion's amplitude and gain.

    ``m_e`` is :data:`~.curves.EMOTION_AMPLITUDE` times the rig profile's emotion gain, as for
    events; a burst with no known emotion is left as it is. ``i_v`` is already in the apex.
    """
    m = amplitude_array() * (1.0 if emotion_gains is None else np.asarray(emotion_gains, float))
    out = []
    for burst in bursts:
        known = burst.emotion in EMOTION_NAMES and burst.emotion != "neutral"
        factor = float(m[EMOTION_NAMES.index(burst.emotion)]) if known else 1.0
        out.append(burst if factor == 1.0 else burst.scaled(factor))
    return out


def plan_performance(
    timeline: Timeline,
    options: SynthesisOptions | None = None,
    /,
    *,
    emotion_gains: np.ndarray | None = None,
    **overrides,
) -> PerformancePlan:
    """Plan a performance: targets, keyframes, blinks and bursts (no rendering yet).

    Args:
        timeline: The emotion events (and any explicit micro-expressions).
        options: The settings (default :class:`SynthesisOptions`); ``frame_start`` is unused.
        emotion_gains: (7,) per-emotion gains of the rig profile
            (:meth:`~.rig_profile.RigProfile.emotion_gain_array`); ones if None.
        **overrides: Any :class:`SynthesisOptions` field, applied over ``options``.

    Returns:
        The :class:`PerformancePlan`.

    Raises:
        InputError: On invalid arguments.
    """
    if not isinstance(timeline, Timeline):
        raise InputError(f"Expected a Timeline, got {type(timeline).__name__}.")
    o = synthesis_options(options, overrides)
    fps, n_frames, mode = o.fps, o.n_frames, o.mode
    _check_common(fps, n_frames, mode, o.intensity)
    settings = o.transitions or TransitionSettings()
    micro_opt, life_opt = resolve_options(o.micro, o.life)
    if n_frames is None:
        n_frames = int(np.ceil((timeline.end + settings.fall + _TAIL_SECONDS) * fps)) + 1
    if n_frames > MAX_FRAMES:
        raise InputError(
            f"{n_frames} frames is more than one render can hold ({MAX_FRAMES}); "
            "check the event times or render the timeline in parts with n_frames."
        )
    t_end = (n_frames - 1) / fps
    # Child streams depend only on their index, so adding one never moves the others.
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(int(o.seed)).spawn(5)]
    targets = _targets(timeline, mode, o.intensity, settings, life_opt, rngs, emotion_gains)
    keys = plan_keyframes(timeline.events, targets, settings, mode=mode, fps=fps, t_end=t_end)
    blinks = blink_track(t_end, life_opt, rngs[2]) if life_opt is not None else None
    bursts = [*timeline.micro, *o.micro_bursts]
    if micro_opt is not None:
        bursts += generate_bursts(timeline.events, t_end, micro_opt, rngs[3])
    bursts = modulate_bursts(bursts, emotion_gains)
    aligned = tuple(frame_aligned(b, fps) for b in sorted(bursts, key=lambda b: b.start))
    late = sum(e.start > t_end for e in timeline.events)
    warnings = (f"{late} event(s) start after the last frame and are not shown.",) if late else ()
    late_bursts = sum(b.peak_time() > t_end for b in aligned)
    if late_bursts:
        warnings += (f"{late_bursts} micro-expression(s) peak after the last frame.",)
    speech = o.speech
    talk = articulation_track(speech, t_end, ArticulationOptions(), rngs[4]) if speech else None
    return PerformancePlan(
        float(fps), int(n_frames), str(mode), keys, blinks, aligned, warnings, articulation=talk
    )


def render_plan(plan: PerformancePlan, times: np.ndarray | None = None) -> np.ndarray:
    """Render a plan's AU curves at ``times`` (default: its frame times), vectorised.

    Returns:
        (len(times), len(AU_CHANNELS)) array in [0, 1].
    """
    t = plan.times() if times is None else np.asarray(times, dtype=float)
    au = plan.keyframes.evaluate(t)
    if plan.blinks is not None:
        cols = [CHANNEL_INDEX[c] for c in BLINK_CHANNELS]
        blink = plan.blinks.evaluate(t)
        au[:, cols] = 1.0 - (1.0 - au[:, cols]) * (1.0 - blink)
    if plan.articulation is not None:
        cols = [CHANNEL_INDEX[c] for c in ARTICULATION_CHANNELS]
        talk = plan.articulation.evaluate(t)
        au[:, cols] = 1.0 - (1.0 - au[:, cols]) * (1.0 - talk)
    if plan.bursts:
        render_bursts(plan.bursts, t, out=au)
    return close_lids(np.clip(au, 0.0, 1.0, out=au))


def synthesize_au(
    timeline: Timeline,
    options: SynthesisOptions | None = None,
    /,
    *,
    emotion_gains: np.ndarray | None = None,
    **overrides,
) -> AUCurves:
    """AU channel curves for a timeline, before any rig mapping (for metrics and previews).

    Args: as :func:`plan_performance`.

    Raises:
        InputError: On invalid arguments.
    """
    o = synthesis_options(options, overrides)
    plan = plan_performance(timeline, o, emotion_gains=emotion_gains)
    return AUCurves(plan.fps, int(o.frame_start), render_plan(plan), plan.warnings)


def resolve_rig(
    shape_key_names: Iterable[str], profile: RigProfile | str | None = None
) -> RigMatch:
    """Match a rig: detect among the built-ins, or use the given profile (object or name).

    Raises:
        RigError: If no profile fits the keys (or the given one matches nothing it can drive).
        InputError: If a profile name is unknown.
    """
    names = list(shape_key_names)
    if profile is None:
        return detect_profile(names)
    if isinstance(profile, str):
        profile = builtin_profile(profile)
    return detect_profile(names, [profile])


def coverage_warnings(match: RigMatch, used: Iterable[str]) -> list[str]:
    """Warnings naming the AUs the rig cannot express (those this performance uses first)."""
    out = []
    missing = set(match.coverage.missing)
    lost = [ch for ch in used if ch in missing]
    if lost:
        names = ", ".join(f"{ch} ({AU_CATALOGUE[ch.split('_')[0]].name})" for ch in lost)
        out.append(
            f"This performance uses {names}, which the rig cannot express with profile "
            f"{match.profile.name!r}; add the matching shape keys or a JSON rig profile."
        )
    if missing:
        out.append(match.coverage.describe())
    return out + list(match.notes)


def map_to_rig(au: np.ndarray, match: RigMatch) -> dict[str, np.ndarray]:
    """Map (n, C) AU curves to ``{rig key name: (n,) array}`` (``clip(M @ au)`` per frame).

    The mapping matrix is very sparse (one to three AUs per key), so each key is summed from
    its few AU columns instead of a dense BLAS product: same result, and no dependence on
    BLAS threading, which on a busy machine made the dense product ten times slower. The
    profile's antagonist key pairs are then resolved (:func:`.antagonists.resolve_antagonists`).
    """
    au_t = np.ascontiguousarray(np.asarray(au, dtype=float).T)
    matrix = match.matrix()
    out: dict[str, np.ndarray] = {}
    for name, row in zip(match.driven_keys, matrix, strict=True):
        cols = np.flatnonzero(row)
        if len(cols) == 0:
            out[name] = np.zeros(au_t.shape[1])
            continue
        acc = au_t[cols[0]] * row[cols[0]]
        for c in cols[1:]:
            acc += au_t[c] * row[c]
        out[name] = np.clip(acc, 0.0, 1.0, out=acc)
    resolve_antagonists(out, match.antagonists)
    return out


def synthesize(
    timeline: Timeline,
    shape_key_names: Iterable[str],
    options: SynthesisOptions | None = None,
    /,
    *,
    profile: RigProfile | str | None = None,
    include_undriven: bool = False,
    **overrides,
) -> CurveSet:
    """Synthesise shape-key curves for a rig from an emotion timeline.

    Args:
        timeline: The emotion events (and any explicit micro-expressions).
        shape_key_names: The rig's shape-key names (``Basis`` is ignored).
        options: The settings (default :class:`SynthesisOptions`).
        profile: A :class:`RigProfile`, a built-in profile name (``"arkit52"``,
            ``"metahuman"``, ``"facs"``), or None to detect it from the key names.
        include_undriven: Also return all-zero channels for the rig's profile keys no AU
            drives (gaze, tongue...), e.g. to write complete ARKit CSVs.
        **overrides: Any :class:`SynthesisOptions` field, applied over ``options``.

    Returns:
        A :class:`CurveSet` keyed by the rig's actual key names, values in [0, 1]; its
        ``warnings`` name the AUs the rig cannot express.

    Raises:
        InputError: On invalid arguments (mode, fps, intensity, options, profile name).
        RigError: If the rig has no shape keys or none the profile can drive.
    """
    match = resolve_rig(shape_key_names, profile)
    o = synthesis_options(options, overrides)
    au = synthesize_au(timeline, o, emotion_gains=match.profile.emotion_gain_array())
    channels = map_to_rig(au.values, match)
    if include_undriven:
        for key in match.profile.keys:
            actual = match.key_map.get(key)
            if actual is not None and actual not in channels:
                channels[actual] = np.zeros(len(au.values))
    warnings = (*au.warnings, *coverage_warnings(match, au.used_channels()))
    return CurveSet(int(o.frame_start), float(o.fps), channels, tuple(warnings))


def single_event_timeline(
    weights: EmotionWeights,
    duration: float = 3.0,
    *,
    intensity: float = 1.0,
    label: str = "",
    transitions: TransitionSettings | None = None,
) -> Timeline:
    """A one-event timeline whose apex plateau is centred in a clip of ``duration`` seconds.

    The expression rises from rest, holds, and has fully relaxed at ``duration``; the event is
    placed so that the hold is centred (exactly when ``fall >= rise``). Pass the same
    ``transitions`` to :func:`synthesize`.

    Raises:
        InputError: If the clip is too short for the transitions (shorten them) or other
            arguments are invalid.
    """
    s = transitions or TransitionSettings()
    if not np.isfinite(duration) or duration <= 0:
        raise InputError(f"Duration must be a positive number of seconds, got {duration}.")
    lead = max(s.fall - s.rise, 0.0)
    length = duration - lead - s.fall
    if length < 2 * s.rise:
        raise InputError(
            f"A {duration:g} s clip is too short for rise {s.rise:g} s and fall {s.fall:g} s; "
            f"make it at least {lead + 2 * s.rise + s.fall:.2f} s or pass shorter transitions."
        )
    return Timeline((EmotionEvent(lead, length, weights, intensity, label),))


__all__ = [
    "MODES",
    "AUCurves",
    "PerformancePlan",
    "SynthesisMode",
    "SynthesisOptions",
    "coverage_warnings",
    "map_to_rig",
    "plan_performance",
    "render_plan",
    "resolve_rig",
    "single_event_timeline",
    "synthesis_options",
    "synthesize",
    "synthesize_au",
    "vary_intensity",
]
