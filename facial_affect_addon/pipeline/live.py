"""Live input: a script played in real time, the microphone, a webcam → the face, tick by tick.

A *feeder* runs on a worker thread (never bpy) and posts typed messages on its ``events``
queue: :class:`EventMessage` (an emotion to show), :class:`ValuesMessage` (captured key values,
the newest wins), :class:`StatusMessage`, :class:`ErrorMessage` (reported once) and
:class:`DoneMessage` (a script or video file has played out). The script feeder reads each line
through :class:`~.text.LineReader` and stamps it with the time it starts; the microphone
feeder (:mod:`.live_speech`) shows a *provisional* face while the person speaks
(:class:`MouthMessage` and a provisional :class:`EventMessage`), then cuts the utterance with
the streaming VAD, transcribes and reads it and corrects the face; the webcam feeder lives in
:mod:`.live_webcam`.

:class:`LiveSession` is the preview's plain-Python state on the main thread: it drains the
queue, steps the state machine (:class:`~..core.live.LivePreview`) and records what was shown,
so the Blender operator only writes key values and bakes the recording.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from ..core import error_log
from ..core.curveset import CurveSet
from ..core.emotions import EmotionWeights
from ..core.errors import FacialAffectError, InputError, MissingPackageError
from ..core.rig_profile import RigProfile
from ..core.sampling import frame_grid, sample_linear
from .options import FaceMode, LiveSource
from .services import ServiceSettings
from .text import TAIL_SECONDS, LineReader, line_duration

SCRIPT_LEAD_S = 0.5  # the first line starts after this, so the viewport shows the rise
RELAX_S = 1.5  # after the last event, time for the face to relax before the preview ends
UTTERANCE_HOLD_S = 1.5  # a spoken utterance's emotion holds this long after it ends


@dataclass(frozen=True)
class LiveEvent:
    """An emotion to show from ``start_s`` (None: as soon as it arrives) for ``duration_s``.

    ``provisional`` marks a guess shown while an utterance is still spoken (the read utterance
    replaces it); ``stream_s`` is the audio position it was decided at (microphone, file).
    """

    start_s: float | None
    duration_s: float
    weights: EmotionWeights
    intensity: float
    text: str
    provisional: bool = False
    stream_s: float | None = None


@dataclass(frozen=True)
class EventMessage:
    """Show an emotion."""

    event: LiveEvent


@dataclass(frozen=True)
class ValuesMessage:
    """Captured rig key values (webcam Mirror); they replace the state machine's."""

    values: Mapping[str, float]


@dataclass(frozen=True)
class MouthMessage:
    """Provisional speech: open the mouth this much (0 closes it); ``stream_s``: audio position."""

    opening: float
    stream_s: float


@dataclass(frozen=True)
class ReleaseMessage:
    """Withdraw a provisional emotion (the sound was no utterance, or held no words)."""

    stream_s: float


@dataclass(frozen=True)
class StatusMessage:
    """What the feeder is doing, for the status bar."""

    text: str


@dataclass(frozen=True)
class ErrorMessage:
    """A problem the preview reports (once) without stopping."""

    text: str


@dataclass(frozen=True)
class DoneMessage:
    """The input has played out; ``end_s`` is when its last event ends (None: now)."""

    end_s: float | None = None


LiveMessage = (
    EventMessage
    | ValuesMessage
    | MouthMessage
    | ReleaseMessage
    | StatusMessage
    | ErrorMessage
    | DoneMessage
)


class Feeder:
    """A worker thread that turns input into :data:`LiveMessage` values on ``events``.

    Subclasses implement :meth:`run` (polling ``stop_event``) and may override :meth:`finish`.
    A domain error or a missing package ends the thread with an :class:`ErrorMessage`; so does
    a bug, as ``internal error: … (details in LOG)`` with the traceback in the error log.
    """

    thread_name = "faceaff-live"
    keys: tuple[str, ...] = ()  # rig keys the feeder writes directly (Mirror)

    def __init__(self) -> None:
        self.events: queue.Queue[LiveMessage] = queue.Queue()
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._guarded, name=self.thread_name, daemon=True)

    def start(self) -> None:
        """Start the worker thread."""
        self.thread.start()

    def stop(self) -> None:
        """Ask the worker to stop (it ends at its next poll)."""
        self.stop_event.set()

    def post(self, message: LiveMessage) -> None:
        """Queue a message for the main thread."""
        self.events.put(message)

    def run(self) -> None:
        """The work (worker thread)."""
        raise NotImplementedError

    def finish(self) -> None:
        """Called on the worker thread after :meth:`run`, whatever happened."""

    def _guarded(self) -> None:
        try:
            self.run()
        except FacialAffectError as exc:
            self.post(ErrorMessage(str(exc)))
        except ImportError as exc:
            self.post(ErrorMessage(str(MissingPackageError.from_import(exc))))
        except Exception as exc:  # a bug: one line for the user, the traceback in the log
            log = error_log.log_internal_error(exc, f"live feeder {self.thread_name}")
            self.post(ErrorMessage(error_log.internal_error_message(exc, log)))
        finally:
            self.finish()


