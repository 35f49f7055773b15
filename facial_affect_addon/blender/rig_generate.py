"""Generate Expression Keys: the 52 ARKit keys for a key-less head (paper 004; issue 14 item 3).

1. **Key points.** The head is rendered along each world axis in turn (a temporary scene with
   an orthographic camera framing the object's bounds, Workbench with a studio light), and each
   render is searched in its four quarter turns, so a head authored Y-up, lying down or upside
   down is found too (:func:`..pipeline.rig_generate.upright_landmarks`). The first face seen
   from the front is taken, else the most frontal one; its 468 landmarks are cast back onto
   the mesh along the camera's rays (a BVH of the base mesh, object space). Everything
   temporary is removed. The head's axes are then read off the landmarks, not assumed.
2. **Keys.** :func:`..pipeline.rig_generate.expression_offsets` (paper 004's soft-mod table,
   :mod:`..core.keygen`) gives each key's offsets; they are written as shape keys after a Basis
   (added if missing). Keys the head already has, by name, are kept and reported. The key
   points found are kept on the object (``obj["faceaff_key_points"]``, 468 x, y, z).

Refused, with one message and nothing changed: a non-mesh object, a linked (library) mesh, a
mesh in Edit Mode, a modifier that changes topology, a render on which no face is found.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any, cast

import bpy
import numpy as np
from bpy.props import BoolProperty
from mathutils import Matrix, Vector
from mathutils.bvhtree import BVHTree

from ..core.errors import FacialAffectError, RigError
from ..pipeline.rig_generate import (
    KEY_POINTS,
    KeyPlan,
    expression_offsets,
    moved_landmarks,
    plan_keys,
    upright_landmarks,
)

RESOLUTION = 512
KEY_POINTS_PROP = "faceaff_key_points"  # the 468 landmarks found (object space, flat x, y, z)
KEY_POINT_EMPTY = "faceaff_key_point"  # on each editable key point empty: its landmark index
MIN_HITS = 0.9  # share of landmark rays that must hit the mesh
SKIN = (0.80, 0.56, 0.45)
# The face looks along one of these (world axes, tried in this order: +Z up first).
FACINGS = (
    (0.0, -1.0, 0.0), (0.0, 1.0, 0.0), (-1.0, 0.0, 0.0), (1.0, 0.0, 0.0),
    (0.0, 0.0, 1.0), (0.0, 0.0, -1.0),
)  # fmt: skip
FRONTAL = 0.75  # a face this frontal (see frontality) ends the search
# Modifiers that keep the vertex count and order, so shape keys still mean the same thing;
# Subdivision and Multires smooth the same cage. Any other enabled modifier is refused.
TOPOLOGY_SAFE = {
    "ARMATURE", "CAST", "CORRECTIVE_SMOOTH", "CURVE", "DATA_TRANSFER", "DISPLACE", "HOOK",
    "LAPLACIANDEFORM", "LAPLACIANSMOOTH", "LATTICE", "MESH_CACHE", "MESH_DEFORM",
    "MESH_SEQUENCE_CACHE", "MULTIRES", "NORMAL_EDIT", "SHRINKWRAP", "SIMPLE_DEFORM", "SMOOTH",
    "SUBSURF", "SURFACE_DEFORM", "UV_PROJECT", "UV_WARP", "VERTEX_WEIGHT_EDIT",
    "VERTEX_WEIGHT_MIX", "VERTEX_WEIGHT_PROXIMITY", "WARP", "WAVE", "WEIGHTED_NORMAL",
}  # fmt: skip


def check_head(obj) -> None:
    """Refuse what cannot take generated keys.

    Raises:
        RigError: Not a mesh, linked from a library, in Edit Mode, or topology-changing
            modifiers.
    """
    if obj is None:
        raise RigError("No object: select the head mesh (or set the panel's target).")
    if obj.type != "MESH":
        raise RigError(f"{obj.name!r} is a {obj.type.lower()}, not a mesh; pick the head mesh.")
    if obj.library is not None or obj.data.library is not None:
        lib = (obj.library or obj.data.library).filepath
        raise RigError(
            f"{obj.name!r} is linked from {lib}; make it local (Object > Relations) first."
        )
    if obj.mode == "EDIT":
        raise RigError(f"{obj.name!r} is in Edit Mode; switch to Object Mode first.")
    for mod in obj.modifiers:
        if (mod.show_viewport or mod.show_render) and mod.type not in TOPOLOGY_SAFE:
            raise RigError(
                f"Modifier {mod.name!r} ({mod.type.lower()}) changes {obj.name!r}'s topology; "
                "apply or remove it first."
            )
    if len(obj.data.vertices) < 100 or len(obj.data.polygons) == 0:
        raise RigError(f"{obj.name!r} has too few vertices to be a head.")


def _basis(obj) -> np.ndarray:
    """Object-space positions of the rest shape (the reference key if there are keys)."""
    mesh = obj.data
    co = np.empty(len(mesh.vertices) * 3, dtype=np.float64)
    keys = mesh.shape_keys
    if keys is not None and keys.reference_key is not None:
        keys.reference_key.data.foreach_get("co", co)
    else:
        mesh.vertices.foreach_get("co", co)
    return co.reshape(-1, 3)


def _faces(mesh) -> list | np.ndarray:
    """The polygons' vertex indices (an ``int[m, L]`` array when all have ``L`` corners)."""
    counts = np.empty(len(mesh.polygons), dtype=np.int64)
    mesh.polygons.foreach_get("loop_total", counts)
    loops = np.empty(len(mesh.loops), dtype=np.int64)
    mesh.loops.foreach_get("vertex_index", loops)
    if len(counts) and (counts == counts[0]).all():
        return loops.reshape(-1, int(counts[0]))
    return [a.tolist() for a in np.split(loops, np.cumsum(counts)[:-1])]


