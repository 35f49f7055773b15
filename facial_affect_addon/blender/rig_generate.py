"""Generate Expression Keys: the 52 ARKit keys for a key-less head (paper 004; issue 14 item 3).

1. **Key points** (:mod:`.keygen_render`): found on renders of the head along each axis, in any
   roll, and cast back onto the mesh. *Detect Key Points* shows the named ones as empties
   parented to the head (``KeyPoint_<name>``) that the user may move; the 468 landmarks follow
   the moved ones. *Discard Key Points* removes them.
2. **Keys.** *Generate Expression Keys* takes the empties' points when the head has them (else
   finds the points), reads the mesh arrays on the main thread and builds the offsets
   (:func:`..pipeline.rig_generate.expression_offsets`, paper 004's soft-mod table in
   :mod:`..core.keygen`) as a background job with progress and Cancel (:mod:`.jobs`). When the
   job ends, the keys are written on the main thread after a Basis (added if missing), as one
   undo step, and the empties are removed; a cancelled job changes nothing (the empties stay for
   another try). Keys the head already has, by name, are kept and reported. The key points
   used are kept on the object (``obj["faceaff_key_points"]``, 468 x, y, z).
   ``cli rig generate`` runs the same steps synchronously (:func:`generate_keys`).

Refused, with one message and nothing changed: a non-mesh object, a linked (library) mesh, a
mesh in Edit Mode, a modifier that changes topology, a render on which no face is found.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import Any, cast

import bpy
import numpy as np
from mathutils import Vector

from ..core.errors import CancelledError, RigError
from ..pipeline.rig_generate import (
    KEY_POINTS,
    KeyPlan,
    describe_parts,
    expression_offsets,
    moved_landmarks,
    plan_keys,
)
from . import jobs
from .keygen_render import find_landmarks, polygon_indices, rest_positions
from .reporting import reports_errors

KEY_POINTS_PROP = "faceaff_key_points"  # the 468 landmarks found (object space, flat x, y, z)
KEY_POINT_EMPTY = "faceaff_key_point"  # on each editable key point empty: its landmark index
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
        RigError: See :func:`check_head` and :func:`.keygen_render.find_landmarks`.
    """
    check_head(obj)
    return find_landmarks(obj)[0]


@dataclass(frozen=True)
class KeyInput:
    """Everything the key building needs, read from the head on the main thread."""

    name: str
    plan: KeyPlan
    basis: np.ndarray
    faces: list | np.ndarray
    landmarks: np.ndarray
    seconds: float  # finding (or reading) the key points


def key_input(obj, landmarks: np.ndarray | None = None) -> KeyInput:
    """Check the head, plan its keys and take its arrays and key points (main thread).

    ``landmarks`` (468 object-space points, e.g. from ``--points``) are used when given; else
    the head's key point empties (:func:`show_key_points`) when it has them; else the key
    points are found on renders.

    Raises:
        RigError: See :func:`check_head` and :func:`.keygen_render.find_landmarks`.
    """
    check_head(obj)
    plan = plan_keys(_existing_names(obj))
    start = time.perf_counter()
    if landmarks is None:
        landmarks = _edited_landmarks(obj)
    if landmarks is None:
        landmarks, _facing = find_landmarks(obj)
    seconds = time.perf_counter() - start
    return KeyInput(
        obj.name, plan, rest_positions(obj), polygon_indices(obj.data), landmarks, seconds
    )


def write_keys(
    obj, job: KeyInput, offsets: dict[str, np.ndarray], rigid_parts: tuple[str, ...] = ()
) -> KeyPlan:
    """Write the computed keys (main thread): after a Basis, skipping names the head got since.

    Raises:
        RigError: The head's vertex count changed while the keys were being built.
    """
    if len(obj.data.vertices) != len(job.basis):
        raise RigError(f"{obj.name!r} changed while its keys were built; nothing was written.")
    have = set(_existing_names(obj))
    write = tuple(n for n in job.plan.write if n not in have)
    if obj.data.shape_keys is None:
        obj.shape_key_add(name="Basis", from_mix=False)
    for name in write:
        block = obj.shape_key_add(name=name, from_mix=False)
        block.points.foreach_set("co", (job.basis + offsets[name]).astype(np.float32).ravel())
        block.slider_min, block.slider_max, block.value = 0.0, 1.0, 0.0
    obj.data.update()
    obj[KEY_POINTS_PROP] = job.landmarks.astype(np.float32).ravel().tolist()
    remove_key_points(obj)
    return KeyPlan(write, job.plan.skipped, job.plan.warnings, rigid_parts)


def build_offsets(job: KeyInput, progress=None) -> tuple[dict[str, np.ndarray], tuple[str, ...]]:
    """The keys' offsets and the rigid parts found (plain numpy: safe on a worker thread)."""
    parts: list[str] = []
    offsets = expression_offsets(
        job.basis, job.faces, job.landmarks, job.plan.write, progress, parts
    )
    return offsets, tuple(parts)


