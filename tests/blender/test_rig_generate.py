"""Generate Expression Keys (issue 14 item 3, paper 004) on heads made from the demo head.

Two key-less heads: the demo head's mesh with its keys removed (plus a key of the user's own),
and a different topology: voxel-remeshed, in centimetres, off the origin and facing +Y. Both
get the 52 ARKit keys from a render, the face mesh and ray casting; the remeshed one then bakes
a happy line through the CLI. Bad inputs are refused in one line with nothing changed.
"""

from __future__ import annotations

import math

import bpy
import numpy as np
import pytest

from facial_affect_addon.blender.rig_generate import KEY_POINTS_PROP, generate_keys
from facial_affect_addon.core.errors import RigError
from facial_affect_addon.core.rig_tables import ARKIT_52

from .helpers import evaluate, fcurve_for, run_cli

LINE = "I'm so happy to see you!"


def _keyless(demo_head, name: str = "Plain") -> bpy.types.Object:
    """A copy of the demo head's mesh without shape keys; the demo head itself is removed."""
    obj = demo_head.copy()
    obj.data = demo_head.data.copy()
    obj.name = name
    bpy.context.scene.collection.objects.link(obj)
    obj.shape_key_clear()
    bpy.data.objects.remove(demo_head)
    return obj


def _remeshed(demo_head) -> bpy.types.Object:
    """Voxel remesh applied (new topology), scaled to centimetres, moved, turned to face +Y."""
    obj = _keyless(demo_head, "Sculpt")
    obj.modifiers.clear()
    mod = obj.modifiers.new("Remesh", "REMESH")
    mod.mode, mod.voxel_size = "VOXEL", 0.004
    bpy.context.view_layer.objects.active = obj
    bpy.ops.object.modifier_apply(modifier=mod.name)
    obj.scale = (100.0, 100.0, 100.0)
    obj.rotation_euler = (0.0, 0.0, math.pi)
    bpy.ops.object.transform_apply(location=False, rotation=True, scale=True)
    obj.location = (40.0, -25.0, 60.0)
    return obj


def _coords(obj, key: str) -> np.ndarray:
    block = obj.data.shape_keys.key_blocks[key]
    co = np.empty(len(block.data) * 3)
    block.data.foreach_get("co", co)
    return co.reshape(-1, 3)


def _check_keys(obj, left: np.ndarray, up: np.ndarray | None = None) -> None:
    """Smile up and on the head's left, jaw opens the chin down, the left lid closes."""
    basis = _coords(obj, "Basis")
    offsets = {k: _coords(obj, k) - basis for k in ARKIT_52}
    marks = np.asarray(obj[KEY_POINTS_PROP]).reshape(468, 3)
    skin = np.ones(len(basis), dtype=bool)  # landmarks lie on the skin, never on an eyeball
    for side in ("left", "right"):
        if f"part_eyeball_{side}" in obj.vertex_groups:
            skin[_part(obj, f"eyeball_{side}")] = False
    dist = {
        i: np.where(skin, np.linalg.norm(basis - marks[i], axis=1), np.inf) for i in (152, 386, 374)
    }
    vertex = {i: int(np.argmin(d)) for i, d in dist.items()}
    up = np.array([0.0, 0.0, 1.0]) if up is None else up
    span = np.linalg.norm(marks[263] - marks[33])  # outer eye corners
    smile = offsets["mouthSmileLeft"]
    i = int(np.argmax(np.linalg.norm(smile, axis=1)))
    assert smile[i] @ up > 0.05 * span, "the smile's largest motion is upward"
    assert (basis[i] - marks[[1, 9, 152]].mean(axis=0)) @ left > 0.1 * span, "on the left"
    assert offsets["jawOpen"][vertex[152]] @ up < -0.1 * span, "jawOpen moves the chin down"
    gap = basis[vertex[374]] - basis[vertex[386]]
    blink = offsets["eyeBlinkLeft"][vertex[386]]
    assert blink @ gap > 0.5 * (gap @ gap), "eyeBlinkLeft closes the left lid"
    assert np.linalg.norm(offsets["eyeBlinkRight"][vertex[386]]) < 0.05 * np.linalg.norm(gap)


