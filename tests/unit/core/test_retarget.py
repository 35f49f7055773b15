"""Captured ARKit weights onto ARKit-style and non-ARKit rigs."""

from __future__ import annotations

import numpy as np
import pytest

from facial_affect_addon.core.errors import InputError, RigError
from facial_affect_addon.core.retarget import ArkitRetarget
from facial_affect_addon.core.rig_tables import ARKIT_52, FACS_TABLE, METAHUMAN_TABLE

CAPTURED = ("mouthSmileLeft", "mouthSmileRight", "jawOpen", "eyeBlinkLeft", "browInnerUp")


def _weights(**values: float) -> np.ndarray:
    return np.array([values.get(n, 0.0) for n in CAPTURED])


def test_arkit_rig_in_another_naming_style_gets_the_weights_unchanged():
    rig = ["Basis"] + [f"face_{n[0].upper()}{n[1:]}" for n in ARKIT_52]  # face_MouthSmileLeft
    keys, values = ArkitRetarget(rig).apply(CAPTURED, _weights(mouthSmileLeft=0.7, jawOpen=0.3))
    got = dict(zip(keys, values, strict=True))
    assert set(keys) == {f"face_{n[0].upper()}{n[1:]}" for n in CAPTURED}
    assert got["face_MouthSmileLeft"] == pytest.approx(0.7)
    assert got["face_JawOpen"] == pytest.approx(0.3)
    assert got["face_MouthSmileRight"] == 0.0


def test_metahuman_rig_goes_through_action_units():
    rt = ArkitRetarget(list(METAHUMAN_TABLE))
    frames = np.stack([_weights(), _weights(mouthSmileLeft=0.8), _weights(eyeBlinkLeft=1.0)])
    keys, values = rt.apply(CAPTURED, frames)
    assert values.shape == (3, len(keys))
    col = {k: i for i, k in enumerate(keys)}
    assert np.all(values[0] == 0.0)
    assert values[1, col["mouthCornerPullL"]] == pytest.approx(0.8, abs=0.05)
    assert values[1, col["mouthCornerPullR"]] < 0.05
    assert values[2, col["eyeBlinkL"]] > 0.9 and values[2, col["eyeBlinkR"]] < 0.05
    others = [i for k, i in col.items() if k not in {"mouthCornerPullL", "eyeBlinkL"}]
    assert values[1:, others].max() < 0.2  # no stray expression elsewhere


def test_facs_rig_gets_au12():
    keys, values = ArkitRetarget(list(FACS_TABLE)).apply(CAPTURED, _weights(mouthSmileRight=0.5))
    got = dict(zip(keys, values, strict=True))
    assert got["AU12_R"] == pytest.approx(0.5, abs=0.05) and got["AU12_L"] < 0.05


def test_bad_input_is_refused():
    rt = ArkitRetarget(ARKIT_52)
    with pytest.raises(InputError, match="5 names but weights of shape"):
        rt.apply(CAPTURED, np.zeros(4))
    with pytest.raises(InputError, match="Not ARKit key names: smile"):
        rt.apply(("smile",), np.zeros(1))
    with pytest.raises(RigError, match="captured ARKit weights"):
        ArkitRetarget(["Basis", "foo", "bar"])
