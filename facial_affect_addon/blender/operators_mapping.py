"""The mapping editor's operators: suggest, test a key, load and save a rig profile (issue 14).

The editor keeps a profile as rows on the object (``object.faceaff_mapping``, see
:class:`~.props.FACEAFF_PG_mapping`): one row per (engine channel, rig key, weight), a gain, an
offset and a clamp per key (held by each of the key's rows), and the profile's other fields as
JSON. :func:`rows_profile` turns the rows back into a
:class:`~..core.rig_profile.RigProfile` through the same limits-checked reader a profile file goes
through, so an edited mapping obeys every rule a loaded one does. :func:`mapping_profile` is what
Bake calls: rows naming keys the rig no longer has are left out and named in a warning, so an
unknown name never blocks a bake.
"""

from __future__ import annotations

import json
from pathlib import Path

import bpy
from bpy.props import IntProperty, StringProperty
from bpy_extras.io_utils import ExportHelper, ImportHelper

from ..core.errors import InputError, RigError
from ..core.names import normalize_name
from ..core.rig_profile import RigProfile
from . import bake
from .props import target_object
from .reporting import poll_with_reason, reports_errors

EMOTION_PREFIX = "emotion:"
_EXTRA_FIELDS = (
    "description",
    "fallbacks",
    "antagonists",
    "overrides",
    "emotion_gains",
)


def fill_rows(mapping, profile: RigProfile) -> None:
    """Replace the editor's rows (and extras) with ``profile``."""
    data = profile.to_dict()
    gains, offsets = dict(profile.key_gains), dict(profile.key_offsets)
    clamps = dict(profile.key_clamps)
    mapping.rows.clear()

    def add(channel: str, key: str, weight: float) -> None:
        row = mapping.rows.add()
        row.channel, row.key, row.weight = channel, key, float(weight)
        row.gain, row.offset = float(gains.get(key, 1.0)), float(offsets.get(key, 0.0))
        row.clamp_max = 1.0  # low first could push high up (the row keeps low <= high)
        row.clamp_min, row.clamp_max = (float(v) for v in clamps.get(key, (0.0, 1.0)))
        row.name = f"{channel} {key}"

    for key, spec in data["keys"].items():
        for channel, weight in spec.items() or [("", 0.0)]:
            add(channel, key, weight)
    for key, spec in data.get("emotion_keys", {}).items():
        for emotion, weight in spec.items():
            add(f"{EMOTION_PREFIX}{emotion}", key, weight)
    mapping.profile_name = profile.name
    mapping.extras = json.dumps({f: data[f] for f in _EXTRA_FIELDS if data.get(f)})
    mapping.index = 0


def _float(value: float) -> float:
    """A single-precision property as the decimal it was set from (0.2, not 0.2000000029)."""
    return float(f"{value:.7g}")


def rows_dict(mapping, keep=None) -> dict:
    """The rows as a profile's JSON form; with ``keep(key) -> bool``, only the keys it keeps."""
    keys: dict[str, dict[str, float]] = {}
    emotion_keys: dict[str, dict[str, float]] = {}
    gains: dict[str, float] = {}
    offsets: dict[str, float] = {}
    clamps: dict[str, list[float]] = {}
    for row in mapping.rows:
        if keep is not None and not keep(row.key):
            continue
        if row.channel.startswith(EMOTION_PREFIX):
            spec = emotion_keys.setdefault(row.key, {})
            spec[row.channel.removeprefix(EMOTION_PREFIX)] = _float(row.weight)
        else:
            spec = keys.setdefault(row.key, {})
            if row.channel:
                spec[row.channel] = _float(row.weight)
        if abs(row.gain - 1.0) > 1e-6:
            gains[row.key] = _float(row.gain)
        if abs(row.offset) > 1e-6:
            offsets[row.key] = _float(row.offset)
        if row.clamp_min > 1e-6 or row.clamp_max < 1.0 - 1e-6:
            clamps[row.key] = [_float(row.clamp_min), _float(row.clamp_max)]
    extras = json.loads(mapping.extras) if mapping.extras else {}
    own = {normalize_name(k) for k in (*keys, *emotion_keys)}
    mine = lambda k: normalize_name(k) in own  # noqa: E731
    data = {
        "schema_version": 1,
        "kind": "rig_profile",
        "name": mapping.profile_name or "edited",
        "description": extras.get("description", ""),
        "keys": keys,
        "fallbacks": {k: v for k, v in extras.get("fallbacks", {}).items() if mine(k)},
        "antagonists": [p for p in extras.get("antagonists", []) if all(map(mine, p))],
        "overrides": [p for p in extras.get("overrides", []) if all(map(mine, p))],
        "key_gains": gains,
        "emotion_gains": extras.get("emotion_gains", {}),
        "key_offsets": offsets,
        "key_clamps": clamps,
        "emotion_keys": emotion_keys,
    }
    return data


def rows_profile(mapping, keep=None) -> RigProfile:
    """The rows as a profile, checked like a profile file.

    Raises:
        InputError: The rows make no valid profile (nothing driven, a bad channel...).
    """
    from ..core.rig_profile import profile_from_dict

    return profile_from_dict(rows_dict(mapping, keep))


