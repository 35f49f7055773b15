"""The microphone preview's provisional face: real espeak-ng speech played through the feeder.

Order is checked by stream position (the audio time each message was decided at) and by queue
order, never by wall-clock time. Speech bounds come from the signal itself (the first and last
sample above -60 dBFS of each espeak-ng sentence), not from our VAD.
"""

from __future__ import annotations

import queue

import numpy as np
import pytest

from facial_affect_addon.core.emotions import EmotionWeights
from facial_affect_addon.core.live import LivePreview
from facial_affect_addon.core.rig_tables import ARKIT_52
from facial_affect_addon.pipeline import live
from facial_affect_addon.pipeline.live_speech import FileAudioStream, SpeechLoop

from .speech_fixtures import espeak, needs_soundfile, needs_whisper

RATE = 16000
GAP_S = 1.2  # between the two sentences: long enough for the VAD to close the first


def _sentence(text: str, folder) -> np.ndarray:
    from facial_affect_addon.adapters.audio import load_audio

    return load_audio(espeak(text, folder / f"{abs(hash(text))}.wav")).samples


def _play(parts: list[np.ndarray], lead_s=0.4, gap_s=GAP_S, tail_s=1.0):
    """Parts joined by silence, and each part's (first, last) audible sample time in seconds."""
    pieces, bounds, pos = [np.zeros(round(lead_s * RATE), np.float32)], [], round(lead_s * RATE)
    for part in parts:
        loud = np.flatnonzero(np.abs(part) > 1e-3)
        bounds.append(((pos + loud[0]) / RATE, (pos + loud[-1] + 1) / RATE))
        pieces += [part, np.zeros(round(gap_s * RATE), np.float32)]
        pos += len(part) + round(gap_s * RATE)
    pieces.append(np.zeros(round(tail_s * RATE), np.float32))
    return np.concatenate(pieces), bounds


def _run_feeder(samples: np.ndarray) -> list[live.LiveMessage]:
    """Everything a microphone feeder posts for this audio, in queue order."""
    feeder = live.MicFeeder("whisper", stream=FileAudioStream(samples, realtime=False))
    feeder.start()
    feeder.thread.join(120)
    assert not feeder.thread.is_alive(), "the feeder did not finish the file"
    messages = []
    while True:
        try:
            messages.append(feeder.events.get_nowait())
        except queue.Empty:
            return messages


def _events(messages, provisional: bool) -> list[tuple[int, live.LiveEvent]]:
    return [
        (i, m.event)
        for i, m in enumerate(messages)
        if isinstance(m, live.EventMessage) and m.event.provisional == provisional
    ]


@needs_soundfile
@needs_whisper
def test_speech_shows_a_provisional_face_before_it_ends_and_the_read_emotion_after(tmp_path):
    happy = _sentence("I am so happy to see you again today.", tmp_path)
    other = _sentence("We will meet in the garden after lunch.", tmp_path)
    samples, ((on1, end1), (on2, end2)) = _play([happy, other])
    messages = _run_feeder(samples)
    assert not [m for m in messages if isinstance(m, live.ErrorMessage)]
    assert isinstance(messages[-1], live.DoneMessage)

    mouths = [m for m in messages if isinstance(m, live.MouthMessage)]
    first_open = next(m for m in mouths if m.opening > 0)
    assert on1 <= first_open.stream_s <= on1 + 0.1  # the jaw moves with the first syllable
    during = [m.opening for m in mouths if on1 <= m.stream_s <= end1]
    assert max(during) > 0.6 and min(during) < 0.5  # it follows the syllables, not one level

    guesses, reads = _events(messages, True), _events(messages, False)
    assert len(guesses) == 2 and len(reads) == 2
    (g1_at, g1), (g2_at, g2) = guesses
    (r1_at, r1), (r2_at, r2) = reads
    assert on1 < g1.stream_s < end1 and on2 < g2.stream_s < end2  # while still speaking
    assert end1 < r1.stream_s < on2 and end2 < r2.stream_s  # corrected after each ends
    assert g1_at < r1_at < g2_at < r2_at  # the queue holds them in that order
    assert "provisional" in g1.text and "happy" in r1.text.lower()
    assert g1.intensity == 0.0  # nothing read yet: the mouth alone
    # The second sentence starts with the first one's emotion, weaker, until it is read.
    assert g2.weights == r1.weights and 0.0 < g2.intensity < r1.intensity
    closes = [m for m in mouths if m.opening == 0.0 and end1 <= m.stream_s <= r1.stream_s]
    assert closes, "the mouth closes when the voice stops"


@needs_soundfile
@needs_whisper
def test_a_feeder_without_provisional_faces_only_reads_utterances(tmp_path):
    samples, [(_, end)] = _play([_sentence("Please open the window.", tmp_path)])
    feeder = live.MicFeeder(
        "whisper", stream=FileAudioStream(samples, realtime=False), provisional=False
    )
    feeder.start()
    feeder.thread.join(120)
    messages = list(feeder.events.queue)
    kinds = [type(m) for m in messages]
    assert kinds == [live.EventMessage, live.DoneMessage]
    assert not messages[0].event.provisional and messages[0].event.stream_s > end


def _never(segment):
    raise AssertionError("nothing here should be transcribed")


def test_silence_and_room_noise_show_nothing_provisional():
    rng = np.random.default_rng(3)
    noise = (rng.standard_normal(3 * RATE) * 10 ** (-70 / 20)).astype(np.float32)  # -70 dBFS
    for audio in (np.zeros(3 * RATE, np.float32), noise):
        loop = SpeechLoop(_never, _never)
        stream = FileAudioStream(audio, realtime=False)
        messages = []
        while stream.active:
            messages += loop.feed(stream.read())
        assert messages + loop.flush() == []


def test_a_click_moves_the_mouth_but_shows_no_emotion_and_closes_it_again():
    rng = np.random.default_rng(4)
    audio = np.zeros(2 * RATE, np.float32)
    audio[RATE : RATE + 1600] = 0.3 * rng.standard_normal(1600)  # 0.1 s: shorter than a word
    loop = SpeechLoop(_never, _never)
    messages = loop.feed(audio) + loop.flush()
    assert messages and all(isinstance(m, live.MouthMessage) for m in messages)
    assert messages[-1].opening == 0.0


class _Quiet(live.Feeder):
    def run(self) -> None:
        pass


def test_the_session_opens_the_mouth_marks_the_guess_and_withdraws_it():
    session = live.LiveSession(LivePreview(ARKIT_52, life=False), _Quiet(), {})
    rest = session.advance(0.1)
    guess = live.LiveEvent(
        None, 30.0, EmotionWeights.pure("anger"), 0.5, "… (provisional)", True, 1
    )
    for message in (live.MouthMessage(0.9, 0.5), live.EventMessage(guess)):
        session.feeder.post(message)
    session.drain()
    values = session.advance(0.3)
    assert values["jawOpen"] > rest["jawOpen"] + 0.3 and values["browDownLeft"] > 0.1
    assert session.shown.provisional and "provisional" in session.text
    session.feeder.post(live.ReleaseMessage(2.0))
    session.drain()
    for _ in range(20):
        values = session.advance(0.1)
    assert values["jawOpen"] == pytest.approx(rest["jawOpen"], abs=1e-6)
    assert values["browDownLeft"] == pytest.approx(0.0, abs=1e-6)
    assert session.shown is None and session.text == ""
