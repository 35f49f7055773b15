"""Peak-frame thumbnails for the expressiveness report (issue 16).

A video analysis document (``cli video --json``) names, per emotion, the sampled frame where the
face model scored that emotion highest (``video.peaks``), and the analysed face's box in each
sampled frame (``video.face_boxes``). The document does not hold the video itself, so the caller
passes its path (``cli report --video``). :func:`peak_thumbnails` decodes those frames once, in
file order (OpenCV, imported inside the function), crops around the face when its box is known,
scales to :data:`THUMB_WIDTH` px and encodes each as PNG with :mod:`..core.raster` (no
matplotlib).
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import InputError
from ..core.raster import encode_png

THUMB_WIDTH = 160
_MARGIN = 0.35  # of the face box's size, on each side: keeps the brows, chin and some hair


@dataclass(frozen=True)
class Thumbnail:
    """One emotion's peak frame as a small PNG.

    Attributes:
        emotion: Emotion name.
        frame_index: Frame index in the video file.
        time_s: Its time in seconds.
        probability: The face model's probability of the emotion there.
        name: File name next to ``report.html`` (``peak_happy.png``).
        png: The PNG bytes.
    """

    emotion: str
    frame_index: int
    time_s: float
    probability: float
    name: str
    png: bytes


@dataclass(frozen=True)
class _Peak:
    emotion: str
    frame_index: int
    time_s: float
    probability: float
    box: tuple[float, float, float, float] | None


def _peaks(doc: Mapping[str, Any]) -> list[_Peak]:
    """The document's peak frames, with the face box of each (None where none was found)."""
    block = doc.get("video")
    if not isinstance(block, Mapping) or not block.get("peaks"):
        raise InputError("--video needs a video analysis JSON (cli video --json) with peaks.")
    rows = {int(i): r for r, i in enumerate(block.get("frame_indices") or [])}
    boxes = block.get("face_boxes") or []
    peaks = []
    try:
        for name, p in block["peaks"].items():
            index = int(p["frame_index"])
            row = rows.get(index)
            box = boxes[row] if row is not None and row < len(boxes) else None
            box = None if box is None else tuple(float(v) for v in box)
            args = (float(p["time_s"]), float(p.get("probability", 0.0)), box)
            peaks.append(_Peak(str(name), index, *args))
    except (KeyError, TypeError, ValueError):
        raise InputError(
            "The document's video peaks are unreadable; analyse the video again."
        ) from None
    return sorted(peaks, key=lambda p: (p.frame_index, p.emotion))


def _crop(rgb: np.ndarray, box: tuple[float, ...] | None) -> np.ndarray:
    """The face with a margin (whole frame without a box)."""
    if box is None or len(box) != 4:
        return rgb
    x, y, w, h = box
    pad = _MARGIN * max(w, h)
    x0, y0 = max(int(x - pad), 0), max(int(y - pad), 0)
    x1, y1 = min(int(x + w + pad), rgb.shape[1]), min(int(y + h + pad), rgb.shape[0])
    return rgb[y0:y1, x0:x1] if x1 - x0 >= 8 and y1 - y0 >= 8 else rgb


def _thumb(rgb: np.ndarray, width: int) -> np.ndarray:
    import cv2

    h, w = rgb.shape[:2]
    height = max(1, round(h * width / w))
    return cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA)


def peak_thumbnails(
    doc: Mapping[str, Any], video_path: str | Path, width: int = THUMB_WIDTH
) -> tuple[Thumbnail, ...]:
    """PNG thumbnails of each emotion's peak frame, in frame order.

    Args:
        doc: The video analysis document (``cli video --json``).
        video_path: The video it was made from.
        width: Thumbnail width in pixels.

    Raises:
        InputError: No peaks in the document, an unreadable video, or a peak frame beyond the
            video's end (the document belongs to another video).
    """
    from ..adapters.video import iter_frames, probe_video

    peaks = _peaks(doc)
    wanted = {p.frame_index for p in peaks}
    frames: dict[int, np.ndarray] = {}
    for frame in iter_frames(probe_video(video_path), sample_fps=0):
        if frame.index in wanted:
            frames[frame.index] = frame.rgb
        if len(frames) == len(wanted):
            break
    missing = sorted(wanted - frames.keys())
    if missing:
        raise InputError(
            f"{Path(video_path).name} has no frame {missing[0]}; "
            "is --video the clip this analysis was made from?"
        )
    out = []
    for p in peaks:
        pixels = _thumb(_crop(frames[p.frame_index], p.box), width)
        name = "peak_" + re.sub(r"[^a-z0-9_]", "_", p.emotion.lower()) + ".png"
        png = encode_png(pixels)
        out.append(Thumbnail(p.emotion, p.frame_index, p.time_s, p.probability, name, png))
    return tuple(out)


def thumbnails_html(thumbnails: Sequence[Thumbnail]) -> str:
    """The report's "Peak frames" section.

    The images are embedded (base64), so ``report.html`` stays one self-contained file as the
    issue asks; the same PNGs are also written next to it (``data-file`` names each one).
    """
    if not thumbnails:
        return ""
    cells = "".join(
        f'<figure class=peak><img data-file="{html.escape(t.name)}" '
        f'src="data:image/png;base64,{base64.b64encode(t.png).decode("ascii")}" '
        f'alt="{html.escape(t.emotion)} peak"><figcaption>'
        f"{html.escape(t.emotion)} at {t.time_s:.2f} s "
        f"(p {t.probability:.2f})</figcaption></figure>"
        for t in thumbnails
    )
    note = "<p class=note>Each emotion's peak frame in the video (face model).</p>"
    return f"<h2>Peak frames</h2>{note}<div class=peaks>{cells}</div>"
