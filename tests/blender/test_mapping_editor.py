"""The panel's mapping editor (issue 14 item 2) in real Blender, on the demo head renamed to CC4.

Suggest fills the editor; a row's gain changes what Bake writes; Test poses a key at 1.0 and Stop
Test puts it back; Save and Load round-trip; a hostile file through Load changes nothing; a batch
item's profile column reaches its bake; the Target box draws the editor and the coverage.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

import bpy
import numpy as np
import pytest

from facial_affect_addon.blender.operators_mapping import rows_profile
from facial_affect_addon.core.rig_profile import load_profile
from facial_affect_addon.pipeline.text import performance_from_text

from .helpers import evaluate, fcurve_for, scene_fingerprint
from .test_any_rig import LINE, _renamed_head, _vroid_head, cc4_name

REPO = Path(__file__).resolve().parents[2]
SMILE = "Mouth_Smile_L"


@pytest.fixture
def cc4_head(addon, demo_head):
    obj = _renamed_head(demo_head, cc4_name)
    bpy.context.scene.faceaff.target = obj
    return obj


def _rows(obj) -> list[tuple[str, str, float, float]]:
    return [
        (r.channel, r.key, round(r.weight, 6), round(r.gain, 6)) for r in obj.faceaff_mapping.rows
    ]


def _row_index(obj, channel: str, key: str) -> int:
    rows = obj.faceaff_mapping.rows
    return next(i for i, r in enumerate(rows) if r.channel == channel and r.key == key)


def _bake_line(obj, take: str) -> float:
    from facial_affect_addon.blender.operators_analysis import store_performance

    settings = bpy.context.scene.faceaff
    store_performance(settings, performance_from_text(LINE))
    settings.take_name = take
    assert bpy.ops.faceaff.bake() == {"FINISHED"}
    action = obj.data.shape_keys.animation_data.action
    fc = fcurve_for(action, SMILE)
    assert fc is not None
    start, end = (round(f) for f in action.frame_range)
    return float(evaluate(fc, range(start, end + 1)).max())


def test_suggest_fills_the_editor_and_an_edited_gain_halves_the_baked_smile(cc4_head):
    unedited = _bake_line(cc4_head, "Unedited")
    assert bpy.ops.faceaff.mapping_suggest() == {"FINISHED"}
    rows = _rows(cc4_head)
    assert ("mouthSmileLeft", SMILE, 1.0, 1.0) in rows
    assert ("jawOpen", "Jaw_Open", 1.0, 1.0) in rows
    same = _bake_line(cc4_head, "Suggested")  # the suggestion is what Bake chose by itself
    assert same == pytest.approx(unedited, rel=0.05)

    cc4_head.faceaff_mapping.rows[_row_index(cc4_head, "mouthSmileLeft", SMILE)].gain = 0.5
    edited = _bake_line(cc4_head, "Edited")
    assert unedited > 0.3
    assert edited == pytest.approx(0.5 * unedited, rel=0.1)


def test_a_vroid_heads_whole_face_keys_are_emotion_rows_that_round_trip(addon, demo_head):
    from facial_affect_addon.blender import bake
    from facial_affect_addon.core.rig_mapping import suggest_profile

    obj = _vroid_head(demo_head)
    bpy.context.scene.faceaff.target = obj
    assert bpy.ops.faceaff.mapping_suggest() == {"FINISHED"}
    assert ("emotion:happiness", "Fcl_ALL_Joy", 1.0, 1.0) in _rows(obj)
    suggested, _ = suggest_profile(bake.shape_key_names(obj), name="DemoHead_mapping")
    assert rows_profile(obj.faceaff_mapping).to_dict() == suggested.to_dict()


def test_a_row_for_a_key_the_head_lacks_does_not_block_the_bake(cc4_head):
    assert bpy.ops.faceaff.mapping_suggest() == {"FINISHED"}
    cc4_head.faceaff_mapping.rows[_row_index(cc4_head, "jawOpen", "Jaw_Open")].key = "NoSuchKey"
    assert _bake_line(cc4_head, "Partial") > 0.3  # what is mapped still bakes
    # the bake's warning names the missing key (reported, not raised)
    from facial_affect_addon.blender.operators import bake_performance, bake_request

    result = bake_performance(cc4_head, bake_request(bpy.context.scene))
    assert any("'NoSuchKey'" in w for w in result.warnings)


def test_test_button_poses_one_key_and_stop_test_restores_it(cc4_head):
    assert bpy.ops.faceaff.mapping_suggest() == {"FINISHED"}
    blocks = cc4_head.data.shape_keys.key_blocks
    blocks[SMILE].value = 0.25
    smile = _row_index(cc4_head, "mouthSmileLeft", SMILE)
    jaw = _row_index(cc4_head, "jawOpen", "Jaw_Open")
    assert bpy.ops.faceaff.mapping_test(index=smile) == {"FINISHED"}
    assert blocks[SMILE].value == 1.0
    assert bpy.ops.faceaff.mapping_test(index=jaw) == {"FINISHED"}
    assert blocks[SMILE].value == pytest.approx(0.25)  # the previous test is undone
    assert blocks["Jaw_Open"].value == 1.0
    assert bpy.ops.faceaff.mapping_stop_test() == {"FINISHED"}
    assert blocks["Jaw_Open"].value == 0.0
    assert blocks[SMILE].value == pytest.approx(0.25)
    assert not bpy.ops.faceaff.mapping_stop_test.poll()


def test_every_data_changing_mapping_operator_is_undoable(addon):
    # The flag makes every call push one undo step (undo itself: test_mapping_undo.py).
    for name in ("suggest", "clear", "add", "remove", "test", "stop_test", "load"):
        assert "UNDO" in getattr(bpy.types, f"FACEAFF_OT_mapping_{name}").bl_options


def test_gain_is_one_number_per_key(cc4_head):
    assert bpy.ops.faceaff.mapping_suggest() == {"FINISHED"}
    rows = cc4_head.faceaff_mapping.rows
    extra = rows.add()  # a second driver on the smile key
    extra.channel, extra.key, extra.weight = "cheekSquintLeft", SMILE, 0.2
    rows[_row_index(cc4_head, "mouthSmileLeft", SMILE)].gain = 0.7
    assert [r.gain for r in rows if r.key == SMILE] == pytest.approx([0.7, 0.7])
    profile = rows_profile(cc4_head.faceaff_mapping)
    assert profile.key_gain(SMILE) == pytest.approx(0.7)
    assert profile.to_dict()["keys"][SMILE] == {"mouthSmileLeft": 1.0, "cheekSquintLeft": 0.2}


def _baked(obj, key: str) -> np.ndarray:
    action = obj.data.shape_keys.animation_data.action
    start, end = (round(f) for f in action.frame_range)
    return evaluate(fcurve_for(action, key), range(start, end + 1))


def test_offset_and_clamp_edited_in_rows_reach_the_bake_and_round_trip(cc4_head, tmp_path):
    unedited = _bake_line(cc4_head, "Unedited")
    assert unedited > 0.3
    assert bpy.ops.faceaff.mapping_suggest() == {"FINISHED"}
    rows = cc4_head.faceaff_mapping.rows
    rows[_row_index(cc4_head, "mouthSmileLeft", SMILE)].clamp_max = 0.2
    rows[_row_index(cc4_head, "jawOpen", "Jaw_Open")].offset = 0.1
    assert _bake_line(cc4_head, "Shaped") == pytest.approx(0.2, abs=1e-4)  # clamped
    jaw = _baked(cc4_head, "Jaw_Open")
    assert jaw.min() == pytest.approx(0.1, abs=1e-4) and jaw[0] == pytest.approx(0.1, abs=1e-4)
    shaped = {n: _baked(cc4_head, n) for n in (SMILE, "Jaw_Open", "Mouth_Smile_R")}

    path = tmp_path / "shaped.json"
    assert bpy.ops.faceaff.mapping_save(filepath=str(path)) == {"FINISHED"}
    doc = json.loads(path.read_text())
    assert doc["key_offsets"] == {"Jaw_Open": 0.1}
    assert doc["key_clamps"] == {SMILE: [0.0, 0.2]}
    before = rows_profile(cc4_head.faceaff_mapping).to_dict()
    assert bpy.ops.faceaff.mapping_clear() == {"FINISHED"}
    assert _bake_line(cc4_head, "Cleared") == pytest.approx(unedited, rel=0.05)
    assert bpy.ops.faceaff.mapping_load(filepath=str(path)) == {"FINISHED"}
    smile_row = rows[_row_index(cc4_head, "mouthSmileLeft", SMILE)]
    assert (smile_row.clamp_min, smile_row.clamp_max) == pytest.approx((0.0, 0.2))
    assert rows[_row_index(cc4_head, "jawOpen", "Jaw_Open")].offset == pytest.approx(0.1)
    assert rows_profile(cc4_head.faceaff_mapping).to_dict() == before
    _bake_line(cc4_head, "Reloaded")
    for name, values in shaped.items():
        np.testing.assert_allclose(_baked(cc4_head, name), values, atol=1e-6, err_msg=name)


def test_offset_and_clamp_are_one_value_per_key_and_low_stays_below_high(cc4_head):
    assert bpy.ops.faceaff.mapping_suggest() == {"FINISHED"}
    rows = cc4_head.faceaff_mapping.rows
    extra = rows.add()  # a second driver on the smile key
    extra.channel, extra.key, extra.weight = "cheekSquintLeft", SMILE, 0.2
    first = rows[_row_index(cc4_head, "mouthSmileLeft", SMILE)]
    first.offset = -0.25
    first.clamp_max = 0.6
    first.clamp_min = 0.8  # above high: high follows
    smile_rows = [r for r in rows if r.key == SMILE]
    assert [r.offset for r in smile_rows] == pytest.approx([-0.25, -0.25])
    assert [round(v, 6) for r in smile_rows for v in (r.clamp_min, r.clamp_max)] == [0.8] * 4
    first.clamp_max = 0.3  # below low: low follows
    assert [round(v, 6) for r in smile_rows for v in (r.clamp_min, r.clamp_max)] == [0.3] * 4
    first.clamp_min = 0.1
    profile = rows_profile(cc4_head.faceaff_mapping)
    assert dict(profile.key_offsets) == {SMILE: -0.25}
    assert dict(profile.key_clamps) == {SMILE: (0.1, 0.3)}  # as typed (no float32 tails)
    assert "Jaw_Open" not in dict(profile.key_clamps)  # defaults are not written


def test_the_search_field_matches_channel_or_key(cc4_head):
    from types import SimpleNamespace

    from facial_affect_addon.blender.ui_lists import FACEAFF_UL_mapping

    assert bpy.ops.faceaff.mapping_suggest() == {"FINISHED"}
    mapping = cc4_head.faceaff_mapping
    ui = SimpleNamespace(filter_name="smile", use_filter_invert=False, bitflag_filter_item=1 << 30)
    flags, order = FACEAFF_UL_mapping.filter_items(ui, bpy.context, mapping, "rows")
    shown = {mapping.rows[i].key for i, f in enumerate(flags) if f}
    assert shown == {"Mouth_Smile_L", "Mouth_Smile_R"} and order == []
    ui.filter_name = "jaw*"  # a channel pattern
    flags, _ = FACEAFF_UL_mapping.filter_items(ui, bpy.context, mapping, "rows")
    assert {mapping.rows[i].channel for i, f in enumerate(flags) if f} >= {"jawOpen"}


def test_add_and_remove_rows(cc4_head):
    assert bpy.ops.faceaff.mapping_suggest() == {"FINISHED"}
    mapping = cc4_head.faceaff_mapping
    n = len(mapping.rows)
    assert bpy.ops.faceaff.mapping_add() == {"FINISHED"}
    assert len(mapping.rows) == n + 1 and mapping.index == n
    assert bpy.ops.faceaff.mapping_remove() == {"FINISHED"}
    assert len(mapping.rows) == n


def test_save_then_load_round_trips(cc4_head, tmp_path):
    assert bpy.ops.faceaff.mapping_suggest() == {"FINISHED"}
    mapping = cc4_head.faceaff_mapping
    mapping.rows[_row_index(cc4_head, "mouthSmileLeft", SMILE)].gain = 0.5
    before_rows, before = _rows(cc4_head), rows_profile(mapping).to_dict()
    path = tmp_path / "cc4.json"
    assert bpy.ops.faceaff.mapping_save(filepath=str(path)) == {"FINISHED"}
    assert load_profile(path).to_dict() == before
    assert bpy.ops.faceaff.mapping_clear() == {"FINISHED"}
    assert len(mapping.rows) == 0
    assert bpy.ops.faceaff.mapping_load(filepath=str(path)) == {"FINISHED"}
    assert _rows(cc4_head) == before_rows
    assert rows_profile(mapping).to_dict() == before


def test_the_edited_mapping_survives_saving_and_reopening_the_blend(cc4_head, tmp_path):
    assert bpy.ops.faceaff.mapping_suggest() == {"FINISHED"}
    cc4_head.faceaff_mapping.rows[_row_index(cc4_head, "mouthSmileLeft", SMILE)].gain = 0.5
    before = _rows(cc4_head)
    path = tmp_path / "edited.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path))
    bpy.ops.wm.open_mainfile(filepath=str(path))
    head = bpy.data.objects["DemoHead"]
    assert _rows(head) == before
    assert rows_profile(head.faceaff_mapping).key_gain(SMILE) == pytest.approx(0.5)


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b'{"schema_version": 1, "name": "x", "keys": {"NoSuchKey": {"mouthSmileLeft": 1}}}',
        b'{"schema_version": 1, "name": "x", "keys": {"Mouth_Smile_L": {"AU999": 1}}}',
        b"\xff\xfe bad utf-8",
        b"[" * 5000,
    ],
    ids=["not-json", "absent-key", "bad-channel", "not-utf8", "too-deep"],
)
def test_a_hostile_profile_through_load_is_one_line_and_changes_nothing(
    cc4_head, tmp_path, content
):
    assert bpy.ops.faceaff.mapping_suggest() == {"FINISHED"}
    before_rows, before = _rows(cc4_head), scene_fingerprint()
    path = tmp_path / "hostile.json"
    path.write_bytes(content)
    with pytest.raises(RuntimeError) as info:
        bpy.ops.faceaff.mapping_load(filepath=str(path))
    message = str(info.value).strip()
    assert "\n" not in message and "Traceback" not in message
    assert _rows(cc4_head) == before_rows and scene_fingerprint() == before


def test_a_batch_item_profile_reaches_its_bake(cc4_head, tmp_path):
    from facial_affect_addon.blender.operators_mapping import rows_profile as rp
    from facial_affect_addon.cli import bake_job
    from facial_affect_addon.core.rig_profile import save_profile
    from facial_affect_addon.pipeline.batch import BakeJob
    from facial_affect_addon.pipeline.options import PerformanceOptions

    head = tmp_path / "cc4.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(head), copy=True)
    assert bpy.ops.faceaff.mapping_suggest() == {"FINISHED"}
    cc4_head.faceaff_mapping.rows[_row_index(cc4_head, "mouthSmileLeft", SMILE)].gain = 0.5
    save_profile(rp(cc4_head.faceaff_mapping), tmp_path / "half.json")
    performance = performance_from_text(LINE)
    peaks = {}
    for name, profile in (("plain", None), ("half", str(tmp_path / "half.json"))):
        out = tmp_path / f"{name}.blend"
        job = BakeJob(
            str(head), "DemoHead", "Affect", False, PerformanceOptions(), str(out), profile
        )
        bake_job(performance, job)
        bpy.ops.wm.open_mainfile(filepath=str(out))
        action = bpy.data.objects["DemoHead"].data.shape_keys.animation_data.action
        start, end = (round(f) for f in action.frame_range)
        peaks[name] = float(evaluate(fcurve_for(action, SMILE), range(start, end + 1)).max())
    assert peaks["plain"] > 0.3
    assert peaks["half"] == pytest.approx(0.5 * peaks["plain"], rel=0.1)


# --- drawing the Target box (child interpreter, as in test_ui_panels: popups end it) -------------


def _draw_rows(mapping, log: dict) -> None:
    """Each editor row's draw_item on a real layout (popups never lay out their lists' items)."""
    from facial_affect_addon.blender.ui_lists import FACEAFF_UL_mapping

    from .test_ui_panels import CheckingLayout

    wm = bpy.context.window_manager
    window = wm.windows[0]
    area = next(a for a in window.screen.areas if a.type == "VIEW_3D")
    region = next(r for r in area.regions if r.type == "UI")
    with bpy.context.temp_override(window=window, area=area, region=region):
        popup = wm.popmenu_begin__internal("Rows", icon="NONE")
        layout = CheckingLayout(popup.layout, log)
        for i, row in enumerate(mapping.rows):
            try:
                FACEAFF_UL_mapping.draw_item(
                    None, bpy.context, layout, mapping, row, 0, mapping, "index", i
                )
            except Exception:
                log["errors"].append(traceback.format_exc())


def _child_main() -> None:
    import facial_affect_addon

    from .test_ui_panels import _draw_all

    facial_affect_addon.register()
    reports = []
    for case in ("cc4", "cc4_suggested", "cc4_rows", "vroid"):
        bpy.ops.wm.open_mainfile(filepath=str(REPO / "models" / "demo_head.blend"))
        head = bpy.data.objects["DemoHead"]
        bpy.context.scene.faceaff.target = head
        if case == "vroid":
            _vroid_head(head)
        else:
            _renamed_head(head, cc4_name)
        if case in ("cc4_suggested", "cc4_rows"):
            bpy.ops.faceaff.mapping_suggest()
        if case == "cc4_suggested":
            bpy.ops.faceaff.mapping_test(index=0)
        reports.append(_draw_all(case))
        reports[-1]["rows"] = len(head.faceaff_mapping.rows)
        _draw_rows(head.faceaff_mapping, reports[-1])
    sys.stdout.write(json.dumps(reports) + "\n")
    sys.stdout.flush()
    os._exit(0)  # closing the popups would crash background Blender


def test_the_target_box_draws_the_editor_and_coverage(demo_head_path):
    tmp = tempfile.mkdtemp(prefix="faceaff-draw-", dir=os.environ.get("TMPDIR"))
    env = dict(os.environ, BLENDER_USER_RESOURCES=f"{tmp}/user", XDG_CACHE_HOME=f"{tmp}/cache")
    code = "import tests.blender.test_mapping_editor as t; t._child_main()"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=REPO, env=env
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    drawn = {r["case"]: r for r in json.loads(done.stdout.strip().splitlines()[-1])}
    for report in drawn.values():
        assert report["errors"] == [] and report["bad"] == []
        assert "faceaff.mapping_suggest" in report["operators"]
    texts = {case: " | ".join(r["texts"]) for case, r in drawn.items()}
    assert drawn["cc4"]["rows"] == 0 and "FACEAFF_UL_mapping" not in drawn["cc4"]["lists"]
    assert "Suggest to edit the mapping" in texts["cc4"]
    assert "Can express" in texts["cc4"] and "shape key(s) mapped" in texts["cc4"]
    suggested = drawn["cc4_suggested"]
    assert suggested["rows"] > 40 and "FACEAFF_UL_mapping" in suggested["lists"]
    assert "(edited)" in texts["cc4_suggested"] and "use" in suggested["props"]
    assert "faceaff.mapping_stop_test" in suggested["operators"]  # a key is being tested
    assert "faceaff.mapping_stop_test" not in drawn["cc4_rows"]["operators"]
    assert {"faceaff.mapping_add", "faceaff.mapping_remove"} <= set(suggested["operators"])
    rows = drawn["cc4_rows"]
    assert rows["operators"].count("faceaff.mapping_test") == rows["rows"]  # a Test per row
    assert rows["props"].count("gain") == rows["rows"]  # a gain slider per row
    for shaping in ("offset", "clamp_min", "clamp_max"):  # offset and clamp per row
        assert rows["props"].count(shaping) == rows["rows"], shaping
    assert "Shows " in texts["vroid"] and " emotions" in texts["vroid"]
    assert "AU channels" not in texts["vroid"]
