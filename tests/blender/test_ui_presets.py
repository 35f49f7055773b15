"""The Bake panel's Emotion / Preset / Mix choice in real Blender: presets and mix sliders bake.

A failing operator must leave the file unchanged (``scene_fingerprint``).
"""

from __future__ import annotations

import bpy
import numpy as np
import pytest

from facial_affect_addon.blender import bake
from facial_affect_addon.blender.operators_analysis import store_performance
from facial_affect_addon.core.emotions import COMPOUND_PRESETS, EMOTION_NAMES
from facial_affect_addon.core.rig_tables import ARKIT_52
from facial_affect_addon.pipeline.options import EmotionSource
from facial_affect_addon.pipeline.text import performance_from_weights

from .helpers import evaluate, fcurve_for, make_face, scene_fingerprint

FRAMES = range(1, 49)  # 2 s at 24 fps


@pytest.fixture
def arkit_face(clean_scene, addon):
    """A face with all 52 ARKit keys, targeted, baking 2 s."""
    obj = make_face("Face", ARKIT_52)
    clean_scene.faceaff.target = obj
    clean_scene.faceaff.duration = 2.0
    return obj


def _peaks(obj, *keys: str) -> dict[str, float]:
    take = obj.data.shape_keys.animation_data.action
    return {key: float(evaluate(fcurve_for(take, key), FRAMES).max()) for key in keys}


def _set_mix(settings, **weights) -> None:
    for name in EMOTION_NAMES:
        setattr(settings.mix, name, weights.get(name, 0.0))


def test_the_panel_offers_every_preset_and_seven_mix_sliders(addon):
    settings = bpy.types.Scene.bl_rna.properties["faceaff"].fixed_type
    items = {i.identifier for i in settings.properties["compound"].enum_items}
    assert items == {str(p) for p in COMPOUND_PRESETS}
    sources = {i.identifier for i in settings.properties["emotion_source"].enum_items}
    assert sources == {str(s) for s in EmotionSource}
    mix = settings.properties["mix"].fixed_type
    assert {p.identifier for p in mix.properties} >= set(EMOTION_NAMES)


def test_bake_emotion_bakes_the_bittersweet_preset(arkit_face):
    settings = bpy.context.scene.faceaff
    settings.emotion_source, settings.compound = "PRESET", "bittersweet"
    assert settings.emotion_choice().weights()["sadness"] == pytest.approx(0.5)
    assert bpy.ops.faceaff.bake_emotion() == {"FINISHED"}
    keys = ("mouthSmileLeft", "mouthFrownLeft", "browInnerUp", "browDownLeft", "jawOpen")
    peaks = _peaks(arkit_face, *keys)
    # Each half shows as its emotion felt at 0.5 (75 % travel): the smile and the raised inner
    # brows, without the frown, and without sadness's brow lowerer, which the smile takes.
    assert peaks["mouthSmileLeft"] > 0.65 and peaks["browInnerUp"] > 0.65
    assert peaks["mouthFrownLeft"] < 1e-6 and peaks["browDownLeft"] < 1e-6
    assert peaks["jawOpen"] <= 0.75 * 0.15 + 1e-6  # only the smile's parted lips (AU25 at 0.75)


def test_bake_uses_the_mix_sliders_normalised(arkit_face):
    settings = bpy.context.scene.faceaff
    settings.emotion_source = "MIX"
    _set_mix(settings, happiness=1.0, surprise=1.0)
    assert bpy.ops.faceaff.bake() == {"FINISHED"}  # nothing analysed: Bake bakes the mix too
    peaks = _peaks(arkit_face, "mouthSmileLeft", "browOuterUpLeft", "mouthFrownLeft")
    # Half of each, shown as each emotion felt at 0.5: 0.75 +- asymmetry.
    assert 0.65 < peaks["mouthSmileLeft"] <= 0.8
    assert 0.65 < peaks["browOuterUpLeft"] <= 0.8
    assert peaks["mouthFrownLeft"] < 1e-6
    _set_mix(settings, anger=0.3)  # one slider alone is the pure emotion, at full strength
    assert bpy.ops.faceaff.bake() == {"FINISHED"}
    assert _peaks(arkit_face, "browDownLeft")["browDownLeft"] > 0.9


def test_an_all_zero_mix_is_a_clear_error_and_changes_nothing(arkit_face):
    settings = bpy.context.scene.faceaff
    settings.emotion_source = "MIX"
    _set_mix(settings)
    before = scene_fingerprint()
    with pytest.raises(RuntimeError, match="Mix weight is zero"):
        bpy.ops.faceaff.bake_emotion()
    assert scene_fingerprint() == before and not bake.list_takes(arkit_face)


def test_an_analysis_still_bakes_when_the_mix_is_empty(arkit_face):
    settings = bpy.context.scene.faceaff
    settings.emotion_source = "MIX"
    _set_mix(settings)
    store_performance(settings, performance_from_weights({"happiness": 1.0}, 2.0))
    assert bpy.ops.faceaff.bake() == {"FINISHED"}  # the analysis, not the (empty) mix
    assert _peaks(arkit_face, "mouthSmileLeft")["mouthSmileLeft"] > 0.9


def test_bake_emotion_ignores_the_analysis_and_bakes_the_preset(arkit_face):
    settings = bpy.context.scene.faceaff
    store_performance(settings, performance_from_weights({"happiness": 1.0}, 2.0))
    settings.emotion_source, settings.compound = "PRESET", "sadly_angry"
    assert bpy.ops.faceaff.bake_emotion() == {"FINISHED"}
    peaks = _peaks(arkit_face, "mouthSmileLeft", "mouthFrownLeft", "browDownLeft")
    assert peaks["mouthSmileLeft"] < 1e-6
    assert peaks["mouthFrownLeft"] > 0.5  # sadness 0.6 of a full AU15
    assert peaks["browDownLeft"] > 0.55  # sadness 0.6 x 4C (0.6) + anger 0.4 x 1.0 = 0.76


def test_a_single_emotion_is_still_the_default(arkit_face):
    settings = bpy.context.scene.faceaff
    assert settings.emotion_source == "EMOTION"
    settings.emotion = "fear"
    assert bpy.ops.faceaff.bake_emotion() == {"FINISHED"}
    take = arkit_face.data.shape_keys.animation_data.action
    wide = evaluate(fcurve_for(take, "eyeWideLeft"), FRAMES)
    blink = evaluate(fcurve_for(take, "eyeBlinkLeft"), FRAMES)
    assert wide.max() > 0.9
    assert np.minimum(wide, blink).max() <= 0.2 + 1e-6  # a blink overrides the wide eye
