"""Live speech → messages: a provisional face while the person speaks, corrected when read.

:class:`SpeechLoop` is what the microphone feeder (:class:`~.live.MicFeeder`) runs on its worker
thread for every audio chunk. Per 30 ms VAD frame (:class:`~..adapters._vad.VadFrame`) it

1. opens the mouth with the voice's loudness (:class:`MouthMessage`, sent when the opening
   changes), from the first speech frame on;
2. after ``onset_s`` of speech, posts a *provisional* :class:`EventMessage`: the last
   utterance's emotion, weaker and scaled by the voice's arousal
   (:func:`~..core.live_provisional.provisional_emotion`), or the mouth alone when nothing
   has been read yet; its text says it is provisional;
3. when the VAD closes the utterance, transcribes and reads it and posts the corrected
   :class:`EventMessage` (or a :class:`ReleaseMessage` when it held no words or was too short
   to keep).

Every message carries the audio position it was decided at (``stream_s``), so tests and the
latency bench order events by stream position, never by wall-clock time. Decision: no partial
transcripts while speaking. Whisper re-reads the whole utterance on every call; on the busy 2-core
CPU one pass over 3 s of speech takes about 1 s even with the encoder cut to the utterance
(:mod:`..ml.whisper_live`), so partial passes would delay the final one that the correction waits
for. The provisional face uses only the VAD's own frames.

:class:`FileAudioStream` plays a decoded file through the same path, chunk by chunk, in real time
or as fast as it is read: what the bench and the tests feed instead of a microphone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..core.live_provisional import (
    MouthFollower,
    ProsodyMeter,
    ProvisionalSettings,
    frame_pitch_hz,
    provisional_emotion,
)
from .live import (
    UTTERANCE_HOLD_S,
    EventMessage,
    LiveEvent,
    LiveMessage,
    MouthMessage,
    ReleaseMessage,
)

PROVISIONAL_HOLD_S = 30.0  # a provisional emotion holds until the utterance is read
MOUTH_STEP = 0.02  # a mouth message is sent when the opening moves at least this much


class SpeechLoop:
    """Audio chunks in, live messages out (provisional face, then the read utterance).

    Args:
        transcribe: Recognises one :class:`~..adapters._vad.SpeechSegment` → text.
        read: Reads a transcript → an analysis with ``weights``, ``intensity``, ``text``.
        provisional: Send the provisional face (False: only read utterances, as before).
        settings: The provisional face's tuning.
        sample_rate: Of the chunks.
    """

    def __init__(
        self,
        transcribe: Callable,
        read: Callable,
        *,
        provisional: bool = True,
        settings: ProvisionalSettings | None = None,
        sample_rate: int = 16000,
    ) -> None:
        from ..adapters._vad import StreamingSegmenter

        self.transcribe, self.read = transcribe, read
        self.provisional = provisional
        self.settings = settings or ProvisionalSettings()
        self.segmenter = StreamingSegmenter(sample_rate)
        self.mouth = MouthFollower(self.settings, self.segmenter.params.frame_s)
        self.prosody = ProsodyMeter()
        self.previous: tuple = ()  # (weights, intensity) of the last read utterance
        self._sent_mouth = 0.0
        self._speech_frames = 0
        self._guessed = False  # a provisional emotion was sent for the open utterance
        self._onset_frames = max(1, round(self.settings.onset_s / self.segmenter.params.frame_s))

    @classmethod
    def for_engine(cls, engine: str, llm=None, **kwargs) -> SpeechLoop:
        """A loop reading with :class:`~.text.LineReader` after the named speech engine.

        Whisper runs with its encoder cut to each utterance (:mod:`..ml.whisper_live`).
        """
        from ..adapters.stt import transcribe_segment
        from .text import LineReader
        from .transcribers import get_transcriber

        if engine == "whisper":  # the encoder cut to the utterance: the correction's main cost
            from ..ml.whisper_live import ShortContextWhisper

            transcriber = ShortContextWhisper()
        else:
            transcriber = get_transcriber(engine)
        reader = LineReader(llm)
        return cls(lambda seg: transcribe_segment(seg, transcriber).text, reader.read, **kwargs)

    def feed(self, chunk: np.ndarray) -> list[LiveMessage]:
        """Add a chunk of audio; the messages it caused, in stream order."""
        self.segmenter.feed(chunk)
        out: list[LiveMessage] = []
        for frame in self.segmenter.frames:
            out += self._frame(frame)
        return out

    def flush(self) -> list[LiveMessage]:
        """End of the stream: read an utterance still open."""
        pos = self.segmenter.position_s
        out: list[LiveMessage] = []
        for segment in self.segmenter.flush():
            out += self._correct(segment, pos)
        if self._guessed:
            out.append(ReleaseMessage(pos))
        return out + self._close_mouth(pos)

    def _frame(self, frame) -> list[LiveMessage]:
        pos = frame.end / self.segmenter.sample_rate
        out: list[LiveMessage] = []
        if frame.in_speech and self.provisional:
            out += self._speaking(frame, pos)
        if frame.segment is not None:
            out += self._close_mouth(pos) + self._correct(frame.segment, pos)
        elif frame.dropped:
            out += self._close_mouth(pos)
            if self._guessed:
                out.append(ReleaseMessage(pos))
            self._end_utterance()
        return out

    def _speaking(self, frame, pos: float) -> list[LiveMessage]:
        out: list[LiveMessage] = []
        if frame.speech:
            self._speech_frames += 1
            pitch = frame_pitch_hz(frame.samples, self.segmenter.sample_rate)
            self.prosody.add(frame.level_db, pitch)
        p = self.segmenter.params
        opening = self.mouth.step(frame.level_db, p.stop_db)
        if abs(opening - self._sent_mouth) >= MOUTH_STEP or (opening == 0.0 < self._sent_mouth):
            self._sent_mouth = opening
            out.append(MouthMessage(opening, pos))
        if not self._guessed and self._speech_frames >= self._onset_frames:
            self._guessed = True
            out.append(EventMessage(self._guess(pos)))
        return out

    def _guess(self, pos: float) -> LiveEvent:
        guess = provisional_emotion(self.previous or None, self.prosody.arousal(), self.settings)
        if guess.source == "carried":
            text = f"… (provisional: {guess.weights.dominant()} carried over, listening)"
        else:
            text = "… (provisional: listening)"
        return LiveEvent(None, PROVISIONAL_HOLD_S, guess.weights, guess.intensity, text, True, pos)

    def _close_mouth(self, pos: float) -> list[LiveMessage]:
        self.mouth.value = 0.0
        if self._sent_mouth == 0.0:
            return []
        self._sent_mouth = 0.0
        return [MouthMessage(0.0, pos)]

    def _end_utterance(self) -> None:
        self._speech_frames, self._guessed = 0, False
        self.prosody.end_utterance()

    def _correct(self, segment, pos: float) -> list[LiveMessage]:
        """Transcribe and read a closed utterance (the slow step, on the worker thread)."""
        guessed = self._guessed
        self._end_utterance()
        text = self.transcribe(segment)
        if not text.strip():
            return [ReleaseMessage(pos)] if guessed else []
        a = self.read(text)
        self.previous = (a.weights, a.intensity)
        length = max(segment.end_s - segment.start_s, 0.5) + UTTERANCE_HOLD_S
        return [EventMessage(LiveEvent(None, length, a.weights, a.intensity, a.text, False, pos))]


class FileAudioStream:
    """A decoded audio file played like a microphone (``start``/``read``/``stop``/``active``).

    Args:
        audio: A file path, or mono float samples at ``sample_rate``.
        realtime: Release each chunk when its audio would have been spoken, counted from
            the first :meth:`read` (a feeder loads its models first, and a microphone would
            not have heard the speech before); False releases them as fast as they are read.
        chunk_s: Chunk length (the microphone's is 30 ms).
        sample_rate: Of ``audio`` when it is samples (files are decoded to 16 kHz).

    Raises:
        InputError: The file cannot be read as audio.
    """

    def __init__(self, audio, *, realtime=True, chunk_s=0.03, sample_rate=16000) -> None:
        if isinstance(audio, str | Path):
            from ..adapters.audio import load_audio

            clip = load_audio(audio)
            audio, sample_rate = clip.samples, clip.sample_rate
        self.samples = np.asarray(audio, dtype=np.float32).reshape(-1)
        self.sample_rate = int(sample_rate)
        self.realtime = realtime
        self._chunk = max(1, round(chunk_s * self.sample_rate))
        self._next = 0
        self.started_at: float | None = None  # time.monotonic() at the first read

    @property
    def active(self) -> bool:
        """True until every chunk has been read (or :meth:`stop`)."""
        return self._next < len(self.samples)

    def start(self) -> None:
        """Nothing to open: the clock starts at the first :meth:`read`."""

    def stop(self) -> None:
        """Play no more."""
        self._next = len(self.samples)

    def read(self, timeout: float | None = None) -> np.ndarray | None:
        """The next chunk, or None when it is not due within ``timeout`` s or none is left."""
        if not self.active:
            return None
        end = min(self._next + self._chunk, len(self.samples))
        if self.realtime:
            if self.started_at is None:
                self.started_at = time.monotonic()
            wait = self.started_at + end / self.sample_rate - time.monotonic()
            if timeout is not None and wait > timeout:
                time.sleep(max(timeout, 0.0))
                return None
            if wait > 0:
                time.sleep(wait)
        chunk, self._next = self.samples[self._next : end], end
        return chunk
