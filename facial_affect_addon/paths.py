"""Where shipped files live, in a source checkout and inside an installed extension.

In the repository, models sit in ``<repo>/models``; the extension build copies them into the
package as ``<package>/models``. Both layouts are searched, package first.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent


def models_dir() -> Path:
    """The folder holding shipped models (``FACIAL_AFFECT_MODELS`` overrides it)."""
    override = os.environ.get("FACIAL_AFFECT_MODELS")
    if override:
        return Path(override)
    packaged = PACKAGE_DIR / "models"
    return packaged if packaged.is_dir() else REPO_DIR / "models"


def model_path(name: str) -> Path:
    """Path of a shipped model file by name (it may not exist; callers raise ModelError)."""
    return models_dir() / name


def demo_head_path() -> Path:
    """Path of the built-in demo head (.blend)."""
    return model_path("demo_head.blend")
