"""Measure landmark capture (``core/capture.py``) against the demo head's known shape-key values.

Usage::

    .venv/bin/python tools/validate_capture.py [--out out/capture_validation.json]

For every key in ``CAPTURE_NAMES`` the demo head (``models/demo_head.blend``) is posed with that
key alone at 0.25, 0.5, 0.75 and 1.0, and each pose is captured against the neutral pose
(all keys 0) with ``capture_weights(..., CaptureOptions(neutral_index=0, smoothing=False,
head_rotation=False))``. Two paths give the landmarks:

* ``render``: end to end. A Workbench render (512 px, the file's camera and studio lighting)
  goes through ``FaceAnalyzer`` (BlazeFace + MediaPipe face mesh) and the iris model's lids
  (``ml.iris.IrisLandmarker.refine``), as a video frame would.
* ``geometry``: the rules alone. Vertices 0-467 of the evaluated mesh *are* the MediaPipe
  landmarks, so they are projected with the scene camera to pixels (z: depth in the same pixel
  scale, as MediaPipe's z) and captured directly. The Subdivision modifier is switched off for
  this read so that the vertices are the landmark positions themselves.

Per key it reports the captured weight at each level, Pearson r and MAE against the truth
levels, the raw rule signal (see ``expression_signals``), and cross-talk: the largest captured
weight of any other key, its mirrored partner excepted, at truth 1.0. Per rule it reports the
range that would map the measured signal slope to weight 1 at truth 1 (what calibration uses).

Everything here measures the project's own synthetic head, whose key amplitudes were set by
hand in ``tools/_demo_head_key_table.py``; it says nothing about accuracy on real faces.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

# Keep Blender away from the user's own configuration when run as a script.
_TMP = Path(tempfile.gettempdir()) / "faceaff-validate-capture"
os.environ.setdefault("BLENDER_USER_RESOURCES", str(_TMP / "user"))

import bpy  # noqa: E402
import numpy as np  # noqa: E402
from bpy_extras.object_utils import world_to_camera_view  # noqa: E402

from facial_affect_addon.core import capture  # noqa: E402

DEMO_HEAD = REPO / "models" / "demo_head.blend"
LEVELS: tuple[float, ...] = (0.25, 0.5, 0.75, 1.0)
RESOLUTION = 512
OPTIONS = capture.CaptureOptions(neutral_index=0, smoothing=False, head_rotation=False)
PATHS = ("render", "geometry")


# --- posing and reading the head -------------------------------------------------------------


def open_head(path: Path = DEMO_HEAD) -> bpy.types.Object:
    """Open the demo head file and return its ``DemoHead`` object."""
    bpy.ops.wm.open_mainfile(filepath=str(path), load_ui=False)
    return bpy.data.objects["DemoHead"]


def pose(obj: bpy.types.Object, values: dict[str, float]) -> None:
    """Set every shape key to 0, then the given ones to their values."""
    blocks = obj.data.shape_keys.key_blocks
    for block in blocks[1:]:
        block.value = 0.0
    for name, value in values.items():
        blocks[name].value = value
    bpy.context.view_layer.update()


def render_rgb(path: Path, resolution: int = RESOLUTION) -> np.ndarray:
    """Render the current pose (Workbench) to ``path`` and return it as RGB uint8, row 0 on top."""
    from facial_affect_addon.blender.headless import render_still

    render_still(path, resolution=resolution)
    image = bpy.data.images.load(str(path))
    try:
        w, h = image.size
        pixels = np.empty(w * h * 4, dtype=np.float32)
        image.pixels.foreach_get(pixels)
    finally:
        bpy.data.images.remove(image)
    rgb = pixels.reshape(h, w, 4)[::-1, :, :3]  # Blender's row 0 is the bottom
    return (np.clip(rgb, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def projected_landmarks(obj: bpy.types.Object, resolution: int = RESOLUTION) -> np.ndarray:
    """Vertices 0-467 of the posed, unsubdivided mesh as (468, 3) image points in pixels.

    x, y are pixels (y down, as in an image); z is the depth relative to the landmarks' mean
    depth, converted to pixels at that depth, like MediaPipe's z.
    """
    scene = bpy.context.scene
    subsurf = [m for m in obj.modifiers if m.type == "SUBSURF" and m.show_viewport]
    for mod in subsurf:
        mod.show_viewport = False
    try:
        depsgraph = bpy.context.evaluated_depsgraph_get()
        mesh = obj.evaluated_get(depsgraph).to_mesh()
        try:
            local = np.empty(len(mesh.vertices) * 3)
            mesh.vertices.foreach_get("co", local)
        finally:
            obj.evaluated_get(depsgraph).to_mesh_clear()
    finally:
        for mod in subsurf:
            mod.show_viewport = True
    local = local.reshape(-1, 3)[: capture.N_LANDMARKS]
    world = np.c_[local, np.ones(len(local))] @ np.array(obj.matrix_world).T
    from mathutils import Vector

    ndc = np.array([tuple(world_to_camera_view(scene, scene.camera, Vector(p[:3]))) for p in world])
    cam = scene.camera.data
    px_per_m = resolution * cam.lens / cam.sensor_width / ndc[:, 2].mean()
    return np.column_stack(
        [
            ndc[:, 0] * resolution,
            (1.0 - ndc[:, 1]) * resolution,
            (ndc[:, 2] - ndc[:, 2].mean()) * px_per_m,
        ]
    )


# --- capture and metrics ---------------------------------------------------------------------


def captured(neutral: np.ndarray, frame: np.ndarray) -> tuple[dict[str, float], dict[str, float]]:
    """Weights (``capture_weights``) and raw rule signals of ``frame`` against ``neutral``."""
    res = capture.capture_weights(np.stack([neutral, frame]), np.array([0.0, 1.0]), OPTIONS)
    weights = dict(zip(res.names, (float(v) for v in res.weights[1]), strict=True))
    signals = capture.expression_signals(
        capture.to_face_coords(frame, neutral), capture.to_face_coords(neutral, neutral)
    )
    return weights, signals


def mirror_of(name: str) -> str:
    """The mirrored partner of a sided key (itself for a centre key)."""
    if name.endswith("Left"):
        return name.removesuffix("Left") + "Right"
    if name.endswith("Right"):
        return name.removesuffix("Right") + "Left"
    return name


def crosstalk(key: str, weights: dict[str, float]) -> tuple[str, float]:
    """The largest weight of any key other than ``key`` and its mirrored partner."""
    others = {k: v for k, v in weights.items() if k not in (key, mirror_of(key))}
    worst = max(others, key=others.__getitem__)
    return worst, others[worst]


def pearson(truth: np.ndarray, values: np.ndarray) -> float | None:
    """Pearson r, or None when either side is constant (e.g. a key that never registers)."""
    if np.ptp(values) < 1e-9 or np.ptp(truth) < 1e-9:
        return None
    return float(np.corrcoef(truth, values)[0, 1])


def slope(truth: np.ndarray, values: np.ndarray) -> float:
    """Least-squares slope of ``values`` against ``truth`` through the origin."""
    return float(truth @ values / (truth @ truth))


@dataclass
class KeyMeasure:
    """One key's frames on one path (NaN where the face or landmarks were not found)."""

    key: str
    weights: list[dict[str, float]] = field(default_factory=list)
    signals: list[dict[str, float]] = field(default_factory=list)

    def summary(self, levels: tuple[float, ...] = LEVELS) -> dict:
        """Captured weight per level, r, MAE, signal slope and cross-talk at the top level."""
        truth = np.array(levels)
        got = np.array([w.get(self.key, np.nan) for w in self.weights])
        sig = np.array([s.get(self.key, np.nan) for s in self.signals])
        found = np.isfinite(got)
        out: dict = {
            "captured": [None if not np.isfinite(v) else round(float(v), 4) for v in got],
            "signal": [None if not np.isfinite(v) else round(float(v), 5) for v in sig],
            "frames_found": int(found.sum()),
            "r": None,
            "mae": None,
            "at_1": None,
            "signal_slope": None,
            "crosstalk": None,
        }
        if found.sum() >= 2:
            out["r"] = pearson(truth[found], got[found])
            out["mae"] = float(np.abs(got[found] - truth[found]).mean())
            out["signal_slope"] = slope(truth[found], sig[found])
        if found[-1]:
            out["at_1"] = float(got[-1])
            name, value = crosstalk(self.key, self.weights[-1])
            out["crosstalk"] = {"key": name, "weight": round(value, 4)}
        return out


