"""The panel's found bursts and Mirror, in real Blender (issue 15 leftovers).

* "Add Found Bursts to Bake" turns the spotted micro-expression markers (as the Analyze job sets
  them: :func:`~facial_affect_addon.pipeline.micro_spot.spot_markers` then
  ``set_spot_markers``) into rows of the authored-burst list, which Bake then bakes at the
  markers' frames; it is undoable and does not add a burst twice.
* With a video driven by Mirror, the list is refused, as the CLI refuses ``--micro-at`` with
  ``--capture``: one error, nothing baked (not silently dropped).
"""

from __future__ import annotations

import bpy
import numpy as np
import pytest

from facial_affect_addon.blender import bake
from facial_affect_addon.blender.operators_analysis import (
    FOUND_BURSTS_PROP,
    set_spot_markers,
    store_performance,
)
from facial_affect_addon.core.micro_spot import BurstKind, SpottedBurst
from facial_affect_addon.pipeline.micro_spot import MicroSpotResult, found_bursts, spot_markers
from tests.unit.test_store import captured

from .helpers import evaluate, fcurve_for
from .ui_fixtures import *  # noqa: F403 - fixtures


def _spotted(apex: float, emotion: str, kind: BurstKind = BurstKind.MICRO) -> SpottedBurst:
    keys = {"browInnerUp": 0.4}
    return SpottedBurst(apex - 0.08, apex, apex + 0.1, ("AU1",), keys, emotion, 0.7, kind)


def _mark_found(scene, keep_result: bool = True) -> None:
    """What the Analyze job does with a spot result: markers, and the found bursts kept."""
    bursts = (_spotted(1.5, "surprise"), _spotted(2.5, "neutral"))
    macro = (_spotted(3.0, "happiness", BurstKind.MACRO),)
    result = MicroSpotResult(bursts, macro, 30.0, np.zeros(1), np.zeros((1, 1)))
    set_spot_markers(scene, spot_markers(result), found_bursts(result) if keep_result else None)


def _rows(settings) -> list[tuple[str, float, float, float]]:
    return [
        (r.emotion, round(r.time, 4), round(r.intensity, 3), round(r.duration_ms))
        for r in settings.micro_bursts
    ]


def test_found_bursts_go_to_the_bake_list_and_bake_at_their_markers(face):
    scene = bpy.context.scene
    settings = scene.faceaff
    settings.emotion, settings.duration, settings.life = "neutral", 4.0, False
    assert not bpy.ops.faceaff.micro_add_found.poll()  # no markers yet
    _mark_found(scene)
    scene.timeline_markers.new("shot 3", frame=5)  # the user's own marker is no burst
    assert bpy.ops.faceaff.micro_add_found() == {"FINISHED"}
    # Only the micro burst that reads as an emotion: not the neutral one, not the macro one;
    # sized as found: its strongest key (0.4) and its spotted length (180 ms).
    assert _rows(settings) == [("surprise", 1.5, 0.4, 180)]
    assert settings.micro_index == 0
    assert bpy.ops.faceaff.micro_add_found() == {"CANCELLED"}  # a second time adds nothing
    assert len(settings.micro_bursts) == 1
    assert bpy.ops.faceaff.bake() == {"FINISHED"}
    take = bake.list_takes(face)[0]
    fps = scene.render.fps / scene.render.fps_base
    (marker,) = [m for m in scene.timeline_markers if m.name.startswith("micro surprise")]
    frames = np.arange(marker.frame - 8, marker.frame + 9)
    brow = evaluate(fcurve_for(take, "browInnerUp"), frames)
    assert abs(int(frames[np.argmax(brow)]) - marker.frame) <= 1
    assert brow.max() - brow[0] > 0.1, brow
    assert marker.frame == settings.frame_start + round(1.5 * fps)


def test_a_moved_marker_moves_the_burst_and_the_add_is_undoable(face):
    scene = bpy.context.scene
    _mark_found(scene)
    marker = next(m for m in scene.timeline_markers if m.name.startswith("micro surprise"))
    marker.frame = scene.faceaff.frame_start + 48  # the user moved it to 2.0 s at 24 fps
    bpy.ops.ed.undo_push(message="Test start")
    assert bpy.ops.faceaff.micro_add_found("EXEC_DEFAULT", True) == {"FINISHED"}
    assert _rows(bpy.context.scene.faceaff) == [("surprise", 2.0, 0.4, 180)]
    assert bpy.ops.ed.undo() == {"FINISHED"}
    assert len(bpy.context.scene.faceaff.micro_bursts) == 0  # undo reloads: look it up again
    assert bpy.ops.ed.redo() == {"FINISHED"}
    assert _rows(bpy.context.scene.faceaff) == [("surprise", 2.0, 0.4, 180)]


@pytest.mark.parametrize("kept", ["none", "edited by hand"])
def test_markers_alone_still_place_bursts_at_a_default_size(face, kept):
    scene = bpy.context.scene
    _mark_found(scene, keep_result=False)  # e.g. a file from before the result was kept
    assert FOUND_BURSTS_PROP not in scene
    if kept == "edited by hand":
        scene[FOUND_BURSTS_PROP] = '{"kind": "micro_expressions", "bursts": [{"time": "x"}]}'
    assert bpy.ops.faceaff.micro_add_found() == {"FINISHED"}
    assert _rows(scene.faceaff) == [("surprise", 1.5, 0.5, 200)]


def test_mirror_refuses_authored_bursts_instead_of_dropping_them(face):
    settings = bpy.context.scene.faceaff
    settings.input_source, settings.video_drive = "VIDEO", "MIRROR"
    store_performance(settings, captured(90))
    assert bpy.ops.faceaff.micro_add() == {"FINISHED"}
    with pytest.raises(RuntimeError, match=r"1 micro-expression\(s\) in the list: Mirror"):
        bpy.ops.faceaff.bake()
    assert bake.list_takes(face) == []  # nothing baked
    settings.video_drive = "EMOTION"  # the same list bakes when the video drives an emotion
    assert bpy.ops.faceaff.bake() == {"FINISHED"}
    settings.video_drive = "MIRROR"
    bpy.ops.faceaff.micro_remove()
    assert bpy.ops.faceaff.bake() == {"FINISHED"}  # Mirror without bursts bakes the capture
    assert len(bake.list_takes(face)) == 2
