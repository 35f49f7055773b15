"""The CLI and the panel reach the same pipeline function for each input mode.

Each mode's pipeline entry point is wrapped with a recorder that calls through, then the CLI
command runs (in this process) and the panel's operator runs in real Blender. Both must have
gone through the same function: text lines, an audio file, a video file, a preset emotion.
"""

from __future__ import annotations

import bpy
import pytest

from facial_affect_addon import cli
from facial_affect_addon.paths import model_path
from facial_affect_addon.pipeline import audio, text, video
from tests.unit.speech_fixtures import espeak, needs_whisper
from tests.unit.video_fixtures import moving_face_frames, write_video

from . import ui_fixtures as ui
from .ui_fixtures import *  # noqa: F403 - fixtures


class Recorder:
    """Wraps a module function; remembers which front end called it."""

    def __init__(self, monkeypatch, module, name: str):
        self.calls: list[str] = []
        self.front_end = "?"
        real = getattr(module, name)

        def recorded(*args, **kwargs):
            self.calls.append(self.front_end)
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, recorded)


def run_both(recorder: Recorder, cli_args: list[str], panel) -> None:
    recorder.front_end = "cli"
    assert cli.run(cli_args) == 0
    recorder.front_end = "panel"
    panel()
    assert recorder.calls == ["cli", "panel"], recorder.calls


def analyze_in_panel(**settings) -> None:
    scene_settings = bpy.context.scene.faceaff
    for key, value in settings.items():
        setattr(scene_settings, key, value)
    assert bpy.ops.faceaff.analyze() == {"FINISHED"}
    ui.drain_until_idle(timeout_s=120)
    assert not scene_settings.job_error, scene_settings.job_status


def test_text(face, monkeypatch, tmp_path):
    ui.needs_text_model()
    recorder = Recorder(monkeypatch, text, "perform_lines")
    line = "What a lovely surprise!"
    run_both(
        recorder,
        ["text", line, "--json", str(tmp_path / "t.json")],
        lambda: analyze_in_panel(input_source="TEXT", text=line),
    )


@needs_whisper
def test_audio(face, monkeypatch, tmp_path):
    wav = espeak("I am so happy to see you again today.", tmp_path / "line.wav")
    recorder = Recorder(monkeypatch, audio, "performance_from_audio")
    run_both(
        recorder,
        ["audio", str(wav)],
        lambda: analyze_in_panel(input_source="AUDIO", audio_path=str(wav)),
    )


@pytest.mark.skipif(
    not model_path("face_detection_short_range.tflite").is_file(),
    reason="face models missing: run `make setup`",
)
def test_video(face, monkeypatch, tmp_path):
    clip = write_video(tmp_path / "clip.avi", moving_face_frames(6), fps=4.0)
    recorder = Recorder(monkeypatch, video, "analyze_video")
    run_both(
        recorder,
        ["video", str(clip)],
        lambda: analyze_in_panel(input_source="VIDEO", video_path=str(clip)),
    )


def test_preset_emotion(face, monkeypatch):
    recorder = Recorder(monkeypatch, text, "performance_from_weights")
    bpy.context.scene.faceaff.emotion = "anger"
    run_both(
        recorder,
        ["emotion", "anger"],
        lambda: bpy.ops.faceaff.bake_emotion(),
    )
