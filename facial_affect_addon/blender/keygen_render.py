"""Key points on a head's surface: render it, find the face, cast the landmarks back (issue 14).

Split off :mod:`.rig_generate`. The head is rendered along each world axis in turn (a temporary
scene with an orthographic camera framing the object's bounds, Workbench with a studio light),
and each render is searched in its four quarter turns, so a head authored Y-up, lying down or
upside down is found too (:func:`..pipeline.rig_generate.upright_landmarks`). The first face
seen from the front is taken, else the most frontal one; its 468 landmarks are cast back onto
the mesh along the camera's rays (a BVH of the base mesh, object space). Everything temporary
is removed. The head's axes are then read off the landmarks, not assumed.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, cast

import bpy
import numpy as np
from mathutils import Matrix, Vector
from mathutils.bvhtree import BVHTree

from ..core.errors import RigError
from ..pipeline.rig_generate import upright_landmarks

RESOLUTION = 512
MIN_HITS = 0.9  # share of landmark rays that must hit the mesh
SKIN = (0.80, 0.56, 0.45)
# The face looks along one of these (world axes, tried in this order: +Z up first).
FACINGS = (
    (0.0, -1.0, 0.0), (0.0, 1.0, 0.0), (-1.0, 0.0, 0.0), (1.0, 0.0, 0.0),
    (0.0, 0.0, 1.0), (0.0, 0.0, -1.0),
)  # fmt: skip
FRONTAL = 0.75  # a face this frontal (see frontality) ends the search


def rest_positions(obj) -> np.ndarray:
    """Object-space positions of the rest shape (the reference key if there are keys)."""
    mesh = obj.data
    co = np.empty(len(mesh.vertices) * 3, dtype=np.float64)
    keys = mesh.shape_keys
    if keys is not None and keys.reference_key is not None:
        keys.reference_key.data.foreach_get("co", co)
    else:
        mesh.vertices.foreach_get("co", co)
    return co.reshape(-1, 3)


def polygon_indices(mesh) -> list | np.ndarray:
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
    basis = rest_positions(obj)
    faces = polygon_indices(obj.data)
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


__all__ = ["find_landmarks", "polygon_indices", "rest_positions"]
