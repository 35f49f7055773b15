"""Head rotation and eye gaze (issue 18 §3): the astronaut photo turned in 3-D and its irises
moved (see ``head_fixtures``), run through the whole video pipeline; plus the core maths."""

from __future__ import annotations

import numpy as np
import pytest

from facial_affect_addon.core import gaze, head_pose
from facial_affect_addon.core.errors import InputError
from facial_affect_addon.paths import model_path

from .head_fixtures import frontal_frame, shifted_irises, turned_face
from .video_fixtures import write_video

needs_models = pytest.mark.skipif(
    not model_path("iris_landmark.tflite").is_file(),
    reason="face/iris models missing: run `make setup` (tools/fetch_face_models.py)",
)


def _mesh(rgb):
    from facial_affect_addon.ml.faces import FaceAnalyzer

    return FaceAnalyzer().analyze(rgb).landmarks.astype(float)


def _rotation(yaw: float = 0.0, pitch: float = 0.0) -> np.ndarray:
    a, b = np.radians(yaw), np.radians(pitch)
    ry = np.array([[np.cos(a), 0, -np.sin(a)], [0, 1, 0], [np.sin(a), 0, np.cos(a)]])
    rx = np.array([[1, 0, 0], [0, np.cos(b), np.sin(b)], [0, -np.sin(b), np.cos(b)]])
    return ry @ rx  # the (roll, yaw, pitch) = Z·Y·X order subject_angles decomposes


def test_orthographic_pose_recovers_exact_turns_with_subject_signs():
    rng = np.random.default_rng(3)
    model = rng.normal(size=(29, 3)) * [60, 70, 25]
    for yaw, pitch in ((20, 0), (-15, 0), (0, 12), (10, -8)):
        seen = 1.3 * model @ _rotation(yaw, pitch).T + [300, 200, 0]
        got = head_pose.subject_angles(head_pose.orthographic_rotation(model, seen))
        assert np.allclose(got, [pitch, yaw, 0], atol=0.05), (yaw, pitch, got)


def test_head_track_is_relative_to_neutral_smooth_and_fills_gaps():
    rng = np.random.default_rng(4)
    model = rng.normal(size=(29, 3)) * [60, 70, 25]
    yaws = np.r_[np.zeros(5), np.full(10, 20.0)]
    frames = np.array([model @ _rotation(y + 5).T for y in yaws])  # all turned 5° more
    frames[7] = np.nan
    valid = np.isfinite(frames).all(axis=(1, 2))
    times = np.arange(len(yaws)) / 10
    raw = head_pose.head_rotation_track(frames, valid, times, 0, smoothing=False)
    assert np.allclose(raw[:, 1], yaws, atol=0.3)  # relative to the (turned) neutral frame
    smooth = head_pose.head_rotation_track(frames, valid, times, 0)
    assert 0 < smooth[5, 1] < 20 and abs(smooth[-1, 1] - 20) < 1
    with pytest.raises(InputError, match="Neutral frame 7"):
        head_pose.head_rotation_track(frames, valid, times, 7)


def test_eye_look_directions_and_inverse():
    # Both eyes 15° to the subject's left and 10° up.
    looks = gaze.eye_look_weights(np.array([[15.0, 10.0, 15.0, 10.0]]))
    assert looks["eyeLookOutLeft"][0] > 0.4 and looks["eyeLookInRight"][0] > 0.4
    assert looks["eyeLookInLeft"][0] == looks["eyeLookOutRight"][0] == 0
    half = (0.5 - gaze.DEADZONE) / (1 - gaze.DEADZONE)  # 10° is half the up range
    assert looks["eyeLookUpLeft"][0] == pytest.approx(half) and looks["eyeLookDownRight"][0] == 0
    back = gaze.eye_angles_from_looks(looks, 1)
    assert np.allclose(back, [[15, 10, 15, 10]])


