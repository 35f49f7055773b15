"""Hostile input through the CLI (issue 13, part A): one line on stderr, exit 2, nothing written.

One named regression test per class the issue lists: output paths (read-only folder, a folder given
as the file, a parent that is a file), text that is not valid Unicode or is too long, numbers out of
range, huge weights, a huge unknown emotion name, text that starts with '-', an ignored flag, an
unexpected exception and library noise on file descriptor 2. Most run in-process
(``cli.run([...])``); a few run the real ``python -m facial_affect_addon.cli``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from facial_affect_addon import cli, cli_guard
from facial_affect_addon.core import atomic
from facial_affect_addon.core.emotions import EmotionWeights
from facial_affect_addon.core.errors import FacialAffectError
from facial_affect_addon.core.text_input import MAX_LINE_CHARS

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def log_dir(tmp_path_factory, monkeypatch) -> Path:
    """The CLI's log goes to a folder of its own, never into the output folder or ~/.cache."""
    folder = tmp_path_factory.mktemp("log")
    monkeypatch.setenv(cli_guard.LOG_DIR_ENV, str(folder))
    return folder


@pytest.fixture
def out(tmp_path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def run(capsys, *args: str) -> tuple[int, list[str], str]:
    code = cli.run(list(args))
    stdout, stderr = capsys.readouterr()
    return code, stderr.splitlines(), stdout


def refused(code: int, err: list[str], folder: Path, before: set[Path] | None = None) -> str:
    """Exit 2, exactly one 'error:' line, no traceback, nothing new in ``folder``."""
    assert code == 2, err
    assert len(err) == 1, err
    assert err[0].startswith("error: "), err
    assert "Traceback" not in err[0]
    assert set(folder.iterdir()) == (before or set())
    return err[0]


def subprocess_cli(*args, cwd=REPO, env_extra=None) -> subprocess.CompletedProcess:
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "facial_affect_addon.cli", *args],
        cwd=cwd,
        capture_output=True,
        timeout=300,
        env=env,
    )


# --- output paths ---------------------------------------------------------------------------


def test_read_only_output_folder_is_refused_before_any_work(capsys, out, monkeypatch):
    read_only = out / "ro"
    read_only.mkdir()
    read_only.chmod(0o555)
    if os.geteuid() == 0:  # root writes anywhere: make the check see what a user would
        monkeypatch.setattr(atomic, "_writable", lambda folder: folder != read_only)
    try:
        code, err, _ = run(capsys, "emotion", "happiness", "--json", str(read_only / "x.json"))
        line = refused(code, err, read_only)
    finally:
        read_only.chmod(0o755)
    assert "no permission to write" in line and str(read_only) in line


def test_a_write_that_fails_anyway_names_the_file_and_leaves_nothing(capsys, out, monkeypatch):
    def denied(src, dst):
        raise PermissionError(13, "Permission denied", str(dst))

    monkeypatch.setattr(atomic.os, "replace", denied)
    code, err, _ = run(capsys, "emotion", "happiness", "--json", str(out / "x.json"))
    line = refused(code, err, out)
    assert "Cannot write" in line and "x.json" in line and "Permission denied" in line


def test_output_path_that_is_a_directory_is_refused(capsys, out):
    folder = out / "x.json"
    folder.mkdir()
    code, err, _ = run(capsys, "emotion", "happiness", "--json", str(folder))
    line = refused(code, err, out, {folder})
    assert "is a folder" in line
    assert not any(folder.iterdir())


def test_parent_that_is_a_file_is_refused(capsys, out):
    parent = out / "notes.txt"
    parent.write_text("a file, not a folder")
    code, err, _ = run(capsys, "emotion", "happiness", "--json", str(parent / "x.json"))
    line = refused(code, err, out, {parent})
    assert "is a file, not a folder" in line


def test_bake_output_that_is_a_directory_is_refused_before_blender(capsys, out):
    folder = out / "take.blend"
    folder.mkdir()
    code, err, _ = run(capsys, "emotion", "happiness", "--bake", str(folder))
    refused(code, err, out, {folder})


