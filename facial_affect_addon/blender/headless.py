"""Headless baking for the CLI: open a head file, bake a performance, save, render the apex.

The CLI stays free of ``bpy`` and calls :func:`bake_to_file` only when ``--bake`` is given.
Nothing is written unless everything succeeded: the output paths are checked and the head file's
camera (for a PNG) looked for before the bake; the .blend (saved as a copy, so the head file stays
the open one) and the PNG are written under temporary names in their folders and renamed together
at the end (:class:`~..core.atomic.OutputSet`). The input .blend is never modified.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

import bpy
import numpy as np

from ..core.atomic import OutputSet, check_output_path, shown
from ..core.curveset import CurveSet
from ..core.errors import InputError, RigError
from . import bake, bake_head

if TYPE_CHECKING:
    from ..pipeline.layers import LayeredCurves
    from ..pipeline.performance import Performance


@dataclass(frozen=True)
class HeadlessBakeResult:
    """What :func:`bake_to_file` wrote."""

    blend_path: Path
    png_path: Path | None
    object_name: str
    bake: bake.BakeResult
    apex_frame: int
    head: bake_head.HeadBakeResult | None = None


def _find_object(name: str | None) -> bpy.types.Object:
    with_keys = [o for o in bpy.data.objects if o.type == "MESH" and bake.shape_key_names(o)]
    choices = ", ".join(shown(o.name, 40) for o in with_keys[:10]) or "none"
    if name:
        obj = bpy.data.objects.get(name)
        if obj is None:
            raise RigError(
                f"No object named '{shown(name, 60)}' in the head file; meshes with shape "
                f"keys: {choices}."
            )
        return obj
    if not with_keys:
        raise RigError("The head file has no mesh with shape keys; pass --object NAME.")
    return with_keys[0]


def apex_frame(curves: CurveSet) -> int:
    """The frame where the summed activation of the expression channels peaks.

    Blink channels are left out: a blink is the largest single movement on a face and would
    otherwise pick a frame with the eyes shut instead of the expression's apex.
    """
    expressive = [v for k, v in curves.channels.items() if "blink" not in k.lower()]
    total = np.sum(np.vstack(expressive or list(curves.channels.values())), axis=0)
    return curves.frame_start + int(np.argmax(total))


def bake_to_file(
    make_curves: Callable[[list[str], float], CurveSet | LayeredCurves],
    *,
    head_path: Path,
    out_blend: Path,
    object_name: str | None = None,
    options: bake.BakeOptions | None = None,
    png_path: Path | None = None,
    resolution: int = 512,
    outputs: OutputSet | None = None,
    performance: Performance | None = None,
    head_target: str | None = None,
) -> HeadlessBakeResult:
    """Open ``head_path``, bake ``make_curves(shape_key_names, fps)`` and save to ``out_blend``.

    Args:
        make_curves: Builds the curves for the rig's shape-key names and the scene's fps
            (layers, :class:`~..pipeline.layers.LayeredCurves`, bake as such with
            ``options.layers``).
        head_path: The .blend holding the head (not modified).
        out_blend: Where to save the baked file.
        object_name: The head object; default: the first mesh with shape keys.
        options: Bake options (take name, sparse keys, ...).
        png_path: If given, render the apex frame there (Workbench, square).
        resolution: Render size in pixels.
        outputs: Write the files as temporaries of this set, which the caller commits with its
            other outputs; default: a set of its own, committed before returning.
        performance: The performance the curves play, kept on the take for ``cli report``
            and Score Take (:func:`.bake.keep_performance`).
        head_target: ``OBJECT[:BONE]`` to bake the performance's captured head rotation onto
            (:func:`.bake_head.bake_from_performance`), or None.

    Raises:
        InputError: The head file is missing or unreadable, an output cannot be written.
        RigError: No usable object with shape keys, or no camera for the PNG.
    """
    head_path = Path(head_path)
    out_blend = check_output_path(
        out_blend, what="The .blend", estimate_bytes=_blend_estimate(head_path)
    )
    if png_path is not None:
        png_path = check_output_path(png_path, what="The PNG", estimate_bytes=4 * resolution**2)
    obj = open_head(head_path, object_name, need_camera=png_path is not None)
    scene = cast("bpy.types.Scene", bpy.context.scene)  # never None with a file loaded
    fps = scene.render.fps / scene.render.fps_base
    made = make_curves(bake.shape_key_names(obj), fps)
    result = bake.bake_take(obj, made, options or bake.BakeOptions())
    curves = made if isinstance(made, CurveSet) else made.full
    if performance is not None:
        from ..pipeline import store

        bake.keep_performance(result.action_name, store.encode(performance))
    head = _bake_head(head_target, performance, fps, curves.frame_start)
    scene.frame_start = curves.frame_start
    scene.frame_end = max(scene.frame_start, curves.frame_end)
    apex = apex_frame(curves.validated())
    scene.frame_set(apex)
    _write(out_blend, png_path, resolution, outputs)
    return HeadlessBakeResult(out_blend, png_path, obj.name, result, apex, head)


def _bake_head(spec: str | None, performance, fps: float, frame_start: int):
    """The head rotation baked onto ``spec`` (``OBJECT[:BONE]``), or None without one."""
    if not spec:
        return None
    return bake_head.bake_from_performance(spec, performance, fps=fps, frame_start=frame_start)


def open_head(
    head_path: Path, object_name: str | None = None, *, need_camera: bool = False
) -> bpy.types.Object:
    """Open the head file and return its head object; the CLI also calls it before analysing,
    so a wrong head, object or a missing camera fails in a second, not after the analysis.

    Raises:
        InputError: The file is missing or not a .blend Blender can open.
        RigError: No such object, no mesh with shape keys, or no camera when one is needed.
    """
    head_path = Path(head_path)
    if not head_path.is_file():
        raise InputError(f"Head file not found: {shown(head_path)}")
    try:
        bpy.ops.wm.open_mainfile(filepath=str(head_path), load_ui=False)
    except RuntimeError as exc:
        raise InputError(f"Cannot open {shown(head_path)}: {_first_line(exc)}") from None
    obj = _find_object(object_name)
    scene = cast("bpy.types.Scene", bpy.context.scene)  # never None with a file loaded
    if need_camera and scene.camera is None:
        raise RigError(
            f"The head file {shown(head_path.name)} has no scene camera to render the PNG from; "
            "add one or drop --png."
        )
    return obj


def _write(blend: Path, png: Path | None, resolution: int, outputs: OutputSet | None) -> None:
    """Save the .blend and render the PNG to temporaries; rename them unless ``outputs``
    belongs to the caller (who commits it with its other outputs)."""
    own = outputs is None
    outputs = OutputSet() if outputs is None else outputs
    try:
        save_copy(outputs.temp(blend), blend)
        if png is not None:
            render_still(outputs.temp(png), resolution=resolution)
        if own:
            outputs.commit()
    finally:
        if own:
            outputs.discard()


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return shown(lines[-1] if lines else type(exc).__name__, 200)


def _blend_estimate(head_path: Path) -> int:
    try:
        return 2 * head_path.stat().st_size
    except OSError:
        return 0


def save_copy(path: Path, final: Path | None = None) -> Path:
    """Save the open file as a copy at ``path`` (the open file's own path is unchanged).

    Raises:
        InputError: Blender could not write it (the message names ``final``, default ``path``).
    """
    try:
        bpy.ops.wm.save_as_mainfile(filepath=str(path), copy=True, compress=True)
    except RuntimeError as exc:
        raise InputError(
            f"Cannot save {shown(final or path)}: {_first_line(exc)}; choose another folder."
        ) from None
    if not Path(path).is_file():
        raise InputError(f"Blender did not save {shown(final or path)}; choose another folder.")
    return Path(path)


def render_still(path: Path, *, resolution: int = 512, engine: str = "BLENDER_WORKBENCH") -> Path:
    """Render the current frame of the current scene to a PNG.

    Raises:
        RigError: The scene has no camera.
    """
    scene = cast("bpy.types.Scene", bpy.context.scene)  # never None with a file loaded
    if scene.camera is None:
        raise RigError("The scene has no camera to render from.")
    # fake-bpy-module lists only BLENDER_EEVEE: render engines are registered at run time.
    scene.render.engine = engine  # type: ignore[assignment]
    scene.render.resolution_x = scene.render.resolution_y = resolution
    scene.render.resolution_percentage = 100
    scene.render.image_settings.file_format = "PNG"
    path = Path(path).resolve()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"Cannot write {shown(path)}: {exc.strerror}.") from None
    scene.render.filepath = str(path)
    try:
        bpy.ops.render.render(write_still=True)
    except RuntimeError as exc:
        raise InputError(f"Cannot render {shown(path.name)}: {_first_line(exc)}") from None
    if not path.is_file():
        raise InputError(f"Blender did not write {shown(path)}; choose another folder.")
    return path