def _camera_basis(facing: Vector) -> Matrix:
    """Rotation whose -Z looks against ``facing`` (at the face), with +Y toward world +Z (+Y
    when looking along Z; the quarter turns of the render cover the rest)."""
    z = facing.normalized()
    hint = Vector((0.0, 1.0, 0.0)) if abs(z.z) > 0.9 else Vector((0.0, 0.0, 1.0))
    x = cast(Vector, hint.cross(z)).normalized()
    y = cast(Vector, z.cross(x))
    return Matrix(cast(Any, (x, y, z))).transposed()


def _render(obj, facing: Vector, folder: Path) -> tuple[np.ndarray, Matrix, float]:
    """Render ``obj`` alone, seen from where it faces ``facing``; RGB uint8, camera, scale."""
    corners = [obj.matrix_world @ Vector(c) for c in obj.bound_box]
    center = sum(corners, Vector()) / 8.0
    rot = _camera_basis(facing)
    x_axis, y_axis = rot.col[0].to_3d(), rot.col[1].to_3d()
    extent = max(
        max(abs((c - center).dot(x_axis)) for c in corners),
        max(abs((c - center).dot(y_axis)) for c in corners),
    )
    size = max((c - center).length for c in corners) or 1.0
    scene = bpy.data.scenes.new("faceaff_keygen")
    cam_data = bpy.data.cameras.new("faceaff_keygen")
    cam = bpy.data.objects.new("faceaff_keygen", cam_data)
    path = folder / f"view{len(list(folder.iterdir()))}.png"
    try:
        cam_data.type = "ORTHO"
        cam_data.ortho_scale = 2.3 * extent
        cam_data.clip_start, cam_data.clip_end = size * 0.01, size * 10.0
        cam.matrix_world = Matrix.Translation(center + facing.normalized() * 3.0 * size) @ (
            rot.to_4x4()
        )
        scene.collection.objects.link(cam)
        scene.collection.objects.link(obj)
        scene.camera = cam
        # fake-bpy-module lists only BLENDER_EEVEE: render engines are registered at run time.
        scene.render.engine = "BLENDER_WORKBENCH"  # type: ignore[assignment]
        scene.render.resolution_x = scene.render.resolution_y = RESOLUTION
        scene.render.resolution_percentage = 100
        scene.render.image_settings.file_format = "PNG"
        scene.render.filepath = str(path)
        cast(Any, scene.view_settings).view_transform = "Standard"
        shading = cast(Any, scene.display).shading
        shading.light, shading.color_type = "STUDIO", "SINGLE"
        shading.single_color = SKIN
        shading.show_cavity = True
        bpy.ops.render.render(write_still=True, scene=scene.name)
        image = bpy.data.images.load(str(path))
        try:
            w, h = image.size
            px = np.empty(w * h * 4, dtype=np.float32)
            cast(Any, image.pixels).foreach_get(px)
        finally:
            bpy.data.images.remove(image)
        rgb = (np.clip(px.reshape(h, w, 4)[::-1, :, :3], 0, 1) * 255 + 0.5).astype(np.uint8)
        return rgb, cam.matrix_world.copy(), cam_data.ortho_scale
    finally:
        bpy.data.objects.remove(cam)
        bpy.data.cameras.remove(cam_data)
        bpy.data.scenes.remove(scene)
        path.unlink(missing_ok=True)


