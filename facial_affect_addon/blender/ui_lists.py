"""The takes list: every action baked for the target object, the active one highlighted."""

from __future__ import annotations

import bpy

from . import bake
from .props import target_object


class FACEAFF_UL_takes(bpy.types.UIList):
    """Lists ``bpy.data.actions`` filtered to the target's takes."""

    def draw_item(self, context, layout, data, item, icon, active_data, active_propname, index):
        obj = target_object(context)
        key = getattr(getattr(obj, "data", None), "shape_keys", None)
        anim = key.animation_data if key is not None else None
        is_active = anim is not None and anim.action == item
        row = layout.row(align=True)
        row.label(text=item.name, icon="PLAY" if is_active else "ACTION")
        start, end = (round(f) for f in item.frame_range)
        row.label(text=f"{start}–{end}")

    def filter_items(self, context, data, propname):
        actions = getattr(data, propname)
        obj = target_object(context)
        name = obj.name if obj is not None else None
        flags = [
            self.bitflag_filter_item
            if a.get(bake.TAKE_TAG) and name is not None and a.get(bake.TAKE_OBJECT) == name
            else 0
            for a in actions
        ]
        return flags, []


classes = (FACEAFF_UL_takes,)
# fake-bpy-module 5.0 types register_classes_factory() as returning None, not the pair.
register, unregister = bpy.utils.register_classes_factory(classes)  # type: ignore[func-returns-value,misc]
