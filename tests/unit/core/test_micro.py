"""Micro-expressions: co-occurrence graph, burst generation, envelopes."""

from __future__ import annotations

import numpy as np
import pytest

from facial_affect_addon.core import micro
from facial_affect_addon.core.emotions import EmotionWeights
from facial_affect_addon.core.errors import InputError
from facial_affect_addon.core.facs import AU_CHANNELS, CHANNEL_INDEX
from facial_affect_addon.core.timeline import EmotionEvent

G = micro.DEFAULT_GRAPH


def test_counts_from_the_prototype_table():
    # AU1: sadness, surprise, fear. AU4: sadness, fear, anger. AU12: happiness, contempt.
    i = {a: G.aus.index(a) for a in ("AU1", "AU4", "AU12", "AU6", "AU14", "AU26")}
    assert G.counts[i["AU1"], i["AU1"]] == 3
    assert G.counts[i["AU4"], i["AU4"]] == 3
    assert G.counts[i["AU1"], i["AU4"]] == 2  # sadness, fear
    assert G.counts[i["AU12"], i["AU12"]] == 2
    assert G.counts[i["AU26"], i["AU26"]] == 2  # surprise, fear
    assert np.array_equal(G.counts, G.counts.T)


def test_adjacency_is_conditional_probability_and_asymmetric():
    assert G.conditional("AU6", "AU12") == pytest.approx(1 / 2)  # N = 1, N_12 = 2
    assert G.conditional("AU12", "AU6") == pytest.approx(1.0)  # N_6 = 1
    assert G.conditional("AU4", "AU1") == pytest.approx(2 / 3)
    assert G.conditional("AU10", "AU12") == 0.0  # AU10 is in no prototype
    assert G.conditional("AU12", "AU12") == 1.0
    a = G.adjacency
    assert not np.allclose(a, a.T)


def test_custom_count_table():
    g = micro.prototype_counts({"x": "1+2", "y": "1", "z": "2+4"})
    assert g.conditional("AU2", "AU1") == pytest.approx(1 / 2)
    assert g.conditional("AU1", "AU2") == pytest.approx(1 / 2)
    assert g.conditional("AU4", "AU2") == pytest.approx(1 / 2)
    assert g.conditional("AU2", "AU4") == pytest.approx(1.0)


def test_sampled_sets_only_contain_co_occurring_aus():
    rng = np.random.default_rng(0)
    for seed_au in ("AU12", "AU4", "AU26", "AU9"):
        for _ in range(20):
            got = G.sample(seed_au, rng)
            assert seed_au in got
            assert all(G.conditional(a, seed_au) > 0 for a in got)
    with pytest.raises(InputError):
        G.sample("AU10", rng)


def test_generated_bursts_are_valid_and_reproducible():
    opts = micro.MicroOptions(rate_per_minute=6.0)
    a = micro.generate_bursts([], 120.0, opts, np.random.default_rng(5))
    b = micro.generate_bursts([], 120.0, opts, np.random.default_rng(5))
    assert a == b and 3 <= len(a) <= 30
    for burst in a:
        assert micro.MIN_DURATION <= burst.duration <= micro.MAX_DURATION
        assert 0 <= burst.start <= 120.0
        aus = {ch.split("_")[0] for ch, _ in burst.apex}
        # the AU set hangs together: some member co-occurs with all the others
        assert any(all(G.conditional(x, s) > 0 for x in aus) for s in aus)


def test_given_times_and_leaked_emotion():
    events = [EmotionEvent(0.0, 10.0, EmotionWeights.pure("disgust"))]
    opts = micro.MicroOptions(times=(1.0, 4.0))
    bursts = micro.generate_bursts(events, 10.0, opts, np.random.default_rng(0))
    assert [b.start for b in bursts] == [1.0, 4.0]
    assert {b.emotion for b in bursts} == {"disgust"}
    forced = micro.MicroOptions(times=(1.0,), emotion="fear")
    assert micro.generate_bursts(events, 10.0, forced, np.random.default_rng(0))[0].emotion == (
        "fear"
    )


def test_burst_envelope_onset_apex_offset():
    burst = micro.MicroBurst.from_mapping(1.0, 0.2, {"AU12": 0.5})
    t = np.linspace(0.9, 1.3, 4001)
    out = micro.render_bursts([burst], t)
    smile = out[:, CHANNEL_INDEX["AU12_L"]]
    assert smile.max() == pytest.approx(0.5)
    apex = t[np.isclose(smile, 0.5)]
    assert apex.min() == pytest.approx(1.0 + 0.35 * 0.2, abs=1e-3)
    assert apex.max() == pytest.approx(1.0 + 0.55 * 0.2, abs=1e-3)
    assert np.all(smile[(t < 1.0) | (t > 1.2)] == 0)
    assert out[:, CHANNEL_INDEX["AU12_R"]] == pytest.approx(smile)


def test_overlapping_bursts_stay_in_range():
    bursts = [micro.MicroBurst.from_mapping(1.0, 0.2, {"AU12": 0.9}) for _ in range(3)]
    out = micro.render_bursts(bursts, np.linspace(0.9, 1.3, 401))
    assert out.max() <= 1.0 and out.max() > 0.99


def test_frame_aligned_burst_is_visible_at_24fps():
    burst = micro.MicroBurst.from_mapping(1.013, 0.04, {"AU4": 0.6})
    aligned = micro.frame_aligned(burst, 24.0)
    assert aligned.duration == pytest.approx(3 / 24)
    frames = np.arange(60) / 24.0
    out = micro.render_bursts([aligned], frames)[:, CHANNEL_INDEX["AU4_L"]]
    assert out.max() == pytest.approx(0.6)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"duration": 0.501},
        {"duration": 0.01},
        {"start": -1.0},
        {"apex": ()},
        {"apex": (("AU99", 0.5),)},
        {"apex": (("AU12_L", 1.5),)},
    ],
)
def test_burst_validation(kwargs):
    args = {"start": 0.0, "duration": 0.1, "apex": (("AU12_L", 0.5),), **kwargs}
    with pytest.raises(InputError):
        micro.MicroBurst(**args)


def test_options_validation():
    with pytest.raises(InputError):
        micro.MicroOptions(duration_range=(0.01, 0.1))
    with pytest.raises(InputError):
        micro.MicroOptions(emotion="neutral")
    with pytest.raises(InputError):
        micro.MicroOptions(times=(-1.0,))
    assert len(AU_CHANNELS) == micro.MicroBurst.from_mapping(0, 0.1, {"AU26": 1}).vector().size
