"""Training-free micro-expression spotting on per-frame region-motion tracks (numpy only).

**Method.** Landmark-region optical flow against a sliding baseline, the family of the MEGC
spotting baselines: He, Wang, Li et al., "Spotting Macro- and Micro-expression Intervals in
Long Video Sequences" (FG 2020, the MEGC 2020 baseline), which builds on main-directional mean
optical flow (MDMD, Wang et al., 2016/2017), and the landmark-ROI flow of Zhang et al. (MEGC
2020). The face is cut into regions of interest around face-mesh landmarks (brows, eyes, mouth
corners, lips, chin); the video layer (:mod:`..pipeline.micro_spot`) aligns each frame's face
to a template by a similarity transform on stable landmarks and measures the mean Farneback
flow in each region, minus the flow of the nose region (the head's residual motion, as in the
MEGC baselines). Accumulated over frames that gives one 2-D displacement track per region. This
module does the rest, on those tracks:

1. **Sliding baseline.** Each region's displacement is compared with the median of the
   preceding :attr:`SpotOptions.baseline_s` seconds (causal), so slow drift and held
   expressions become the new normal.
2. **Noise-relative threshold.** A region fires where its distance from the baseline exceeds
   ``median + z * MAD`` of its own track (robust noise level), and at least an absolute floor.
3. **Intervals.** Each run above threshold is one event; its onset and offset are where the
   score crosses :attr:`SpotOptions.extent_fraction` of its peak (interpolated between frames),
   its apex is the peak.
4. **Micro or macro.** Events of 40-500 ms (:data:`MIN_MICRO_S`, :data:`MAX_MICRO_S`; the
   common definition, e.g. CAS(ME)^2 and SAMM long videos) are micro; longer ones are macro. A
   held expression stays "different from the baseline" for about half the baseline window
   (the median flips then), so every onset or offset of a held expression reads as an event of
   at least ~0.75 s: macro, never micro.

**Published numbers (different data).** The MEGC 2020 baseline (He et al. 2020, MDMD-based)
reported overall spotting F1 of about 0.038 on CAS(ME)^2 long videos and 0.045 on SAMM long
videos (macro/micro separately lower for micro), quoted from memory of the paper; those are
real, spontaneous micro-expressions in 30-200 fps lab footage, not our synthetic clips, so they
are no yardstick for the numbers this project measures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np

from .errors import InputError

if TYPE_CHECKING:
    from .micro import MicroBurst
    from .micro_authoring import MicroSpec

MIN_MICRO_S = 0.04
MAX_MICRO_S = 0.5


class BurstKind(StrEnum):
    """Whether a spotted event is a micro-expression (40-500 ms) or a longer (macro) one."""

    MICRO = "micro"
    MACRO = "macro"


@dataclass(frozen=True)
class SpotOptions:
    """How region motion becomes events.

    Attributes:
        baseline_s: Length of the causal sliding baseline window (s).
        z: Threshold in robust noise units (MAD) above each region's median.
        floor: Absolute threshold floor, in the tracks' units (eye distances).
        extent_fraction: Onset/offset are where the score falls to this fraction of its peak.
        merge_gap_s: Events closer than this merge into one.
        min_micro_s: Shortest micro-expression (s).
        max_micro_s: Longest micro-expression (s); longer events are macro.

    Raises:
        InputError: On non-positive windows or thresholds, or an inverted duration range.
    """

    baseline_s: float = 1.5
    z: float = 8.0
    floor: float = 0.006
    extent_fraction: float = 0.3
    merge_gap_s: float = 0.1
    min_micro_s: float = MIN_MICRO_S
    max_micro_s: float = MAX_MICRO_S

    def __post_init__(self) -> None:
        if not (self.baseline_s > 0 and self.z > 0 and self.floor > 0 and self.merge_gap_s >= 0):
            raise InputError("Spotting windows and thresholds must be positive.")
        if not 0 < self.extent_fraction < 1:
            raise InputError("The spotting extent fraction must be in (0, 1).")
        if not 0 < self.min_micro_s < self.max_micro_s:
            raise InputError("Micro-expression durations must satisfy 0 < min < max.")


@dataclass(frozen=True)
class SpottedInterval:
    """One event in a motion track, before it is read out.

    Attributes:
        onset, apex, offset: Times in seconds.
        apex_index: Sample index of the apex.
        onset_index: Last sample at or before the onset (the burst's baseline frame).
        score: Peak score (1.0 = exactly at the threshold).
        regions: Names of the regions above threshold at the apex, strongest first.
    """

    onset: float
    apex: float
    offset: float
    apex_index: int
    onset_index: int
    score: float
    regions: tuple[str, ...]

    @property
    def duration(self) -> float:
        """Offset minus onset (s)."""
        return self.offset - self.onset


@dataclass(frozen=True)
class SpottedBurst:
    """A spotted event read out as AUs, ARKit keys and an emotion.

    Attributes:
        onset, apex, offset: Times in seconds.
        aus: AU codes active at the apex (``"AU12"``), FACS number order.
        keys: ARKit key -> weight at the apex against the onset baseline.
        emotion: The nearest FACS prototype (``"neutral"`` when too weak to read).
        confidence: In [0, 1]: how far above threshold, times the prototype similarity.
        kind: Micro (40-500 ms) or macro.
        regions: The face regions that moved.
        au_values: ``(AU channel, activation)`` pairs at the apex (``AU12_L``...), for baking.
    """

    onset: float
    apex: float
    offset: float
    aus: tuple[str, ...]
    keys: Mapping[str, float]
    emotion: str
    confidence: float
    kind: BurstKind
    regions: tuple[str, ...] = field(default=())
    au_values: tuple[tuple[str, float], ...] = field(default=())

    @property
    def duration(self) -> float:
        """Offset minus onset (s)."""
        return self.offset - self.onset

    def to_json(self) -> dict:
        """The CLI's ``micro_expressions`` / ``macro_expressions`` entry (fixed field set)."""
        from .micro import micro_record

        return micro_record(
            self.onset, self.apex, self.offset, self.aus, self.keys, self.emotion, self.confidence
        )


class SpotBake(StrEnum):
    """How spotted bursts are baked: their own AUs (mirror) or a burst of their emotion."""

    MIRROR = "mirror"
    EMOTION = "emotion"


def micro_bursts(
    spotted: Sequence[SpottedBurst], mode: SpotBake | str = SpotBake.EMOTION
) -> tuple[MicroBurst, ...]:
    """Spotted micro-expressions as bursts to bake (``SynthesisOptions.micro_bursts``).

    ``MIRROR`` replays each burst's solved AU activations over its spotted onset-offset.
    ``EMOTION`` synthesises a burst of its emotion (:func:`.micro_authoring.author_burst`)
    peaking at its apex, lasting as long, at an intensity equal to its strongest captured key
    (at least 0.1); bursts read as neutral are skipped.

    Raises:
        InputError: An unknown mode.
    """
    from .micro import MAX_DURATION, MIN_DURATION, MicroBurst
    from .micro_authoring import author_burst

    try:
        how = SpotBake(mode)
    except ValueError:
        raise InputError(f"Unknown spot bake mode {mode!r}; use mirror or emotion.") from None
    out: list[MicroBurst] = []
    for b in spotted:
        duration = float(np.clip(b.duration, MIN_DURATION, MAX_DURATION))
        if how is SpotBake.MIRROR:
            apex = tuple((ch, float(np.clip(v, 0.0, 1.0))) for ch, v in b.au_values)
            if apex:
                out.append(MicroBurst(max(b.onset, 0.0), duration, apex, b.emotion))
        elif (spec := emotion_spec(b)) is not None:
            out.append(author_burst(spec))
    return tuple(out)


def emotion_spec(burst: SpottedBurst) -> MicroSpec | None:
    """A spotted burst as an authored burst of its emotion (None when it reads as neutral).

    It peaks at the spotted apex (moved later only if its onset would fall before 0 s), lasts as
    long (clipped to 40-500 ms), at an intensity equal to its strongest captured key (>= 0.1).
    """
    from .micro import MAX_DURATION, MIN_DURATION
    from .micro_authoring import PEAK_FRACTION, MicroSpec

    if not burst.emotion or burst.emotion == "neutral":
        return None
    duration = float(np.clip(burst.duration, MIN_DURATION, MAX_DURATION))
    strength = float(np.clip(max(burst.keys.values(), default=0.0), 0.1, 1.0))
    time = max(float(burst.apex), PEAK_FRACTION * duration)
    return MicroSpec(time, strength, burst.emotion, duration=duration)


def burst_kind(duration: float, options: SpotOptions | None = None) -> BurstKind | None:
    """Micro for 40-500 ms, macro above, None below the shortest micro-expression."""
    opts = options or SpotOptions()
    if duration < opts.min_micro_s:
        return None
    return BurstKind.MICRO if duration <= opts.max_micro_s else BurstKind.MACRO


def sliding_baseline(tracks: np.ndarray, times: np.ndarray, window_s: float) -> np.ndarray:
    """Causal median of each track over the preceding ``window_s`` seconds.

    Args:
        tracks: (n, ...) values per sample.
        times: (n,) increasing sample times.
        window_s: Window length; the sample itself is included.

    Returns:
        (n, ...) the baseline at each sample.
    """
    x = np.asarray(tracks, dtype=float)
    t = np.asarray(times, dtype=float)
    starts = np.searchsorted(t, t - window_s, side="left")
    return np.array([np.median(x[s : i + 1], axis=0) for i, s in enumerate(starts)])


def region_scores(
    tracks: np.ndarray, times: np.ndarray, options: SpotOptions | None = None
) -> np.ndarray:
    """Each region's distance from its sliding baseline, in threshold units (>1 fires).

    Args:
        tracks: (n, R, d) displacement of R regions per sample (eye-distance units).
        times: (n,) increasing sample times (s).
        options: Baseline window, z and floor.

    Returns:
        (n, R) scores.

    Raises:
        InputError: Wrong shapes, non-increasing times or non-finite values.
    """
    opts = options or SpotOptions()
    x = np.asarray(tracks, dtype=float)
    t = np.asarray(times, dtype=float)
    if x.ndim != 3 or len(t) != len(x) or len(t) < 2:
        raise InputError(f"Expected (n>=2, regions, dims) tracks and n times; got {x.shape}.")
    if not np.isfinite(x).all() or not np.isfinite(t).all() or (np.diff(t) <= 0).any():
        raise InputError("Motion tracks need finite values and strictly increasing times.")
    dist = np.linalg.norm(x - sliding_baseline(x, t, opts.baseline_s), axis=2)
    med = np.median(dist, axis=0)
    mad = 1.4826 * np.median(np.abs(dist - med), axis=0)
    threshold = np.maximum(med + opts.z * mad, opts.floor)
    return dist / threshold


def _crossing(t: np.ndarray, s: np.ndarray, i: int, j: int, level: float) -> float:
    """Time between samples i and j where s crosses ``level`` (linear interpolation)."""
    if s[i] == s[j]:
        return float(t[i])
    u = float(np.clip((level - s[i]) / (s[j] - s[i]), 0.0, 1.0))
    return float(t[i] + u * (t[j] - t[i]))


def _extent(t: np.ndarray, s: np.ndarray, apex: int, level: float) -> tuple[float, float, int]:
    """Onset time, offset time and onset sample of the run around ``apex`` above ``level``."""
    lo = apex
    while lo > 0 and s[lo - 1] > level:
        lo -= 1
    hi = apex
    while hi < len(s) - 1 and s[hi + 1] > level:
        hi += 1
    onset = _crossing(t, s, lo - 1, lo, level) if lo > 0 else float(t[0])
    offset = _crossing(t, s, hi + 1, hi, level) if hi < len(s) - 1 else float(t[-1])
    return onset, offset, max(lo - 1, 0)


def spot_intervals(
    scores: np.ndarray,
    times: np.ndarray,
    region_names: Sequence[str],
    options: SpotOptions | None = None,
) -> list[SpottedInterval]:
    """Events in per-region scores (from :func:`region_scores`).

    A run of samples whose best region score exceeds 1 is one event (runs closer than
    ``merge_gap_s`` merge); its extent is where the score stays above ``extent_fraction`` of the
    peak (and above half the threshold).

    Returns:
        The events in time order (any duration; :func:`burst_kind` sorts micro from macro).
    """
    opts = options or SpotOptions()
    t = np.asarray(times, dtype=float)
    sc = np.asarray(scores, dtype=float)
    best = sc.max(axis=1)
    above = np.flatnonzero(best > 1.0)
    runs: list[list[int]] = []
    for i in above:
        if runs and t[i] - t[runs[-1][1]] <= opts.merge_gap_s:
            runs[-1][1] = int(i)
        else:
            runs.append([int(i), int(i)])
    out: list[SpottedInterval] = []
    for lo, hi in runs:
        apex = lo + int(np.argmax(best[lo : hi + 1]))
        level = max(opts.extent_fraction * best[apex], 0.5)
        onset, offset, onset_index = _extent(t, best, apex, level)
        onset, offset = min(onset, float(t[lo])), max(offset, float(t[hi]))
        order = np.argsort(-sc[apex])
        regions = tuple(region_names[r] for r in order if sc[apex, r] > 1.0)
        out.append(
            SpottedInterval(
                onset, float(t[apex]), offset, apex, onset_index, float(best[apex]), regions
            )
        )
    return out


def spot_confidence(score: float) -> float:
    """Detection confidence in [0, 1) from a peak score (1 = at threshold -> 0.5)."""
    return float(score / (1.0 + score))
