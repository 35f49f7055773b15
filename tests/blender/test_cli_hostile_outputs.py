"""Atomic outputs of ``cli ... --bake`` in real Blender (issue 13): a failed run writes nothing.

The .blend, the PNG and the JSON are checked before any work (a head without a camera for
``--png``, folders that cannot take the files) and written under temporary names that are renamed
together at the end, so a failure leaves no new or changed file, and success leaves no temporaries.
"""

from __future__ import annotations

import json
import subprocess

import bpy
import pytest

from .helpers import run_cli

pytestmark = pytest.mark.usefixtures("clean_scene")


cli = run_cli


def one_error_line(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert "Traceback" not in done.stderr
    return lines[0]


@pytest.fixture
def head_without_camera(tmp_path, demo_head_path):
    """The demo head saved without its camera, in a folder of its own."""
    bpy.ops.wm.open_mainfile(filepath=str(demo_head_path))
    for obj in [o for o in bpy.data.objects if o.type == "CAMERA"]:
        bpy.data.objects.remove(obj)
    bpy.context.scene.camera = None
    folder = tmp_path / "heads"
    folder.mkdir()
    path = folder / "no_camera.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path), copy=True)
    return path


def test_png_with_a_head_without_camera_leaves_nothing(tmp_path, head_without_camera):
    out = tmp_path / "out"
    out.mkdir()
    (out / "x.blend").write_bytes(b"the user's older file")
    head_bytes = head_without_camera.read_bytes()
    done = cli(
        "emotion", "happiness", "--head", str(head_without_camera), "--json", str(out / "x.json"),
        "--bake", str(out / "x.blend"), "--png", str(out / "x.png"), log_dir=tmp_path / "log",
    )  # fmt: skip
    line = one_error_line(done)
    assert "no scene camera" in line and "no_camera.blend" in line
    assert sorted(p.name for p in out.iterdir()) == ["x.blend"]
    assert (out / "x.blend").read_bytes() == b"the user's older file"
    assert head_without_camera.read_bytes() == head_bytes
    assert sorted(p.name for p in head_without_camera.parent.iterdir()) == ["no_camera.blend"]


def test_png_in_a_folder_that_cannot_exist_writes_no_blend(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "renders").write_text("a file where the PNG folder should be")
    done = cli(
        "emotion", "anger", "--bake", str(out / "x.blend"), "--json", str(out / "x.json"),
        "--png", str(out / "renders" / "x.png"), log_dir=tmp_path / "log",
    )  # fmt: skip
    assert "is a file, not a folder" in one_error_line(done)
    assert sorted(p.name for p in out.iterdir()) == ["renders"]


def test_bake_output_that_is_a_directory_is_refused_and_nothing_written(tmp_path):
    out = tmp_path / "out"
    (out / "x.blend").mkdir(parents=True)
    done = cli(
        "emotion", "anger", "--bake", str(out / "x.blend"), "--json", str(out / "x.json"),
        log_dir=tmp_path / "log",
    )  # fmt: skip
    assert "is a folder" in one_error_line(done)
    assert sorted(p.name for p in out.iterdir()) == ["x.blend"]
    assert not any((out / "x.blend").iterdir())


def test_a_good_run_writes_its_three_files_and_no_temporaries(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "x.blend").write_bytes(b"the user's older file")
    done = cli(
        "emotion", "surprise", "--bake", str(out / "x.blend"), "--json", str(out / "x.json"),
        "--png", str(out / "x.png"), log_dir=tmp_path / "log",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    # Replaced, not backed up: the rename leaves no x.blend1 and no hidden temporaries.
    assert sorted(p.name for p in out.iterdir()) == ["x.blend", "x.json", "x.png"]
    assert (out / "x.png").stat().st_size > 10_000
    assert json.loads((out / "x.json").read_text())["dominant"] == "surprise"
    bpy.ops.wm.open_mainfile(filepath=str(out / "x.blend"))
    head = bpy.data.objects["DemoHead"]
    assert head.data.shape_keys.animation_data.action is not None
