"""The top-level synthesis: rig detection, curves, warnings, static vs dynamic, live preview."""

from __future__ import annotations

import numpy as np
import pytest

from facial_affect_addon.core import metrics
from facial_affect_addon.core.curveset import CurveSet
from facial_affect_addon.core.emotions import EmotionWeights
from facial_affect_addon.core.errors import InputError, RigError
from facial_affect_addon.core.facs import CHANNEL_INDEX
from facial_affect_addon.core.live import LivePreview
from facial_affect_addon.core.micro import MicroOptions
from facial_affect_addon.core.rig_tables import ARKIT_52
from facial_affect_addon.core.synthesis import (
    plan_performance,
    render_plan,
    single_event_timeline,
    synthesize,
    synthesize_au,
)
from facial_affect_addon.core.timeline import EmotionEvent, Timeline, TransitionSettings

HAPPY = EmotionWeights.pure("happiness")


def _story() -> Timeline:
    return Timeline.from_events(
        [
            EmotionEvent(0.3, 2.0, EmotionWeights.compound("happily surprised"), 0.9),
            EmotionEvent(2.6, 1.5, EmotionWeights.pure("sadness"), 0.7),
            EmotionEvent(5.5, 2.0, EmotionWeights.from_mapping({"anger": 0.7, "disgust": 0.3})),
        ]
    )


def _slope_jump(v: np.ndarray, fps: float) -> float:
    return float(np.abs(np.diff(np.diff(v) * fps)).max())


def test_synthesize_returns_rig_named_curves_in_range():
    names = ["Basis", *(n[0].upper() + n[1:] for n in ARKIT_52)]
    cs = synthesize(_story(), names, fps=24, frame_start=10, micro=True)
    assert isinstance(cs, CurveSet) and cs.frame_start == 10 and cs.fps == 24
    assert "MouthSmileLeft" in cs.channels and "Basis" not in cs.channels
    lengths = {len(v) for v in cs.channels.values()}
    assert lengths == {cs.n_frames} and cs.n_frames > 24 * 8
    stacked = np.stack(list(cs.channels.values()))
    assert np.all(np.isfinite(stacked)) and stacked.min() >= 0 and stacked.max() <= 1
    assert cs.channels["MouthSmileLeft"].max() > 0.3  # the happy part smiles
    assert cs.warnings == ()  # a full ARKit rig expresses everything
    cs.validated()


def test_warnings_name_the_aus_the_rig_cannot_express():
    names = [n for n in ARKIT_52 if not n.startswith(("noseSneer", "mouthUpperUp"))]
    tl = Timeline((EmotionEvent(0.0, 2.0, EmotionWeights.pure("disgust")),))
    cs = synthesize(tl, names, fps=24, life=False)
    assert any("uses AU9_L (Nose Wrinkler)" in w for w in cs.warnings)
    assert any("cannot express" in w and "AU10" in w for w in cs.warnings)


def test_dynamic_curves_are_c1_and_static_are_not():
    tl = _story()
    jumps = {}
    for mode in ("dynamic", "static"):
        js = []
        for fps in (400, 800):
            au = synthesize_au(tl, fps=fps, mode=mode, life=False).values
            js.append(max(_slope_jump(au[:, CHANNEL_INDEX[c]], fps) for c in ("AU12_L", "AU4_L")))
        jumps[mode] = js
    assert jumps["dynamic"][1] < 0.6 * jumps["dynamic"][0]  # O(step): no derivative jump
    assert jumps["static"][1] > 0.9 * jumps["static"][0] > 1.0  # kinks do not shrink


def test_dynamic_key_curves_are_c1_with_life_and_micro():
    tl = _story()
    opts = MicroOptions(times=(1.0, 6.0))
    js = []
    for fps in (400, 800):
        cs = synthesize(tl, ARKIT_52, fps=fps, micro=opts, life=True, seed=1)
        js.append(max(_slope_jump(cs.channels[k], fps) for k in ("mouthSmileLeft", "eyeBlinkLeft")))
    assert js[1] < 0.6 * js[0]


def test_static_is_the_dominant_template_dynamic_is_modulated():
    tl = Timeline((EmotionEvent(0.0, 3.0, EmotionWeights.compound("happily surprised"), 0.5),))
    static = synthesize_au(tl, fps=24, mode="static", life=False).as_dict()
    dynamic = synthesize_au(tl, fps=24, mode="dynamic", life=False).as_dict()
    assert static["AU12_L"].max() == pytest.approx(1.0)  # full template, no modulation
    assert static["AU26"].max() == 0.0  # surprise ignored by the baseline
    # felt(0.6) x 1.0 x travel(i_v), i_v = 0.5 +- 0.05, felt(w) = travel(w) = 1 - (1 - w)^2:
    # 0.84 x (0.6975 to 0.7975) = 0.586 to 0.670
    assert 0.58 < dynamic["AU12_L"].max() < 0.68
    assert dynamic["AU26"].max() > 0.0  # the compound shows
    e_static = metrics.smoothness(static["AU12_L"], 24).max_jerk
    e_dynamic = metrics.smoothness(dynamic["AU12_L"], 24).max_jerk
    assert e_dynamic < e_static


