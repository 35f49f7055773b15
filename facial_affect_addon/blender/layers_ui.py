"""The Takes panel's layer rows: each layer of a layered take with its mute and influence."""

from __future__ import annotations

import bpy

from . import bake, bake_layers
from .operators import active_take, selected_take_name
from .props import target_object


def draw_take_layers(layout, context) -> None:
    """Under the take list: the selected (else active) take's layers, if it is layered.

    Each row is the layer's NLA strip: a mute toggle and an influence slider, edited in place
    (the NLA editor shows the same strips).
    """
    obj = target_object(context)
    if obj is None or bake.shape_keys_of(obj) is None:
        return
    name = selected_take_name(context)
    take = bpy.data.actions.get(name) if name else active_take(obj)
    if take is None or not bake_layers.is_layered(take):
        return
    layers = bake_layers.take_layers(obj, take)
    if not layers:
        return
    box = layout.box()
    box.label(text=f"Layers of {take.name}", icon="NLA")
    if bake_layers.active_layered_take(obj) != take:
        box.label(text="Not playing: Activate it to hear the layers.", icon="INFO")
    for layer, _, strip in layers:
        row = box.row(align=True)
        icon = "HIDE_ON" if strip.mute else "HIDE_OFF"
        row.prop(strip, "mute", text="", icon=icon, emboss=False)
        row.prop(strip, "influence", text=layer.capitalize(), slider=True)
