"""Fixtures for tests that run inside real Blender (the ``bpy`` module from PyPI, headless).

Blender's user folders and caches are pointed at a temporary directory *before* ``bpy`` is first
imported, so tests never read or write the developer's own Blender configuration.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="faceaff-blender-"))
os.environ.setdefault("BLENDER_USER_RESOURCES", str(_TMP / "user"))
os.environ.setdefault("XDG_CACHE_HOME", str(_TMP / "cache"))

import bpy  # noqa: E402
import pytest  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

DEMO_HEAD = REPO / "models" / "demo_head.blend"


def reset_scene() -> None:
    """Load an empty factory scene (keeps enabled add-ons, unlike ``read_factory_settings``)."""
    bpy.ops.wm.read_homefile(use_empty=True, use_factory_startup=True)


@pytest.fixture
def clean_scene():
    """An empty scene before the test and after it."""
    reset_scene()
    yield bpy.context.scene
    reset_scene()


@pytest.fixture
def demo_head_path() -> Path:
    """Path of the built demo head; the test fails with a clear reason if it is missing."""
    if not DEMO_HEAD.exists():
        pytest.fail(f"{DEMO_HEAD} is missing: run `make setup` (it builds the demo head).")
    return DEMO_HEAD


@pytest.fixture
def demo_head(demo_head_path):
    """Open the demo head file and return its head object."""
    bpy.ops.wm.open_mainfile(filepath=str(demo_head_path))
    yield bpy.data.objects["DemoHead"]
    reset_scene()


@pytest.fixture
def tmp_out(tmp_path) -> Path:
    """A temporary output folder."""
    return tmp_path


@pytest.fixture(scope="session")
def addon():
    """The add-on registered from the source tree for the whole session (unregistered after)."""
    import facial_affect_addon

    facial_affect_addon.register()
    yield facial_affect_addon
    facial_affect_addon.unregister()
