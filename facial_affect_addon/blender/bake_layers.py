"""Layered takes: one action per layer (emotion, speech, micro, life) in NLA strips.

A layered take lives on the mesh's shape-key datablock as one NLA track per layer, bottom
first, each holding one strip of the layer's action (with its slot assigned, so 4.5, 5.0 and
5.2 evaluate it the same way). The emotion strip blends in ``REPLACE`` and the others in
``ADD``: at influence 1 Blender plays ``emotion + speech + micro + life``, which is the
single-action bake (:mod:`..pipeline.layers` makes the layers as exact deltas; here each
partial sum is clipped to the key's slider range before differencing, so the full sum is the
clipped single-action value too). Every strip holds its first and last value outside its
frames, as a single action's F-curves do.

Each layer is muted with its strip's ``mute`` and scaled with its strip's ``influence``
(``use_animated_influence`` on, with no keys, so the value is a plain slider). A take is
*active* while its tracks are unmuted; activating another take mutes this take's tracks, never
a track the user made. The emotion action carries the take's identity (:data:`.bake.TAKE_TAG`,
so :func:`.bake.list_takes` lists it and Score Take reads its performance); every layer action,
the emotion one included, carries the take's id in :data:`LAYER_TAKE` (made once at the bake, so
renaming the actions keeps the take whole).
"""

from __future__ import annotations

import uuid
from typing import cast

import bpy
import numpy as np

from ..core.curveset import CurveSet
from ..core.errors import InputError, RigError
from ..pipeline.layers import Layer, LayeredCurves
from . import bake

LAYER_TAG = "faceaff_layer"  # the layer (a Layer value) on each layer action
LAYER_TAKE = "faceaff_layer_take"  # the take's id (take_id) on each layer action
LAYERED = "faceaff_layered"  # on the take (emotion) action of a layered take


def is_layered(action: bpy.types.Action | None) -> bool:
    """Whether ``action`` is the take action of a layered take."""
    return action is not None and bool(action.get(LAYERED))


def take_id(take: bpy.types.Action) -> str:
    """The id that ties a layered take's actions and tracks together."""
    return str(take.get(LAYER_TAKE, take.name))


def take_layers(
    obj: bpy.types.Object, take: bpy.types.Action
) -> list[tuple[str, bpy.types.NlaTrack, bpy.types.NlaStrip]]:
    """``(layer, track, strip)`` of a layered take, bottom first ([] if none are left)."""
    key = bake.shape_keys_of(obj)
    anim = key.animation_data if key is not None else None
    if anim is None or not is_layered(take):
        return []
    found = []
    for track in anim.nla_tracks:
        for strip in track.strips:
            action = strip.action
            if action is not None and action.get(LAYER_TAKE) == take_id(take):
                found.append((str(action.get(LAYER_TAG, "")), track, strip))
    return found


def _layered_tracks(key: bpy.types.Key) -> list[tuple[str, bpy.types.NlaTrack]]:
    """``(take id, track)`` for every track of the add-on's layered takes on ``key``."""
    anim = key.animation_data
    if anim is None:
        return []
    out = []
    for track in anim.nla_tracks:
        takes = {s.action.get(LAYER_TAKE) for s in track.strips if s.action is not None}
        takes.discard(None)
        if len(takes) == 1:
            out.append((str(takes.pop()), track))
    return out


def mute_other_takes(key: bpy.types.Key, keep: str | None = None) -> None:
    """Mute every layered take's tracks except those of take id ``keep`` (unmuted).

    Tracks the user made are never touched.
    """
    for take, track in _layered_tracks(key):
        track.mute = take != keep


def active_layered_take(obj: bpy.types.Object) -> bpy.types.Action | None:
    """The layered take that plays (no active action, its tracks unmuted), or None."""
    key = bake.shape_keys_of(obj)
    if key is None or key.animation_data is None or key.animation_data.action is not None:
        return None
    playing = {take for take, track in _layered_tracks(key) if not track.mute}
    for action in bpy.data.actions:
        if is_layered(action) and take_id(action) in playing:
            return action
    return None


