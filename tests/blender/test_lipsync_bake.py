"""``cli text "..." --bake`` bakes lip-sync (issue 17 §2-§3) onto the demo head and a VRoid head.

The phone times are read from the run's own JSON (``phones``, timed from the text); every
bilabial must close the lips in the baked take, and a VRoid-style head (the demo head's ARKit
keys replaced by ``Fcl_ALL_*`` and ``Fcl_MTH_A/I/U/E/O`` keys made from mixes of them) must
speak with its vowel keys while its whole-face joy stays on.
"""

from __future__ import annotations

import json

import bpy
import numpy as np

from facial_affect_addon.core.rig_tables import ARKIT_52

from .helpers import evaluate, fcurve_for, replace_keys_with_mixes, run_cli

LINE = "I'm so happy, Bob made me a map!"
BILABIALS = {"P", "B", "M"}
VROID_MIXES = {
    "Fcl_ALL_Joy": {"mouthSmileLeft": 1, "mouthSmileRight": 1, "cheekSquintLeft": 0.6,
                    "cheekSquintRight": 0.6},
    "Fcl_ALL_Angry": {"browDownLeft": 1, "browDownRight": 1},
    "Fcl_EYE_Close_L": {"eyeBlinkLeft": 1},
    "Fcl_EYE_Close_R": {"eyeBlinkRight": 1},
    "Fcl_MTH_A": {"jawOpen": 0.8, "mouthLowerDownLeft": 0.4, "mouthLowerDownRight": 0.4},
    "Fcl_MTH_I": {"jawOpen": 0.2, "mouthStretchLeft": 0.8, "mouthStretchRight": 0.8},
    "Fcl_MTH_U": {"jawOpen": 0.1, "mouthPucker": 1},
    "Fcl_MTH_E": {"jawOpen": 0.4, "mouthStretchLeft": 0.5, "mouthStretchRight": 0.5},
    "Fcl_MTH_O": {"jawOpen": 0.5, "mouthFunnel": 1},
}  # fmt: skip


def _bake_line(tmp_path, *head_args: str):
    """Run the CLI on ``LINE``; return (its JSON document, baked head, its take, scene fps)."""
    out, blend = tmp_path / "line.json", tmp_path / "line.blend"
    done = run_cli("text", LINE, "--json", str(out), "--bake", str(blend), *head_args)
    assert done.returncode == 0, done.stderr
    doc = json.loads(out.read_text())
    bpy.ops.wm.open_mainfile(filepath=str(blend))
    head = bpy.data.objects["DemoHead"]
    scene = bpy.context.scene
    return doc, head, head.data.shape_keys.animation_data.action, scene.render.fps


def _frames(doc, fps: float, symbols: set[str]) -> list[float]:
    """Scene frames (the take starts at frame 1) of the centres of the JSON's phones."""
    return [
        1 + 0.5 * (p["start_s"] + p["end_s"]) * fps for p in doc["phones"] if p["symbol"] in symbols
    ]


def test_cli_text_bake_closes_the_demo_heads_lips_on_every_bilabial(tmp_path, clean_scene):
    doc, _, take, fps = _bake_line(tmp_path)
    frames = _frames(doc, fps, BILABIALS)
    assert len(frames) == 8  # I'm, hapPy, BoB, Made, Me, MaP
    jaw = evaluate(fcurve_for(take, "jawOpen"), frames)
    close = evaluate(fcurve_for(take, "mouthClose"), frames)
    press = evaluate(fcurve_for(take, "mouthPressLeft"), frames)
    assert (np.maximum(close, press) > 0.5).all(), (close, press)
    assert (jaw < 0.15).all(), jaw
    vowels = _frames(doc, fps, {"AE", "AA", "AY", "EY"})
    assert evaluate(fcurve_for(take, "jawOpen"), vowels).max() > 0.3  # and it opens to speak
    smile = evaluate(fcurve_for(take, "mouthSmileLeft"), vowels)
    assert smile.max() > 0.2  # the happy line keeps (half) its smile while speaking


def _vroid_head_file(path) -> None:
    """Save the demo head with VRoid-style keys instead of its ARKit ones to ``path``."""
    from tests.blender.conftest import DEMO_HEAD

    bpy.ops.wm.open_mainfile(filepath=str(DEMO_HEAD))
    replace_keys_with_mixes(bpy.data.objects["DemoHead"], VROID_MIXES, ARKIT_52)
    bpy.ops.wm.save_as_mainfile(filepath=str(path))


def test_cli_text_bake_speaks_with_a_vroid_heads_vowel_keys(tmp_path, clean_scene):
    _vroid_head_file(tmp_path / "vroid.blend")
    doc, head, take, fps = _bake_line(
        tmp_path, "--head", str(tmp_path / "vroid.blend"), "--object", "DemoHead"
    )
    assert "jawOpen" not in head.data.shape_keys.key_blocks
    n = int(doc["duration_s"] * fps)
    a = evaluate(fcurve_for(take, "Fcl_MTH_A"), range(1, n))
    assert a.max() > 0.5  # "happy", "map": open vowels
    for key in ("Fcl_MTH_I", "Fcl_MTH_E", "Fcl_MTH_O"):
        assert fcurve_for(take, key) is not None, key
    shut = _frames(doc, fps, BILABIALS)
    for key in ("Fcl_MTH_A", "Fcl_MTH_E", "Fcl_MTH_O"):
        assert evaluate(fcurve_for(take, key), shut).max() < 0.15, key
    joy = evaluate(fcurve_for(take, "Fcl_ALL_Joy"), _frames(doc, fps, {"AE", "EY"}))
    assert joy.min() > 0.3  # the whole-face joy is not scaled down by speech
