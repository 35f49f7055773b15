"""Bake benchmark: bulk ``foreach_set`` bake vs. per-key ``keyframe_insert`` on the same curves.

``bake_52x14400`` bakes 52 ARKit channels × 14,400 frames (10 minutes at 24 fps) with
:func:`facial_affect_addon.blender.bake.bake_curves` and times the classic per-key loop
(set the value, ``keyframe_insert``) on the same data in the same run.

``keyframe_insert`` grows each F-curve's key array one key at a time, so its cost per curve is
quadratic in the frame count but independent between curves. Timing all 52 curves would take
about ten minutes, so the baseline times ``BASELINE_CURVES`` of them at the full 14,400 frames and
scales linearly by curve count (stated in the entry's note); pass ``FACEAFF_BENCH_FULL=1`` to
time all 52.
"""

from __future__ import annotations

import os
import time

import numpy as np

N_CHANNELS = 52
N_FRAMES = 14_400
BASELINE_CURVES = 2


def _setup():
    import bpy

    bpy.ops.wm.read_homefile(use_empty=True, use_factory_startup=True)
    mesh = bpy.data.meshes.new("BenchFace")
    mesh.from_pydata([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [], [(0, 1, 2)])
    obj = bpy.data.objects.new("BenchFace", mesh)
    bpy.context.scene.collection.objects.link(obj)
    obj.shape_key_add(name="Basis")
    names = [f"key{i:02d}" for i in range(N_CHANNELS)]
    for name in names:
        obj.shape_key_add(name=name)
    return obj, names


def _curves(names):
    from facial_affect_addon.core.curveset import CurveSet

    t = np.arange(N_FRAMES) / 24.0
    rng = np.random.default_rng(0)
    channels = {
        n: 0.5 + 0.5 * np.sin(2 * np.pi * t / rng.uniform(2, 8) + rng.uniform(0, 6)) for n in names
    }
    return CurveSet(frame_start=1, fps=24.0, channels=channels)


def _time_keyframe_insert(obj, curves, n_curves: int) -> float:
    blocks = obj.data.shape_keys.key_blocks
    start = time.perf_counter()
    for name in list(curves.channels)[:n_curves]:
        kb = blocks[name]
        for i, value in enumerate(curves.channels[name].tolist()):
            kb.value = value
            kb.keyframe_insert("value", frame=curves.frame_start + i)
    return time.perf_counter() - start


def run() -> list[dict]:
    """Time the bulk bake (best of 3) and the keyframe_insert baseline."""
    from facial_affect_addon.blender import bake

    obj, names = _setup()
    curves = _curves(names)
    bulk = []
    for i in range(3):
        start = time.perf_counter()
        bake.bake_curves(obj, curves, bake.BakeOptions(take_name=f"bench{i}"))
        bulk.append(time.perf_counter() - start)
    full = os.environ.get("FACEAFF_BENCH_FULL") == "1"
    n_base = N_CHANNELS if full else BASELINE_CURVES
    obj.data.shape_keys.animation_data_clear()
    baseline = _time_keyframe_insert(obj, curves, n_base) * N_CHANNELS / n_base
    value = min(bulk)
    note = (
        "baseline: keyframe_insert on all 52 curves"
        if full
        else f"baseline: keyframe_insert timed on {n_base} of 52 curves at 14,400 frames, "
        "scaled ×52/{n} (per-curve cost is independent)".replace("{n}", str(n_base))
    )
    return [
        {
            "name": "bake_52x14400",
            "value": value,
            "unit": "s",
            "baseline": baseline,
            "ratio": baseline / value,
            "note": note,
        }
    ]