# --- running ---------------------------------------------------------------------------------


def measure(
    keys: tuple[str, ...] = capture.CAPTURE_NAMES,
    levels: tuple[float, ...] = LEVELS,
    workdir: Path | None = None,
    resolution: int = RESOLUTION,
    render: bool = True,
    analyzer=None,
) -> dict:
    """Pose, render/project and capture every key at every level on the open demo head.

    Args:
        keys: Shape keys to measure (each alone).
        levels: Truth values of the key.
        workdir: Folder for the renders (a temporary one if None).
        resolution: Render size in pixels.
        render: Also run the render path (needs the face models).
        analyzer: A ``FaceAnalyzer`` (created if None and ``render`` is set).

    Returns:
        ``{"render"|"geometry": {"neutral_found": bool, "frames": n, "found": n,
        "keys": {key: KeyMeasure}, "neutral_repeat": weights, "neutral_repeat_signals":
        signals}}``: the neutral pose captured again after all keys (truth 0 everywhere).
    """
    obj = bpy.data.objects["DemoHead"]
    workdir = Path(workdir or tempfile.mkdtemp(prefix="faceaff-capture-"))
    paths = PATHS if render else ("geometry",)
    if render:
        from facial_affect_addon.ml.iris import IrisLandmarker

        iris = IrisLandmarker()
    if render and analyzer is None:
        from facial_affect_addon.ml.faces import FaceAnalyzer

        analyzer = FaceAnalyzer()

    def landmarks(path: str, name: str) -> np.ndarray | None:
        if path == "geometry":
            return projected_landmarks(obj, resolution)
        rgb = render_rgb(workdir / f"{name}.png", resolution)
        obs = analyzer.analyze(rgb)
        return None if obs is None or obs.landmarks is None else iris.refine(rgb, obs.landmarks)

    pose(obj, {})
    neutral = {p: landmarks(p, "neutral") for p in paths}
    out = {p: {"neutral_found": neutral[p] is not None, "frames": 1, "found": 0} for p in paths}
    for p in paths:
        out[p]["found"] += neutral[p] is not None
        out[p]["keys"] = {k: KeyMeasure(k) for k in keys}

    def frame(p: str, name: str) -> tuple[dict, dict]:
        points = landmarks(p, name)
        out[p]["frames"] += 1
        if points is None or neutral[p] is None:
            return {}, {}
        out[p]["found"] += 1
        return captured(neutral[p], points)

    for key in keys:
        for level in levels:
            pose(obj, {key: level})
            for p in paths:
                weights, signals = frame(p, f"{key}_{level:.2f}")
                out[p]["keys"][key].weights.append(weights)
                out[p]["keys"][key].signals.append(signals)
    pose(obj, {})
    for p in paths:
        out[p]["neutral_repeat"], out[p]["neutral_repeat_signals"] = frame(p, "neutral_repeat")
    return out


