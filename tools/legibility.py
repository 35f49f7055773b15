"""Legibility harness: does a baked emotion *read* as that emotion, to a model and to geometry?

Usage::

    .venv/bin/python tools/legibility.py [--head FILE.blend --object NAME] \\
        [--out out/legibility.json] [--grid docs/legibility_grid.png] [--renders DIR]

For each of the 7 emotions at intensity 1.0 and 0.6 the emotion is baked onto the head the way
``python -m facial_affect_addon.cli emotion NAME --intensity X --bake F --png P --no-life`` does
(``pipeline.text.performance_from_weights`` → ``pipeline.curves.performance_curves`` →
``blender.bake.bake_curves``; no blinks, so the apex is never a blink), the scene goes to the apex
frame (``blender.headless.apex_frame``) and ``blender.headless.render_still`` renders it twice:
from the head file's camera (*front*) and from a copy of it turned ``--yaw`` degrees (default
37.5) about the world's vertical axis through the head's centre (*three_quarter*; the camera
moves to the subject's left). Neutral is baked the same way; its curves are all zero, so it is
the rest pose, and one render per view serves both intensity columns. The render engine is the
head file's own (Workbench for the demo head, as the CLI uses) unless ``--engine`` says otherwise.

Each render is judged twice:

* **external**: the shipped face emotion model (``ml.emotion_runtime.EmotionModel``) on the face
  box that ``ml.faces.FaceAnalyzer`` finds; the prediction is the argmax of its 7 probabilities.
* **geometric**: the face mesh landmarks of the render, with the lids refined by the iris model
  as the video capture does (``ml.iris.refine_lids``), are captured against the neutral render of
  the same view (``core.capture.capture_weights``, as ``tools/validate_capture.py`` does), the
  ARKit weights are solved for AUs and the AU vector is read as the nearest EMFACS prototype
  (``core.readback.read_weights``). The neutral row of this judge is right by construction (a
  render captured against itself reads exactly 0).

Output: confusion matrices (true × predicted, plus a "none" column for renders without a face)
for each judge × view × intensity, printed and written with every render's probabilities and
readback to ``--out``; a labelled grid of all renders to ``--grid``. Both are written atomically.
Everything here measures a synthetic head with a 64 px FER2013 model and a landmark capture
fitted to that head: it says how legible the head is to these judges, not to people.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from math import radians
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
for _path in (REPO, REPO / "tools"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

# Keep Blender away from the user's own configuration when run as a script.
_TMP = Path(tempfile.gettempdir()) / "faceaff-legibility"
os.environ.setdefault("BLENDER_USER_RESOURCES", str(_TMP / "user"))

import bpy  # noqa: E402
import numpy as np  # noqa: E402
from _legibility_report import load_rgb, print_tables, report, write_grid, write_json  # noqa: E402
from mathutils import Matrix, Vector  # noqa: E402

from facial_affect_addon.blender import bake  # noqa: E402
from facial_affect_addon.blender.headless import apex_frame, render_still  # noqa: E402
from facial_affect_addon.core.emotions import EMOTION_NAMES  # noqa: E402
from facial_affect_addon.pipeline.curves import performance_curves  # noqa: E402
from facial_affect_addon.pipeline.options import (  # noqa: E402
    FaceMode,
    PerformanceOptions,
    SynthesisMode,
    SynthesisOptions,
)
from facial_affect_addon.pipeline.text import performance_from_weights  # noqa: E402

DEMO_HEAD = REPO / "models" / "demo_head.blend"
DEMO_OBJECT = "DemoHead"
INTENSITIES: tuple[float, ...] = (1.0, 0.6)
VIEWS: tuple[str, ...] = ("front", "three_quarter")
YAW_DEG = 37.5
RESOLUTION = 512
DURATION_S = 3.0  # the CLI's `emotion --duration` default
TAKE = "Legibility"


@dataclass(frozen=True)
class Render:
    """One rendered apex frame.

    Attributes:
        emotion: The baked emotion.
        intensity: The bake's global intensity (neutral: the same rest-pose render for each).
        view: One of :data:`VIEWS`.
        path: The PNG.
        apex_frame: The frame that was rendered.
    """

    emotion: str
    intensity: float
    view: str
    path: Path
    apex_frame: int


# --- Blender: bake and render -----------------------------------------------------------------


def open_head(path: Path = DEMO_HEAD, object_name: str | None = DEMO_OBJECT) -> bpy.types.Object:
    """Open a head file and return its head (``object_name``, else the first mesh with keys).

    Raises:
        FileNotFoundError: No such file.
        KeyError: No such object, or no mesh with shape keys.
    """
    if not Path(path).is_file():
        raise FileNotFoundError(f"Head file not found: {path}")
    bpy.ops.wm.open_mainfile(filepath=str(path), load_ui=False)
    if object_name:
        obj = bpy.data.objects.get(object_name)
    else:
        obj = next((o for o in bpy.data.objects if bake.shape_key_names(o)), None)
    if obj is None or not bake.shape_key_names(obj):
        raise KeyError(f"No mesh with shape keys named {object_name!r} in {path}.")
    if bpy.context.scene.camera is None:
        raise KeyError(f"{path} has no scene camera to render from.")
    return obj


def turned_camera(obj: bpy.types.Object, yaw_deg: float = YAW_DEG) -> bpy.types.Object:
    """A copy of the scene camera turned ``yaw_deg`` about the vertical through the head's centre.

    The centre is the middle of the head's world bounding box, so a camera that framed the head
    still frames it; positive angles move the camera to the subject's left (+x for a head that
    faces -y, as the demo head does).
    """
    front = bpy.context.scene.camera
    corners = np.array([obj.matrix_world @ Vector(c) for c in obj.bound_box])
    pivot = Vector(((corners.min(0) + corners.max(0)) / 2.0).tolist())
    turn = Matrix.Rotation(radians(yaw_deg), 4, "Z")
    cam = front.copy()
    cam.name = "LegibilityThreeQuarter"
    bpy.context.scene.collection.objects.link(cam)
    cam.matrix_world = (
        Matrix.Translation(pivot) @ turn @ Matrix.Translation(-pivot) @ front.matrix_world
    )
    return cam


def synthesis_options(fps: float, intensity: float) -> PerformanceOptions:
    """The CLI's ``emotion`` options with ``--intensity X --no-life`` (no blinks, no micro)."""
    synthesis = SynthesisOptions(
        fps=fps,
        frame_start=1,
        n_frames=None,
        mode=SynthesisMode.DYNAMIC,
        intensity=intensity,
        micro=False,
        life=False,
        seed=0,
    )
    return PerformanceOptions(synthesis, face=FaceMode.EMOTION)


