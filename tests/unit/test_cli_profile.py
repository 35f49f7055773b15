"""``--profile FILE`` on the command line: refused without --bake, bad files are one line."""

from __future__ import annotations

import json

import pytest

from facial_affect_addon import cli


def _run(capsys, *argv: str) -> tuple[int, str]:
    status = cli.run(list(argv))
    return status, capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not valid JSON"),
        (json.dumps({"schema_version": 1, "name": "x", "keys": {"a": {"AU99": 1}}}), "AU99"),
        (
            json.dumps(
                {"schema_version": 1, "name": "x", "keys": {"a": {"AU12": 1}},
                 "key_clamps": {"a": [0.9, 0.1]}}
            ),
            "low < high",
        ),
    ],
)  # fmt: skip
def test_bad_profile_is_one_line_before_any_work(tmp_path, capsys, content, message):
    profile = tmp_path / "p.json"
    profile.write_text(content)
    out = tmp_path / "x.blend"
    status, err = _run(
        capsys, "emotion", "happiness", "--bake", str(out), "--profile", str(profile)
    )
    assert status == 2
    assert err.count("\n") == 1 and "p.json" in err, err
    assert message.lower() in err.lower(), err
    assert not out.exists()


def test_profile_needs_bake(tmp_path, capsys):
    profile = tmp_path / "p.json"
    profile.write_text("{}")
    status, err = _run(capsys, "emotion", "happiness", "--profile", str(profile))
    assert status == 2 and "--profile is only used with --bake" in err


def test_missing_profile_file(tmp_path, capsys):
    status, err = _run(
        capsys, "emotion", "happiness", "--bake", str(tmp_path / "x.blend"),
        "--profile", str(tmp_path / "nope.json"),
    )  # fmt: skip
    assert status == 2 and "nope.json" in err
