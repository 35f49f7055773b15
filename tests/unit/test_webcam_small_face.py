"""The webcam live preview finds small faces: it tracks faces the way analyze_video does.

A video file stands in for the camera (paced to real time, played once): 2 s of a 1280x720
frame with the astronaut's face 80 px tall. The preview's Emotion mode sends emotion events and
never says "No face in view"; with the single-pass detector it used before it finds no face.
"""

from __future__ import annotations

import queue

import pytest

from facial_affect_addon.paths import model_path
from facial_affect_addon.pipeline.live import EventMessage, StatusMessage
from facial_affect_addon.pipeline.live_webcam import NO_FACE, WebcamFeeder

from .video_fixtures import paste_face, textured_background, write_video

pytestmark = pytest.mark.skipif(
    not model_path("face_landmark.tflite").is_file(),
    reason="face models missing: run `make setup` (tools/fetch_face_models.py)",
)


@pytest.fixture(scope="module")
def small_face_clip(tmp_path_factory):
    background = textured_background(720, 1280, seed=5)
    frames = []
    for i in range(48):
        canvas = background.copy()
        paste_face(canvas, 80.0, 400.0 + 1.5 * i, 420.0)
        frames.append(canvas)
    return write_video(tmp_path_factory.mktemp("cam") / "small.avi", frames, fps=24.0)


class _SinglePassFeeder(WebcamFeeder):
    """The preview as it was: one whole-frame detector pass per frame, no tracking."""

    def _load_models(self) -> None:
        super()._load_models()
        from facial_affect_addon.ml.faces import FaceAnalyzer

        self._faces = FaceAnalyzer(landmarks=False)


def _play(feeder: WebcamFeeder) -> list:
    feeder.start()
    feeder.thread.join(300)
    feeder.stop()
    assert not feeder.running
    messages = []
    while True:
        try:
            messages.append(feeder.events.get_nowait())
        except queue.Empty:
            return messages


def _no_face(messages) -> bool:
    return any(isinstance(m, StatusMessage) and m.text == NO_FACE for m in messages)


def test_the_preview_follows_an_80_px_face_in_a_720p_frame(small_face_clip):
    feeder = WebcamFeeder(str(small_face_clip), "EMOTION")
    messages = _play(feeder)
    assert feeder.stats.processed >= 1
    assert any(isinstance(m, EventMessage) for m in messages), messages
    assert not _no_face(messages), messages


def test_the_single_pass_detector_misses_it(small_face_clip):
    messages = _play(_SinglePassFeeder(str(small_face_clip), "EMOTION"))
    assert _no_face(messages)
