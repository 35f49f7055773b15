"""Render labelled micro-expression clips from the demo head and generated heads (runs with bpy).

Usage::

    .venv/bin/python tools/make_micro_clips.py --out out/micro_clips --clips-per-head 10

Heads: ``demo`` is the demo head with its authored keys; ``gen0``, ``gen1``... are the demo
head's mesh without keys, reshaped (width, height, depth and jaw width drawn per head), whose 52
ARKit keys are then made by Generate Expression Keys (``blender.rig_generate.generate_keys``,
what ``cli rig generate`` runs). The last ``--heldout`` generated heads are held out: their clips
carry ``"heldout": true`` and ``tools/train_micro.py`` never trains on them.

Each clip is ``--seconds`` long at ``--fps`` with one burst of a random non-neutral emotion
(:func:`core.micro.make_burst`: seed AU from the cited prototype, the rest through the AU
co-occurrence graph), baked through the product's own path (``pipeline.curves`` with
``SynthesisOptions.micro_bursts`` → ``blender.bake``). Varied per clip: burst size (duration
120-400 ms, apex 0.4-0.9), camera (yaw ±12°, pitch ±6°, distance ±10 %), lighting (studio light
turned ±90°) and head motion (a slow drift of up to 2° and 2 mm). Labels come from the baked
curves, so they are what is on screen: onset/offset where the burst's key motion crosses 10 % of
its peak, apex at the peak, AUs whose apex amplitude is at least 0.1.

Rendering is the demo head's Workbench look without anti-aliasing, shadows or cavity, at
``--size`` px (160) as one animation render per clip (0.6 s a frame on 2 busy cores; a still per
frame costs 4-20 s). Output: ``OUT/<head>_<n>.mp4`` (OpenCV, mp4v) and ``OUT/labels.json``
(format ``micro-clips/1``, see ``tools/_micro_data.py``), rewritten atomically after every clip.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from math import radians
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tools")]
os.environ.setdefault(
    "BLENDER_USER_RESOURCES", str(Path(tempfile.gettempdir()) / "faceaff-micro-clips")
)

import bpy  # noqa: E402
import numpy as np  # noqa: E402
from _micro_data import SYNTHETIC_FORMAT  # noqa: E402
from mathutils import Matrix, Vector  # noqa: E402

from facial_affect_addon.blender import bake  # noqa: E402
from facial_affect_addon.core.atomic import atomic_write_text  # noqa: E402
from facial_affect_addon.core.emotions import EMOTION_NAMES  # noqa: E402
from facial_affect_addon.core.micro import MicroBurst, MicroOptions, make_burst  # noqa: E402
from facial_affect_addon.pipeline.curves import performance_curves  # noqa: E402
from facial_affect_addon.pipeline.options import (  # noqa: E402
    FaceMode,
    PerformanceOptions,
    SynthesisOptions,
)
from facial_affect_addon.pipeline.text import performance_from_weights  # noqa: E402

DEMO_HEAD = REPO / "models" / "demo_head.blend"
DEMO_OBJECT = "DemoHead"
EMOTIONS = tuple(e for e in EMOTION_NAMES if e != "neutral")
BURSTS = MicroOptions(duration_range=(0.12, 0.4), intensity_range=(0.4, 0.9))
AU_MIN = 0.1
EXTENT = 0.1


def head_centre(obj) -> Vector:
    """Middle of the object's world bounding box."""
    corners = np.array([obj.matrix_world @ Vector(c) for c in obj.bound_box])
    return Vector(((corners.min(0) + corners.max(0)) / 2.0).tolist())


