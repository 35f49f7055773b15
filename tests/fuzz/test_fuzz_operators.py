"""Hostile curve files through Blender's Import Curves operator (real ``bpy``, headless).

The promise, as the operator keeps it: ``{'FINISHED'}``, or one ERROR report of one line (no
traceback, no "internal error"); after a failure the scene is exactly as it was; and always the
keys the user made on the face stay exactly as they were. The files are the importer cases of
``test_fuzz_importers.py`` (hand-made hostile JSON and CSV, hypothesis mutations).
"""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from .promise import Outcome, check
from .test_fuzz_importers import CSV_CASES, MUTATED, RAW, STORED, VALID_CSV

bpy = pytest.importorskip("bpy")

ARKIT_SOME = ("jawOpen", "mouthSmileLeft", "mouthSmileRight", "eyeBlinkLeft", "browInnerUp")

CASES: list[tuple[str, str, bytes]] = []
for _name, _data in RAW.items():
    if _data is not None:
        CASES.append((f"json-{_name}", ".json", _data))
        CASES.append((f"csv-{_name}", ".csv", _data))
CASES.append(("csv-utf16", ".csv", VALID_CSV.encode("utf-16")))
for _name, _data in CSV_CASES.items():
    CASES.append((f"csv-{_name}", ".csv", _data))
for _reader, _case, _text in MUTATED:
    if _reader in ("curves", "csv"):
        suffix = ".csv" if _reader == "csv" else ".json"
        CASES.append((_case, suffix, _text.encode("utf-8", "surrogatepass")))


@pytest.fixture(scope="module")
def addon():
    import facial_affect_addon

    facial_affect_addon.register()
    yield facial_affect_addon
    facial_affect_addon.unregister()


def _face():
    bpy.ops.wm.read_homefile(use_empty=True, use_factory_startup=True)
    mesh = bpy.data.meshes.new("Face")
    mesh.from_pydata([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [], [(0, 1, 2)])
    obj = bpy.data.objects.new("Face", mesh)
    bpy.context.scene.collection.objects.link(obj)
    obj.shape_key_add(name="Basis")
    for key in ARKIT_SOME:
        obj.shape_key_add(name=key)
    bpy.context.view_layer.objects.active = obj
    bpy.context.scene.faceaff.target = obj
    kb = obj.data.shape_keys.key_blocks["jawOpen"]
    for frame, value in ((1, 0.2), (20, 0.9), (33, 0.4)):
        kb.value = value
        kb.keyframe_insert("value", frame=frame)
    return obj


def _user_keys() -> list:
    """Every keyframe of every action in the file except the add-on's takes."""
    from facial_affect_addon.blender import bake

    keys = []
    for action in bpy.data.actions:
        if action.get(bake.TAKE_TAG):
            continue
        for layer in action.layers:
            for strip in layer.strips:
                for bag in strip.channelbags:
                    for fc in bag.fcurves:
                        points = np.zeros(2 * len(fc.keyframe_points))
                        fc.keyframe_points.foreach_get("co", points)
                        keys.append((action.name, fc.data_path, tuple(np.round(points, 6))))
    return sorted(keys)


def _action_name(key) -> str:
    anim = key.animation_data
    return anim.action.name if anim and anim.action else ""


def _scene() -> tuple:
    actions = tuple(sorted((a.name, a.users, a.use_fake_user) for a in bpy.data.actions))
    shape_keys = tuple(
        sorted(
            (
                k.name,
                k.animation_data.action.name
                if k.animation_data and k.animation_data.action
                else "",
            )
            for k in bpy.data.shape_keys
        )
    )
    rows = tuple(
        len(o.faceaff_mapping.rows) for o in bpy.data.objects if hasattr(o, "faceaff_mapping")
    )
    return actions, shape_keys, len(bpy.data.objects), len(bpy.data.meshes), rows


@pytest.mark.parametrize(
    ("suffix", "data"), [(s, d) for _, s, d in CASES], ids=[c for c, _, _ in CASES]
)
def test_import_operator(suffix, data, addon, tmp_path, request):
    _face()
    path = tmp_path / f"take{suffix}"
    path.write_bytes(data)
    _call(lambda: bpy.ops.faceaff.import_curves(filepath=str(path)), request.node.name)


PROFILES: dict[str, bytes] = {f"raw-{k}": v for k, v in RAW.items() if v is not None}
PROFILES.update(
    {case: text.encode("utf-8", "surrogatepass") for r, case, text in MUTATED if r == "profile"}
)


@pytest.mark.parametrize("name", list(PROFILES))
def test_mapping_load_operator(name, addon, tmp_path, request):
    """Load Mapping (the mapping editor's rig-profile importer) with a hostile file."""
    if not hasattr(bpy.ops.faceaff, "mapping_load"):
        pytest.skip("no Load Mapping operator in this version")
    _face()
    path = tmp_path / "profile.json"
    path.write_bytes(PROFILES[name])
    _call(lambda: bpy.ops.faceaff.mapping_load(filepath=str(path)), request.node.name)


TAMPERED = {f"stored-{n}": v for n, v in STORED.items()}
TAMPERED.update({case: text for reader, case, text in MUTATED if reader == "performance"})


@pytest.mark.parametrize("name", list(TAMPERED))
def test_bake_from_a_tampered_stored_analysis(name, addon, request):
    """A .blend whose stored analysis was tampered with: Bake reports one line."""
    _face()
    value = TAMPERED[name]
    settings = bpy.context.scene.faceaff
    settings.analysis_token = ""
    settings.analysis_data = value() if callable(value) else value
    settings.duration = 2.0
    _call(lambda: bpy.ops.faceaff.bake(), request.node.name)


def _call(op, case: str) -> None:
    """Run an operator and check its promise (one-line report, scene and user keys kept)."""
    scene_before, keys_before = _scene(), _user_keys()
    outcome = Outcome(case, "operator")
    start = time.monotonic()
    try:
        result = op()
        outcome.rc = 0 if result == {"FINISHED"} else 2
    except RuntimeError as exc:
        outcome.rc = 2
        message = str(exc).strip()
        outcome.stderr = message.removeprefix("Error: ") + "\n"
    except Exception:  # any other escape is the finding
        import traceback

        outcome.escaped = traceback.format_exc()
    outcome.seconds = time.monotonic() - start
    if outcome.rc == 2 and _scene() != scene_before:
        outcome.writes.append(f"scene changed: {json.dumps(_scene())[:200]}")
    if _user_keys() != keys_before:
        outcome.lost_keys.append("the user's jawOpen keys changed")
    check(outcome)
