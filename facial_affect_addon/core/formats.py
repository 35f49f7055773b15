"""File formats: versioned JSON for timelines and curves, and Live Link Face CSV for ARKit rigs.

**JSON.** Every document carries ``"schema_version"`` (currently :data:`SCHEMA_VERSION`) and a
``"kind"`` (``"timeline"`` or ``"curves"``)::

    {"schema_version": 1, "kind": "timeline",
     "events": [{"start": 0.5, "duration": 2.0, "weights": {"happiness": 0.6, "surprise": 0.4},
                 "intensity": 1.0, "label": "Hello!"}],
     "micro": [{"start": 1.2, "duration": 0.1, "apex": {"AU12_L": 0.4}, "emotion": "happiness"}]}

    {"schema_version": 1, "kind": "curves", "frame_start": 1, "fps": 24.0,
     "channels": {"jawOpen": [0.0, 0.1, ...]}, "warnings": []}

Readers validate everything and raise :class:`~.errors.InputError` with the offending field;
documents from a newer schema are refused with a message to update the add-on.

A landmark capture (kind ``"capture"``) keeps its samples, ARKit key names and the neutral
frame: ``{"times": [...], "names": [...], "weights": [[...], ...], "neutral_index": 0,
"valid": [...], "head_rotation": [[pitch, yaw, roll], ...] or null, "warnings": [...]}``.

**Live Link Face CSV.** Epic's iPhone app exports ``Timecode,BlendShapeCount,`` then the 52
ARKit blendshapes in PascalCase (``EyeBlinkLeft``...; the order of :data:`.rig_tables.ARKIT_52`),
then nine head/eye rotation columns; ``BlendShapeCount`` is 61. The timecode is
``HH:MM:SS:FF.mmm``: frame ``FF`` within the second at the take's frame rate, and ``.mmm`` the
sub-frame in thousandths of a frame. We write the same layout (rotations in radians when a take
has them, else zeros, or none) and read either, matching columns case-insensitively.

**Reading files we did not write.** Every reader goes through :mod:`.limits`: UTF-8 only (with or
without a byte-order mark), capped file size, rows, channels, frames, duration and JSON nesting
(:class:`~.limits.Limits`, passed as ``limits=``), numbers checked finite and in range, and types
checked, all before anything large is allocated. Every failure is one
:class:`~.errors.InputError` naming the file.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
from array import array
from collections.abc import Mapping
from typing import Any

import numpy as np

from . import limits as lim
from .atomic import atomic_write_text
from .capture import CaptureResult
from .curveset import CurveSet
from .emotions import EmotionWeights
from .errors import InputError
from .head_pose import rotation_cells
from .micro import MicroBurst
from .names import normalize_name
from .rig_tables import ARKIT_52
from .sampling import sample_linear
from .timeline import EmotionEvent, Timeline

SCHEMA_VERSION = 1
ROTATION_COLUMNS: tuple[str, ...] = (
    "HeadYaw", "HeadPitch", "HeadRoll", "LeftEyeYaw", "LeftEyePitch", "LeftEyeRoll",
    "RightEyeYaw", "RightEyePitch", "RightEyeRoll",
)  # fmt: skip
LIVE_LINK_BLENDSHAPES: tuple[str, ...] = tuple(n[0].upper() + n[1:] for n in ARKIT_52)
DEFAULT_LIVE_LINK_FPS = 60.0


# --- JSON ----------------------------------------------------------------------------------


def timeline_to_dict(timeline: Timeline) -> dict:
    """The JSON form of a timeline."""
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "timeline",
        "events": [
            {
                "start": e.start,
                "duration": e.duration,
                "weights": {k: v for k, v in e.weights.as_dict().items() if v > 0},
                "intensity": e.intensity,
                "label": e.label,
            }
            for e in timeline.events
        ],
        "micro": [
            {"start": b.start, "duration": b.duration, "apex": dict(b.apex), "emotion": b.emotion}
            for b in timeline.micro
        ],
    }


def _event(obj: Any, i: int) -> EmotionEvent:
    where = f"Event {i}"
    if not isinstance(obj, Mapping):
        raise InputError(f"{where} must be an object.")
    weights = lim.number_map(lim.document_field(obj, "weights", where), f"{where} weights")
    return EmotionEvent(
        lim.finite_number(lim.document_field(obj, "start", where), f"{where} start"),
        lim.finite_number(lim.document_field(obj, "duration", where), f"{where} duration"),
        EmotionWeights.from_mapping(weights),
        lim.finite_number(lim.document_field(obj, "intensity", where, 1.0), f"{where} intensity"),
        str(lim.document_field(obj, "label", where, "")),
    )


def _burst(obj: Any, i: int) -> MicroBurst:
    where = f"Micro-expression {i}"
    if not isinstance(obj, Mapping):
        raise InputError(f"{where} must be an object with an 'apex' mapping of AU -> value.")
    apex = lim.number_map(lim.document_field(obj, "apex", where), f"{where} apex")
    return MicroBurst.from_mapping(
        lim.finite_number(lim.document_field(obj, "start", where), f"{where} start"),
        lim.finite_number(lim.document_field(obj, "duration", where), f"{where} duration"),
        apex,
        lim.clip_text(obj.get("emotion", ""), lim.MAX_NAME_CHARS),
    )


def timeline_from_dict(data: Any, *, limits: lim.Limits = lim.DEFAULT_LIMITS) -> Timeline:
    """Validate and build a timeline from its JSON form.

    Raises:
        InputError: On a wrong kind or version, missing fields, invalid values or more than
            ``limits.max_items`` events or micro-expressions.
    """
    lim.check_header(data, SCHEMA_VERSION, "timeline")
    events, micro = data.get("events", []), data.get("micro", [])
    if not isinstance(events, list) or not isinstance(micro, list):
        raise InputError("'events' and 'micro' must be lists.")
    lim.check_count(len(events), limits.max_items, "events", "The timeline")
    lim.check_count(len(micro), limits.max_items, "micro-expressions", "The timeline")
    parsed = [_event(e, i) for i, e in enumerate(events)]
    bursts = [_burst(b, i) for i, b in enumerate(micro)]
    ends = [e.start + e.duration for e in parsed] + [b.start + b.duration for b in bursts]
    lim.check_duration(max(ends, default=0.0), "The timeline", limits)
    return Timeline.from_events(parsed, bursts)


def curves_to_dict(curves: CurveSet) -> dict:
    """The JSON form of a curve set."""
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "curves",
        "frame_start": int(curves.frame_start),
        "fps": float(curves.fps),
        "channels": {k: np.asarray(v, dtype=float).tolist() for k, v in curves.channels.items()},
        "warnings": list(curves.warnings),
    }


def curves_from_dict(data: Any, *, limits: lim.Limits = lim.DEFAULT_LIMITS) -> CurveSet:
    """Validate and build a curve set from its JSON form.

    Raises:
        InputError: On a wrong kind or version, missing fields, non-numeric or non-finite
            values, channels of different lengths, or a document over ``limits``.
    """
    lim.check_header(data, SCHEMA_VERSION, "curves")
    where = "The curves document"
    channels = lim.document_field(data, "channels", where)
    if not isinstance(channels, Mapping):
        raise InputError("'channels' must map shape-key names to lists of numbers.")
    lim.check_count(len(channels), limits.max_channels, "channels", where)
    frame_start = lim.frame_number(lim.document_field(data, "frame_start", where), "frame_start")
    fps = lim.frame_rate(lim.document_field(data, "fps", where), "fps")
    arrays, total = {}, 0
    for name, values in channels.items():
        label = lim.clip_text(name, 60)
        if len(name) > lim.MAX_NAME_CHARS:
            raise InputError(f"Channel name {label!r} is over {lim.MAX_NAME_CHARS} characters.")
        lim.check_count(
            len(lim.as_list(values, f"Channel {label!r}")), limits.max_frames, "frames", where
        )
        total += len(values)
        lim.check_count(total, limits.max_samples, "samples in all", where)
        arrays[str(name)] = lim.number_array(values, f"Channel {label!r}")
    if arrays:
        lim.check_take_length(len(next(iter(arrays.values()))), fps, frame_start, where, limits)
    return CurveSet(frame_start, fps, arrays, lim.document_warnings(data)).validated()


def capture_to_dict(capture: CaptureResult) -> dict:
    """The JSON form of a landmark capture (weights rounded to 1e-4)."""
    rotation = capture.head_rotation
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "capture",
        "times": np.round(capture.times, 4).tolist(),
        "names": list(capture.names),
        "weights": np.round(capture.weights, 4).tolist(),
        "neutral_index": int(capture.neutral_index),
        "neutral_time_s": round(float(capture.times[capture.neutral_index]), 4),
        "valid": [bool(v) for v in capture.valid],
        "head_rotation": None if rotation is None else np.round(rotation, 2).tolist(),
        "warnings": list(capture.warnings),
    }


def capture_from_dict(data: Any, *, limits: lim.Limits = lim.DEFAULT_LIMITS) -> CaptureResult:
    """Validate and build a landmark capture from its JSON form.

    Raises:
        InputError: On a wrong kind or version, missing fields, inconsistent shapes or a
            capture over ``limits``.
    """
    lim.check_header(data, SCHEMA_VERSION, "capture")
    where = "The capture document"
    times = lim.as_list(lim.document_field(data, "times", where), "'times'")
    names = lim.as_list(lim.document_field(data, "names", where), "'names'")
    lim.check_count(len(times), limits.max_frames, "samples", where)
    lim.check_count(len(names), limits.max_channels, "names", where)
    lim.check_count(len(times) * len(names), limits.max_samples, "weights", where)
    if not all(isinstance(n, str) for n in names):
        raise InputError(f"{where}: 'names' must be a list of strings.")
    rotation = data.get("head_rotation")
    valid = lim.as_list(lim.document_field(data, "valid", where), "'valid'")
    weights = lim.as_list(lim.document_field(data, "weights", where), "'weights'")
    if len(valid) != len(times) or len(weights) != len(times):
        raise InputError(f"{where}: 'times', 'valid' and 'weights' must be equally long.")
    if rotation is not None and len(lim.as_list(rotation, "'head_rotation'")) != len(times):
        raise InputError(f"{where} has a rotation track of the wrong length.")
    times_arr = lim.number_array(times, "'times'")
    weights_arr = lim.number_array(weights, "'weights'", 2) if names else np.zeros((len(times), 0))
    if weights_arr.shape != (len(times), len(names)):
        raise InputError(f"{where}: 'weights' must be one row of {len(names)} per sample.")
    if not all(isinstance(v, bool) for v in valid):
        raise InputError(f"{where}: 'valid' must be a list of true/false.")
    rotation_arr = None if rotation is None else lim.number_array(rotation, "'head_rotation'", 2)
    if rotation_arr is not None and rotation_arr.shape[1:] != (3,):
        raise InputError(f"{where}: 'head_rotation' rows must be [pitch, yaw, roll].")
    neutral = lim.finite_number(lim.document_field(data, "neutral_index", where), "neutral_index")
    if len(times) < 1:
        raise InputError(f"{where} needs at least one sample.")
    if neutral != int(neutral) or not 0 <= neutral < len(times):
        raise InputError(f"{where} has an out-of-range neutral frame {neutral:g}.")
    valid_arr = np.array(valid, dtype=bool)
    names_t = tuple(names)
    return CaptureResult(
        times_arr,
        names_t,
        weights_arr,
        int(neutral),
        valid_arr,
        rotation_arr,
        lim.document_warnings(data),
    )


def _write_json(data: dict, path: str | os.PathLike) -> None:
    atomic_write_text(path, json.dumps(data, indent=1) + "\n")


def _load(path: str | os.PathLike, kind: str, build, limits: lim.Limits):
    """Read a JSON file and build it, naming the file in any error."""
    source = f"{kind.capitalize()} file {str(path)!r}"
    data = lim.read_json(path, source, limits)
    try:
        return build(data, limits=limits)
    except InputError as exc:
        raise InputError(f"{source}: {exc}") from None


def save_timeline(timeline: Timeline, path: str | os.PathLike) -> None:
    """Write a timeline as JSON, atomically (InputError naming the file if it cannot be)."""
    _write_json(timeline_to_dict(timeline), path)


def load_timeline(path: str | os.PathLike, *, limits: lim.Limits = lim.DEFAULT_LIMITS) -> Timeline:
    """Read and validate a timeline JSON file. Raises InputError on any problem."""
    return _load(path, "timeline", timeline_from_dict, limits)


def save_curves(curves: CurveSet, path: str | os.PathLike) -> None:
    """Write a curve set as JSON, atomically (InputError naming the file if it cannot be)."""
    _write_json(curves_to_dict(curves), path)


def load_curves(path: str | os.PathLike, *, limits: lim.Limits = lim.DEFAULT_LIMITS) -> CurveSet:
    """Read and validate a curves JSON file. Raises InputError on any problem."""
    return _load(path, "curves", curves_from_dict, limits)


def load_capture(
    path: str | os.PathLike, *, limits: lim.Limits = lim.DEFAULT_LIMITS
) -> CaptureResult:
    """Read and validate a capture JSON file. Raises InputError on any problem."""
    return _load(path, "capture", capture_from_dict, limits)


# --- Live Link Face CSV --------------------------------------------------------------------


def format_timecode(frame: int, fps: float) -> str:
    """``HH:MM:SS:FF.mmm`` of frame ``frame`` (0 = 00:00:00:00.000) at ``fps``.

    Raises:
        InputError: On a negative frame or a non-positive fps.
    """
    if frame < 0 or not np.isfinite(fps) or fps <= 0:
        raise InputError(f"Cannot make a timecode for frame {frame} at {fps} fps.")
    if float(fps).is_integer():
        secs, ff = divmod(int(frame), int(fps))
        sub = 0
    else:
        t = frame / fps
        secs = math.floor(t + 1e-9)
        frac = max((t - secs) * fps, 0.0)
        ff = math.floor(frac + 1e-6)
        sub = min(round((frac - ff) * 1000), 999) if frac - ff > 1e-6 else 0
    hours, rest = divmod(secs, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}:{ff:02d}.{sub:03d}"


_TIMECODE = re.compile(r"([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,4})(?:\.([0-9]{1,6}))?")


def parse_timecode(text: str) -> tuple[int, int, int, float]:
    """Split ``HH:MM:SS:FF[.mmm]`` into (hours, minutes, seconds, frames incl. sub-frame).

    Hours run to 99, minutes and seconds to 59, frames below :data:`~.limits.MAX_FPS`.

    Raises:
        InputError: If the text is not such a timecode.
    """
    match = _TIMECODE.fullmatch(str(text).strip())
    h, m, s, ff, sub = match.groups(default="") if match else (0, 60, 0, 0, "")
    if int(m) > 59 or int(s) > 59 or int(ff) >= lim.MAX_FPS:
        raise InputError(f"Bad timecode {lim.clip_text(text, 40)!r}; expected HH:MM:SS:FF.mmm.")
    frames = int(ff) + (int(sub) / 10 ** len(sub) if sub else 0.0)
    return int(h), int(m), int(s), frames


def live_link_csv_text(curves: CurveSet, *, include_rotations: bool | np.ndarray = True) -> tuple:
    """The Live Link Face CSV text of a curve set, and warnings for channels left out.

    Channels are matched to ARKit names regardless of style (``MouthSmile_L`` is
    ``MouthSmileLeft``); ARKit shapes the set lacks are written as 0. ``include_rotations`` may
    be the (n_frames, 9) rotations (:func:`.head_pose.live_link_rotations`) instead of zeros.

    Raises:
        InputError: If the set is invalid or no channel is an ARKit blendshape.
    """
    clean = curves.validated()
    by_norm = {normalize_name(n): n for n in ARKIT_52}
    columns: dict[str, np.ndarray] = {}
    warnings = []
    for name, values in clean.channels.items():
        arkit = by_norm.get(normalize_name(name))
        if arkit is None:
            warnings.append(f"Channel {name!r} is not an ARKit blendshape; left out of the CSV.")
        else:
            columns[arkit] = np.clip(values, 0.0, 1.0)
    if not columns:
        raise InputError("No channel matches an ARKit blendshape name; nothing to write.")
    n = clean.n_frames
    table = np.stack([columns.get(name, np.zeros(n)) for name in ARKIT_52], axis=1)
    header = ["Timecode", "BlendShapeCount", *LIVE_LINK_BLENDSHAPES]
    extra, with_rot = rotation_cells(include_rotations, n), include_rotations is not False
    header += list(ROTATION_COLUMNS) if with_rot else []
    count = str(len(ARKIT_52) + len(ROTATION_COLUMNS) * with_rot)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for i in range(n):
        row = [f"{v:.8f}" for v in table[i]]
        writer.writerow([format_timecode(i, clean.fps), count, *row, *extra[i]])
    return buf.getvalue(), warnings


def write_live_link_csv(
    curves: CurveSet, path: str | os.PathLike, *, include_rotations: bool | np.ndarray = True
) -> list[str]:
    """Write a Live Link Face CSV atomically (see :func:`live_link_csv_text`); returns warnings.

    Raises:
        InputError: The curves cannot be written as CSV, or the file cannot be written.
    """
    text, warnings = live_link_csv_text(curves, include_rotations=include_rotations)
    atomic_write_text(path, text)
    return warnings


def _infer_fps(codes: np.ndarray) -> float | None:
    """Largest ``FF`` + 1 when the (n, 4) [h, m, s, frames] codes span a second boundary."""
    if len(np.unique(codes[:, 0] * 3600 + codes[:, 1] * 60 + codes[:, 2])) < 2:
        return None
    return float(int(codes[:, 3].max()) + 1)


def _read_table(text: str, source: str, limits: lim.Limits) -> tuple[np.ndarray, np.ndarray, list]:
    """Stream the CSV into (rows, 52) blendshapes (absent columns 0) and (rows, 4) timecodes
    (empty without a ``Timecode`` column), plus the names of absent columns; no row is kept."""
    rows = lim.csv_rows(text, source, limits)
    index = {normalize_name(h.strip()): i for i, h in enumerate(next(rows, []))}
    cols = [
        (j, index[normalize_name(n)]) for j, n in enumerate(ARKIT_52) if normalize_name(n) in index
    ]
    tc = index.get("timecode")
    values, stamps, n, j = array("d"), array("d"), 0, 0
    for n, row in enumerate(rows, start=1):
        if not cols:
            raise InputError(f"{source} has no ARKit blendshape columns (e.g. 'EyeBlinkLeft').")
        out = [0.0] * len(ARKIT_52)
        try:
            for j, c in cols:
                out[j] = float(row[c])
        except (ValueError, IndexError):
            raise InputError(f"{source}, row {n + 1}: bad value for {ARKIT_52[j]}.") from None
        values.extend(out)
        code = row[tc] if tc is not None and tc < len(row) else ""
        try:
            stamps.extend(parse_timecode(code) if tc is not None else ())
        except InputError as exc:
            raise InputError(f"{source}, row {n + 1}: {exc}") from None
    if n == 0:
        raise InputError(f"{source} has no data rows; export a take from Live Link Face.")
    data = np.frombuffer(values, dtype=float).reshape(n, len(ARKIT_52))
    if not np.all(np.isfinite(data)):
        raise InputError(f"{source} contains NaN or infinite blendshape values.")
    absent = [name for name in ARKIT_52 if normalize_name(name) not in index]
    return data, np.frombuffer(stamps, dtype=float).reshape(-1, 4), absent


def _place_by_timecode(
    data: np.ndarray, t: np.ndarray, rate: float, source: str, limits: lim.Limits
) -> np.ndarray:
    """Rows at times ``t`` (increasing) resampled onto a uniform grid at ``rate``, capped."""
    t = t - t[0]
    n = int(np.rint(t[-1] * rate)) + 1
    lim.check_take_length(n, rate, 1, source, limits)
    lim.check_count(n, limits.max_frames, "frames", source)
    lim.check_count(n * data.shape[1], limits.max_samples, "samples", source)
    return sample_linear(t, data, np.arange(n) / rate)


def parse_live_link_csv(
    text: str,
    *,
    fps: float | None = None,
    frame_start: int = 1,
    limits: lim.Limits = lim.DEFAULT_LIMITS,
    source: str = "The CSV",
) -> CurveSet:
    """Parse Live Link Face CSV text into a :class:`CurveSet` keyed by ARKit names.

    Args:
        text: The CSV text.
        fps: The take's timecode frame rate; inferred from the largest ``FF`` when the take
            spans a second boundary, else :data:`DEFAULT_LIVE_LINK_FPS`.
        frame_start: Scene frame of the first sample.
        limits: Caps on rows, columns, frames and duration (:class:`~.limits.Limits`).
        source: How messages name the text (e.g. the file).

    Returns:
        Curves at ``fps`` on a uniform grid (rows are placed by timecode and interpolated
        linearly; without usable timecodes each row is one frame).

    Raises:
        InputError: On a missing header, no blendshape columns, non-numeric values, bad
            timecodes, an fps or frame_start out of range, or a take over ``limits``.
    """
    rate = lim.frame_rate(fps, "fps") if fps else None
    start = lim.frame_number(frame_start, "frame_start")
    data, codes, absent = _read_table(text, source, limits)
    warnings = [f"CSV columns read as 0 (absent): {', '.join(absent)}."] if absent else []
    rate = rate or (_infer_fps(codes) if len(codes) else None) or DEFAULT_LIVE_LINK_FPS
    t = codes[:, 0] * 3600 + codes[:, 1] * 60 + codes[:, 2] + codes[:, 3] / rate
    if len(t) > 1 and np.all(np.diff(t) > 0):
        data = _place_by_timecode(data, t, rate, source, limits)
    elif len(t) > 1:
        warnings.append("Timecodes are not increasing; each CSV row was taken as one frame.")
    lim.check_take_length(len(data), rate, start, source, limits)
    channels = {name: np.clip(data[:, j], 0.0, 1.0) for j, name in enumerate(ARKIT_52)}
    return CurveSet(start, rate, channels, tuple(warnings))


def read_live_link_csv(
    path: str | os.PathLike,
    *,
    fps: float | None = None,
    frame_start: int = 1,
    limits: lim.Limits = lim.DEFAULT_LIMITS,
) -> CurveSet:
    """Read a Live Link Face CSV file: UTF-8, with or without a byte-order mark.

    See :func:`parse_live_link_csv`; messages name the file.

    Raises:
        InputError: If the file cannot be read, is not UTF-8, is over ``limits`` or does not
            parse.
    """
    source = f"Live Link CSV {str(path)!r}"
    text = lim.read_text(path, source, limits)
    return parse_live_link_csv(text, fps=fps, frame_start=frame_start, limits=limits, source=source)