class ScriptFeeder(Feeder):
    """Reads script lines on a worker thread; each line starts when the previous one ends."""

    thread_name = "faceaff-live-script"

    def __init__(self, lines: Sequence[str], llm=None) -> None:
        super().__init__()
        self.lines = [ln for ln in lines if ln.strip()]
        if not self.lines:
            raise InputError("The live preview needs a line (or a Script) to play.")
        self.llm = llm
        self._start = SCRIPT_LEAD_S

    def run(self) -> None:
        reader = LineReader(self.llm)
        for line in self.lines:
            if self.stop_event.is_set():
                return
            a = reader.read(line)
            length = line_duration(a.text) - TAIL_SECONDS
            self.post(EventMessage(LiveEvent(self._start, length, a.weights, a.intensity, a.text)))
            self._start += length

    def finish(self) -> None:
        if not self.stop_event.is_set():
            self.post(DoneMessage(self._start))


class MicFeeder(Feeder):
    """Microphone → VAD → provisional face → speech-to-text → emotion, on a worker thread.

    Args:
        engine: Speech-to-text engine name.
        llm: LLM settings for reading utterances (None: the offline model).
        stream: The audio source (``start``/``stop``/``read(timeout)``/``active``); the system
            microphone when None. A stream that stops being ``active`` (a file played out)
            ends the feeder with a :class:`DoneMessage`.
        provisional: Show the provisional face while the person speaks.
    """

    thread_name = "faceaff-live-mic"

    def __init__(self, engine: str = "whisper", llm=None, *, stream=None, provisional=True):
        super().__init__()
        if stream is None:
            from ..adapters.audio import MicrophoneStream

            stream = MicrophoneStream()
        self.engine = engine
        self.llm = llm
        self.mic = stream
        self.provisional = provisional

    def start(self) -> None:
        """Open the microphone (raises InputError right away when there is none)."""
        self.mic.start()
        super().start()

    def stop(self) -> None:
        super().stop()
        self.mic.stop()

    def run(self) -> None:
        from .live_speech import SpeechLoop

        loop = SpeechLoop.for_engine(self.engine, self.llm, provisional=self.provisional)
        while not self.stop_event.is_set():
            chunk = self.mic.read(timeout=0.2)
            if chunk is not None:
                for message in loop.feed(chunk):
                    self.post(message)
            elif not self.mic.active:  # a file played out (a microphone runs until stopped)
                for message in loop.flush():
                    self.post(message)
                self.post(DoneMessage())
                return


@dataclass(frozen=True)
class LiveRequest:
    """What drives a live preview, as plain values.

    Attributes:
        source: SCRIPT, MIC or WEBCAM.
        lines: Script lines (SCRIPT).
        services: LLM and speech engine (SCRIPT, MIC).
        camera: Camera index as text, or a video file path made absolute (WEBCAM).
        face: EMOTION or MIRROR (WEBCAM).
    """

    source: LiveSource
    lines: tuple[str, ...] = ()
    services: ServiceSettings = field(default_factory=ServiceSettings)
    camera: str = "0"
    face: FaceMode = FaceMode.EMOTION


def make_feeder(request: LiveRequest, key_names: Iterable[str]) -> Feeder:
    """The feeder for a live request (not started).

    Raises:
        InputError: No script line, an empty camera setting.
        RigError: Mirror on a rig that cannot take ARKit weights.
    """
    source = LiveSource(request.source)
    if source == LiveSource.WEBCAM:
        from .live_webcam import WebcamFeeder

        return WebcamFeeder(request.camera, request.face, key_names)
    if source == LiveSource.MIC:
        return MicFeeder(request.services.stt_engine, request.services.llm)
    return ScriptFeeder(request.lines, request.services.llm)


