"""``cli batch`` honours a video row's ``spot_bake`` (issue 15): the same spotted brow-raise
burst is baked as its own AUs (``mirror``: the found brow and lid AUs, no jaw) or as a
synthesised burst of its emotion (``emotion``: surprise, which opens the jaw), in Blender."""

from __future__ import annotations

import json

import bpy
import numpy as np
import pytest

from facial_affect_addon.paths import model_path
from tests.unit import micro_fixtures as mf

from .helpers import evaluate, fcurve_for, run_cli


@pytest.mark.skipif(
    not model_path("face_landmark.tflite").is_file(),
    reason="face models missing: run `make setup` (tools/fetch_face_models.py)",
)
def test_spot_bake_mirror_and_emotion_bake_different_bursts(tmp_path):
    from facial_affect_addon.ml.faces import FaceAnalyzer

    landmarks = FaceAnalyzer().analyze(mf.head_frame()).landmarks
    mf.write_event_clip(tmp_path / "b.avi", landmarks, [mf.Event("brow_raise", 1.4, 1.6)], 3.0, 30)
    manifest = tmp_path / "m.csv"
    manifest.write_text(
        "video,take,micro_spot,spot_bake\nb.avi,mirror,yes,mirror\nb.avi,emotion,yes,Emotion\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    done = run_cli("batch", str(manifest), "--out", str(out))
    assert done.returncode == 0, done.stderr
    found = json.loads((out / "mirror.json").read_text(encoding="utf-8"))["micro_expressions"]
    assert len(found) == 1 and found[0]["emotion"] == "surprise", found
    curves = {}
    for take in ("mirror", "emotion"):
        bpy.ops.wm.open_mainfile(filepath=str(out / f"{take}.blend"))
        scene = bpy.context.scene
        fps = scene.render.fps / scene.render.fps_base
        frames = np.arange(1 + 1.0 * fps, 1 + 2.2 * fps)  # around the burst (1.4-1.6 s)
        action = bpy.data.objects["DemoHead"].data.shape_keys.animation_data.action
        for key in ("jawOpen", "browInnerUp"):
            curves[take, key] = evaluate(fcurve_for(action, key), frames)
    # same video, same analysis: the curves differ only by how the burst was baked
    jaw = curves["emotion", "jawOpen"] - curves["mirror", "jawOpen"]
    assert jaw.max() > 0.05, jaw.max()  # surprise's AU26 opens the jaw; the found AUs do not
    assert not set(found[0]["aus"]) & {"AU25", "AU26", "AU27"}, found[0]["aus"]
    assert np.ptp(curves["mirror", "jawOpen"]) < 0.02  # mirror replays only the found AUs
    assert np.ptp(curves["mirror", "browInnerUp"]) > 0.1  # both still raise the brows
    assert np.ptp(curves["emotion", "browInnerUp"]) > 0.1
