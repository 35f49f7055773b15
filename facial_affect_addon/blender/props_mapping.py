"""The mapping editor's properties (issue 14): ``object.faceaff_mapping`` and its rows.

A row is one engine channel driving one of the rig's shape keys with a weight; the key's gain,
offset and clamp live on each of its rows and are kept equal across them (editing one row's
value copies it to the key's other rows). :mod:`.operators_mapping` turns the rows into a
:class:`~..core.rig_profile.RigProfile`; :mod:`.props` registers these classes.
"""

from __future__ import annotations

import bpy
from bpy.props import BoolProperty, CollectionProperty, FloatProperty, IntProperty, StringProperty

from ..core.rig_profile import MAX_GAIN


def _sync_key(row, field: str) -> None:
    """A key's gain, offset and clamp are one number each: copy ``field`` to the key's rows."""
    value = getattr(row, field)
    for other in row.id_data.faceaff_mapping.rows:
        if other.key == row.key and getattr(other, field) != value:
            setattr(other, field, value)


def _sync_gain(self, _context) -> None:
    _sync_key(self, "gain")


def _sync_offset(self, _context) -> None:
    _sync_key(self, "offset")


def _sync_clamp_min(self, _context) -> None:
    if self.clamp_max < self.clamp_min:  # keep low <= high: the other end follows
        self.clamp_max = self.clamp_min
    _sync_key(self, "clamp_min")


def _sync_clamp_max(self, _context) -> None:
    if self.clamp_min > self.clamp_max:
        self.clamp_min = self.clamp_max
    _sync_key(self, "clamp_max")


class FACEAFF_PG_map_row(bpy.types.PropertyGroup):
    """One row of the mapping editor: an engine channel driving one of the rig's keys.

    ``channel`` is an ARKit channel, an AU, or ``emotion:<name>`` for a whole-face key; ``name``
    (what the list's search field matches) is ``"channel key"``. ``gain``, ``offset`` and
    ``clamp_min``/``clamp_max`` belong to the key: every row of one key holds the same values
    (the profile's ``key_gains``, ``key_offsets`` and ``key_clamps``).
    """

    channel: StringProperty(name="Channel", description="Engine channel (ARKit, AU or emotion:)")
    key: StringProperty(name="Shape Key", description="The rig's shape key this channel drives")
    weight: FloatProperty(name="Weight", description="The channel's weight on the key", min=0.0)
    gain: FloatProperty(
        name="Gain",
        description="Gain on the key's whole output (shared by the key's rows)",
        min=0.0,
        max=MAX_GAIN,
        soft_max=2.0,
        default=1.0,
        update=_sync_gain,
    )
    offset: FloatProperty(
        name="Offset",
        description="Added to the key's value after the gain (shared by the key's rows)",
        min=-1.0,
        max=1.0,
        default=0.0,
        update=_sync_offset,
    )
    clamp_min: FloatProperty(
        name="Clamp Low",
        description="The key's value never goes below this (shared by the key's rows)",
        min=0.0,
        max=1.0,
        default=0.0,
        update=_sync_clamp_min,
    )
    clamp_max: FloatProperty(
        name="Clamp High",
        description="The key's value never goes above this (shared by the key's rows)",
        min=0.0,
        max=1.0,
        default=1.0,
        update=_sync_clamp_max,
    )


class FACEAFF_PG_mapping(bpy.types.PropertyGroup):
    """The object's edited mapping profile (``object.faceaff_mapping``), saved in the .blend.

    With rows and ``use`` on, Bake uses this mapping instead of the one chosen from key names.
    ``extras`` keeps the loaded profile's other fields (antagonists, offsets, clamps...) as JSON;
    ``test_key``/``test_value`` remember the key the Test button posed and its value before.
    """

    rows: CollectionProperty(type=FACEAFF_PG_map_row)
    index: IntProperty(name="Row", min=0)
    use: BoolProperty(
        name="Use Mapping",
        description="Bake with this mapping (else the mapping chosen from the key names)",
        default=True,
    )
    profile_name: StringProperty(name="Profile", default="edited")
    extras: StringProperty(name="Extras", options={"HIDDEN"})
    test_key: StringProperty(name="Tested Key", options={"HIDDEN"})
    test_value: FloatProperty(name="Value Before Test", options={"HIDDEN"})
