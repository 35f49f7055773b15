"""The legibility harness's scoring and output (``tools/_legibility_report.py``), without Blender.

Cells are made up here; ``tests/blender/test_legibility.py`` runs the real harness.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from facial_affect_addon.core.emotions import EMOTION_NAMES

TOOLS = Path(__file__).resolve().parents[2] / "tools"
sys.path.insert(0, str(TOOLS))
try:
    import _legibility_report as rep_mod
finally:
    sys.path.remove(str(TOOLS))

INTENSITIES = (1.0, 0.6)


def _cell(emotion: str, intensity: float, view: str, external, geometric) -> dict:
    probs = None
    if external is not None:
        probs = {n: (0.7 if n == external else 0.05) for n in EMOTION_NAMES}
    return {
        "emotion": emotion,
        "intensity": intensity,
        "view": view,
        "image": f"{emotion}_{intensity:.1f}_{view}.png",
        "apex_frame": 18,
        "external": {"face_found": external is not None, "predicted": external,
                     "probabilities": probs},
        "geometric": {"predicted": geometric},
    }  # fmt: skip


@pytest.fixture
def cells() -> list[dict]:
    """Every cell right, except: front 1.0 anger read as neutral, 3/4 0.6 fear without a face."""
    out = []
    for view in rep_mod.VIEWS:
        for level in INTENSITIES:
            for e in EMOTION_NAMES:
                ext = e
                if (view, level, e) == ("front", 1.0, "anger"):
                    ext = "neutral"
                if (view, level, e) == ("three_quarter", 0.6, "fear"):
                    ext = None
                out.append(_cell(e, level, view, ext, e if e != "disgust" else "surprise"))
    return out


def test_report_scores_every_judge_view_and_intensity(cells):
    rep = rep_mod.report(cells, INTENSITIES, {"head": "x.blend"}, seconds=1.234)
    assert rep["seconds"] == 1.2
    assert rep["counts"]["external"]["front"] == {"1.0": 6, "0.6": 7}
    assert rep["counts"]["external"]["three_quarter"] == {"1.0": 7, "0.6": 6}
    assert all(n == 6 for v in rep["counts"]["geometric"].values() for n in v.values())
    conf = rep["confusion"]["external"]["front"]["1.0"]
    assert conf["columns"][-1] == "none" and conf["total"] == 7
    assert np.asarray(conf["matrix"]).sum() == 7
    assert conf["misread"] == {"anger": "neutral"}
    assert rep["confusion"]["external"]["three_quarter"]["0.6"]["misread"] == {"fear": "none"}
    assert json.loads(json.dumps(rep)) == rep


def test_tables_print_every_matrix(cells, capsys):
    rep_mod.print_tables(rep_mod.report(cells, INTENSITIES, {}))
    out = capsys.readouterr().out
    assert out.count("true \\ pred") == 8
    assert "external judge, front view, intensity 1.0: 6/7 correct" in out
    assert "geometric judge, 3/4 view, intensity 0.6: 6/7 correct" in out


def test_json_and_grid_are_written_whole(cells, tmp_path):
    import cv2

    renders = tmp_path / "renders"
    renders.mkdir()
    for cell in cells:
        cv2.imwrite(str(renders / cell["image"]), np.full((64, 64, 3), 128, np.uint8))
    rep = rep_mod.report(cells, INTENSITIES, {})
    rep_mod.write_json(rep, tmp_path / "out" / "legibility.json")
    rep_mod.write_grid(rep, renders, tmp_path / "docs" / "grid.png")
    assert json.loads((tmp_path / "out" / "legibility.json").read_text()) == rep
    grid = cv2.imread(str(tmp_path / "docs" / "grid.png"))
    rows, cols = len(EMOTION_NAMES), len(rep_mod.VIEWS) * len(INTENSITIES)
    assert grid.shape == (
        rep_mod.HEADER + rows * (rep_mod.CELL + rep_mod.CAPTION),
        cols * rep_mod.CELL,
        3,
    )
    leftovers = [p.name for p in tmp_path.rglob(".*")]
    assert leftovers == []  # no temporary files left behind


def test_a_failed_write_leaves_nothing(tmp_path, monkeypatch):
    target = tmp_path / "legibility.json"
    target.write_text("old")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(rep_mod.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        rep_mod.write_json({"a": 1}, target)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["legibility.json"]


def test_captions_mark_right_and_wrong_readings():
    right = rep_mod._caption(_cell("fear", 0.6, "front", "fear", "surprise"))
    assert right[0][0] == "true: fear (0.6)"
    assert right[1] == ("model: fear 0.70", rep_mod.GREEN)
    assert right[2] == ("geometry: surprise", rep_mod.RED)
    rest = rep_mod._caption(_cell("neutral", 1.0, "front", None, None))
    assert rest[0][0] == "true: neutral (rest)"
    assert rest[1] == ("model: no face", rep_mod.RED)
    assert rest[2] == ("geometry: no landmarks", rep_mod.RED)
