"""Run by a *bare* Python (nothing but ``bpy`` and its numpy): install the zip, use every input.

Usage: ``python installed_probe.py ZIP WAV VIDEO [LINE]`` (LINE: the WAV's text, to align).
Prints one JSON object on its last line.

This is the interpreter a user's Blender has: no OpenCV, scipy, tokenizers, faster-whisper or
openai. Whatever analysis works here works because the zip bundles it. Each input mode goes
through the installed extension's own panel operator (Analyze with "bake after"), on a worker
thread as in the UI, and the probe records where the heavy modules were imported from.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys
import tempfile
import time

tmp = tempfile.mkdtemp(prefix="faceaff-installed-")
os.environ["BLENDER_USER_RESOURCES"] = os.path.join(tmp, "user")
os.environ["XDG_CACHE_HOME"] = os.path.join(tmp, "cache")

import bpy  # noqa: E402

MODULE = "bl_ext.user_default.facial_affect"
HEAVY = ("cv2", "scipy", "tokenizers", "faster_whisper", "ctranslate2", "av", "safetensors",
         "pocketsphinx", "ai_edge_litert")  # fmt: skip
KEYS = ("browDownLeft", "browDownRight", "browInnerUp", "jawOpen", "mouthSmileLeft",
        "mouthSmileRight", "mouthFrownLeft", "eyeWideLeft", "cheekSquintLeft")  # fmt: skip


def face_object(name: str) -> bpy.types.Object:
    """A one-triangle mesh with a few ARKit shape keys (the bake target)."""
    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [], [(0, 1, 2)])
    obj = bpy.data.objects.new(name, mesh)
    bpy.context.scene.collection.objects.link(obj)
    obj.shape_key_add(name="Basis")
    for key in KEYS:
        obj.shape_key_add(name=key)
    return obj


def analyze(source: str, **values) -> dict:
    """Analyze + Bake one input through the installed panel operator; the outcome."""
    jobs = importlib.import_module(MODULE + ".blender.jobs")
    obj = face_object(f"Face{source.title()}")
    settings = bpy.context.scene.faceaff
    settings.target, settings.input_source = obj, source
    for name, value in values.items():
        setattr(settings, name, value)
    start = time.perf_counter()
    result = bpy.ops.faceaff.analyze(bake_after=True)
    deadline = time.monotonic() + 300
    while jobs.is_running() and time.monotonic() < deadline:
        jobs.drain_jobs()  # timers never fire in background Blender
        time.sleep(0.05)
    jobs.drain_jobs()
    anim = obj.data.shape_keys.animation_data
    action = anim.action if anim else None
    return {
        "result": sorted(result),
        "seconds": round(time.perf_counter() - start, 2),
        "status": settings.job_status,
        "error": settings.job_error,
        "action": action.name if action else None,
        "curves": _curve_count(action),
        "weights": {w.name: round(w.value, 4) for w in settings.weights},
    }


def report_and_spot(video: str) -> dict:
    """Issue 15/16 from the zip: a report written for a preset, micro-expressions spotted."""
    text = importlib.import_module(MODULE + ".pipeline.text")
    report = importlib.import_module(MODULE + ".pipeline.report")
    micro_spot = importlib.import_module(MODULE + ".pipeline.micro_spot")
    out = tempfile.mkdtemp(prefix="faceaff-report-")
    built = report.build_report(text.performance_from_weights({"happiness": 1.0}, 3.0))
    files = report.write_report(built, out)
    spotted = micro_spot.spot_video(video)
    return {
        "report_files": sorted(os.path.basename(str(f)) for f in files),
        "spot_micro": len(spotted.micro),
        "spot_fps": float(spotted.fps),
    }


def align(wav: str, text: str) -> dict:
    """Issue 17: the zip's slim PocketSphinx (no language model) aligns the WAV's phones."""
    audio = importlib.import_module(MODULE + ".adapters.audio")
    phone_align = importlib.import_module(MODULE + ".adapters.phone_align")
    clip = audio.load_audio(wav)
    aligned = phone_align.align_transcript(clip.samples, clip.sample_rate, text)
    return {
        "method": aligned.method,
        "notice": aligned.notice,
        "bilabials": sum(p.symbol in ("P", "B", "M") for p in aligned.phones),
        "end": max(p.end for p in aligned.phones),
    }


def _curve_count(action) -> int:
    if action is None:
        return 0
    layers = getattr(action, "layers", None)
    if layers:  # slotted actions (Blender 4.4+): curves live in channelbags
        bags = [bag for layer in layers for strip in layer.strips for bag in strip.channelbags]
        return sum(len(bag.fcurves) for bag in bags)
    return len(action.fcurves)


def main(zip_path: str, wav: str, video: str, line: str = "") -> dict:
    bpy.ops.wm.read_homefile(use_empty=True, use_factory_startup=True)
    missing = [m for m in HEAVY if importlib.util.find_spec(m) is not None]
    bpy.ops.extensions.package_install_files(
        filepath=zip_path, repo="user_default", enable_on_install=True
    )
    report = {
        "python": sys.version.split()[0],
        "bpy": bpy.app.version_string,
        "preinstalled_heavy": missing,  # must be empty: the interpreter is bare
        "enabled": MODULE in bpy.context.preferences.addons,
    }
    if not report["enabled"]:
        return report
    report["text"] = analyze("TEXT", text="I am so happy to see you again, this is wonderful!")
    report["audio"] = analyze("AUDIO", audio_path=wav)
    report["video"] = analyze("VIDEO", video_path=video, video_drive="EMOTION")
    report["report_and_spot"] = report_and_spot(video)
    report["align"] = align(wav, line) if line else None
    report["heavy_from"] = {
        m: os.path.dirname(sys.modules[m].__file__) for m in HEAVY if m in sys.modules
    }
    return report


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:5])))