def generated_head(demo, name: str, rng: np.random.Generator):
    """A reshaped key-less copy of the demo head with generated ARKit keys."""
    from facial_affect_addon.blender.rig_generate import generate_keys

    obj = demo.copy()
    obj.data = demo.data.copy()
    obj.name = name
    bpy.context.scene.collection.objects.link(obj)
    obj.shape_key_clear()
    co = np.empty(len(obj.data.vertices) * 3)
    obj.data.vertices.foreach_get("co", co)
    co = co.reshape(-1, 3)
    centre = (co.min(0) + co.max(0)) / 2.0
    low = np.clip((centre[2] - co[:, 2]) / np.ptp(co[:, 2]) * 2.0, 0.0, 1.0)  # 0 above mid
    scale = rng.uniform([0.9, 0.93, 0.92], [1.1, 1.07, 1.08])
    jaw = rng.uniform(-0.08, 0.08)
    co = centre + (co - centre) * scale
    co[:, 0] = centre[0] + (co[:, 0] - centre[0]) * (1.0 + jaw * low)
    obj.data.vertices.foreach_set("co", co.ravel())
    obj.data.update()
    generate_keys(obj)
    return obj


def burst_curves(obj, burst: MicroBurst, fps: float, seconds: float):
    """The burst on a neutral performance, as the rig's curves."""
    synthesis = SynthesisOptions(
        fps=fps, frame_start=1, n_frames=round(seconds * fps), micro_bursts=(burst,), life=False
    )
    performance = performance_from_weights({"neutral": 1.0}, max(seconds, 4.0))  # all zero
    return performance_curves(
        performance, bake.shape_key_names(obj), PerformanceOptions(synthesis, FaceMode.EMOTION)
    )


def labels_from_curves(curves) -> tuple[float, float, float] | None:
    """Onset, apex, offset (s from the first frame) of the curves' motion; None if none."""
    values = np.array([np.asarray(v) for v in curves.channels.values()])
    motion = np.abs(values - values[:, :1]).max(axis=0)
    peak = float(motion.max())
    if peak <= 1e-3:
        return None
    above = np.flatnonzero(motion >= EXTENT * peak)
    fps = curves.fps
    return above[0] / fps, int(np.argmax(motion)) / fps, above[-1] / fps


def vary_view(obj, base_camera: Matrix, rng: np.random.Generator) -> dict:
    """Turn the camera about the head, move it, turn the studio light, add head drift."""
    scene = bpy.context.scene
    pivot = head_centre(obj)
    yaw, pitch = rng.uniform(-12, 12), rng.uniform(-6, 6)
    dist = rng.uniform(0.9, 1.1)
    turn = Matrix.Rotation(radians(yaw), 4, "Z") @ Matrix.Rotation(radians(pitch), 4, "X")
    cam = Matrix.Translation(pivot) @ turn @ Matrix.Translation(-pivot) @ base_camera
    loc = pivot + (cam.translation - pivot) * dist
    cam.translation = loc
    scene.camera.matrix_world = cam
    shading = scene.display.shading
    shading.use_world_space_lighting = True
    light = rng.uniform(-90, 90)
    shading.studiolight_rotate_z = radians(light)
    drift = rng.uniform(0, 2.0)
    obj.animation_data_clear()
    start = obj.rotation_euler.copy()
    for frame, phase in ((1, 0.0), (scene.frame_end, 1.0)):
        obj.rotation_euler = (start.x + radians(drift * phase * 0.5), start.y, start.z)
        obj.rotation_euler.z = start.z + radians(drift * phase)
        obj.keyframe_insert("rotation_euler", frame=frame)
        obj.location.x += 0.002 * phase * rng.uniform(-1, 1)
        obj.keyframe_insert("location", frame=frame)
    obj.rotation_euler = start
    return {"yaw": yaw, "pitch": pitch, "distance": dist, "light": light, "drift_deg": drift}


def render_clip(folder: Path, path: Path, fps: float) -> None:
    """Render the scene's frame range and write it as an mp4."""
    import cv2

    scene = bpy.context.scene
    scene.render.filepath = str(folder / "f_")
    bpy.ops.render.render(animation=True)
    frames = sorted(folder.glob("f_*.png"))
    first = cv2.imread(str(frames[0]))
    h, w = first.shape[:2]
    tmp = path.with_name(f".{path.name}")
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for f in frames:
        writer.write(cv2.imread(str(f)))
        f.unlink()
    writer.release()
    os.replace(tmp, path)


