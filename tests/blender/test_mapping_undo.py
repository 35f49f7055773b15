"""Undo after the mapping editor and Bake, in real (headless) Blender.

Headless pip-bpy has a working undo stack: ``bpy.ops.ed.undo_push`` records a step,
``bpy.ops.ed.undo`` / ``redo`` move along it (global, memfile undo; 5.2, 5.0 and 4.5), and an
operator called as ``bpy.ops.x('EXEC_DEFAULT', True)`` pushes its own step when it finishes, as
the UI does for an operator flagged ``UNDO``; a property edited by hand is followed by
``undo_push``, as the UI does after a property change. Undo reloads the file's data, so every
datablock is looked up again by name after it (old Python references are stale).

The CC4-renamed demo head carries a key of the user's own (``MyCorrective`` at 0.3): it must be
intact after every undo.
"""

from __future__ import annotations

from itertools import pairwise

import bpy
import numpy as np
import pytest

from facial_affect_addon.blender import bake
from facial_affect_addon.pipeline.text import performance_from_text

from .helpers import scene_fingerprint
from .test_any_rig import LINE, _key_coords, _renamed_head, cc4_name

SMILE = "Mouth_Smile_L"


def _head():
    return bpy.data.objects["DemoHead"]


def _state() -> dict:
    """What an undo must restore: rows, the key's shaping, takes, key values and shapes."""
    head = _head()
    mapping = head.faceaff_mapping
    smile = [r for r in mapping.rows if r.key == SMILE and r.channel == "mouthSmileLeft"]
    return {
        "rows": len(mapping.rows),
        "use": mapping.use,
        "smile": tuple(round(v, 6) for r in smile for v in (r.gain, r.offset, r.clamp_max)),
        "takes": [a.name for a in bake.list_takes(head)],
        "fingerprint": scene_fingerprint(),
        "values": {kb.name: round(kb.value, 6) for kb in head.data.shape_keys.key_blocks},
    }


def _same_shapes(before: dict[str, np.ndarray]) -> None:
    after = _key_coords(_head())
    assert after.keys() == before.keys()
    for name, co in before.items():
        np.testing.assert_array_equal(after[name], co, err_msg=name)


@pytest.fixture
def cc4_head(addon, demo_head):
    from facial_affect_addon.blender.operators_analysis import store_performance

    obj = _renamed_head(demo_head, cc4_name)
    settings = bpy.context.scene.faceaff
    settings.target = obj
    store_performance(settings, performance_from_text(LINE))
    bpy.ops.ed.undo_push(message="Test start")  # the file as the user had it
    return obj


def test_undo_steps_back_through_suggest_edit_bake_and_use_mapping(cc4_head):
    shapes = _key_coords(cc4_head)
    states = [_state()]
    assert bpy.ops.faceaff.mapping_suggest("EXEC_DEFAULT", True) == {"FINISHED"}
    states.append(_state())
    row = next(r for r in _head().faceaff_mapping.rows if r.key == SMILE)
    row.gain, row.offset, row.clamp_max = 0.5, 0.05, 0.4
    bpy.ops.ed.undo_push(message="Edit Mapping Row")  # what the UI pushes after an edit
    states.append(_state())
    bpy.context.scene.faceaff.take_name = "Edited"
    assert bpy.ops.faceaff.bake("EXEC_DEFAULT", True) == {"FINISHED"}
    states.append(_state())
    _head().faceaff_mapping.use = False
    bpy.ops.ed.undo_push(message="Use Mapping")
    states.append(_state())
    # every step changed something, so every undo below is checked against a distinct state
    assert all(a != b for a, b in pairwise(states))
    assert states[1]["rows"] > 40 and states[2]["smile"] == (0.5, 0.05, 0.4)
    assert states[3]["takes"] == ["DemoHead Edited"] and not states[4]["use"]

    for expected in reversed(states[:-1]):
        assert bpy.ops.ed.undo() == {"FINISHED"}
        assert _state() == expected
    assert _state()["rows"] == 0 and _state()["takes"] == []
    assert _head().data.shape_keys.key_blocks["MyCorrective"].value == pytest.approx(0.3)
    _same_shapes(shapes)  # the user's keys (and every other key's shape) untouched
    for expected in states[1:]:  # and redo goes forward again
        assert bpy.ops.ed.redo() == {"FINISHED"}
        assert _state() == expected


def test_a_failed_operator_pushes_no_step_and_changes_nothing(cc4_head, tmp_path):
    assert bpy.ops.faceaff.mapping_suggest("EXEC_DEFAULT", True) == {"FINISHED"}
    suggested = _state()
    hostile = tmp_path / "hostile.json"
    hostile.write_text('{"schema_version": 1, "name": "x", "keys": {"Ghost": {"jawOpen": 1}}}')
    with pytest.raises(RuntimeError, match="'Ghost'"):
        bpy.ops.faceaff.mapping_load("EXEC_DEFAULT", True, filepath=str(hostile))
    assert _state() == suggested
    assert bpy.ops.ed.undo() == {"FINISHED"}  # one undo: back before Suggest, not before Load
    assert _state()["rows"] == 0


def test_undo_after_a_bake_keeps_the_users_own_animation(cc4_head):
    head = cc4_head
    blocks = head.data.shape_keys.key_blocks
    blocks["MyCorrective"].keyframe_insert("value", frame=1)  # the user's own take
    users = head.data.shape_keys.animation_data.action.name
    bpy.ops.ed.undo_push(message="User keyframe")
    before = _state()
    bpy.context.scene.faceaff.take_name = "Affect"
    assert bpy.ops.faceaff.bake("EXEC_DEFAULT", True) == {"FINISHED"}
    assert _state()["takes"] == ["DemoHead Affect"]
    assert bpy.ops.ed.undo() == {"FINISHED"}
    assert _state() == before
    anim = _head().data.shape_keys.animation_data
    assert anim.action.name == users and users in bpy.data.actions
