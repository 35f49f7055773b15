"""Any head (issue 14, part 1): heads renamed to CC4, Daz and VRoid keys still bake a smile.

Each head is the demo head with its ARKit keys renamed (CC4, Daz Genesis 8.1/9) or replaced by
whole-face keys made from mixes of them (VRoid ``Fcl_ALL_*``); a key of the user's own
(``MyCorrective``, value 0.3) must be left alone.
"""

from __future__ import annotations

import json
import re

import bpy
import numpy as np
import pytest

from facial_affect_addon.blender import bake
from facial_affect_addon.core.errors import RigError
from facial_affect_addon.core.rig_tables import ARKIT_52
from facial_affect_addon.pipeline.curves import performance_curves
from facial_affect_addon.pipeline.options import PerformanceOptions, SynthesisOptions
from facial_affect_addon.pipeline.text import performance_from_text

from .helpers import evaluate, fcurve_for, replace_keys_with_mixes, run_cli

LINE = "I'm so happy to see you!"

_CC4_SPECIAL = {
    "browInnerUp": "Brow_Raise_Inner_L",
    "cheekSquintLeft": "Cheek_Raise_L",
    "cheekSquintRight": "Cheek_Raise_R",
    "browDownLeft": "Brow_Drop_L",
    "browDownRight": "Brow_Drop_R",
    "browOuterUpLeft": "Brow_Raise_Outer_L",
    "browOuterUpRight": "Brow_Raise_Outer_R",
    "mouthUpperUpLeft": "Mouth_Up_Upper_L",
    "mouthUpperUpRight": "Mouth_Up_Upper_R",
    "mouthLowerDownLeft": "Mouth_Down_Lower_L",
    "mouthLowerDownRight": "Mouth_Down_Lower_R",
    "mouthFunnel": "Mouth_Funnel_Up_L",
    "mouthPucker": "Mouth_Pucker_Up_L",
    "mouthRollUpper": "Mouth_Roll_In_Upper_L",
    "mouthRollLower": "Mouth_Roll_In_Lower_L",
    "cheekPuff": "Cheek_Puff_L",
    "eyeLookInLeft": "Eye_L_Look_R",
    "eyeLookOutLeft": "Eye_L_Look_L",
    "eyeLookInRight": "Eye_R_Look_L",
    "eyeLookOutRight": "Eye_R_Look_R",
    "eyeLookUpLeft": "Eye_L_Look_Up",
    "eyeLookUpRight": "Eye_R_Look_Up",
    "eyeLookDownLeft": "Eye_L_Look_Down",
    "eyeLookDownRight": "Eye_R_Look_Down",
}


def cc4_name(arkit: str) -> str:
    """``mouthSmileLeft`` -> ``Mouth_Smile_L`` (CC4's spelling), or its special name."""
    if arkit in _CC4_SPECIAL:
        return _CC4_SPECIAL[arkit]
    side = ""
    for word, s in (("Left", "_L"), ("Right", "_R")):
        if arkit.endswith(word):
            arkit, side = arkit[: -len(word)], s
    words = re.findall(r"[a-z]+|[A-Z][a-z]*", arkit)
    return "_".join(w.capitalize() for w in words) + side


def daz_name(arkit: str) -> str:
    """``mouthSmileLeft`` -> ``facs_bs_MouthSmileLeft_div2``; the jaw is a joint morph."""
    pascal = arkit[0].upper() + arkit[1:]
    return f"facs_jnt_{pascal}" if arkit.startswith("jaw") else f"facs_bs_{pascal}_div2"


VROID_MIXES = {
    "Fcl_ALL_Joy": {"mouthSmileLeft": 1, "mouthSmileRight": 1, "cheekSquintLeft": 0.6,
                    "cheekSquintRight": 0.6},
    "Fcl_ALL_Angry": {"browDownLeft": 1, "browDownRight": 1, "mouthPressLeft": 0.6,
                      "mouthPressRight": 0.6},
    "Fcl_ALL_Sorrow": {"browInnerUp": 1, "mouthFrownLeft": 0.8, "mouthFrownRight": 0.8},
    "Fcl_ALL_Surprised": {"browInnerUp": 1, "browOuterUpLeft": 1, "browOuterUpRight": 1,
                          "eyeWideLeft": 1, "eyeWideRight": 1, "jawOpen": 0.5},
    "Fcl_EYE_Close_L": {"eyeBlinkLeft": 1},
    "Fcl_EYE_Close_R": {"eyeBlinkRight": 1},
}  # fmt: skip


def _add_user_key(obj) -> None:
    key = obj.shape_key_add(name="MyCorrective", from_mix=False)
    key.data[0].co.z += 0.01
    key.value = 0.3


