"""The panel's face choice for video analysis (issue 18 §2), in real Blender."""

from __future__ import annotations

import bpy
import numpy as np
import pytest

from facial_affect_addon.blender import jobs
from facial_affect_addon.blender.operators_analysis import analysis_request
from facial_affect_addon.paths import model_path
from tests.unit.video_fixtures import moving_face_frames, write_video

from . import ui_fixtures as ui
from .ui_fixtures import *  # noqa: F403 - fixtures

NEEDS_FACE_MODELS = pytest.mark.skipif(
    not model_path("face_landmark.tflite").is_file(), reason="face models missing: make setup"
)


def test_face_index_reaches_the_request_only_without_main_actor(face):
    settings = bpy.context.scene.faceaff
    settings.input_source, settings.video_path = "VIDEO", "/tmp/any.mp4"
    assert settings.video_face_auto and analysis_request(bpy.context).face_index is None
    settings.video_face_auto, settings.video_face_index = False, 2
    assert analysis_request(bpy.context).face_index == 2


@NEEDS_FACE_MODELS
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


def _analyse_two_people(tmp_path):
    """Analyze (Main actor) the two-face clip; return the settings."""
    from tests.unit.test_face_tracking import _two_people_video

    settings = bpy.context.scene.faceaff
    settings.input_source, settings.video_path = "VIDEO", str(_two_people_video(tmp_path / "t.avi"))
    settings.video_audio = False
    assert bpy.ops.faceaff.analyze() == {"FINISHED"}
    ui.drain_until_idle(timeout_s=120)
    assert not settings.job_error, settings.job_status
    return settings


@NEEDS_FACE_MODELS
def test_faces_found_become_thumbnails_and_a_click_analyses_that_face(face, tmp_path):
    from facial_affect_addon.blender.face_pick import ANALYSED_FACE_PROP, FACES_PROP, IMAGE_PREFIX

    settings = _analyse_two_people(tmp_path)
    scene = bpy.context.scene
    assert list(scene[FACES_PROP]) == [0, 1]
    thumbs = [bpy.data.images[f"{IMAGE_PREFIX}{i}"] for i in (0, 1)]
    assert all(t.size[:] == (48, 48) for t in thumbs)
    # The astronaut (face 1) is skin-toned: more red than blue; face 0 is tinted blue-green.
    means = [np.array(t.pixels[:]).reshape(-1, 4)[:, :3].mean(0) for t in thumbs]
    assert means[1][0] > means[1][2] and means[0][2] > means[0][0]
    assert scene[ANALYSED_FACE_PROP] == 1  # the main actor: the larger, more central face
    for picked in (0, 1):  # away from the main actor and back, each by a click
        before = settings.analysis_token
        assert bpy.ops.faceaff.pick_face(index=picked) == {"FINISHED"}
        assert not settings.video_face_auto and settings.video_face_index == picked
        # The Analyze job, with its progress in the panel; a second start is refused.
        assert jobs.is_running("analyze") and settings.job_running
        assert settings.job_status.startswith(f"Analysis of face {picked}")
        assert bpy.ops.faceaff.pick_face(index=1 - picked) == {"CANCELLED"}
        ui.drain_until_idle(timeout_s=120)
        assert not settings.job_error, settings.job_status
        assert scene[ANALYSED_FACE_PROP] == picked and settings.analysis_token != before
        assert settings.has_analysis and list(scene[FACES_PROP]) == [0, 1]


@NEEDS_FACE_MODELS
def test_cancelling_a_pick_keeps_the_previous_analysis(face, tmp_path):
    from facial_affect_addon.blender.face_pick import ANALYSED_FACE_PROP

    settings = _analyse_two_people(tmp_path)
    scene = bpy.context.scene
    token, data, analysed = (
        settings.analysis_token,
        settings.analysis_data,
        scene[ANALYSED_FACE_PROP],
    )
    assert bpy.ops.faceaff.pick_face(index=1 - analysed) == {"FINISHED"}
    assert bpy.ops.faceaff.cancel_job() == {"FINISHED"}
    ui.drain_until_idle(timeout_s=120)
    assert "cancelled" in settings.job_status and not settings.job_error
    assert settings.analysis_token == token and settings.analysis_data == data
    assert scene[ANALYSED_FACE_PROP] == analysed
