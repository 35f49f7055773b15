"""Small real-picture videos for the video tests, written with OpenCV (MJPG in AVI: fast, no
codec licence trouble). The face is scikit-image's astronaut photo (public domain, smiling)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")
skdata = pytest.importorskip("skimage.data")

FRAME_W, FRAME_H = 640, 480


def astronaut_rgb() -> np.ndarray:
    """The astronaut photo (512x512 RGB, face at about x 180-270, y 80-175)."""
    return skdata.astronaut()


def moving_face_frames(n: int = 8, blank: tuple[int, ...] = ()) -> list[np.ndarray]:
    """``n`` 640x480 RGB frames: the astronaut's head moving right and growing; ``blank``
    frame indices are plain grey (no face)."""
    head = astronaut_rgb()[0:300, 80:380]
    frames = []
    for i in range(n):
        canvas = np.full((FRAME_H, FRAME_W, 3), 90, np.uint8)
        if i not in blank:
            side = int(240 + 60 * i / max(n - 1, 1))
            patch = cv2.resize(head, (side, side), interpolation=cv2.INTER_AREA)
            x = 40 + int(300 * i / max(n - 1, 1))
            x = min(x, FRAME_W - side)
            y = (FRAME_H - side) // 2
            canvas[y : y + side, x : x + side] = patch
        frames.append(canvas)
    return frames


def write_video(path: Path, frames: list[np.ndarray], fps: float = 4.0) -> Path:
    """Write RGB frames as an MJPG AVI."""
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    assert writer.isOpened(), "OpenCV cannot write MJPG AVI here"
    for f in frames:
        writer.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


HEAD_CROP = (55, 195, 155, 295)  # rows, cols of the astronaut's head; its face is 95 of 140 rows
FACE_FRACTION = 95 / 140


def textured_background(h: int, w: int, seed: int = 0) -> np.ndarray:
    """An RGB frame of a colour ramp plus blurred noise (no faces)."""
    rng = np.random.default_rng(seed)
    noise = cv2.resize(rng.uniform(0, 255, (h // 16 + 1, w // 16 + 1, 3)), (w, h))
    ramp = np.linspace(40, 160, w)[None, :, None]
    return np.clip(0.5 * noise + 0.5 * ramp, 0, 255).astype(np.uint8)


def other_head() -> np.ndarray:
    """A second person: the astronaut's head mirrored and tinted blue-green."""
    r0, r1, c0, c1 = HEAD_CROP
    head = astronaut_rgb()[r0:r1, c0:c1][:, ::-1].astype(np.float32)
    return np.clip(head * np.array([0.55, 0.9, 1.25]), 0, 255).astype(np.uint8)


def paste_face(canvas: np.ndarray, face_px: float, cx: float, cy: float, head=None) -> None:
    """Composite a head (default: the astronaut's) so its face is ``face_px`` tall at (cx, cy);
    parts outside the canvas are cut off."""
    if head is None:
        r0, r1, c0, c1 = HEAD_CROP
        head = astronaut_rgb()[r0:r1, c0:c1]
    side = max(4, round(face_px / FACE_FRACTION))
    patch = cv2.resize(head, (side, side), interpolation=cv2.INTER_AREA)
    x0, y0 = round(cx - side / 2), round(cy - side / 2)
    h, w = canvas.shape[:2]
    sx0, sy0 = max(0, -x0), max(0, -y0)
    sx1, sy1 = min(side, w - x0), min(side, h - y0)
    canvas[y0 + sy0 : y0 + sy1, x0 + sx0 : x0 + sx1] = patch[sy0:sy1, sx0:sx1]
