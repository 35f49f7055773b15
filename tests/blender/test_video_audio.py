"""A video's sound inside real Blender without PyAV, as in the installed extension (issue 17 §5).

The shipped zip has no PyAV: there, Blender's own audaspace (``aud``) reads the video's sound.
PyAV is hidden (``sys.modules["av"] = None``) so the fallback is what runs, under the real
``bpy`` of this virtualenv (Blender 5.2, 5.0 or 4.5), and the panel's Analyze reads the voice of
a talking video through it.
"""

from __future__ import annotations

import sys

import bpy
import numpy as np
import pytest

from facial_affect_addon.adapters.audio import load_audio
from facial_affect_addon.adapters.video_audio import read_video_audio
from facial_affect_addon.blender.operators_analysis import analysis_request
from facial_affect_addon.paths import model_path
from facial_affect_addon.pipeline import store
from tests.unit.speech_fixtures import needs_whisper
from tests.unit.speech_video_fixtures import SPOKEN_WORDS, speech_video
from tests.unit.video_fixtures import moving_face_frames, write_video

from . import ui_fixtures as ui
from .ui_fixtures import *  # noqa: F403 - fixtures

needs_face_models = pytest.mark.skipif(
    not model_path("face_detection_short_range.tflite").is_file(),
    reason="face models missing: run `make setup`",
)


@pytest.fixture(scope="module")
def talking(tmp_path_factory):
    return speech_video(tmp_path_factory.mktemp("talking"))


@pytest.mark.parametrize("suffix", [".avi", ".mp4"])
def test_aud_reads_the_voice_without_pyav(tmp_path, monkeypatch, suffix):
    video, wav = speech_video(tmp_path, suffix=suffix)  # PCM in AVI, AAC in MP4
    monkeypatch.setitem(sys.modules, "av", None)
    clip, decoder = read_video_audio(video)
    assert decoder == "aud" and clip is not None
    voice = load_audio(wav)
    assert clip.sample_rate == 16000 and abs(clip.duration_s - voice.duration_s) < 0.1
    n = min(len(clip.samples), len(voice.samples))
    # Same timing (AAC's encoder delay is trimmed: no lag), same waveform (AAC is lossy).
    r = np.corrcoef(clip.samples[:n], voice.samples[:n])[0, 1]
    assert r > (0.99 if suffix == ".avi" else 0.9), r


def test_aud_finds_no_track_in_a_silent_video(tmp_path, monkeypatch):
    silent = write_video(tmp_path / "silent.avi", moving_face_frames(4), fps=4.0)
    monkeypatch.setitem(sys.modules, "av", None)
    assert read_video_audio(silent) == (None, "aud")


def test_the_panel_option_reaches_the_request(face, talking):
    settings = bpy.context.scene.faceaff
    settings.input_source, settings.video_path = "VIDEO", str(talking[0])
    assert settings.video_audio is True and analysis_request(bpy.context).video_audio is True
    settings.video_drive = "MIRROR"  # the capture moves the mouth: the sound is not read
    assert analysis_request(bpy.context).video_audio is False
    settings.video_drive, settings.video_audio = "EMOTION", False
    assert analysis_request(bpy.context).video_audio is False


@needs_whisper
@needs_face_models
def test_panel_analyze_hears_the_video_through_aud(face, talking, monkeypatch):
    monkeypatch.setitem(sys.modules, "av", None)
    settings = bpy.context.scene.faceaff
    settings.input_source, settings.video_path = "VIDEO", str(talking[0])
    assert bpy.ops.faceaff.analyze() == {"FINISHED"}
    ui.drain_until_idle(timeout_s=300)
    assert not settings.job_error, settings.job_status
    assert all(w in settings.transcript.lower() for w in SPOKEN_WORDS), settings.transcript
    assert "fused" in {s.source for s in settings.segments}
    performance = store.restore(settings.analysis_token, settings.analysis_data)
    assert performance.phones and performance.models["speech"] == "whisper"
