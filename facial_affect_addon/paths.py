"""Where shipped files live, in a source checkout and inside an installed extension.

In the repository, models sit in ``<repo>/models``; the extension build copies them into the
package as ``<package>/models``. Both layouts are searched, package first. A user's models
folder (the add-on preference, see :func:`set_user_models_dir`) is searched before both, file
by file: a retrained ``emotion_resnet18.onnx`` placed there replaces the shipped default while
every other model still comes from the package.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
_user_dir: list[Path] = []  # zero or one folder, set from the add-on preferences


def set_user_models_dir(path: str | os.PathLike | None) -> None:
    """Search ``path`` first for model files (None or "" to stop)."""
    _user_dir.clear()
    if path:
        _user_dir.append(Path(path))


def user_models_dir() -> Path | None:
    """The user's models folder, if one is set."""
    return _user_dir[0] if _user_dir else None


def models_dir() -> Path:
    """The folder holding shipped models (``FACIAL_AFFECT_MODELS`` overrides it)."""
    override = os.environ.get("FACIAL_AFFECT_MODELS")
    if override:
        return Path(override)
    packaged = PACKAGE_DIR / "models"
    return packaged if packaged.is_dir() else REPO_DIR / "models"


def model_path(name: str) -> Path:
    """Path of a model file by name: the user's folder if it has the file, else the shipped one.

    The path may not exist; callers raise ModelError.
    """
    user = user_models_dir()
    if user is not None and (user / name).is_file():
        return user / name
    return models_dir() / name


def demo_head_path() -> Path:
    """Path of the built-in demo head (.blend)."""
    return model_path("demo_head.blend")
