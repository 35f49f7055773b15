"""The panel's face choice for video analysis (issue 18 §2), in real Blender."""

from __future__ import annotations

import bpy
import pytest

from facial_affect_addon.blender.operators_analysis import analysis_request
from facial_affect_addon.paths import model_path
from tests.unit.video_fixtures import moving_face_frames, write_video

from . import ui_fixtures as ui
from .ui_fixtures import *  # noqa: F403 - fixtures


def test_face_index_reaches_the_request_only_without_main_actor(face):
    settings = bpy.context.scene.faceaff
    settings.input_source, settings.video_path = "VIDEO", "/tmp/any.mp4"
    assert settings.video_face_auto and analysis_request(bpy.context).face_index is None
    settings.video_face_auto, settings.video_face_index = False, 2
    assert analysis_request(bpy.context).face_index == 2


@pytest.mark.skipif(
    not model_path("face_landmark.tflite").is_file(), reason="face models missing: make setup"
)
def test_a_face_the_video_does_not_have_is_a_job_error(face, tmp_path):
    settings = bpy.context.scene.faceaff
    video = write_video(tmp_path / "one.avi", moving_face_frames(4), fps=4.0)
    settings.input_source, settings.video_path = "VIDEO", str(video)
    settings.video_audio = False
    settings.video_face_auto, settings.video_face_index = False, 3
    assert bpy.ops.faceaff.analyze() == {"FINISHED"}
    ui.drain_until_idle(timeout_s=120)
    assert settings.job_error and "no face 3" in settings.job_status
    assert not settings.has_analysis
