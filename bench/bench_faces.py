"""Face detection at every scale: recall and time of the detector's pyramid vs a single pass.

The astronaut photo's face (scikit-image, public domain) is composited at 40-400 px tall, at
random places, onto textured 1280x720, 1920x1080 and 3840x2160 frames. A face is found when a
detection's centre lies within half a face of the true centre and its height within a factor of
1.5. Three detectors run on the same frames:

* ``single``: the short-range BlazeFace once on the letterboxed frame (the old behaviour and the
  baseline);
* ``pyramid``: :meth:`~facial_affect_addon.ml.face_models.BlazeFaceDetector.detect` with
  ``min_face_px=40`` (one whole-frame pass per pyramid level);
* ``tiled``: the same levels cut into 128x128 tiles overlapping by half (``python
  bench/bench_faces.py`` only: the comparison behind the choice).

Entries: ``faces_recall_<res>`` (pyramid, baseline = single pass), ``faces_detect_ms_<res>``
(pyramid, baseline = single pass) and ``faces_tracked_fps_1080p`` (a moving face followed from
its landmarks by :class:`~facial_affect_addon.ml.face_tracking.FaceTracker`, baseline = the
pyramid and mesh on every frame). Needs the models from ``make setup``; prints nothing.
"""

from __future__ import annotations

import time

import numpy as np

SIZES = (40, 60, 90, 140, 200, 300, 400)
RESOLUTIONS = {"720p": (720, 1280), "1080p": (1080, 1920), "4k": (2160, 3840)}
FACE_IN_HEAD = (55, 195, 155, 295)  # rows, cols of the head crop; its face is 95 of 140 rows
FACE_FRACTION = 95 / 140


def background(h: int, w: int, seed: int) -> np.ndarray:
    """A textured RGB background: a colour gradient plus blurred noise."""
    import cv2

    rng = np.random.default_rng(seed)
    noise = cv2.resize(rng.uniform(0, 255, (h // 16 + 1, w // 16 + 1, 3)), (w, h))
    ramp = np.linspace(40, 160, w)[None, :, None]
    return np.clip(0.5 * noise + 0.5 * ramp, 0, 255).astype(np.uint8)


def paste_face(canvas: np.ndarray, face_px: float, cx: float, cy: float, head=None) -> tuple:
    """Composite the astronaut's head so its face is ``face_px`` tall, centred at (cx, cy).

    Returns the true face box (x, y, w, h).
    """
    import cv2
    from skimage import data

    if head is None:
        r0, r1, c0, c1 = FACE_IN_HEAD
        head = data.astronaut()[r0:r1, c0:c1]
    side = max(4, round(face_px / FACE_FRACTION))
    patch = cv2.resize(head, (side, side), interpolation=cv2.INTER_AREA)
    x0, y0 = round(cx - side / 2), round(cy - side / 2)
    canvas[y0 : y0 + side, x0 : x0 + side] = patch
    return (cx - face_px / 2, cy - face_px / 2, face_px, face_px)


def hit(truth: tuple, boxes) -> bool:
    """Whether one detected box matches the true face box."""
    tx, ty, tw, th = truth
    for b in boxes:
        near = np.hypot(b.x + b.w / 2 - tx - tw / 2, b.y + b.h / 2 - ty - th / 2) < th / 2
        if near and 1 / 1.5 < b.h / th < 1.5:
            return True
    return False


def scenes(h: int, w: int, per_size: int, seed: int = 0):
    """Yield (frame, true box) for every size, ``per_size`` random places each."""
    rng = np.random.default_rng(seed)
    for k, size in enumerate(SIZES):
        for j in range(per_size):
            canvas = background(h, w, seed + 10 * k + j)
            half = size / FACE_FRACTION / 2 + 1
            cx, cy = rng.uniform(half, w - half), rng.uniform(half, h - half)
            yield canvas, paste_face(canvas, size, cx, cy)


def tiled_detect(det, rgb: np.ndarray, min_face_px: float) -> list:
    """The pyramid's levels as overlapping 128x128 tiles (for the comparison only)."""
    import cv2

    from facial_affect_addon.ml.face_models import FaceBox, pyramid_scales

    out = []
    h, w = rgb.shape[:2]
    for scale in pyramid_scales(h, w, min_face_px):
        small = cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))))
        sh, sw = small.shape[:2]
        for y in range(0, max(sh - 64, 1), 64):
            for x in range(0, max(sw - 64, 1), 64):
                tile = small[y : y + 128, x : x + 128]
                for b in det.detect(tile):
                    out.append(
                        FaceBox(
                            (b.x + x) / scale, (b.y + y) / scale, b.w / scale, b.h / scale, b.score
                        )
                    )
    return out


