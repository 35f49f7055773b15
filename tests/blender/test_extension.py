"""The built extension zip installs, enables and unregisters cleanly in real Blender."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from .conftest import REPO

sys.path.insert(0, str(REPO / "tools"))
from build_extension import built_zip, record_mismatches, zip_name

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


def _dist_zip(platform: str) -> Path:
    """The platform's zip in dist/ (``make extension`` builds all four)."""
    version = tomllib.loads((REPO / "blender_manifest.toml").read_text())["version"]
    path = REPO / "dist" / zip_name(version, platform)
    assert path.is_file(), f"{path.name} missing: `make extension` builds all four"
    return path


@pytest.mark.parametrize("platform", sorted(PLATFORM_TAGS))
def test_each_platform_zip_carries_only_its_wheels_for_both_pythons(platform):
    path = _dist_zip(platform)
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


# --- issue 18: the slim LiteRT interpreter, where ai-edge-litert publishes wheels ---------------
LITERT_FILES = re.compile(
    r"^ai_edge_litert/(__init__\.py|interpreter\.py|metrics_(interface|portable)\.py"
    r"|_pywrap_litert_interpreter_wrapper\.(so|pyd)|(lib)?pywrap_litert_common\.(so|dll|dylib))$"
    r"|^ai_edge_litert-2\.3\.0\.dist-info/(METADATA|WHEEL|RECORD|top_level\.txt|licenses/LICENSE)$"
)


@pytest.mark.parametrize("platform", sorted(PLATFORM_TAGS))
def test_litert_ships_slim_for_both_pythons_except_on_intel_macs(platform):
    path = _dist_zip(platform)
    with zipfile.ZipFile(path) as zf:
        names = [n for n in zf.namelist() if n.startswith("wheels/ai_edge_litert-2.3.0-")]
        wheels = {n: zf.read(n) for n in names}
    if platform == "macos-x64":  # no wheel published: the face models run on cv2.dnn there
        assert names == []
        return
    assert sorted(n.split("-")[2] for n in names) == list(PYTHONS), names
    for name, data in wheels.items():
        assert len(data) < 7e6, (name, len(data))  # the published wheels are 13-22 MB
        with zipfile.ZipFile(io.BytesIO(data)) as wheel:
            members = wheel.namelist()
            assert [m for m in members if not LITERT_FILES.match(m)] == [], name
            assert any("_pywrap_litert_interpreter_wrapper." in m for m in members), name
            assert any("pywrap_litert_common." in m for m in members), name
            assert record_mismatches(wheel) == [], name
            meta = wheel.read("ai_edge_litert-2.3.0.dist-info/METADATA").decode()
        requires = [ln for ln in meta.splitlines() if ln.startswith("Requires-Dist:")]
        assert requires == ["Requires-Dist: numpy>=1.23.2"], (name, requires)
