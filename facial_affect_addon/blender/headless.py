"""Headless baking for the CLI: open a head file, bake a performance, save, render the apex.

The CLI stays free of ``bpy`` and calls :func:`bake_to_file` only when ``--bake`` is given.
Nothing is written unless the bake succeeded: the input .blend is never modified, the output
.blend and PNG are written only at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import bpy
import numpy as np

from ..core.curveset import CurveSet
from ..core.errors import InputError, RigError
from . import bake


@dataclass(frozen=True)
class HeadlessBakeResult:
    """What :func:`bake_to_file` wrote."""

    blend_path: Path
    png_path: Path | None
    object_name: str
    bake: bake.BakeResult
    apex_frame: int


def _find_object(name: str | None) -> bpy.types.Object:
    if name:
        obj = bpy.data.objects.get(name)
        if obj is None:
            raise RigError(f"No object named {name!r} in the head file.")
        return obj
    with_keys = [o for o in bpy.data.objects if o.type == "MESH" and bake.shape_key_names(o)]
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
    make_curves: Callable[[list[str], float], CurveSet],
    *,
    head_path: Path,
    out_blend: Path,
    object_name: str | None = None,
    options: bake.BakeOptions | None = None,
    png_path: Path | None = None,
    resolution: int = 512,
) -> HeadlessBakeResult:
    """Open ``head_path``, bake ``make_curves(shape_key_names, fps)`` and save to ``out_blend``.

    Args:
        make_curves: Builds the curves for the rig's shape-key names and the scene's fps.
        head_path: The .blend holding the head (not modified).
        out_blend: Where to save the baked file.
        object_name: The head object; default: the first mesh with shape keys.
        options: Bake options (take name, sparse keys, ...).
        png_path: If given, render the apex frame there (Workbench, square).
        resolution: Render size in pixels.

    Raises:
        InputError: The head file is missing or unreadable.
        RigError: No usable object with shape keys.
    """
    if not Path(head_path).is_file():
        raise InputError(f"Head file not found: {head_path}")
    try:
        bpy.ops.wm.open_mainfile(filepath=str(head_path), load_ui=False)
    except RuntimeError as exc:
        raise InputError(f"Cannot open {head_path}: {exc}") from None
    obj = _find_object(object_name)
    scene = cast("bpy.types.Scene", bpy.context.scene)  # never None with a file loaded
    fps = scene.render.fps / scene.render.fps_base
    curves = make_curves(bake.shape_key_names(obj), fps)
    result = bake.bake_curves(obj, curves, options or bake.BakeOptions())
    scene.frame_start = curves.frame_start
    scene.frame_end = max(scene.frame_start, curves.frame_end)
    apex = apex_frame(curves.validated())
    scene.frame_set(apex)
    out_blend = Path(out_blend).resolve()
    out_blend.parent.mkdir(parents=True, exist_ok=True)
    bpy.ops.wm.save_as_mainfile(filepath=str(out_blend), copy=False, compress=True)
    if png_path is not None:
        render_still(Path(png_path), resolution=resolution)
    return HeadlessBakeResult(out_blend, png_path, obj.name, result, apex)


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
    path.parent.mkdir(parents=True, exist_ok=True)
    scene.render.filepath = str(path)
    bpy.ops.render.render(write_still=True)
    return path
