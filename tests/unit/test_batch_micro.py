"""``cli batch`` micro-expression columns: ``micro_at``, ``micro_file`` and ``micro_spot``.

Real manifest files (CSV and JSON) and a real timeline file; text items are directed lines, which
need no model. The video item spots a brow raise in a clip made from a real photo.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from facial_affect_addon import cli
from facial_affect_addon.core.errors import InputError
from facial_affect_addon.core.micro_authoring import MicroSpec
from facial_affect_addon.paths import model_path
from facial_affect_addon.pipeline import batch
from facial_affect_addon.pipeline.batch_manifest import load_manifest

from . import micro_fixtures as mf

LINE = "[anger] Get out of my house."
BURSTS = {
    "schema_version": 1,
    "kind": "micro_expressions",
    "bursts": [{"time": 2.5, "aus": ["AU12R"], "intensity": 0.6, "complete": False}],
}


def _run(manifest: Path, out: Path) -> dict:
    assert cli.run(["batch", str(manifest), "--out", str(out), "--no-bake"]) == 0
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


def test_csv_and_json_micro_columns_give_the_same_items_and_json(tmp_path):
    (tmp_path / "cues").mkdir()
    (tmp_path / "cues" / "b.json").write_text(json.dumps(BURSTS), encoding="utf-8")
    (tmp_path / "m.csv").write_text(
        "text,take,micro_at,micro_file\n"
        f'"{LINE}",a,"1.2:fear:0.4:120ms; 2.0:AU12L:0.6 ;",cues/b.json\n'
        f'"{LINE}",b,,\n',
        encoding="utf-8",
    )
    rows = [
        {"text": LINE, "take": "a", "micro_at": ["1.2:fear:0.4:120ms", "2.0:AU12L:0.6"],
         "micro_file": "cues/b.json"},
        {"text": LINE, "take": "b"},
    ]  # fmt: skip
    (tmp_path / "m.json").write_text(json.dumps(rows), encoding="utf-8")
    items = load_manifest(tmp_path / "m.csv")
    assert items == load_manifest(tmp_path / "m.json")
    specs = items[0].options.micro_specs
    assert specs[0] == MicroSpec(1.2, 0.4, "fear", (), 0.12)
    assert [(s.time, s.emotion, s.aus) for s in specs[1:]] == [
        (2.0, "", (("AU12L", 1.0),)),
        (2.5, "", (("AU12R", 1.0),)),
    ]
    assert items[1].options.micro_specs == ()
    opts = batch.performance_options(items[0])
    assert [round(b.peak_time(), 3) for b in opts.synthesis.micro_bursts] == [1.2, 2.0, 2.5]

    summary = _run(tmp_path / "m.csv", tmp_path / "out")
    assert summary["counts"]["ok"] == 2
    doc = json.loads((tmp_path / "out" / "a.json").read_text(encoding="utf-8"))
    records = doc["micro_expressions"]
    assert [r["apex"] for r in records] == pytest.approx([1.2, 2.0, 2.5])
    assert records[0]["emotion"] == "fear" and records[0]["confidence"] == 1.0
    assert records[2]["keys"]["mouthSmileRight"] == pytest.approx(0.6)
    plain = json.loads((tmp_path / "out" / "b.json").read_text(encoding="utf-8"))
    assert "micro_expressions" not in plain


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("m.csv", f'text,micro_at\n"{LINE}",1.0:fear:0.4\n"{LINE}",1.0:fear:0.4:900ms\n',
         "manifest item 2: bad micro_at '1.0:fear:0.4:900ms': A micro-expression lasts 40-500 ms"),
        ("m.csv", f'text,micro_at\n"{LINE}",1.0:fear:0.4; 2.0:glee:0.3\n',
         "manifest item 1: bad micro_at '2.0:glee:0.3'"),
        ("m.csv", f'text,micro_at\n"{LINE}",0.01:fear:0.4\n',
         "manifest item 1: bad micro_at '0.01:fear:0.4'"),
        ("m.json", json.dumps([{"text": LINE, "micro_at": [1.0]}]),
         "manifest item 1: micro_at holds 1.0, not a burst"),
        ("m.json", json.dumps([{"text": LINE}, {"text": LINE, "take": "x",
                                                "micro_file": "none.json"}]),
         "manifest item 2: Cannot read Micro-expression file"),
        ("m.json", json.dumps([{"video": "v.mp4", "capture": True, "micro_at": "1:fear:0.5"}]),
         "manifest item 1: micro_at/micro_file are not baked with capture"),
        ("m.json", json.dumps([{"text": LINE, "micro_spot": True}]),
         "manifest item 1: micro_spot is for video items (this one is text)"),
        ("m.csv", "video,micro_spot\nv.mp4,maybe\n", "manifest item 1: bad micro_spot"),
        ("m.json", json.dumps([{"text": LINE, "micro_at": "9" * 5000 + ":fear:0.5"}]),
         "manifest item 1: bad micro_at"),
        ("m.csv", f'text,micro_at\n"{LINE}","1.0:fear\n:0.5\x00"\n',
         "manifest item 1: bad micro_at"),
        ("m.json", json.dumps([{"text": LINE, "micro_file": "."}]), "manifest item 1: "),
    ],
)  # fmt: skip
def test_a_bad_micro_column_is_one_line_naming_the_row(tmp_path, capsys, name, content, message):
    manifest = tmp_path / name
    manifest.write_text(content, encoding="utf-8")
    out = tmp_path / "out"
    assert cli.run(["batch", str(manifest), "--out", str(out), "--no-bake"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1, err
    assert not out.exists()
    with pytest.raises(InputError, match="manifest item"):
        load_manifest(manifest)


def test_a_bad_burst_in_the_micro_file_names_the_row(tmp_path):
    bad = dict(BURSTS, bursts=[{"time": 1.0, "emotion": "fear", "intensity": 2}])
    (tmp_path / "b.json").write_text(json.dumps(bad), encoding="utf-8")
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps([{"text": LINE, "micro_file": "b.json"}]), encoding="utf-8")
    with pytest.raises(InputError, match=r"^manifest item 1: .*intensity") as caught:
        load_manifest(manifest)
    assert "\n" not in str(caught.value)


@pytest.mark.skipif(
    not model_path("face_landmark.tflite").is_file(),
    reason="face models missing: run `make setup` (tools/fetch_face_models.py)",
)
def test_a_video_row_with_micro_spot_lists_found_and_authored_bursts(tmp_path):
    from facial_affect_addon.ml.faces import FaceAnalyzer

    landmarks = FaceAnalyzer().analyze(mf.head_frame()).landmarks
    event = mf.Event("brow_raise", 1.4, 1.6)
    mf.write_event_clip(tmp_path / "brows.avi", landmarks, [event], 3.0, 30.0)
    (tmp_path / "m.csv").write_text(
        "video,take,micro_spot,micro_at\nbrows.avi,spot,yes,2.4:AU12:0.5\nbrows.avi,plain,no,\n",
        encoding="utf-8",
    )
    items = load_manifest(tmp_path / "m.csv")
    assert batch.analysis_request(items[0]).micro_spot
    assert not batch.analysis_request(items[1]).micro_spot
    assert _run(tmp_path / "m.csv", tmp_path / "out")["counts"]["ok"] == 2
    doc = json.loads((tmp_path / "out" / "spot.json").read_text(encoding="utf-8"))
    found, authored = doc["micro_expressions"]
    assert found["apex"] == pytest.approx(1.5, abs=0.1) and found["emotion"] == "surprise"
    assert found["confidence"] < 1.0
    assert authored["apex"] == pytest.approx(2.4) and authored["confidence"] == 1.0
    assert "macro_expressions" in doc
    plain = json.loads((tmp_path / "out" / "plain.json").read_text(encoding="utf-8"))
    assert "micro_expressions" not in plain and "macro_expressions" not in plain
