"""Small builders shared by the Blender tests (real bpy)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import bpy
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]


def run_cli(*args: str, log_dir: str | os.PathLike | None = None) -> subprocess.CompletedProcess:
    """``python -m facial_affect_addon.cli ARGS`` from the repository (5 minutes at most).

    ``log_dir`` sets ``FACIAL_AFFECT_LOG_DIR`` so internal-error logs land in the test's folder.
    """
    env = dict(os.environ)
    if log_dir is not None:
        env["FACIAL_AFFECT_LOG_DIR"] = str(log_dir)
    return subprocess.run(
        [sys.executable, "-m", "facial_affect_addon.cli", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def make_face(name: str = "Face", keys: tuple[str, ...] = ("jawOpen", "mouthSmileLeft")):
    """A one-triangle mesh with a Basis and the given shape keys, linked to the scene."""
    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [], [(0, 1, 2)])
    obj = bpy.data.objects.new(name, mesh)
    bpy.context.scene.collection.objects.link(obj)
    obj.shape_key_add(name="Basis")
    for key in keys:
        obj.shape_key_add(name=key)
    bpy.context.view_layer.objects.active = obj
    return obj


def fcurve_for(action, key_name: str):
    """The F-curve of a take's action that drives ``key_blocks[key_name].value``."""
    bag = action.layers[0].strips[0].channelbag(action.slots[0])
    return bag.fcurves.find(f'key_blocks["{key_name}"].value')


def evaluate(fcurve, frames) -> np.ndarray:
    """Evaluate an F-curve at each frame."""
    return np.array([fcurve.evaluate(float(f)) for f in frames])


def scene_fingerprint() -> tuple:
    """A summary of the file's data that a failed operation must leave unchanged."""
    actions = tuple(sorted((a.name, a.users, a.use_fake_user) for a in bpy.data.actions))
    keys = tuple(
        sorted(
            (k.name, bool(k.animation_data and k.animation_data.action))
            for k in bpy.data.shape_keys
        )
    )
    return actions, keys, len(bpy.data.objects), len(bpy.data.meshes)


def stored_doc(settings) -> dict:
    """The analysis stored on the scene, decoded from its compact form, as the CLI's JSON."""
    from facial_affect_addon.pipeline import store

    return store.decode(settings.analysis_data).to_json()


def replace_keys_with_mixes(obj, mixes: dict[str, dict[str, float]], drop) -> None:
    """Give ``obj`` new shape keys, each a mix of its existing ones, then remove the keys ``drop``.

    Turns the demo head into another rig family (e.g. VRoid ``Fcl_*`` keys made from ARKit mixes).
    """
    blocks = obj.data.shape_keys.key_blocks
    for name, mix in mixes.items():
        for kb in blocks:
            kb.value = 0.0
        for source, weight in mix.items():
            blocks[source].value = weight
        obj.shape_key_add(name=name, from_mix=True)
    for kb in blocks:
        kb.value = 0.0
    for name in drop:
        obj.shape_key_remove(blocks[name])


def validate_capture_on_demo_head():
    """``tools/validate_capture.py``, imported with the demo head open (no head: the test fails)."""
    from .conftest import DEMO_HEAD

    if not DEMO_HEAD.exists():
        pytest.fail(f"{DEMO_HEAD} is missing: run `make setup` (it builds the demo head).")
    sys.path.insert(0, str(REPO / "tools"))
    try:
        import validate_capture
    finally:
        sys.path.remove(str(REPO / "tools"))
    validate_capture.open_head(DEMO_HEAD)
    return validate_capture