# Ranges that are not a key's own rule: range -> (posed key, signal that the range scales).
GATES = {"funnel_narrowing": ("mouthFunnel", "mouthPucker")}


def fitted_ranges(keys: dict[str, KeyMeasure], levels: tuple[float, ...]) -> dict:
    """Per range: the mean signal slope of its keys (the range giving weight 1 at truth 1)."""
    truth = np.array(levels)
    by_rule: dict[str, list[float]] = {}
    pairs = [(k, k, capture.CAPTURE_RULES[k]) for k in keys]
    pairs += [(key, sig, rule) for rule, (key, sig) in GATES.items() if key in keys]
    for key, sig, rule in pairs:
        values = np.array([s.get(sig, np.nan) for s in keys[key].signals])
        found = np.isfinite(values)
        if found.sum() >= 2:
            by_rule.setdefault(rule, []).append(slope(truth[found], values[found]))
    return {rule: (float(np.mean(by_rule[rule])) if rule in by_rule else None) for rule in by_rule}


def report(raw: dict, levels: tuple[float, ...] = LEVELS) -> dict:
    """The JSON-ready report of :func:`measure`'s output."""
    paths = {}
    for p, data in raw.items():
        keys = {k: m.summary(levels) for k, m in data["keys"].items()}
        rs = [s["r"] for s in keys.values() if s["r"] is not None]
        maes = [s["mae"] for s in keys.values() if s["mae"] is not None]
        tops = [s["at_1"] for s in keys.values() if s["at_1"] is not None]
        talk = [s["crosstalk"]["weight"] for s in keys.values() if s["crosstalk"]]
        repeat = data["neutral_repeat"]
        paths[p] = {
            "neutral_found": data["neutral_found"],
            "frames_found": f"{data['found']}/{data['frames']}",
            "neutral_repeat_max": max(repeat.values()) if repeat else None,
            "summary": {
                "median_r": float(np.median(rs)) if rs else None,
                "keys_without_r": len(keys) - len(rs),
                "mean_mae": float(np.mean(maes)) if maes else None,
                "median_at_1": float(np.median(tops)) if tops else None,
                "max_crosstalk": float(np.max(talk)) if talk else None,
            },
            "keys": keys,
            "fitted_ranges": fitted_ranges(data["keys"], levels),
        }
    follow = {}
    if len(paths) == 2:  # how much of the true landmark motion the landmark model reproduces
        for key in raw["geometry"]["keys"]:
            geo = paths["geometry"]["keys"][key]["signal_slope"]
            ren = paths["render"]["keys"][key]["signal_slope"]
            if geo and ren is not None and abs(geo) > 1e-9:
                follow[key] = round(ren / geo, 3)
    return {
        "what": "capture_weights vs demo-head shape-key truth (synthetic head, not real faces)",
        "landmark_follow": follow,
        "levels": list(levels),
        "resolution": RESOLUTION,
        "engine": "BLENDER_WORKBENCH",
        "blender": bpy.app.version_string,
        "ranges_in_use": dict(capture._RANGES),
        "deadzone": capture.DEADZONE,
        "paths": paths,
    }


