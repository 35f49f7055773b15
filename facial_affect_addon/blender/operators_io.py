"""Export a take's curves and import curve files as a take (JSON or Live Link Face CSV).

The file formats are the engine's (:mod:`..core.formats`); these operators only move values
between F-curves and a :class:`~..core.curveset.CurveSet`. A layered take is exported flattened:
the values Blender plays with every layer's mute and influence.
"""

from __future__ import annotations

from pathlib import Path

import bpy
from bpy.props import BoolProperty, EnumProperty, StringProperty
from bpy_extras.io_utils import ExportHelper, ImportHelper

from ..core.errors import InputError
from . import bake, bake_head
from .operators import active_take, bake_options, shape_key_problem
from .props import scene_fps, target_object
from .reporting import poll_with_reason, report_bake, report_warnings, reports_errors

_FORMATS = [
    ("JSON", "JSON curves", "The add-on's versioned curves document"),
    ("CSV", "Live Link Face CSV", "Epic's Live Link Face take (ARKit blendshapes)"),
]


def take_curves(action, fps: float, obj=None):  # -> CurveSet
    """A take's shape-key values once per frame over its frame range.

    A layered take is flattened as Blender plays it on ``obj`` (every layer with its mute and
    influence, :func:`.bake_layers.evaluated_curves`); a single-action take's F-curves are
    sampled directly.

    Raises:
        InputError: The take holds no shape-key curves (or, layered, no layers on ``obj``).
    """
    import numpy as np

    from ..core.curveset import CurveSet
    from .bake_layers import evaluated_curves, is_layered

    if is_layered(action) and obj is not None:
        return evaluated_curves(obj, action, fps)
    start, end = (round(f) for f in action.frame_range)
    frames = np.arange(start, end + 1, dtype=float)
    channels = {}
    for fcurve in bake.action_fcurves(action):
        name = bake.key_name_from_path(fcurve.data_path)
        if name is not None:
            channels[name] = np.array([fcurve.evaluate(f) for f in frames])
    if not channels:
        raise InputError(f"Take {action.name!r} holds no shape-key curves to export.")
    return CurveSet(int(start), fps, channels)


# fake-bpy-module 5.0 types ExportHelper.invoke() and check() as returning None, unlike Operator's.
class FACEAFF_OT_export_curves(bpy.types.Operator, ExportHelper):  # type: ignore[misc]
    """Export the active take's shape-key curves (JSON or Live Link Face CSV)"""

    bl_idname = "faceaff.export_curves"
    bl_label = "Export Curves"
    bl_options = {"REGISTER"}

    filename_ext = ".json"
    filter_glob: StringProperty(default="*.json;*.csv", options={"HIDDEN"})
    file_format: EnumProperty(name="Format", items=_FORMATS, default="JSON")

    @classmethod
    def poll(cls, context):
        if active_take(target_object(context)) is None:
            cls.poll_message_set("The target has no active take to export.")
            return False
        return True

    def check(self, context):
        ext = ".csv" if self.file_format == "CSV" else ".json"
        if self.filename_ext != ext:
            self.filename_ext = ext
        return super().check(context)

    @reports_errors
    def execute(self, context):
        from ..core import formats
        from ..core.atomic import check_output_path

        path = Path(bpy.path.abspath(self.filepath))
        check_output_path(path, what="The export file")  # before any work; written atomically
        fmt = "CSV" if path.suffix.lower() == ".csv" else self.file_format
        obj = target_object(context)
        curves = take_curves(active_take(obj), scene_fps(context.scene), obj)
        if fmt == "CSV":  # with the take's head and eye rotations when it has them
            rotations = bake_head.take_rotations(active_take(target_object(context)), curves)
            warnings = formats.write_live_link_csv(curves, path, include_rotations=rotations)
            report_warnings(self, warnings[:3])
        else:
            formats.save_curves(curves, path)
        self.report({"INFO"}, f"Exported {len(curves.channels)} curves to {path}.")
        return {"FINISHED"}


# fake-bpy-module 5.0 types ImportHelper.invoke() and check() as returning None, unlike Operator's.
class FACEAFF_OT_import_curves(bpy.types.Operator, ImportHelper):  # type: ignore[misc]
    """Import curves (JSON or Live Link Face CSV) as a new take on the target"""

    bl_idname = "faceaff.import_curves"
    bl_label = "Import Curves"
    bl_options = {"REGISTER", "UNDO"}

    filter_glob: StringProperty(default="*.json;*.csv", options={"HIDDEN"})
    use_scene_start: BoolProperty(
        name="Start at the bake start frame",
        description="Place the first sample at the panel's start frame (else the file's)",
        default=True,
    )

    @classmethod
    def poll(cls, context):
        return poll_with_reason(cls, shape_key_problem(target_object(context)))

    @reports_errors
    def execute(self, context):
        from dataclasses import replace

        settings = context.scene.faceaff
        path = Path(bpy.path.abspath(self.filepath))
        fps = scene_fps(context.scene)
        curves = read_curves_file(path, settings.frame_start, fps, self.use_scene_start)
        options = replace(bake_options(settings), take_name=settings.take_name or path.stem)
        result = bake.bake_curves(target_object(context), curves, options)
        report_bake(self, result)
        return {"FINISHED"}


def read_curves_file(path: Path, frame_start: int, fps: float, use_scene_start: bool = True):
    """Read a curves file (JSON, or Live Link CSV by its suffix) re-timed to ``fps``.

    Everything that can be wrong with the file is found here, before any bake (encoding, size,
    counts, numbers, types, and the length once re-timed; see :mod:`..core.limits`), so a
    failed import creates nothing.

    Returns:
        The validated :class:`~..core.curveset.CurveSet` at ``fps``.

    Raises:
        InputError: One line naming the file.
    """
    from dataclasses import replace

    from ..core import formats, limits

    if path.suffix.lower() == ".csv":
        curves = formats.read_live_link_csv(path, frame_start=frame_start)
    else:
        curves = formats.load_curves(path)
        if use_scene_start:
            curves = replace(curves, frame_start=frame_start)
    curves = curves.validated()
    n_channels = len(curves.channels)
    source = f"Curves file {str(path)!r}"
    start = curves.frame_start
    limits.check_resample(curves.n_frames, curves.fps, fps, n_channels, start, source)
    return curves.at_fps(fps)


classes = (FACEAFF_OT_export_curves, FACEAFF_OT_import_curves)
# fake-bpy-module 5.0 types register_classes_factory() as returning None, not the pair.
register, unregister = bpy.utils.register_classes_factory(classes)  # type: ignore[func-returns-value,misc]
