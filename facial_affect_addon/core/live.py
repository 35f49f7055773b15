"""Live preview: the state machine stepped in real time and mapped to a rig, per tick.

The offline path (:func:`.synthesis.synthesize`) renders whole frame ranges; a viewport preview
instead needs the current key values every timer tick, with the emotion changing as the user
speaks. :class:`LivePreview` wraps :class:`~.timeline.AffectStateMachine` (same transitions and
easing as the offline planner), adds blinks, and maps AUs to the rig's keys with the same rules
as the offline path (the rig profile's emotion and key gains, a blink over a wide eye, the
antagonist key pairs): a few hundred floating-point operations per tick, no allocation of
frame ranges.

The rig is resolved exactly as the bake resolves it (:func:`.any_rig.rig_drive`: the user's
profile or :func:`.any_rig.auto_profile`), and the same :class:`~.any_rig.RigDrive` turns the
state machine's emotion levels into whole-face keys (VRoid ``Fcl_ALL_Joy``, VRM ``happy``) and
applies every key's offset and clamp, so the viewport shows what a bake would write.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .antagonists import close_lids, resolve_antagonists
from .any_rig import rig_drive
from .curves import amplitude_array, envelope
from .emotions import EmotionWeights
from .facs import CHANNEL_INDEX
from .life import BLINK_CHANNELS, LifeOptions, blink_starts
from .rigs import RigProfile
from .synthesis import resolve_options
from .timeline import AffectStateMachine, TransitionSettings

MOUTH_JAW = 0.6  # a speaking jaw drops about this much of a full AU26 (a yawn is 1)
_MOUTH_GAINS = np.array([MOUTH_JAW, 1.0])


class LivePreview:
    """The state machine stepped in real time, mapped to a rig: cheap per-tick evaluation.

    Example (a timer callback calls ``tick`` with the elapsed seconds)::

        live = LivePreview(key_names)
        live.set_emotion(EmotionWeights.pure("happiness"), duration=2.0)
        values = live.tick(1 / 30)   # {rig key: value}

    Args:
        shape_key_names: The rig's key names.
        profile: As in :func:`.any_rig.synthesize_any` (or a built-in profile's name).
        transitions: State-machine timing.
        life: Blinks (asymmetry is not applied live): True, a :class:`LifeOptions` or False.
        seed: Seed of the blink timing.

    Raises:
        RigError: If no profile fits the rig, or a given one names keys the rig lacks.
    """

    def __init__(
        self,
        shape_key_names: Iterable[str],
        *,
        profile: RigProfile | str | None = None,
        transitions: TransitionSettings | None = None,
        life: bool | LifeOptions = True,
        seed: int = 0,
    ) -> None:
        self.drive = rig_drive(shape_key_names, profile)
        self.match = self.drive.match
        gains = self.match.profile.emotion_gain_array()
        self.machine = AffectStateMachine(transitions, amplitude_array() * gains, gains)
        _, self.life = resolve_options(False, life)
        self._rng = np.random.default_rng(seed)
        self._matrix = self.match.matrix()
        self._blink_cols = [CHANNEL_INDEX[c] for c in BLINK_CHANNELS]
        self._mouth_cols = [CHANNEL_INDEX["AU26"], CHANNEL_INDEX["AU25"]]
        self.time = 0.0
        self._next_blink = self._draw_blink(0.0)
        self.mouth = 0.0  # provisional speech opening, see set_mouth

    def _draw_blink(self, after: float) -> float:
        if self.life is None:
            return np.inf
        starts = blink_starts(60.0, self.life, self._rng)
        return after + (float(starts[1] - starts[0]) if len(starts) > 1 else 60.0)

    @property
    def keys(self) -> tuple[str, ...]:
        """Every rig key :meth:`tick` writes (AU-level keys, then whole-face keys)."""
        return self.drive.keys

    def set_emotion(
        self, weights: EmotionWeights, intensity: float = 1.0, *, duration: float | None = None
    ) -> None:
        """Move towards a new emotion (released automatically after ``duration`` if given)."""
        self.machine.set_target(weights, intensity, duration=duration)

    def release(self) -> None:
        """Relax to neutral."""
        self.machine.release()

    def set_mouth(self, opening: float) -> None:
        """Open the jaw and part the lips for speech (0 closes; see :mod:`.live_provisional`).

        The opening raises AU26 (jaw drop, up to ``MOUTH_JAW``) and AU25 (lips part) to at
        least its level, on top of the emotion, so it reaches every rig the AUs reach.
        """
        self.mouth = float(np.clip(opening, 0.0, 1.0)) if np.isfinite(opening) else 0.0

    def tick(self, dt: float) -> dict[str, float]:
        """Advance ``dt`` seconds; returns ``{rig key name: value}`` in [0, 1]."""
        self.time += max(float(dt), 0.0) if np.isfinite(dt) else 0.0
        au = self.machine.tick(dt).copy()
        if self.life is not None:
            opt = self.life
            if self.time >= self._next_blink + opt.blink_duration:
                self._next_blink = self._draw_blink(self._next_blink)
            b = envelope(
                np.array([self.time]),
                self._next_blink,
                opt.blink_close,
                opt.blink_hold,
                opt.blink_open,
            )[0]
            au[self._blink_cols] = 1.0 - (1.0 - au[self._blink_cols]) * (1.0 - b)
        if self.mouth > 0.0:
            au[self._mouth_cols] = np.maximum(au[self._mouth_cols], self.mouth * _MOUTH_GAINS)
        values = np.clip(self._matrix @ close_lids(au), 0.0, 1.0)
        out = {k: float(v) for k, v in zip(self.match.driven_keys, values, strict=True)}
        resolve_antagonists(out, self.match.antagonists)  # type: ignore[arg-type]  # floats
        shaped = self.drive.shape(
            {**out, **self.drive.emotion_values(self.machine.emotions)}  # type: ignore[dict-item]
        )
        return {k: float(v) for k, v in shaped.items()}