def test_generates_52_keys_and_keeps_the_users_own(demo_head):
    obj = _keyless(demo_head)
    obj.shape_key_add(name="Basis")
    mine = obj.shape_key_add(name="MyCorrective")
    mine.data[0].co.z += 0.01
    mine.value = 0.3
    jaw = obj.shape_key_add(name="jawOpen")  # an ARKit name the user already has
    jaw.data[5].co.x += 0.02
    before = {k: _coords(obj, k) for k in ("MyCorrective", "jawOpen")}
    plan, times = generate_keys(obj)
    assert plan.skipped == ("jawOpen",) and "jawOpen" in plan.warnings[0]
    names = [k.name for k in obj.data.shape_keys.key_blocks]
    assert set(ARKIT_52) <= set(names) and names.count("jawOpen") == 1
    for key, co in before.items():
        np.testing.assert_array_equal(_coords(obj, key), co, err_msg=key)
    assert obj.data.shape_keys.key_blocks["MyCorrective"].value == pytest.approx(0.3)
    assert len(bpy.data.scenes) == 1 and len(bpy.data.cameras) == 1  # the demo's own camera
    assert sum(times.values()) < 30.0


def test_remeshed_centimetre_head_facing_plus_y_bakes_a_smile(demo_head, tmp_path):
    obj = _remeshed(demo_head)
    name, n_verts = obj.name, len(obj.data.vertices)
    head = tmp_path / "sculpt.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(head), copy=True)
    gen = tmp_path / "gen.blend"
    done = run_cli("rig", "generate", "--head", str(head), "--object", name, "--out", str(gen))
    assert done.returncode == 0, done.stderr
    assert "52 expression keys" in done.stdout
    bpy.ops.wm.open_mainfile(filepath=str(gen))
    obj = bpy.data.objects[name]
    assert len(obj.data.vertices) == n_verts
    names = {k.name for k in obj.data.shape_keys.key_blocks}
    assert set(ARKIT_52) <= names
    # facing +Y: the subject's left is world -X; the object has no rotation left after apply
    _check_keys(obj, left=np.array([-1.0, 0.0, 0.0]))
    baked = tmp_path / "x.blend"
    done = run_cli("text", LINE, "--bake", str(baked), "--head", str(gen), "--object", name)
    assert done.returncode == 0, done.stderr
    bpy.ops.wm.open_mainfile(filepath=str(baked))
    action = bpy.data.objects[name].data.shape_keys.animation_data.action
    n = int(action.curve_frame_range[1])
    peak = float(evaluate(fcurve_for(action, "mouthSmileLeft"), range(1, n + 1)).max())
    assert peak > 0.3


def test_demo_copy_keys_move_the_right_way(demo_head):
    obj = _keyless(demo_head)
    generate_keys(obj)
    _check_keys(obj, left=np.array([1.0, 0.0, 0.0]))


def _state():
    return (
        len(bpy.data.objects),
        len(bpy.data.scenes),
        len(bpy.data.cameras),
        sum(o.data.shape_keys is not None for o in bpy.data.objects if o.type == "MESH"),
    )


def _refused(obj, match: str) -> None:
    before = _state()
    with pytest.raises(RigError, match=match) as err:
        generate_keys(obj)
    assert "\n" not in str(err.value)
    assert _state() == before


def test_bad_inputs_are_refused_with_nothing_changed(demo_head, tmp_path):
    obj = _keyless(demo_head)
    _refused(bpy.data.objects["DemoCamera"], "not a mesh")
    mod = obj.modifiers.new("Decimate", "DECIMATE")
    _refused(obj, "Decimate.*topology")
    obj.modifiers.remove(mod)
    bpy.ops.mesh.primitive_uv_sphere_add(segments=32, ring_count=16, radius=0.1)
    _refused(bpy.context.active_object, "No face found")
    lib = tmp_path / "lib.blend"
    bpy.data.libraries.write(str(lib), {obj.data})
    with bpy.data.libraries.load(str(lib), link=True) as (src, dst):
        dst.meshes = list(src.meshes)
    linked = bpy.data.objects.new("Linked", dst.meshes[0])
    bpy.context.scene.collection.objects.link(linked)
    _refused(linked, "linked from")


def test_cli_refuses_a_faceless_mesh_and_writes_nothing(clean_scene, tmp_path):
    bpy.ops.mesh.primitive_uv_sphere_add(segments=32, ring_count=16, radius=0.1)
    head = tmp_path / "ball.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(head), copy=True)
    out = tmp_path / "out.blend"
    done = run_cli("rig", "generate", "--head", str(head), "--object", "Sphere", "--out", str(out))
    assert done.returncode == 2 and "No face found" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and not out.exists()


