"""Video analysis benchmark on the CPU (640x480 frames of the astronaut photo, moving).

* ``video_frames_per_s``: frames per second through the whole per-frame path of
  :func:`facial_affect_addon.pipeline.video.analyze_video` with every frame sampled — decoding,
  BlazeFace detection, the 468-point landmark model and the default emotion model (batched),
  plus the landmark capture. Baseline 30 fps = real time for a 30 fps video; ratio = value / 30.
* ``emotion_ms_per_face``: the emotion model alone on one preprocessed face (median of repeats).
  Baseline 1.31 ms is paper 000's published ResNet18-v3 inference time on a GPU (Table 1), not a
  measurement of ours; ratio = baseline / value (> 1 means faster than the paper's figure).

Needs the models from ``make setup``; prints nothing.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

N_FRAMES = 60
PAPER_GPU_MS = 1.31
REAL_TIME_FPS = 30.0


def _write_video(path: Path) -> Path:
    import cv2
    from skimage import data

    head = data.astronaut()[0:300, 80:380]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (640, 480))
    for i in range(N_FRAMES):
        canvas = np.full((480, 640, 3), 90, np.uint8)
        x = 40 + int(280 * i / (N_FRAMES - 1))
        canvas[90:390, x : x + 300] = head
        writer.write(cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def _emotion_ms() -> float:
    from skimage import data

    from facial_affect_addon.ml.emotion_runtime import EmotionModel

    model = EmotionModel()
    batch = model.preprocess(data.astronaut(), [(180.0, 80.0, 90.0, 90.0)])
    model.run(batch)
    times = []
    for _ in range(200):
        t = time.perf_counter()
        model.run(batch)
        times.append(time.perf_counter() - t)
    return float(np.median(times) * 1000.0)


def run() -> list[dict]:
    """The two video entries."""
    from facial_affect_addon.ml.emotion_runtime import EmotionModel
    from facial_affect_addon.ml.faces import FaceAnalyzer
    from facial_affect_addon.pipeline.video import analyze_video

    with tempfile.TemporaryDirectory() as tmp:
        video = _write_video(Path(tmp) / "bench.avi")
        model, faces = EmotionModel(), FaceAnalyzer()
        analyze_video(video, sample_fps=0, emotion_model=model, face_analyzer=faces)  # warm-up
        t = time.perf_counter()
        result = analyze_video(video, sample_fps=0, emotion_model=model, face_analyzer=faces)
        fps = N_FRAMES / (time.perf_counter() - t)
    found = int(result.face_found.sum())
    ms = _emotion_ms()
    return [
        {
            "name": "video_frames_per_s",
            "value": fps,
            "unit": "frames/s",
            "baseline": REAL_TIME_FPS,
            "ratio": fps / REAL_TIME_FPS,
            "note": f"640x480, CPU, detect+landmarks+emotion+capture; face in {found}/{N_FRAMES}",
        },
        {
            "name": "emotion_ms_per_face",
            "value": ms,
            "unit": "ms",
            "baseline": PAPER_GPU_MS,
            "ratio": PAPER_GPU_MS / ms,
            "note": f"{model.name} on {model.backend} (CPU); baseline: paper 000 GPU figure",
        },
    ]
