"""The panel's lists: the target's takes, and the mapping editor's channel -> key rows."""

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


class FACEAFF_UL_mapping(bpy.types.UIList):
    """The mapping editor: channel -> shape key, the key's gain, offset and clamp, and a Test
    button per row.

    The key's value is ``clip(clip(gain * drive, 0, 1) + offset, low, high)``; the three numbers
    after the gain slider are offset, low and high (their tooltips name them). The search field
    matches the channel or the key (any case, ``*`` wildcards).
    """

    def draw_item(self, context, layout, data, item, icon, active_data, active_propname, index):
        row = layout.row(align=True)
        split = row.split(factor=0.45, align=True)
        split.prop(item, "channel", text="", emboss=False)
        obj = target_object(context)
        keys = getattr(getattr(obj, "data", None), "shape_keys", None)
        if keys is not None:
            split.prop_search(item, "key", keys, "key_blocks", text="", icon="SHAPEKEY_DATA")
        else:
            split.prop(item, "key", text="", icon="SHAPEKEY_DATA")
        row.prop(item, "gain", text="", slider=True)
        shaping = row.row(align=True)
        shaping.prop(item, "offset", text="")
        shaping.prop(item, "clamp_min", text="")
        shaping.prop(item, "clamp_max", text="")
        tested = bool(data.test_key) and data.test_key == item.key
        op = row.operator(
            "faceaff.mapping_test", text="", icon="HIDE_OFF" if tested else "PLAY", depress=tested
        )
        op.index = index

    def filter_items(self, context, data, propname):
        import fnmatch

        rows = getattr(data, propname)
        pattern = self.filter_name.strip().lower()
        if not pattern:
            return [self.bitflag_filter_item] * len(rows), []
        if "*" not in pattern:
            pattern = f"*{pattern}*"
        flags = [
            self.bitflag_filter_item
            if fnmatch.fnmatch(r.channel.lower(), pattern)
            or fnmatch.fnmatch(r.key.lower(), pattern)
            else 0
            for r in rows
        ]
        if self.use_filter_invert:
            flags = [self.bitflag_filter_item if not f else 0 for f in flags]
        return flags, []


classes = (FACEAFF_UL_takes, FACEAFF_UL_mapping)
# fake-bpy-module 5.0 types register_classes_factory() as returning None, not the pair.
register, unregister = bpy.utils.register_classes_factory(classes)  # type: ignore[func-returns-value,misc]
