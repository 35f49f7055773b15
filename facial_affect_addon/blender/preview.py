"""Live preview: the face reacts in the viewport, tick by tick, to a script, the microphone or
a webcam.

The feeders and the session state are plain Python in :mod:`..pipeline.live` (and
:mod:`..pipeline.live_webcam`); this operator only turns the panel into a
:class:`~..pipeline.live.LiveRequest`, writes the session's key values on every TIMER tick of
its modal loop, reports the feeder's errors, and on Esc or right-click puts back every value
the preview touched. "Record take" bakes what was shown as a new take, whatever the source.
The rig's mapping is the one Bake uses (the mapping editor's rows, else chosen from the key
names), so whole-face keys (VRoid ``Fcl_ALL_Joy``), offsets and clamps show live as they bake.

Timers never fire in background Blender, so tests call :meth:`FACEAFF_OT_live_preview.modal`
with stand-in events (``.type``/``.value``) and :meth:`~..pipeline.live.LiveSession.drain`
directly.
"""

from __future__ import annotations

import contextlib
import time

import bpy

from ..pipeline.options import FaceMode, LiveSource
from . import bake, jobs
from .operators import shape_key_problem
from .props import scene_fps, target_object
from .reporting import log_internal_error, poll_with_reason, report_bake, reports_errors

TICK_S = 1.0 / 30.0
MAX_DT_S = 0.25  # a stalled UI must not make the face jump
_ACTIVE: list = []


def live_request(context):
    """The panel's live settings as a :class:`~..pipeline.live.LiveRequest` (main thread).

    Raises:
        InputError: An invalid LLM endpoint or model name (script and microphone only).
    """
    from ..pipeline.live import LiveRequest
    from .prefs import service_settings

    settings = context.scene.faceaff
    source = LiveSource(settings.live_source)
    if source == LiveSource.WEBCAM:
        camera = settings.live_camera.strip()
        if camera and not camera.isdigit():
            camera = bpy.path.abspath(camera)  # "//clip.mp4" is relative to the .blend
        return LiveRequest(source, camera=camera, face=FaceMode(settings.live_face_mode))
    return LiveRequest(source, tuple(settings.lines()), service_settings(context))


def active_preview():
    """The running live-preview operator, or None."""
    return _ACTIVE[0] if _ACTIVE else None


