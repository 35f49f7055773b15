"""Fixtures for tests that run inside real Blender (the ``bpy`` module from PyPI, headless).

Blender's user folders and caches are pointed at a temporary directory *before* ``bpy`` is first
imported, so tests never read or write the developer's own Blender configuration. Child processes
(the installed-zip probes, the panel-drawing children) make their temporary folders there too
(``TMPDIR``), and the whole folder is removed when the session ends: an installed extension is
~360 MB, and CI's disk is finite. uv keeps the developer's own cache (``UV_CACHE_DIR``), so the
bare test virtualenvs hard-link bpy from it instead of downloading it again into the temporary
folder.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="faceaff-blender-"))
_user_cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
os.environ.setdefault("UV_CACHE_DIR", str(Path(_user_cache) / "uv"))
os.environ.setdefault("BLENDER_USER_RESOURCES", str(_TMP / "user"))
os.environ.setdefault("XDG_CACHE_HOME", str(_TMP / "cache"))
(_TMP / "tmp").mkdir()
os.environ["TMPDIR"] = str(_TMP / "tmp")  # children only: this process's tempdir is already fixed

import bpy  # noqa: E402
import pytest  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

DEMO_HEAD = REPO / "models" / "demo_head.blend"

# bpy 4.5 hangs in exit(): its sound module's static GlobalState destroys a condition variable that
# its own "delayed close" audio thread still waits on, unless Blender's exit ran first, which it
# does not when bpy outlives interpreter teardown as it does under pytest (fixed in 5.0, where the
# destructor stops the thread first: Blender issue #146640). On 4.5 the session ends with os._exit.
_EXIT_IN_UNCONFIGURE = bpy.app.version < (5, 0, 0)
_exit_status = 0


def pytest_sessionfinish(session, exitstatus) -> None:
    """Remember the session's exit status for :func:`pytest_unconfigure`."""
    global _exit_status
    _exit_status = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config) -> None:
    """Remove the session's temporary folder; on bpy 4.5, then leave with the session's status."""
    shutil.rmtree(_TMP, ignore_errors=True)
    if not _EXIT_IN_UNCONFIGURE:
        return
    capture = config.pluginmanager.getplugin("capturemanager")
    if capture is not None:
        capture.stop_global_capturing()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_exit_status)


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
