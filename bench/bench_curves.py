"""Curve synthesis benchmark: the vectorised synthesis path vs. a per-frame Python loop.

``curves_52x14400`` synthesises 10 minutes at 24 fps (14,400 frames) for a rig with all 52 ARKit
shape keys, from a seeded timeline of about 140 utterance-length events, with micro-expressions
and the life layer (blinks, asymmetry), through
:func:`facial_affect_addon.core.synthesis.synthesize`.

The baseline is a plain per-frame loop in the same run: it plans the same performance (same
seed, same code) and then, frame by frame, finds the keyframe segment, evaluates the flat-tangent
cubic, layers blinks and micro-expression envelopes, lets a closing lid release a raised one,
sums each shape key from its AUs and resolves the antagonist key pairs. The benchmark asserts
that both give the same values within 1e-9 before reporting.
"""

from __future__ import annotations

import bisect
import math
import time

import numpy as np

from facial_affect_addon.core.antagonists import ANTAGONIST_LIMIT, SMOOTHING
from facial_affect_addon.core.emotions import EmotionWeights
from facial_affect_addon.core.facs import AU_CHANNELS, CHANNEL_INDEX
from facial_affect_addon.core.life import BLINK_CHANNELS
from facial_affect_addon.core.micro import APEX_FRACTION, ONSET_FRACTION
from facial_affect_addon.core.rig_tables import ARKIT_52
from facial_affect_addon.core.synthesis import plan_performance, resolve_rig, synthesize
from facial_affect_addon.core.timeline import EmotionEvent, Timeline

FPS = 24
N_FRAMES = 14_400
REPEATS = 7
BASELINE_REPEATS = 2


def make_timeline(seed: int = 7, length: float = 600.0) -> Timeline:
    """Utterance-like events (1.5-5 s, gaps 0-1.5 s) with random compound emotions."""
    rng = np.random.default_rng(seed)
    events, t = [], 0.5
    while t < length - 6:
        duration = float(rng.uniform(1.5, 5.0))
        weights = EmotionWeights.from_array(rng.dirichlet(np.full(7, 0.5)))
        events.append(EmotionEvent(t, duration, weights, float(rng.uniform(0.5, 1.0))))
        t += duration + float(rng.uniform(0.0, 1.5))
    return Timeline(tuple(events))


OPTIONS = {"fps": FPS, "n_frames": N_FRAMES, "micro": True, "life": True, "seed": 3}


def _vectorised(timeline: Timeline) -> dict[str, np.ndarray]:
    return dict(synthesize(timeline, ARKIT_52, include_undriven=True, **OPTIONS).channels)


def _smooth_at(times: list[float], values: list[list[float]], t: float) -> list[float]:
    """Flat-tangent cubic through keys at time t (held outside the key range)."""
    if t <= times[0]:
        return list(values[0])
    if t >= times[-1]:
        return list(values[-1])
    k = bisect.bisect_right(times, t) - 1
    s = (t - times[k]) / (times[k + 1] - times[k])
    w = s * s * (3.0 - 2.0 * s)
    a, b = values[k], values[k + 1]
    return [a[c] + (b[c] - a[c]) * w for c in range(len(a))]


def _ease(s: float) -> float:
    s = min(max(s, 0.0), 1.0)
    return s * s * (3.0 - 2.0 * s)


def _burst_at(start: float, duration: float, t: float) -> float:
    onset, hold = ONSET_FRACTION * duration, APEX_FRACTION * duration
    offset = duration - onset - hold
    x = t - start
    if x < 0 or x >= duration:
        return 0.0
    return _ease(x / onset) * (1.0 - _ease((x - onset - hold) / offset))


_LIDS = [(CHANNEL_INDEX[f"AU5_{s}"], CHANNEL_INDEX[f"AU43_{s}"], CHANNEL_INDEX[f"AU45_{s}"])
         for s in "LR"]  # fmt: skip


def _close_lids(au: list[float]) -> None:
    for raised, closed, blink in _LIDS:
        au[raised] *= 1.0 - _ease(max(au[closed], au[blink]) / ANTAGONIST_LIMIT)


