"""The video path end to end on videos written from the astronaut photo, and its errors."""

from __future__ import annotations

import numpy as np
import pytest

from facial_affect_addon.adapters.video import WebcamSource, iter_frames, probe_video
from facial_affect_addon.core.errors import CancelledError, FacialAffectError, InputError
from facial_affect_addon.core.rig_tables import ARKIT_52
from facial_affect_addon.paths import model_path
from facial_affect_addon.pipeline import curves as pipeline_curves
from facial_affect_addon.pipeline import video as video_pipeline
from facial_affect_addon.pipeline.options import FaceMode, PerformanceOptions, SynthesisOptions
from facial_affect_addon.pipeline.text import performance_from_weights

from .video_fixtures import moving_face_frames, write_video

pytestmark = pytest.mark.skipif(
    not model_path("face_detection_short_range.tflite").is_file(),
    reason="face models missing: run `make setup` (tools/fetch_face_models.py)",
)
BLANK = (3,)


@pytest.fixture(scope="module")
def astronaut_video(tmp_path_factory):
    path = tmp_path_factory.mktemp("video") / "astronaut.avi"
    return write_video(path, moving_face_frames(8, blank=BLANK), fps=4.0)


@pytest.fixture(scope="module")
def analysis(astronaut_video):
    seen = []
    result = video_pipeline.analyze_video(astronaut_video, sample_fps=0, progress=seen.append)
    return result, seen


def test_happiness_is_top_and_face_found_wherever_visible(analysis):
    result, seen = analysis
    perf = result.performance
    assert perf.kind == "video" and perf.weights.dominant() == "happiness"
    assert result.face_found.tolist() == [i not in BLANK for i in range(8)]
    assert any("No face in 1 of 8" in w for w in perf.warnings)
    assert result.probabilities.shape == (8, 7)
    assert np.isfinite(result.probabilities).all()  # the blank frame is interpolated
    assert result.peaks["happiness"].probability > 0.9
    assert result.peaks["happiness"].frame_index not in BLANK
    assert perf.segments[0].weights.dominant() == "happiness"
    assert "not measured by this project" in perf.models["emotion"]
    assert seen and seen[-1] == pytest.approx(1.0) and seen == sorted(seen)


def test_smile_key_rises_in_the_curves(analysis):
    result, _ = analysis
    curves = pipeline_curves.performance_curves(
        result.performance, ARKIT_52, PerformanceOptions(SynthesisOptions(fps=24.0, life=False))
    )
    for key in ("mouthSmileLeft", "mouthSmileRight"):
        track = curves.channels[key]
        assert track[0] < 0.05 and track.max() > 0.3
    assert result.capture is not None and result.capture.weights.shape[0] == 8


def test_sampling_at_2_fps_and_performance_entry_point(astronaut_video):
    info = probe_video(astronaut_video)
    assert (info.width, info.height, info.n_frames) == (640, 480, 8)
    assert [f.index for f in iter_frames(info, 2.0)] == [0, 2, 4, 6]
    perf = video_pipeline.performance_from_video(astronaut_video)
    assert perf.weights.dominant() == "happiness" and perf.to_json()["kind"] == "video"


def test_sampled_video_keeps_its_full_length_without_a_truncation_warning(tmp_path):
    # Regression: the decoded length was taken from the last *sampled* frame, so a complete
    # 30-frame file sampled at 2 fps was reported as truncated after 16 frames.
    path = write_video(tmp_path / "second.avi", moving_face_frames(30), fps=30.0)
    result = video_pipeline.analyze_video(path, sample_fps=2.0)
    assert result.frame_indices.tolist() == [0, 15]
    assert result.performance.duration_s == pytest.approx(1.0)
    assert not any("Decoding stopped" in w for w in result.performance.warnings)


