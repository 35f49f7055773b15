"""The micro-expression spotter sees small faces: it finds faces the way analyze_video does.

A 1280x720 clip with the astronaut's face composited 80 px tall (drifting slowly over a
textured background): the spotter tracks the face in every frame. The single-pass detector it
used before (``FaceAnalyzer()``, short-range only) finds no face in the same clip.
"""

from __future__ import annotations

import numpy as np
import pytest

from facial_affect_addon.core.errors import InputError
from facial_affect_addon.paths import model_path
from facial_affect_addon.pipeline.micro_spot import spot_video

from .video_fixtures import paste_face, textured_background, write_video

pytestmark = pytest.mark.skipif(
    not model_path("face_landmark.tflite").is_file(),
    reason="face models missing: run `make setup` (tools/fetch_face_models.py)",
)


@pytest.fixture(scope="module")
def small_face_clip(tmp_path_factory):
    frames = []
    background = textured_background(720, 1280, seed=4)
    for i in range(24):
        canvas = background.copy()
        paste_face(canvas, 80.0, 820.0 + 2.0 * i, 300.0 + 0.5 * i)
        frames.append(canvas)
    return write_video(tmp_path_factory.mktemp("small") / "small.avi", frames, fps=24.0)


def test_the_spotter_tracks_an_80_px_face_in_a_720p_frame(small_face_clip):
    result = spot_video(small_face_clip)
    assert result.fps == pytest.approx(24.0)
    assert not any("No face" in w for w in result.warnings), result.warnings
    assert np.isfinite(result.scores).all()
    assert result.micro == ()  # a still face: nothing to spot


def test_the_old_single_pass_detector_misses_it(small_face_clip):
    from facial_affect_addon.ml.faces import FaceAnalyzer

    with pytest.raises(InputError, match="No face with landmarks"):
        spot_video(small_face_clip, face_analyzer=FaceAnalyzer())
