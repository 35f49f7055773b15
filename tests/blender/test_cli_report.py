"""``cli report FILE.blend --take NAME`` in real Blender: the take's frames are rendered and judged,
and the report carries their legibility; a take or flag that does not fit is one line, exit 2."""

from __future__ import annotations

import json

import pytest

from .helpers import run_cli


@pytest.fixture(scope="module")
def baked(tmp_path_factory):
    blend = tmp_path_factory.mktemp("take") / "take.blend"
    done = run_cli(
        "emotion", "happiness", "--duration", "2", "--bake", str(blend), "--take", "Smile"
    )
    assert done.returncode == 0, done.stderr
    return blend


def test_report_of_a_baked_take_judges_its_frames(baked, tmp_path):
    out = tmp_path / "report"
    args = ("report", str(baked), "--object", "DemoHead", "--out", str(out), "--frames", "2")
    done = run_cli(*args, "--take", "DemoHead Smile")
    assert done.returncode == 0, done.stderr
    doc = json.loads((out / "report.json").read_text())
    legibility = doc["legibility"]
    assert len(legibility["readings"]) == 2 and legibility["judge"]
    assert {r["intended"] for r in legibility["readings"]} <= {"happiness", "neutral"}
    assert doc["communication"]["legibility_source"] == "judged frames"
    assert doc["communication"]["legibility"] == pytest.approx(legibility["share"])
    assert "Legibility</h2><p>" in (out / "report.html").read_text()


def test_a_missing_take_or_a_stray_flag_is_one_line(baked, tmp_path):
    cases = [
        ("report", str(baked), "--take", "Nope", "--out", str(tmp_path / "a")),
        ("report", str(baked), "--out", str(tmp_path / "b")),
        (
            "report",
            str(baked),
            "--take",
            "DemoHead Smile",
            "--frames",
            "0",
            "--out",
            str(tmp_path / "c"),
        ),
    ]
    for args in cases:
        done = run_cli(*args)
        assert done.returncode == 2, (args, done.stderr)
        assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: "), done.stderr
    assert not any(tmp_path.iterdir())