def test_seeded_and_reproducible():
    a = synthesize(_story(), ARKIT_52, fps=24, micro=True, seed=4)
    b = synthesize(_story(), ARKIT_52, fps=24, micro=True, seed=4)
    c = synthesize(_story(), ARKIT_52, fps=24, micro=True, seed=5)
    assert all(np.array_equal(a.channels[k], b.channels[k]) for k in a.channels)
    assert any(not np.array_equal(a.channels[k], c.channels[k]) for k in a.channels)


def test_micro_does_not_move_the_blinks():
    on = synthesize_au(_story(), fps=24, micro=MicroOptions(rate_per_minute=30), seed=2)
    off = synthesize_au(_story(), fps=24, micro=False, seed=2)
    blink = CHANNEL_INDEX["AU45_L"]
    assert np.array_equal(on.values[:, blink], off.values[:, blink])
    assert off.values[:, blink].max() > 0.8  # it does blink
    assert not np.array_equal(on.values, off.values)


def test_explicit_micro_times_show_up():
    tl = Timeline((EmotionEvent(0.0, 4.0, EmotionWeights.pure("neutral")),))
    au = synthesize_au(tl, fps=24, micro=MicroOptions(times=(2.0,), emotion="fear"), life=False)
    active = np.flatnonzero(au.values.max(axis=1) > 0)
    assert active.min() >= 2.0 * 24 - 1 and active.max() <= 2.3 * 24


def test_include_undriven_gives_all_52_channels():
    cs = synthesize(_story(), ARKIT_52, fps=24, include_undriven=True)
    assert set(cs.channels) == set(ARKIT_52)
    assert cs.channels["tongueOut"].max() == 0.0


def test_profile_by_name_and_errors():
    cs = synthesize(_story(), ARKIT_52, fps=24, profile="arkit52", n_frames=10)
    assert cs.n_frames == 10
    with pytest.raises(InputError, match="Unknown rig profile"):
        synthesize(_story(), ARKIT_52, fps=24, profile="maya")
    with pytest.raises(RigError):
        synthesize(_story(), ["Basis", "Key 1"], fps=24)
    with pytest.raises(InputError, match="mode"):
        synthesize(_story(), ARKIT_52, fps=24, mode="wobbly")
    with pytest.raises(InputError, match="Frame rate"):
        synthesize(_story(), ARKIT_52, fps=0)
    with pytest.raises(InputError, match="n_frames"):
        synthesize(_story(), ARKIT_52, fps=24, n_frames=0)
    with pytest.raises(InputError, match="Intensity"):
        synthesize(_story(), ARKIT_52, fps=24, intensity=2.0)
    far = Timeline((EmotionEvent(1e7, 1.0, HAPPY),))
    with pytest.raises(InputError, match="in parts"):
        synthesize(far, ARKIT_52, fps=24)


def test_late_events_are_reported():
    cs = synthesize(_story(), ARKIT_52, fps=24, n_frames=24)
    assert any("after the last frame" in w for w in cs.warnings)


def test_single_event_timeline_centres_the_apex():
    s = TransitionSettings(rise=0.4, fall=0.8, sustain=1.0, intensity_variation=0.0)
    tl = single_event_timeline(HAPPY, 4.0, transitions=s)
    au = synthesize_au(tl, fps=100, n_frames=401, life=False, transitions=s).as_dict()["AU12_L"]
    hold = np.flatnonzero(np.isclose(au, au.max()))
    assert (hold[0] + hold[-1]) / 2 == pytest.approx(200, abs=1)
    assert au[0] == 0.0 and au[-1] == pytest.approx(0.0)
    with pytest.raises(InputError, match="too short"):
        single_event_timeline(HAPPY, 0.5)


def test_plan_and_render_match_synthesize_and_render_anywhere():
    plan = plan_performance(_story(), fps=24, micro=True, seed=3)
    au = render_plan(plan)
    assert np.array_equal(au, synthesize_au(_story(), fps=24, micro=True, seed=3).values)
    mid = render_plan(plan, np.array([1.0, 1.5]))
    assert mid.shape == (2, au.shape[1]) and np.all((mid >= 0) & (mid <= 1))


def test_live_preview_ticks():
    live = LivePreview(ARKIT_52, seed=1)
    live.set_emotion(HAPPY, duration=1.0)
    frames = [live.tick(1 / 30) for _ in range(30 * 8)]
    smile = [f["mouthSmileLeft"] for f in frames]
    assert max(smile) == pytest.approx(1.0, abs=0.01) and smile[-1] == pytest.approx(0.0)
    assert max(f["eyeBlinkLeft"] for f in frames) > 0.5  # blinked within 8 s
    assert all(0 <= v <= 1 for f in frames for v in f.values())
