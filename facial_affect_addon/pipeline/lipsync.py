"""Lip-sync in the pipeline: phones for typed text, and visemes merged into a rig's curves.

:func:`text_phones` times a typed line's phones when there is no audio (the ``cli text`` path
and the panel's Text input): the pronouncing dictionary that the ``pocketsphinx`` package ships
(:func:`..core.phonemes.default_dictionary_path`) when it is installed, else the letter-to-sound
rules alone, at :class:`~..core.phonemes.TimingOptions`' speaking rate, laid into each spoken
segment's span. Audio phones come from the aligner (:mod:`.audio`).

:func:`speech_spans_and_lipsync` and :func:`with_lipsync` are what
:func:`.curves.performance_curves` calls: where phones are known the visemes replace the
articulation rhythm; speech spans without phones keep the rhythm.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from functools import lru_cache

from ..core.any_rig import rig_drive
from ..core.curveset import CurveSet
from ..core.errors import InputError
from ..core.lipsync import (
    LipSyncRig,
    apply_lipsync,
    rig_lipsync,
    spans_without_phones,
    unkeyed_warnings,
)
from ..core.phonemes import (
    Phone,
    Pronunciation,
    default_dictionary_path,
    load_dictionary,
    time_text,
)
from ..core.rig_profile import RigProfile
from .performance import Performance, Segment

MAX_STRETCH = 1.6
"""Most a line's natural phone timing is slowed to fill its segment (beyond it, the line is said
at that pace from the segment's start and the rest of the span is silent)."""


@lru_cache(maxsize=1)
def _dictionary() -> Mapping[str, Sequence[Pronunciation]] | None:
    """The default pronouncing dictionary, read once; None when it is not installed."""
    path = default_dictionary_path()
    if path is None:
        return None
    try:
        return load_dictionary(path)
    except InputError:
        return None


def _fit(phones: Sequence[Phone], start: float, end: float) -> list[Phone]:
    """Phones timed from 0, moved to ``start`` and scaled to fit ``[start, end]``.

    A line that takes longer than its span is compressed into it; a shorter one is slowed by at
    most :data:`MAX_STRETCH`.
    """
    natural = phones[-1].end
    if natural <= 0 or end <= start:
        return []
    scale = min((end - start) / natural, MAX_STRETCH)
    return [
        dataclasses.replace(p, start=start + p.start * scale, end=start + p.end * scale)
        for p in phones
    ]


def text_phones(
    segments: Sequence[Segment],
    dictionary: Mapping[str, Sequence[Pronunciation]] | None = None,
) -> tuple[Phone, ...]:
    """Phones for every spoken segment of a typed performance, in time order.

    Args:
        segments: The performance's segments; those without text are skipped, and so is text
            with no word to say (punctuation only).
        dictionary: Pronouncing dictionary; None: the default one when installed, else
            letter-to-sound rules only.

    Returns:
        Timed phones (silences included), seconds from the start of the performance.
    """
    words = dictionary if dictionary is not None else _dictionary()
    out: list[Phone] = []
    for segment in segments:
        if not segment.text.strip():
            continue
        try:
            phones = time_text(segment.text, words)
        except InputError:  # nothing sayable in it ("...!")
            continue
        out.extend(_fit(phones, segment.start_s, segment.end_s))
    return tuple(out)


def speech_spans_and_lipsync(
    performance: Performance, shape_key_names: Sequence[str], articulate: bool
) -> tuple[tuple[tuple[float, float], ...], LipSyncRig | None]:
    """The speech spans the articulation rhythm plays, and the rig's lip-sync route.

    With ``articulate`` off there is no speech at all. With phones and a rig that has viseme
    keys, spans the phones cover lose the rhythm (the visemes replace it there).
    """
    if not articulate:
        return (), None
    spans = performance.speech_spans
    rig = rig_lipsync(shape_key_names) if performance.phones else None
    if rig is None:
        return spans, None
    return spans_without_phones(spans, performance.phones), rig


def with_lipsync(
    curves: CurveSet,
    performance: Performance,
    shape_key_names: Sequence[str],
    rig: LipSyncRig,
    profile: RigProfile | None = None,
) -> CurveSet:
    """The emotion curves with the performance's visemes merged in (the make-room rule).

    Phones are in seconds from the performance's start, which is the curves' first frame.
    ``curves`` are unshaped (``synthesize_any(..., shaped=False)``): the profile's per-key
    offsets and clamps apply once, to the merged values. ``profile`` is the one the emotion
    curves were made with (None: chosen from the names).
    """
    drive = rig_drive(shape_key_names, profile)
    merged = apply_lipsync(curves.channels, performance.phones, rig, curves.fps)
    warnings = curves.warnings
    added = set(merged) - set(curves.channels)
    if added:  # keys the emotion left unkeyed (VRoid's Fcl_MTH_*): the warning is recounted
        warnings = unkeyed_warnings(warnings, shape_key_names, drive.own, added)
    return dataclasses.replace(curves, channels=drive.shape(merged), warnings=warnings)
