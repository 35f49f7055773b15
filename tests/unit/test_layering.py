"""Layering: ``blender → pipeline → {ml, adapters} → core``, checked on the source.

* Nothing outside ``blender/`` needs bpy, torch, cv2 or openai at import time (the pipeline
  included); core/ is numpy + scipy.
* ``adapters/`` and ``ml/`` never import each other (what combines them is orchestration, and
  lives in ``pipeline/``).
* ``blender/`` and ``cli.py`` reach the engine only through ``pipeline/`` and ``core/`` types.

The import check runs in a subprocess with ``sys.modules[name] = None`` for the blocked
packages, so a failing import can never leave a poisoned ``sys.modules`` behind for other tests.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "facial_affect_addon"
BLOCKED = ("bpy", "torch", "cv2", "openai")
CORE_ALLOWED = {"numpy", "scipy"}

_PROBE = r"""
import importlib, json, sys, traceback
from pathlib import Path

BLOCKED = {blocked!r}
for name in BLOCKED:
    sys.modules[name] = None
root = Path({package!r})
results = []
for path in sorted(root.rglob("*.py")):
    rel = path.relative_to(root.parent).with_suffix("")
    parts = rel.parts
    if "__pycache__" in parts or (len(parts) > 1 and parts[1] == "blender"):
        continue
    if parts[-1] == "__main__":
        continue
    module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
    try:
        importlib.import_module(module)
    except BaseException as exc:  # report every failure, whatever its kind
        blocked = None
        cause = exc
        while cause is not None:
            name = getattr(cause, "name", None)
            if isinstance(cause, ImportError) and name and name.split(".")[0] in BLOCKED:
                blocked = name.split(".")[0]
            cause = cause.__cause__ or cause.__context__
        results.append({{"module": module, "blocked": blocked,
                         "error": traceback.format_exception_only(exc)[-1].strip()}})
    else:
        results.append({{"module": module, "blocked": None, "error": None}})
print(json.dumps(results))
"""


def unsafe_imports(source: str) -> list[str]:
    """Imports in a core module that are neither stdlib, numpy/scipy, nor inside core/."""
    bad = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots = [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level >= 2:  # "from .." reaches out of core/
                bad.append("." * node.level + (node.module or ""))
                continue
            roots = [] if node.level == 1 else [(node.module or "").split(".")[0]]
        else:
            continue
        bad += [r for r in roots if r not in CORE_ALLOWED and r not in sys.stdlib_module_names]
    return bad


@pytest.fixture(scope="module")
def import_report() -> list[dict]:
    code = _PROBE.format(blocked=BLOCKED, package=str(PACKAGE))
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_probe_covers_core_and_pipeline_and_skips_blender(import_report):
    modules = {r["module"] for r in import_report}
    assert "facial_affect_addon.core.synthesis" in modules
    assert "facial_affect_addon.core.errors" in modules
    for name in ("analysis", "live", "live_webcam", "store", "video", "worker", "curves"):
        assert f"facial_affect_addon.pipeline.{name}" in modules
    assert not any(".blender" in m for m in modules)


def test_no_module_outside_blender_needs_blocked_packages(import_report):
    offenders = [f"{r['module']} needs {r['blocked']}" for r in import_report if r["blocked"]]
    assert not offenders, "import these lazily or move them under blender/: " + "; ".join(offenders)


def test_every_module_outside_blender_imports_without_bpy(import_report):
    broken = [f"{r['module']}: {r['error']}" for r in import_report if r["error"]]
    assert not broken, broken


def test_core_imports_only_numpy_scipy_stdlib():
    offenders = {}
    for path in sorted((PACKAGE / "core").glob("*.py")):
        bad = unsafe_imports(path.read_text(encoding="utf-8"))
        if bad:
            offenders[path.name] = bad
    assert not offenders, offenders


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import bpy", ["bpy"]),
        ("from mathutils import Vector", ["mathutils"]),
        ("import torch.nn as nn", ["torch"]),
        ("from ..blender import bake", ["..blender"]),
        ("import numpy as np\nfrom scipy.interpolate import BSpline\nimport json", []),
        ("from .errors import InputError\nfrom __future__ import annotations", []),
    ],
)
def test_import_checker_flags_what_it_should(source, expected):
    assert unsafe_imports(source) == expected


def package_imports(path: Path) -> set[str]:
    """Every module ``path`` imports, as an absolute dotted name (relative ones resolved)."""
    rel = path.relative_to(REPO).with_suffix("")
    package = list(rel.parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                stem = ".".join([*base, node.module] if node.module else base)
            else:
                stem = node.module or ""
            if node.module is None:  # "from . import x": x is a module
                found |= {f"{stem}.{alias.name}" for alias in node.names}
            else:
                found.add(stem)
    return found


def layer_of(module: str) -> str | None:
    """``core``, ``ml``, ``adapters``, ``pipeline``, ``blender``... for a module of the package."""
    parts = module.split(".")
    return parts[1] if parts[0] == PACKAGE.name and len(parts) > 1 else None


def offenders(folder: str, allowed: set[str]) -> dict[str, list[str]]:
    """Imports of the package's own layers from ``folder`` that are not in ``allowed``."""
    bad = {}
    for path in sorted((PACKAGE / folder).rglob("*.py")):
        hits = sorted(
            m
            for m in package_imports(path)
            if layer_of(m) is not None and layer_of(m) not in allowed | {folder}
        )
        if hits:
            bad[path.name] = hits
    return bad


