"""``cli rig ...``: a head's rig, headless (issue 14). Split off :mod:`.cli` to keep it small.

* ``rig suggest --head FILE --out PROFILE.json``: the head's key names → a suggested rig profile.
* ``rig generate --head FILE --object NAME --out OUT.blend``: the 52 ARKit expression keys for a
  head mesh that has none (paper 004; :mod:`.blender.rig_generate`). The user's own keys are
  kept; the output is written under a temporary name and renamed at the end, so a refused head
  writes nothing.
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
    g.add_argument("--out", type=Path, required=True, help="write the head with its keys here")


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


def _generate(args: argparse.Namespace) -> int:
    """``rig generate``: open the head, add the missing ARKit keys, save a copy at ``--out``."""
    if args.out.suffix.lower() != ".blend" or args.out.is_dir():
        raise UsageError(f"--out must name a .blend file, got {shown(args.out)}.")
    if not args.head.is_file():
        raise InputError(f"Head file not found: {shown(args.head)}")
    import bpy

    from .blender.headless import save_copy
    from .blender.rig_generate import generate_keys

    try:
        bpy.ops.wm.open_mainfile(filepath=str(args.head), load_ui=False)
    except RuntimeError:
        raise InputError(f"Cannot open {shown(args.head)} as a .blend file.") from None
    obj = bpy.data.objects.get(args.object)
    if obj is None:
        raise RigError(f"No object {args.object!r} in {shown(args.head.name)}.")
    plan, times = generate_keys(obj)
    for warning in plan.warnings:
        print(f"warning: {warning}")
    with OutputSet() as outputs:
        save_copy(outputs.temp(args.out), args.out)
    took = sum(times.values())
    print(
        f"{obj.name}: {len(plan.write)} expression keys in {took:.2f} s "
        f"(key points {times['landmarks']:.2f} s, keys {times['keys']:.2f} s)"
    )
    print(f"wrote {shown(args.out)}")
    return 0
