"""``cli batch`` without Blender: manifests, bad input, failures, resume, progress, lazy Dask.

The bakes, the 24-line batch and the Dask cluster runs are in ``tests/blender/test_batch.py``.
Text items here are directed lines (``[anger] ...``), which need no model, so the runs are fast.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from facial_affect_addon import cli
from facial_affect_addon.core.errors import InputError
from facial_affect_addon.core.synthesis_options import SynthesisMode
from facial_affect_addon.pipeline import batch, batch_dask
from facial_affect_addon.pipeline.batch_manifest import ItemOptions, load_manifest
from facial_affect_addon.pipeline.options import InputSource

REPO = Path(__file__).resolve().parents[2]
LINES = ("[anger] Get out of my house.", "[happiness] Oh, it's you! Come in.")


def test_csv_json_and_folder_manifests_give_the_same_items(tmp_path):
    (tmp_path / "clips").mkdir()
    (tmp_path / "clips" / "a.wav").write_bytes(b"")
    (tmp_path / "csv.csv").write_text(
        "text,audio,take,intensity,micro,mode,seed\n"
        f'"{LINES[0]}",,angry,0.5,yes,static,3\n'
        ",clips/a.wav,,,,,\n"
    )
    (tmp_path / "json.json").write_text(
        json.dumps(
            {
                "items": [
                    {
                        "text": LINES[0],
                        "take": "angry",
                        "intensity": 0.5,
                        "micro": True,
                        "mode": "static",
                        "seed": 3,
                    },
                    {"audio": "clips/a.wav"},
                ]
            }
        )
    )
    from_csv = load_manifest(tmp_path / "csv.csv")
    assert from_csv == load_manifest(tmp_path / "json.json")
    text, audio = from_csv
    assert (text.source, text.lines, text.take) == (InputSource.TEXT, (LINES[0],), "angry")
    assert text.options == ItemOptions(mode=SynthesisMode.STATIC, intensity=0.5, micro=True, seed=3)
    assert audio.source == InputSource.AUDIO and audio.take == "a"
    assert audio.path == str((tmp_path / "clips" / "a.wav").resolve())
    (tmp_path / "clips" / "script.txt").write_text(f"{LINES[0]}\n\n{LINES[1]}\n")
    (tmp_path / "clips" / "notes.md").write_text("not an item")
    folder = load_manifest(tmp_path / "clips")
    assert [(i.take, i.source) for i in folder] == [
        ("a", InputSource.AUDIO),
        ("script", InputSource.TEXT),
    ]
    assert folder[1].lines == LINES


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("m.json", "[{", "not valid JSON"),
        ("m.json", '{"rows": []}', "list of items"),
        ("m.json", "[]", "no items"),
        ("m.json", '[{"text": "hi", "colour": "red"}]', "unknown key(s) colour"),
        ("m.json", '[{"text": "hi", "audio": "a.wav"}]', "exactly one of text, audio, video"),
        ("m.json", '[{"take": "x"}]', "exactly one of text, audio, video"),
        ("m.json", '[{"text": "hi", "intensity": 2}]', "intensity must be between 0 and 1"),
        ("m.json", '[{"text": "hi", "mode": "wild"}]', "bad mode"),
        ("m.json", '[{"text": "a", "take": "x"}, {"text": "b", "take": "X"}]', "both write"),
        ("m.csv", "text,micro\nhi,maybe\n", "bad micro"),
        ("m.csv", "text\nhi,extra\n", "more cells than the header"),
        ("m.yaml", "- text: hi\n", "not m.yaml"),
    ],
)
def test_a_bad_manifest_is_one_line_exit_2_and_writes_nothing(
    tmp_path, capsys, name, content, message
):
    manifest = tmp_path / name
    manifest.write_text(content)
    out = tmp_path / "out"
    assert cli.run(["batch", str(manifest), "--out", str(out), "--no-bake"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1, err
    assert not out.exists()
    with pytest.raises(InputError):
        load_manifest(manifest)


def test_a_missing_manifest_or_head_is_exit_2(tmp_path, capsys):
    out = tmp_path / "out"
    assert cli.run(["batch", str(tmp_path / "nope.csv"), "--out", str(out)]) == 2
    assert "Manifest not found" in capsys.readouterr().err
    (tmp_path / "m.json").write_text(json.dumps([{"text": LINES[0]}]))
    argv = ["batch", str(tmp_path / "m.json"), "--out", str(out), "--head", "no.blend"]
    assert cli.run(argv) == 2
    assert "Head file not found" in capsys.readouterr().err
    assert not out.exists()


def _manifest(tmp_path: Path) -> Path:
    (tmp_path / "broken.wav").write_text("this is not audio")
    items = [
        {"text": LINES[0], "take": "angry"},
        {"audio": "broken.wav"},
        {"text": LINES[1], "take": "happy", "intensity": 0.7},
    ]
    path = tmp_path / "m.json"
    path.write_text(json.dumps(items))
    return path


def test_a_failing_item_is_reported_the_rest_complete_and_a_rerun_resumes(tmp_path, capsys):
    manifest, out = _manifest(tmp_path), tmp_path / "out"
    assert cli.run(["batch", str(manifest), "--out", str(out), "--no-bake"]) == 1
    err = capsys.readouterr().err
    assert "failed  broken" in err and "error: Cannot read 'broken.wav'" in err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"] == {"ok": 2, "skipped": 0, "failed": 1}
    by_take = {i["take"]: i for i in summary["items"]}
    assert [i["take"] for i in summary["items"]] == ["angry", "broken", "happy"]
    assert by_take["broken"]["error"].startswith("Cannot read 'broken.wav'")
    assert by_take["broken"]["outputs"] == []
    assert by_take["happy"]["outputs"] == ["happy.json"] and by_take["happy"]["error"] is None
    assert json.loads((out / "angry.json").read_text())["dominant"] == "anger"
    assert sorted(p.name for p in out.iterdir()) == [
        ".batch",
        "angry.json",
        "happy.json",
        "summary.json",
    ]
    mtimes = {p.name: p.stat().st_mtime_ns for p in out.glob("*.json") if p.stem != "summary"}

    assert cli.run(["batch", str(manifest), "--out", str(out), "--no-bake"]) == 1
    again = json.loads((out / "summary.json").read_text())
    assert [i["status"] for i in again["items"]] == ["skipped", "failed", "skipped"]
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.json") if p.stem != "summary"} == (
        mtimes
    )
    journal = (out / ".batch" / "journal.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["take"] for line in journal) == ["angry", "happy"]


def test_the_item_json_is_what_the_text_command_writes(tmp_path):
    (tmp_path / "m.json").write_text(json.dumps([{"text": LINES[1], "take": "t", "seed": 2}]))
    assert cli.run(["batch", str(tmp_path / "m.json"), "--out", str(tmp_path), "--no-bake"]) == 0
    assert cli.run(["text", LINES[1], "--seed", "2", "--json", str(tmp_path / "cli.json")]) == 0
    assert (tmp_path / "t.json").read_text() == (tmp_path / "cli.json").read_text()


def test_a_crashed_attempt_leaves_no_output_and_its_temporaries_are_swept(tmp_path, monkeypatch):
    monkeypatch.setenv("FACIAL_AFFECT_LOG_DIR", str(tmp_path / "logs"))
    item = load_manifest(_manifest(tmp_path))[0]

    def crashing_baker(performance, job):
        Path(job.out_blend).write_bytes(b"half a blend")
        raise RuntimeError("the bake crashed")

    config = batch.BatchConfig(str(tmp_path / "out"), crashing_baker)
    result = batch.run_item(item, config)
    assert result.status == "failed"
    assert result.error.startswith("internal error: RuntimeError: the bake crashed (details in")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == []
    (tmp_path / "out" / ".angry.0123456789ab.tmp.blend").write_bytes(b"left by a killed worker")
    assert batch.sweep_temporaries(tmp_path / "out") == 1
    assert not any((tmp_path / "out").iterdir())


def test_progress_lines_count_and_estimate_the_rest():
    stream = io.StringIO()
    report = batch.ProgressReport(3, stream)
    report(batch.ItemResult(0, "a", "x", "ok", 0.5))
    report(batch.ItemResult(1, "b", "y", "failed", 0.1, error="boom"))
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("[1/3] ok      a (0.50 s)") and "ETA" in lines[0]
    assert lines[1].startswith("[2/3] failed  b") and lines[2] == "    error: boom"


def test_dask_is_imported_only_for_a_scheduler():
    code = (
        "import sys, facial_affect_addon.cli, facial_affect_addon.pipeline.batch_dask\n"
        "print([m for m in ('dask', 'distributed') if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_an_unreachable_scheduler_is_exit_2(tmp_path, capsys, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr(batch_dask, "CONNECT_TIMEOUT_S", 1.0)
    (tmp_path / "m.json").write_text(json.dumps([{"text": LINES[0]}]))
    argv = ["batch", str(tmp_path / "m.json"), "--out", str(tmp_path / "out"), "--no-bake"]
    assert cli.run([*argv, "--scheduler", "tcp://127.0.0.1:9"]) == 2
    assert "Cannot reach the Dask scheduler at tcp://127.0.0.1:9" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_outputs_sent_back_by_a_worker_are_stored_atomically_and_journalled(tmp_path):
    item = load_manifest(_manifest(tmp_path))[0]
    config = batch.BatchConfig(str(tmp_path / "out"), gather_outputs=True)
    assert not batch.is_complete(item, config)
    batch.store_outputs(item, config, {"angry.json": b'{"made": "elsewhere"}\n'})
    assert batch.is_complete(item, config)
    assert (tmp_path / "out" / "angry.json").read_bytes() == b'{"made": "elsewhere"}\n'
    assert [p.name for p in (tmp_path / "out").iterdir() if p.is_file()] == ["angry.json"]
    assert json.loads((tmp_path / "out" / ".batch" / "journal.jsonl").read_text())["take"] == (
        "angry"
    )
    assert batch.run_item(item, config).status == "skipped"


def test_a_bug_in_one_item_is_an_internal_error_with_its_traceback_in_the_log(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("FACIAL_AFFECT_LOG_DIR", str(tmp_path / "logs"))
    item = load_manifest(_manifest(tmp_path))[0]

    def buggy_baker(performance, job):
        raise KeyError("a bug, not bad input")

    result = batch.run_item(item, batch.BatchConfig(str(tmp_path / "out"), buggy_baker))
    assert result.status == "failed"
    assert result.error.startswith("internal error: KeyError:") and "details in" in result.error
    assert "\n" not in result.error
    logged = "".join(p.read_text() for p in (tmp_path / "logs").rglob("*.log"))
    assert "Traceback" in logged and "buggy_baker" in logged
    assert not any((tmp_path / "out").glob("*.blend"))
