"""Bake per-shape-key curves into shape-key F-curves, fast and without losing the user's work.

Every bake is a *take*: its own action (with one slot for the mesh's shape-key datablock) tagged
``faceaff_take``. Baking never writes into an action the user made; an action the user had
assigned is kept (fake user) and remembered on the take so :func:`clear_take` can put it back.
A take of the same name is only replaced when asked; otherwise the new take gets a unique name.

F-curves are written in bulk (``keyframe_points.add`` + ``foreach_set`` + ``update``) through the
slotted-action API of Blender 4.4+ (layer → keyframe strip → channelbag), which is hundreds of
times faster than ``keyframe_insert`` per key (see ``bench/bench_bake.py``).

All checks run before anything is created, so a failing bake leaves the file unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import bpy
import numpy as np

from ..core.curveset import CurveSet, sparse_keys
from ..core.errors import InputError, RigError

if TYPE_CHECKING:
    from ..pipeline.layers import LayeredCurves

TAKE_TAG = "faceaff_take"
TAKE_OBJECT = "faceaff_object"
PREVIOUS_ACTION = "faceaff_previous_action"
TAKE_PERFORMANCE = "faceaff_performance"  # pipeline.store's text of the performance baked
CHANNEL_GROUP = "Facial Affect"
_KEY_PATH = re.compile(r'^key_blocks\["(.+)"\]\.value$')

_INTERP = {
    i.identifier: i.value
    for i in cast(
        "bpy.types.EnumProperty", bpy.types.Keyframe.bl_rna.properties["interpolation"]
    ).enum_items
}
_HANDLE = {
    i.identifier: i.value
    for i in cast(
        "bpy.types.EnumProperty", bpy.types.Keyframe.bl_rna.properties["handle_left_type"]
    ).enum_items
}


@dataclass(frozen=True)
class BakeOptions:
    """How to bake.

    Attributes:
        take_name: Name of the take (the action is called ``"<object> <take_name>"``).
        sparse: Write only the keys a Bezier curve needs (editable) instead of one per frame.
        tolerance: Largest deviation allowed by sparse keys, in slider units.
        replace: Replace an existing take of the same name instead of making a new one.
        layers: Bake the layers (emotion, speech, micro, life) as NLA strips
            (:mod:`.bake_layers`) instead of one action; :func:`bake_take` reads it.
    """

    take_name: str = "Affect"
    sparse: bool = False
    tolerance: float = 0.005
    replace: bool = False
    layers: bool = False


@dataclass(frozen=True)
class BakeResult:
    """What a bake wrote.

    Attributes:
        action_name: Name of the take's action.
        n_curves: Number of F-curves written.
        n_keys: Total number of keyframes written.
        frame_start: First frame written.
        frame_end: Last frame written.
        missing: Channel names the rig has no shape key for (skipped).
        warnings: Non-fatal notes for the user.
    """

    action_name: str
    n_curves: int
    n_keys: int
    frame_start: int
    frame_end: int
    missing: tuple[str, ...]
    warnings: tuple[str, ...]


def shape_key_names(obj: bpy.types.Object | None) -> list[str]:
    """Names of the object's shape keys except the reference (Basis) key; [] if none."""
    key = shape_keys_of(obj)
    if key is None:
        return []
    return [kb.name for kb in key.key_blocks if kb != key.reference_key]


def shape_keys_of(obj: bpy.types.Object | None) -> bpy.types.Key | None:
    """The object's shape-key datablock, or None (no object, not a mesh, no keys)."""
    data = getattr(obj, "data", None)
    return getattr(data, "shape_keys", None)


def require_shape_keys(obj: bpy.types.Object | None) -> bpy.types.Key:
    if obj is None:
        raise RigError("No target object: select a mesh with shape keys.")
    key = shape_keys_of(obj)
    if key is None or len(key.key_blocks) < 2:
        raise RigError(
            f"Object {obj.name!r} has no shape keys to animate. Add shape keys "
            "(e.g. ARKit blendshapes) or pick another object."
        )
    return key


def list_takes(obj: bpy.types.Object) -> list[bpy.types.Action]:
    """The takes baked for ``obj``, oldest first."""
    return [a for a in bpy.data.actions if a.get(TAKE_TAG) and a.get(TAKE_OBJECT) == obj.name]


def take_action_name(obj: bpy.types.Object, take_name: str) -> str:
    return f"{obj.name} {take_name}".strip()


def unique_action_name(base: str) -> str:
    if base not in bpy.data.actions:
        return base
    i = 1
    while f"{base}.{i:03d}" in bpy.data.actions:
        i += 1
    return f"{base}.{i:03d}"


def plan_channels(key: bpy.types.Key, curves: CurveSet) -> tuple[dict[str, np.ndarray], list[str]]:
    """Match channels to key blocks and clamp each to its slider range."""
    planned: dict[str, np.ndarray] = {}
    missing: list[str] = []
    for name, values in curves.channels.items():
        kb = key.key_blocks.get(name)
        if kb is None or kb == key.reference_key:
            missing.append(name)
            continue
        planned[name] = np.clip(values, kb.slider_min, kb.slider_max)
    return planned, missing


