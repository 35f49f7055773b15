"""A face video with a voice: an espeak-ng line muxed onto the astronaut clip with PyAV.

The frames are :func:`.video_fixtures.moving_face_frames` (the smiling astronaut) at 4 fps for
as long as the speech lasts; the video is MJPEG, the sound 16-bit PCM at espeak-ng's 22,050 Hz,
in an AVI (or AAC in an MP4 with ``suffix=".mp4"``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.unit.speech_fixtures import espeak, read_wav
from tests.unit.video_fixtures import FRAME_H, FRAME_W, moving_face_frames

SPOKEN = "I am so happy to see you again today. Please bring me my big blue book."
SPOKEN_WORDS = ("happy", "see", "today", "bring", "book")
FPS = 4


def _mux(path: Path, frames: list[np.ndarray], pcm: np.ndarray, rate: int, suffix: str) -> None:
    """Write the frames and the 16-bit samples into one file (both streams before any packet)."""
    av = pytest.importorskip("av")
    vcodec, acodec = ("mjpeg", "pcm_s16le") if suffix == ".avi" else ("mpeg4", "aac")
    with av.open(str(path), "w") as out:
        video = out.add_stream(vcodec, rate=FPS)
        video.width, video.height = FRAME_W, FRAME_H
        video.pix_fmt = "yuvj420p" if vcodec == "mjpeg" else "yuv420p"
        sound = out.add_stream(acodec, rate=rate, layout="mono")
        for frame in frames:
            out.mux(video.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        out.mux(video.encode())
        if acodec == "aac":  # the encoder takes planar float frames of 1,024 samples
            data, fmt, step = (pcm.astype(np.float32) / 32768.0)[None, :], "fltp", 1024
        else:
            data, fmt, step = pcm[None, :], "s16", pcm.size
        for i in range(0, data.shape[1], step):
            chunk = np.ascontiguousarray(data[:, i : i + step])
            piece = av.AudioFrame.from_ndarray(chunk, format=fmt, layout="mono")
            piece.sample_rate, piece.pts = rate, i
            out.mux(sound.encode(piece))
        out.mux(sound.encode())


def speech_video(folder: Path, text: str = SPOKEN, suffix: str = ".avi") -> tuple[Path, Path]:
    """Write ``text`` spoken by espeak-ng onto the moving astronaut face.

    Returns:
        ``(video, wav)``: the muxed video and the espeak-ng WAV it carries.
    """
    wav = espeak(text, folder / "voice.wav")
    samples, rate = read_wav(wav)
    pcm = (samples[:, 0] * 32768.0).astype("<i2")
    frames = moving_face_frames(int(np.ceil(pcm.size / rate * FPS)) + 1)
    path = folder / f"talking{suffix}"
    _mux(path, frames, pcm, rate, suffix)
    return path, wav