def _cast(obj, pixels: np.ndarray, cam: Matrix, scale: float, bvh: BVHTree) -> np.ndarray:
    """Object-space surface points under landmark pixels (rays along the camera's view).

    Raises:
        RigError: Too few rays hit the mesh (the face seen is not this mesh's).
    """
    inv = obj.matrix_world.inverted()
    direction = (inv.to_3x3() @ (cam.to_3x3() @ Vector((0.0, 0.0, -1.0)))).normalized()
    points = np.full((len(pixels), 3), np.nan)
    origins = []
    for i, (u, v) in enumerate(pixels):
        local = Vector(((u / RESOLUTION - 0.5) * scale, (0.5 - v / RESOLUTION) * scale, 0.0))
        origin = inv @ (cam @ local)
        origins.append(origin)
        hit = bvh.ray_cast(origin, direction)[0]
        if hit is not None:
            points[i] = hit
    hits = np.isfinite(points[:, 0])
    if hits.mean() < MIN_HITS:
        raise RigError("The face found on the render is not on the mesh; no key points placed.")
    depth = float(
        np.median([(Vector(points[i]) - origins[i]).dot(direction) for i in np.flatnonzero(hits)])
    )
    for j in np.flatnonzero(~hits):
        points[j] = bvh.find_nearest(origins[j] + direction * depth)[0]
    return points


def find_landmarks(obj) -> tuple[np.ndarray, str]:
    """468 landmark positions on ``obj``'s surface (object space) and the facing found.

    Raises:
        RigError: No face on any view, or the face mesh model is missing.
    """
    basis = _basis(obj)
    faces = _faces(obj.data)
    polygons = faces.tolist() if isinstance(faces, np.ndarray) else faces
    bvh = cast(BVHTree, BVHTree.FromPolygons(basis.tolist(), polygons))
    best: tuple[float, np.ndarray, Matrix, float, tuple] | None = None
    with tempfile.TemporaryDirectory(prefix="faceaff-keygen-") as tmp:
        for facing in FACINGS:
            rgb, cam, scale = _render(obj, Vector(facing), Path(tmp))
            found = upright_landmarks(rgb)
            if found is not None and (best is None or found[1] > best[0]):
                best = (found[1], found[0], cam, scale, facing)
            if best is not None and best[0] >= FRONTAL:
                break
    if best is None:
        raise RigError(
            f"No face found on renders of {obj.name!r} along any of the six axes, in any "
            "quarter turn; the head needs a visible face with open features."
        )
    _score, pixels, cam, scale, facing = best
    name = "".join(("-" if c < 0 else "+") + "XYZ"[i] for i, c in enumerate(facing) if c)
    return _cast(obj, pixels, cam, scale, bvh), name


def _existing_names(obj) -> list[str]:
    keys = obj.data.shape_keys
    return [k.name for k in keys.key_blocks] if keys is not None else []


def key_point_empties(obj) -> list:
    """The head's editable key point empties (children with :data:`KEY_POINT_EMPTY`)."""
    return [c for c in obj.children if KEY_POINT_EMPTY in c]


def show_key_points(obj) -> int:
    """Find the key points and show each named one as an empty (a child of the head) that the
    user can move before generating; returns how many. The head's mesh is not changed.

    Raises:
        RigError: See :func:`check_head` and :func:`find_landmarks`.
    """
    check_head(obj)
    plan_keys(_existing_names(obj))
    landmarks, _facing = find_landmarks(obj)
    remove_key_points(obj)
    obj[KEY_POINTS_PROP] = landmarks.astype(np.float32).ravel().tolist()
    size = 0.04 * float(np.linalg.norm(landmarks[263] - landmarks[33]))
    collection = cast(
        Any, obj.users_collection[0] if obj.users_collection else bpy.context.collection
    )
    for name, index in KEY_POINTS.items():
        empty = bpy.data.objects.new(f"KeyPoint_{name}", None)
        empty.empty_display_type, empty.empty_display_size = "SPHERE", size
        empty.parent = obj
        empty.location = Vector(landmarks[index])
        empty[KEY_POINT_EMPTY] = int(index)
        collection.objects.link(empty)
    return len(KEY_POINTS)


