"""Layering: nothing outside ``blender/`` needs bpy, torch, cv2 or openai; core/ is numpy+scipy.

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


def test_probe_covers_core_and_skips_blender(import_report):
    modules = {r["module"] for r in import_report}
    assert "facial_affect_addon.core.synthesis" in modules
    assert "facial_affect_addon.core.errors" in modules
    assert not any(".blender" in m for m in modules)


def test_no_module_outside_blender_needs_blocked_packages(import_report):
    offenders = [f"{r['module']} needs {r['blocked']}" for r in import_report if r["blocked"]]
    assert not offenders, "import these lazily or move them under blender/: " + "; ".join(offenders)


def test_every_core_module_imports(import_report):
    broken = [
        f"{r['module']}: {r['error']}"
        for r in import_report
        if r["error"] and r["module"].startswith("facial_affect_addon.core")
    ]
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
