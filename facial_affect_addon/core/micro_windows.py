"""Sliding-window spotting with a clip model: window layout and interval merging (numpy only).

Paper 002's model reads one short clip (16 TIM frames) as one burst: onset, apex and offset
regressed inside the clip, plus AUs and an emotion. A long video is read the way the MEGC
spotting baselines read it, with overlapping windows (:func:`window_starts`: ``window`` frames,
every ``stride`` frames, the last one flush with the clip's end). Each window's prediction is
moved to clip time, and :func:`merge_windows` turns them into intervals:

1. **Keep** windows whose score (the model's emotion probability times its strongest AU
   probability) reaches ``min_score``, and whose predicted burst lies inside the window with
   ``edge`` frames to spare at either end (a burst cut by the window's edge is read by the
   window that holds all of it; the clip's own first and last frames are exempt).
2. **Cluster** kept windows whose intervals overlap; each cluster is one event with the
   score-weighted mean onset, apex and offset and the best window's AUs and emotion.
3. **Micro or macro** by duration, the rule of :func:`.micro_spot.burst_kind`: 40-500 ms micro,
   longer macro, shorter dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .errors import InputError
from .micro_spot import BurstKind, SpotOptions, burst_kind


@dataclass(frozen=True)
class WindowPrediction:
    """One window's reading, in clip time.

    Attributes:
        start, end: The window's first and last frame times (s).
        onset, apex, offset: The predicted burst (s).
        score: Presence score in [0, 1].
        aus: ``{AU code: probability}``.
        emotion: Most probable emotion.
    """

    start: float
    end: float
    onset: float
    apex: float
    offset: float
    score: float
    aus: dict[str, float] = field(default_factory=dict)
    emotion: str = ""


@dataclass(frozen=True)
class WindowedBurst:
    """A merged event.

    Attributes:
        onset, apex, offset: Times (s).
        kind: Micro (40-500 ms) or macro.
        emotion: The best window's emotion.
        confidence: The best window's score.
        aus: The best window's AU probabilities.
        windows: How many windows agreed.
    """

    onset: float
    apex: float
    offset: float
    kind: BurstKind
    emotion: str
    confidence: float
    aus: dict[str, float] = field(default_factory=dict)
    windows: int = 1

    @property
    def duration(self) -> float:
        """Offset minus onset (s)."""
        return self.offset - self.onset

    def active_aus(self, threshold: float = 0.5) -> tuple[str, ...]:
        """AU codes whose probability reaches ``threshold``."""
        return tuple(a for a, p in self.aus.items() if p >= threshold)


def window_starts(n_frames: int, window: int, stride: int) -> list[int]:
    """First frame of every window; the last window ends on the clip's last frame.

    A clip shorter than ``window`` is one window of all its frames.

    Raises:
        InputError: Non-positive sizes or an empty clip.
    """
    if n_frames < 1 or window < 2 or stride < 1:
        raise InputError("Sliding windows need frames, a window of >= 2 frames and a stride >= 1.")
    if n_frames <= window:
        return [0]
    starts = list(range(0, n_frames - window + 1, stride))
    if starts[-1] != n_frames - window:
        starts.append(n_frames - window)
    return starts


def _inside(p: WindowPrediction, edge_s: float, clip: tuple[float, float]) -> bool:
    lo = p.start + edge_s if p.start > clip[0] else p.start
    hi = p.end - edge_s if p.end < clip[1] else p.end
    return lo <= p.onset and p.offset <= hi


def _clusters(kept: list[WindowPrediction]) -> list[list[WindowPrediction]]:
    groups: list[list[WindowPrediction]] = []
    for p in sorted(kept, key=lambda q: q.onset):
        if groups and p.onset <= max(q.offset for q in groups[-1]):
            groups[-1].append(p)
        else:
            groups.append([p])
    return groups


def merge_windows(
    predictions: Sequence[WindowPrediction],
    *,
    min_score: float = 0.5,
    edge_s: float = 0.0,
    options: SpotOptions | None = None,
) -> list[WindowedBurst]:
    """Window predictions → events (see the module docstring).

    Args:
        predictions: Every window's prediction, in clip time.
        min_score: Smallest presence score kept.
        edge_s: Margin a burst must keep from a window's inner edges (s).
        options: The micro duration range.

    Returns:
        Events in time order (micro and macro; too short ones dropped).
    """
    if not predictions:
        return []
    clip = (min(p.start for p in predictions), max(p.end for p in predictions))
    kept = [p for p in predictions if p.score >= min_score and _inside(p, edge_s, clip)]
    out: list[WindowedBurst] = []
    for group in _clusters(kept):
        w = np.array([p.score for p in group])
        on, apex, off = (
            float(np.average([getattr(p, k) for p in group], weights=w))
            for k in ("onset", "apex", "offset")
        )
        kind = burst_kind(off - on, options)
        if kind is None:
            continue
        best = group[int(np.argmax(w))]
        out.append(
            WindowedBurst(on, apex, off, kind, best.emotion, best.score, best.aus, len(group))
        )
    return out