def _fmt(value: float | None, spec: str = "5.2f") -> str:
    return "  -  " if value is None else format(value, spec)


def print_table(rep: dict) -> None:
    """A compact per-key table for both paths, then the per-rule fitted ranges."""
    paths = list(rep["paths"])
    head = "".join(f" | {p:^37}" for p in paths)
    print(f"{'key':<18}{head}")
    sub = "".join(f" | {'w @ .25 .5 .75 1':<19} {'r':>5} {'MAE':>5} {'xtalk':>5}" for _ in paths)
    print(f"{'':<18}{sub}")
    for key in capture.CAPTURE_NAMES:
        row = f"{key:<18}"
        for p in paths:
            s = rep["paths"][p]["keys"].get(key)
            if s is None:
                row += f" | {'':37}"
                continue
            w = " ".join("  - " if v is None else f"{v:4.2f}" for v in s["captured"])
            xt = s["crosstalk"]["weight"] if s["crosstalk"] else None
            row += f" | {w:<19} {_fmt(s['r'])} {_fmt(s['mae'])} {_fmt(xt)}"
        print(row)
    for p in paths:
        info = rep["paths"][p]
        summary = ", ".join(f"{k} {_fmt(v, '.3g')}" for k, v in info["summary"].items())
        print(f"{p}: faces/landmarks found in {info['frames_found']} frames; {summary}")
        print(f"  neutral re-captured: max weight {_fmt(info['neutral_repeat_max'], '.3f')}")
    if rep["landmark_follow"]:
        follow = sorted(rep["landmark_follow"].items(), key=lambda kv: -kv[1])
        print("render/geometry signal ratio: " + ", ".join(f"{k} {v:.2f}" for k, v in follow))
    print(f"{'rule':<16} {'in use':>7}" + "".join(f" {p + ' fit':>13}" for p in paths))
    for rule, current in rep["ranges_in_use"].items():
        fits = "".join(
            f" {_fmt(rep['paths'][p]['fitted_ranges'].get(rule), '13.4f')}" for p in paths
        )
        print(f"{rule:<16} {current:7.3f}{fits}")


def main(argv: list[str] | None = None) -> int:
    """Run the measurement, print the table and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "out" / "capture_validation.json")
    parser.add_argument("--head", type=Path, default=DEMO_HEAD)
    parser.add_argument("--renders", type=Path, default=None, help="keep the renders here")
    parser.add_argument("--no-render", action="store_true", help="geometry path only")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    open_head(args.head)
    raw = measure(workdir=args.renders, render=not args.no_render)
    rep = report(raw)
    rep["seconds"] = round(time.perf_counter() - start, 1)
    print_table(rep)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rep, indent=1))
    print(f"wrote {args.out} ({rep['seconds']} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