def test_review_key_points_then_generate_from_the_moved_points(demo_head):
    from facial_affect_addon.blender.rig_generate import (
        KEY_POINT_EMPTY,
        key_point_empties,
        show_key_points,
    )
    from facial_affect_addon.core.keygen_table import KEY_POINTS

    obj = _keyless(demo_head)
    assert show_key_points(obj) == len(KEY_POINTS)
    empties = key_point_empties(obj)
    assert len(empties) == len(KEY_POINTS) and obj.data.shape_keys is None
    corner = next(e for e in empties if e.name == "KeyPoint_mouth_corner_left")
    assert corner[KEY_POINT_EMPTY] == 291
    found = np.array(obj[KEY_POINTS_PROP], dtype=np.float64).reshape(468, 3)  # a copy
    corner.location.z += 0.004  # the user nudges the left mouth corner up 4 mm
    plan, times = generate_keys(obj)
    assert times["landmarks"] < 0.5, "the edited points are used, not found again"
    assert not key_point_empties(obj) and len(plan.write) == 52
    used = np.asarray(obj[KEY_POINTS_PROP]).reshape(468, 3)
    assert used[291, 2] == pytest.approx(found[291, 2] + 0.004, abs=1e-5)
    assert np.allclose(used[61], found[61], atol=1e-6), "the right corner is far: unchanged"
    _check_keys(obj, left=np.array([1.0, 0.0, 0.0]))


def test_operator_runs_as_a_job_from_the_detected_points(addon, demo_head):
    from facial_affect_addon.blender import jobs
    from facial_affect_addon.blender.rig_generate import JOB_KIND, key_point_empties

    from .ui_fixtures import drain_until_idle

    obj = _keyless(demo_head)
    bpy.context.view_layer.objects.active = obj
    assert bpy.ops.faceaff.detect_key_points() == {"FINISHED"}
    assert key_point_empties(obj) and obj.data.shape_keys is None
    assert bpy.ops.faceaff.generate_expression_keys() == {"FINISHED"}
    assert jobs.is_running(JOB_KIND) and obj.data.shape_keys is None, "written only at the end"
    drain_until_idle(120.0, JOB_KIND)
    settings = bpy.context.scene.faceaff
    assert "52 expression keys written" in settings.job_status and not settings.job_error
    assert "rigid parts: eyeball left, eyeball right, teeth upper" in settings.job_status
    assert set(ARKIT_52) <= {k.name for k in obj.data.shape_keys.key_blocks}
    assert not key_point_empties(obj)
    camera = bpy.data.objects["DemoCamera"]
    bpy.context.view_layer.objects.active = camera
    with pytest.raises(RuntimeError, match="'DemoCamera' is a camera, not a mesh"):
        bpy.ops.faceaff.generate_expression_keys()  # the operator's ERROR report


def test_cancelled_generation_leaves_the_mesh_unchanged(addon, demo_head):
    from facial_affect_addon.blender import jobs
    from facial_affect_addon.blender.rig_generate import JOB_KIND, key_point_empties

    from .ui_fixtures import drain_until_idle

    obj = _keyless(demo_head)
    bpy.context.view_layer.objects.active = obj
    assert bpy.ops.faceaff.detect_key_points() == {"FINISHED"}
    before = _state()
    assert bpy.ops.faceaff.generate_expression_keys() == {"FINISHED"}
    assert bpy.ops.faceaff.cancel_job() == {"FINISHED"}
    drain_until_idle(120.0, JOB_KIND)
    assert "cancelled" in bpy.context.scene.faceaff.job_status
    assert obj.data.shape_keys is None and _state() == before
    assert key_point_empties(obj), "the points the user placed are kept for another try"
    assert bpy.ops.faceaff.discard_key_points() == {"FINISHED"}
    assert not key_point_empties(obj) and not jobs.is_running()


def _part(obj, name: str) -> np.ndarray:
    """Vertex indices of the demo head's ``part_<name>`` group (kept by the key-less copy)."""
    group = obj.vertex_groups[f"part_{name}"].index
    members = [v.index for v in obj.data.vertices if any(g.group == group for g in v.groups)]
    return np.array(members, dtype=np.int64)


def _rigid(before: np.ndarray, after: np.ndarray) -> bool:
    """Whether every distance within a part is kept (a rigid motion)."""
    d0 = np.linalg.norm(before[:, None] - before[None], axis=2)
    d1 = np.linalg.norm(after[:, None] - after[None], axis=2)
    return bool(np.abs(d1 - d0).max() < 1e-5)


