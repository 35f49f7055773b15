"""Live preview: the face reacts in the viewport, tick by tick, to a script, the microphone or
a webcam.

A *feeder* thread turns input into messages without touching bpy: the script feeder analyses
each line offline (a line may start with ``[emotion]`` to direct it explicitly) and stamps it
with the time it starts; the microphone feeder cuts speech with the streaming VAD, transcribes
each utterance and analyses it; the webcam feeder (:mod:`.live_webcam`) watches a camera, or a
video file played in real time as if it were one, at up to 15 frames a second. In *Emotion*
mode the face's smoothed emotion probabilities become events; in *Mirror* mode landmark capture
(calibrated on the first second, so the user starts with a neutral face) is retargeted onto
the rig and its newest values replace the state machine's for the keys it drives (blinks come
from the capture too). A missing camera, file or face model is reported when the preview starts
and changes nothing; a face leaving the view holds the last expression and warns once.

Messages wait on a queue; every TIMER tick of the modal operator drains it
(:meth:`LiveSession.drain`), steps the state machine (:class:`~..core.live.LivePreview`) and
writes the shape-key values. Esc or right-click stops the feeder (threads end, the camera is
released) and restores every value the preview touched; "Record take" bakes what was shown as
a new take, whatever the source.

Timers never fire in background Blender, so tests call :meth:`FACEAFF_OT_live_preview.modal`
with stand-in events (``.type``/``.value``) and :meth:`LiveSession.drain` directly.
"""

from __future__ import annotations

import queue
import re
import threading
import time
from dataclasses import dataclass

import bpy

from ..core.errors import FacialAffectError, InputError
from . import bake, jobs
from .operators import poll_with_reason, report_bake, shape_key_problem
from .props import scene_fps, target_object

TICK_S = 1.0 / 30.0
MAX_DT_S = 0.25  # a stalled UI must not make the face jump
_DIRECTED = re.compile(r"^\s*\[(\w+)\]\s*(.*)$")
_ACTIVE: list = []


@dataclass(frozen=True)
class LiveEvent:
    """An emotion to show from ``start_s`` (None: as soon as it arrives) for ``duration_s``."""

    start_s: float | None
    duration_s: float
    weights: object
    intensity: float
    text: str


def directed_line(line: str) -> tuple[str | None, str]:
    """Split ``"[anger] Get out!"`` into ("anger", "Get out!"); (None, line) without a tag."""
    from ..core.emotions import EMOTION_NAMES

    match = _DIRECTED.match(line)
    if match and match.group(1).lower() in EMOTION_NAMES:
        return match.group(1).lower(), match.group(2).strip()
    return None, line.strip()


class ScriptFeeder:
    """Analyses script lines on a worker thread; each line starts when the previous ends."""

    def __init__(self, lines, llm=None):
        self.lines = [ln for ln in lines if ln.strip()]
        if not self.lines:
            raise InputError("The live preview needs a line (or a Script) to play.")
        self.llm = llm
        self.events: queue.Queue = queue.Queue()
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="faceaff-live-script", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()

    def _run(self) -> None:
        from ..core.emotions import EmotionWeights
        from ..pipeline import line_duration

        start = 0.5
        try:
            for line in self.lines:
                if self.stop_event.is_set():
                    return
                emotion, text = directed_line(line)
                if emotion is not None:
                    weights, intensity = EmotionWeights.pure(emotion), 1.0
                else:
                    from ..adapters.text import analyze_text

                    a = analyze_text(text, llm_config=self.llm)
                    weights, intensity, text = a.weights, a.intensity, a.text
                length = line_duration(text) - 1.0
                self.events.put(("event", LiveEvent(start, length, weights, intensity, text)))
                start += length
        except FacialAffectError as exc:
            self.events.put(("error", str(exc)))
        except ImportError as exc:
            self.events.put(("error", f"A required package is missing: {exc.name or exc}."))
        self.events.put(("done", start))