def mapping_profile(obj) -> tuple[RigProfile | None, tuple[str, ...]]:
    """The profile Bake uses for ``obj``: its edited mapping, or None (chosen from key names).

    Rows for keys the rig lacks are left out and named in the warnings.

    Raises:
        RigError: No row names a key the rig has.
        InputError: The rows make no valid profile.
    """
    mapping = getattr(obj, "faceaff_mapping", None)
    if mapping is None or not mapping.use or not len(mapping.rows):
        return None, ()
    present = {normalize_name(n) for n in bake.shape_key_names(obj)}
    missing = sorted({r.key for r in mapping.rows if normalize_name(r.key) not in present})
    if len(missing) == len({r.key for r in mapping.rows}):
        raise RigError(
            f"The edited mapping names none of {obj.name!r}'s shape keys; press Suggest to map "
            "this head, or turn the mapping off."
        )
    profile = rows_profile(mapping, keep=lambda k: normalize_name(k) in present)
    warnings: tuple[str, ...] = ()
    if missing:
        shown = ", ".join(repr(k) for k in missing[:6]) + ("..." if len(missing) > 6 else "")
        warnings = (
            f"The edited mapping names {len(missing)} key(s) {obj.name!r} lacks ({shown}); "
            "baked without them.",
        )
    return profile, warnings


def _shape_key(obj, name: str):
    """The object's shape key named ``name`` in any naming style, or None."""
    key = getattr(obj.data, "shape_keys", None)
    if key is None:
        return None
    want = normalize_name(name)
    return next((k for k in key.key_blocks if normalize_name(k.name) == want), None)


def stop_test(obj) -> str | None:
    """Put the key the Test button posed back to its value; returns its name (None if none)."""
    mapping = obj.faceaff_mapping
    name = mapping.test_key
    if not name:
        return None
    block = _shape_key(obj, name)
    if block is not None:
        block.value = mapping.test_value
    mapping.test_key = ""
    return name


def _mapping_problem(obj) -> str | None:
    from .operators import shape_key_problem

    return shape_key_problem(obj)


class FACEAFF_OT_mapping_suggest(bpy.types.Operator):
    """Fill the mapping editor with the mapping suggested from the target's key names"""

    bl_idname = "faceaff.mapping_suggest"
    bl_label = "Suggest Mapping"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        return poll_with_reason(cls, _mapping_problem(target_object(context)))

    @reports_errors
    def execute(self, context):
        from ..core.rig_mapping import suggest_profile

        obj = target_object(context)
        profile, coverage = suggest_profile(bake.shape_key_names(obj), name=f"{obj.name}_mapping")
        if profile is None:
            raise RigError(
                f"No shape key of {obj.name!r} matches a known naming family; load a profile "
                "that maps them (Load)."
            )
        stop_test(obj)
        fill_rows(obj.faceaff_mapping, profile)
        self.report({"INFO"}, coverage.describe())
        return {"FINISHED"}


class FACEAFF_OT_mapping_clear(bpy.types.Operator):
    """Empty the mapping editor: Bake chooses the mapping from the key names again"""

    bl_idname = "faceaff.mapping_clear"
    bl_label = "Clear Mapping"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        obj = target_object(context)
        rows = obj is not None and len(obj.faceaff_mapping.rows) > 0
        return poll_with_reason(cls, None if rows else "The mapping editor is empty.")

    def execute(self, context):
        obj = target_object(context)
        stop_test(obj)
        obj.faceaff_mapping.rows.clear()
        obj.faceaff_mapping.extras = ""
        return {"FINISHED"}


class FACEAFF_OT_mapping_add(bpy.types.Operator):
    """Add a row to the mapping editor (an engine channel driving a shape key)"""

    bl_idname = "faceaff.mapping_add"
    bl_label = "Add Row"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        return poll_with_reason(cls, _mapping_problem(target_object(context)))

    def execute(self, context):
        obj = target_object(context)
        mapping = obj.faceaff_mapping
        row = mapping.rows.add()
        names = bake.shape_key_names(obj)
        row.channel, row.key, row.weight = "mouthSmileLeft", names[0] if names else "", 1.0
        row.name = f"{row.channel} {row.key}"
        mapping.index = len(mapping.rows) - 1
        return {"FINISHED"}


class FACEAFF_OT_mapping_remove(bpy.types.Operator):
    """Remove the selected row from the mapping editor"""

    bl_idname = "faceaff.mapping_remove"
    bl_label = "Remove Row"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        obj = target_object(context)
        mapping = getattr(obj, "faceaff_mapping", None)
        ok = mapping is not None and 0 <= mapping.index < len(mapping.rows)
        return poll_with_reason(cls, None if ok else "Select a row of the mapping editor.")

    def execute(self, context):
        mapping = target_object(context).faceaff_mapping
        mapping.rows.remove(mapping.index)
        mapping.index = max(0, min(mapping.index, len(mapping.rows) - 1))
        return {"FINISHED"}