def test_file_cut_mid_stream_is_analysed_up_to_the_cut_with_a_warning(tmp_path):
    data = write_video(tmp_path / "whole.avi", moving_face_frames(30), fps=30.0).read_bytes()
    path = tmp_path / "cut.avi"
    path.write_bytes(data[: len(data) * 6 // 10])
    result = video_pipeline.analyze_video(path, sample_fps=0)
    n = len(result.frame_indices)
    assert 2 <= n < 29
    assert result.performance.duration_s == pytest.approx(n / 30.0)
    assert any(f"Decoding stopped after {n} of 30" in w for w in result.performance.warnings)


def test_cancel_stops_with_cancelled_error(astronaut_video):
    with pytest.raises(CancelledError):
        video_pipeline.performance_from_video(astronaut_video, should_cancel=lambda: True)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        video_pipeline.performance_from_video(tmp_path / "missing.mp4")


def test_unreadable_file(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_text("this is not a video")
    with pytest.raises(InputError, match=r"Cannot read|no decodable"):
        video_pipeline.performance_from_video(path)


def test_truncated_file(tmp_path, astronaut_video):
    data = astronaut_video.read_bytes()
    path = tmp_path / "cut.avi"
    path.write_bytes(data[:2000])  # header only: the frames are cut off
    with pytest.raises(FacialAffectError, match=r"truncated|Cannot read|no decodable|single"):
        video_pipeline.performance_from_video(path)


def test_video_without_a_face(tmp_path):
    frames = [np.full((120, 160, 3), 90 + 10 * i, np.uint8) for i in range(3)]
    path = write_video(tmp_path / "empty.avi", frames)
    with pytest.raises(InputError, match="No face found in any of the 3"):
        video_pipeline.performance_from_video(path, sample_fps=0)


def test_one_frame_video(tmp_path):
    path = write_video(tmp_path / "one.avi", moving_face_frames(1))
    with pytest.raises(InputError, match="single frame"):
        video_pipeline.performance_from_video(path)


def test_huge_frames(tmp_path):
    path = write_video(tmp_path / "huge.avi", [np.zeros((16, 8200, 3), np.uint8)] * 2)
    with pytest.raises(InputError, match="8200x16 frames; the limit is 8192"):
        video_pipeline.performance_from_video(path)


def test_no_camera_gives_a_clear_error():
    with pytest.raises(InputError, match="No camera at index 97"):
        WebcamSource(97).open()


def test_capture_travels_with_the_performance_and_through_json(analysis):
    from facial_affect_addon.core.formats import capture_from_dict

    result, _ = analysis
    capture = result.performance.capture
    assert capture is result.capture and capture is not None
    doc = result.performance.to_json()["capture"]
    assert doc["kind"] == "capture" and doc["names"] == list(capture.names)
    back = capture_from_dict(doc)
    assert back.names == capture.names and back.neutral_index == capture.neutral_index
    np.testing.assert_allclose(back.weights, capture.weights, atol=1e-4)
    np.testing.assert_allclose(back.head_rotation, capture.head_rotation, atol=0.01)
    for broken in ({**doc, "weights": [[0.1]]}, {**doc, "neutral_index": 99}, {**doc, "kind": "x"}):
        with pytest.raises(InputError):
            capture_from_dict(broken)


def test_capture_drive_replays_the_captured_keys_on_the_rig(analysis):
    result, _ = analysis
    perf, capture = result.performance, result.capture
    options = PerformanceOptions(SynthesisOptions(fps=24.0, intensity=0.5), face=FaceMode.MIRROR)
    curves = pipeline_curves.performance_curves(perf, ARKIT_52, options)
    assert set(curves.channels) == set(capture.names)
    assert curves.n_frames == int(np.ceil(perf.duration_s * 24.0))
    t = np.arange(curves.n_frames) / 24.0
    expected = 0.5 * np.interp(t, capture.times, capture.curve("jawOpen"))
    np.testing.assert_allclose(curves.channels["jawOpen"], expected)
    emotion = pipeline_curves.performance_curves(
        perf, ARKIT_52, PerformanceOptions(SynthesisOptions(fps=24.0))
    )
    assert set(emotion.channels) != set(curves.channels)  # the emotion path is a different one


def test_capture_drive_needs_a_capture():
    perf = performance_from_weights({"happiness": 1.0}, 2.0)
    mirror = PerformanceOptions(face=FaceMode.MIRROR)
    with pytest.raises(InputError, match="no landmark capture"):
        pipeline_curves.performance_curves(perf, ARKIT_52, mirror)
    with pytest.raises(InputError, match="Unknown drive"):
        pipeline_curves.performance_curves(perf, ARKIT_52, PerformanceOptions(face="capture"))
    curves = pipeline_curves.emotion_curves({"anger": 1.0}, ARKIT_52, mirror)
    assert curves.channels["browDownLeft"].max() > 0.3  # a preset emotion ignores the drive


def test_neutral_reference_can_be_chosen_by_time(astronaut_video):
    result = video_pipeline.analyze_video(astronaut_video, sample_fps=0, neutral_at_s=1.3)
    assert result.capture.neutral_index == 5  # frames every 0.25 s: 1.25 s is the nearest


def test_a_still_face_that_moves_captures_no_expression(tmp_path):
    # The astronaut's face slides 300 px and grows 25 % but never changes expression.
    path = write_video(tmp_path / "still.avi", moving_face_frames(30), fps=30.0)
    result = video_pipeline.analyze_video(path, sample_fps=0)
    assert result.capture.weights.max() < 0.05
    # She smiles throughout: no frame is clearly neutral, and the user is told.
    assert any("No clearly neutral frame" in w for w in result.performance.warnings)
