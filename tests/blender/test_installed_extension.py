"""The built zip, installed into a bare Python (only bpy), analyses text, audio and video and bakes.

A user's Blender has its own Python with numpy and nothing else, so the development virtualenv
(which has OpenCV, scipy, tokenizers... installed) cannot tell whether the zip carries what
each feature needs. This test makes a fresh virtualenv with only the running ``bpy`` wheel (and
the numpy it requires) and runs ``installed_probe.py`` there: install the zip, then Analyze +
Bake a line of text, a speech WAV and a face video through the installed panel operator.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from tests.unit.speech_fixtures import espeak
from tests.unit.video_fixtures import moving_face_frames, write_video

from .conftest import REPO

sys.path.insert(0, str(REPO / "tools"))
from build_extension import built_zip

PROBE = REPO / "tests" / "blender" / "installed_probe.py"
LINE = "I am so happy to see you again, this is wonderful news."


def _bare_python() -> Path:
    """A virtualenv (cached under build/) whose only packages are bpy and its dependencies."""
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is needed to make the bare virtualenv (`pip install uv`)")
    py = f"{sys.version_info.major}.{sys.version_info.minor}"
    pins = [f"bpy=={metadata.version('bpy')}", f"numpy=={metadata.version('numpy')}"]
    venv = REPO / "build" / f"bare-{py}-{pins[0].split('==')[1]}"
    python = venv / "bin" / "python"
    if not (venv / ".stamp").exists():
        subprocess.run([uv, "venv", "-q", "--allow-existing", "-p", sys.executable, str(venv)],
                       check=True)  # fmt: skip
        subprocess.run([uv, "pip", "install", "-q", "-p", str(python), *pins], check=True)
        (venv / ".stamp").touch()
    return python


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    zip_path = built_zip("linux-x64")
    media = tmp_path_factory.mktemp("installed-media")
    wav = espeak(LINE, media / "line.wav")
    video = write_video(media / "face.avi", moving_face_frames(8), fps=4.0)
    done = subprocess.run(
        [str(_bare_python()), str(PROBE), str(zip_path), str(wav), str(video), LINE],
        capture_output=True,
        text=True,
        timeout=1200,
        cwd=media,  # nothing of the repository on sys.path
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_interpreter_is_bare_and_the_zip_enables(installed):
    assert installed["preinstalled_heavy"] == []
    assert installed["enabled"], installed


@pytest.mark.parametrize("mode", ["text", "audio", "video"])
def test_each_input_is_analysed_and_baked_by_the_installed_extension(installed, mode):
    run = installed[mode]
    assert run["result"] == ["FINISHED"] and not run["error"], run
    assert "Baked take" in run["status"], run
    assert run["action"] and run["curves"] > 0, run
    assert run["weights"] and abs(sum(run["weights"].values()) - 1.0) < 1e-3, run


def test_a_happy_line_reads_happy_as_text_and_as_speech(installed):
    for mode in ("text", "audio"):
        weights = installed[mode]["weights"]
        assert max(weights, key=weights.get) == "happiness", (mode, weights)


def test_the_installed_zip_writes_a_report_and_spots_micro_expressions(installed):
    run = installed["report_and_spot"]
    assert {"report.json", "report.html"} <= set(run["report_files"]), run
    assert any(name.endswith(".png") for name in run["report_files"]), run
    assert run["spot_fps"] > 0 and isinstance(run["spot_micro"], int), run


def test_the_installed_zip_aligns_phones_without_pocketsphinxs_language_model(installed):
    run = installed["align"]
    assert run["method"] == "pocketsphinx" and run["notice"] is None, run
    assert run["bilabials"] == 2 and run["end"] > 2.5, run  # "am", "happy"; 3.3 s of speech
    assert "pocketsphinx" in installed["heavy_from"]


def test_heavy_modules_come_from_the_zip(installed):
    # OpenCV (video), tokenizers (text); speech is numpy Whisper (no faster-whisper, CTranslate2
    # or PyAV); the engine needs no scipy
    assert {"cv2", "tokenizers"} <= set(installed["heavy_from"])
    assert not {"faster_whisper", "ctranslate2", "av"} & set(installed["heavy_from"])
    assert "scipy" not in installed["heavy_from"]
    for module, folder in installed["heavy_from"].items():
        assert "faceaff-installed-" in folder and "extensions" in folder, (module, folder)