class FACEAFF_OT_live_preview(bpy.types.Operator):
    """Preview the face reacting live in the viewport (Esc or right-click to stop)"""

    bl_idname = "faceaff.live_preview"
    bl_label = "Live Preview"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        problem = shape_key_problem(target_object(context))
        if problem is None and _ACTIVE:
            problem = "A live preview is already running (Esc stops it)."
        return poll_with_reason(cls, problem)

    def invoke(self, context, event):
        return self.execute(context)

    @reports_errors
    def execute(self, context):
        from ..pipeline.live import start_session
        from .operators_mapping import mapping_profile

        settings = context.scene.faceaff
        obj = target_object(context)
        profile, notes = mapping_profile(obj)  # what Bake would use
        session = start_session(
            live_request(context),
            bake.shape_key_names(obj),
            life=settings.life,
            seed=settings.seed,
            record=settings.live_record,
            profile=profile,
        )
        for note in notes:
            self.report({"WARNING"}, note)
        blocks = obj.data.shape_keys.key_blocks
        session.originals = {n: blocks[n].value for n in session.touched_keys if n in blocks}
        self._object_name = obj.name
        self._scene_name = context.scene.name
        self._session = session
        self._shown = ""
        self._last = time.monotonic()
        wm = context.window_manager
        self._timer = wm.event_timer_add(TICK_S, window=context.window) if context.window else None
        wm.modal_handler_add(self)
        settings.live_running = True
        _ACTIVE.append(self)
        return {"RUNNING_MODAL"}

    @property
    def session(self):
        """The session's plain-Python state."""
        return self._session

    def modal(self, context, event):
        try:
            if event.type in {"ESC", "RIGHTMOUSE"} and event.value == "PRESS":
                return self.stop(context)
            if event.type == "TIMER":
                now = time.monotonic()
                dt, self._last = min(now - self._last, MAX_DT_S), now
                return self.tick(context, dt)
        except Exception as exc:  # a bug (tick's own are handled there): stop, one line
            return self._fail(context, exc)
        return {"PASS_THROUGH"}

    def tick(self, context, dt: float):
        """One step: drain events, advance, write key values (called by modal on TIMER).

        A bug stops the preview cleanly (values restored, timer removed, no take baked) and
        is reported in one line, its traceback in the error log.
        """
        try:
            return self._tick(context, dt)
        except Exception as exc:
            return self._fail(context, exc)

    def _fail(self, context, exc: Exception):
        """Stop after a bug: put the values back and end the operator, whatever else fails."""
        message = log_internal_error(exc, f"{self.bl_idname} (while running)")
        try:
            self._end(context, bake_take=False)
        except Exception as cleanup:  # restoring failed too: still stop the feeder and timer
            log_internal_error(cleanup, f"{self.bl_idname} (stopping after an error)")
            self._abandon(context)
        _report(self, {"ERROR"}, f"Live preview stopped: {message}")
        return {"CANCELLED"}

    def _abandon(self, context) -> None:
        """End the preview's feeder, timer and running state, each step whatever the others do."""
        with contextlib.suppress(Exception):
            self._session.feeder.stop()
        with contextlib.suppress(Exception):
            _status_text(context, None)
        timer, self._timer = self._timer, None
        if timer is not None:
            with contextlib.suppress(Exception):
                context.window_manager.event_timer_remove(timer)
        if self in _ACTIVE:
            _ACTIVE.remove(self)
        with contextlib.suppress(Exception):
            bpy.data.scenes[self._scene_name].faceaff.live_running = False

    def _tick(self, context, dt: float):
        session = self._session
        session.drain()
        if session.error:
            _report(self, {"WARNING"}, session.error)
            session.error = ""
        if session.text != self._shown:
            self._shown = session.text
            _status_text(context, f"Live preview: {session.text}  (Esc stops)")
        obj = bpy.data.objects.get(self._object_name)
        key = getattr(getattr(obj, "data", None), "shape_keys", None)
        if key is None:
            _report(self, {"WARNING"}, "The previewed object was removed; preview stopped.")
            return self._end(context, bake_take=False)
        for name, value in session.advance(dt).items():
            block = key.key_blocks.get(name)
            if block is not None:
                block.value = value
        if session.finished:
            return self.stop(context)
        return {"RUNNING_MODAL"}

    def stop(self, context):
        """Restore the original values, bake the recording if asked, end the operator."""
        return self._end(context, bake_take=self._session.record)

    def _end(self, context, *, bake_take: bool):
        session = self._session
        session.feeder.stop()
        obj = bpy.data.objects.get(self._object_name)
        key = getattr(getattr(obj, "data", None), "shape_keys", None)
        if key is not None:
            for name, value in session.originals.items():
                block = key.key_blocks.get(name)
                if block is not None:
                    block.value = value
        self._cleanup(context)
        if not bake_take or key is None:
            return {"CANCELLED"}
        return self._bake(context)

    @reports_errors
    def _bake(self, context):
        """Bake what the session recorded as a new take ("<take> live")."""
        from dataclasses import replace

        from .operators import bake_options

        settings = context.scene.faceaff
        curves = self._session.recorded_curves(scene_fps(context.scene), settings.frame_start)
        if curves is None:
            self.report({"WARNING"}, "Nothing was recorded; no take was made.")
            return {"CANCELLED"}
        options = replace(bake_options(settings), take_name=f"{settings.take_name} live")
        result = bake.bake_curves(bpy.data.objects[self._object_name], curves, options)
        report_bake(self, result)
        return {"FINISHED"}

    def _cleanup(self, context) -> None:
        if self._shown:
            _status_text(context, None)
        if self._timer is not None:
            context.window_manager.event_timer_remove(self._timer)
            self._timer = None
        if self in _ACTIVE:
            _ACTIVE.remove(self)
        scene = bpy.data.scenes.get(self._scene_name)
        if scene is not None:
            scene.faceaff.live_running = False


def _report(op, kind: set[str], message: str) -> None:
    """``op.report`` for the running preview (the seam tests listen on: outside ``bpy.ops``
    a report goes nowhere they can read, and ``report`` cannot be replaced on an instance)."""
    op.report(kind, message)


def _status_text(context, text: str | None) -> None:
    """Show ``text`` in the status bar (None restores it); nothing without a workspace."""
    workspace = getattr(context, "workspace", None)
    if workspace is not None:
        workspace.status_text_set(text)


def _forget_previews() -> None:
    """Before another file loads: stop feeder threads (the old file's data is going away)."""
    for op in list(_ACTIVE):
        op._session.feeder.stop()
    _ACTIVE.clear()


classes = (FACEAFF_OT_live_preview,)
# fake-bpy-module 5.0 types register_classes_factory() as returning None, not the pair.
_register, _unregister = bpy.utils.register_classes_factory(classes)  # type: ignore[func-returns-value,misc]


def register() -> None:
    """Register the operator and stop previews on file load."""
    _register()  # type: ignore[has-type]  # see register_classes_factory above
    jobs.add_file_load_callback(_forget_previews)


def unregister() -> None:
    """Stop running previews and unregister."""
    _forget_previews()
    _unregister()  # type: ignore[has-type]  # see register_classes_factory above
