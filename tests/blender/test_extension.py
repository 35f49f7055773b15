"""The built extension zip installs, enables and unregisters cleanly in real Blender."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import tomllib
import zipfile

import pytest

from .conftest import REPO

sys.path.insert(0, str(REPO / "tools"))
from build_extension import built_zip

PROBE = REPO / "tests" / "blender" / "addon_probe.py"


@pytest.fixture(scope="module")
def extension_zip():
    return built_zip("linux-x64")


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


# --- one zip per platform, each with only its own wheels ----------------------------------------
PLATFORM_TAGS = {
    "linux-x64": re.compile(r"^(manylinux\w*_x86_64|linux_x86_64)$"),
    "windows-x64": re.compile(r"^win_amd64$"),
    "macos-arm64": re.compile(r"^macosx_\d+_\d+_(arm64|universal2)$"),
    "macos-x64": re.compile(r"^macosx_\d+_\d+_(x86_64|universal2|intel)$"),
}
PYTHONS = ("cp311", "cp313")
ZIP_BUDGET_MB = 150.0  # issue 12: every platform zip; bench_zip.py reports sizes per component


def _wheel_tags(wheel: zipfile.ZipFile) -> tuple[str, list[tuple[str, str, str]]]:
    """(distribution name, [(python, abi, platform), ...]) from a wheel's own WHEEL file."""
    meta = next(n for n in wheel.namelist() if n.endswith(".dist-info/WHEEL"))
    tags = [
        tuple(line.split(":", 1)[1].strip().split("-"))
        for line in wheel.read(meta).decode().splitlines()
        if line.startswith("Tag:")
    ]
    return meta.split("/")[0].split("-")[0].lower(), tags


def _runs_on(python_tag: str, abi: str, python: str) -> bool:
    if python_tag.startswith("py3") or python_tag == "py2":
        return True
    if abi == "abi3":
        return python_tag.startswith("cp3") and int(python_tag[3:]) <= int(python[3:])
    return python_tag == python


@pytest.mark.parametrize("platform", sorted(PLATFORM_TAGS))
def test_each_platform_zip_carries_only_its_wheels_for_both_pythons(platform):
    version = tomllib.loads((REPO / "blender_manifest.toml").read_text())["version"]
    path = REPO / "dist" / f"facial_affect-{version}-{platform.replace('-', '_')}.zip"
    assert path.is_file(), f"{path.name} missing: `make extension` builds all four"
    with zipfile.ZipFile(path) as zf:
        names = [n for n in zf.namelist() if n.startswith("wheels/") and n.endswith(".whl")]
        manifest = tomllib.loads(zf.read("blender_manifest.toml").decode())
    generated = manifest["build"]["generated"]  # what blender_ext.py --split-platforms wrote
    assert generated["platforms"] == [platform]
    assert sorted(generated["wheels"]) == sorted(f"./{n}" for n in names)
    covered: dict[str, set[str]] = {}
    with zipfile.ZipFile(path) as zf:
        for name in names:  # open every bundled wheel and read the tags it declares
            with zipfile.ZipFile(io.BytesIO(zf.read(name))) as wheel:
                package, tags = _wheel_tags(wheel)
            # a wheel may declare several tags (universal2 + x86_64); one must fit the platform
            fits = [t for t in tags if t[2] == "any" or PLATFORM_TAGS[platform].match(t[2])]
            assert fits, (name, tags)
            for python_tag, abi, _ in fits:
                covered.setdefault(package, set()).update(
                    p for p in PYTHONS if _runs_on(python_tag, abi, p)
                )
    incomplete = {p: sorted(v) for p, v in covered.items() if set(v) != set(PYTHONS)}
    assert not incomplete, f"packages without a wheel for every Python: {incomplete}"
    required = {"opencv_python_headless", "tokenizers", "soundfile"}
    assert required <= set(covered), required - set(covered)
    # speech runs on our numpy Whisper: its int8 weights ship, no CTranslate2/PyAV/faster-whisper
    assert not {"ctranslate2", "av", "faster_whisper"} & set(covered), sorted(covered)
    with zipfile.ZipFile(path) as zf:
        shipped = set(zf.namelist())
    whisper = {f"models/whisper/{f}" for f in ("model.int8.npz", "vocabulary.txt", "config.json")}
    assert whisper <= shipped, whisper - shipped
    # issue 12's size budget, per platform zip
    size_mb = path.stat().st_size / 1e6
    assert size_mb <= ZIP_BUDGET_MB, f"{path.name} is {size_mb:.1f} MB (budget {ZIP_BUDGET_MB:.0f})"