def start_session(
    request: LiveRequest,
    key_names: Iterable[str],
    *,
    life: bool = True,
    seed: int = 0,
    record: bool = False,
    profile: RigProfile | None = None,
) -> LiveSession:
    """Start a live preview: the state machine for the rig and its feeder, running.

    Args:
        request: What drives the preview.
        key_names: The rig's shape keys.
        life: Blinks (never in Mirror mode: the captured eyes blink, ours would fight them).
        seed: Seed of the blink timing.
        record: Keep every tick's values for :meth:`LiveSession.recorded_curves`.
        profile: The rig's mapping profile, as the bake takes it (chosen from the key names
            when None); whole-face keys, offsets and clamps drive the preview as they do a bake.

    Raises:
        FacialAffectError: No script line, no camera or microphone, a missing model, a rig
            the engine cannot drive.
    """
    from ..core.live import LivePreview

    names = list(key_names)
    mirror = request.source == LiveSource.WEBCAM and request.face == FaceMode.MIRROR
    live = LivePreview(names, profile=profile, life=False if mirror else life, seed=seed)
    feeder = make_feeder(request, names)
    feeder.start()
    return LiveSession(live, feeder, {}, record=record)


class LiveSession:
    """Plain-Python state of one preview: clock, pending events, recording, original values.

    ``originals`` holds the rig's values before the preview, for the keys in
    :attr:`touched_keys`; the front end fills it and puts them back when the preview stops.
    """

    def __init__(self, live, feeder: Feeder, originals: Mapping[str, float], *, record=False):
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
        self.shown: LiveEvent | None = None  # the event the face is showing or moving to

    @property
    def touched_keys(self) -> tuple[str, ...]:
        """Every rig key the preview may write (the state machine's and the feeder's)."""
        return tuple(dict.fromkeys([*self.live.keys, *self.feeder.keys]))

    def drain(self) -> int:
        """Move the feeder's queued messages into the session (main thread).

        Returns:
            How many events were scheduled.
        """
        n = 0
        while True:
            try:
                message = self.feeder.events.get_nowait()
            except queue.Empty:
                return n
            match message:
                case EventMessage(event=event):
                    if event.start_s is None:
                        event = replace(event, start_s=self.clock)
                    self.pending.append(event)
                    self.pending.sort(key=lambda e: e.start_s)
                    n += 1
                case ValuesMessage(values=values):
                    self.captured = dict(values)
                case MouthMessage(opening=opening):
                    self.live.set_mouth(opening)
                case ReleaseMessage():
                    self._withdraw()
                case StatusMessage(text=text):
                    self.text = text
                case ErrorMessage(text=text):
                    self.error = text
                case DoneMessage(end_s=end_s):
                    self.end_s = (self.clock if end_s is None else float(end_s)) + RELAX_S

    def _withdraw(self) -> None:
        """Drop a provisional emotion (shown or pending) and close the mouth."""
        self.pending = [e for e in self.pending if not e.provisional]
        self.live.set_mouth(0.0)
        if self.shown is not None and self.shown.provisional:
            self.live.release()
            self.shown, self.text = None, ""

    def advance(self, dt: float) -> dict[str, float]:
        """Start due events, step the state machine by ``dt``; returns the key values.

        Captured values (webcam Mirror) replace the state machine's for the keys they drive.
        """
        self.clock += dt
        while self.pending and self.pending[0].start_s <= self.clock:
            event = self.pending.pop(0)
            if event.intensity > 0.0 or not event.provisional:  # nothing to carry: mouth only
                self.live.set_emotion(event.weights, event.intensity, duration=event.duration_s)
            self.text, self.shown = event.text, event
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

    def recorded_curves(self, fps: float, frame_start: int) -> CurveSet | None:
        """The recorded values resampled to one per frame, or None with fewer than 2 samples."""
        if len(self.samples) < 2:
            return None
        times = np.array([0.0] + [t for t, _ in self.samples])
        grid = frame_grid(times[-1], fps)
        # Captured keys may join after calibration: before, the face showed their own values.
        names = dict.fromkeys(name for _, v in self.samples for name in v)
        channels = {}
        for name in names:
            held = self.originals.get(name, 0.0)
            values = np.array([0.0] + [v.get(name, held) for _, v in self.samples])
            channels[name] = sample_linear(times, values, grid)
        return CurveSet(frame_start, fps, channels)
