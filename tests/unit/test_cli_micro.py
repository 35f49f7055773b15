"""The CLI's authored micro-expressions without a bake: every sub-command, errors, capture."""

from __future__ import annotations

import json

import pytest

from facial_affect_addon import cli

from .video_fixtures import moving_face_frames, write_video


def test_text_command_lists_the_authored_bursts(tmp_path, capsys):
    out = tmp_path / "t.json"
    argv = ["text", "What a lovely day.", "--micro-at", "0.5:AU12:0.5", "--json", str(out)]
    argv += ["--micro-at", "0.9:disgust:0.3:80ms"]
    assert cli.run(argv) == 0, capsys.readouterr().err
    records = json.loads(out.read_text())["micro_expressions"]
    assert [r["emotion"] for r in records] == ["happiness", "disgust"]
    assert [r["apex"] for r in records] == pytest.approx([0.5, 0.9])
    for r in records:
        assert set(r) == {"onset", "apex", "offset", "aus", "keys", "emotion", "confidence"}


def test_no_micro_expressions_key_without_bursts(tmp_path):
    out = tmp_path / "e.json"
    assert cli.run(["emotion", "fear", "--json", str(out)]) == 0
    assert "micro_expressions" not in json.loads(out.read_text())


def test_bursts_with_capture_are_refused_before_any_work(tmp_path, capsys):
    video = write_video(tmp_path / "face.mp4", moving_face_frames(4))
    out = tmp_path / "v.json"
    argv = ["video", str(video), "--capture", "--micro-at", "1:fear:0.5", "--json", str(out)]
    assert cli.run(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err == "error: --micro-at/--micro-file are not baked with --capture; drop one."
    assert not out.exists()


def test_missing_micro_file_is_one_line(tmp_path, capsys):
    out = tmp_path / "e.json"
    argv = ["emotion", "fear", "--micro-file", str(tmp_path / "nope.json"), "--json", str(out)]
    assert cli.run(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Cannot read Micro-expression file '" in err
    assert not out.exists()
