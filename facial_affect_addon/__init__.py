"""Facial Affect: context-sensitive facial emotion for Blender.

Only registration lives here. Importing this package pulls in no heavy module (torch, cv2,
openai, scipy): those load inside operators and jobs, when the user asks for the work.
"""

from __future__ import annotations

_MODULE_NAMES = (
    "prefs",
    "props",
    "jobs",
    "ui_lists",
    "operators",
    "operators_analysis",
    "operators_io",
    "preview",
    "render",
    "panels",
)


def _modules():
    import importlib

    return [importlib.import_module(f".blender.{name}", __package__) for name in _MODULE_NAMES]


def register() -> None:
    """Register the add-on's classes and properties, in dependency order."""
    for module in _modules():
        module.register()


def unregister() -> None:
    """Unregister everything :func:`register` added, in reverse order."""
    for module in reversed(_modules()):
        module.unregister()
