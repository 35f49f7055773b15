"""Micro-expression spotting on held-out synthetic heads: the training-free spotter vs the model.

Clips: the held-out heads of ``out/micro_clips/labels.json`` (``tools/make_micro_clips.py``;
when the file is missing a small set is rendered first: the demo head and one generated,
held-out head, 4 clips each, a few minutes on 2 cores). Each clip holds one burst. Entries:

* ``micro_spot_f1``: spotting F1 of ``pipeline.micro_spot.spot_video`` (micro events only). A
  found burst matches a true one when the two intervals overlap with 0.1 s of slack
  (``found_onset - 0.1 <= true_offset`` and ``found_offset + 0.1 >= true_onset``), one-to-one.
  Baseline (measured here): a blind guess of one burst of the mean true duration in the middle
  of every clip, scored the same way; ratio = value / baseline.
* ``micro_spot_au_agreement``: mean Jaccard overlap of the found and true AU sets over matched
  bursts. Baseline: the most common true AU set guessed for every clip.
* ``micro_spot_frames_per_s``: clip frames through the spotter per second; baseline: decoding
  the same clips alone (the ceiling); ratio = value / baseline.
* ``micro_model_f1`` / ``micro_model_au_agreement`` / ``micro_model_frames_per_s``: the same for
  paper 002's model (``ml.micro_net.MicroNet.spot_video``: sliding windows of 16 frames every 8,
  onset/offset per window, merged, 40-500 ms kept; AUs at p >= 0.5), baselined on the
  spotter's numbers. Only when a model trained by
  ``tools/train_micro.py`` is at ``out/micro_model/micro_resnet3d.onnx`` (no model ships); it is
  trained on synthetic renders, CG faces only.

Everything (with per-clip detail, and every F1 again under MEGC's IoU >= 0.5 criterion) also
goes to ``out/micro.json``. Prints nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
CLIPS = REPO / "out" / "micro_clips" / "labels.json"
SMALL_SET = REPO / "out" / "micro_clips_bench" / "labels.json"
MODEL = REPO / "out" / "micro_model" / "micro_resnet3d.onnx"
OUT = REPO / "out" / "micro.json"
SLACK_S = 0.1


def _labels() -> tuple[Path, list[dict]]:
    path = CLIPS if CLIPS.is_file() else SMALL_SET
    if not path.is_file():
        cmd = [sys.executable, str(REPO / "tools" / "make_micro_clips.py"), "--out"]
        cmd += [str(path.parent), "--clips-per-head", "4", "--generated", "1"]
        subprocess.run(cmd, check=True, capture_output=True)
    clips = json.loads(path.read_text(encoding="utf-8"))["clips"]
    held = [c for c in clips if c.get("heldout")]
    if not held:
        raise RuntimeError(f"{path} has no held-out clips")
    return path.parent, held


def matches(
    found: list[tuple[float, float]], true: tuple[float, float], iou: bool = False
) -> int | None:
    """Index of the first found interval that meets ``true``.

    Meeting is overlap with :data:`SLACK_S` of slack, or with ``iou`` MEGC's criterion:
    intersection over union of at least 0.5.
    """
    for i, (on, off) in enumerate(found):
        if iou:
            inter = min(off, true[1]) - max(on, true[0])
            union = max(off, true[1]) - min(on, true[0])
            if union > 0 and inter / union >= 0.5:
                return i
        elif on - SLACK_S <= true[1] and off + SLACK_S >= true[0]:
            return i
    return None


def jaccard(a, b) -> float:
    """|a ∩ b| / |a ∪ b| (1.0 for two empty sets)."""
    a, b = set(a), set(b)
    return len(a & b) / len(a | b) if a | b else 1.0


def score(rows: list[dict], iou: bool = False) -> dict:
    """F1 and AU agreement from per-clip rows ``{"found": [(on, off, aus)], "clip": label}``."""
    tp = fp = fn = 0
    agreement = []
    for row in rows:
        found = list(row["found"])
        clip = row["clip"]
        hit = matches([(f[0], f[1]) for f in found], (clip["onset"], clip["offset"]), iou)
        if hit is None:
            fn += 1
        else:
            tp += 1
            agreement.append(jaccard(found[hit][2], clip["aus"]))
            found.pop(hit)
        fp += len(found)
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    au = float(np.mean(agreement)) if agreement else 0.0
    return {"f1": f1, "tp": tp, "fp": fp, "fn": fn, "au_agreement": au}


def _frames(path: Path) -> int:
    import cv2

    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.read()[0]:
        n += 1
    cap.release()
    return n


def run_spotter(folder: Path, clips: list[dict]) -> tuple[list[dict], float]:
    """Per-clip spotter rows and its total seconds."""
    from facial_affect_addon.core.errors import InputError
    from facial_affect_addon.ml.faces import FaceAnalyzer
    from facial_affect_addon.pipeline.micro_spot import spot_video

    faces = FaceAnalyzer()
    rows, start = [], time.perf_counter()
    for clip in clips:
        try:
            micro = spot_video(folder / clip["file"], face_analyzer=faces).micro
            found = [(b.onset, b.offset, list(b.aus)) for b in micro]
        except InputError:
            found = []
        rows.append({"clip": clip, "found": found})
    return rows, time.perf_counter() - start


def run_model(folder: Path, clips: list[dict]) -> tuple[list[dict], float]:
    """Per-clip model rows (one burst each) and its total seconds."""
    from facial_affect_addon.ml.micro_net import MicroNet

    net = MicroNet(MODEL)
    rows, start = [], time.perf_counter()
    for clip in clips:
        found = net.spot_video(folder / clip["file"])
        micro = [(b.onset, b.offset, list(b.active_aus())) for b in found if b.kind == "micro"]
        rows.append({"clip": clip, "found": micro})
    return rows, time.perf_counter() - start


def blind_rows(clips: list[dict]) -> list[dict]:
    """One guessed burst per clip: mean true duration, centred, with the commonest AU set."""
    duration = float(np.mean([c["offset"] - c["onset"] for c in clips]))
    sets = [tuple(sorted(c["aus"])) for c in clips]
    common = max(set(sets), key=sets.count)
    rows = []
    for c in clips:
        mid = (c["frames"] - 1) / c["fps"] / 2.0
        rows.append({"clip": c, "found": [(mid - duration / 2, mid + duration / 2, common)]})
    return rows


def _entry(name: str, value: float, unit: str, baseline: float, note: str) -> dict:
    ratio = value / baseline if baseline else 0.0
    entry = {"name": name, "value": value, "unit": unit, "baseline": baseline, "ratio": ratio}
    return {**entry, "note": note}


def run() -> list[dict]:
    """The bench entries (and ``out/micro.json``)."""
    from facial_affect_addon.core.atomic import atomic_write_text

    folder, clips = _labels()
    n_frames = sum(_frames(folder / c["file"]) for c in clips)
    start = time.perf_counter()
    sum(_frames(folder / c["file"]) for c in clips)
    decode_fps = n_frames / (time.perf_counter() - start)
    blind = score(blind_rows(clips))
    spot_rows, spot_s = run_spotter(folder, clips)
    spot = score(spot_rows)
    common_au = blind["au_agreement"] if blind["tp"] else 0.0
    heads = sorted({c["head"] for c in clips})
    where = f"{len(clips)} held-out clips of {', '.join(heads)} (synthetic renders, CG faces)"
    entries = [
        _entry("micro_spot_f1", spot["f1"], "F1", blind["f1"], f"{where}; baseline blind guess"),
        _entry(
            "micro_spot_au_agreement",
            spot["au_agreement"],
            "Jaccard",
            common_au,
            "found vs true AU sets of matched bursts; baseline: commonest AU set every time",
        ),
        _entry(
            "micro_spot_frames_per_s",
            n_frames / spot_s,
            "frames/s",
            decode_fps,
            "spotter on every frame; baseline: decoding alone",
        ),
    ]
    report = {"clips": len(clips), "heads": heads, "blind": blind, "spotter": spot}
    report["iou50"] = {"blind": score(blind_rows(clips), True), "spotter": score(spot_rows, True)}
    if MODEL.is_file():
        model_rows, model_s = run_model(folder, clips)
        model = score(model_rows)
        report["model"] = model
        report["iou50"]["model"] = score(model_rows, True)
        caveat = "paper 002 model, trained on synthetic renders; CG faces only"
        entries += [
            _entry("micro_model_f1", model["f1"], "F1", spot["f1"], f"{caveat}; vs spotter"),
            _entry(
                "micro_model_au_agreement",
                model["au_agreement"],
                "Jaccard",
                spot["au_agreement"],
                "vs spotter",
            ),
            _entry(
                "micro_model_frames_per_s",
                n_frames / model_s,
                "frames/s",
                n_frames / spot_s,
                "decode + sliding TIM windows + ONNX; baseline: the spotter",
            ),
        ]
    else:
        report["model"] = "no trained model at out/micro_model/ (tools/train_micro.py)"
    report["entries"] = entries
    report["rows"] = {"spotter": spot_rows}
    atomic_write_text(OUT, json.dumps(report, indent=2, default=list) + "\n")
    return entries
