"""Head files for the fuzz suite, and the fingerprint of a file's keys (run in its own process).

``python tests/fuzz/blend_tool.py make DEMO_HEAD OUTDIR`` writes the Blender-made heads (no mesh,
no shape keys, odd key names, only a Basis, no camera, an uncompressed copy to corrupt, and
five kinds of pre-animated heads). ``python tests/fuzz/blend_tool.py keys FILE`` prints, as JSON
on its last line, every action's F-curves with every keyframe (the user's keys a bake must
never change). Both run in a subprocess so a Blender crash on a hostile file never takes the
test session down.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="faceaff-fuzz-blend-"))
os.environ.setdefault("BLENDER_USER_RESOURCES", str(_TMP / "user"))

import bpy  # noqa: E402

PREANIMATED = (
    "preanim_shape_keys",
    "preanim_object_and_keys",
    "preanim_nla",
    "preanim_take_name_clash",
    "preanim_fake_user",
)


def _fcurves(action):
    """Every F-curve of an action: the slotted layers of Blender 4.4+, else the legacy list."""
    layers = getattr(action, "layers", None)
    found = False
    if layers is not None:
        for layer in layers:
            for strip in layer.strips:
                for slot in action.slots:
                    bag = strip.channelbag(slot)
                    if bag is not None:
                        found = True
                        yield from bag.fcurves
    if not found and hasattr(action, "fcurves"):
        try:
            yield from action.fcurves
        except (AttributeError, RuntimeError):
            return


def fingerprint() -> dict:
    """Every action's keys: name -> sorted [data_path, index, [[frame, value, interp], ...]]."""
    doc = {}
    for action in bpy.data.actions:
        curves = []
        for fc in _fcurves(action):
            keys = [
                [round(k.co[0], 5), round(k.co[1], 6), k.interpolation] for k in fc.keyframe_points
            ]
            curves.append([fc.data_path, fc.array_index, keys])
        doc[action.name] = sorted(curves)
    return doc


def _head():
    return next(o for o in bpy.data.objects if o.type == "MESH" and o.data.shape_keys)


def _key_some(obj, frames=(1, 12, 30)) -> None:
    blocks = obj.data.shape_keys.key_blocks
    for i, name in enumerate(blocks.keys()[1:4]):
        kb = blocks[name]
        for j, frame in enumerate(frames):
            kb.value = (0.2 + 0.3 * i + 0.1 * j) % 1.0
            kb.keyframe_insert("value", frame=frame)


def _save(path: Path, compress: bool = True) -> None:
    bpy.ops.wm.save_as_mainfile(filepath=str(path), copy=True, compress=compress)


def _open(demo: Path) -> None:
    bpy.ops.wm.open_mainfile(filepath=str(demo), load_ui=False)


def make(demo: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    _open(demo)
    _save(out / "uncompressed.blend", compress=False)

    for obj in [o for o in bpy.data.objects if o.type == "CAMERA"]:
        bpy.data.objects.remove(obj)
    _save(out / "no_camera.blend")

    _open(demo)
    for obj in [o for o in bpy.data.objects if o.type == "MESH"]:
        bpy.data.objects.remove(obj)
    _save(out / "no_mesh.blend")

    _open(demo)
    head = _head()
    head.shape_key_clear()
    _save(out / "no_shape_keys.blend")

    _open(demo)
    head = _head()
    head.shape_key_clear()
    head.shape_key_add(name="Basis")
    _save(out / "only_basis.blend")

    _open(demo)
    head = _head()
    for i, kb in enumerate(head.data.shape_keys.key_blocks[1:]):
        kb.name = f"blob{i:02d}"
    _save(out / "odd_keys.blend")

    # Pre-animated heads: the user's own keys, in the places a bake could disturb them.
    _open(demo)
    _key_some(_head())
    _save(out / "preanim_shape_keys.blend")

    _open(demo)
    head = _head()
    _key_some(head)
    for frame, z in ((1, 0.0), (24, 0.2)):
        head.location.z = z
        head.keyframe_insert("location", frame=frame)
    _save(out / "preanim_object_and_keys.blend")

    _open(demo)
    head = _head()
    _key_some(head)
    anim = head.data.shape_keys.animation_data
    pushed = anim.action
    track = anim.nla_tracks.new()
    track.strips.new(pushed.name, 1, pushed)
    anim.action = None
    _key_some(head, frames=(5, 40))
    _save(out / "preanim_nla.blend")

    _open(demo)
    head = _head()
    _key_some(head)
    head.data.shape_keys.animation_data.action.name = f"{head.name} Affect"
    _save(out / "preanim_take_name_clash.blend")

    _open(demo)
    head = _head()
    _key_some(head)
    anim = head.data.shape_keys.animation_data
    spare = anim.action
    spare.use_fake_user = True
    anim.action = None
    spare.name = "UserSpare"
    _key_some(head, frames=(2, 8))
    _save(out / "preanim_fake_user.blend")


def main(argv: list[str]) -> int:
    if argv[0] == "make":
        make(Path(argv[1]), Path(argv[2]))
        print(json.dumps({"ok": True}))
        return 0
    if argv[0] == "keys":
        bpy.ops.wm.open_mainfile(filepath=argv[1], load_ui=False)
        print(json.dumps(fingerprint()))
        return 0
    raise SystemExit(f"unknown command {argv[0]!r}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