def test_two_outputs_on_one_path_are_refused(capsys, out):
    head = out / "head.blend"
    head.write_bytes(b"BLENDER")
    code, err, _ = run(capsys, "emotion", "anger", "--head", str(head), "--bake", str(head))
    assert "--head and --bake name the same file" in refused(code, err, out, {head})
    code, err, _ = run(capsys, "emotion", "anger", "--json", str(out / "x.png"), "--bake",
                       str(out / "x.blend"), "--png", str(out / "x.png"))  # fmt: skip
    assert "--png and --json name the same file" in refused(code, err, out, {head})


def test_batch_out_that_is_a_file_is_refused(capsys, out):
    manifest = out / "m.json"
    manifest.write_text(json.dumps([{"text": "hello there", "take": "t"}]))
    target = out / "results"
    target.write_text("not a folder")
    code, err, _ = run(capsys, "batch", str(manifest), "--out", str(target), "--no-bake")
    assert "is a file" in refused(code, err, out, {manifest, target})


def test_json_is_written_atomically_with_no_temporaries_left(capsys, out):
    code, _, _ = run(capsys, "emotion", "happiness=0.6,surprise=0.4", "--json", str(out / "m.json"))
    assert code == 0
    assert [p.name for p in out.iterdir()] == ["m.json"]
    assert json.loads((out / "m.json").read_text())["weights"]["happiness"] == pytest.approx(0.6)


def test_missing_output_folders_are_made_only_on_success(capsys, out, monkeypatch):
    code, _, _ = run(capsys, "emotion", "happiness", "--json", str(out / "a" / "b" / "m.json"))
    assert code == 0 and (out / "a" / "b" / "m.json").is_file()

    def denied(src, dst):
        raise PermissionError(13, "Permission denied", str(dst))

    monkeypatch.setattr(atomic.os, "replace", denied)
    code, err, _ = run(capsys, "emotion", "happiness", "--json", str(out / "c" / "d" / "m.json"))
    refused(code, err, out, {out / "a"})


# --- text -----------------------------------------------------------------------------------


def test_undecodable_bytes_in_the_argument_are_refused(capsys, out):
    code, err, _ = run(capsys, "text", "caf\udce9 au lait", "--json", str(out / "x.json"))
    line = refused(code, err, out)
    assert "not valid UTF-8" in line and "0xe9" in line


def test_undecodable_bytes_in_a_real_argv_are_refused(out):
    done = subprocess_cli(b"text", b"caf\xe9 au lait", b"--json", os.fsencode(out / "x.json"))
    assert done.returncode == 2, done.stderr
    lines = done.stderr.decode("utf-8", "replace").splitlines()
    assert len(lines) == 1 and "not valid UTF-8" in lines[0], lines
    assert not any(out.iterdir())


def test_lone_surrogate_in_the_argument_is_refused(capsys, out):
    code, err, _ = run(capsys, "text", "hello \ud83d there", "--json", str(out / "x.json"))
    assert "lone surrogate (U+D83D" in refused(code, err, out)


def test_undecodable_bytes_in_a_text_file_are_refused(capsys, out, tmp_path):
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("Ça va très bien, merci.\n".encode("cp1252"))
    code, err, _ = run(capsys, "text", "--file", str(latin1), "--json", str(out / "x.json"))
    line = refused(code, err, out)
    assert "not UTF-8" in line and "Windows-1252" in line


def test_lone_surrogate_in_a_text_file_is_refused(capsys, out, tmp_path):
    cesu = tmp_path / "cesu.txt"
    cesu.write_bytes(b"hello \xed\xa0\xbd there\n")  # a UTF-16 surrogate encoded as if UTF-8
    code, err, _ = run(capsys, "text", "--file", str(cesu), "--json", str(out / "x.json"))
    assert "not UTF-8" in refused(code, err, out)


def test_utf16_text_file_is_refused_by_name(capsys, out, tmp_path):
    utf16 = tmp_path / "utf16.txt"
    utf16.write_bytes("I am so happy".encode("utf-16"))
    code, err, _ = run(capsys, "text", "--file", str(utf16), "--json", str(out / "x.json"))
    assert "UTF-16 (little-endian); save it as UTF-8" in refused(code, err, out)


