"""Run in a fresh interpreter: install the extension zip, enable it, report, disable it.

Prints one JSON object on its last line. Used by test_extension.py so that every check sees a
clean ``sys.modules`` (no heavy module imported by earlier tests).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import tempfile
import time

tmp = tempfile.mkdtemp(prefix="faceaff-probe-")
os.environ["BLENDER_USER_RESOURCES"] = os.path.join(tmp, "user")
os.environ["XDG_CACHE_HOME"] = os.path.join(tmp, "cache")

import bpy  # noqa: E402

HEAVY = ("torch", "cv2", "openai", "scipy", "faster_whisper", "tokenizers", "sounddevice")
MODULE = "bl_ext.user_default.facial_affect"


def faceaff_types() -> list[str]:
    return sorted(n for n in dir(bpy.types) if n.startswith("FACEAFF_"))


def time_register() -> dict:
    """Time a cold import + register() of the add-on package.

    This is what enabling costs once Blender has unpacked the bundled wheels (which it does
    once per install, outside the add-on's control).
    """
    for name in [n for n in sys.modules if n == MODULE or n.startswith(MODULE + ".")]:
        del sys.modules[name]
    start = time.perf_counter()
    module = importlib.import_module(MODULE)
    module.register()
    elapsed = time.perf_counter() - start
    heavy = [m for m in HEAVY if m in sys.modules]
    module.unregister()
    return {"register_s": elapsed, "heavy_after_register": heavy}


def main(zip_path: str) -> dict:
    bpy.ops.wm.read_homefile(use_empty=True, use_factory_startup=True)
    before_types = faceaff_types()
    start = time.perf_counter()
    bpy.ops.extensions.package_install_files(
        filepath=zip_path, repo="user_default", enable_on_install=True
    )
    install_s = time.perf_counter() - start
    enabled = MODULE in bpy.context.preferences.addons
    report = {
        "enabled": enabled,
        "install_s": install_s,
        "types_registered": faceaff_types(),
        "scene_prop": hasattr(bpy.types.Scene, "faceaff"),
        "heavy_loaded": [m for m in HEAVY if m in sys.modules],
        "operators": sorted(dir(bpy.ops.faceaff)),
    }
    if enabled:
        bpy.ops.preferences.addon_disable(module=MODULE)
    report["types_after_disable"] = [t for t in faceaff_types() if t not in before_types]
    report["scene_prop_after_disable"] = hasattr(bpy.types.Scene, "faceaff")
    if enabled:
        report.update(time_register())
    report["reference_enable_s"] = time_reference_addon()
    if enabled:  # last: the job loads scipy & co., which the checks above must not see
        bpy.ops.preferences.addon_enable(module=MODULE)
        report["analyze_and_bake"] = analyze_and_bake()
        bpy.ops.preferences.addon_disable(module=MODULE)
    return report


def analyze_and_bake() -> dict:
    """Run the installed add-on's Analyze + Bake job on a scripted line (no model needed).

    A ``[anger]`` tag directs the line, so the offline text model is not loaded; the job runs
    the installed pipeline on a worker thread and stores the analysis compactly.
    """
    jobs = importlib.import_module(MODULE + ".blender.jobs")
    mesh = bpy.data.meshes.new("Face")
    mesh.from_pydata([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [], [(0, 1, 2)])
    obj = bpy.data.objects.new("Face", mesh)
    bpy.context.scene.collection.objects.link(obj)
    obj.shape_key_add(name="Basis")
    for name in ("browDownLeft", "browDownRight", "jawOpen", "mouthSmileLeft"):
        obj.shape_key_add(name=name)
    settings = bpy.context.scene.faceaff
    settings.target, settings.input_source = obj, "TEXT"
    settings.text = "[anger] Get out of my house."
    result = bpy.ops.faceaff.analyze(bake_after=True)
    deadline = time.monotonic() + 60
    while jobs.is_running() and time.monotonic() < deadline:
        jobs.drain_jobs()  # timers never fire in background Blender
        time.sleep(0.02)
    jobs.drain_jobs()
    anim = obj.data.shape_keys.animation_data
    return {
        "result": sorted(result),
        "status": settings.job_status,
        "error": settings.job_error,
        "stored": settings.analysis_data[:22],
        "action": anim.action.name if anim and anim.action else None,
        "dominant": max(settings.weights, key=lambda w: w.value).name if settings.weights else "",
    }


def time_reference_addon(name: str = "node_wrangler") -> float:
    """Time enabling a UI add-on that ships with Blender (the benchmark's in-run baseline)."""
    import addon_utils

    start = time.perf_counter()
    addon_utils.enable(name, default_set=True)
    elapsed = time.perf_counter() - start
    addon_utils.disable(name, default_set=True)
    return elapsed


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
