"""Emotion timelines and the state machine that turns them into AU keyframes.

A :class:`Timeline` is a sorted list of non-overlapping :class:`EmotionEvent` (start and
duration in seconds, an :class:`~.emotions.EmotionWeights` mixture, an intensity), typically one
per spoken utterance, plus optional micro-expression bursts (:mod:`.micro`).

The state machine has four states: ``rest``, ``attack`` (rising to a target), ``sustain``
(holding it) and ``release`` (relaxing to rest). :func:`plan_keyframes` drives it through a
timeline offline and records a :class:`~.curves.KeyframeTrack`; :class:`AffectStateMachine`
steps the same rules in real time for a live preview.

Dynamic rules (defaults in :class:`TransitionSettings`):

* From rest, an event rises to its AU vector in ``rise`` seconds (at most half the event).
* While an event lasts, the expression relaxes slightly, to ``sustain`` x apex at its end.
* If the next event begins less than ``fall`` seconds after this one ends, the face holds
  (``sustain``) through the gap and cross-fades to the next target in ``crossfade`` seconds;
  otherwise it releases to rest in ``fall`` seconds.

Default times are of the order measured for spontaneous expressions (onsets around half a
second, offsets slower than onsets; e.g. Schmidt, Ambadar, Cohn & Reed 2006, J. Nonverbal
Behavior 30). Static rules (paper 000's baseline): every event shows its constant template with
linear ramps of ``static_ramp_frames`` frames inside the event and returns to rest at its end.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .curves import KeyframeTrack, displacement_for_intensity, ease, static_keys
from .emotions import EMOTION_NAMES, EmotionWeights
from .errors import InputError
from .facs import AU_CHANNELS, blend_matrix, felt_shares
from .micro import MicroBurst

MIN_EVENT_DURATION = 1e-3
"""Events shorter than this (seconds) count as zero-length and are rejected."""
_EPS = 1e-9


@dataclass(frozen=True)
class EmotionEvent:
    """One emotional state on the timeline.

    Attributes:
        start: Start time in seconds (>= 0) from the first frame.
        duration: Length in seconds (>= 1 ms).
        weights: The (possibly compound) emotion.
        intensity: Overall intensity in [0, 1].
        label: Free text, e.g. the utterance.

    Raises:
        InputError: On negative or NaN times, a zero-length event, an intensity outside [0, 1],
            or weights that are not an :class:`EmotionWeights`.
    """

    start: float
    duration: float
    weights: EmotionWeights
    intensity: float = 1.0
    label: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.weights, EmotionWeights):
            raise InputError(
                "An event's weights must be EmotionWeights; build them with "
                "EmotionWeights.from_mapping({'happiness': 1.0})."
            )
        for name in ("start", "duration", "intensity"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
                raise InputError(f"Event {name} must be a number, got {value!r}.")
            if not np.isfinite(value):
                raise InputError(f"Event {name} must be a finite number, got {value}.")
        if self.start < 0:
            raise InputError(f"Event start must be >= 0 s, got {self.start}.")
        if self.duration < MIN_EVENT_DURATION:
            raise InputError(
                f"Event at {self.start:g} s has zero length ({self.duration:g} s); "
                f"give it a duration of at least {MIN_EVENT_DURATION * 1000:g} ms."
            )
        if not 0.0 <= self.intensity <= 1.0:
            raise InputError(f"Event intensity must be between 0 and 1, got {self.intensity}.")

    @property
    def end(self) -> float:
        """End time in seconds."""
        return self.start + self.duration


@dataclass(frozen=True)
class Timeline:
    """Sorted, non-overlapping emotion events plus micro-expression bursts.

    Raises:
        InputError: If events are unsorted or overlap (touching is fine).
    """

    events: tuple[EmotionEvent, ...] = ()
    micro: tuple[MicroBurst, ...] = field(default=())

    def __post_init__(self) -> None:
        for item in self.events:
            if not isinstance(item, EmotionEvent):
                raise InputError(
                    f"Timeline events must be EmotionEvent, got {type(item).__name__}."
                )
        for a, b in zip(self.events, self.events[1:], strict=False):
            if b.start < a.start:
                raise InputError(
                    "Timeline events must be sorted by start; use Timeline.from_events."
                )
            if b.start < a.end - _EPS:
                raise InputError(
                    f"Events overlap: {a.label or 'event'} ({a.start:g}-{a.end:g} s) and "
                    f"{b.label or 'event'} ({b.start:g}-{b.end:g} s); shorten or move one."
                )

    @classmethod
    def from_events(
        cls, events: Iterable[EmotionEvent], micro: Iterable[MicroBurst] = ()
    ) -> Timeline:
        """Build a timeline from events in any order (they are sorted by start)."""
        return cls(
            tuple(sorted(events, key=lambda e: e.start)),
            tuple(sorted(micro, key=lambda b: b.start)),
        )

    def with_micro(self, bursts: Iterable[MicroBurst]) -> Timeline:
        """A copy with extra micro-expression bursts inserted."""
        return Timeline(self.events, tuple(sorted((*self.micro, *bursts), key=lambda b: b.start)))

    @property
    def end(self) -> float:
        """The latest end of any event or burst (0 for an empty timeline)."""
        ends = [e.end for e in self.events] + [b.start + b.duration for b in self.micro]
        return max(ends, default=0.0)

    def event_at(self, t: float) -> EmotionEvent | None:
        """The event active at time ``t`` seconds, if any."""
        return next((e for e in self.events if e.start <= t < e.end), None)


@dataclass(frozen=True)
class TransitionSettings:
    """Timing of the state machine (seconds unless noted).

    Attributes:
        rise: Rest -> apex time.
        fall: Release time back to rest; also the longest gap held through.
        crossfade: Time to move from one held target to the next.
        sustain: Fraction of the apex left at the end of a held event (dynamic mode).
        static_ramp_frames: Ramp length of the static baseline, in frames.
        intensity_variation: Relative random jitter of each event's intensity ``i_v``
            (dynamic mode; 0.1 = +-10 %).

    Raises:
        InputError: On times under 1 ms, a ramp under one frame, a negative or > 1 variation,
            or ``sustain`` outside [0, 1].
    """

    rise: float = 0.4
    fall: float = 0.7
    crossfade: float = 0.35
    sustain: float = 0.85
    static_ramp_frames: int = 10
    intensity_variation: float = 0.1

    def __post_init__(self) -> None:
        for name in ("rise", "fall", "crossfade"):
            value = float(getattr(self, name))
            if not np.isfinite(value) or value < MIN_EVENT_DURATION:
                raise InputError(f"Transition {name} must be at least 1 ms, got {value} s.")
        if int(self.static_ramp_frames) < 1:
            raise InputError("static_ramp_frames must be at least 1 frame.")
        if not np.isfinite(self.intensity_variation) or self.intensity_variation < 0:
            raise InputError("intensity_variation must be a non-negative number.")
        if not 0.0 <= self.sustain <= 1.0:
            raise InputError(f"Transition sustain must be between 0 and 1, got {self.sustain}.")
        if self.intensity_variation > 1:
            raise InputError("intensity_variation must be at most 1 (a relative jitter).")


def event_targets(
    events: Sequence[EmotionEvent],
    amplitudes: np.ndarray | None,
    intensities: np.ndarray,
) -> np.ndarray:
    """The AU vector of every event: blended prototypes x amplitude x intensity, (E, C)."""
    if not events:
        return np.zeros((0, len(AU_CHANNELS)))
    weights = np.stack([e.weights.as_array() for e in events])
    return blend_matrix(weights, amplitudes, intensities)


class _Keys:
    """Append-only keyframe list that keeps times strictly increasing."""

    def __init__(self, n_channels: int) -> None:
        self.times: list[float] = [0.0]
        self.values: list[np.ndarray] = [np.zeros(n_channels)]

    def add(self, t: float, value: np.ndarray) -> None:
        if t <= self.times[-1] + _EPS:
            # A key at (almost) the same time replaces the previous one; by construction this
            # only happens when both carry the same value (e.g. rest meeting rest).
            self.times[-1], self.values[-1] = max(t, self.times[-1]), value
        else:
            self.times.append(t)
            self.values.append(value)

    @property
    def last(self) -> np.ndarray:
        return self.values[-1]


def plan_keyframes(
    events: Sequence[EmotionEvent],
    targets: np.ndarray,
    settings: TransitionSettings,
    *,
    mode: str,
    fps: float,
    t_end: float,
) -> KeyframeTrack:
    """Run the state machine over a timeline and record its AU keyframes.

    Args:
        events: Sorted, non-overlapping events.
        targets: (E, C) AU vector of each event (see :func:`event_targets`).
        settings: Transition timing.
        mode: ``"dynamic"`` (smooth rise-hold-fall with cross-fades) or ``"static"``.
        fps: Frame rate (sets the static ramp length).
        t_end: Last time the curves are needed; a final key holds the state until then.

    Returns:
        A ``"smooth"`` track for dynamic mode, a ``"linear"`` one for static mode.
    """
    n_ch = targets.shape[1] if targets.ndim == 2 else len(AU_CHANNELS)
    keys = _Keys(n_ch)
    if mode == "static":
        ramp = settings.static_ramp_frames / fps
        for event, target in zip(events, targets, strict=True):
            times, levels = static_keys(event.start, event.duration, ramp)
            for t, lv in zip(times, levels, strict=True):
                keys.add(float(t), lv * target)
        interpolation = "linear"
    else:
        _dynamic_keys(keys, events, targets, settings)
        interpolation = "smooth"
    keys.add(max(t_end, keys.times[-1] + 1.0), keys.last)
    return KeyframeTrack(np.array(keys.times), np.array(keys.values), interpolation)


def _dynamic_keys(
    keys: _Keys,
    events: Sequence[EmotionEvent],
    targets: np.ndarray,
    s: TransitionSettings,
) -> None:
    holding = False  # True while the previous event is held through a short gap
    for k, (event, target) in enumerate(zip(events, targets, strict=True)):
        keys.add(event.start, keys.last if holding else np.zeros_like(target))
        ramp = s.crossfade if holding else s.rise
        r = min(ramp, event.duration / 2.0)
        keys.add(event.start + r, target)
        if event.duration > r + _EPS:
            keys.add(event.end, s.sustain * target)
        next_start = events[k + 1].start if k + 1 < len(events) else np.inf
        holding = next_start - event.end < s.fall
        if not holding:
            keys.add(event.end + s.fall, np.zeros_like(target))


def emotion_levels(
    weights: np.ndarray, intensity: np.ndarray, gains: np.ndarray | None = None
) -> np.ndarray:
    """The emotion levels that drive whole-face keys: ``clip(f(w_e) * intensity * gain_e, 0, 1)``.

    ``f`` is :func:`.facs.felt_shares`, so a whole-face key shows a mixture's component as
    strongly as the AU blend does.

    One formula for the bake (:func:`.any_rig.emotion_tracks`) and the live preview
    (:class:`AffectStateMachine`).

    Args:
        weights: (n, 7) emotion weights, :data:`EMOTION_NAMES` order.
        intensity: (n,) intensities.
        gains: (7,) per-emotion gains; ones if None.

    Returns:
        (n, 7) levels in [0, 1].
    """
    levels = felt_shares(weights) * np.asarray(intensity, dtype=float)[:, None]
    if gains is not None:
        levels = levels * np.asarray(gains, dtype=float)
    return np.clip(levels, 0.0, 1.0)


class AffectStateMachine:
    """The state machine stepped in real time (for a live preview).

    Call :meth:`set_target` when the emotion changes (e.g. a new utterance), and :meth:`tick`
    every frame with the elapsed seconds; it returns the current AU channel values. Transitions
    use the same ease and timing as the offline planner (rise from rest, cross-fade from a held
    state, fall to rest); a target given a ``duration`` releases by itself. The sustain decay of
    the offline planner is left out here because a live target has no known end.

    Alongside the AUs it steps the seven emotion levels (:attr:`emotions`, see
    :func:`emotion_levels`) with the same timing: whole-face keys (VRoid ``Fcl_ALL_Joy``) follow
    them as the bake's emotion tracks do.

    Args:
        settings: Transition timing.
        amplitudes: Per-emotion amplitudes ``m_e`` as a (7,) array; none if None.
        emotion_gains: Per-emotion gains on the emotion levels, a (7,) array; ones if None.
    """

    def __init__(
        self,
        settings: TransitionSettings | None = None,
        amplitudes: np.ndarray | None = None,
        emotion_gains: np.ndarray | None = None,
    ) -> None:
        self.settings = settings or TransitionSettings()
        self.amplitudes = amplitudes
        self.emotion_gains = emotion_gains
        self.state = "rest"
        n = len(AU_CHANNELS) + len(EMOTION_NAMES)  # AU values, then emotion levels
        self._from = np.zeros(n)
        self._to = np.zeros(n)
        self._elapsed = 0.0
        self._span = 0.0
        self._hold_left = np.inf
        self._mix = np.zeros(n)

    @property
    def values(self) -> np.ndarray:
        """The current AU channel values, (C,) in [0, 1]."""
        return self._mix[: len(AU_CHANNELS)]

    @property
    def emotions(self) -> np.ndarray:
        """The current emotion levels, (7,) in [0, 1], :data:`EMOTION_NAMES` order."""
        return self._mix[len(AU_CHANNELS) :]

    def set_target(
        self, weights: EmotionWeights, intensity: float = 1.0, *, duration: float | None = None
    ) -> None:
        """Start moving towards a new emotion.

        Raises:
            InputError: If the intensity is outside [0, 1] or the duration is not positive.
        """
        if not np.isfinite(intensity) or not 0.0 <= intensity <= 1.0:
            raise InputError(f"Intensity must be between 0 and 1, got {intensity}.")
        if duration is not None and (not np.isfinite(duration) or duration <= 0):
            raise InputError(f"Duration must be a positive number of seconds, got {duration}.")
        w, level = weights.as_array()[None], displacement_for_intensity(np.array([intensity]))
        target = np.concatenate(
            [
                blend_matrix(w, self.amplitudes, level)[0],
                emotion_levels(w, level, self.emotion_gains)[0],
            ]
        )
        span = self.settings.rise if self.state == "rest" else self.settings.crossfade
        self._start(target, span, "attack")
        self._hold_left = np.inf if duration is None else duration

    def release(self) -> None:
        """Relax to rest over the fall time."""
        self._start(np.zeros_like(self._mix), self.settings.fall, "release")
        self._hold_left = np.inf

    def _start(self, target: np.ndarray, span: float, state: str) -> None:
        self._from = self._mix.copy()
        self._to = target
        self._elapsed = 0.0
        self._span = span
        self.state = state

    def tick(self, dt: float) -> np.ndarray:
        """Advance by ``dt`` seconds and return the AU channel values, (C,) in [0, 1]."""
        dt = max(float(dt), 0.0) if np.isfinite(dt) else 0.0
        self._elapsed += dt
        if self.state in ("attack", "sustain"):
            self._hold_left -= dt
        w = 1.0 if self._span <= 0 else float(ease(np.array(self._elapsed / self._span)))
        self._mix = np.clip(self._from + (self._to - self._from) * w, 0.0, 1.0)
        if w >= 1.0:
            if self.state == "attack":
                self.state = "sustain"
            elif self.state == "release":
                self.state = "rest"
        if self.state in ("attack", "sustain") and self._hold_left <= 0:
            self.release()
        return self.values