def _resolve(out: list[list[float]], pairs: list[tuple[int, int, bool]], f: int) -> None:
    for a, b, overrides in pairs:
        if overrides:
            out[b][f] *= 1.0 - _ease(out[a][f] / ANTAGONIST_LIMIT)
        else:  # the rounded (C1) overlap of core.antagonists, written out per frame
            x, y, w = out[a][f], out[b][f], SMOOTHING
            soft_min = 0.5 * (x + y) - math.sqrt(0.25 * (x - y) ** 2 + w * w) + w
            over = soft_min - ANTAGONIST_LIMIT
            excess = 0.0 if over <= -w else over if over >= w else (over + w) ** 2 / (4.0 * w)
            out[a][f] = max(x - excess, 0.0)
            out[b][f] = max(y - excess, 0.0)


def _loop(timeline: Timeline) -> dict[str, np.ndarray]:
    """The same curves, one frame at a time in plain Python."""
    match = resolve_rig(ARKIT_52)
    plan = plan_performance(timeline, **OPTIONS)
    k_times, k_vals = plan.keyframes.times.tolist(), plan.keyframes.values.tolist()
    b_times, b_vals = plan.blinks.times.tolist(), plan.blinks.values.tolist()
    blink_cols = [CHANNEL_INDEX[c] for c in BLINK_CHANNELS]
    bursts = [(b.start, b.duration, list(b.vector())) for b in plan.bursts]
    rows = [[(int(c), float(w)) for c, w in enumerate(row) if w] for row in match.matrix()]
    index = {name: i for i, name in enumerate(match.driven_keys)}
    pairs = [(index[p.first], index[p.second], p.first_overrides) for p in match.antagonists]
    out = [[0.0] * N_FRAMES for _ in rows]
    n_ch = len(AU_CHANNELS)
    for f in range(N_FRAMES):
        t = f / FPS
        au = [min(max(v, 0.0), 1.0) for v in _smooth_at(k_times, k_vals, t)]
        blink = _smooth_at(b_times, b_vals, t)
        for j, c in enumerate(blink_cols):
            au[c] = 1.0 - (1.0 - au[c]) * (1.0 - min(max(blink[j], 0.0), 1.0))
        for start, duration, apex in bursts:
            if start <= t < start + duration:
                e = _burst_at(start, duration, t)
                for c in range(n_ch):
                    au[c] = 1.0 - (1.0 - au[c]) * (1.0 - e * apex[c])
        _close_lids(au)
        for r, row in enumerate(rows):
            acc = 0.0
            for c, w in row:
                acc += au[c] * w
            out[r][f] = min(max(acc, 0.0), 1.0)
        _resolve(out, pairs, f)
    result = {name: np.array(vals) for name, vals in zip(match.driven_keys, out, strict=True)}
    for key in match.profile.keys:
        result.setdefault(match.key_map[key], np.zeros(N_FRAMES))
    return result


def _best(fn, repeats: int) -> tuple[float, dict]:
    best, result = np.inf, {}
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best * 1000.0, result


def run() -> list[dict]:
    """Time the vectorised synthesis against the per-frame loop (same run, same curves)."""
    timeline = make_timeline()
    value, fast = _best(lambda: _vectorised(timeline), REPEATS)
    baseline, slow = _best(lambda: _loop(timeline), BASELINE_REPEATS)
    assert set(fast) == set(slow) and len(fast) == 52, "channel sets differ"
    worst = max(float(np.max(np.abs(fast[k] - slow[k]))) for k in fast)
    assert worst <= 1e-9, f"vectorised and loop curves differ by {worst:g}"
    return [
        {
            "name": "curves_52x14400",
            "value": value,
            "unit": "ms",
            "baseline": baseline,
            "ratio": baseline / value,
            "note": (
                f"synthesize(): {len(timeline.events)} events, micro + life, 52 ARKit keys; "
                f"baseline = per-frame Python loop over the same plan; max diff {worst:.1e}"
            ),
        }
    ]
