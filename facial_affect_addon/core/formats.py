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
sub-frame in thousandths of a frame. We write the same layout (rotations as zeros, or without
them) and read either, matching columns case-insensitively.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .capture import CaptureResult
from .curveset import CurveSet
from .emotions import EmotionWeights
from .errors import InputError
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


def _check_header(data: Any, kind: str) -> None:
    if not isinstance(data, Mapping):
        raise InputError(f"A {kind} document must be a JSON object.")
    version = data.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise InputError(f"The {kind} document has no integer 'schema_version'.")
    if version > SCHEMA_VERSION:
        raise InputError(
            f"The {kind} document uses schema_version {version}, newer than this add-on "
            f"reads ({SCHEMA_VERSION}); update the add-on."
        )
    if version < 1:
        raise InputError(f"Invalid schema_version {version}.")
    if data.get("kind") != kind:
        raise InputError(f"Expected a {kind!r} document, got kind {data.get('kind')!r}.")


def _field(obj: Mapping, name: str, where: str, default: Any = ...) -> Any:
    if name not in obj:
        if default is ...:
            raise InputError(f"{where} is missing the field {name!r}.")
        return default
    return obj[name]


def _num(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{where} must be a number, got {value!r}.")
    return float(value)


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
    weights = _field(obj, "weights", where)
    if not isinstance(weights, Mapping):
        raise InputError(f"{where}: 'weights' must map emotion names to numbers.")
    return EmotionEvent(
        _num(_field(obj, "start", where), f"{where} start"),
        _num(_field(obj, "duration", where), f"{where} duration"),
        EmotionWeights.from_mapping(weights),
        _num(_field(obj, "intensity", where, 1.0), f"{where} intensity"),
        str(_field(obj, "label", where, "")),
    )


def _burst(obj: Any, i: int) -> MicroBurst:
    where = f"Micro-expression {i}"
    if not isinstance(obj, Mapping) or not isinstance(obj.get("apex"), Mapping):
        raise InputError(f"{where} must be an object with an 'apex' mapping of AU -> value.")
    apex = {k: _num(v, f"{where} {k}") for k, v in obj["apex"].items()}
    return MicroBurst.from_mapping(
        _num(_field(obj, "start", where), f"{where} start"),
        _num(_field(obj, "duration", where), f"{where} duration"),
        apex,
        str(obj.get("emotion", "")),
    )


def timeline_from_dict(data: Any) -> Timeline:
    """Validate and build a timeline from its JSON form.

    Raises:
        InputError: On a wrong kind or version, missing fields or invalid values.
    """
    _check_header(data, "timeline")
    events, micro = data.get("events", []), data.get("micro", [])
    if not isinstance(events, list) or not isinstance(micro, list):
        raise InputError("'events' and 'micro' must be lists.")
    return Timeline.from_events(
        [_event(e, i) for i, e in enumerate(events)], [_burst(b, i) for i, b in enumerate(micro)]
    )


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


def curves_from_dict(data: Any) -> CurveSet:
    """Validate and build a curve set from its JSON form.

    Raises:
        InputError: On a wrong kind or version, missing fields, non-numeric or non-finite
            values, or channels of different lengths.
    """
    _check_header(data, "curves")
    channels = _field(data, "channels", "The curves document")
    if not isinstance(channels, Mapping):
        raise InputError("'channels' must map shape-key names to lists of numbers.")
    arrays = {}
    for name, values in channels.items():
        try:
            arr = np.asarray(values, dtype=float)
        except (TypeError, ValueError):
            raise InputError(f"Channel {name!r} must be a list of numbers.") from None
        if arr.ndim != 1 or not np.all(np.isfinite(arr)):
            raise InputError(f"Channel {name!r} must be a flat list of finite numbers.")
        arrays[str(name)] = arr
    frame_start = _num(_field(data, "frame_start", "The curves document"), "frame_start")
    if frame_start != int(frame_start):
        raise InputError(f"frame_start must be a whole number, got {frame_start}.")
    fps = _num(_field(data, "fps", "The curves document"), "fps")
    warnings = tuple(str(w) for w in data.get("warnings", []))
    return CurveSet(int(frame_start), fps, arrays, warnings).validated()


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


def capture_from_dict(data: Any) -> CaptureResult:
    """Validate and build a landmark capture from its JSON form.

    Raises:
        InputError: On a wrong kind or version, missing fields or inconsistent shapes.
    """
    _check_header(data, "capture")
    where = "The capture document"
    try:
        times = np.asarray(_field(data, "times", where), dtype=float)
        names = tuple(str(n) for n in _field(data, "names", where))
        weights = np.asarray(_field(data, "weights", where), dtype=float).reshape(
            len(times), len(names)
        )
        valid = np.asarray(_field(data, "valid", where), dtype=bool).reshape(len(times))
        rotation = data.get("head_rotation")
        rotation = None if rotation is None else np.asarray(rotation, float).reshape(-1, 3)
        neutral = int(_num(_field(data, "neutral_index", where), "neutral_index"))
    except (TypeError, ValueError) as exc:
        raise InputError(f"{where} is malformed ({exc}).") from None
    if times.ndim != 1 or len(times) < 1 or not np.all(np.isfinite(weights)):
        raise InputError(f"{where} needs at least one sample and finite weights.")
    if not 0 <= neutral < len(times) or (rotation is not None and len(rotation) != len(times)):
        raise InputError(f"{where} has an out-of-range neutral frame or rotation track.")
    warnings = tuple(str(w) for w in data.get("warnings", []))
    return CaptureResult(times, names, weights, neutral, valid, rotation, warnings)


def _write_json(data: dict, path: str | os.PathLike) -> None:
    Path(path).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def _read_json(path: str | os.PathLike) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"Cannot read {str(path)!r}: {exc.strerror}.") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{str(path)!r} is not valid JSON: {exc}.") from None


