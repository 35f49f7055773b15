"""core.micro_spot on synthetic region-motion tracks of known bursts (no video, milliseconds)."""

from __future__ import annotations

import numpy as np
import pytest

from facial_affect_addon.core.errors import InputError
from facial_affect_addon.core.micro_spot import (
    BurstKind,
    SpotBake,
    SpotOptions,
    SpottedBurst,
    burst_kind,
    micro_bursts,
    region_scores,
    sliding_baseline,
    spot_intervals,
)

FPS = 60.0
NAMES = ("brow", "mouth")


def bump(t: np.ndarray, onset: float, duration: float, size: float, ramp: float | None = None):
    """A trapezoid (linear ramps) from ``onset`` lasting ``duration`` with peak ``size``."""
    r = 0.4 * duration if ramp is None else ramp
    u = np.clip(np.minimum((t - onset) / r, (onset + duration - t) / r), 0.0, 1.0)
    return size * u


def tracks(events, seconds=8.0, noise=0.002, seed=0):
    """(n, 2 regions, 2) tracks: each event is (region, onset, duration, size[, ramp])."""
    t = np.arange(round(seconds * FPS)) / FPS
    x = np.random.default_rng(seed).normal(0.0, noise, (len(t), 2, 2))
    for region, onset, duration, size, *ramp in events:
        x[:, region, 1] -= bump(t, onset, duration, size, *ramp)
    return t, x


def spot(events, **kw):
    t, x = tracks(events, **kw)
    return spot_intervals(region_scores(x, t), t, NAMES)


@pytest.mark.parametrize("duration", [0.06, 0.1, 0.2, 0.35])
def test_a_burst_is_found_where_it_is_and_reads_as_micro(duration):
    (found,) = spot([(1, 3.0, duration, 0.05)])
    assert found.onset == pytest.approx(3.0, abs=0.05)
    assert found.offset == pytest.approx(3.0 + duration, abs=0.05)
    assert found.apex == pytest.approx(3.0 + duration / 2, abs=0.5 / FPS + 0.2 * duration)
    assert burst_kind(found.duration) is BurstKind.MICRO
    assert found.regions == ("mouth",)


def test_a_held_expression_is_macro_at_its_onset_and_its_offset():
    found = spot([(1, 2.0, 3.0, 0.08, 0.2)])
    assert len(found) == 2
    assert found[0].onset == pytest.approx(2.0, abs=0.1)
    assert found[1].onset == pytest.approx(4.8, abs=0.1)
    assert all(burst_kind(f.duration) is BurstKind.MACRO for f in found)


def test_noise_alone_gives_nothing_and_a_tiny_burst_under_the_noise_is_not_invented():
    assert spot([]) == []
    assert spot([(0, 3.0, 0.1, 0.004)]) == []


def test_two_bursts_in_two_regions_are_two_events():
    found = spot([(0, 1.0, 0.15, 0.04), (1, 4.0, 0.15, 0.04)])
    assert [f.regions for f in found] == [("brow",), ("mouth",)]


def test_burst_kind_bounds():
    assert burst_kind(0.03) is None
    assert burst_kind(0.04) is BurstKind.MICRO
    assert burst_kind(0.5) is BurstKind.MICRO
    assert burst_kind(0.51) is BurstKind.MACRO


def test_sliding_baseline_is_causal_median():
    t = np.arange(10.0)
    x = np.array([0, 0, 0, 9, 0, 0, 5, 5, 5, 5], dtype=float)
    assert sliding_baseline(x, t, 2.0).tolist() == [0, 0, 0, 0, 0, 0, 0, 5, 5, 5]


def test_bad_tracks_and_options_are_input_errors():
    t = np.arange(5.0)
    with pytest.raises(InputError):
        region_scores(np.zeros((5, 2)), t)
    with pytest.raises(InputError):
        region_scores(np.zeros((5, 1, 2)), t[::-1])
    with pytest.raises(InputError):
        region_scores(np.full((5, 1, 2), np.nan), t)
    with pytest.raises(InputError):
        SpotOptions(min_micro_s=0.6)
    with pytest.raises(InputError):
        SpotOptions(extent_fraction=1.0)


def test_json_has_exactly_the_agreed_fields():
    burst = SpottedBurst(
        1.0, 1.05, 1.1, ("AU12",), {"mouthSmileLeft": 0.3}, "happiness", 0.7, BurstKind.MICRO
    )
    doc = burst.to_json()
    assert set(doc) == {"onset", "apex", "offset", "aus", "keys", "emotion", "confidence"}
    assert doc["aus"] == ["AU12"] and doc["keys"] == {"mouthSmileLeft": 0.3}


def _burst(emotion="happiness", au_values=(("AU12_L", 0.4), ("AU12_R", 0.3))):
    keys = {"mouthSmileLeft": 0.35, "mouthSmileRight": 0.3}
    return SpottedBurst(1.0, 1.06, 1.15, ("AU12",), keys, emotion, 0.7, BurstKind.MICRO,
                        ("mouth_left",), au_values)  # fmt: skip


def test_spotted_bursts_bake_as_their_own_aus_or_as_their_emotion():
    (mirror,) = micro_bursts([_burst()], SpotBake.MIRROR)
    assert mirror.start == 1.0 and mirror.duration == pytest.approx(0.15)
    assert dict(mirror.apex) == {"AU12_L": 0.4, "AU12_R": 0.3}
    (synth,) = micro_bursts([_burst()], "emotion")
    assert synth.emotion == "happiness" and synth.peak_time() == pytest.approx(1.06)
    assert max(v for _, v in synth.apex) == pytest.approx(0.35, abs=1e-6)
    assert micro_bursts([_burst("neutral")], SpotBake.EMOTION) == ()
    with pytest.raises(InputError):
        micro_bursts([_burst()], "copy")