def bake_apex(obj: bpy.types.Object, emotion: str | Mapping[str, float], intensity: float) -> int:
    """Bake ``emotion`` (a name, or a mixture such as a compound preset's) as the harness's take
    (replacing the last one) and go to its apex frame."""
    scene = bpy.context.scene
    fps = scene.render.fps / scene.render.fps_base
    weights = {emotion: 1.0} if isinstance(emotion, str) else dict(emotion)
    performance = performance_from_weights(weights, DURATION_S)
    curves = performance_curves(
        performance, bake.shape_key_names(obj), synthesis_options(fps, intensity)
    )
    bake.bake_curves(obj, curves, bake.BakeOptions(take_name=TAKE, replace=True))
    apex = apex_frame(curves.validated())
    scene.frame_set(apex)
    return apex


def render_all(
    obj: bpy.types.Object,
    folder: Path,
    *,
    intensities: tuple[float, ...] = INTENSITIES,
    yaw_deg: float = YAW_DEG,
    resolution: int = RESOLUTION,
    engine: str | None = None,
) -> list[Render]:
    """Bake every emotion at every intensity on the open head and render both views.

    Returns:
        One :class:`Render` per emotion × intensity × view (neutral's renders are shared).
    """
    scene = bpy.context.scene
    cameras = {"front": scene.camera, "three_quarter": turned_camera(obj, yaw_deg)}
    engine = engine or scene.render.engine
    renders: list[Render] = []
    for emotion in EMOTION_NAMES:
        levels = intensities[:1] if emotion == "neutral" else intensities
        for intensity in levels:
            apex = bake_apex(obj, emotion, intensity)
            for view, camera in cameras.items():
                scene.camera = camera
                path = folder / f"{emotion}_{intensity:.1f}_{view}.png"
                render_still(path, resolution=resolution, engine=engine)
                shared = intensities if emotion == "neutral" else (intensity,)
                renders += [Render(emotion, i, view, path, apex) for i in shared]
    scene.camera = cameras["front"]
    return renders


# --- judging ----------------------------------------------------------------------------------


def external_judgement(observation, rgb: np.ndarray, model) -> dict:
    """The emotion model's reading of the face ``observation`` found (None: no face)."""
    if observation is None:
        return {"face_found": False, "predicted": None, "probabilities": None}
    probs = model.predict_faces(rgb, [observation.box])[0]
    return {
        "face_found": True,
        "predicted": EMOTION_NAMES[int(np.argmax(probs))],
        "probabilities": {n: round(float(p), 4) for n, p in zip(EMOTION_NAMES, probs, strict=True)},
        "box": [round(float(v), 1) for v in observation.box],
    }


