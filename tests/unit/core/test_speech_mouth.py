"""core.speech_mouth: the emotion's mouth makes room for visemes (issue 17)."""

from __future__ import annotations

import numpy as np
import pytest

from facial_affect_addon.core.errors import InputError
from facial_affect_addon.core.phonemes import TimingOptions, time_text
from facial_affect_addon.core.speech_mouth import (
    SpeechMouthOptions,
    combine_speech,
    is_mouth_key,
    mouth_need,
    mouth_seal,
)
from facial_affect_addon.core.visemes import VROID_TARGETS, viseme_curves

FPS = 24.0
DICT = {
    "bob": (("B", "AA1", "B"),),
    "please": (("P", "L", "IY1", "Z"),),
    "pass": (("P", "AE1", "S"),),
    "the": (("DH", "AH0"),),
    "map": (("M", "AE1", "P"),),
    "mama": (("M", "AA1", "M", "AH0"),),
}
TEXT = "Bob, please pass the map, mama."


def _line() -> tuple[tuple, dict[str, np.ndarray]]:
    phones = time_text(TEXT, DICT, TimingOptions(lead_in=0.5))
    return phones, viseme_curves(phones, FPS)


def _emotion(n: int, **keys: float) -> dict[str, np.ndarray]:
    return {k: np.full(n, v) for k, v in keys.items()}


def _frame(t: float) -> int:
    return round(t * FPS)


def test_mouth_keys() -> None:
    assert is_mouth_key("mouthSmileLeft") and is_mouth_key("jawOpen") and is_mouth_key("Fcl_MTH_A")
    assert not is_mouth_key("cheekSquintLeft") and not is_mouth_key("browInnerUp")
    assert not is_mouth_key("eyeBlinkLeft")


def test_bilabials_close_under_a_full_laughing_smile() -> None:
    phones, vis = _line()
    n = len(vis["jawOpen"])
    smile = _emotion(
        n,
        mouthSmileLeft=1.0,
        mouthSmileRight=1.0,
        jawOpen=0.35,
        mouthStretchLeft=0.3,
        mouthStretchRight=0.3,
        cheekSquintLeft=0.8,
        browInnerUp=0.2,
    )
    out = combine_speech(smile, vis)
    naive = {k: np.clip(vis[k] + smile.get(k, 0.0), 0, 1) for k in vis}
    bilabials = [p for p in phones if p.symbol in {"P", "B", "M"}]
    assert len(bilabials) == 8
    for p in bilabials:
        i = _frame(p.centre)
        assert max(out["mouthClose"][i], out["mouthPressLeft"][i]) >= 0.5, p
        assert out["jawOpen"][i] <= 0.15, p
        assert naive["jawOpen"][i] > 0.15  # plain addition would hold the lips apart
    # The smile still shapes every vowel at the speaking gain, and is whole in the lead-in pause.
    gain = SpeechMouthOptions().speaking_gain
    for p in phones:
        if p.symbol in {"AA", "AE", "IY"}:
            assert out["mouthSmileLeft"][_frame(p.centre)] == pytest.approx(gain)
            if vis["mouthClose"][_frame(p.centre)] < SpeechMouthOptions().seal_from:
                assert out["mouthStretchLeft"][_frame(p.centre)] >= 0.3 * gain  # kept unsealed
    assert out["mouthSmileLeft"][0] == pytest.approx(1.0, abs=0.02)
    assert out["jawOpen"][0] == pytest.approx(0.35, abs=0.01)
    # Brows and cheeks keep the whole emotion on every frame.
    np.testing.assert_array_equal(out["cheekSquintLeft"], smile["cheekSquintLeft"])
    np.testing.assert_array_equal(out["browInnerUp"], smile["browInnerUp"])


def test_speaking_gain_sets_what_the_smile_keeps() -> None:
    phones, vis = _line()
    n = len(vis["jawOpen"])
    aa = next(p for p in phones if p.symbol == "AA")
    out = combine_speech(
        _emotion(n, mouthFrownLeft=0.8), vis, SpeechMouthOptions(speaking_gain=0.25)
    )
    assert out["mouthFrownLeft"][_frame(aa.centre)] == pytest.approx(0.2)


def test_need_follows_the_visemes() -> None:
    phones, vis = _line()
    need = mouth_need(vis, SpeechMouthOptions())
    assert need[0] == pytest.approx(0.0, abs=0.01)
    aa = next(p for p in phones if p.symbol == "AA")
    assert need[_frame(aa.centre)] == pytest.approx(1.0)
    assert need.min() >= 0.0 and need.max() <= 1.0


def test_vroid_uses_the_given_need() -> None:
    phones = time_text("mama", DICT)
    vroid = viseme_curves(phones, FPS, VROID_TARGETS)
    arkit = viseme_curves(phones, FPS)
    arkit_need = mouth_need(arkit, SpeechMouthOptions())
    arkit_seal = mouth_seal(arkit, SpeechMouthOptions())
    n = len(arkit_need)
    surprise = _emotion(n, Fcl_MTH_A=0.7)
    m = next(p for p in phones if p.symbol == "M")
    without = combine_speech(surprise, vroid)
    with_need = combine_speech(surprise, vroid, need=arkit_need, seal=arkit_seal)
    i = _frame(m.centre)
    assert without["Fcl_MTH_A"][i] > 0.5  # the closed mouth is VRoid's rest pose: no need seen
    assert with_need["Fcl_MTH_A"][i] < 0.15


def test_bad_input() -> None:
    _, vis = _line()
    n = len(vis["jawOpen"])
    with pytest.raises(InputError, match="one frame count"):
        combine_speech(_emotion(n + 1, mouthSmileLeft=1.0), vis)
    with pytest.raises(InputError, match="speaking_gain"):
        combine_speech(_emotion(n), vis, SpeechMouthOptions(speaking_gain=1.5))
    with pytest.raises(InputError, match="one value per frame"):
        combine_speech(_emotion(n), vis, need=np.ones(n - 1))
    alone = combine_speech(_emotion(3, mouthSmileLeft=0.4), {})
    np.testing.assert_array_equal(alone["mouthSmileLeft"], [0.4, 0.4, 0.4])
