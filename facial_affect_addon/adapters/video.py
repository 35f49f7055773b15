"""Video files and webcams → RGB frames, streamed one at a time with OpenCV.

:func:`iter_frames` decodes frame by frame (``grab`` for skipped frames, ``retrieve`` only for
the sampled ones), so memory does not grow with the length of the video. :func:`probe_video`
checks a file up front and turns every way it can be unusable into an :class:`InputError`.
:class:`WebcamSource` yields live frames for the preview; :class:`VideoFileSource` plays a file
through the same interface, paced to real time, so a recorded clip can stand in for a camera.

FFmpeg's own log lines ("moov atom not found", "EBML header parsing failed", ...) would print
around our one-line error; ``OPENCV_FFMPEG_LOGLEVEL`` is set to quiet (-8) before the first
capture opens unless the user set it (set it to 32 to see them again).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import CancelledError, InputError

MAX_SIDE = 8192  # 8K: bigger frames would cost gigabytes per batch for no gain in accuracy
DEFAULT_FPS = 30.0  # used when a container does not say its frame rate
MAX_FPS = 1000.0  # a header claiming more is damaged (high-speed cameras stop near 1000)
MIN_DURATION_S = 0.1  # a shorter video cannot show an expression

os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # read when the first capture opens


@dataclass(frozen=True)
class VideoInfo:
    """What a video file says about itself.

    Attributes:
        path: The file.
        fps: Frames per second (``DEFAULT_FPS`` when the container does not say).
        n_frames: Frame count the container claims (may be wrong for truncated files).
        width: Frame width in pixels. height: Frame height in pixels.
        warnings: Notes such as a missing frame rate.
    """

    path: Path
    fps: float
    n_frames: int
    width: int
    height: int
    warnings: tuple[str, ...] = ()

    @property
    def duration_s(self) -> float:
        """Claimed duration in seconds."""
        return self.n_frames / self.fps


@dataclass
class DecodeStats:
    """Filled in by :func:`iter_frames` while it decodes.

    Attributes:
        n_decoded: Frames read from the file so far, sampled or skipped. After the last
            frame this is the file's real length, which may differ from ``VideoInfo.n_frames``
            (the container's claim) for truncated files.
    """

    n_decoded: int = 0


@dataclass(frozen=True)
class VideoFrame:
    """One decoded frame: its index in the file, time in seconds and RGB pixels."""

    index: int
    time_s: float
    rgb: np.ndarray


def _open(path: Path):
    import cv2

    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        cap.release()
        raise InputError(
            f"Cannot read {path} as a video (unknown format, or a damaged/truncated file)."
        )
    return cap


def probe_video(path: str | os.PathLike) -> VideoInfo:
    """Open a video, check it is usable and return its properties.

    Raises:
        InputError: Missing file, unreadable/truncated video, frames larger than ``MAX_SIDE``,
            or a video whose first frame cannot be decoded.
    """
    import cv2

    path = Path(path)
    if not path.is_file():
        raise InputError(f"Video file not found: {path}.")
    cap = _open(path)
    try:
        width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        n_frames = int(max(cap.get(cv2.CAP_PROP_FRAME_COUNT), 0))
        if max(width, height) > MAX_SIDE:
            raise InputError(
                f"{path.name} has {width}x{height} frames; the limit is {MAX_SIDE} px per side. "
                "Scale it down first (e.g. ffmpeg -i in.mp4 -vf scale=1920:-2 out.mp4)."
            )
        ok, frame = cap.read()
        if not ok or frame is None:
            raise InputError(f"{path.name} has no decodable frames (empty or truncated video).")
    finally:
        cap.release()
    warnings = []
    if not math.isfinite(fps) or fps <= 0:
        warnings.append(f"{path.name} does not state a frame rate; assuming {DEFAULT_FPS:g} fps.")
        fps = DEFAULT_FPS
    elif fps > MAX_FPS:
        warnings.append(
            f"{path.name} states an implausible frame rate ({fps:.0f} fps, damaged header?); "
            f"assuming {DEFAULT_FPS:g} fps."
        )
        fps = DEFAULT_FPS
    if n_frames >= 2 and n_frames / fps < MIN_DURATION_S:
        raise InputError(
            f"{path.name} lasts {math.floor(n_frames / fps * 1000)} ms ({n_frames} frames at "
            f"{fps:g} fps); a performance needs at least {MIN_DURATION_S * 1000:g} ms of video."
        )
    return VideoInfo(path, fps, n_frames, width, height, tuple(warnings))


def iter_frames(
    info: VideoInfo,
    sample_fps: float = 2.0,
    should_cancel: Callable[[], bool] | None = None,
    stats: DecodeStats | None = None,
) -> Iterator[VideoFrame]:
    """Decode ``info.path`` and yield frames sampled at ``sample_fps`` (0: every frame).

    Args:
        info: From :func:`probe_video`.
        sample_fps: Frames per second to yield; 0 (or more than the video has) yields all.
        should_cancel: Polled before every sampled frame.
        stats: Updated with the number of frames decoded, skipped ones included.

    Raises:
        InputError: A negative sampling rate.
        CancelledError: ``should_cancel()`` returned True.
    """
    import cv2

    if not math.isfinite(sample_fps) or sample_fps < 0:
        raise InputError(f"Sampling rate must be >= 0 fps, got {sample_fps}.")
    step = 0.0 if sample_fps == 0 or sample_fps >= info.fps else 1.0 / sample_fps
    cap = _open(info.path)
    try:
        index, next_t = 0, 0.0
        while cap.grab():
            t = index / info.fps
            if t + 1e-6 >= next_t:
                if should_cancel is not None and should_cancel():
                    raise CancelledError("Video analysis cancelled.")
                ok, bgr = cap.retrieve()
                if ok and bgr is not None:
                    if max(bgr.shape[:2]) > MAX_SIDE:  # the header said less than the stream
                        raise InputError(
                            f"{info.path.name} has a {bgr.shape[1]}x{bgr.shape[0]} frame at "
                            f"{t:.2f} s; the limit is {MAX_SIDE} px per side."
                        )
                    yield VideoFrame(index, t, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
                next_t += step
            index += 1
            if stats is not None:
                stats.n_decoded = index
    finally:
        cap.release()


class WebcamSource:
    """Live RGB frames from a camera (``cv2.VideoCapture(index)``), for the preview.

    Use as a context manager::

        with WebcamSource(0) as cam:
            for frame in cam.frames(max_frames=100):
                ...
    """

    def __init__(self, index: int = 0, width: int | None = None, height: int | None = None):
        self.index, self.width, self.height = index, width, height
        self._cap = None

    def open(self) -> WebcamSource:
        """Open the camera.

        Raises:
            InputError: No camera at ``index`` (none attached, busy, or no permission).
        """
        import cv2

        cap = cv2.VideoCapture(self.index)
        if not cap.isOpened():
            cap.release()
            raise InputError(
                f"No camera at index {self.index}: none is connected, another program is using "
                "it, or this process may not access it."
            )
        if self.width:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
        if self.height:
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        self._cap = cap
        return self

    def close(self) -> None:
        """Release the camera."""
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    def __enter__(self) -> WebcamSource:
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()

    def frames(self, max_frames: int | None = None) -> Iterator[VideoFrame]:
        """Yield frames (time from the camera's clock) until ``max_frames`` or the feed stops.

        Raises:
            InputError: The camera is not open or stops delivering frames at once.
        """
        import time

        import cv2

        if self._cap is None:
            self.open()
        start, count = time.monotonic(), 0
        while max_frames is None or count < max_frames:
            ok, bgr = self._cap.read()
            if not ok or bgr is None:
                if count == 0:
                    raise InputError(f"Camera {self.index} opened but delivers no frames.")
                return
            yield VideoFrame(count, time.monotonic() - start, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            count += 1


class VideoFileSource:
    """A video file played once as if it were a live camera: same interface as WebcamSource.

    Frames come at the pace they were recorded (frame ``i`` no earlier than ``i / fps`` seconds
    after the first), so a preview fed by it behaves as with a camera; ``realtime=False`` yields
    them as fast as they decode. Use as a context manager, or ``open()`` early to check the file
    (every way it can be unusable is an :class:`InputError`) and ``close()`` when done.
    """

    def __init__(self, path: str | os.PathLike, realtime: bool = True):
        self.path = Path(path)
        self.realtime = realtime
        self.info: VideoInfo | None = None
        self._frames: Iterator[VideoFrame] | None = None

    def open(self) -> VideoFileSource:
        """Check the file.

        Raises:
            InputError: Missing, unreadable or oversized video (see :func:`probe_video`).
        """
        self.info = probe_video(self.path)
        return self

    def close(self) -> None:
        """Release the decoder (call it from the thread that iterates :meth:`frames`)."""
        if self._frames is not None:
            self._frames.close()
            self._frames = None

    def __enter__(self) -> VideoFileSource:
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()

    def frames(self, max_frames: int | None = None) -> Iterator[VideoFrame]:
        """Yield every frame once, paced to real time unless ``realtime`` is False.

        Raises:
            InputError: The file is unusable (when :meth:`open` was not called first).
        """
        if self.info is None:
            self.open()
        self._frames = iter_frames(self.info, sample_fps=0)
        start = time.monotonic()
        for count, frame in enumerate(self._frames):
            if max_frames is not None and count >= max_frames:
                return
            if self.realtime:
                delay = start + frame.time_s - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            yield frame
