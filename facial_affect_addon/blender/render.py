"""Preview render: the active take as a PNG image sequence (Eevee, or Workbench without a GPU).

Frames go to ``<blend folder>/faceaff_preview/<take>/`` (a temporary folder for an unsaved
file, reported). The scene's render settings are restored afterwards, so the only lasting
effect is the images on disk. The folder is checked before the first frame, and each frame is
rendered to a temporary name and renamed when complete, so a failed or cancelled render never
leaves a half-written image. ``FACEAFF_RENDER_ENGINE`` (``BLENDER_EEVEE`` or
``BLENDER_WORKBENCH``) overrides the Auto choice, e.g. for tests and CI.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import cast

import bpy
from bpy.props import BoolProperty, IntProperty

from ..core.atomic import check_output_path, shown, temp_path_for
from ..core.errors import InputError
from .operators import active_take
from .props import target_object
from .reporting import poll_with_reason, reports_errors

ENGINE_ENV = "FACEAFF_RENDER_ENGINE"


def _engine_ids() -> set[str]:
    prop = cast("bpy.types.EnumProperty", bpy.types.RenderSettings.bl_rna.properties["engine"])
    return {item.identifier for item in prop.enum_items}


def choose_engine(requested: str) -> str:
    """The engine to render with: the requested one, else env, else Eevee with a GPU context."""
    available = _engine_ids() | {"BLENDER_EEVEE", "BLENDER_WORKBENCH"}
    if requested == "AUTO":
        requested = os.environ.get(ENGINE_ENV, "").strip().upper() or "AUTO"
    if requested == "AUTO":
        # Background Blender has no GPU context of its own; Workbench renders everywhere.
        requested = "BLENDER_WORKBENCH" if bpy.app.background else "BLENDER_EEVEE"
    if requested == "BLENDER_EEVEE" and "BLENDER_EEVEE" not in _engine_ids():
        requested = "BLENDER_EEVEE_NEXT" if "BLENDER_EEVEE_NEXT" in available else requested
    return requested


def output_dir(take_name: str) -> tuple[Path, bool]:
    """Where frames go, and whether that is a temporary folder (unsaved file)."""
    safe = bpy.path.clean_name(take_name) or "take"
    if bpy.data.filepath:
        return Path(bpy.path.abspath("//")) / "faceaff_preview" / safe, False
    return Path(tempfile.mkdtemp(prefix=f"faceaff-{safe}-")), True


_SAVED = ("engine", "resolution_x", "resolution_y", "resolution_percentage", "filepath")


class FACEAFF_OT_render_preview(bpy.types.Operator):
    """Render the active take to a PNG image sequence (small, quick preview)"""

    bl_idname = "faceaff.render_preview"
    bl_label = "Render Preview"
    bl_options = {"REGISTER"}

    use_take_range: BoolProperty(
        name="Take's frames", description="Render the take's frame range", default=True
    )
    frame_start: IntProperty(name="Start", default=1)
    frame_end: IntProperty(name="End", default=24)
    frame_step: IntProperty(name="Step", default=1, min=1)

    @classmethod
    def poll(cls, context):
        problem = None
        if context.scene.camera is None:
            problem = "The scene has no camera to render from."
        elif active_take(target_object(context)) is None:
            problem = "The target has no active take: bake one first."
        return poll_with_reason(cls, problem)

    @reports_errors
    def execute(self, context):
        scene = context.scene
        settings = scene.faceaff
        take = active_take(target_object(context))
        if self.use_take_range:
            start, end = (round(f) for f in take.frame_range)
        else:
            start, end = self.frame_start, self.frame_end
        if end < start:
            raise InputError(f"Empty frame range {start}–{end}.")
        frames = list(range(start, end + 1, self.frame_step))
        folder, temporary = output_dir(take.name)
        check_output_path(folder / "frame_0001.png", what="The preview frame")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"Cannot create {shown(folder)}: {exc.strerror}.") from None
        engine = choose_engine(settings.render_engine)
        written = self._render(context, frames, folder, engine, settings.render_size)
        where = f"a temporary folder (save the file to render next to it): {folder}"
        self.report(
            {"INFO"},
            f"Rendered {len(written)} frame(s) with {engine.split('_')[-1].title()} to "
            + (where if temporary else str(folder)),
        )
        return {"FINISHED"}

    def _render(self, context, frames, folder: Path, engine: str, size: int) -> list[Path]:
        scene, render = context.scene, context.scene.render
        saved = {name: getattr(render, name) for name in _SAVED}
        saved_format, saved_frame = render.image_settings.file_format, scene.frame_current
        wm = context.window_manager
        written = []
        try:
            render.engine = engine
            render.resolution_x = render.resolution_y = size
            render.resolution_percentage = 100
            render.image_settings.file_format = "PNG"
            if wm.windows:
                wm.progress_begin(0, len(frames))
            for i, frame in enumerate(frames):
                scene.frame_set(frame)
                path = folder / f"frame_{frame:04d}.png"
                written.append(_render_frame(render, path))
                if wm.windows:
                    wm.progress_update(i + 1)
        finally:
            if wm.windows:
                wm.progress_end()
            for name, value in saved.items():
                setattr(render, name, value)
            render.image_settings.file_format = saved_format
            scene.frame_set(saved_frame)
        return written


def _render_frame(render, path: Path) -> Path:
    """Render the current frame to a temporary name next to ``path`` and rename it there.

    Raises:
        InputError: Blender wrote no image, or the rename failed.
    """
    temp = temp_path_for(path)
    render.filepath = str(temp)
    try:
        bpy.ops.render.render(write_still=True)
        if not temp.is_file():
            raise InputError(f"Blender did not write {shown(path)}; check the folder.")
        os.replace(temp, path)
    except OSError as exc:
        raise InputError(f"Cannot write {shown(path)}: {exc.strerror}.") from None
    finally:
        temp.unlink(missing_ok=True)
    return path


classes = (FACEAFF_OT_render_preview,)
# fake-bpy-module 5.0 types register_classes_factory() as returning None, not the pair.
register, unregister = bpy.utils.register_classes_factory(classes)  # type: ignore[func-returns-value,misc]