def _renamed_head(demo_head, rename):
    for kb in demo_head.data.shape_keys.key_blocks[1:]:
        kb.name = rename(kb.name)
    _add_user_key(demo_head)
    return demo_head


def _vroid_head(demo_head):
    replace_keys_with_mixes(demo_head, VROID_MIXES, ARKIT_52)
    _add_user_key(demo_head)
    return demo_head


@pytest.fixture(scope="module")
def happy_line():
    return performance_from_text(LINE)


def _key_coords(obj) -> dict[str, np.ndarray]:
    out = {}
    for kb in obj.data.shape_keys.key_blocks:
        co = np.empty(len(kb.data) * 3)
        kb.data.foreach_get("co", co)
        out[kb.name] = co
    return out


def _bake(obj, performance):
    names = bake.shape_key_names(obj)
    options = PerformanceOptions(synthesis=SynthesisOptions(fps=24.0, frame_start=1))
    curves = performance_curves(performance, names, options)
    result = bake.bake_curves(obj, curves, bake.BakeOptions(take_name="Affect"))
    return curves, bpy.data.actions[result.action_name]


def _peak(action, key: str, n: int) -> float:
    fc = fcurve_for(action, key)
    assert fc is not None, f"{key} was not baked"
    return float(evaluate(fc, range(1, n + 1)).max())


def _check_untouched(obj, action, before) -> None:
    assert fcurve_for(action, "MyCorrective") is None
    assert obj.data.shape_keys.key_blocks["MyCorrective"].value == pytest.approx(0.3)
    after = _key_coords(obj)
    assert after.keys() == before.keys()
    for name, co in before.items():
        np.testing.assert_array_equal(after[name], co, err_msg=name)


@pytest.mark.parametrize(
    ("rename", "smile"),
    [(cc4_name, "Mouth_Smile_L"), (daz_name, "facs_bs_MouthSmileLeft_div2")],
    ids=["cc4", "daz"],
)
def test_renamed_heads_smile(demo_head, happy_line, rename, smile):
    obj = _renamed_head(demo_head, rename)
    before = _key_coords(obj)
    curves, action = _bake(obj, happy_line)
    assert _peak(action, smile, curves.n_frames) > 0.3
    _check_untouched(obj, action, before)
    assert any("'MyCorrective'" in w for w in curves.warnings)


def test_vroid_head_shows_joy(demo_head, happy_line):
    obj = _vroid_head(demo_head)
    before = _key_coords(obj)
    curves, action = _bake(obj, happy_line)
    n = curves.n_frames
    assert _peak(action, "Fcl_ALL_Joy", n) > 0.3
    assert _peak(action, "Fcl_ALL_Joy", n) > 2 * _peak(action, "Fcl_ALL_Angry", n)
    assert fcurve_for(action, "Fcl_EYE_Close_L") is not None  # AU-level keys still take AUs
    _check_untouched(obj, action, before)


def test_head_with_no_known_key_is_one_clear_error(demo_head, happy_line):
    numbers = iter(range(1000))
    obj = _renamed_head(demo_head, lambda _: f"Key {next(numbers)}")

    with pytest.raises(RigError, match="None of the 53 shape keys") as err:
        _bake(obj, happy_line)
    assert "\n" not in str(err.value)


cli = run_cli


def test_cli_rig_suggest_then_bake_with_the_edited_profile(demo_head, tmp_path):
    name = _renamed_head(demo_head, cc4_name).name
    head = tmp_path / "cc4_head.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(head), copy=True)
    profile = tmp_path / "cc4.json"
    done = cli("rig", "suggest", "--head", str(head), "--object", name, "--out", str(profile))
    assert done.returncode == 0, done.stderr
    assert "'MyCorrective'" in done.stdout and profile.is_file()
    doc = json.loads(profile.read_text())
    assert doc["keys"]["Mouth_Smile_L"] == {"mouthSmileLeft": 1.0}
    doc["key_clamps"] = {"Mouth_Smile_R": [0.0, 0.2]}  # the user edits the suggestion
    profile.write_text(json.dumps(doc))
    out = tmp_path / "x.blend"
    done = cli("text", LINE, "--bake", str(out), "--head", str(head), "--object", name,
               "--profile", str(profile))  # fmt: skip
    assert done.returncode == 0, done.stderr
    bpy.ops.wm.open_mainfile(filepath=str(out))
    action = bpy.data.objects[name].data.shape_keys.animation_data.action
    n = int(action.curve_frame_range[1])
    assert _peak(action, "Mouth_Smile_L", n) > 0.3
    assert _peak(action, "Mouth_Smile_R", n) <= 0.2 + 1e-6
    bad = cli("text", LINE, "--profile", str(profile))
    assert bad.returncode == 2 and "--profile is only used with --bake" in bad.stderr
    # a profile made for another head (it names a key this one lacks) is refused, nothing written
    doc["keys"]["Ghost_Key"] = {"browDownLeft": 1.0}
    profile.write_text(json.dumps(doc))
    other = tmp_path / "other.blend"
    refused = cli("text", LINE, "--bake", str(other), "--head", str(head), "--object", name,
                  "--profile", str(profile))  # fmt: skip
    assert refused.returncode == 2 and "'Ghost_Key'" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and not other.exists()