def test_adapters_and_ml_do_not_import_each_other():
    assert offenders("adapters", {"core", "paths", "compute"}) == {}
    assert offenders("ml", {"core", "paths", "compute"}) == {}


def test_pipeline_never_imports_blender_or_the_cli():
    assert offenders("pipeline", {"core", "adapters", "ml", "paths", "compute"}) == {}


def test_blender_reaches_the_engine_only_through_pipeline_and_core():
    assert offenders("blender", {"core", "pipeline"}) == {}


CLI_MODULES = (
    "cli.py",
    "cli_guard.py",
    "cli_checks.py",
    "cli_rig.py",
    "cli_micro.py",
    "cli_report.py",
    "cli_video.py",
)


def test_cli_reaches_the_engine_only_through_pipeline_and_core():
    # cli_guard (the one-line error boundary) and cli_checks (option validation) are the CLI's
    # own modules, split off to keep cli.py small; they are held to the same rule.
    cli_layers = {name.removesuffix(".py") for name in CLI_MODULES}
    for name in CLI_MODULES:
        used = {layer_of(m) for m in package_imports(PACKAGE / name)} - {None}
        assert used <= {"core", "pipeline", "blender"} | cli_layers, (name, used)


@pytest.mark.parametrize(
    ("where", "source", "expected"),
    [
        (
            "blender/x.py",
            "from ..adapters.llm import LLMConfig",
            {"facial_affect_addon.adapters.llm"},
        ),
        ("blender/x.py", "from .. import paths", {"facial_affect_addon.paths"}),
        ("blender/x.py", "from . import bake", {"facial_affect_addon.blender.bake"}),
        ("pipeline/x.py", "from ..ml.faces import A", {"facial_affect_addon.ml.faces"}),
        ("cli.py", "from .pipeline.text import t", {"facial_affect_addon.pipeline.text"}),
    ],
)
def test_import_resolver_resolves_relative_imports(tmp_path, monkeypatch, where, source, expected):
    path = PACKAGE / where
    monkeypatch.setattr(Path, "read_text", lambda self, encoding=None: source)
    assert package_imports(path) == expected


def test_what_the_panel_imports_at_registration_is_light():
    # props.py imports pipeline.options at registration; scipy & co. must wait for a job.
    code = (
        "import sys, facial_affect_addon.pipeline, facial_affect_addon.pipeline.options\n"
        "print([m for m in ('scipy', 'cv2', 'onnxruntime', 'openai', 'torch') if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
