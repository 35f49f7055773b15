"""Layered takes in real Blender: NLA strips per layer, mute, influence, flatten, glTF, undo.

Every value is read the way Blender plays it: ``scene.frame_set`` evaluates the depsgraph and
the animated shape-key values are read back from the key blocks.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

import bpy
import numpy as np
import pytest

from facial_affect_addon.blender import bake, bake_layers
from facial_affect_addon.blender.operators_io import take_curves
from facial_affect_addon.core.emotions import EmotionWeights
from facial_affect_addon.core.micro import MicroBurst
from facial_affect_addon.core.rig_tables import ARKIT_52
from facial_affect_addon.core.timeline import Timeline
from facial_affect_addon.pipeline.layers import Layer, layer_curves
from facial_affect_addon.pipeline.options import PerformanceOptions, SynthesisOptions
from facial_affect_addon.pipeline.performance import Segment
from facial_affect_addon.pipeline.text import performance_from_weights

from .helpers import make_face, run_cli

FRAMES = list(range(1, 73, 5))  # many frames across the 3 s take at 24 fps


@cache
def _layered():
    """A happy 3 s line with a frown burst and life: all four layers are non-zero."""
    perf = performance_from_weights(EmotionWeights.pure("happiness"), 3.0)
    line = Segment(0.4, 2.6, "we did it after all", perf.weights, 0.8, "test")
    burst = MicroBurst(start=1.2, duration=0.3, apex=(("AU4_L", 0.9), ("AU4_R", 0.9)))
    perf = replace(perf, segments=(line,), timeline=Timeline(perf.timeline.events, (burst,)))
    synth = SynthesisOptions(fps=24.0, frame_start=1, micro=True, life=True, seed=3)
    return layer_curves(perf, ARKIT_52, PerformanceOptions(synthesis=synth))


def _names() -> list[str]:
    """The keys the take animates (the rig's other keys keep their own values)."""
    return list(_layered().full.channels)


def _played(obj, frames=FRAMES) -> np.ndarray:
    names = _names()
    scene = bpy.context.scene
    blocks = obj.data.shape_keys.key_blocks
    out = []
    for frame in frames:
        scene.frame_set(frame)
        out.append([blocks[n].value for n in names])
    return np.array(out)


def _table(channels, frames=FRAMES) -> np.ndarray:
    """(frames, keys) values of a take starting at frame 1 (0 where a layer has no curve)."""
    idx = np.asarray(frames) - 1
    n = len(next(iter(channels.values())))
    return np.array([channels.get(name, np.zeros(n))[idx] for name in _names()]).T


def _layer_values(layered, layer: Layer, frames=FRAMES) -> np.ndarray:
    return _table(next(p for p in layered.layers if p.layer == layer).curves.channels, frames)


def _strip(obj, take_name: str, layer: Layer):
    take = bpy.data.actions[take_name]
    return next(s for name, _, s in bake_layers.take_layers(obj, take) if name == layer)


@pytest.fixture
def two_faces(clean_scene):
    """The same rig twice: one gets the single-action bake, the other the layered one."""
    single, layered = make_face("Single", ARKIT_52), make_face("Layered", ARKIT_52)
    curves = _layered()
    one = bake.bake_take(single, curves, bake.BakeOptions(take_name="Line"))
    many = bake.bake_take(layered, curves, bake.BakeOptions(take_name="Line", layers=True))
    return single, layered, curves, one, many


def test_layers_at_full_influence_play_the_single_action_bake(two_faces):
    single, layered, curves, _, many = two_faces
    anim = layered.data.shape_keys.animation_data
    assert anim.action is None
    layers = bake_layers.take_layers(layered, bpy.data.actions[many.action_name])
    assert [name for name, _, _ in layers] == [str(lay) for lay in Layer]
    assert [s.blend_type for _, _, s in layers] == ["REPLACE", "ADD", "ADD", "ADD"]
    assert all(s.action_slot == s.action.slots[0] for _, _, s in layers)
    frames = list(range(0, 76))  # also before and after the take: both hold their ends
    expected = _played(single, frames)
    np.testing.assert_allclose(_played(layered, frames), expected, atol=2e-6)
    np.testing.assert_allclose(_played(layered), _table(curves.full.channels), atol=2e-6)
    assert np.ptp(expected, axis=0).max() > 0.3  # the take moves


def test_muting_a_layer_removes_exactly_its_delta(two_faces):
    single, layered, curves, _, many = two_faces
    full = _played(single)
    blinks = _layer_values(curves, Layer.LIFE)
    assert np.abs(blinks).max() > 0.2  # a blink happens on these frames
    _strip(layered, many.action_name, Layer.LIFE).mute = True
    np.testing.assert_allclose(_played(layered), np.clip(full - blinks, 0, 1), atol=2e-6)
    _strip(layered, many.action_name, Layer.LIFE).mute = False
    np.testing.assert_allclose(_played(layered), full, atol=2e-6)


def test_influence_half_halves_the_delta(two_faces):
    single, layered, curves, _, many = two_faces
    full = _played(single)
    speech = _layer_values(curves, Layer.SPEECH)
    assert np.abs(speech).max() > 0.1
    _strip(layered, many.action_name, Layer.SPEECH).influence = 0.5
    np.testing.assert_allclose(_played(layered), np.clip(full - 0.5 * speech, 0, 1), atol=2e-6)
    emotion = _strip(layered, many.action_name, Layer.EMOTION)
    emotion.influence = 0.0  # REPLACE at 0: the emotion is gone, the deltas stay over rest
    # With nothing under it, the NLA's rest for a shape key is 0 on Blender 4.5 and 5.2 and
    # 1.0 on 5.0.1 (measured: the same strips play 0.0 there and 0.8 on 5.0.1).
    base = 1.0 if bpy.app.version[:2] == (5, 0) else 0.0
    rest = np.clip(base + full - 0.5 * speech - _layer_values(curves, Layer.EMOTION), 0, 1)
    np.testing.assert_allclose(_played(layered), rest, atol=2e-6)


def test_exports_flatten_the_layers_as_blender_plays_them(two_faces):
    _, layered, curves, _, many = two_faces
    take = bpy.data.actions[many.action_name]
    _strip(layered, take.name, Layer.MICRO).mute = True
    bpy.context.scene.frame_set(5)
    flat = take_curves(take, 24.0, layered)
    assert bpy.context.scene.frame_current == 5  # the scene's frame is put back
    assert (flat.frame_start, flat.n_frames) == (1, curves.full.n_frames)
    played = _played(layered, frames=range(1, flat.n_frames + 1))
    assert set(flat.channels) == set(curves.full.channels)
    for j, name in enumerate(_names()):
        np.testing.assert_allclose(flat.channels[name], played[:, j], atol=1e-7, err_msg=name)
    micro = _layer_values(curves, Layer.MICRO, frames=range(1, flat.n_frames + 1))
    assert np.abs(micro).max() > 0.05  # muting changed what is exported


def test_gltf_export_keeps_the_layered_animation(two_faces, tmp_path):
    single, layered, _, _, _ = two_faces
    expected = _played(layered)
    bpy.ops.object.select_all(action="DESELECT")
    layered.select_set(True)
    path = tmp_path / "layered.glb"
    bpy.ops.export_scene.gltf(
        filepath=str(path), use_selection=True, export_animation_mode="SCENE", export_morph=True
    )
    for obj in (single, layered):
        bpy.data.objects.remove(obj)
    bpy.ops.import_scene.gltf(filepath=str(path))
    imported = next(o for o in bpy.context.scene.objects if o.data and o.data.shape_keys)
    np.testing.assert_allclose(_played(imported), expected, atol=2e-3)


def test_users_own_action_and_nla_track_are_untouched_and_come_back(clean_scene):
    obj = make_face("Face", ARKIT_52)
    key = obj.data.shape_keys
    anim = key.animation_data_create()
    kb = key.key_blocks["jawOpen"]
    kb.value = 0.2
    kb.keyframe_insert("value", frame=1)
    mine = anim.action
    track = anim.nla_tracks.new()
    track.name = "MyTrack"
    strip = track.strips.new("MyStrip", 1, bpy.data.actions.new("MyStripAction"))
    strip.blend_type, strip.influence = "ADD", 1.0
    mine_name = mine.name
    result = bake.bake_take(obj, _layered(), bake.BakeOptions(take_name="T", layers=True))
    assert anim.action is None and bpy.data.actions[mine_name].use_fake_user
    assert anim.nla_tracks[0].name == "MyTrack" and len(anim.nla_tracks) == 5
    assert anim.nla_tracks[0].strips[0].action.name == "MyStripAction"
    assert not anim.nla_tracks[0].mute and anim.nla_tracks[0].strips[0].blend_type == "ADD"
    restored = bake.clear_take(obj, result.action_name)
    assert restored == mine_name and anim.action.name == mine_name
    assert [t.name for t in anim.nla_tracks] == ["MyTrack"]
    assert not [a for a in bpy.data.actions if a.get(bake_layers.LAYER_TAKE)]


def test_switching_takes_mutes_only_the_add_ons_tracks(clean_scene):
    obj = make_face("Face", ARKIT_52)
    curves = _layered()
    first = bake.bake_take(obj, curves, bake.BakeOptions(take_name="A", layers=True))
    second = bake.bake_take(obj, curves, bake.BakeOptions(take_name="B"))  # one action
    anim = obj.data.shape_keys.animation_data
    assert anim.action.name == second.action_name
    assert all(t.mute for t in anim.nla_tracks)  # A is silent while B plays
    bake.activate_take(obj, first.action_name)
    assert anim.action is None and not any(t.mute for t in anim.nla_tracks)
    np.testing.assert_allclose(_played(obj), _table(curves.full.channels), atol=2e-6)
    take = bpy.data.actions[first.action_name]
    take.name = "Renamed by the user"  # the layers stay tied to their take
    for _, _, strip in bake_layers.take_layers(obj, take):
        strip.action.name += " (mine)"
    assert len(bake_layers.take_layers(obj, take)) == 4
    assert bake_layers.active_layered_take(obj) == take
    take.name = first.action_name
    again = bake.bake_take(obj, curves, bake.BakeOptions(take_name="A", layers=True, replace=True))
    assert again.action_name == first.action_name and len(anim.nla_tracks) == 4
    one = bake.bake_take(obj, curves, bake.BakeOptions(take_name="A", replace=True))
    assert one.action_name == first.action_name and len(anim.nla_tracks) == 0
    assert not [a for a in bpy.data.actions if a.get(bake_layers.LAYER_TAG)]  # no orphans


def _nla_state(name: str = "Face") -> dict:
    """What undo must restore: the tracks (name, mute), the actions and the active action."""
    anim = bpy.data.objects[name].data.shape_keys.animation_data
    return {
        "tracks": [(t.name, t.mute) for t in anim.nla_tracks] if anim else [],
        "actions": sorted(a.name for a in bpy.data.actions),
        "active": anim.action.name if anim and anim.action else None,
    }


def test_layered_bake_operator_undoes_and_exports_flattened(clean_scene, addon, tmp_path):
    from facial_affect_addon.core import formats

    obj = make_face("Face", ("jawOpen", "mouthSmileLeft", "eyeBlinkLeft", "eyeBlinkRight"))
    anim = obj.data.shape_keys.animation_data_create()
    track = anim.nla_tracks.new()
    track.name = "MyTrack"
    settings = clean_scene.faceaff
    settings.target, settings.bake_layers, settings.take_name = obj, True, "Calm"
    settings.duration = 4.0  # long enough for a blink
    bpy.ops.ed.undo_push(message="Test start")
    before = _nla_state()
    assert bpy.ops.faceaff.bake_emotion("EXEC_DEFAULT", True) == {"FINISHED"}
    baked = _nla_state()
    assert baked["tracks"][0] == ("MyTrack", False) and len(baked["tracks"]) > 2
    obj = bpy.data.objects["Face"]
    take = bake_layers.active_layered_take(obj)
    assert take is not None and take.name == "Face Calm"
    assert bpy.ops.faceaff.export_curves("EXEC_DEFAULT", filepath=str(tmp_path / "c.json"))
    saved = formats.load_curves(tmp_path / "c.json")
    flat = take_curves(take, 24.0, obj)
    for name, values in flat.channels.items():
        np.testing.assert_allclose(saved.channels[name], values, atol=1e-6, err_msg=name)
    assert bpy.ops.ed.undo() == {"FINISHED"}
    assert _nla_state() == before
    assert bpy.ops.ed.redo() == {"FINISHED"}
    assert _nla_state() == baked


def test_score_takes_renderer_plays_the_layers_and_puts_the_mutes_back(clean_scene, tmp_path):
    from facial_affect_addon.blender.report_take import TakeRenderer

    obj = make_face("Face", ARKIT_52)
    curves = _layered()
    layered = bake.bake_take(obj, curves, bake.BakeOptions(take_name="A", layers=True))
    single = bake.bake_take(obj, curves, bake.BakeOptions(take_name="B"))
    anim = obj.data.shape_keys.animation_data
    mutes = [t.mute for t in anim.nla_tracks]
    assert all(mutes)  # B plays
    renderer = TakeRenderer(clean_scene, obj, bpy.data.actions[layered.action_name], None, tmp_path)
    assert anim.action is None and not any(t.mute for t in anim.nla_tracks)
    np.testing.assert_allclose(_played(obj), _table(curves.full.channels), atol=2e-6)
    renderer.restore()
    assert anim.action.name == single.action_name
    assert [t.mute for t in anim.nla_tracks] == mutes


def test_cli_bakes_layers_and_refuses_them_without_bake(tmp_path, clean_scene):
    blend = tmp_path / "layers.blend"
    done = run_cli("emotion", "happiness", "--bake", str(blend), "--layers", "--seed", "3")
    assert done.returncode == 0, done.stderr
    bpy.ops.wm.open_mainfile(filepath=str(blend))
    head = bpy.data.objects["DemoHead"]
    take = bake_layers.active_layered_take(head)
    assert take is not None and head.data.shape_keys.animation_data.action is None
    layers = bake_layers.take_layers(head, take)
    assert [name for name, _, _ in layers][:2] == ["emotion", "life"]  # no words: no speech
    assert [s.blend_type for _, _, s in layers][:2] == ["REPLACE", "ADD"]
    refused = run_cli("emotion", "happiness", "--layers")
    assert refused.returncode == 2 and "--layers only matters with --bake" in refused.stderr


def test_fbx_export_without_nla_strips_keeps_the_layered_animation(two_faces, tmp_path):
    single, layered, _, _, _ = two_faces
    expected = _played(layered)
    bpy.ops.object.select_all(action="DESELECT")
    layered.select_set(True)
    path = tmp_path / "layered.fbx"
    bpy.ops.export_scene.fbx(
        filepath=str(path),
        use_selection=True,
        bake_anim_use_nla_strips=False,  # one stack: the scene as it plays
        bake_anim_use_all_actions=False,
        bake_anim_simplify_factor=0.0,  # every frame's value, not a simplified curve
    )
    for obj in (single, layered):
        bpy.data.objects.remove(obj)
    bpy.ops.import_scene.fbx(filepath=str(path), anim_offset=0.0)  # default shifts 1 frame
    imported = next(o for o in bpy.context.scene.objects if o.data and o.data.shape_keys)
    np.testing.assert_allclose(_played(imported), expected, atol=2e-3)


def test_a_layered_bake_that_fails_midway_leaves_the_file_as_it_was(
    clean_scene, addon, monkeypatch, tmp_path
):
    from .helpers import scene_fingerprint

    monkeypatch.setenv("FACIAL_AFFECT_LOG_DIR", str(tmp_path / "logs"))
    obj = make_face("Face", ("jawOpen", "mouthSmileLeft", "eyeBlinkLeft", "eyeBlinkRight"))
    settings = clean_scene.faceaff
    settings.target, settings.bake_layers, settings.duration = obj, True, 4.0
    assert bpy.ops.faceaff.bake_emotion() == {"FINISHED"}  # a first layered take, playing
    before, fingerprint = _nla_state(), scene_fingerprint()
    written = []
    real = bake.write_fcurve

    def fails_in_the_second_layer(channelbag, name, *args):
        written.append(name)
        if len(written) > 4:  # the emotion layer's four curves are written, then it breaks
            raise ZeroDivisionError("boom")
        return real(channelbag, name, *args)

    monkeypatch.setattr(bake, "write_fcurve", fails_in_the_second_layer)
    with pytest.raises(RuntimeError, match="internal error: ZeroDivisionError: boom"):
        bpy.ops.faceaff.bake_emotion()
    assert len(written) == 5
    assert _nla_state() == before and scene_fingerprint() == fingerprint
