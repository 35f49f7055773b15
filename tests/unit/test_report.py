"""The expressiveness report (issue 16): metrics, plot content, static vs dynamic, CLI, atomicity.

Plots are checked for content by decoding the PNGs (pillow, test-only): the heat map's hottest
cell is the channel the test made dominant, the longest energy bar is the most energetic AU, the
emotion-weight line of the intended emotion sits at the top of its segment.
"""

from __future__ import annotations

import base64
import io
import json
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facial_affect_addon.cli import DEMO_LINE
from facial_affect_addon.core.errors import CancelledError, InputError
from facial_affect_addon.core.facs import AU_CHANNELS
from facial_affect_addon.core.raster import heat_value
from facial_affect_addon.core.take_legibility import FrameReading, summarise
from facial_affect_addon.pipeline.report import build_report, write_report
from facial_affect_addon.pipeline.report_plots import (
    EMOTION_COLORS,
    SERIES_COLORS,
    report_plots,
    top_aus,
)

REPO = Path(__file__).resolve().parents[2]


def _doc(segments: list[tuple[float, float, str]], duration: float = 4.0) -> dict:
    """A document shaped like ``cli emotion --json``'s, one segment per (start, end, emotion)."""

    def weights(e: str) -> dict[str, float]:
        return {
            n: float(n == e)
            for n in ("neutral", "happiness", "sadness", "anger", "surprise", "fear", "disgust")
        }

    return {
        "schema_version": 1,
        "kind": "text",
        "weights": weights(segments[0][2]),
        "dominant": segments[0][2],
        "duration_s": duration,
        "transcript": "",
        "timeline": [
            {
                "start_s": a,
                "end_s": b,
                "text": "",
                "weights": weights(e),
                "intensity": 1.0,
                "source": "test",
                "reason": "",
            }
            for a, b, e in segments
        ],
        "models": {},
        "warnings": [],
    }