@needs_models
def test_baked_yaw_follows_a_20_degree_turn_within_5_degrees(tmp_path):
    from facial_affect_addon.pipeline.video import analyze_video

    base = frontal_frame()
    points = _mesh(base)
    yaws = [0.0] * 6 + [7.0, 14.0] + [20.0] * 8 + [7.0, -7.0, -14.0] + [-20.0] * 8
    path = write_video(tmp_path / "turn.avi", [turned_face(base, points, y) for y in yaws], 10.0)
    capture = analyze_video(path, sample_fps=0, neutral_at_s=0.0).capture
    yaw = capture.head_rotation[:, 1]
    left, right = yaw[15], yaw[-1]  # the last frame of each 8-frame hold
    assert abs(left - 20.0) < 5.0 and abs(right + 20.0) < 5.0, (left, right)
    assert abs(yaw[5]) < 1.0 and np.abs(capture.head_rotation[:, [0, 2]]).max() < 5.0


@needs_models
def test_eye_look_keys_follow_a_synthetic_gaze_shift(tmp_path):
    from facial_affect_addon.ml.iris import IrisLandmarker
    from facial_affect_addon.pipeline.video import analyze_video

    base = frontal_frame()
    irises = IrisLandmarker().irises(base, _mesh(base))
    width = float(np.linalg.norm(_mesh(base)[133, :2] - _mesh(base)[33, :2]))
    shift = 0.12 * width  # ~17° of gaze
    frames = [base] * 4 + [shifted_irises(base, irises, shift)] * 5
    frames += [shifted_irises(base, irises, -shift)] * 5
    path = write_video(tmp_path / "gaze.avi", frames, 10.0)
    capture = analyze_video(path, sample_fps=0, neutral_at_s=0.0).capture
    look = {n: capture.curve(n) for n in gaze.EYE_LOOK_NAMES}
    to_left, to_right = 8, 13  # image right is the subject's left
    assert look["eyeLookOutLeft"][to_left] > 0.15 and look["eyeLookInRight"][to_left] > 0.15
    assert look["eyeLookInLeft"][to_right] > 0.15 and look["eyeLookOutRight"][to_right] > 0.15
    assert look["eyeLookInLeft"][to_left] < 0.05 and look["eyeLookOutLeft"][to_right] < 0.05
    assert max(look["eyeLookOutLeft"][:4].max(), look["eyeLookInLeft"][:4].max()) < 0.05


def test_live_link_csv_writes_given_rotations_zeros_or_none():
    from facial_affect_addon.core import formats
    from facial_affect_addon.core.curveset import CurveSet

    curves = CurveSet(1, 24.0, {"jawOpen": np.array([0.0, 0.5, 1.0])})
    head = (np.array([[0.0, 0.0, 0.0], [10.0, -20.0, 5.0]]), np.array([0.0, 2 / 24]))
    rotations = head_pose.live_link_rotations(3, 24.0, head)
    text, _ = formats.live_link_csv_text(curves, include_rotations=rotations)
    header, *rows = [line.split(",") for line in text.splitlines()]
    cols = {name: header.index(name) for name in ("HeadYaw", "HeadPitch", "HeadRoll")}
    assert rows[0][1] == "61" and float(rows[0][cols["HeadYaw"]]) == 0.0
    assert float(rows[2][cols["HeadYaw"]]) == pytest.approx(np.radians(-20), abs=1e-6)
    assert float(rows[1][cols["HeadPitch"]]) == pytest.approx(np.radians(5), abs=1e-6)
    assert float(rows[2][cols["HeadRoll"]]) == pytest.approx(np.radians(5), abs=1e-6)
    zeros, _ = formats.live_link_csv_text(curves)
    assert zeros.splitlines()[1].endswith(",0" * 9)
    bare, _ = formats.live_link_csv_text(curves, include_rotations=False)
    assert "HeadYaw" not in bare and bare.splitlines()[1].split(",")[1] == "52"
    with pytest.raises(InputError, match="one row of 9"):
        formats.live_link_csv_text(curves, include_rotations=np.zeros((2, 9)))


@needs_models
def test_eye_gaze_can_be_switched_off(tmp_path):
    from facial_affect_addon.core.capture import CaptureOptions
    from facial_affect_addon.pipeline.video import analyze_video

    path = write_video(tmp_path / "still.avi", [frontal_frame()] * 3, 10.0)
    off = analyze_video(path, sample_fps=0, capture_options=CaptureOptions(eye_gaze=False))
    assert not set(gaze.EYE_LOOK_NAMES) & set(off.capture.names)
    assert off.capture.head_rotation is not None and np.abs(off.capture.head_rotation).max() < 1
