"""The panel's authored micro-expressions: one row per burst, and their conversion to bursts.

A row holds what ``--micro-at`` takes (apex time, an emotion or an AU set, intensity, duration
40-500 ms) plus whether to complete an AU set through the co-occurrence graph. Bake turns the rows
into :class:`~..core.micro.MicroBurst` objects with :func:`authored_bursts`; a bad row stops the
bake with one message that names it.
"""

from __future__ import annotations

import bpy
from bpy.props import BoolProperty, EnumProperty, FloatProperty, StringProperty

from ..core.emotions import EMOTION_NAMES
from ..core.errors import InputError
from ..core.micro import MicroBurst
from ..core.micro_authoring import MicroSpec, author_burst, parse_what

_SHOWS_ITEMS = [
    ("EMOTION", "Emotion", "A brief leak of one emotion's face"),
    ("AUS", "AUs", "A set of FACS action units, e.g. AU1+AU2+AU5"),
]
_EMOTION_ITEMS = [(name, name.capitalize(), f"A leak of {name}") for name in EMOTION_NAMES[1:]]


class FACEAFF_PG_micro_burst(bpy.types.PropertyGroup):
    """One authored micro-expression (the panel's list of bursts)."""

    time: FloatProperty(
        name="Time",
        description="Where the burst peaks, in seconds from the start of the bake",
        min=0.0,
        default=1.0,
        unit="TIME_ABSOLUTE",
    )
    shows: EnumProperty(name="Shows", items=_SHOWS_ITEMS, default="EMOTION")
    emotion: EnumProperty(name="Emotion", items=_EMOTION_ITEMS, default="fear")
    aus: StringProperty(
        name="AUs",
        description="Action units joined by '+', e.g. AU1+AU2+AU5 (AU12L: left side only)",
        default="AU1+AU2",
    )
    intensity: FloatProperty(
        name="Intensity",
        description="Paper 002's i_v: every AU of the burst is scaled by it",
        min=0.0,
        max=1.0,
        default=0.5,
        subtype="FACTOR",
    )
    duration_ms: FloatProperty(
        name="Duration",
        description="Length of the burst in milliseconds (micro-expressions last 40-500 ms)",
        min=40.0,
        max=500.0,
        default=200.0,
    )
    complete: BoolProperty(
        name="Complete AUs",
        description="Add the AUs that usually come with these (AU co-occurrence graph)",
        default=True,
    )

    def spec(self) -> MicroSpec:
        """This row as a :class:`~..core.micro_authoring.MicroSpec`.

        Raises:
            InputError: A row the engine refuses (e.g. an unknown AU).
        """
        aus: tuple[tuple[str, float], ...] = ()
        if self.shows == "EMOTION":
            emotion = self.emotion
        else:
            if not self.aus.strip().lower().startswith("au"):
                raise InputError(f"Write the AUs as AU1+AU2+AU5, not {self.aus.strip()[:30]!r}.")
            emotion, aus = parse_what(self.aus)
        return MicroSpec(
            self.time, self.intensity, emotion, aus, self.duration_ms / 1000.0, self.complete
        )

    def label(self) -> str:
        """What the row shows, for the list."""
        return self.emotion.capitalize() if self.shows == "EMOTION" else self.aus.strip()


MIRROR_REFUSAL = (
    "Mirror replays the captured face, so authored micro-expressions are not baked with it "
    "(the CLI refuses --micro-at with --capture too); remove them from the Micro-expressions "
    "list or drive the video by Emotion."
)


def authored_bursts(rows, *, mirror: bool = False) -> tuple[MicroBurst, ...]:
    """The rows as bursts.

    Args:
        rows: The panel's list of bursts.
        mirror: The bake replays a capture (Mirror); then any row is refused, as the CLI
            refuses ``--micro-at``/``--micro-file`` with ``--capture``, rather than dropped.

    Raises:
        InputError: Rows with ``mirror``, or the first bad row, as one line that names it
            (``Micro-expression 2: ...``).
    """
    if mirror and len(rows):
        raise InputError(f"{len(rows)} micro-expression(s) in the list: {MIRROR_REFUSAL}")
    out = []
    for i, row in enumerate(rows, start=1):
        try:
            out.append(author_burst(row.spec()))
        except InputError as exc:
            raise InputError(f"Micro-expression {i} ({row.label()}): {exc}") from None
    return tuple(out)
