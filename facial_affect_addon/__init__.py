"""Facial Affect: context-sensitive facial emotion for Blender.

Only registration lives here. Importing this package pulls in no heavy module (torch, cv2,
openai, tokenizers): those load inside operators and jobs, when the user asks for the work.
"""

from __future__ import annotations


def _modules():
    """The Blender modules in registration order (imported here: bpy is only there)."""
    from .blender import (
        face_pick,
        jobs,
        micro_ui,
        operators,
        operators_analysis,
        operators_head,
        operators_io,
        operators_mapping,
        operators_score,
        panels,
        prefs,
        preview,
        props,
        render,
        rig_generate,
        ui_lists,
    )

    return [
        prefs,
        props,
        jobs,
        ui_lists,
        operators,
        operators_analysis,
        face_pick,
        operators_io,
        operators_head,
        operators_mapping,
        preview,
        render,
        operators_score,
        rig_generate,
        panels,
        micro_ui,
    ]


def register() -> None:
    """Register the add-on's classes and properties, in dependency order."""
    for module in _modules():
        module.register()


def unregister() -> None:
    """Unregister everything :func:`register` added, in reverse order."""
    for module in reversed(_modules()):
        module.unregister()