def test_utf8_text_file_with_bom_is_read(capsys, out, tmp_path):
    bom = tmp_path / "bom.txt"
    bom.write_bytes(b"\xef\xbb\xbfI am so happy to see you!\n\nWhat a lovely day.\n")
    code, err, _ = run(capsys, "text", "--file", str(bom), "--json", str(out / "x.json"))
    assert code == 0, err
    doc = json.loads((out / "x.json").read_text())
    assert [e["text"] for e in doc["timeline"]] == [
        "I am so happy to see you!",
        "What a lovely day.",
    ]


def test_one_megabyte_text_is_refused(capsys, out, tmp_path):
    code, err, _ = run(capsys, "text", "word " * 200_000, "--json", str(out / "x.json"))
    assert f"the most is {MAX_LINE_CHARS:,} per line" in refused(code, err, out)
    big = tmp_path / "big.txt"
    big.write_text("All work and no play makes Jack a dull boy.\n" * 25_000)
    code, err, _ = run(capsys, "text", "--file", str(big), "--json", str(out / "x.json"))
    assert "a text file may hold at most" in refused(code, err, out)


def test_control_characters_are_replaced_with_a_warning(capsys, out):
    code, err, _ = run(capsys, "text", "I am\x00 so\x1b happy\tto see you", "--json",
                       str(out / "x.json"))  # fmt: skip
    assert code == 0, err
    assert err == ["warning: 2 control character(s) were removed from the text."]
    assert json.loads((out / "x.json").read_text())["timeline"][0]["text"] == (
        "I am so happy to see you"
    )


def test_text_that_starts_with_a_dash_needs_double_dash(capsys, out):
    code, err, stdout = run(capsys, "text", "-hello there", "--json", str(out / "x.json"))
    line = refused(code, err, out)
    assert "text -- '-hello there'" in line
    assert "usage" not in stdout.lower()
    code, err, _ = run(capsys, "text", "--json", str(out / "x.json"), "--", "-hello there")
    assert code == 0, err
    assert json.loads((out / "x.json").read_text())["timeline"][0]["text"] == "-hello there"


def test_text_that_starts_with_a_dash_in_a_real_process(out):
    done = subprocess_cli("text", "-hello there")
    assert done.returncode == 2
    lines = done.stderr.decode().splitlines()
    assert len(lines) == 1 and "put -- before it" in lines[0], lines
    assert b"usage" not in done.stdout.lower()


# --- numbers and emotion specs -------------------------------------------------------------


def test_negative_seed_is_refused(capsys, out):
    code, err, _ = run(
        capsys, "emotion", "happiness", "--seed", "-1", "--json", str(out / "x.json")
    )
    assert "--seed must be a whole number in [0, 4294967295]" in refused(code, err, out)


@pytest.mark.parametrize(
    "option",
    [
        ("--intensity", "nan"),
        ("--intensity", "1.5"),
        ("--intensity", "-0.1"),
        ("--duration", "inf"),
        ("--duration", "0"),
        ("--duration", "-3"),
        ("--seed", "99999999999"),
        ("--seed", "one"),
    ],
)
def test_numbers_out_of_range_are_refused(capsys, out, option):
    code, err, _ = run(capsys, "emotion", "happiness", *option, "--json", str(out / "x.json"))
    assert option[0] in refused(code, err, out)


def test_huge_weights_are_normalised_not_zeroed(capsys, out):
    code, err, _ = run(
        capsys, "emotion", "happiness=1e308,sadness=1e308", "--json", str(out / "x.json")
    )
    assert code == 0, err
    weights = json.loads((out / "x.json").read_text())["weights"]
    assert weights["happiness"] == pytest.approx(0.5) and weights["sadness"] == pytest.approx(0.5)
    one = EmotionWeights.from_mapping({"anger": 1e308, "fear": 1e308, "disgust": 1e-320})
    assert one.as_dict()["anger"] == pytest.approx(0.5)


