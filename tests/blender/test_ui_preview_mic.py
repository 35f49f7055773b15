"""Microphone live preview in real Blender: an espeak-ng file stands in for the microphone.

The modal operator is ticked by hand (timers never fire in background Blender); the file is
played in real time by :class:`~facial_affect_addon.pipeline.live_speech.FileAudioStream`, the
only stand-in (for the sound card). The test checks what the rig's keys show and in which
order, never how long anything took.
"""

from __future__ import annotations

import time

import bpy
import numpy as np
import pytest

from facial_affect_addon.adapters import audio
from facial_affect_addon.blender import preview
from facial_affect_addon.pipeline.live_speech import FileAudioStream
from tests.unit.speech_fixtures import espeak, needs_whisper

from . import ui_fixtures as ui
from .ui_fixtures import *  # noqa: F403 - fixtures

TICK_S = 1.0 / 30.0


@pytest.fixture
def file_microphone(monkeypatch, tmp_path):
    """The system microphone replaced by a spoken sentence played in real time."""
    clip = audio.load_audio(espeak("I am so happy to see you again today.", tmp_path / "s.wav"))
    silence = np.zeros(int(0.4 * audio.SAMPLE_RATE), np.float32)
    samples = np.concatenate([silence, clip.samples, silence, silence, silence])
    monkeypatch.setattr(audio, "MicrophoneStream", lambda: FileAudioStream(samples))


@needs_whisper
def test_the_modal_preview_shows_the_provisional_face_then_the_read_emotion(face, file_microphone):
    ui.needs_text_model()
    settings = bpy.context.scene.faceaff
    settings.live_source = "MIC"
    blocks = face.data.shape_keys.key_blocks
    original = {kb.name: kb.value for kb in blocks}
    assert bpy.ops.faceaff.live_preview() == {"RUNNING_MODAL"}
    op = preview.active_preview()
    seen: list[tuple[bool, float, float, str]] = []  # provisional, jawOpen, smile, status text
    deadline = time.monotonic() + 120  # only so a broken feeder fails instead of hanging
    while not (seen and not seen[-1][0]):
        assert time.monotonic() < deadline, f"no read utterance; error: {op.session.error!r}"
        assert op.tick(bpy.context, TICK_S) == {"RUNNING_MODAL"}
        shown = op.session.shown
        if shown is not None:
            values = (blocks["jawOpen"].value, blocks["mouthSmileLeft"].value)
            seen.append((shown.provisional, *values, op.session.text))
        time.sleep(TICK_S)
    guessing = [row for row in seen if row[0]]
    assert guessing, "the read emotion came without a provisional face first"
    assert max(jaw for _, jaw, _, _ in guessing) > 0.2  # the jaw moves with the voice
    assert max(smile for _, _, smile, _ in guessing) < 0.1  # nothing read yet: no smile
    assert all("provisional" in text for *_, text in guessing)  # marked as a guess
    for _ in range(30):  # one second after the correction: the happy line shows
        op.tick(bpy.context, TICK_S)
    assert blocks["mouthSmileLeft"].value > 0.3 and not op.session.shown.provisional
    assert op.modal(bpy.context, ui.FakeEvent("ESC")) == {"CANCELLED"}
    assert {kb.name: kb.value for kb in blocks} == pytest.approx(original)
    assert preview.active_preview() is None
