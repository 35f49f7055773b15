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