def measure(per_size: int = 2, tiled: bool = False) -> dict:
    """Recall and mean ms per frame for each resolution and detector."""
    from facial_affect_addon.ml.face_models import BlazeFaceDetector

    det = BlazeFaceDetector()
    runs = {
        "single": lambda f: det.detect(f),
        "pyramid": lambda f: det.detect(f, min_face_px=40),
    }
    if tiled:
        runs["tiled"] = lambda f: tiled_detect(det, f, 40)
    result: dict = {}
    for res, (h, w) in RESOLUTIONS.items():
        for name, fn in runs.items():
            hits, secs, n = 0, 0.0, 0
            for frame, truth in scenes(h, w, per_size):
                t = time.perf_counter()
                boxes = fn(frame)
                secs += time.perf_counter() - t
                hits += hit(truth, boxes)
                n += 1
            result[(res, name)] = (hits / n, 1000 * secs / n)
    return result


def tracking_fps(n: int = 20) -> tuple[float, float, int]:
    """Frames/s through a 1080p clip of one moving 120 px face: tracked vs detected every frame.

    Returns (tracked fps, detect-every-frame fps, detector passes while tracking).
    """
    from facial_affect_addon.ml.face_tracking import FaceTracker
    from facial_affect_addon.ml.faces import FaceAnalyzer

    analyzer = FaceAnalyzer(min_face_px=40)
    frames = []
    for i in range(n):
        canvas = background(1080, 1920, 3)
        paste_face(canvas, 120, 300 + 60 * i, 500 + 10 * i)
        frames.append(canvas)
    tracker = FaceTracker(analyzer)
    t = time.perf_counter()
    for f in frames:
        tracker.process(f)
    tracked = n / (time.perf_counter() - t)
    t = time.perf_counter()
    for f in frames:
        analyzer.detect_faces(f, 4)
    return tracked, n / (time.perf_counter() - t), tracker.n_detect


def run() -> list[dict]:
    """Recall and detection time per resolution, pyramid vs the single pass."""
    m = measure()
    entries = []
    for res in RESOLUTIONS:
        (r_p, ms_p), (r_s, ms_s) = m[(res, "pyramid")], m[(res, "single")]
        note = f"faces {SIZES[0]}-{SIZES[-1]} px; baseline: one letterboxed pass"
        entries.append(
            dict(
                name=f"faces_recall_{res}",
                value=r_p,
                unit="fraction",
                baseline=r_s,
                ratio=r_p / max(r_s, 1e-9),
                note=note,
            )
        )
        entries.append(
            dict(
                name=f"faces_detect_ms_{res}",
                value=ms_p,
                unit="ms/frame",
                baseline=ms_s,
                ratio=ms_p / max(ms_s, 1e-9),
                note=note,
            )
        )
    tracked, detected, n_detect = tracking_fps()
    note = f"1080p, one moving face, {n_detect} detector passes in 20 frames; baseline: "
    entries.append(
        dict(
            name="faces_tracked_fps_1080p",
            value=tracked,
            unit="frames/s",
            baseline=detected,
            ratio=tracked / detected,
            note=note + "pyramid and mesh on every frame",
        )
    )
    return entries


if __name__ == "__main__":
    for (res, name), (recall, ms) in measure(tiled=True).items():
        print(f"{res:6s} {name:8s} recall {recall:.2f}  {ms:8.1f} ms/frame")
    tracked, detected, n_detect = tracking_fps()
    print(
        f"1080p frames/s: tracked {tracked:.2f}, detected every frame {detected:.2f} ({n_detect})"
    )