def setup_scene(size: int, fps: float, seconds: float) -> None:
    """The demo head's Workbench look, made cheap: no anti-aliasing, shadows or cavity."""
    scene = bpy.context.scene
    scene.render.engine = "BLENDER_WORKBENCH"
    scene.display.render_aa = "OFF"
    scene.display.shading.show_shadows = False
    scene.display.shading.show_cavity = False
    scene.render.resolution_x = scene.render.resolution_y = size
    scene.render.resolution_percentage = 100
    scene.render.image_settings.file_format = "PNG"
    scene.render.fps, scene.render.fps_base = round(fps), 1.0
    scene.frame_start, scene.frame_end = 1, round(seconds * fps)


def make_clip(obj, name: str, args, rng, base_camera, tmp: Path) -> dict | None:
    """Bake, vary, render one clip of ``obj``; its label entry (None: no visible burst)."""
    start = rng.uniform(0.25, 0.65) * args.seconds
    burst = make_burst(start, str(rng.choice(EMOTIONS)), BURSTS, rng)
    curves = burst_curves(obj, burst, args.fps, args.seconds)
    times = labels_from_curves(curves)
    if times is None:
        return None
    bake.bake_curves(obj, curves, bake.BakeOptions(take_name="Micro", replace=True))
    view = vary_view(obj, base_camera, rng)
    file = f"{name}.mp4"
    render_clip(tmp, args.out / file, args.fps)
    aus = sorted({ch.split("_")[0] for ch, v in burst.apex if v >= AU_MIN}, key=_au_number)
    return {
        "file": file,
        "fps": args.fps,
        "frames": round(args.seconds * args.fps),
        "onset": round(times[0], 4),
        "apex": round(times[1], 4),
        "offset": round(times[2], 4),
        "aus": aus,
        "emotion": burst.emotion,
        "intensity": round(max(v for _, v in burst.apex), 3),
        **{k: round(v, 3) for k, v in view.items()},
    }


def _au_number(code: str) -> int:
    return int(code[2:])


def run(args) -> list[dict]:
    """Render every head's clips; returns the label entries (also written to labels.json)."""
    rng = np.random.default_rng(args.seed)
    bpy.ops.wm.open_mainfile(filepath=str(DEMO_HEAD), load_ui=False)
    demo = bpy.data.objects[DEMO_OBJECT]
    setup_scene(args.size, args.fps, args.seconds)
    heads = {"demo": demo}
    for k in range(args.generated):
        heads[f"gen{k}"] = generated_head(demo, f"gen{k}", rng)
    heldout = set(list(heads)[len(heads) - args.heldout :]) if args.heldout else set()
    base_camera = bpy.context.scene.camera.matrix_world.copy()
    args.out.mkdir(parents=True, exist_ok=True)
    clips: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="faceaff-micro-") as tmp:
        for head, obj in heads.items():
            for other in heads.values():
                other.hide_render = other is not obj
            for n in range(args.clips_per_head):
                entry = make_clip(obj, f"{head}_{n:03d}", args, rng, base_camera, Path(tmp))
                if entry is None:
                    continue
                clips.append({**entry, "head": head, "heldout": head in heldout})
                data = {"format": SYNTHETIC_FORMAT, "caveat": "synthetic renders; CG faces only"}
                atomic_write_text(args.out / "labels.json", json.dumps({**data, "clips": clips}))
    return clips


def main(argv: list[str] | None = None) -> int:
    """Parse options and render."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=REPO / "out" / "micro_clips")
    p.add_argument("--clips-per-head", type=int, default=10)
    p.add_argument("--generated", type=int, default=2, help="generated heads besides the demo")
    p.add_argument("--heldout", type=int, default=1, help="last N heads held out")
    p.add_argument("--fps", type=float, default=25.0)
    p.add_argument("--seconds", type=float, default=2.0)
    p.add_argument("--size", type=int, default=160)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    clips = run(args)
    print(f"wrote {len(clips)} clips and {args.out / 'labels.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
