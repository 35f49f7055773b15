"""Peak memory of long clips (issue 18 §4): memory must stay flat with clip length.

Each run is a fresh Python subprocess whose peak RSS (``ru_maxrss``) is read at its end, so
model loading and imports count the same in every run and the *growth* between runs is what
the clip's length costs.

* ``video_peak_rss_1min`` / ``video_peak_rss_20min``: :func:`analyze_video` at 2 fps sampling on
  synthesised 640x360 clips of 1 and 20 minutes (10 fps MJPG; the astronaut photo drifting a
  few pixels, so every sampled frame has a face; cached in ``.cache/bench_video``).
* ``video_rss_growth_1_to_20min``: the difference; baseline = the issue's 50 MB target.
* ``capture_rss_growth_1_to_5min``: capture runs (``video --capture``: every frame analysed, the
  landmark track kept for the capture solve) on 1- and 5-minute clips of the same kind (600 and
  3,000 frames); baseline = the same 50 MB target. The track costs 5.6 kB a frame (float32), so
  a 5-minute capture of a 30 fps video (9,000 frames) holds about 50 MB of landmarks.

Needs the models from ``make setup``; prints nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / ".cache" / "bench_video"
CLIP_FPS = 10.0
SAMPLE_FPS = 2.0
SIZE = (640, 360)
TARGET_MB = 50.0
N_POSES = 24  # distinct frames, cycled: low motion, fast to encode

_VIDEO_CHILD = """
import json, resource, sys
sys.path.insert(0, sys.argv[1])
from facial_affect_addon.pipeline.video import analyze_video
result = analyze_video(sys.argv[2], sample_fps=float(sys.argv[3]))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
found = int(result.face_found.sum())
print(json.dumps({"peak_kb": peak, "frames": len(result.times), "found": found}))
"""


def _poses() -> list[np.ndarray]:
    """BGR 640x360 frames: the astronaut's head drifting ±12 px and breathing ±3 % in size."""
    import cv2
    from skimage import data

    head = data.astronaut()[0:300, 80:380]
    w, h = SIZE
    frames = []
    for k in range(N_POSES):
        phase = 2 * np.pi * k / N_POSES
        side = int(240 * (1 + 0.03 * np.sin(phase)))
        patch = cv2.resize(head, (side, side), interpolation=cv2.INTER_AREA)
        x = (w - side) // 2 + int(12 * np.cos(phase))
        y = (h - side) // 2
        canvas = np.full((h, w, 3), 90, np.uint8)
        canvas[y : y + side, x : x + side] = patch
        frames.append(cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR))
    return frames


def synth_clip(minutes: float, folder: Path = CACHE) -> Path:
    """The cached ``minutes``-long clip, written on first use (MJPG AVI, 10 fps, 640x360)."""
    import cv2

    path = folder / f"astronaut_{minutes:g}min_{SIZE[0]}x{SIZE[1]}_{CLIP_FPS:g}fps.avi"
    if path.is_file() and path.stat().st_size > 0:
        return path
    folder.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part.avi")
    writer = cv2.VideoWriter(str(partial), cv2.VideoWriter_fourcc(*"MJPG"), CLIP_FPS, SIZE)
    if not writer.isOpened():
        raise RuntimeError("OpenCV cannot write MJPG AVI here")
    poses = _poses()
    for i in range(round(minutes * 60 * CLIP_FPS)):
        writer.write(poses[(i // 5) % N_POSES])  # a new pose every half second
    writer.release()
    partial.replace(path)
    return path


def _child(code: str, *args: str) -> dict:
    """Run ``code`` in a fresh interpreter; its last stdout line is a JSON object."""
    done = subprocess.run(
        [sys.executable, "-c", code, str(REPO), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=3600,
    )
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["?"])[-1]
        raise RuntimeError(f"memory bench child failed: {tail}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _entry(name: str, value: float, baseline: float, note: str) -> dict:
    return {
        "name": name,
        "value": value,
        "unit": "MB",
        "baseline": baseline,
        "ratio": value / baseline,
        "note": note,
    }


def run() -> list[dict]:
    """Peak RSS of 1- and 20-minute video runs and 1- and 5-minute capture runs."""
    video = {m: _child(_VIDEO_CHILD, str(synth_clip(m)), str(SAMPLE_FPS)) for m in (1, 20)}
    capture = {m: _child(_VIDEO_CHILD, str(synth_clip(m)), "0") for m in (1, 5)}
    mb = {k: v["peak_kb"] / 1024 for k, v in video.items()}
    cap_mb = {k: v["peak_kb"] / 1024 for k, v in capture.items()}
    growth, cap_growth = mb[20] - mb[1], cap_mb[5] - cap_mb[1]
    frames = {m: f"{v['found']}/{v['frames']} sampled frames with a face" for m, v in video.items()}
    return [
        _entry("video_peak_rss_1min", mb[1], mb[1], f"640x360 at 2 fps; {frames[1]}"),
        _entry("video_peak_rss_20min", mb[20], mb[1], f"baseline: the 1-minute run; {frames[20]}"),
        _entry(
            "video_rss_growth_1_to_20min",
            growth,
            TARGET_MB,
            "peak RSS 20 min - 1 min (2,400 vs 120 sampled frames); baseline: the 50 MB target",
        ),
        _entry(
            "capture_rss_growth_1_to_5min",
            cap_growth,
            TARGET_MB,
            f"every frame (capture) of 1- vs 5-minute clips, {capture[1]['frames']} vs "
            f"{capture[5]['frames']} frames: peaks {cap_mb[1]:.0f} / {cap_mb[5]:.0f} MB; "
            "baseline: the 50 MB target",
        ),
    ]
