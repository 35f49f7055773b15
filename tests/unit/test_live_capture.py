"""Streaming landmark capture: one second of calibration, then weights that follow the face.

Each test runs on a real MediaPipe landmark set (the astronaut photo, when the face models are
installed) and on a synthetic mesh (always), with jitter and head motion added.
"""

from __future__ import annotations

import numpy as np
import pytest

from facial_affect_addon.core.capture import CAPTURE_NAMES
from facial_affect_addon.core.errors import InputError
from facial_affect_addon.core.live_capture import LiveCapture, LiveCaptureOptions
from facial_affect_addon.paths import model_path

from .landmark_fixtures import synthetic_face

FPS = 30.0
CORNERS = (61, 291)  # subject's right, left mouth corner
SMILE = 0.10  # mouth-corner lift in inter-ocular units: a clear smile, well above jitter


def _astronaut_face() -> np.ndarray:
    if not model_path("face_detection_short_range.tflite").is_file():
        pytest.skip("face models missing: run `make setup` (tools/fetch_face_models.py)")
    from facial_affect_addon.ml.faces import FaceAnalyzer

    from .video_fixtures import astronaut_rgb

    face = FaceAnalyzer().analyze(astronaut_rgb())
    if face is None or face.landmarks is None:
        pytest.skip("the landmark model is not installed")
    return np.asarray(face.landmarks, dtype=float)


@pytest.fixture(scope="module", params=["astronaut", "synthetic"])
def neutral(request) -> np.ndarray:
    """(468, 3) landmarks of a neutral face in pixels."""
    if request.param == "astronaut":
        return _astronaut_face()
    return synthetic_face(np.random.default_rng(7))


def _iod(pts: np.ndarray) -> float:
    return float(np.linalg.norm(pts[[263, 362], :2].mean(0) - pts[[33, 133], :2].mean(0)))


def _smiling(pts: np.ndarray, amount: float) -> np.ndarray:
    """Mouth corners moved up the face (towards the eyes) by ``amount`` inter-ocular units."""
    across = pts[[263, 362], :2].mean(0) - pts[[33, 133], :2].mean(0)
    up = np.array([across[1], -across[0]]) / np.linalg.norm(across)  # y points down
    out = pts.copy()
    out[list(CORNERS), :2] += amount * _iod(pts) * up
    return out


def _posed(pts: np.ndarray, yaw=0.0, pitch=0.0, roll=0.0, scale=1.0, shift=(0.0, 0.0)):
    """The whole face rotated (degrees) about its centre, scaled and moved: head motion."""
    y, p, r = np.radians([yaw, pitch, roll])
    ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    rx = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    rz = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    centre = pts.mean(0)
    return scale * (pts - centre) @ (rz @ rx @ ry).T + centre + np.array([*shift, 0.0])


def _jitter(pts: np.ndarray, rng: np.random.Generator, sigma_iod: float = 0.004) -> np.ndarray:
    return pts + rng.normal(0.0, sigma_iod * _iod(pts), pts.shape)


def _calibrate(cap: LiveCapture, neutral: np.ndarray, rng, seconds: float = 1.0) -> float:
    """Feed ``seconds`` of a neutral face swaying a little; returns the next frame time."""
    n = int(seconds * FPS)
    for i in range(n):
        t = i / FPS
        pose = _posed(neutral, yaw=4 * np.sin(3 * t), roll=3 * t, shift=(10 * t, -5 * t))
        assert cap.update(_jitter(pose, rng), t) is None
        assert cap.calibrating
    return n / FPS


def _feed(cap: LiveCapture, frames, t0: float) -> dict[str, float]:
    weights = {}
    for i, pts in enumerate(frames):
        weights = cap.update(pts, t0 + i / FPS)
        assert weights is not None and set(weights) == set(CAPTURE_NAMES)
    return weights


def test_calibration_takes_a_second_then_a_neutral_face_reads_zero(neutral):
    rng = np.random.default_rng(0)
    cap = LiveCapture()
    assert cap.calibrating and cap.progress(0.0) == 0.0
    t = _calibrate(cap, neutral, rng)
    assert cap.progress(0.5) == pytest.approx(0.5)
    frames = [_jitter(_posed(neutral, yaw=-5, shift=(3, 2)), rng) for _ in range(20)]
    weights = _feed(cap, frames, t)
    assert not cap.calibrating and cap.neutral.shape == (468, 3)
    assert max(weights.values()) < 0.08, {k: v for k, v in weights.items() if v >= 0.08}