class MicFeeder:
    """Microphone → VAD → speech-to-text → emotion, on a worker thread."""

    def __init__(self, engine: str = "whisper", llm=None):
        from ..adapters.audio import MicrophoneStream

        self.engine = engine
        self.llm = llm
        self.mic = MicrophoneStream()
        self.events: queue.Queue = queue.Queue()
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="faceaff-live-mic", daemon=True)

    def start(self) -> None:
        """Open the microphone (raises InputError right away when there is none)."""
        self.mic.start()
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        self.mic.stop()

    def _run(self) -> None:
        from ..adapters._vad import StreamingSegmenter
        from ..adapters.llm import UtteranceContext
        from ..adapters.stt import get_transcriber, transcribe_segment
        from ..adapters.text import analyze_text

        try:
            transcriber = get_transcriber(self.engine)
            segmenter, context = StreamingSegmenter(), UtteranceContext()
            while not self.stop_event.is_set():
                chunk = self.mic.read(timeout=0.2)
                if chunk is None:
                    continue
                for segment in segmenter.feed(chunk):
                    utterance = transcribe_segment(segment, transcriber)
                    if not utterance.text.strip():
                        continue
                    a = analyze_text(utterance.text, llm_config=self.llm, context=context)
                    length = max(utterance.end_s - utterance.start_s, 0.5) + 1.5
                    event = LiveEvent(None, length, a.weights, a.intensity, a.text)
                    self.events.put(("event", event))
        except FacialAffectError as exc:
            self.events.put(("error", str(exc)))
        except ImportError as exc:
            self.events.put(("error", f"A required package is missing: {exc.name or exc}."))


class LiveSession:
    """Plain-Python state of one preview: clock, pending events, recording, original values."""

    def __init__(self, live, feeder, originals: dict[str, float], *, record: bool = False):
        self.live = live
        self.feeder = feeder
        self.originals = dict(originals)
        self.clock = 0.0
        self.pending: list[LiveEvent] = []
        self.end_s: float | None = None
        self.error = ""
        self.text = ""
        self.record = record
        self.samples: list[tuple[float, dict[str, float]]] = []
        self.captured: dict[str, float] = {}  # newest captured key values (webcam Mirror)

    def drain(self) -> int:
        """Move the feeder's queued messages into the session (main thread).

        Messages are ``("event", LiveEvent)``, ``("values", {key: value})`` (the newest
        wins), ``("status", text)``, ``("error", text)`` and ``("done", end time or None for
        now)``.

        Returns:
            How many events were scheduled.
        """
        n = 0
        while True:
            try:
                kind, payload = self.feeder.events.get_nowait()
            except queue.Empty:
                return n
            if kind == "event":
                start = self.clock if payload.start_s is None else payload.start_s
                self.pending.append(payload if payload.start_s is not None else _at(payload, start))
                self.pending.sort(key=lambda e: e.start_s)
                n += 1
            elif kind == "values":
                self.captured = dict(payload)
            elif kind == "status":
                self.text = payload
            elif kind == "error":
                self.error = payload
            elif kind == "done":
                end = self.clock if payload is None else float(payload)
                self.end_s = end + 1.5  # time for the face to relax

    def advance(self, dt: float) -> dict[str, float]:
        """Start due events, step the state machine by ``dt``; returns the key values.

        Captured values (webcam Mirror) replace the state machine's for the keys they drive.
        """
        self.clock += dt
        while self.pending and self.pending[0].start_s <= self.clock:
            event = self.pending.pop(0)
            self.live.set_emotion(event.weights, event.intensity, duration=event.duration_s)
            self.text = event.text
        values = self.live.tick(dt)
        if self.captured:
            values = {**values, **self.captured}
        if self.record:
            self.samples.append((self.clock, values))
        return values

    @property
    def finished(self) -> bool:
        """True when a script or video file has played out (mic and camera run until stopped)."""
        return self.end_s is not None and not self.pending and self.clock >= self.end_s

    def recorded_curves(self, fps: float, frame_start: int):  # -> CurveSet | None
        """The recorded values resampled to one per frame, or None with fewer than 2 samples."""
        import numpy as np

        from ..core.curveset import CurveSet

        if len(self.samples) < 2:
            return None
        times = np.array([0.0] + [t for t, _ in self.samples])
        n = int(np.floor(times[-1] * fps)) + 1
        grid = np.arange(n) / fps
        # Captured keys may join after calibration: before, the face showed their own values.
        names = dict.fromkeys(name for _, v in self.samples for name in v)
        channels = {}
        for name in names:
            held = self.originals.get(name, 0.0)
            values = np.array([0.0] + [v.get(name, held) for _, v in self.samples])
            channels[name] = np.interp(grid, times, values)
        return CurveSet(frame_start, fps, channels)


