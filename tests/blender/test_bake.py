"""The bake engine in real Blender: bulk F-curves, takes, user's work kept, clear errors."""

from __future__ import annotations

import bpy
import numpy as np
import pytest

from facial_affect_addon.blender import bake
from facial_affect_addon.core.curveset import CurveSet
from facial_affect_addon.core.errors import InputError, RigError

from .helpers import evaluate, fcurve_for, make_face, scene_fingerprint


def _curves(n=120, start=1, **extra):
    t = np.linspace(0, 1, n)
    channels = {"jawOpen": np.sin(np.pi * t) ** 2, "mouthSmileLeft": t}
    channels.update(extra)
    return CurveSet(frame_start=start, fps=24.0, channels=channels)


def test_dense_bake_writes_every_frame_exactly(clean_scene):
    obj = make_face()
    curves = _curves(start=10)
    result = bake.bake_curves(obj, curves, bake.BakeOptions(take_name="Test"))
    action = bpy.data.actions[result.action_name]
    assert obj.data.shape_keys.animation_data.action == action
    assert obj.data.shape_keys.animation_data.action_slot == action.slots[0]
    assert (result.n_curves, result.frame_start, result.frame_end) == (2, 10, 129)
    fc = fcurve_for(action, "jawOpen")
    assert len(fc.keyframe_points) == 120
    bag = action.layers[0].strips[0].channelbag(action.slots[0])
    assert [g.name for g in bag.groups] == [bake.CHANNEL_GROUP]  # one group, on 4.5 and 5.x
    assert {f.group.name for f in bag.fcurves} == {bake.CHANNEL_GROUP}
    frames = np.arange(10, 130)
    np.testing.assert_allclose(evaluate(fc, frames), curves.channels["jawOpen"], atol=1e-6)
    clean_scene.frame_set(70)
    assert obj.data.shape_keys.key_blocks["jawOpen"].value == pytest.approx(
        curves.channels["jawOpen"][60], abs=1e-6
    )


def test_values_are_clamped_to_slider_range(clean_scene):
    obj = make_face()
    obj.data.shape_keys.key_blocks["jawOpen"].slider_max = 0.5
    curves = CurveSet(1, 24.0, {"jawOpen": np.linspace(-1, 2, 50)})
    result = bake.bake_curves(obj, curves, bake.BakeOptions())
    values = evaluate(fcurve_for(bpy.data.actions[result.action_name], "jawOpen"), range(1, 51))
    assert values.min() == pytest.approx(0.0) and values.max() == pytest.approx(0.5)


def test_sparse_bake_is_few_bezier_keys_within_tolerance(clean_scene):
    obj = make_face()
    t = np.arange(2400) / 24.0
    smooth = 0.5 + 0.4 * np.sin(t) * np.exp(-t / 60)
    curves = CurveSet(1, 24.0, {"jawOpen": smooth})
    result = bake.bake_curves(obj, curves, bake.BakeOptions(sparse=True, tolerance=0.005))
    fc = fcurve_for(bpy.data.actions[result.action_name], "jawOpen")
    assert len(fc.keyframe_points) < 200  # far fewer than 2400 per-frame keys
    assert {k.interpolation for k in fc.keyframe_points} == {"BEZIER"}
    err = np.abs(evaluate(fc, range(1, 2401)) - smooth)
    assert err.max() <= 0.0051


def test_each_bake_is_a_new_take_unless_replace(clean_scene):
    obj = make_face()
    first = bake.bake_curves(obj, _curves(), bake.BakeOptions(take_name="Take"))
    second = bake.bake_curves(obj, _curves(), bake.BakeOptions(take_name="Take"))
    assert first.action_name != second.action_name
    assert [a.name for a in bake.list_takes(obj)] == [first.action_name, second.action_name]
    third = bake.bake_curves(obj, _curves(n=10), bake.BakeOptions(take_name="Take", replace=True))
    assert third.action_name == first.action_name
    assert len(bake.list_takes(obj)) == 2
    assert len(fcurve_for(bpy.data.actions[third.action_name], "jawOpen").keyframe_points) == 10


