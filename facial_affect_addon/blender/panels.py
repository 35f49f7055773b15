"""The "Affect" tab in the 3D Viewport sidebar."""

from __future__ import annotations

import bpy

from . import bake
from .props import target_object


class FACEAFF_PT_main(bpy.types.Panel):
    """Target, emotion and bake settings."""

    bl_idname = "FACEAFF_PT_main"
    bl_label = "Facial Affect"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Affect"

    def draw(self, context):
        layout = self.layout
        settings = context.scene.faceaff
        layout.prop(settings, "target")
        obj = target_object(context)
        keys = bake.shape_key_names(obj) if obj is not None and obj.type == "MESH" else []
        if obj is None:
            layout.label(text="No target: select a mesh with shape keys.", icon="INFO")
        else:
            layout.label(text=f"{obj.name}: {len(keys)} shape keys", icon="SHAPEKEY_DATA")
        layout.operator("faceaff.add_demo_head", icon="MONKEY")
        col = layout.column(align=True)
        col.prop(settings, "emotion")
        col.prop(settings, "intensity", slider=True)
        col.prop(settings, "duration")
        col.prop(settings, "frame_start")
        col.prop(settings, "mode", expand=True)
        col.prop(settings, "micro")
        col.prop(settings, "life")
        col.prop(settings, "sparse")
        row = layout.row(align=True)
        row.prop(settings, "take_name", text="")
        row.prop(settings, "replace_take", text="", icon="FILE_REFRESH")
        layout.operator("faceaff.bake_emotion", icon="KEYINGSET")
        if obj is not None and keys:
            for action in bake.list_takes(obj):
                row = layout.row(align=True)
                row.label(text=action.name, icon="ACTION")
                op = row.operator("faceaff.clear_take", text="", icon="X")
                op.action = action.name


classes = (FACEAFF_PT_main,)
register, unregister = bpy.utils.register_classes_factory(classes)
