"""Render a take's sampled frames for its legibility score (issue 16: Score Take, ``cli report``).

A take is an action on the object's shape keys (:func:`.bake.list_takes`); when it was baked,
the performance it plays was kept on it (:func:`.bake.keep_performance`), which tells what
emotion each frame *means*. :class:`TakeRenderer` renders ``N`` evenly spread frames of the take
one at a time (so the Score Take operator can render one per modal step and stay responsive):
front view (the scene's camera, else a temporary orthographic camera looking at the head's
front, -Y), Workbench at a small square size (with the scene's own Workbench look, else a
studio light on a skin-coloured head). Everything it changes (frame, render settings, camera,
the shape keys' action, the active object) is put back by :meth:`TakeRenderer.restore`, and
everything it adds (the temporary camera) removed. The face model then judges the renders on
a worker thread (:func:`..pipeline.take_judge.judge_frames`).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from math import radians
from pathlib import Path
from typing import Any, cast

import bpy
from mathutils import Vector

from ..core.atomic import shown
from ..core.errors import InputError
from ..pipeline.take_judge import RenderedFrame, intended_at, sample_times
from . import bake, bake_layers
from .headless import render_still

DEFAULT_FRAMES = 12
RESOLUTION = 384  # the face detector finds the demo head's face at this size (512 in the harness)
SKIN = (0.80, 0.56, 0.45)
_RENDER_ATTRS = ("engine", "resolution_x", "resolution_y", "resolution_percentage", "filepath")


def find_take(obj: bpy.types.Object, name: str) -> bpy.types.Action:
    """The take of ``obj`` named ``name`` (its action name, or the take name it was baked with).

    Raises:
        InputError: No such take on the object.
    """
    takes = bake.list_takes(obj)
    for action in takes:
        if action.name in (name, f"{obj.name} {name}"):
            return action
    listed = ", ".join(shown(a.name, 40) for a in takes[:8]) or "none"
    raise InputError(f"No take named '{shown(name, 60)}' on '{obj.name}'; its takes: {listed}.")


def take_performance(action: bpy.types.Action):
    """The performance a take was baked from.

    Raises:
        InputError: The take keeps none (baked before Score Take existed, recorded live,
            imported) or its stored text is unreadable.
    """
    from ..pipeline import store

    text = bake.take_performance_text(action)
    if not text:
        raise InputError(
            f"Take '{shown(action.name, 60)}' keeps no performance, so what its frames should "
            "show is unknown; bake it again to score it."
        )
    return store.decode(text)


@dataclass(frozen=True)
class FramePlan:
    """Which frames of a take to render, and what each one means.

    Attributes:
        frames: Scene frame numbers, ascending.
        times: Seconds from the take's first frame, one per frame.
        intended: The emotion the take means at each frame.
    """

    frames: tuple[int, ...]
    times: tuple[float, ...]
    intended: tuple[str, ...]


def plan_frames(action: bpy.types.Action, performance, fps: float, n: int) -> FramePlan:
    """``n`` frames spread over the take (fewer if the take is shorter), with their emotions."""
    start, end = round(action.frame_range[0]), round(action.frame_range[1])
    length = max(1, end - start + 1)
    frames = sorted({start + min(length - 1, int(t * fps)) for t in sample_times(length / fps, n)})
    times = tuple((f - start) / fps for f in frames)
    intended = tuple(intended_at(performance, t) for t in times)
    return FramePlan(tuple(frames), times, intended)


class TakeRenderer:
    """Renders a take's planned frames one by one, then puts the scene back.

    Args:
        scene: The scene to render in.
        obj: The head with the take.
        action: The take.
        plan: The frames to render.
        folder: Where the PNGs go (created).
        resolution: Square render size in pixels.
    """

    def __init__(self, scene, obj, action, plan: FramePlan, folder: Path, resolution=RESOLUTION):
        self.scene, self.obj, self.plan, self.folder = scene, obj, plan, Path(folder)
        self.resolution = resolution
        self.rendered: list[RenderedFrame] = []
        self._saved = _save_state(scene, obj)
        self._camera: Any = None
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            key = obj.data.shape_keys
            anim = key.animation_data or key.animation_data_create()
            if bake_layers.is_layered(action):  # its NLA layers play, as the user hears it
                anim.action = None
                bake_layers.mute_other_takes(key, keep=bake_layers.take_id(action))
            elif anim.action != action:
                anim.action = action
            if action.slots and anim.action is not None and anim.action_slot is None:
                anim.action_slot = action.slots[0]
            if scene.camera is None:
                self._camera = front_camera(scene, obj)
            if scene.render.engine != "BLENDER_WORKBENCH":
                _default_look(scene)
        except Exception:
            self.restore()
            raise

    @property
    def done(self) -> bool:
        """Whether every planned frame is rendered."""
        return len(self.rendered) == len(self.plan.frames)

    def render_next(self) -> RenderedFrame:
        """Render the next planned frame (main thread).

        Raises:
            InputError: Blender could not render or write it.
        """
        i = len(self.rendered)
        self.scene.frame_set(self.plan.frames[i])
        path = self.folder / f"frame_{self.plan.frames[i]:05d}.png"
        render_still(path, resolution=self.resolution, engine="BLENDER_WORKBENCH")
        frame = RenderedFrame(self.plan.times[i], self.plan.intended[i], path)
        self.rendered.append(frame)
        return frame

    def restore(self) -> None:
        """Put back everything changed and remove the temporary camera (idempotent)."""
        if self._camera is not None:
            data = self._camera.data
            bpy.data.objects.remove(self._camera)
            bpy.data.cameras.remove(data)
            self._camera = None
        if self._saved:
            _restore_state(self.scene, self.obj, self._saved)
            self._saved = {}


def front_camera(scene, obj) -> bpy.types.Object:
    """A temporary orthographic camera framing ``obj``'s bounds from the front (-Y), as the
    scene camera."""
    corners = [obj.matrix_world @ Vector(c) for c in obj.bound_box]
    low = Vector([min(c[i] for c in corners) for i in range(3)])
    high = Vector([max(c[i] for c in corners) for i in range(3)])
    centre, size = (low + high) / 2.0, high - low
    longest = max(size.x, size.y, size.z)
    data = bpy.data.cameras.new("faceaff_score_camera")
    data.type = "ORTHO"
    data.ortho_scale = 1.15 * max(size.x, size.z, 1e-3)
    data.clip_start, data.clip_end = 0.01 * longest, 20.0 * longest + 1.0
    cam = bpy.data.objects.new("faceaff_score_camera", data)
    cam.location = centre - Vector((0.0, 4.0 * longest + 1.0, 0.0))
    cam.rotation_euler = (radians(90.0), 0.0, 0.0)  # looks along +Y, up is +Z
    scene.collection.objects.link(cam)
    scene.camera = cam
    return cam


def _default_look(scene) -> None:
    cast(Any, scene.view_settings).view_transform = "Standard"
    shading = cast(Any, scene.display).shading
    shading.light, shading.color_type = "STUDIO", "SINGLE"
    shading.single_color = SKIN


def _save_state(scene, obj) -> dict:
    render = scene.render
    shading = scene.display.shading
    anim = obj.data.shape_keys.animation_data if obj.data.shape_keys else None
    view_layer = bpy.context.view_layer
    return {
        "render": {name: getattr(render, name) for name in _RENDER_ATTRS},
        "format": render.image_settings.file_format,
        "frame": scene.frame_current,
        "camera": scene.camera,
        "view_transform": scene.view_settings.view_transform,
        "shading": (shading.light, shading.color_type, tuple(shading.single_color)),
        "action": (anim.action, anim.action_slot) if anim is not None else None,
        "mutes": [t.mute for t in anim.nla_tracks] if anim is not None else [],
        "active": view_layer.objects.active if view_layer is not None else None,
    }


def _restore_state(scene, obj, saved: dict) -> None:
    render = scene.render
    for name, value in saved["render"].items():
        setattr(render, name, value)
    render.image_settings.file_format = saved["format"]
    scene.camera = saved["camera"]
    cast(Any, scene.view_settings).view_transform = saved["view_transform"]
    shading = cast(Any, scene.display).shading
    shading.light, shading.color_type, shading.single_color = saved["shading"]
    anim = obj.data.shape_keys.animation_data
    if saved["action"] is None:
        if anim is not None:
            obj.data.shape_keys.animation_data_clear()
    else:
        anim.action, slot = saved["action"]
        if slot is not None and anim.action_slot != slot:
            anim.action_slot = slot
        for track, mute in zip(anim.nla_tracks, saved["mutes"], strict=False):
            track.mute = mute
    scene.frame_set(saved["frame"])
    view_layer = bpy.context.view_layer
    if view_layer is not None and saved["active"] is not None:
        view_layer.objects.active = saved["active"]


def take_report_inputs(blend_path: Path, object_name: str | None, take_name: str, *, n=None):
    """The inputs of ``cli report FILE.blend --object NAME --take NAME``.

    Opens the file (never saves it), renders ``n`` sampled frames of the take to a temporary
    folder (removed afterwards) and judges them with the face model.

    Args:
        blend_path: The .blend holding the head and its take.
        object_name: The head object (None: the first mesh with shape keys).
        take_name: The take's action name, or the name it was baked with.
        n: How many frames to sample (default :data:`DEFAULT_FRAMES`).

    Returns:
        ``(performance document, TakeLegibility)``: the performance as the CLI's JSON
        document, and the take's legibility.

    Raises:
        InputError: Missing file, take or stored performance; a render that fails.
        RigError: No such object.
    """
    from ..pipeline.take_judge import judge_frames
    from .headless import open_head

    obj = open_head(Path(blend_path), object_name)
    action = find_take(obj, take_name)
    performance = take_performance(action)
    scene = cast("bpy.types.Scene", bpy.context.scene)
    fps = scene.render.fps / scene.render.fps_base
    plan = plan_frames(action, performance, fps, n or DEFAULT_FRAMES)
    folder = Path(tempfile.mkdtemp(prefix="faceaff-score-"))
    try:
        renderer = TakeRenderer(scene, obj, action, plan, folder)
        try:
            while not renderer.done:
                renderer.render_next()
        finally:
            renderer.restore()
        legibility = judge_frames(renderer.rendered)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return performance.to_json(), legibility
