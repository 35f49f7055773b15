"""Operators run in real Blender (EXEC_DEFAULT), including their failure paths."""

from __future__ import annotations

import bpy
import numpy as np
import pytest

from facial_affect_addon.blender import bake

from .helpers import fcurve_for, make_face, scene_fingerprint

ARKIT_SOME = ("mouthSmileLeft", "mouthSmileRight", "cheekSquintLeft", "jawOpen", "browInnerUp")


def test_bake_emotion_bakes_a_smile_take(clean_scene, addon):
    obj = make_face("Face", ARKIT_SOME)
    clean_scene.faceaff.emotion = "happiness"
    clean_scene.faceaff.duration = 3.0
    assert bpy.ops.faceaff.bake_emotion() == {"FINISHED"}
    takes = bake.list_takes(obj)
    assert len(takes) == 1
    smile = fcurve_for(takes[0], "mouthSmileLeft")
    values = np.array([smile.evaluate(f) for f in range(1, 73)])
    assert values.max() > 0.3  # happiness drives AU12 (lip-corner puller)
    assert values[0] < 0.05  # rises from rest


def test_bake_emotion_poll_explains_missing_target(clean_scene, addon):
    assert not bpy.ops.faceaff.bake_emotion.poll()
    with pytest.raises(RuntimeError, match="Select a mesh with shape keys"):
        bpy.ops.faceaff.bake_emotion()


def test_bake_emotion_poll_refuses_object_without_shape_keys(clean_scene, addon):
    mesh = bpy.data.meshes.new("Plain")
    obj = bpy.data.objects.new("Plain", mesh)
    clean_scene.collection.objects.link(obj)
    bpy.context.view_layer.objects.active = obj
    with pytest.raises(RuntimeError, match="has no shape keys"):
        bpy.ops.faceaff.bake_emotion()


def test_bake_emotion_on_unknown_naming_scheme_fails_cleanly(clean_scene, addon):
    make_face("Odd", ("foo", "bar"))
    before = scene_fingerprint()
    with pytest.raises(RuntimeError, match=r"(?i)shape key|profile|rig"):
        bpy.ops.faceaff.bake_emotion()
    assert scene_fingerprint() == before


def test_clear_take_operator_removes_the_active_take(clean_scene, addon):
    obj = make_face("Face", ARKIT_SOME)
    bpy.ops.faceaff.bake_emotion()
    name = bake.list_takes(obj)[0].name
    assert bpy.ops.faceaff.clear_take() == {"FINISHED"}
    assert name not in bpy.data.actions
    assert not bpy.ops.faceaff.clear_take.poll()


def test_data_changing_operators_support_undo(addon):
    # Undo itself cannot run in background Blender (no undo stack); the flag is what makes
    # Blender push an undo step around each call in the UI.
    for op in (bpy.types.FACEAFF_OT_bake_emotion, bpy.types.FACEAFF_OT_clear_take):
        assert "UNDO" in op.bl_options
