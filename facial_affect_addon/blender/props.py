"""Scene settings of the add-on (``scene.faceaff``) and their conversion to typed options."""

from __future__ import annotations

import bpy
from bpy.props import (
    BoolProperty,
    EnumProperty,
    FloatProperty,
    IntProperty,
    PointerProperty,
    StringProperty,
)

from ..core.emotions import EMOTION_NAMES
from ..pipeline_options import PerformanceOptions

_EMOTION_ITEMS = [(name, name.capitalize(), f"Pure {name}") for name in EMOTION_NAMES]


def _is_mesh(_self, obj) -> bool:
    return obj.type == "MESH"


class FACEAFF_PG_settings(bpy.types.PropertyGroup):
    """Everything the Affect panel edits, stored on the scene."""

    target: PointerProperty(
        name="Target",
        description="Mesh whose shape keys receive the performance (empty: the active object)",
        type=bpy.types.Object,
        poll=_is_mesh,
    )
    emotion: EnumProperty(
        name="Emotion",
        description="Built-in emotion to perform when no other input is analysed",
        items=_EMOTION_ITEMS,
        default="happiness",
    )
    intensity: FloatProperty(
        name="Intensity", description="Overall strength", default=1.0, min=0.0, max=1.0
    )
    duration: FloatProperty(
        name="Duration",
        description="Length of the performance in seconds",
        default=3.0,
        min=0.1,
        max=3600.0,
        unit="TIME_ABSOLUTE",
    )
    frame_start: IntProperty(
        name="Start frame", description="First frame to bake", default=1, min=-1048574
    )
    mode: EnumProperty(
        name="Synthesis",
        items=[
            ("DYNAMIC", "Dynamic", "Rise, hold and fall with semantic re-weighting"),
            ("STATIC", "Static", "A constant expression template (the papers' baseline)"),
        ],
        default="DYNAMIC",
    )
    micro: BoolProperty(
        name="Micro-expressions", description="Add 40–200 ms micro-expression bursts"
    )
    life: BoolProperty(name="Blinks and asymmetry", description="Natural blinks", default=True)
    seed: IntProperty(name="Seed", description="Seed for blinks and bursts", default=0, min=0)
    sparse: BoolProperty(
        name="Sparse keys",
        description="Write a few editable Bezier keys instead of one key per frame",
        default=False,
    )
    take_name: StringProperty(name="Take", description="Name of the take to bake", default="Affect")
    replace_take: BoolProperty(
        name="Replace take",
        description="Replace a take of the same name instead of adding a numbered one",
        default=False,
    )

    def performance_options(self, scene: bpy.types.Scene) -> PerformanceOptions:
        """These settings as the engine's typed options, frame rate taken from the scene."""
        fps = scene.render.fps / scene.render.fps_base
        return PerformanceOptions(
            fps=fps,
            frame_start=self.frame_start,
            n_frames=max(0, round(self.duration * fps)),
            mode=self.mode.lower(),
            intensity=self.intensity,
            micro=self.micro,
            life=self.life,
            seed=self.seed,
        )


def target_object(context) -> bpy.types.Object | None:
    """The panel's target, or the active object when no target is set."""
    settings = context.scene.faceaff
    return settings.target or context.active_object


def register() -> None:
    """Register the settings group and attach it to scenes."""
    bpy.utils.register_class(FACEAFF_PG_settings)
    bpy.types.Scene.faceaff = PointerProperty(type=FACEAFF_PG_settings)


def unregister() -> None:
    """Remove the scene property and the settings group."""
    del bpy.types.Scene.faceaff
    bpy.utils.unregister_class(FACEAFF_PG_settings)