def remove_key_points(obj) -> None:
    """Delete the head's key point empties."""
    for empty in key_point_empties(obj):
        bpy.data.objects.remove(empty)


def _edited_landmarks(obj) -> np.ndarray | None:
    """The stored landmarks moved with the key point empties, or None without them."""
    empties, stored = key_point_empties(obj), obj.get(KEY_POINTS_PROP)
    if not empties or stored is None or len(stored) != 468 * 3:
        return None
    marks = np.asarray(stored, dtype=np.float64).reshape(468, 3)
    indices = np.array([int(e[KEY_POINT_EMPTY]) for e in empties])
    positions = np.array([tuple(e.location) for e in empties])
    if (indices < 0).any() or (indices >= 468).any():
        return None
    return moved_landmarks(marks, indices, positions)


def detect_landmarks(obj) -> np.ndarray:
    """The head's 468 landmarks (object space): checks the head, then renders and finds them.

    Raises:
        RigError: See :func:`check_head` and :func:`find_landmarks`.
    """
    check_head(obj)
    return find_landmarks(obj)[0]


def generate_keys(obj, landmarks: np.ndarray | None = None) -> tuple[KeyPlan, dict[str, float]]:
    """Find the key points (or take the edited ones) and write the missing ARKit keys.

    ``landmarks`` (468 object-space points, e.g. from ``--points``) are used when given; else
    the head's key point empties (:func:`show_key_points`) when it has them (they are removed
    afterwards); else the key points are found on renders.

    Returns:
        The plan (written and skipped keys, warnings) and timings in seconds
        (``landmarks``, ``keys``, ``write``).

    Raises:
        RigError: See :func:`check_head` and :func:`find_landmarks`; nothing is changed then.
    """
    check_head(obj)
    plan = plan_keys(_existing_names(obj))
    start = time.perf_counter()
    if landmarks is None:
        landmarks = _edited_landmarks(obj)
    if landmarks is None:
        landmarks, _facing = find_landmarks(obj)
    found = time.perf_counter()
    basis = _basis(obj)
    offsets = expression_offsets(basis, _faces(obj.data), landmarks, plan.write)
    computed = time.perf_counter()
    if obj.data.shape_keys is None:
        obj.shape_key_add(name="Basis", from_mix=False)
    for name in plan.write:
        block = obj.shape_key_add(name=name, from_mix=False)
        block.points.foreach_set("co", (basis + offsets[name]).astype(np.float32).ravel())
        block.slider_min, block.slider_max, block.value = 0.0, 1.0, 0.0
    obj.data.update()
    obj[KEY_POINTS_PROP] = landmarks.astype(np.float32).ravel().tolist()
    remove_key_points(obj)
    done = time.perf_counter()
    times = {"landmarks": found - start, "keys": computed - found, "write": done - computed}
    return plan, times


class FACEAFF_OT_generate_expression_keys(bpy.types.Operator):
    """Add the 52 ARKit expression keys to a head that has none (paper 004): finds the face on
    a render, places key points on the mesh and sculpts soft-mod keys around them"""

    bl_idname = "faceaff.generate_expression_keys"
    bl_label = "Generate Expression Keys"
    bl_options = {"REGISTER", "UNDO"}

    review_key_points: BoolProperty(
        name="Review Key Points First",
        description="Only place the key points, as empties you can move; press Generate "
        "Expression Keys again to build the keys from them",
        default=False,
    )

    def execute(self, context):
        from .props import target_object

        obj = target_object(context)
        try:
            if self.review_key_points and obj is not None and not key_point_empties(obj):
                count = show_key_points(obj)
                self.report(
                    {"INFO"},
                    f"Placed {count} key points on {obj.name}: move any that are off, then "
                    "Generate Expression Keys again.",
                )
                return {"FINISHED"}
            plan, times = generate_keys(obj)
        except FacialAffectError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        for warning in plan.warnings:
            self.report({"WARNING"}, warning)
        took = sum(times.values())
        self.report({"INFO"}, f"{obj.name}: {len(plan.write)} expression keys in {took:.1f} s.")
        return {"FINISHED"}


classes = (FACEAFF_OT_generate_expression_keys,)
# fake-bpy-module 5.0 types register_classes_factory() as returning None, not the pair.
register, unregister = bpy.utils.register_classes_factory(classes)  # type: ignore[func-returns-value,misc]

__all__ = [
    "check_head",
    "detect_landmarks",
    "find_landmarks",
    "generate_keys",
    "register",
    "remove_key_points",
    "show_key_points",
    "unregister",
]