def bake_take(
    obj: bpy.types.Object, curves: CurveSet | LayeredCurves, options: BakeOptions
) -> BakeResult:
    """Bake one action (:func:`bake_curves`), or the layers with ``options.layers``.

    Layers given without ``options.layers`` bake their sum as one action; a plain curve set
    with ``options.layers`` is one (emotion) layer.

    Raises:
        FacialAffectError: As :func:`bake_curves`.
    """
    from ..pipeline.layers import CurveLayer, Layer, LayeredCurves
    from .bake_layers import bake_layered

    if not options.layers:
        return bake_curves(
            obj, curves.full if isinstance(curves, LayeredCurves) else curves, options
        )
    if isinstance(curves, CurveSet):
        curves = LayeredCurves((CurveLayer(Layer.EMOTION, curves),), curves)
    return bake_layered(obj, curves, options)


def bake_curves(obj: bpy.types.Object, curves: CurveSet, options: BakeOptions) -> BakeResult:
    """Bake ``curves`` onto ``obj``'s shape keys as a new take and make it the active action.

    Args:
        obj: A mesh object with shape keys.
        curves: Dense per-frame values per shape-key name.
        options: Take name, sparse/dense keys, replace behaviour.

    Returns:
        What was written, with warnings for skipped channels.

    Raises:
        RigError: The object has no shape keys, or none of the channels match its keys.
        InputError: The curve set is empty, all-NaN, or has an empty frame range.
    """
    key = require_shape_keys(obj)
    curves = curves.validated()
    if not options.take_name.strip():
        raise InputError("Give the take a name.")
    planned, missing = plan_channels(key, curves)
    if not planned:
        raise RigError(
            f"None of the {len(curves.channels)} curves match a shape key on {obj.name!r} "
            f"(first few: {', '.join(sorted(curves.channels)[:5])})."
        )
    warnings = list(curves.warnings)
    if missing:
        warnings.append(
            f"{len(missing)} shape key(s) not on the rig were skipped: {', '.join(missing[:8])}"
            + ("…" if len(missing) > 8 else "")
        )
    action = new_take_action(obj, key, options)
    channelbag = channelbag_for(action, key)
    frames = np.arange(curves.n_frames, dtype=np.float64) + curves.frame_start
    n_keys = 0
    for name, values in planned.items():
        n_keys += write_fcurve(channelbag, name, frames, values, options)
    assign_action(key, action)
    _mute_layered_takes(key)
    return BakeResult(
        action_name=action.name,
        n_curves=len(planned),
        n_keys=n_keys,
        frame_start=curves.frame_start,
        frame_end=curves.frame_end,
        missing=tuple(missing),
        warnings=tuple(warnings),
    )


def new_take_action(
    obj: bpy.types.Object, key: bpy.types.Key, options: BakeOptions
) -> bpy.types.Action:
    """A new, empty take action (replacing the take of that name with ``options.replace``).

    The action the user had active is kept (fake user) and remembered on the take.
    """
    base = take_action_name(obj, options.take_name)
    existing = bpy.data.actions.get(base)
    if existing is not None and options.replace and existing.get(TAKE_TAG):
        anim = key.animation_data
        if anim is not None and anim.action == existing:
            anim.action = None
        previous = existing.get(PREVIOUS_ACTION)
        from .bake_layers import remove_layers

        remove_layers(obj, existing)  # a layered take's tracks and other layers go with it
        bpy.data.actions.remove(existing)
        name = base
    else:
        previous = None
        name = unique_action_name(base)
    action = bpy.data.actions.new(name)
    action.use_fake_user = True  # switching takes must never orphan one
    action[TAKE_TAG] = True
    action[TAKE_OBJECT] = obj.name
    current = key.animation_data.action if key.animation_data else None
    if current is not None:
        current.use_fake_user = True  # the user's own animation is kept, never edited
        previous = current.name
    if previous:
        action[PREVIOUS_ACTION] = previous
    return action


def channelbag_for(action: bpy.types.Action, key: bpy.types.Key):
    slot = action.slots.new(id_type="KEY", name=key.name)
    layer = action.layers.new("Facial Affect")
    strip = cast("bpy.types.ActionKeyframeStrip", layer.strips.new(type="KEYFRAME"))
    return strip.channelbag(slot, ensure=True)


def _new_fcurve(channelbag, path: str) -> bpy.types.FCurve:
    """A new F-curve in ``channelbag``, in the add-on's channel group.

    ``fcurves.new(..., group_name=...)`` is new in Blender 5.0; 4.5 takes only (data_path, index),
    so there the group is found or made on the channelbag and assigned to the F-curve. The check
    reads the function's parameters (not ``bpy.app.version``), so it follows the API itself.
    """
    if "group_name" in channelbag.fcurves.bl_rna.functions["new"].parameters:
        return channelbag.fcurves.new(path, group_name=CHANNEL_GROUP)
    fcurve = channelbag.fcurves.new(path)
    fcurve.group = channelbag.groups.get(CHANNEL_GROUP) or channelbag.groups.new(CHANNEL_GROUP)
    return fcurve