def test_mouth_corners_up_raise_the_smile_under_head_motion(neutral):
    rng = np.random.default_rng(1)
    cap = LiveCapture()
    t = _calibrate(cap, neutral, rng)
    smile = _smiling(neutral, SMILE)
    frames = [
        _jitter(_posed(smile, yaw=6, pitch=-4, roll=-10 + i, scale=1.1, shift=(-20, 8)), rng)
        for i in range(15)
    ]
    weights = _feed(cap, frames, t)
    assert weights["mouthSmileLeft"] > 0.3 and weights["mouthSmileRight"] > 0.3
    assert weights["mouthFrownLeft"] == 0.0 and weights["mouthFrownRight"] == 0.0
    for key in ("jawOpen", "eyeBlinkLeft", "eyeBlinkRight", "browInnerUp"):
        assert weights[key] < 0.1, key


def test_rotating_and_moving_the_whole_face_creates_no_weights(neutral):
    rng = np.random.default_rng(2)
    cap = LiveCapture()
    t = _calibrate(cap, neutral, rng)
    poses = [
        dict(roll=25.0),
        dict(yaw=15.0, pitch=8.0),
        dict(scale=1.4, shift=(60.0, -40.0)),
        dict(yaw=-12.0, roll=-20.0, scale=0.7, shift=(-30.0, 25.0)),
    ]
    frames = [_posed(neutral, **pose) for pose in poses for _ in range(5)]
    weights = _feed(cap, frames, t)
    assert max(weights.values()) < 0.02


def test_smoothing_follows_a_held_smile_without_jumping(neutral):
    rng = np.random.default_rng(3)
    cap = LiveCapture(LiveCaptureOptions(min_cutoff=1.0, beta=0.0))
    t = _calibrate(cap, neutral, rng)
    _feed(cap, [neutral] * 3, t)
    smile = _smiling(neutral, SMILE)
    track = [cap.update(smile, t + (3 + i) / FPS)["mouthSmileLeft"] for i in range(30)]
    assert track[0] < track[-1] * 0.5  # the first frame of a smile is damped...
    assert np.all(np.diff(track) >= -1e-9)  # ...and the weight rises monotonically to it
    unsmoothed = LiveCapture(LiveCaptureOptions(min_cutoff=1e6))
    t2 = _calibrate(unsmoothed, neutral, np.random.default_rng(3))
    assert track[-1] == pytest.approx(unsmoothed.update(smile, t2)["mouthSmileLeft"], abs=0.05)


def test_the_median_ignores_a_stray_frame_during_calibration(neutral):
    rng = np.random.default_rng(4)
    cap = LiveCapture()
    for i in range(int(FPS)):
        pts = _smiling(neutral, 0.15) if i == 10 else neutral  # one grimace in the second
        assert cap.update(_jitter(pts, rng), i / FPS) is None
    weights = _feed(cap, [neutral] * 10, 1.0)
    assert weights["mouthSmileLeft"] < 0.02 and weights["mouthSmileRight"] < 0.02


def test_recalibrate_takes_the_current_face_as_neutral(neutral):
    rng = np.random.default_rng(5)
    cap = LiveCapture(LiveCaptureOptions(calibration_s=0.5))
    t = _calibrate(cap, neutral, rng, seconds=0.5)
    smile = _smiling(neutral, SMILE)
    assert _feed(cap, [smile] * 15, t)["mouthSmileLeft"] > 0.3
    cap.recalibrate()
    assert cap.calibrating and cap.neutral is None
    t = _calibrate(cap, smile, rng, seconds=0.5)
    assert _feed(cap, [smile] * 10, 10.0)["mouthSmileLeft"] < 0.05


def test_short_bursts_still_need_enough_calibration_frames(neutral):
    cap = LiveCapture(LiveCaptureOptions(min_calibration_frames=3))
    assert cap.update(neutral, 0.0) is None
    assert cap.update(neutral, 2.0) is None  # a second passed, but only 2 frames so far
    assert cap.update(neutral, 2.1) is not None


def test_bad_inputs_are_input_errors(neutral):
    with pytest.raises(InputError, match="positive"):
        LiveCapture(LiveCaptureOptions(calibration_s=0.0))
    cap = LiveCapture()
    with pytest.raises(InputError, match="468"):
        cap.update(np.zeros((10, 3)), 0.0)
    bad = neutral.copy()
    bad[5, 0] = np.nan
    with pytest.raises(InputError, match="NaN"):
        cap.update(bad, 0.0)
    assert cap.update(neutral[:, :2], 0.0) is None  # 2-D points are fine (z = 0)
    flat = LiveCapture(LiveCaptureOptions(calibration_s=0.1, min_calibration_frames=1))
    flat.update(np.zeros((468, 3)), 0.0)
    with pytest.raises(InputError, match="degenerate"):
        flat.update(np.zeros((468, 3)), 0.2)
    assert flat.calibrating  # a broken calibration starts over instead of sticking
    assert flat.update(neutral, 1.0) is None and flat.update(neutral, 1.2) is not None
