"""A long analysis is kept compactly in the .blend and Bake still reads it after a reload."""

from __future__ import annotations

import bpy

from facial_affect_addon.blender import bake
from facial_affect_addon.blender.operators_analysis import store_performance
from facial_affect_addon.pipeline import store
from tests.unit.test_store import TEN_MINUTES_AT_30, captured

from .ui_fixtures import *  # noqa: F403 - fixtures

MB = 1_000_000


def save(path) -> int:
    bpy.ops.wm.save_as_mainfile(filepath=str(path), copy=True, compress=False)
    return path.stat().st_size


def test_a_ten_minute_capture_costs_under_10_mb_and_bakes_after_reopening(face, tmp_path):
    settings = bpy.context.scene.faceaff
    settings.input_source, settings.video_drive = "VIDEO", "MIRROR"
    without = save(tmp_path / "without.blend")
    store_performance(settings, captured(TEN_MINUTES_AT_30))
    assert settings.has_analysis and settings.analysis_data.startswith(store.PREFIX)
    with_analysis = save(tmp_path / "with.blend")
    assert with_analysis - without < 10 * MB, (with_analysis - without) / MB

    store.forget()  # a new session: nothing in memory, everything comes from the file
    bpy.ops.wm.open_mainfile(filepath=str(tmp_path / "with.blend"))
    settings = bpy.context.scene.faceaff
    assert settings.has_analysis and len(settings.weights) == 7
    assert bpy.ops.faceaff.bake() == {"FINISHED"}
    take = bake.list_takes(bpy.data.objects["Face"])[0]
    start, end = take.curve_frame_range
    assert end - start + 1 >= 600 * 24  # the whole ten minutes, from the captured curves