def test_eyeballs_teeth_and_tongue_are_rigid_parts(demo_head):
    obj = _keyless(demo_head)  # its eyeballs, teeth and tongue are separate mesh islands
    plan, _times = generate_keys(obj)
    assert plan.rigid_parts == (
        "eyeball_left",
        "eyeball_right",
        "teeth_upper",
        "teeth_lower",
        "tongue",
    )
    basis = _coords(obj, "Basis")
    offsets = {k: _coords(obj, k) - basis for k in ("eyeBlinkLeft", "jawOpen", "eyeLookDownLeft")}
    eye_l, eye_r = _part(obj, "eyeball_left"), _part(obj, "eyeball_right")
    upper, lower, tongue = (_part(obj, p) for p in ("teeth_upper", "teeth_lower", "tongue"))
    assert not offsets["eyeBlinkLeft"][np.r_[eye_l, eye_r]].any(), "the lid closes over the eye"

    assert not offsets["jawOpen"][np.r_[upper, eye_l]].any(), "upper teeth and eyes stay"
    for part in (lower, tongue):  # turn with the jaw, down, in one piece
        moved = basis[part] + offsets["jawOpen"][part]
        assert offsets["jawOpen"][part, 2].mean() < -0.003 and _rigid(basis[part], moved)
    look = basis[eye_l] + offsets["eyeLookDownLeft"][eye_l]
    assert np.abs(offsets["eyeLookDownLeft"][eye_l]).max() > 0.002 and _rigid(basis[eye_l], look)
    assert not offsets["eyeLookDownLeft"][eye_r].any()


def test_a_y_up_mesh_and_an_upside_down_object_are_found(demo_head):
    obj = _keyless(demo_head)
    obj.rotation_euler = (-math.pi / 2, 0.0, 0.0)  # authored Y-up: up +Y, the face looks +Z
    bpy.context.view_layer.objects.active = obj
    bpy.ops.object.transform_apply(location=False, rotation=True, scale=False)
    generate_keys(obj)
    _check_keys(obj, left=np.array([1.0, 0.0, 0.0]), up=np.array([0.0, 1.0, 0.0]))
    obj.shape_key_clear()
    obj.rotation_euler = (0.0, math.pi / 2, 0.0)  # by the object's rotation: face +X, rolled
    obj.location = (0.3, 0.0, 0.5)
    generate_keys(obj)
    # keys are in the mesh's own axes: still Y-up there
    _check_keys(obj, left=np.array([1.0, 0.0, 0.0]), up=np.array([0.0, 1.0, 0.0]))


def _motion_centre(obj, key: str) -> np.ndarray:
    """Where a key moves the mesh: vertex positions weighted by how far each moves."""
    basis = _coords(obj, "Basis")
    weight = np.linalg.norm(_coords(obj, key) - basis, axis=1)
    return (basis * weight[:, None]).sum(axis=0) / weight.sum()


def test_cli_points_out_then_a_moved_point_moves_the_keys_region(demo_head, tmp_path):
    import json

    from facial_affect_addon.core.keygen_points import load_key_points

    obj = _keyless(demo_head)
    name = obj.name
    head = tmp_path / "plain.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(head), copy=True)
    points = tmp_path / "points.json"
    done = run_cli(
        "rig", "generate", "--head", str(head), "--object", name, "--points-out", str(points)
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain.blend", "points.json"]
    data = json.loads(points.read_text())
    data["key_points"]["mouth_corner_left"][0] += 0.008  # 8 mm outward (the demo's left is +X)
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(data))
    gen, used = tmp_path / "gen.blend", tmp_path / "used.json"
    args = ("--points", str(edited), "--points-out", str(used), "--out", str(gen))
    done = run_cli("rig", "generate", "--head", str(head), "--object", name, *args)
    assert done.returncode == 0, done.stderr
    assert load_key_points(used)[291, 0] == pytest.approx(
        data["key_points"]["mouth_corner_left"][0], abs=1e-5
    )
    generate_keys(obj, load_key_points(points))  # the same head from the points as found
    before = _motion_centre(obj, "mouthSmileLeft")
    bpy.ops.wm.open_mainfile(filepath=str(gen))
    after = _motion_centre(bpy.data.objects[name], "mouthSmileLeft")
    assert after[0] - before[0] > 0.002, "the smile's region follows the moved mouth corner"
    assert abs(after[2] - before[2]) < 0.5 * (after[0] - before[0])