@pytest.mark.parametrize("weight", ["1e309", "inf", "nan", "-1", "-0.5", "lots"])
def test_weights_that_are_not_finite_non_negative_numbers_are_refused(capsys, out, weight):
    code, err, _ = run(capsys, "emotion", f"happiness={weight}", "--json", str(out / "x.json"))
    assert "Weight for happiness" in refused(code, err, out)


def test_all_zero_weights_are_refused(capsys, out):
    code, err, _ = run(capsys, "emotion", "happiness=0,anger=0", "--json", str(out / "x.json"))
    assert "All emotion weights are zero" in refused(code, err, out)


def test_long_unknown_emotion_name_is_truncated(capsys, out):
    code, err, _ = run(capsys, "emotion", "x" * 1500 + "=0.5", "--json", str(out / "x.json"))
    line = refused(code, err, out)
    assert "Unknown emotion or preset 'xxxx" in line and "x" * 61 not in line and "…" in line
    code, err, _ = run(capsys, "emotion", "x" * 100_000, "--json", str(out / "x.json"))
    line = refused(code, err, out)
    assert len(line) < 200 and "x" * 61 not in line


# --- options ----------------------------------------------------------------------------------


def test_png_without_bake_is_refused(capsys, out):
    code, err, _ = run(capsys, "emotion", "happiness", "--png", str(out / "x.png"))
    assert "--png only matters with --bake" in refused(code, err, out)


@pytest.mark.parametrize(
    "args",
    [
        ("--head", "models/demo_head.blend"),
        ("--object", "Head"),
        ("--take", "t"),
        ("--sparse",),
        ("--llm-timeout", "3"),
        ("--llm-model", "m"),
    ],
)
def test_flags_that_would_be_ignored_are_refused(capsys, out, args):
    code, err, _ = run(capsys, "emotion", "happiness", *args, "--json", str(out / "x.json"))
    assert "only matters with" in refused(code, err, out)


def test_usage_errors_are_one_line(capsys, out):
    code, err, _ = run(capsys, "emotion", "happiness", "--frobnicate", "--json", str(out / "x"))
    assert "unknown option '--frobnicate'" in refused(code, err, out)
    code, err, _ = run(capsys, "emotion", "happiness", "--mode", "wild")
    assert "invalid choice" in refused(code, err, out)
    code, err, _ = run(capsys, "emotion", "happiness", "--bake", str(out / "x.txt"))
    assert "--bake must name a .blend file" in refused(code, err, out)


