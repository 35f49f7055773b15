"""The analysis kept for Bake: memory first, a compact string in the .blend, old JSON still read."""

from __future__ import annotations

import json

import numpy as np
import pytest

from facial_affect_addon.core.capture import CAPTURE_NAMES, CaptureResult
from facial_affect_addon.core.errors import InputError
from facial_affect_addon.pipeline import store
from facial_affect_addon.pipeline.performance import Performance, performance_to_json
from facial_affect_addon.pipeline.text import performance_from_weights

TEN_MINUTES_AT_30 = 18_000


def assert_same(back: Performance, perf: Performance) -> None:
    """What Bake reads survives; segment times and weights are stored to 1e-4 and 1e-6."""
    assert back.kind == perf.kind and back.timeline == perf.timeline
    assert back.warnings == perf.warnings and dict(back.models) == dict(perf.models)
    assert back.duration_s == pytest.approx(perf.duration_s, abs=1e-4)
    np.testing.assert_allclose(back.weights.values, perf.weights.values, atol=1e-6)
    assert len(back.segments) == len(perf.segments)
    for b, p in zip(back.segments, perf.segments, strict=True):
        assert (b.text, b.source, b.reason) == (p.text, p.source, p.reason)
        assert (b.start_s, b.end_s) == pytest.approx((p.start_s, p.end_s), abs=1e-4)


def captured(n: int, seed: int = 0) -> Performance:
    """A video-like performance whose capture has ``n`` samples of every captured key."""
    rng = np.random.default_rng(seed)
    times = np.arange(n) / 30.0
    capture = CaptureResult(
        times,
        tuple(CAPTURE_NAMES),
        rng.random((n, len(CAPTURE_NAMES))),
        3,
        rng.random(n) > 0.05,
        rng.normal(0, 5, (n, 3)),
        ("No clearly neutral frame.",),
    )
    base = performance_from_weights({"happiness": 0.7, "surprise": 0.3}, n / 30.0)
    return Performance(
        "video",
        base.weights,
        base.timeline,
        n / 30.0,
        base.segments,
        ("a warning",),
        {"face": "test"},
        capture,
    )


def test_round_trip_keeps_everything_bake_reads():
    perf = captured(600)
    back = store.decode(store.encode(perf))
    assert_same(back, perf)
    cap, orig = back.capture, perf.capture
    assert cap.names == orig.names and cap.neutral_index == 3 and cap.warnings == orig.warnings
    np.testing.assert_array_equal(cap.times, orig.times)
    np.testing.assert_array_equal(cap.valid, orig.valid)
    np.testing.assert_allclose(cap.weights, orig.weights, atol=1e-6)  # float32: finer than 1e-4
    np.testing.assert_allclose(cap.head_rotation, orig.head_rotation, atol=1e-4)


def test_round_trip_without_capture():
    perf = performance_from_weights({"anger": 1.0}, 2.0)
    back = store.decode(store.encode(perf))
    assert_same(back, perf)
    assert back.capture is None


def test_a_ten_minute_capture_is_compact():
    # Random weights: the worst case for compression (a real capture is smoother).
    perf = captured(TEN_MINUTES_AT_30)
    text = store.encode(perf)
    old = json.dumps(performance_to_json(perf, with_timeline=True))  # what 0.1 stored
    assert len(text) < 10_000_000
    assert len(text) < len(old), (len(text), len(old))
    assert text.isascii()


def test_the_older_json_form_still_loads():
    perf = performance_from_weights({"sadness": 1.0}, 2.0)
    old = json.dumps(performance_to_json(perf, with_timeline=True))
    assert_same(store.decode(old), perf)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{not json",
        "something else",
        store.PREFIX + "!!!",
        store.PREFIX + "AAAA",
        store.PREFIX + "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==",
    ],  # an empty zip: no document in it
)
def test_anything_else_is_a_clear_error(text):
    with pytest.raises(InputError, match="analyse again"):
        store.decode(text)


def test_memory_first_then_the_text():
    perf = performance_from_weights({"fear": 1.0}, 2.0)
    kept = store.keep(perf)
    assert store.restore(kept.token, "not even decodable") is perf  # no parsing at all
    store.forget()
    decoded = store.restore(kept.token, kept.text)  # a reloaded file: decoded, then cached
    assert_same(decoded, perf)
    assert store.restore(kept.token, "not even decodable") is decoded


def test_only_the_last_few_are_kept_in_memory():
    kept = [store.keep(performance_from_weights({"happiness": 1.0}, 2.0 + i)) for i in range(6)]
    with pytest.raises(InputError):
        store.restore(kept[0].token, "garbage")  # evicted: falls back to the (bad) text
    assert store.restore(kept[-1].token, "garbage").duration_s == 7.0
