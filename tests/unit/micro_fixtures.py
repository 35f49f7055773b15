"""A real-photo clip with micro-expressions at known times (issue 15's done-criterion).

The astronaut photo (scikit-image, public domain) is warped frame by frame: a few face-mesh
landmarks (lip corners, brows) are pushed by a known displacement, spread to the pixels around
them by Gaussian weights and applied with ``cv2.remap``. Each event has a smoothstep onset,
a hold and a smoothstep offset, like :mod:`facial_affect_addon.core.micro`'s bursts. Clips are
written as MJPG AVI files (real files, decoded by the same FFmpeg path as users' videos).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .video_fixtures import astronaut_rgb, cv2, write_video

SIGMA = 0.15  # Gaussian reach of a landmark's push, in eye distances (keeps the eye corners still)
SIDE = 360  # frame size (px); the head crop is scaled to it (eye distance ~ 85 px)
_CROP = (slice(40, 250), slice(115, 325))  # the astronaut's head in the 512 px photo

# Landmark displacements (x, y) in units of the eye distance, per action; y points down.
# Mesh indices as in core/capture.py: 61/291 mouth corners, 107/55 + 336/285 inner brows,
# 70/46 + 300/276 outer brows.
ACTIONS: dict[str, dict[int, tuple[float, float]]] = {
    "smile": {61: (-0.05, -0.09), 291: (0.05, -0.09)},
    "frown": {61: (0.0, 0.09), 291: (0.0, 0.09)},
    "brow_raise": {i: (0.0, -0.09) for i in (107, 55, 336, 285, 70, 46, 300, 276)},
    "brow_lower": {107: (0.03, 0.07), 55: (0.03, 0.07), 336: (-0.03, 0.07), 285: (-0.03, 0.07)},
}


@dataclass(frozen=True)
class Event:
    """One warp: ``action`` rises from ``onset`` to its apex and is gone at ``offset`` (s)."""

    action: str
    onset: float
    offset: float
    scale: float = 1.0
    ramp: float | None = None  # onset/offset length (s); None: 40 % of the event each

    @property
    def apex(self) -> float:
        return 0.5 * (self.onset + self.offset)

    def envelope(self, t: float) -> float:
        """0 outside, smoothstep up over the ramp, hold, smoothstep down."""
        d = self.offset - self.onset
        u = (t - self.onset) / d
        if u <= 0 or u >= 1:
            return 0.0
        r = 0.4 if self.ramp is None else min(self.ramp / d, 0.5)
        x = min(u / r, 1.0, (1.0 - u) / r)
        return float(x * x * (3 - 2 * x)) * self.scale


def eye_distance(landmarks: np.ndarray) -> float:
    """Distance between the eye centres (mesh eye corners 33/133 and 263/362), in pixels."""
    right, left = landmarks[[33, 133], :2].mean(0), landmarks[[263, 362], :2].mean(0)
    return float(np.linalg.norm(left - right))


def head_frame() -> np.ndarray:
    """The unwarped SIDE x SIDE RGB frame."""
    return cv2.resize(astronaut_rgb()[_CROP], (SIDE, SIDE), interpolation=cv2.INTER_CUBIC)


def warp(frame: np.ndarray, landmarks: np.ndarray, moves: dict[int, np.ndarray]) -> np.ndarray:
    """``frame`` with each landmark ``i`` of ``moves`` pushed by ``moves[i]`` pixels."""
    if not moves:
        return frame
    h, w = frame.shape[:2]
    iod = eye_distance(landmarks)
    sigma = SIGMA * iod
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    dx = np.zeros((h, w), np.float32)
    dy = np.zeros((h, w), np.float32)
    for i, (mx, my) in moves.items():
        cx, cy = landmarks[i, :2]
        g = np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * sigma**2)).astype(np.float32)
        dx += mx * g
        dy += my * g
    # Backward map: each output pixel samples where its content came from.
    return cv2.remap(frame, xs - dx, ys - dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def sway(t: float) -> tuple[float, float, float, float]:
    """A slow head movement: (dx px, dy px, scale, roll degrees) at time ``t`` (s)."""
    return (
        12.0 * np.sin(2 * np.pi * t / 3.1),
        6.0 * np.sin(2 * np.pi * t / 4.3 + 1.0),
        1.0 + 0.03 * np.sin(2 * np.pi * t / 5.0),
        3.0 * np.sin(2 * np.pi * t / 3.7 + 0.5),
    )


def move_head(frame: np.ndarray, dx: float, dy: float, scale: float, roll: float) -> np.ndarray:
    """The whole frame shifted, scaled and rotated about its centre (a moving head)."""
    h, w = frame.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), roll, scale)
    matrix[:, 2] += (dx, dy)
    return cv2.warpAffine(frame, matrix, (w, h), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REFLECT)  # fmt: skip


def event_frames(
    landmarks: np.ndarray,
    events: list[Event],
    duration_s: float,
    fps: float,
    head_motion=None,
    noise: float = 0.0,
) -> list[np.ndarray]:
    """The clip's frames: the head with every active event's displacement applied, then moved
    by ``head_motion(t)`` (e.g. :func:`sway`) when given, plus Gaussian sensor noise of
    ``noise`` grey levels (seeded)."""
    rng = np.random.default_rng(0)
    base = head_frame()
    iod = eye_distance(landmarks)
    frames = []
    for k in range(round(duration_s * fps)):
        t = k / fps
        moves: dict[int, np.ndarray] = {}
        for ev in events:
            a = ev.envelope(t)
            if a <= 0:
                continue
            for i, (mx, my) in ACTIONS[ev.action].items():
                moves[i] = moves.get(i, np.zeros(2)) + a * iod * np.array([mx, my])
        frame = warp(base, landmarks, moves)
        if head_motion is not None:
            frame = move_head(frame, *head_motion(t))
        if noise > 0:
            frame = np.clip(frame + rng.normal(0.0, noise, frame.shape), 0, 255).astype(np.uint8)
        frames.append(frame)
    return frames


def write_event_clip(
    path: Path,
    landmarks: np.ndarray,
    events: list[Event],
    duration_s: float,
    fps: float,
    head_motion=None,
    noise: float = 0.0,
) -> Path:
    """Write the clip of :func:`event_frames` to ``path`` (MJPG AVI)."""
    frames = event_frames(landmarks, events, duration_s, fps, head_motion, noise)
    return write_video(path, frames, fps)


# Four bursts (40-500 ms) and one long smile, on a 9 s clip at 30 fps.
DONE_BURSTS = [
    Event("brow_raise", 0.80, 0.95),
    Event("smile", 2.00, 2.20),
    Event("brow_lower", 3.20, 3.32),
    Event("frown", 7.80, 8.05),
]
LONG_SMILE = Event("smile", 4.20, 6.40, ramp=0.3)