def _image(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def test_heatmap_hottest_cell_is_the_dominant_au() -> None:
    report = build_report(_doc([(0.5, 3.0, "sadness")]))
    values = np.clip(report.au_values * 0.6, 0.0, 1.0)
    dominant = AU_CHANNELS.index("AU9_R")  # not a sadness AU: only the test puts it there
    values[40:60, dominant] = 0.97
    plot = report_plots(replace(report, au_values=values))[0]
    assert plot.name == "heatmap.png"
    x0, y0, x1, y1 = plot.area
    heat = heat_value(_image(plot.png)[y0:y1, x0:x1])
    row = int(np.unravel_index(heat.argmax(), heat.shape)[0])
    row_h = (y1 - y0) // len(plot.rows)
    assert plot.rows[row // row_h] == "AU9_R"
    assert heat.max() == pytest.approx(0.97, abs=0.01)
    col = int(np.unravel_index(heat.argmax(), heat.shape)[1])
    assert 40 <= col * len(values) / (x1 - x0) < 61  # and at the time the test put it


def test_metrics_and_the_other_plots_show_the_input() -> None:
    report = build_report(_doc([(0.5, 2.0, "happiness"), (2.0, 3.5, "anger")]))
    energies = [m.energy for m in report.au_metrics]
    assert energies == sorted(energies, reverse=True) and energies[0] > 0
    top = report.au_metrics[0]
    assert top.energy == pytest.approx(
        float(np.sum(report.au_values[:, AU_CHANNELS.index(top.channel)] ** 2))
    )
    assert top.rise_s > 0 and top.peaks >= 1 and top.rms_jerk > 0
    assert report.region_entropy > 0 and sum(
        r.share for r in report.regions.values()
    ) == pytest.approx(1)
    plots = {p.name: p for p in report_plots(report)}
    assert set(plots) == {"heatmap.png", "top_aus.png", "energy.png", "emotions.png"}
    # energy bars: the first (top) bar is the longest, as long as the axis
    bars = plots["energy.png"]
    x0, y0, x1, _ = bars.area
    img = _image(bars.png)
    blue = (img == SERIES_COLORS[0]).all(axis=2)
    lengths = [int(blue[y0 + 7 + 14 * k, x0:].sum()) for k in range(3)]
    assert lengths[0] == x1 - x0 and lengths[0] >= lengths[1] >= lengths[2] > 0
    # emotion weights: anger's line is at the top (weight 1) inside its segment only
    em = plots["emotions.png"]
    x0, y0, x1, _ = em.area
    red = (_image(em.png) == EMOTION_COLORS["anger"]).all(axis=2)
    duration = len(report.au_values) / report.fps
    x_in, x_out = (x0 + int((x1 - x0) * t / duration) for t in (2.7, 1.2))
    assert red[y0 - 1 : y0 + 3, x_in].any() and not red[y0 - 1 : y0 + 3, x_out].any()
    # top AU curves (sides merged): every curve passes through its values' pixels (curves that
    # are equal overlap, so any series colour may be on top)
    plot = plots["top_aus.png"]
    x0, y0, x1, y1 = plot.area
    img = _image(plot.png)
    drawn = np.zeros(img.shape[:2], dtype=bool)
    for color in SERIES_COLORS[:5]:
        drawn |= (img == color).all(axis=2)
    series = top_aus(report)
    assert len(series) == 5
    n = len(report.au_values)
    for _, curve in series:
        for f in range(0, n, 7):
            x = x0 + round((x1 - x0 - 1) * f / n)
            y = y1 - 1 - round((y1 - y0 - 1) * curve[f])
            assert drawn[y - 2 : y + 3, x - 2 : x + 3].any(), (f, curve[f])


def test_static_vs_dynamic_table_and_the_score_terms() -> None:
    report = build_report(_doc([(0.3, 2.0, "happiness"), (2.2, 3.8, "sadness")]))
    rows = report.static_dynamic.rows
    assert {(r.emotion, r.quantity) for r in rows} == {
        (e, q) for e in ("happiness", "sadness") for q in ("energy", "temporal_energy")
    }
    for r in rows:
        assert r.n >= 2 and r.p is not None and 0 <= r.p <= 1 and r.dynamic_sd >= 0
    s = report.static_dynamic
    higher = "dynamic" if s.dynamic_temporal_energy > s.static_temporal_energy else "static"
    assert s.direction.startswith(higher)
    c = report.communication
    assert c.score == pytest.approx(c.legibility * c.intensity * c.onset * c.hold)
    assert c.label == "heuristic, not learned"


def test_legibility_and_a_user_model_appear() -> None:
    readings = [
        FrameReading(t, "happiness", "happiness" if t < 1 else "fear", 0.9)
        for t in (0.5, 0.8, 1.5, 2.0)
    ]
    legibility = summarise("test judge", readings)

    class Model:
        def predict(self, au, channels, fps):
            assert au.shape[1] == len(channels) == len(AU_CHANNELS) and fps == 24.0
            return {"engagement": {"high": 0.7, "low": 0.3}, "resonance": 3.5}

    report = build_report(_doc([(0.2, 2.5, "happiness")]), legibility=legibility, predictor=Model())
    assert report.communication.legibility == 0.5
    assert report.communication.legibility_source == "judged frames"
    doc = report.to_json()
    assert doc["legibility"]["segments"][0]["share"] == 0.5
    assert doc["user_model"]["resonance"] == 3.5


def test_bad_input_and_cancel() -> None:
    with pytest.raises(InputError):
        build_report({"kind": "text"})
    with pytest.raises(InputError):
        build_report([1, 2])
    bad = _doc([(0.2, 1.0, "anger")]) | {"micro_expressions": [{"onset": 1.0, "offset": 0.5}]}
    with pytest.raises(InputError, match="offset before"):
        build_report(bad)
    with pytest.raises(CancelledError):
        build_report(_doc([(0.2, 1.0, "anger")]), should_cancel=lambda: True)


def test_micro_and_video_blocks(tmp_path: Path) -> None:
    doc = _doc([(0.2, 2.0, "surprise")])
    doc["micro_expressions"] = [
        {
            "onset": 0.5,
            "apex": 0.6,
            "offset": 0.75,
            "aus": ["AU4"],
            "keys": {},
            "emotion": "anger",
            "confidence": 1.0,
        },
        {
            "onset": 1.0,
            "apex": 1.1,
            "offset": 1.3,
            "aus": ["AU9"],
            "keys": {},
            "emotion": "disgust",
            "confidence": 0.8,
        },
    ]
    times = np.linspace(0, 2, 9)
    probs = np.full((9, 7), 0.05)
    probs[:, 4] = np.linspace(0.1, 0.7, 9)
    doc["video"] = {
        "emotions": [],
        "times": times.tolist(),
        "probabilities": probs.tolist(),
        "peaks": {"surprise": {"frame_index": 8, "time_s": 2.0, "probability": 0.7}},
    }
    report = build_report(doc)
    assert report.micro.count == 2
    assert report.micro.durations_s == pytest.approx((0.25, 0.3))
    paths = write_report(report, tmp_path / "r")
    assert {p.name for p in paths} >= {"video_probabilities.png", "report.json", "report.html"}
    out = json.loads((tmp_path / "r" / "report.json").read_text())
    assert out["micro_expressions"]["count"] == 2 and out["video"]["peaks"] == {"surprise": 2.0}


def _cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "facial_affect_addon.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def demo_json(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README's demo performance, written by ``cli text DEMO_LINE --json``."""
    path = tmp_path_factory.mktemp("demo") / "demo.json"
    done = _cli("text", DEMO_LINE, "--json", str(path))
    assert done.returncode == 0, done.stderr
    return path


def test_cli_report_on_the_demo_performance(demo_json: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    done = _cli("report", str(demo_json), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "heuristic, not learned" in done.stdout
    names = {p.name for p in out.iterdir()}
    assert names == {
        "report.json",
        "report.html",
        "heatmap.png",
        "top_aus.png",
        "energy.png",
        "emotions.png",
    }
    doc = json.loads((out / "report.json").read_text())
    assert (
        doc["au_metrics"][0]["energy"] > 0
        and doc["communication"]["label"] == "heuristic, not learned"
    )
    assert doc["static_vs_dynamic"]["rows"] and doc["plots"][0] == "heatmap.png"
    html = (out / "report.html").read_text()
    embedded = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert len(embedded) == 4
    assert base64.b64decode(embedded[0]) == (out / "heatmap.png").read_bytes()
    assert not re.search(r'(src|href)="(?!data:)', html)  # self-contained: nothing external


def test_cli_report_errors_are_one_line_and_write_nothing(demo_json: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"kind": "text"}')
    blocked = tmp_path / "blocked"
    (blocked / "report.html").mkdir(parents=True)  # a folder where the HTML must go
    a_file = tmp_path / "file"
    a_file.write_text("x")
    cases = [
        ("report", str(bad), "--out", str(tmp_path / "o1")),
        ("report", str(tmp_path / "missing.json"), "--out", str(tmp_path / "o2")),
        ("report", str(demo_json), "--out", str(a_file)),
        ("report", str(demo_json), "--out", str(blocked)),
        ("report", str(demo_json), "--out", str(tmp_path / "o3"), "--take", "T"),
        ("report", str(demo_json.with_suffix(".blend")), "--out", str(tmp_path / "o4")),
    ]
    for args in cases:
        done = _cli(*args)
        assert done.returncode == 2, (args, done.stderr)
        assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: "), done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json", "blocked", "file"]
    assert [p.name for p in blocked.iterdir()] == ["report.html"]


def test_static_vs_dynamic_direction_as_the_readme_states() -> None:
    """README: on a one-emotion take static has the higher temporal energy (its 10-frame linear
    ramps are steeper than the dynamic rise), unlike paper 000; with changing emotions dynamic
    is higher. If the engine changes this, update the README's report section."""
    for emotion in ("happiness", "sadness", "anger", "surprise", "fear", "disgust"):
        s = build_report(_doc([(0.5, 7.5, emotion)], duration=8.0)).static_dynamic
        assert s.static_temporal_energy > s.dynamic_temporal_energy, emotion
        assert s.direction.startswith("static")
    three = [(0.3, 2.5, "happiness"), (2.5, 5.0, "sadness"), (5.0, 7.5, "anger")]
    s = build_report(_doc(three, duration=8.0)).static_dynamic
    assert s.dynamic_temporal_energy > s.static_temporal_energy
