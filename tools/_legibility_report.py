"""Scoring and output of the legibility harness (``tools/legibility.py``); no bpy here.

:func:`report` turns the judged cells into confusion matrices and counts, :func:`print_tables`
prints them, :func:`write_json` and :func:`write_grid` write the JSON and the labelled grid PNG,
each to a temporary file in the target folder that is renamed at the end.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from facial_affect_addon.core.emotions import EMOTION_NAMES
from facial_affect_addon.core.readback import confusion_matrix

JUDGES: tuple[str, ...] = ("external", "geometric")
VIEWS: tuple[str, ...] = ("front", "three_quarter")
VIEW_TITLES = {"front": "front", "three_quarter": "3/4"}
NONE = "none"  # the confusion column of renders where the judge found no face / landmarks
SHORT = {"neutral": "neu", "happiness": "hap", "sadness": "sad", "anger": "ang",
         "surprise": "sur", "fear": "fea", "disgust": "dis", NONE: "none"}  # fmt: skip


def load_rgb(path: Path) -> np.ndarray:
    """A PNG as RGB uint8 (row 0 on top)."""
    import cv2

    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise FileNotFoundError(f"Cannot read {path}")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def level_key(intensity: float) -> str:
    """The JSON key of an intensity (``"1.0"``, ``"0.6"``)."""
    return f"{intensity:.1f}"


def select(cells: Sequence[dict], view: str, intensity: float) -> list[dict]:
    """The cells of one view and intensity, in :data:`EMOTION_NAMES` order."""
    found = [c for c in cells if c["view"] == view and abs(c["intensity"] - intensity) < 1e-9]
    return sorted(found, key=lambda c: EMOTION_NAMES.index(c["emotion"]))


def confusion(cells: Sequence[dict], judge: str) -> dict:
    """One judge's confusion matrix over ``cells`` with the diagonal count."""
    truth = [c["emotion"] for c in cells]
    predicted = [c[judge]["predicted"] for c in cells]
    matrix = confusion_matrix(truth, predicted)
    return {
        "rows": list(EMOTION_NAMES),
        "columns": [*EMOTION_NAMES, NONE],
        "matrix": matrix.tolist(),
        "correct": int(np.trace(matrix[:, : len(EMOTION_NAMES)])),
        "total": len(cells),
        "misread": {
            c["emotion"]: c[judge]["predicted"] or NONE
            for c in cells
            if c[judge]["predicted"] != c["emotion"]
        },
    }


def report(
    cells: list[dict], intensities: Sequence[float], setup: dict, seconds: float = 0.0
) -> dict:
    """The JSON-ready report: setup, confusion per judge × view × intensity, every cell."""
    out: dict = {
        "what": "baked emotions on a head, rendered and read back by an emotion model and by "
        "landmark geometry (a synthetic head: legibility to these judges, not to people)",
        "setup": setup,
        "emotions": list(EMOTION_NAMES),
        "intensities": [float(i) for i in intensities],
        "views": list(VIEWS),
        "confusion": {},
        "counts": {},
        "cells": cells,
        "seconds": round(seconds, 1),
    }
    for judge in JUDGES:
        out["confusion"][judge] = {}
        out["counts"][judge] = {}
        for view in VIEWS:
            out["confusion"][judge][view] = {}
            out["counts"][judge][view] = {}
            for level in intensities:
                conf = confusion(select(cells, view, level), judge)
                out["confusion"][judge][view][level_key(level)] = conf
                out["counts"][judge][view][level_key(level)] = conf["correct"]
    return out


def confusion_lines(conf: dict) -> list[str]:
    """A confusion matrix as text: true emotions down, predictions across."""
    head = "true \\ pred " + " ".join(f"{SHORT[c]:>4}" for c in conf["columns"])
    lines = [head]
    for name, row in zip(conf["rows"], conf["matrix"], strict=True):
        lines.append(f"{name:<11} " + " ".join(f"{v:>4}" if v else "   ." for v in row))
    return lines


def print_tables(rep: dict) -> None:
    """Every confusion matrix, then a summary of correct counts."""
    for judge in JUDGES:
        for view in VIEWS:
            for level, conf in rep["confusion"][judge][view].items():
                title = f"{judge} judge, {VIEW_TITLES[view]} view, intensity {level}"
                print(f"\n{title}: {conf['correct']}/{conf['total']} correct")
                print("\n".join(confusion_lines(conf)))
    print("\ncorrect of 7:" + "".join(f"  {judge:>9}" for judge in JUDGES))
    for view in VIEWS:
        for level in rep["confusion"]["external"][view]:
            counts = "".join(f"  {rep['counts'][j][view][level]:>9}" for j in JUDGES)
            print(f"{VIEW_TITLES[view]:>5} {level}  {counts}")


