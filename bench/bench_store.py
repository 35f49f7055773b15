"""Restoring a stored analysis: a 10-minute landmark capture, as Bake reads it after a reload.

* ``analysis_restore_10min``: decode the compact form the .blend keeps
  (:func:`facial_affect_addon.pipeline.store.decode`) of a 10-minute capture at 30 frames/s
  (18,000 samples × every captured ARKit weight, smooth curves with a little noise). Baseline,
  in the same run: the 0.1 form, a JSON document parsed with ``json.loads`` and rebuilt through
  the same codec. ``ratio = baseline / value``. Median of ``REPEATS``; the note gives both sizes.

Bake itself never decodes in the common case: the last analyses stay in memory.
"""

from __future__ import annotations

import json
import statistics
import time

import numpy as np

REPEATS = 5
N_SAMPLES = 18_000


def _performance():
    from facial_affect_addon.core.capture import CAPTURE_NAMES, CaptureResult
    from facial_affect_addon.pipeline.performance import Performance
    from facial_affect_addon.pipeline.text import performance_from_weights

    rng = np.random.default_rng(0)
    t = np.arange(N_SAMPLES) / 30.0
    phase = rng.uniform(0, 2 * np.pi, len(CAPTURE_NAMES))
    weights = (
        0.5 + 0.4 * np.sin(t[:, None] * 0.7 + phase) + rng.normal(0, 0.01, (N_SAMPLES, phase.size))
    )
    capture = CaptureResult(
        t, tuple(CAPTURE_NAMES), np.clip(weights, 0, 1), 0, np.ones(N_SAMPLES, bool), None, ()
    )
    base = performance_from_weights({"happiness": 1.0}, t[-1])
    return Performance("video", base.weights, base.timeline, t[-1], base.segments, (), {}, capture)


def _median_time(fn) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run() -> list[dict]:
    """Time both restore paths and return the entry."""
    from facial_affect_addon.pipeline import store
    from facial_affect_addon.pipeline.performance import performance_from_json, performance_to_json

    performance = _performance()
    compact = store.encode(performance)
    old = json.dumps(performance_to_json(performance, with_timeline=True))
    keys = len(performance.capture.names)
    value = _median_time(lambda: store.decode(compact))
    baseline = _median_time(lambda: performance_from_json(json.loads(old)))
    return [
        {
            "name": "analysis_restore_10min",
            "value": value,
            "unit": "s",
            "baseline": baseline,
            "ratio": baseline / value,
            "note": f"10 min capture at 30 fps, {keys} keys: compact {len(compact) / 1e6:.2f} MB "
            f"vs JSON {len(old) / 1e6:.2f} MB (the 0.1 form, the baseline); median of {REPEATS}",
        }
    ]
