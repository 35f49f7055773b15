"""Issue 18: the zip's slim LiteRT runs the face mesh in a bare Blender Python (only bpy).

``litert_probe.py`` installs the Linux zip into a clean Blender user folder, imports
``ai_edge_litert.interpreter`` from the installed extension and runs ``face_landmark.tflite``
once; the zip's cv2.dnn runs the same input as the reference. Under ``.venv45`` this is Blender
4.5 on Python 3.11 with numpy 1.26 (the cp311 wheel); under ``.venv`` Blender 5.2 on 3.13.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import REPO
from .test_installed_extension import _bare_python

sys.path.insert(0, str(REPO / "tools"))
from build_extension import built_zip

PROBE = REPO / "tests" / "blender" / "litert_probe.py"


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    done = subprocess.run(
        [str(_bare_python()), str(PROBE), str(built_zip("linux-x64"))],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path_factory.mktemp("litert"),  # nothing of the repository on sys.path
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_bare_interpreter_has_no_litert_until_the_zip_is_installed(probe):
    assert probe["preinstalled"] is False
    assert probe["enabled"], probe
    assert probe["litert_after_enable"] is False  # imported only when a model is opened


def test_installed_litert_runs_the_face_mesh_like_cv2_dnn(probe):
    assert probe["litert_version"] == "2.3.0"
    assert "faceaff-installed-" in probe["litert_from"] and "extensions" in probe["litert_from"]
    assert probe["input_shape"] == [1, 192, 192, 3]
    assert probe["mesh_size"] == 468 * 3 and probe["finite"], probe
    assert probe["spread"] > 1.0, probe  # pixel coordinates, not a constant output
    assert probe["max_diff_vs_cv2"] < 0.01, probe  # same file, two runtimes, in pixels (9e-5)