def save_timeline(timeline: Timeline, path: str | os.PathLike) -> None:
    """Write a timeline as JSON."""
    _write_json(timeline_to_dict(timeline), path)


def load_timeline(path: str | os.PathLike) -> Timeline:
    """Read and validate a timeline JSON file. Raises InputError on any problem."""
    return timeline_from_dict(_read_json(path))


def save_curves(curves: CurveSet, path: str | os.PathLike) -> None:
    """Write a curve set as JSON."""
    _write_json(curves_to_dict(curves), path)


def load_curves(path: str | os.PathLike) -> CurveSet:
    """Read and validate a curves JSON file. Raises InputError on any problem."""
    return curves_from_dict(_read_json(path))


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


def parse_timecode(text: str) -> tuple[int, int, int, float]:
    """Split ``HH:MM:SS:FF[.mmm]`` into (hours, minutes, seconds, frames incl. sub-frame).

    Raises:
        InputError: If the text is not such a timecode.
    """
    parts = str(text).strip().split(":")
    try:
        if len(parts) != 4:
            raise ValueError
        h, m, s = (int(p) for p in parts[:3])
        ff, _, sub = parts[3].partition(".")
        frames = int(ff) + (int(sub) / 10 ** len(sub) if sub else 0.0)
    except ValueError:
        raise InputError(f"Bad timecode {text!r}; expected HH:MM:SS:FF.mmm.") from None
    return h, m, s, frames


