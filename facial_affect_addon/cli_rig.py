"""``cli rig ...``: a head's rig, headless (issue 14). Split off :mod:`.cli` to keep it small.

* ``rig suggest --head FILE --out PROFILE.json``: the head's key names → a suggested rig profile.
* ``rig generate --head FILE --object NAME --out OUT.blend``: the 52 ARKit expression keys for a
  head mesh that has none (paper 004; :mod:`.blender.rig_generate`). The user's own keys are
  kept; the output is written under a temporary name and renamed at the end, so a refused head
  writes nothing. ``--points-out P.json`` also writes the key points used (alone, without
  ``--out``: find the points only, to edit them); ``--points P.json`` uses those points
  instead of finding them (:mod:`.core.keygen_points`).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .cli_guard import UsageError
from .core.atomic import OutputSet, shown
from .core.errors import InputError, RigError


def add_rig(sub: Any) -> None:
    """The ``rig`` command and its sub-commands."""
    p = sub.add_parser("rig", allow_abbrev=False, help="a head's shape keys → a rig profile")
    rig = p.add_subparsers(dest="rig_command", required=True)
    s = rig.add_parser("suggest", allow_abbrev=False, help="key names → a JSON rig profile")
    s.add_argument("--head", type=Path, required=True, help="the head .blend")
    s.add_argument("--object", help="object in the head file (default: first with keys)")
    s.add_argument("--out", type=Path, required=True, help="write the profile JSON here")
    g = rig.add_parser(
        "generate", allow_abbrev=False, help="add the 52 ARKit expression keys to a key-less head"
    )
    g.add_argument("--head", type=Path, required=True, help="the head .blend")
    g.add_argument("--object", required=True, help="the head mesh object")
    g.add_argument("--out", type=Path, help="write the head with its keys here")
    g.add_argument(
        "--points", type=Path, help="use these key points (JSON) instead of finding them"
    )
    g.add_argument(
        "--points-out", type=Path, help="write the key points (JSON; alone: find them only)"
    )


def run_rig_command(args: argparse.Namespace) -> int:
    """Run ``rig suggest`` or ``rig generate``."""
    if args.rig_command == "generate":
        return _generate(args)
    return _suggest(args)


def _suggest(args: argparse.Namespace) -> int:
    """``rig suggest``: the head's keys → a suggested profile (written) and its coverage."""
    from .blender.bake import shape_key_names
    from .blender.headless import open_head
    from .core.rig_mapping import suggest_profile
    from .core.rig_profile import save_profile

    if args.out.suffix.lower() != ".json" or args.out.is_dir():
        raise UsageError(f"--out must name a .json file, got {shown(args.out)}.")
    obj = open_head(args.head, args.object)
    profile, coverage = suggest_profile(shape_key_names(obj), name=obj.name)
    if profile is None:
        raise RigError(f"No shape key of {obj.name!r} maps to a face channel.")
    save_profile(profile, args.out)
    print(f"{obj.name}: {coverage.describe()}")
    print(f"channels without a key: {', '.join(coverage.missing_channels) or 'none'}")
    print(f"wrote {shown(args.out)}")
    return 0


def _check_generate_args(args: argparse.Namespace) -> None:
    """``--out`` is a .blend, the points files are .json; one output at least."""
    if args.out is None and args.points_out is None:
        raise UsageError("rig generate needs --out (the head with keys) or --points-out.")
    if args.out is not None and (args.out.suffix.lower() != ".blend" or args.out.is_dir()):
        raise UsageError(f"--out must name a .blend file, got {shown(args.out)}.")
    for flag, path in (("--points", args.points), ("--points-out", args.points_out)):
        if path is not None and (path.suffix.lower() != ".json" or path.is_dir()):
            raise UsageError(f"{flag} must name a .json file, got {shown(path)}.")
    if args.out is None and args.points is not None:
        raise UsageError("--points is for generating keys: give --out too.")


def _generate(args: argparse.Namespace) -> int:
    """``rig generate``: open the head, add the missing ARKit keys, save a copy at ``--out``."""
    import numpy as np

    from .core.keygen_points import load_key_points, save_key_points
    from .core.keygen_table import KEY_POINTS

    _check_generate_args(args)
    if not args.head.is_file():
        raise InputError(f"Head file not found: {shown(args.head)}")
    landmarks = load_key_points(args.points) if args.points is not None else None
    import bpy

    from .blender.headless import save_copy
    from .blender.rig_generate import KEY_POINTS_PROP, detect_landmarks, generate_keys
    from .pipeline.rig_generate import describe_parts

    try:
        bpy.ops.wm.open_mainfile(filepath=str(args.head), load_ui=False)
    except RuntimeError:
        raise InputError(f"Cannot open {shown(args.head)} as a .blend file.") from None
    obj = bpy.data.objects.get(args.object)
    if obj is None:
        raise RigError(f"No object {args.object!r} in {shown(args.head.name)}.")
    if args.out is None:  # find the key points only
        save_key_points(args.points_out, detect_landmarks(obj), obj.name)
        print(f"{obj.name}: {len(KEY_POINTS)} key points (and 468 landmarks) found")
        print(f"wrote {shown(args.points_out)}")
        return 0
    plan, times = generate_keys(obj, landmarks)
    for warning in plan.warnings:
        print(f"warning: {warning}")
    with OutputSet() as outputs:
        save_copy(outputs.temp(args.out), args.out)
        if args.points_out is not None:
            used = np.asarray(obj[KEY_POINTS_PROP], dtype=np.float64).reshape(-1, 3)
            save_key_points(outputs.temp(args.points_out), used, obj.name)
    took = sum(times.values())
    print(
        f"{obj.name}: {len(plan.write)} expression keys in {took:.2f} s "
        f"(key points {times['landmarks']:.2f} s, keys {times['keys']:.2f} s)"
    )
    print(describe_parts(plan.rigid_parts))
    print(f"wrote {shown(args.out)}")
    return 0
