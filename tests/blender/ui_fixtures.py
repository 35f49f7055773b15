"""Fixtures and stand-ins for the UI tests (real bpy; timers and modal events never fire here).

Import the fixtures into a test module with ``from .ui_fixtures import *  # noqa: F403``
(``__all__`` lists only fixtures) and the helpers with ``from . import ui_fixtures as ui``.
"""

from __future__ import annotations

import time

import bpy
import pytest

from facial_affect_addon.blender import jobs
from facial_affect_addon.core.errors import CancelledError
from facial_affect_addon.pipeline import analysis

from .helpers import make_face

__all__ = ["addon_prefs", "face", "quick_analysis", "slow_analysis"]

ARKIT_SOME = ("mouthSmileLeft", "mouthSmileRight", "cheekSquintLeft", "jawOpen", "browInnerUp")


class FakeEvent:
    """A stand-in for ``bpy.types.Event``: just ``.type`` and ``.value``."""

    def __init__(self, type: str, value: str = "PRESS"):
        self.type = type
        self.value = value


def drain_until_idle(timeout_s: float = 30.0, kind: str | None = None) -> None:
    """Call ``jobs.drain_jobs()`` with small sleeps until no job runs (bounded wait)."""
    deadline = time.monotonic() + timeout_s
    while jobs.is_running(kind):
        jobs.drain_jobs()
        if time.monotonic() > deadline:
            jobs.cancel_job()
            pytest.fail(f"job still running after {timeout_s} s")
        time.sleep(0.02)
    jobs.drain_jobs()


def needs_text_model() -> None:
    """Skip unless the offline text model's runtime (tokenizers, safetensors) is installed."""
    pytest.importorskip("tokenizers")
    pytest.importorskip("safetensors")


@pytest.fixture
def face(clean_scene, addon):
    """A tiny ARKit-named face, active and targeted."""
    obj = make_face("Face", ARKIT_SOME)
    clean_scene.faceaff.target = obj
    return obj


class SlowAnalysis:
    """Replaces ``pipeline.analysis.run_analysis``: a job that reports progress, polls cancel."""

    def __init__(self, steps: int = 200, step_s: float = 0.02):
        self.steps, self.step_s = steps, step_s
        self.started = False

    def __call__(self, request, progress, should_cancel):
        from facial_affect_addon.pipeline.text import performance_from_weights

        self.started = True
        for i in range(self.steps):
            if should_cancel():
                raise CancelledError("Analysis cancelled.")
            progress(i / self.steps, f"Step {i + 1} of {self.steps}")
            time.sleep(self.step_s)
        return analysis.AnalysisResult(performance_from_weights({"happiness": 1.0}, 3.0))


@pytest.fixture
def slow_analysis(monkeypatch):
    """Make Analyze run a slow stand-in job instead of the models."""
    stand_in = SlowAnalysis()
    monkeypatch.setattr(analysis, "run_analysis", stand_in)
    yield stand_in
    jobs.cancel_job()
    drain_until_idle()


@pytest.fixture
def quick_analysis(monkeypatch):
    """Make Analyze finish at once with a happy performance (no models needed)."""
    stand_in = SlowAnalysis(steps=2, step_s=0.0)
    monkeypatch.setattr(analysis, "run_analysis", stand_in)
    return stand_in


def make_render_face(scene):
    """A grid 'face' whose jawOpen key moves half of it a lot, a camera and a light."""
    bpy.ops.mesh.primitive_grid_add(x_subdivisions=8, y_subdivisions=8, size=2.0)
    obj = bpy.context.active_object
    obj.name = "RenderFace"
    obj.shape_key_add(name="Basis")
    for name in ("jawOpen", "mouthSmileLeft", "mouthSmileRight"):
        key = obj.shape_key_add(name=name)
        for i, v in enumerate(obj.data.vertices):
            co = v.co.copy()
            if name == "jawOpen" and co.y < 0:
                co.y -= 1.5
                co.z += 0.8
            elif name != "jawOpen" and co.x * (1 if name.endswith("Left") else -1) > 0:
                co.z += 0.6
            key.data[i].co = co
    cam_data = bpy.data.cameras.new("Cam")
    cam = bpy.data.objects.new("Cam", cam_data)
    scene.collection.objects.link(cam)
    cam.location = (0.0, 0.0, 6.0)
    scene.camera = cam
    light = bpy.data.objects.new("Sun", bpy.data.lights.new("Sun", "SUN"))
    scene.collection.objects.link(light)
    scene.faceaff.target = obj
    bpy.context.view_layer.objects.active = obj
    return obj


@pytest.fixture
def addon_prefs(addon):
    """The add-on's preferences (registered from source, so add its entry by hand)."""
    from facial_affect_addon.blender import prefs

    addons = bpy.context.preferences.addons
    created = prefs.ADDON_ID not in addons
    if created:
        addons.new().module = prefs.ADDON_ID
    yield prefs.get_preferences()
    if created and prefs.ADDON_ID in addons:
        addons.remove(addons[prefs.ADDON_ID])