# --- the live preview drives whole-face keys as the bake does (one code path: core.any_rig) ------


def _live_peaks(obj, lines: tuple[str, ...], seconds: float = 2.0) -> dict[str, float]:
    """Play ``lines`` in the live preview for ``seconds``; each key's peak, then Esc."""
    from .test_ui_preview import _start, _wait_events
    from .ui_fixtures import FakeEvent

    blocks = obj.data.shape_keys.key_blocks
    op = _start(bpy.context.scene.faceaff, lines=lines)
    _wait_events(op, len(lines))
    peaks = {kb.name: kb.value for kb in blocks}
    for _ in range(round(seconds / 0.05)):
        assert op.tick(bpy.context, 0.05) == {"RUNNING_MODAL"}
        peaks = {kb.name: max(peaks[kb.name], kb.value) for kb in blocks}
    assert op.modal(bpy.context, FakeEvent("ESC")) == {"CANCELLED"}
    return peaks


def test_live_preview_drives_a_vroid_heads_whole_face_keys(addon, demo_head):
    obj = _vroid_head(demo_head)
    bpy.context.scene.faceaff.target = obj
    blocks = obj.data.shape_keys.key_blocks
    before = {kb.name: kb.value for kb in blocks}
    peaks = _live_peaks(obj, (f"[happiness] {LINE}",))
    assert peaks["Fcl_ALL_Joy"] > 0.3
    assert peaks["Fcl_ALL_Joy"] > 2 * peaks["Fcl_ALL_Angry"]
    assert peaks["MyCorrective"] == pytest.approx(0.3)  # the user's key: never written
    assert {kb.name: kb.value for kb in blocks} == pytest.approx(before)  # Esc puts all back


def test_live_preview_follows_the_edited_mapping_like_the_bake(addon, demo_head, tmp_path):
    from facial_affect_addon.core.rig_mapping import suggest_profile

    obj = _vroid_head(demo_head)
    settings = bpy.context.scene.faceaff
    settings.target = obj
    suggested, _ = suggest_profile(bake.shape_key_names(obj), name="vroid")
    doc = suggested.to_dict()
    doc["key_clamps"] = {"Fcl_ALL_Joy": [0.0, 0.45]}
    doc["key_offsets"] = {"Fcl_ALL_Angry": 0.1}
    path = tmp_path / "vroid.json"
    path.write_text(json.dumps(doc))
    assert bpy.ops.faceaff.mapping_load(filepath=str(path)) == {"FINISHED"}
    live = _live_peaks(obj, (f"[happiness] {LINE}",))
    assert live["Fcl_ALL_Joy"] == pytest.approx(0.45, abs=1e-4)  # clamped, as in the profile
    assert live["Fcl_ALL_Angry"] == pytest.approx(0.1, abs=1e-4)  # the offset holds at rest
    from facial_affect_addon.blender.operators_analysis import store_performance

    store_performance(settings, performance_from_text(f"[happiness] {LINE}"))
    assert bpy.ops.faceaff.bake() == {"FINISHED"}
    action = obj.data.shape_keys.animation_data.action
    n = int(action.curve_frame_range[1])
    assert _peak(action, "Fcl_ALL_Joy", n) == pytest.approx(live["Fcl_ALL_Joy"], abs=1e-3)
    assert _peak(action, "Fcl_ALL_Angry", n) == pytest.approx(live["Fcl_ALL_Angry"], abs=1e-3)


def test_a_recorded_live_take_keys_the_whole_face_keys(addon, demo_head):
    from .test_ui_preview import _start, _wait_events
    from .ui_fixtures import FakeEvent

    obj = _vroid_head(demo_head)
    bpy.context.scene.faceaff.target = obj
    op = _start(bpy.context.scene.faceaff, lines=(f"[happiness] {LINE}",), record=True)
    _wait_events(op, 1)
    for _ in range(48):  # 2 s at 24 fps
        op.tick(bpy.context, 1 / 24)
    assert op.modal(bpy.context, FakeEvent("ESC")) == {"FINISHED"}
    (take,) = bake.list_takes(obj)
    assert take.name.endswith("live")
    assert _peak(take, "Fcl_ALL_Joy", 48) > 0.3
    assert fcurve_for(take, "MyCorrective") is None
