"""The live preview's webcam source: camera (or a video file) → face → preview messages.

Two worker threads, neither touching bpy. The *reader* pulls frames from a
:class:`~..adapters.video.WebcamSource` (or a :class:`~..adapters.video.VideoFileSource` paced
to real time, played once) into a one-frame mailbox, so a slow consumer always gets the newest
frame instead of a backlog. The *processor* takes at most ``max_fps`` frames a second from it,
finds and tracks the face as the video path does (:func:`.video_faces.actor_analyzer`: faces
from 40 px tall, the main actor followed) and posts messages on ``events``, the
queue :class:`~.live.LiveSession` drains on the main thread:

* EMOTION: the face crop's 7 emotion probabilities, smoothed exponentially
  (:class:`EmotionFollower`), become an :class:`~.live.EventMessage` whenever the dominant
  emotion changes and at least every ``EVENT_EVERY_S``; the state machine makes the transitions.
* MIRROR: the 468 landmarks go through :class:`~..core.live_capture.LiveCapture` (the
  first second calibrates: start with a neutral face) and
  :class:`~..core.retarget.ArkitRetarget`; :class:`~.live.ValuesMessage` carries the result
  (the newest wins).

Other messages: :class:`~.live.StatusMessage` for the session text (calibrating, no face),
:class:`~.live.ErrorMessage` for a warning the operator reports once,
:class:`~.live.DoneMessage` when a video file has played out. Frames without a face hold the
last expression.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import FacialAffectError, InputError, MissingPackageError, ModelError
from .live import (
    DoneMessage,
    ErrorMessage,
    EventMessage,
    Feeder,
    LiveEvent,
    StatusMessage,
    ValuesMessage,
)
from .options import FaceMode

MAX_FPS = 15.0  # 3 ms (Emotion) / 12 ms (Mirror) a frame here; 15 fps follows expressions
SMOOTHING_S = 0.5  # time constant of the emotion probabilities' exponential smoothing
EVENT_EVERY_S = 0.5  # re-send the current emotion this often so the face keeps following
EVENT_DURATION_S = 1.5  # each event holds this long; a later one cross-fades from it
CALIBRATING = "Calibrating: keep a neutral face"
MIRRORING = "Mirroring the face"
NO_FACE = "No face in view"
JOIN_S = 2.0


def camera_source(camera: str):
    """A frame source for the ``Camera`` setting: a digit string is a camera index, else a file.

    Args:
        camera: ``"0"``, ``"1"``... or a video file path (already made absolute).

    Returns:
        A :class:`~..adapters.video.WebcamSource` or :class:`~..adapters.video.VideoFileSource`
        (not opened yet).

    Raises:
        InputError: An empty setting.
    """
    from ..adapters.video import VideoFileSource, WebcamSource

    text = str(camera).strip()
    if not text:
        raise InputError("Set Camera to a camera index (0 is the first) or a video file.")
    if text.isdigit():
        return WebcamSource(int(text))
    return VideoFileSource(Path(text))


class EmotionFollower:
    """Smooths per-frame emotion probabilities and decides when to send a new event.

    Args:
        smoothing_s: Time constant of the exponential smoothing.
        every_s: Longest time between two events while the dominant emotion stays the same.
        duration_s: How long each event holds before the face relaxes.
    """

    def __init__(
        self,
        smoothing_s: float = SMOOTHING_S,
        every_s: float = EVENT_EVERY_S,
        duration_s: float = EVENT_DURATION_S,
    ) -> None:
        self.smoothing_s, self.every_s, self.duration_s = smoothing_s, every_s, duration_s
        self.probs: np.ndarray | None = None
        self._t: float | None = None
        self._sent_t = -math.inf
        self._sent: str | None = None

    def update(self, probs: np.ndarray | None, t: float) -> LiveEvent | None:
        """Feed one frame's (7,) probabilities (None: no face, hold the last ones) at ``t``.

        Returns:
            An event to send now, or None.
        """
        from ..core.emotions import EmotionWeights

        if probs is not None:
            p = np.asarray(probs, dtype=float)
            if self.probs is None or self._t is None or t <= self._t:
                self.probs = p.copy()
            else:
                alpha = 1.0 - math.exp(-(t - self._t) / self.smoothing_s)
                self.probs = self.probs + alpha * (p - self.probs)
            self._t = t
        if self.probs is None or self.probs.sum() <= 0:
            return None
        weights = EmotionWeights.from_array(self.probs)
        dominant = weights.dominant()
        if dominant == self._sent and t - self._sent_t < self.every_s:
            return None
        self._sent, self._sent_t = dominant, t
        top = float(np.clip(max(weights.values), 0.0, 1.0))
        text = f"{dominant} ({top:.0%})" if probs is not None else f"{NO_FACE} (holding {dominant})"
        return LiveEvent(None, self.duration_s, weights, top, text)


class _LatestFrame:
    """A one-slot mailbox: the reader overwrites, the processor takes the newest unseen frame."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._frame = None
        self.closed = False

    def put(self, frame) -> None:
        with self._cond:
            self._frame = frame
            self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    def take(self, timeout: float):
        """The newest frame not taken yet, or None after ``timeout`` / when closed and empty."""
        with self._cond:
            if self._frame is None and not self.closed:
                self._cond.wait(timeout)
            frame, self._frame = self._frame, None
            return frame