def bake_layered(obj: bpy.types.Object, layered: LayeredCurves, options: bake.BakeOptions):
    """Bake ``layered`` onto ``obj``'s shape keys as a new layered take and make it play.

    Args:
        obj: A mesh object with shape keys.
        layered: The layers, emotion first (:func:`..pipeline.layers.layer_curves`).
        options: Take name, sparse/dense keys, replace behaviour (``layers`` is implied).

    Returns:
        The :class:`.bake.BakeResult`; ``action_name`` is the take (emotion) action.

    Raises:
        RigError: The object has no shape keys, or no channel matches its keys.
        InputError: Empty or invalid curves, or no take name.
    """
    key = bake.require_shape_keys(obj)
    full = layered.full.validated()
    if not options.take_name.strip():
        raise InputError("Give the take a name.")
    planned, missing = bake.plan_channels(key, full)
    if not planned:
        raise RigError(
            f"None of the {len(full.channels)} curves match a shape key on {obj.name!r}."
        )
    parts = _clipped_layers(key, layered, list(planned))
    take = bake.new_take_action(obj, key, options)
    take[LAYERED] = True
    take[LAYER_TAKE] = f"{take.name} {uuid.uuid4().hex[:8]}"
    actions = [  # every F-curve is written before the NLA is touched
        (layer, _layer_action(obj, take, layer, key, full, channels, options))
        for layer, channels in parts
    ]
    anim = key.animation_data or key.animation_data_create()
    anim.action = None  # the NLA plays; the user's action was kept (fake user) by the take
    mute_other_takes(key)
    top = anim.nla_tracks[-1] if len(anim.nla_tracks) else None
    for layer, action in actions:
        top = _add_strip(anim, top, action, layer, full.frame_start)
    _hold_like_emotion(obj, take)
    warnings = list(full.warnings)
    if missing:
        warnings.append(f"{len(missing)} shape key(s) not on the rig were skipped.")
    n_curves = sum(len(channels) for _, channels in parts)
    n_keys = sum(len(fc.keyframe_points) for _, a in actions for fc in bake.action_fcurves(a))
    return bake.BakeResult(
        take.name,
        n_curves,
        n_keys,
        full.frame_start,
        full.frame_end,
        tuple(missing),
        tuple(warnings),
    )


def _clipped_layers(
    key: bpy.types.Key, layered: LayeredCurves, names: list[str]
) -> list[tuple[Layer, dict[str, np.ndarray]]]:
    """Each layer's values on the rig's keys, re-differenced from slider-clipped partial sums.

    The emotion layer keys every channel; a delta layer only the channels it moves.
    """
    n = layered.full.n_frames
    total = {name: np.zeros(n) for name in names}
    clipped = {name: np.zeros(n) for name in names}
    out: list[tuple[Layer, dict[str, np.ndarray]]] = []
    for part in layered.layers:
        channels = part.curves.channels
        values: dict[str, np.ndarray] = {}
        for name in names:
            kb = key.key_blocks[name]
            total[name] = total[name] + np.nan_to_num(np.asarray(channels.get(name, 0.0)))
            now = np.clip(total[name], kb.slider_min, kb.slider_max)
            delta = now - clipped[name] if out else now
            clipped[name] = now
            if not out or np.any(delta != 0.0):
                values[name] = delta
        if values:
            out.append((part.layer, values))
    return out


def _layer_action(obj, take, layer: Layer, key, full: CurveSet, channels, options):
    """The layer's action (the take itself for the emotion), tagged, with its F-curves."""
    if layer == Layer.EMOTION:
        action = take
    else:
        action = bpy.data.actions.new(bake.unique_action_name(f"{take.name} {layer}"))
        action.use_fake_user = True  # muting or clearing never orphans a layer
        action[bake.TAKE_OBJECT] = obj.name
    action[LAYER_TAG] = str(layer)
    action[LAYER_TAKE] = take_id(take)
    channelbag = bake.channelbag_for(action, key)
    frames = np.arange(full.n_frames, dtype=np.float64) + full.frame_start
    for name, values in channels.items():
        bake.write_fcurve(channelbag, name, frames, values, options)
    return action