def geometric_judgement(neutral: np.ndarray | None, landmarks: np.ndarray | None) -> dict:
    """Landmarks captured against the neutral render's, solved for AUs, read as a prototype."""
    from facial_affect_addon.core import capture
    from facial_affect_addon.core.facs import AU_CHANNELS
    from facial_affect_addon.core.readback import read_weights

    if neutral is None or landmarks is None:
        return {"landmarks_found": landmarks is not None, "predicted": None}
    options = capture.CaptureOptions(neutral_index=0, smoothing=False, head_rotation=False)
    result = capture.capture_weights(np.stack([neutral, landmarks]), np.array([0.0, 1.0]), options)
    weights = dict(zip(result.names, result.weights[1].tolist(), strict=True))
    reading, aus = read_weights(result.names, result.weights[1])
    return {
        "landmarks_found": True,
        "predicted": reading.emotion,
        "strength": round(reading.strength, 4),
        "similarity": {k: round(v, 4) for k, v in reading.similarity.items()},
        "arkit": {n: round(w, 4) for n, w in weights.items() if w > 0},
        "aus": {AU_CHANNELS[i]: round(float(v), 4) for i, v in enumerate(aus) if v > 1e-3},
    }


def judge(renders: list[Render], analyzer=None, model=None) -> list[dict]:
    """Both judges' readings of every render, one JSON-ready cell each (``renders`` order)."""
    from facial_affect_addon.ml.emotion_runtime import EmotionModel
    from facial_affect_addon.ml.faces import FaceAnalyzer
    from facial_affect_addon.ml.iris import IrisLandmarker

    analyzer = analyzer or FaceAnalyzer()
    model = model or EmotionModel()
    iris = IrisLandmarker()
    seen: dict[Path, tuple] = {}
    for r in renders:
        if r.path not in seen:
            rgb = load_rgb(r.path)
            obs = analyzer.analyze(rgb)
            points = None if obs is None else obs.landmarks
            seen[r.path] = (rgb, obs, None if points is None else iris.refine(rgb, points))
    neutral = {r.view: seen[r.path][2] for r in renders if r.emotion == "neutral"}
    cells = []
    for r in renders:
        rgb, obs, points = seen[r.path]
        cells.append(
            {
                "emotion": r.emotion,
                "intensity": r.intensity,
                "view": r.view,
                "image": r.path.name,
                "apex_frame": r.apex_frame,
                "external": external_judgement(obs, rgb, model),
                "geometric": geometric_judgement(neutral.get(r.view), points),
            }
        )
    return cells


# --- running ----------------------------------------------------------------------------------


def run(
    head: Path = DEMO_HEAD,
    object_name: str | None = DEMO_OBJECT,
    renders_dir: Path | None = None,
    *,
    intensities: tuple[float, ...] = INTENSITIES,
    yaw_deg: float = YAW_DEG,
    resolution: int = RESOLUTION,
    engine: str | None = None,
) -> dict:
    """Bake, render and judge every cell; the report (see :func:`_legibility_report.report`).

    Args:
        head: The head .blend (opened, never saved).
        object_name: The head object; None: the first mesh with shape keys.
        renders_dir: Where the PNGs go (a new temporary folder if None).
        intensities: Intensities of the non-neutral emotions.
        yaw_deg: The three-quarter camera's turn.
        resolution: Render size in pixels (square).
        engine: Render engine; None: the head file's own.
    """
    start = time.perf_counter()
    folder = Path(renders_dir or tempfile.mkdtemp(prefix="faceaff-legibility-"))
    folder.mkdir(parents=True, exist_ok=True)
    obj = open_head(head, object_name)
    engine = engine or bpy.context.scene.render.engine
    renders = render_all(
        obj, folder, intensities=intensities, yaw_deg=yaw_deg, resolution=resolution, engine=engine
    )
    cells = judge(renders)
    setup = {
        "head": str(head),
        "object": obj.name,
        "blender": bpy.app.version_string,
        "engine": engine,
        "resolution": resolution,
        "yaw_deg": yaw_deg,
        "renders": str(folder),
    }
    return report(cells, intensities, setup, seconds=time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    """Run the harness, print the confusion tables, write the JSON and the grid."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--head", type=Path, default=DEMO_HEAD)
    parser.add_argument(
        "--object",
        default=None,
        help="head object (default: DemoHead in the "
        "demo head, else the first mesh with shape keys)",
    )
    parser.add_argument("--out", type=Path, default=REPO / "out" / "legibility.json")
    parser.add_argument("--grid", type=Path, default=REPO / "docs" / "legibility_grid.png")
    parser.add_argument("--renders", type=Path, default=None, help="keep the renders here")
    parser.add_argument("--yaw", type=float, default=YAW_DEG, help="three-quarter turn (degrees)")
    parser.add_argument("--resolution", type=int, default=RESOLUTION)
    parser.add_argument("--engine", default=None, help="render engine (default: the file's own)")
    args = parser.parse_args(argv)
    object_name = args.object or (DEMO_OBJECT if args.head.resolve() == DEMO_HEAD else None)
    rep = run(
        args.head,
        object_name,
        args.renders,
        yaw_deg=args.yaw,
        resolution=args.resolution,
        engine=args.engine,
    )
    print_tables(rep)
    write_json(rep, args.out)
    write_grid(rep, Path(rep["setup"]["renders"]), args.grid)
    print(f"wrote {args.out} and {args.grid} ({rep['seconds']} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