def generate_keys(obj, landmarks: np.ndarray | None = None) -> tuple[KeyPlan, dict[str, float]]:
    """Find the key points (or take the given or edited ones) and write the missing ARKit keys
    (the synchronous path of ``cli rig generate``; the panel runs :func:`build_offsets` as a
    background job). Key point empties are removed afterwards.

    Returns:
        The plan (written and skipped keys, warnings) and timings in seconds
        (``landmarks``, ``keys``, ``write``).

    Raises:
        RigError: See :func:`key_input`; nothing is changed then.
    """
    job = key_input(obj, landmarks)
    start = time.perf_counter()
    offsets, parts = build_offsets(job)
    computed = time.perf_counter()
    plan = write_keys(obj, job, offsets, parts)
    times = {
        "landmarks": job.seconds,
        "keys": computed - start,
        "write": time.perf_counter() - computed,
    }
    return plan, times


JOB_KIND = "generate_keys"


def _apply(obj_name: str, job: KeyInput, built: tuple) -> str:
    """Main thread, when the job ends: write the keys as one undo step."""
    obj = bpy.data.objects.get(obj_name)
    if obj is None or obj.type != "MESH":
        raise RigError(f"{obj_name!r} was removed; no keys were written.")
    plan = write_keys(obj, job, *built)
    with contextlib.suppress(RuntimeError):  # no undo stack in background Blender
        bpy.ops.ed.undo_push(message="Generate Expression Keys")
    message = (
        f"{obj.name}: {len(plan.write)} expression keys written "
        f"({describe_parts(plan.rigid_parts)})."
    )
    return " ".join([message, *plan.warnings])


class FACEAFF_OT_detect_key_points(bpy.types.Operator):
    """Find the face's key points on the head and show each as an empty you can move; Generate
    Expression Keys then builds the keys from them"""

    bl_idname = "faceaff.detect_key_points"
    bl_label = "Detect Key Points"
    bl_options = {"REGISTER", "UNDO"}

    @reports_errors
    def execute(self, context):
        from .props import target_object

        obj = target_object(context)
        count = show_key_points(obj)
        self.report(
            {"INFO"},
            f"Placed {count} key points on {obj.name}: move any that are off, then "
            "Generate Expression Keys.",
        )
        return {"FINISHED"}


class FACEAFF_OT_discard_key_points(bpy.types.Operator):
    """Remove the head's editable key points without generating keys"""

    bl_idname = "faceaff.discard_key_points"
    bl_label = "Discard Key Points"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        from .props import target_object

        obj = target_object(context)
        return obj is not None and bool(key_point_empties(obj))

    def execute(self, context):
        from .props import target_object

        remove_key_points(target_object(context))
        return {"FINISHED"}


class FACEAFF_OT_generate_expression_keys(bpy.types.Operator):
    """Add the 52 ARKit expression keys to a head that has none (paper 004): uses the key
    points you placed (Detect Key Points) or finds them, then sculpts soft-mod keys around
    them in the background"""

    bl_idname = "faceaff.generate_expression_keys"
    bl_label = "Generate Expression Keys"
    bl_options = {"REGISTER"}  # the keys are written, as one undo step, when the job ends

    @reports_errors
    def execute(self, context):
        from .props import target_object

        if jobs.is_running(JOB_KIND):
            self.report({"WARNING"}, "Keys are already being generated: wait or cancel.")
            return {"CANCELLED"}
        job = key_input(target_object(context))  # renders here: bpy stays on this thread

        def work(progress, should_cancel):
            def step(fraction: float, key: str) -> None:
                if should_cancel():
                    raise CancelledError("Generating expression keys was cancelled.")
                progress(fraction, f"Building {key}…")

            return build_offsets(job, step)

        def on_done(built):
            return _apply(job.name, job, built)

        jobs.start_job(
            JOB_KIND, "Generate Expression Keys", work, scene=context.scene, on_done=on_done
        )
        self.report({"INFO"}, f"Generating {len(job.plan.write)} keys in the background…")
        return {"FINISHED"}


classes = (
    FACEAFF_OT_detect_key_points,
    FACEAFF_OT_discard_key_points,
    FACEAFF_OT_generate_expression_keys,
)
# fake-bpy-module 5.0 types register_classes_factory() as returning None, not the pair.
register, unregister = bpy.utils.register_classes_factory(classes)  # type: ignore[func-returns-value,misc]

__all__ = [
    "KeyInput",
    "build_offsets",
    "check_head",
    "detect_landmarks",
    "generate_keys",
    "key_input",
    "register",
    "remove_key_points",
    "show_key_points",
    "unregister",
    "write_keys",
]
