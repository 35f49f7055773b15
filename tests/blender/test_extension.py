"""The built extension zip installs, enables and unregisters cleanly in real Blender."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib

import pytest

from .conftest import REPO

PROBE = REPO / "tests" / "blender" / "addon_probe.py"


@pytest.fixture(scope="module")
def extension_zip():
    version = tomllib.loads((REPO / "blender_manifest.toml").read_text())["version"]
    path = REPO / "dist" / f"facial_affect-{version}.zip"
    if not path.exists():
        subprocess.run([sys.executable, str(REPO / "tools" / "build_extension.py")], check=True)
    return path


@pytest.fixture(scope="module")
def probe(extension_zip):
    done = subprocess.run(
        [sys.executable, str(PROBE), str(extension_zip)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_zip_installs_and_enables(probe):
    assert probe["enabled"]
    assert probe["scene_prop"]
    assert "FACEAFF_PT_main" in probe["types_registered"]
    assert {"bake_emotion", "clear_take", "add_demo_head"} <= set(probe["operators"])


def test_installed_pipeline_analyses_stores_and_bakes(probe):
    done = probe["analyze_and_bake"]
    assert done["result"] == ["FINISHED"] and not done["error"], done["status"]
    assert "Baked take" in done["status"] and done["action"] == "Face Affect"
    assert done["dominant"] == "anger" and done["stored"] == "faceaff-performance/2;"


def test_enabling_imports_no_heavy_module(probe):
    assert probe["heavy_loaded"] == []
    assert probe["heavy_after_register"] == []


def test_disabling_leaves_no_classes_or_properties(probe):
    assert probe["types_after_disable"] == []
    assert probe["scene_prop_after_disable"] is False
