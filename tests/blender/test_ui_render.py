"""Preview render: two frames of a baked take, Workbench at 128×128, and the images differ."""

from __future__ import annotations

import bpy
import numpy as np
import pytest

from facial_affect_addon.blender import render

from .helpers import scene_fingerprint
from .ui_fixtures import make_render_face


def _pixels(path) -> np.ndarray:
    image = bpy.data.images.load(str(path))
    try:
        return np.array(image.pixels[:], dtype=np.float32)
    finally:
        bpy.data.images.remove(image)


def test_render_two_frames_of_a_take(clean_scene, addon, tmp_path, monkeypatch):
    monkeypatch.setenv(render.ENGINE_ENV, "BLENDER_WORKBENCH")
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "shot.blend"))
    scene = bpy.context.scene
    make_render_face(scene)
    settings = scene.faceaff
    settings.emotion, settings.duration, settings.life = "surprise", 2.0, False
    settings.render_size = 128
    assert bpy.ops.faceaff.bake() == {"FINISHED"}
    engine_before = scene.render.engine
    assert bpy.ops.faceaff.render_preview(
        use_take_range=False, frame_start=1, frame_end=25, frame_step=24
    ) == {"FINISHED"}
    folder = next((tmp_path / "faceaff_preview").iterdir())
    first, apex = folder / "frame_0001.png", folder / "frame_0025.png"
    assert first.exists() and apex.exists()
    a, b = _pixels(first), _pixels(apex)
    assert a.size == b.size == 128 * 128 * 4
    assert np.abs(a - b).mean() > 1e-3  # the face moved between rest and apex
    assert scene.render.engine == engine_before  # render settings restored


def test_render_poll_and_temp_folder(clean_scene, addon, monkeypatch):
    with pytest.raises(RuntimeError, match="no camera"):
        bpy.ops.faceaff.render_preview()
    make_render_face(bpy.context.scene)
    with pytest.raises(RuntimeError, match="no active take"):
        bpy.ops.faceaff.render_preview()
    folder, temporary = render.output_dir("My take")
    assert temporary and folder.is_dir()  # unsaved file: a temporary folder
    before = scene_fingerprint()
    bpy.ops.faceaff.bake()
    assert scene_fingerprint() != before


def test_engine_choice(monkeypatch):
    monkeypatch.delenv(render.ENGINE_ENV, raising=False)
    assert render.choose_engine("AUTO") == "BLENDER_WORKBENCH"  # background: no GPU context
    assert render.choose_engine("BLENDER_WORKBENCH") == "BLENDER_WORKBENCH"
    assert render.choose_engine("BLENDER_EEVEE").startswith("BLENDER_EEVEE")
    monkeypatch.setenv(render.ENGINE_ENV, "blender_eevee")
    assert render.choose_engine("AUTO").startswith("BLENDER_EEVEE")