def test_users_own_animation_is_never_touched_and_comes_back(clean_scene):
    obj = make_face()
    kb = obj.data.shape_keys.key_blocks["jawOpen"]
    for frame, value in ((1, 0.2), (20, 0.9)):
        kb.value = value
        kb.keyframe_insert("value", frame=frame)
    user_action = obj.data.shape_keys.animation_data.action
    before = [
        tuple(k.co)
        for k in user_action.layers[0].strips[0].channelbags[0].fcurves[0].keyframe_points
    ]
    result = bake.bake_curves(obj, _curves(), bake.BakeOptions())
    after = [
        tuple(k.co)
        for k in user_action.layers[0].strips[0].channelbags[0].fcurves[0].keyframe_points
    ]
    assert before == after
    assert user_action.use_fake_user  # kept even though no longer assigned
    assert bake.clear_take(obj, result.action_name) == user_action.name
    assert obj.data.shape_keys.animation_data.action == user_action
    assert result.action_name not in bpy.data.actions


def test_clearing_a_take_restores_the_previous_take(clean_scene):
    obj = make_face()
    first = bake.bake_curves(obj, _curves(), bake.BakeOptions(take_name="A"))
    second = bake.bake_curves(obj, _curves(), bake.BakeOptions(take_name="B"))
    assert bake.clear_take(obj, second.action_name) == first.action_name
    bake.activate_take(obj, first.action_name)
    assert obj.data.shape_keys.animation_data.action.name == first.action_name


def test_missing_shape_keys_are_warnings_not_errors(clean_scene):
    obj = make_face()
    curves = _curves(cheekPuff=np.zeros(120), tongueOut=np.ones(120))
    result = bake.bake_curves(obj, curves, bake.BakeOptions())
    assert result.n_curves == 2
    assert set(result.missing) == {"cheekPuff", "tongueOut"}
    assert any("cheekPuff" in w for w in result.warnings)


def test_object_without_shape_keys_is_a_clear_error_and_changes_nothing(clean_scene):
    mesh = bpy.data.meshes.new("Plain")
    obj = bpy.data.objects.new("Plain", mesh)
    clean_scene.collection.objects.link(obj)
    before = scene_fingerprint()
    with pytest.raises(RigError, match="no shape keys"):
        bake.bake_curves(obj, _curves(), bake.BakeOptions())
    assert scene_fingerprint() == before


@pytest.mark.parametrize(
    ("channels", "message"),
    [
        ({}, "no shape-key channels"),
        ({"jawOpen": np.full(50, np.nan), "mouthSmileLeft": np.full(50, np.nan)}, "NaN"),
        ({"jawOpen": np.zeros(0)}, "empty"),
    ],
    ids=["empty-set", "all-nan", "empty-frame-range"],
)
def test_bad_curves_are_clear_errors_and_change_nothing(clean_scene, channels, message):
    obj = make_face()
    before = scene_fingerprint()
    with pytest.raises(InputError, match=message):
        bake.bake_curves(obj, CurveSet(1, 24.0, channels), bake.BakeOptions())
    assert scene_fingerprint() == before


def test_no_matching_keys_is_an_error_and_changes_nothing(clean_scene):
    obj = make_face()
    before = scene_fingerprint()
    with pytest.raises(RigError, match="match a shape key"):
        bake.bake_curves(obj, CurveSet(1, 24.0, {"nope": np.ones(5)}), bake.BakeOptions())
    assert scene_fingerprint() == before


def test_partial_nan_gaps_are_filled_with_a_warning(clean_scene):
    obj = make_face()
    values = np.linspace(0, 1, 11)
    values[4:7] = np.nan
    result = bake.bake_curves(obj, CurveSet(1, 24.0, {"jawOpen": values}), bake.BakeOptions())
    baked = evaluate(fcurve_for(bpy.data.actions[result.action_name], "jawOpen"), range(1, 12))
    np.testing.assert_allclose(baked, np.linspace(0, 1, 11), atol=1e-6)
    assert any("gaps" in w for w in result.warnings)