class FACEAFF_OT_mapping_test(bpy.types.Operator):
    """Pose this row's shape key at 1.0 (the previously tested key goes back)"""

    bl_idname = "faceaff.mapping_test"
    bl_label = "Test Key"
    bl_options = {"REGISTER", "UNDO"}

    index: IntProperty(name="Row", min=0, options={"HIDDEN", "SKIP_SAVE"})

    @classmethod
    def poll(cls, context):
        return poll_with_reason(cls, _mapping_problem(target_object(context)))

    @reports_errors
    def execute(self, context):
        obj = target_object(context)
        mapping = obj.faceaff_mapping
        if self.index >= len(mapping.rows):
            raise InputError(f"The mapping has no row {self.index + 1}.")
        name = mapping.rows[self.index].key
        block = _shape_key(obj, name)
        if block is None:
            raise RigError(f"{obj.name!r} has no shape key {name!r}; edit or remove this row.")
        stop_test(obj)
        mapping.test_key, mapping.test_value = block.name, block.value
        block.value = 1.0
        self.report({"INFO"}, f"Showing {block.name!r} at 1.0; Stop Test puts it back.")
        return {"FINISHED"}


class FACEAFF_OT_mapping_stop_test(bpy.types.Operator):
    """Put the tested shape key back to its value before the test"""

    bl_idname = "faceaff.mapping_stop_test"
    bl_label = "Stop Test"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        obj = target_object(context)
        testing = obj is not None and bool(obj.faceaff_mapping.test_key)
        return poll_with_reason(cls, None if testing else "No key is being tested.")

    def execute(self, context):
        stop_test(target_object(context))
        return {"FINISHED"}


# fake-bpy-module 5.0 types ImportHelper.invoke() and check() as returning None, unlike Operator's.
class FACEAFF_OT_mapping_load(bpy.types.Operator, ImportHelper):  # type: ignore[misc]
    """Load a rig profile (JSON) into the mapping editor"""

    bl_idname = "faceaff.mapping_load"
    bl_label = "Load Mapping"
    bl_options = {"REGISTER", "UNDO"}

    filename_ext = ".json"
    filter_glob: StringProperty(default="*.json", options={"HIDDEN"})

    @classmethod
    def poll(cls, context):
        return poll_with_reason(cls, _mapping_problem(target_object(context)))

    @reports_errors
    def execute(self, context):
        from ..core.rig_profile import load_profile

        obj = target_object(context)
        path = Path(bpy.path.abspath(self.filepath))
        profile = load_profile(path)  # limits-checked: size, UTF-8, depth, counts, names
        present = {normalize_name(n) for n in bake.shape_key_names(obj)}
        absent = [k for k in profile.all_keys if normalize_name(k) not in present]
        if absent:
            shown = ", ".join(repr(k) for k in absent[:4]) + ("..." if len(absent) > 4 else "")
            raise RigError(
                f"Rig profile {path.name!r} names {len(absent)} key(s) {obj.name!r} lacks: "
                f"{shown}; nothing loaded."
            )
        stop_test(obj)
        fill_rows(obj.faceaff_mapping, profile)
        self.report({"INFO"}, f"Loaded {profile.name!r}: {len(obj.faceaff_mapping.rows)} rows.")
        return {"FINISHED"}


# fake-bpy-module 5.0 types ExportHelper.invoke() and check() as returning None, unlike Operator's.
class FACEAFF_OT_mapping_save(bpy.types.Operator, ExportHelper):  # type: ignore[misc]
    """Save the mapping editor's rows as a rig profile (JSON)"""

    bl_idname = "faceaff.mapping_save"
    bl_label = "Save Mapping"

    filename_ext = ".json"
    filter_glob: StringProperty(default="*.json", options={"HIDDEN"})

    @classmethod
    def poll(cls, context):
        obj = target_object(context)
        rows = obj is not None and len(obj.faceaff_mapping.rows) > 0
        return poll_with_reason(cls, None if rows else "The mapping editor is empty.")

    @reports_errors
    def execute(self, context):
        from ..core.atomic import check_output_path
        from ..core.rig_profile import save_profile

        path = Path(bpy.path.abspath(self.filepath))
        check_output_path(path, what="The profile file")
        profile = rows_profile(target_object(context).faceaff_mapping)
        save_profile(profile, path)  # atomic
        self.report({"INFO"}, f"Saved {profile.name!r} to {path}.")
        return {"FINISHED"}


classes = (
    FACEAFF_OT_mapping_suggest,
    FACEAFF_OT_mapping_clear,
    FACEAFF_OT_mapping_add,
    FACEAFF_OT_mapping_remove,
    FACEAFF_OT_mapping_test,
    FACEAFF_OT_mapping_stop_test,
    FACEAFF_OT_mapping_load,
    FACEAFF_OT_mapping_save,
)
# fake-bpy-module 5.0 types register_classes_factory() as returning None, not the pair.
register, unregister = bpy.utils.register_classes_factory(classes)  # type: ignore[func-returns-value,misc]