def live_link_csv_text(curves: CurveSet, *, include_rotations: bool = True) -> tuple[str, list]:
    """The Live Link Face CSV text of a curve set, and warnings for channels left out.

    Channels are matched to ARKit names regardless of style (``MouthSmile_L`` is
    ``MouthSmileLeft``); ARKit shapes the set lacks are written as 0.

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
    extra = ["0"] * len(ROTATION_COLUMNS) if include_rotations else []
    header += list(ROTATION_COLUMNS) if include_rotations else []
    count = str(len(ARKIT_52) + len(extra))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for i in range(n):
        row = [f"{v:.8f}" for v in table[i]]
        writer.writerow([format_timecode(i, clean.fps), count, *row, *extra])
    return buf.getvalue(), warnings


def write_live_link_csv(
    curves: CurveSet, path: str | os.PathLike, *, include_rotations: bool = True
) -> list[str]:
    """Write a Live Link Face CSV (see :func:`live_link_csv_text`); returns the warnings."""
    text, warnings = live_link_csv_text(curves, include_rotations=include_rotations)
    Path(path).write_text(text, encoding="utf-8", newline="")
    return warnings


def _infer_fps(codes: list[tuple[int, int, int, float]]) -> float | None:
    secs = {h * 3600 + m * 60 + s for h, m, s, _ in codes}
    if len(secs) < 2:
        return None
    return float(int(max(f for *_, f in codes)) + 1)


def _csv_rows(text: str) -> tuple[list[str], list[list[str]]]:
    rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    if len(rows) < 2:
        raise InputError("The CSV has no data rows; export a take from Live Link Face.")
    return [c.strip() for c in rows[0]], rows[1:]


def parse_live_link_csv(text: str, *, fps: float | None = None, frame_start: int = 1) -> CurveSet:
    """Parse Live Link Face CSV text into a :class:`CurveSet` keyed by ARKit names.

    Args:
        text: The CSV text.
        fps: The take's timecode frame rate; inferred from the largest ``FF`` when the take
            spans a second boundary, else :data:`DEFAULT_LIVE_LINK_FPS`.
        frame_start: Scene frame of the first sample.

    Returns:
        Curves at ``fps`` on a uniform grid (rows are placed by timecode and interpolated
        linearly; without usable timecodes each row is one frame).

    Raises:
        InputError: On a missing header, no blendshape columns or non-numeric values.
    """
    header, rows = _csv_rows(text)
    index = {normalize_name(h): i for i, h in enumerate(header)}
    cols = {n: index[normalize_name(n)] for n in ARKIT_52 if normalize_name(n) in index}
    if not cols:
        raise InputError("No ARKit blendshape columns (e.g. 'EyeBlinkLeft') in the CSV header.")
    absent = [n for n in ARKIT_52 if n not in cols]
    warnings = [f"CSV columns read as 0 (absent): {', '.join(absent)}."] if absent else []
    data = np.zeros((len(rows), len(ARKIT_52)))
    for r, row in enumerate(rows):
        for j, name in enumerate(ARKIT_52):
            if name in cols:
                try:
                    data[r, j] = float(row[cols[name]])
                except (ValueError, IndexError):
                    raise InputError(f"CSV row {r + 2}: bad value for {name}.") from None
    if not np.all(np.isfinite(data)):
        raise InputError("The CSV contains NaN or infinite blendshape values.")
    tc = index.get("timecode")
    codes = [parse_timecode(row[tc]) for row in rows] if tc is not None else []
    rate = float(fps) if fps else (_infer_fps(codes) if codes else None) or DEFAULT_LIVE_LINK_FPS
    if not np.isfinite(rate) or rate <= 0:
        raise InputError(f"Frame rate must be positive, got {rate}.")
    t = np.array([h * 3600 + m * 60 + s + f / rate for h, m, s, f in codes]) if codes else None
    if t is not None and len(t) > 1 and np.all(np.diff(t) > 0):
        t -= t[0]
        grid = np.arange(int(np.rint(t[-1] * rate)) + 1) / rate
        data = sample_linear(t, data, grid)
    elif t is not None and len(t) > 1:
        warnings.append("Timecodes are not increasing; each CSV row was taken as one frame.")
    channels = {name: np.clip(data[:, j], 0.0, 1.0) for j, name in enumerate(ARKIT_52)}
    return CurveSet(int(frame_start), rate, channels, tuple(warnings))


def read_live_link_csv(
    path: str | os.PathLike, *, fps: float | None = None, frame_start: int = 1
) -> CurveSet:
    """Read a Live Link Face CSV file (see :func:`parse_live_link_csv`).

    Raises:
        InputError: If the file cannot be read or parsed.
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"Cannot read {str(path)!r}: {exc.strerror}.") from None
    return parse_live_link_csv(text, fps=fps, frame_start=frame_start)