def test_help_still_prints_and_exits_zero(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.run(["text", "--help"])
    assert exit_.value.code == 0
    assert "text -- '-hello there'" in " ".join(capsys.readouterr().out.split())


# --- the boundary -----------------------------------------------------------------------------


def test_an_unexpected_error_is_one_line_with_the_log_path(capsys, out, monkeypatch, log_dir):
    def broken(args):
        raise ZeroDivisionError("float division by zero\nsecond line")

    monkeypatch.setattr(cli, "make_performance", broken)
    code, err, _ = run(capsys, "emotion", "happiness", "--json", str(out / "x.json"))
    line = refused(code, err, out)
    log = log_dir / cli_guard.LOG_NAME
    assert line == (
        "error: internal error: ZeroDivisionError: float division by zero second line "
        f"(details in {log})"
    )
    assert "Traceback" in log.read_text() and "ZeroDivisionError" in log.read_text()


def test_an_os_error_on_an_input_names_the_file(capsys, out, monkeypatch):
    def unreadable(args):
        raise PermissionError(13, "Permission denied", "/somewhere/line.wav")

    monkeypatch.setattr(cli, "make_performance", unreadable)
    code, err, _ = run(capsys, "emotion", "happiness", "--json", str(out / "x.json"))
    line = refused(code, err, out)
    assert line == (
        "error: Cannot use /somewhere/line.wav: Permission denied; check the path and its "
        "permissions."
    )


def test_library_noise_on_fd2_goes_to_the_log_not_the_terminal(capfd, out, monkeypatch, log_dir):
    def noisy(args):
        os.write(2, b"[mp3 @ 0x55] Illegal Audio-MPEG-Header 0x00000000 at offset 0.\n")
        print("warning: ours still shows", file=sys.stderr)
        raise FacialAffectError("No audio in line.mp3; give a WAV, FLAC or MP3 recording.")

    monkeypatch.setattr(cli, "make_performance", noisy)
    assert cli.run(["emotion", "happiness", "--json", str(out / "x.json")]) == 2
    err = capfd.readouterr().err.splitlines()
    assert err == [
        "warning: ours still shows",
        "error: No audio in line.mp3; give a WAV, FLAC or MP3 recording.",
    ]
    assert "Illegal Audio-MPEG-Header" in (log_dir / cli_guard.LOG_NAME).read_text()
    os.write(2, b"fd 2 is the terminal again\n")
    assert "fd 2 is the terminal again" in capfd.readouterr().err


def test_library_noise_in_a_real_process_stays_off_the_terminal(out, tmp_path):
    garbage = tmp_path / "line.mp3"
    garbage.write_bytes(b"\xff\xfb\x90\x00" + bytes(range(256)) * 40)
    done = subprocess_cli(
        "audio", str(garbage), "--json", str(out / "x.json"),
        env_extra={cli_guard.LOG_DIR_ENV: str(tmp_path / "log")},
    )  # fmt: skip
    lines = done.stderr.decode("utf-8", "replace").splitlines()
    assert done.returncode == 2, lines
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert "Traceback" not in lines[0]
    assert not any(out.iterdir())


# --- batch manifests and the atomic helpers ---------------------------------------------------


def test_batch_text_file_not_utf8_is_refused_by_name(capsys, out, tmp_path):
    folder = tmp_path / "lines"
    folder.mkdir()
    (folder / "a.txt").write_bytes("Très content !\n".encode("cp1252"))
    code, err, _ = run(capsys, "batch", str(folder), "--out", str(out / "r"), "--no-bake")
    assert "not UTF-8" in refused(code, err, out)


@pytest.mark.parametrize(
    "row", [{"text": "hi", "seed": -1}, {"text": "hi", "seed": 1e999}, {"text": "hi\ud83d"}]
)
def test_batch_items_with_bad_numbers_or_text_are_refused(capsys, out, tmp_path, row):
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps([row]))
    code, err, _ = run(capsys, "batch", str(manifest), "--out", str(out / "r"), "--no-bake")
    refused(code, err, out)


def test_output_set_renames_all_or_nothing(tmp_path):
    with atomic.OutputSet() as outputs:
        outputs.temp(tmp_path / "a.json").write_text("a")
        outputs.temp(tmp_path / "new" / "b.png").write_bytes(b"b")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a.json", "b.png", "new"]
    with pytest.raises(RuntimeError), atomic.OutputSet() as outputs:
        outputs.temp(tmp_path / "a.json").write_text("changed")
        outputs.temp(tmp_path / "deep" / "er" / "c.json").write_text("c")
        raise RuntimeError("the render failed")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a.json", "b.png", "new"]
    assert (tmp_path / "a.json").read_text() == "a"


def test_atomic_helpers_check_paths_and_write_whole_files(tmp_path):
    atomic.atomic_write_text(tmp_path / "x.json", "{}\n")
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]
    with pytest.raises(FacialAffectError, match="is a folder"):
        atomic.check_output_path(tmp_path, what="--json")
    with pytest.raises(FacialAffectError, match="NUL character"):
        atomic.check_output_path(tmp_path / "a\0b.json", what="--json")
    with pytest.raises(FacialAffectError, match="needs about"):
        atomic.check_output_path(tmp_path / "big.blend", estimate_bytes=10**18)


def test_ctrl_c_during_blender_work_is_held_until_the_block_ends():
    import os
    import signal

    from facial_affect_addon.cli_guard import interrupts_deferred

    reached_end = False
    with pytest.raises(KeyboardInterrupt), interrupts_deferred():
        os.kill(os.getpid(), signal.SIGINT)  # Blender's handlers would swallow this
        reached_end = True
    assert reached_end
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