def write_fcurve(channelbag, name: str, frames, values, options: BakeOptions) -> int:
    path = f'key_blocks["{bpy.utils.escape_identifier(name)}"].value'
    fcurve = _new_fcurve(channelbag, path)
    n = len(frames)
    points = fcurve.keyframe_points
    if options.sparse:
        idx, slopes = sparse_keys(values, options.tolerance)
        frames, values, n = frames[idx], values[idx], len(idx)
        interp, handle = _INTERP["BEZIER"], _HANDLE["ALIGNED"]
    else:
        interp, handle = _INTERP["LINEAR"], _HANDLE["AUTO_CLAMPED"]
    points.add(n)
    points.foreach_set("co", _pairs(frames, values))
    points.foreach_set("interpolation", np.full(n, interp, dtype=np.int32))
    points.foreach_set("handle_left_type", np.full(n, handle, dtype=np.int32))
    points.foreach_set("handle_right_type", np.full(n, handle, dtype=np.int32))
    if options.sparse:
        # Handles a third of the way to the neighbouring key, along the dense curve's slope:
        # the Bezier then plays back the Hermite cubic that sparse_keys checked.
        gap = np.diff(frames)
        left = np.concatenate([[1.0], gap]) / 3.0
        right = np.concatenate([gap, [1.0]]) / 3.0
        points.foreach_set("handle_left", _pairs(frames - left, values - slopes * left))
        points.foreach_set("handle_right", _pairs(frames + right, values + slopes * right))
    fcurve.update()
    return n


def _mute_layered_takes(key: bpy.types.Key, keep: str | None = None) -> None:
    from .bake_layers import mute_other_takes

    mute_other_takes(key, keep)


def action_fcurves(action: bpy.types.Action):
    """Every F-curve of ``action`` (all layers, strips and slots)."""
    for layer in action.layers:
        for strip in layer.strips:
            for slot in action.slots:
                bag = cast("bpy.types.ActionKeyframeStrip", strip).channelbag(slot)
                if bag is not None:
                    yield from bag.fcurves


def key_name_from_path(data_path: str) -> str | None:
    """The shape-key name a ``key_blocks["..."].value`` path animates, else None."""
    match = _KEY_PATH.match(data_path)
    if match is None:
        return None
    return match.group(1).replace('\\"', '"').replace("\\\\", "\\")


def _pairs(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    out = np.empty(2 * len(x), dtype=np.float32)
    out[0::2] = x
    out[1::2] = y
    return out


def assign_action(key: bpy.types.Key, action: bpy.types.Action) -> None:
    anim = key.animation_data or key.animation_data_create()
    anim.action = action
    anim.action_slot = action.slots[0]


def _find_take(obj: bpy.types.Object, action_name: str) -> bpy.types.Action:
    action = bpy.data.actions.get(action_name)
    if action is None or action not in list_takes(obj):
        raise InputError(f"No take named {action_name!r} on {obj.name!r}.")
    return action


def keep_performance(action_name: str, text: str) -> None:
    """Remember on a take the performance it was baked from (``pipeline.store.encode``'s text).

    Score Take reads it back to know which emotion each frame of the take means.
    """
    action = bpy.data.actions.get(action_name)
    if action is not None and action.get(TAKE_TAG):
        action[TAKE_PERFORMANCE] = text


def take_performance_text(action: bpy.types.Action) -> str:
    """The stored performance text of a take (``""`` for a take baked without one)."""
    text = action.get(TAKE_PERFORMANCE, "")
    return text if isinstance(text, str) else ""


def activate_take(obj: bpy.types.Object, action_name: str) -> None:
    """Make a take the active animation of ``obj``'s shape keys.

    Raises:
        InputError: If no take of that name exists for the object.
    """
    key = require_shape_keys(obj)
    action = _find_take(obj, action_name)
    from .bake_layers import activate_layered, is_layered

    if is_layered(action):
        activate_layered(obj, action)
        return
    current = key.animation_data.action if key.animation_data else None
    if current is not None and current != action:
        current.use_fake_user = True
        action[PREVIOUS_ACTION] = current.name
    assign_action(key, action)
    _mute_layered_takes(key)


def clear_take(obj: bpy.types.Object, action_name: str) -> str | None:
    """Delete a take; if it was active, put back the animation the user had before it.

    Returns:
        The name of the action restored as active, or None.

    Raises:
        InputError: If no take of that name exists for the object.
    """
    key = require_shape_keys(obj)
    action = _find_take(obj, action_name)
    from .bake_layers import clear_layered, is_layered

    if is_layered(action):
        return clear_layered(obj, action)
    anim = key.animation_data
    was_active = anim is not None and anim.action == action
    previous = bpy.data.actions.get(action.get(PREVIOUS_ACTION, ""))
    bpy.data.actions.remove(action)
    if not was_active:
        return None
    if previous is not None:
        anim.action = previous
        if previous.slots:
            slots = [s for s in previous.slots if s.target_id_type == "KEY"]
            if slots:
                anim.action_slot = slots[0]
        return previous.name
    return None