def _atomic_write(path: Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes the file private; give it the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(rep: dict, path: Path) -> None:
    """Write the report as indented JSON (atomically)."""
    _atomic_write(path, (json.dumps(rep, indent=1) + "\n").encode())


# --- the grid ---------------------------------------------------------------------------------

CELL = 256  # pixels per render in the grid
CROP_MARGIN = 0.2  # face box growth on each side, as a fraction of the box
CAPTION = 58  # caption strip under each render
HEADER = 34
GREEN, RED, INK, PAPER = (40, 140, 40), (200, 30, 30), (20, 20, 20), (250, 250, 250)


def _text(img: np.ndarray, text: str, xy: tuple[int, int], color, scale: float = 0.5) -> None:
    import cv2

    # The image is RGB; cv2 draws the given triple as is, so colours are RGB here.
    cv2.putText(img, text, xy, cv2.FONT_HERSHEY_SIMPLEX, scale, color, 1, cv2.LINE_AA)


def _caption(cell: dict) -> list[tuple[str, tuple[int, int, int]]]:
    """Caption lines (text, colour) of one grid cell."""
    true = cell["emotion"]
    ext, geo = cell["external"], cell["geometric"]
    if ext["predicted"] is None:
        ext_text = "model: no face"
    else:
        ext_text = f"model: {ext['predicted']} {ext['probabilities'][ext['predicted']]:.2f}"
    geo_text = f"geometry: {geo['predicted'] or 'no landmarks'}"
    level = "rest" if true == "neutral" else f"{cell['intensity']:.1f}"
    return [
        (f"true: {true} ({level})", INK),
        (ext_text, GREEN if ext["predicted"] == true else RED),
        (geo_text, GREEN if geo["predicted"] == true else RED),
    ]


def face_crop(rgb: np.ndarray, box: Sequence[float] | None, margin: float = CROP_MARGIN):
    """The square around a face box grown by ``margin`` on each side (clamped to the image).

    Without a box the whole image.
    """
    if box is None:
        return rgb
    x, y, w, h = box
    height, width = rgb.shape[:2]
    side = int(min(max(w, h) * (1.0 + 2.0 * margin), width, height))
    x0 = int(min(max(x + w / 2 - side / 2, 0), width - side))
    y0 = int(min(max(y + h / 2 - side / 2, 0), height - side))
    return rgb[y0 : y0 + side, x0 : x0 + side]


def grid_image(rep: dict, renders_dir: Path) -> np.ndarray:
    """The labelled grid as RGB: rows emotions, columns each view × intensity.

    Every render of a view is cropped to the face box the judge found on that view's neutral
    render (grown by :data:`CROP_MARGIN`), so the faces line up and expressions compare cell to
    cell.
    """
    import cv2

    columns = [(v, lv) for v in VIEWS for lv in rep["intensities"]]
    height = HEADER + len(EMOTION_NAMES) * (CELL + CAPTION)
    img = np.full((height, len(columns) * CELL, 3), PAPER, dtype=np.uint8)
    for col, (view, level) in enumerate(columns):
        x0 = col * CELL
        _text(img, f"{VIEW_TITLES[view]} view, intensity {level:.1f}", (x0 + 8, 22), INK, 0.55)
        cells = select(rep["cells"], view, level)
        box = next((c["external"].get("box") for c in cells if c["emotion"] == "neutral"), None)
        for row, cell in enumerate(cells):
            y0 = HEADER + row * (CELL + CAPTION)
            render = face_crop(load_rgb(renders_dir / cell["image"]), box)
            img[y0 : y0 + CELL, x0 : x0 + CELL] = cv2.resize(
                render, (CELL, CELL), interpolation=cv2.INTER_AREA
            )
            for i, (text, color) in enumerate(_caption(cell)):
                _text(img, text, (x0 + 6, y0 + CELL + 16 + 18 * i), color)
        cv2.line(img, (x0, HEADER), (x0, height), (180, 180, 180), 1)
    return img


def write_grid(rep: dict, renders_dir: Path, path: Path) -> None:
    """Write the labelled grid PNG (atomically)."""
    import cv2

    bgr = cv2.cvtColor(grid_image(rep, renders_dir), cv2.COLOR_RGB2BGR)
    ok, data = cv2.imencode(".png", bgr, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    if not ok:
        raise OSError(f"Cannot encode {path}")
    _atomic_write(path, data.tobytes())
