"""Long clips stream: memory grows by a few kB of results per sampled frame, never by pixels."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from facial_affect_addon.core.capture import capture_weights
from facial_affect_addon.core.row_buffer import RowBuffer


def test_row_buffer_keeps_rows_across_blocks_with_nan_for_missing():
    buf = RowBuffer((2, 3), block_rows=4)
    rows = [np.full((2, 3), i, np.float64) for i in range(10)]
    for i, row in enumerate(rows):
        buf.append(None if i == 5 else row)
    buf.clear_rows([7])
    assert len(buf) == 10
    assert buf.row(5) is None and buf.row(7) is None
    assert np.array_equal(buf.row(9), rows[9])
    assert buf.present().tolist() == [i not in (5, 7) for i in range(10)]
    out = buf.release()
    assert out.dtype == np.float32 and out.shape == (10, 2, 3)
    assert np.isnan(out[[5, 7]]).all()
    assert np.array_equal(out[[0, 4, 8, 9]], np.stack([rows[i] for i in (0, 4, 8, 9)]))
    assert len(buf) == 0
    with pytest.raises(IndexError):
        buf.clear_rows([0])


def _landmark_track(n: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    base = rng.uniform(100, 300, (468, 3))
    jitter = rng.normal(0, 0.3, (n, 468, 3))
    return (base + jitter).astype(np.float32)


def test_capture_solves_a_float32_track_without_a_whole_float64_copy():
    track = _landmark_track(600)
    times = np.arange(600) / 30.0
    scores = np.linspace(0.2, 0.9, 600)  # the video path passes P(neutral) per frame
    expected = capture_weights(track.astype(np.float64), times, neutral_scores=scores)
    tracemalloc.start()
    try:
        result = capture_weights(track, times, neutral_scores=scores)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert np.allclose(result.weights, expected.weights, atol=1e-5)
    assert result.neutral_index == expected.neutral_index
    # The old path copied the whole track to float64 (600 x 468 x 3 x 8 B = 6.7 MB).
    assert peak < 0.5 * track.size * 8


def test_analysis_memory_grows_by_results_not_frames(tmp_path):
    from facial_affect_addon.ml.emotion_runtime import EmotionModel
    from facial_affect_addon.ml.faces import FaceAnalyzer
    from facial_affect_addon.pipeline.video import analyze_video

    from .video_fixtures import moving_face_frames, write_video

    model, faces = EmotionModel(), FaceAnalyzer()
    frames = moving_face_frames(8)
    short = write_video(tmp_path / "short.avi", frames * 2)
    long = write_video(tmp_path / "long.avi", frames * 8)
    analyze_video(short, sample_fps=0, emotion_model=model, face_analyzer=faces)  # warm-up
    peaks = []
    for clip in (short, long):
        tracemalloc.start()
        try:
            result = analyze_video(clip, sample_fps=0, emotion_model=model, face_analyzer=faces)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        assert result.face_found.all()
    per_frame = (peaks[1] - peaks[0]) / (64 - 16)
    # A 640x480 RGB frame is 900 kB; what each sampled frame leaves behind is ~7 kB.
    assert per_frame < 40_000, per_frame