@dataclass
class WebcamStats:
    """Counters for tests and the benchmark: frames read from the source and processed."""

    read: int = 0
    processed: int = 0
    first_s: float = 0.0
    last_s: float = 0.0

    @property
    def processed_fps(self) -> float:
        """Processed frames per second of wall time between the first and last processed."""
        span = self.last_s - self.first_s
        return (self.processed - 1) / span if self.processed > 1 and span > 0 else 0.0


class WebcamFeeder(Feeder):
    """Camera (or video file) → face → emotion events or captured key values, on two threads.

    Args:
        camera: A camera index as text (``"0"``) or a video file path.
        mode: :class:`~.options.FaceMode` (EMOTION or MIRROR).
        key_names: The rig's shape keys (MIRROR retargets onto them).
        max_fps: Most frames processed per second; extra frames are dropped.

    Raises:
        InputError: An empty camera setting or an unknown mode.
        RigError: MIRROR on a rig that cannot take ARKit weights.
    """

    thread_name = "faceaff-live-face"

    def __init__(
        self,
        camera: str,
        mode: FaceMode | str = FaceMode.EMOTION,
        key_names=(),
        max_fps: float = MAX_FPS,
    ) -> None:
        if mode not in tuple(FaceMode):
            raise InputError(f"Unknown face mode {mode!r}; use EMOTION or MIRROR.")
        super().__init__()
        self.mode = FaceMode(mode)
        self.max_fps = max_fps
        self.source = camera_source(camera)
        self._retarget = None
        if self.mode == FaceMode.MIRROR:
            from ..core.capture import CAPTURE_NAMES
            from ..core.retarget import ArkitRetarget

            self._retarget = ArkitRetarget(key_names)
            self.keys = self._retarget.keys(CAPTURE_NAMES)
        self.stats = WebcamStats()
        self._slot = _LatestFrame()
        self._warned: set[str] = set()
        self._status = ""
        self.reader = threading.Thread(target=self._read, name="faceaff-live-cam", daemon=True)

    def start(self) -> None:
        """Load the face models and open the camera/file, then start the threads.

        Raises:
            ModelError: A face model is missing (or MIRROR without the landmark model).
            InputError: No camera at that index, or an unusable video file.
        """
        try:
            self._load_models()
            self.source.open()
        except ImportError as exc:
            raise MissingPackageError.from_import(exc) from None
        self.reader.start()
        super().start()

    def _load_models(self) -> None:
        from ..ml.face_models import MIN_FACE_PX
        from ..ml.faces import FaceAnalyzer
        from .video_faces import actor_analyzer

        # The video path's face finding: faces from MIN_FACE_PX tall, followed from the previous
        # frame's landmarks (one mesh pass while tracked; the detector pyramid only when lost or
        # every few frames), the main actor kept. Landmarks in both modes: tracking needs them.
        self._faces = actor_analyzer(FaceAnalyzer(min_face_px=MIN_FACE_PX), None)
        if self.mode == FaceMode.MIRROR:
            from ..core.live_capture import LiveCapture

            if not self._faces.has_landmarks:
                raise ModelError(
                    "Mirror needs the face landmark model (face_landmark.tflite); run "
                    "`make setup` (tools/fetch_face_models.py) or use Emotion."
                )
            self._capture = LiveCapture()
        else:
            from ..ml.emotion_runtime import EmotionModel

            self._emotions = EmotionModel()
            self._follower = EmotionFollower()
        for warning in self._faces.warnings:
            self._warn(warning)

    def stop(self) -> None:
        """Stop both threads and wait (briefly) until the camera is released."""
        self.stop_event.set()
        self._slot.close()
        for thread in (self.thread, self.reader):
            if thread.is_alive() and thread is not threading.current_thread():
                thread.join(JOIN_S)

    @property
    def running(self) -> bool:
        """Whether a worker thread is still alive."""
        return self.reader.is_alive() or self.thread.is_alive()

    def _warn(self, message: str) -> None:
        """Send a warning once per session (a face flickering in and out must not spam)."""
        if message not in self._warned:
            self._warned.add(message)
            self.post(ErrorMessage(message))

    def _read(self) -> None:
        try:
            for frame in self.source.frames():
                if self.stop_event.is_set():
                    break
                self.stats.read += 1
                self._slot.put(frame)
        except FacialAffectError as exc:
            self.post(ErrorMessage(str(exc)))
        finally:
            self.source.close()
            self._slot.close()

    def finish(self) -> None:
        by_user = self.stop_event.is_set()
        self.stop_event.set()  # the reader stops too and releases the camera
        if not by_user:
            self.post(DoneMessage())  # the video played out, or the camera stopped

    def run(self) -> None:
        period, due = 1.0 / self.max_fps, 0.0
        while not self.stop_event.is_set():
            wait = due - time.monotonic()
            if wait > 0:
                self.stop_event.wait(wait)
                continue
            frame = self._slot.take(timeout=0.2)
            if frame is None:
                if self._slot.closed:
                    return
                continue
            now = time.monotonic()
            due = now + period  # frames arriving before this are dropped (the slot keeps one)
            self._process(frame)
            self._count(now)

    def _count(self, now: float) -> None:
        if self.stats.processed == 0:
            self.stats.first_s = now
        self.stats.processed += 1
        self.stats.last_s = now

    def _process(self, frame) -> None:
        face = self._faces.analyze(frame.rgb)
        if self.mode == FaceMode.EMOTION:
            probs = None
            if face is None:
                self._no_face()
            else:
                self._status = ""  # the event's text replaces "no face" in the session
                probs = self._emotions.predict_faces(frame.rgb, [face.box])[0]
            event = self._follower.update(probs, frame.time_s)
            if event is not None:
                self.post(EventMessage(event))
            return
        if face is None or face.landmarks is None:
            self._no_face()
            return
        weights = self._capture.update(face.landmarks, frame.time_s)
        if weights is None:
            self._set_status(CALIBRATING)
            return
        names = self._capture.names
        keys, values = self._retarget.apply(names, np.array([weights[n] for n in names]))
        self._set_status(MIRRORING)
        self.post(ValuesMessage({k: float(v) for k, v in zip(keys, values, strict=True)}))

    def _set_status(self, text: str) -> None:
        if text != self._status:
            self._status = text
            self.post(StatusMessage(text))

    def _no_face(self) -> None:
        self._set_status(NO_FACE)
        self._warn(f"{NO_FACE}: holding the last expression.")