def _add_strip(anim, below, action: bpy.types.Action, layer: Layer, start: int):
    track = anim.nla_tracks.new(prev=below) if below is not None else anim.nla_tracks.new()
    track.name = action.name
    strip = track.strips.new(action.name, start, action)
    if strip.action_slot is None:  # assigned by strips.new on 4.5-5.2; kept explicit
        strip.action_slot = action.slots[0]
    strip.blend_type = "REPLACE" if layer == Layer.EMOTION else "ADD"
    strip.extrapolation = "HOLD"
    strip.use_animated_influence = True  # a plain slider: the key it inserts is removed
    for fcurve in strip.fcurves:
        fcurve.keyframe_points.clear()
    strip.influence = 1.0
    return track


def _hold_like_emotion(obj, take: bpy.types.Action) -> None:
    """Give every layer the emotion strip's extension (Blender may make it HOLD_FORWARD)."""
    layers = take_layers(obj, take)
    emotion = [s for name, _, s in layers if name == Layer.EMOTION]
    if not emotion:
        return
    mode = emotion[0].extrapolation
    for _, _, strip in layers:
        strip.extrapolation = mode


def remove_layers(obj, take: bpy.types.Action) -> None:
    """Remove a layered take's tracks and its non-emotion layer actions (none: no-op)."""
    if not is_layered(take):
        return
    anim = bake.require_shape_keys(obj).animation_data
    if anim is not None:
        for _, track, _ in take_layers(obj, take):
            anim.nla_tracks.remove(track)
    mine = take_id(take)  # its layer actions, even one whose track the user deleted
    for action in [a for a in bpy.data.actions if a.get(LAYER_TAKE) == mine and a != take]:
        bpy.data.actions.remove(action)


def activate_layered(obj: bpy.types.Object, take: bpy.types.Action) -> None:
    """Make a layered take play: no active action (a user's is remembered), its tracks on."""
    key = bake.require_shape_keys(obj)
    anim = key.animation_data or key.animation_data_create()
    current = anim.action
    if current is not None:
        current.use_fake_user = True
        if not current.get(bake.TAKE_TAG):
            take[bake.PREVIOUS_ACTION] = current.name
        anim.action = None
    mute_other_takes(key, keep=take_id(take))


def clear_layered(obj: bpy.types.Object, take: bpy.types.Action) -> str | None:
    """Delete a layered take (tracks and actions); if it played, restore the previous action.

    Returns:
        The name of the action restored as active, or None.
    """
    key = bake.require_shape_keys(obj)
    was_active = active_layered_take(obj) == take
    previous = bpy.data.actions.get(take.get(bake.PREVIOUS_ACTION, ""))
    remove_layers(obj, take)
    bpy.data.actions.remove(take)
    if not was_active or previous is None:
        return None
    bake.assign_action(key, previous)
    return previous.name


def evaluated_curves(obj: bpy.types.Object, take: bpy.types.Action, fps: float) -> CurveSet:
    """The take as Blender plays it (every layer, mute and influence) over its frames.

    Each frame is set on the scene and the depsgraph-evaluated shape-key values are read back;
    the scene's frame is restored afterwards.

    Raises:
        InputError: The take has no layers left on the object.
    """
    layers = take_layers(obj, take)
    if not layers:
        raise InputError(f"Take {take.name!r} has no layers left on {obj.name!r} to export.")
    names = _keyed_names(take)
    start, end = round(take.frame_range[0]), round(take.frame_range[1])
    scene = cast("bpy.types.Scene", bpy.context.scene)  # never None with a file loaded
    kept = scene.frame_current
    blocks = bake.require_shape_keys(obj).key_blocks
    values = np.empty((end - start + 1, len(names)))
    try:
        for i, frame in enumerate(range(start, end + 1)):
            scene.frame_set(frame)
            values[i] = [blocks[n].value for n in names]
    finally:
        scene.frame_set(kept)
    return CurveSet(start, fps, {n: values[:, j] for j, n in enumerate(names)})


def _keyed_names(take: bpy.types.Action) -> list[str]:
    """The shape-key names the emotion action keys (every channel of the take)."""
    names = []
    for fcurve in bake.action_fcurves(take):
        name = bake.key_name_from_path(fcurve.data_path)
        if name is not None:
            names.append(name)
    return names