def _make_feeder(context, key_names):
    """The feeder for the scene's live source (not started)."""
    from .prefs import service_settings

    settings = context.scene.faceaff
    if settings.live_source == "WEBCAM":
        from .live_webcam import WebcamFeeder

        camera = settings.live_camera.strip()
        if camera and not camera.isdigit():
            camera = bpy.path.abspath(camera)  # "//clip.mp4" is relative to the .blend
        return WebcamFeeder(camera, settings.live_face_mode, key_names)
    services = service_settings(context)
    if settings.live_source == "MIC":
        return MicFeeder(services.stt_engine, services.llm)
    return ScriptFeeder(settings.lines(), services.llm)


def _at(event: LiveEvent, start: float) -> LiveEvent:
    return LiveEvent(start, event.duration_s, event.weights, event.intensity, event.text)


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

    def execute(self, context):
        from ..core.live import LivePreview

        settings = context.scene.faceaff
        obj = target_object(context)
        mirror = settings.live_source == "WEBCAM" and settings.live_face_mode == "MIRROR"
        try:
            names = bake.shape_key_names(obj)
            # In Mirror mode the captured eyes blink; blinks of our own would fight them.
            life = False if mirror else settings.life
            live = LivePreview(names, life=life, seed=settings.seed)
            feeder = _make_feeder(context, names)
            feeder.start()
        except FacialAffectError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        blocks = obj.data.shape_keys.key_blocks
        touched = dict.fromkeys([*live.match.driven_keys, *getattr(feeder, "keys", ())])
        originals = {name: blocks[name].value for name in touched if name in blocks}
        self._object_name = obj.name
        self._scene_name = context.scene.name
        self._session = LiveSession(live, feeder, originals, record=settings.live_record)
        self._shown = ""
        self._last = time.monotonic()
        wm = context.window_manager
        self._timer = wm.event_timer_add(TICK_S, window=context.window) if context.window else None
        wm.modal_handler_add(self)
        settings.live_running = True
        _ACTIVE.append(self)
        return {"RUNNING_MODAL"}

    @property
    def session(self) -> LiveSession:
        """The session's plain-Python state."""
        return self._session

    def modal(self, context, event):
        if event.type in {"ESC", "RIGHTMOUSE"} and event.value == "PRESS":
            return self.stop(context)
        if event.type == "TIMER":
            now = time.monotonic()
            dt, self._last = min(now - self._last, MAX_DT_S), now
            return self.tick(context, dt)
        return {"PASS_THROUGH"}

    def tick(self, context, dt: float):
        """One step: drain events, advance, write key values (called by modal on TIMER)."""
        session = self._session
        session.drain()
        if session.error:
            self.report({"WARNING"}, session.error)
            session.error = ""
        if session.text != self._shown:
            self._shown = session.text
            _status_text(context, f"Live preview: {session.text}  (Esc stops)")
        obj = bpy.data.objects.get(self._object_name)
        key = getattr(getattr(obj, "data", None), "shape_keys", None)
        if key is None:
            self.report({"WARNING"}, "The previewed object was removed; preview stopped.")
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
        return self._bake(context, obj)

    def _bake(self, context, obj):
        from dataclasses import replace

        from .operators import bake_options

        settings = context.scene.faceaff
        curves = self._session.recorded_curves(scene_fps(context.scene), settings.frame_start)
        if curves is None:
            self.report({"WARNING"}, "Nothing was recorded; no take was made.")
            return {"CANCELLED"}
        options = replace(bake_options(settings), take_name=f"{settings.take_name} live")
        try:
            result = bake.bake_curves(obj, curves, options)
        except FacialAffectError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
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
_register, _unregister = bpy.utils.register_classes_factory(classes)


def register() -> None:
    """Register the operator and stop previews on file load."""
    _register()
    jobs.add_file_load_callback(_forget_previews)


def unregister() -> None:
    """Stop running previews and unregister."""
    _forget_previews()
    _unregister()
