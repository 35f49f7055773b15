"""Live microphone latency: when does the face change, while and after someone speaks?

A spoken sentence (espeak-ng, en-us) with silence around it is played *in real time* through the
microphone feeder's own path (:class:`~facial_affect_addon.pipeline.live_speech.FileAudioStream`
instead of the sound card, then the VAD, the provisional face, Whisper tiny.en and the text
model on the worker thread), while this thread plays the Blender operator's part: every 1/30 s it
drains the queue and steps :class:`~facial_affect_addon.pipeline.live.LiveSession` on the ARKit
52 keys (no blinks). Times are read on that 30 Hz clock, counted from the moment the stream's
first chunk was due, against the speech's own bounds in the signal (first and last sample above
-60 dBFS), not against our VAD.

* ``live_first_face_change``: voice onset → the first tick whose key values differ from rest by
  more than 0.01 (the provisional jaw). The note gives how long before the utterance's end that
  is, and the in-run baseline without a provisional face (the first change would be the read
  emotion: onset → correction).
* ``live_corrected_emotion``: utterance end → the first tick that shows the read utterance's
  emotion (it includes the VAD's 0.5 s of silence that closes an utterance). The note gives the
  recogniser and text model's share, timed alone between the runs.

Baseline: paper 000's 2.47 s "speech input to first facial frame" (Yang et al., Sensors 2025,
Table 7, an i7-14700KF with an RTX 4070 SUPER); ``ratio = baseline / value``. Median of
``REPEATS`` runs; models are loaded (and warmed) before the first run and not timed.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_speech import PAPER_TOTAL_S, SENTENCE, _speak

REPEATS = 3
TICK_S = 1.0 / 30.0
LEAD_S, TAIL_S = 0.5, 2.0
CHANGE = 0.01


def _audio(folder: Path) -> tuple[np.ndarray, float, float]:
    """The padded sentence at 16 kHz and its voice onset and end (seconds)."""
    from facial_affect_addon.adapters.audio import SAMPLE_RATE, load_audio

    speech = load_audio(_speak(SENTENCE, folder)).samples
    loud = np.flatnonzero(np.abs(speech) > 1e-3)
    lead, tail = np.zeros(round(LEAD_S * SAMPLE_RATE)), np.zeros(round(TAIL_S * SAMPLE_RATE))
    samples = np.concatenate([lead, speech, tail]).astype(np.float32)
    return samples, LEAD_S + loud[0] / SAMPLE_RATE, LEAD_S + (loud[-1] + 1) / SAMPLE_RATE


def _one_run(samples: np.ndarray) -> tuple[float, float]:
    """(first face change, read emotion shown), seconds on the stream's clock."""
    from facial_affect_addon.core.live import LivePreview
    from facial_affect_addon.core.rig_tables import ARKIT_52
    from facial_affect_addon.pipeline.live import LiveSession, MicFeeder
    from facial_affect_addon.pipeline.live_speech import FileAudioStream

    stream = FileAudioStream(samples, realtime=True)
    session = LiveSession(LivePreview(ARKIT_52, life=False), MicFeeder(stream=stream), {})
    rest = np.array(list(session.advance(0.0).values()))
    session.feeder.start()
    first = corrected = None
    last = next_tick = time.monotonic()
    deadline = last + 60.0
    try:
        while corrected is None and time.monotonic() < deadline:
            next_tick += TICK_S
            time.sleep(max(0.0, next_tick - time.monotonic()))
            now = time.monotonic()
            session.drain()
            values = np.array(list(session.advance(now - last).values()))
            last = now
            if stream.started_at is None:
                continue
            if first is None and np.max(np.abs(values - rest)) > CHANGE:
                first = now - stream.started_at
            shown = session.shown
            if shown is not None and not shown.provisional:
                corrected = now - stream.started_at
    finally:
        session.feeder.stop()
    if first is None or corrected is None:
        raise RuntimeError(f"the live face did not change (error: {session.error!r})")
    return first, corrected


def run() -> list[dict]:
    """Time the live microphone path; see the module docstring. Prints nothing."""
    from facial_affect_addon.pipeline.live_speech import SpeechLoop

    with tempfile.TemporaryDirectory(prefix="bench_live_") as tmp:
        samples, onset, end = _audio(Path(tmp))
    warm = SpeechLoop.for_engine("whisper")  # loads Whisper and the text model once
    warm.feed(samples)
    runs, reads = [], []
    for _ in range(REPEATS):  # interleaved, so the machine's load hits both alike
        runs.append(_one_run(samples))
        start = time.perf_counter()
        warm.feed(samples)  # the worker's read alone: Whisper + text model on the utterance
        reads.append(time.perf_counter() - start)
    read_s = statistics.median(reads)
    first = statistics.median(r[0] for r in runs) - onset
    corrected = statistics.median(r[1] for r in runs) - end
    spoken = end - onset
    common = f"{spoken:.2f} s espeak-ng sentence played in real time; median of {REPEATS}"
    return [
        {
            "name": "live_first_face_change",
            "value": first,
            "unit": "s",
            "baseline": PAPER_TOTAL_S,
            "ratio": PAPER_TOTAL_S / first,
            "note": (
                f"voice onset -> provisional jaw on the 30 Hz preview clock, "
                f"{end - onset - first:.2f}"
                f" s before the utterance ends; without the provisional face the first change is "
                f"the read emotion, {spoken + corrected:.2f} s after onset (in-run); {common}"
            ),
        },
        {
            "name": "live_corrected_emotion",
            "value": corrected,
            "unit": "s",
            "baseline": PAPER_TOTAL_S,
            "ratio": PAPER_TOTAL_S / corrected,
            "note": (
                "utterance end -> the read emotion shown: 0.5 s VAD silence to close it, then "
                f"Whisper tiny.en (numpy int8, encoder cut to the utterance + 1 s) and the text "
                f"model ({read_s:.2f} s of it, timed "
                f"alone in the same run), then the next 30 Hz tick; {common}"
            ),
        },
    ]
