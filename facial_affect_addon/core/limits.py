"""Reading files we did not write: size and count caps, text encoding, JSON nesting depth.

Every importer (Live Link Face CSV, the curves / timeline / capture JSON documents, rig profiles)
reads through here, so a hostile or broken file is refused with one :class:`~.errors.InputError`
that names the file and what to do, *before* anything large is allocated.

The caps are generous (hours of 60 fps capture fit easily) and live in :class:`Limits`; every
reader takes ``limits=`` so a test can lower them instead of building gigabyte files:

======================  ==============  ===================================================
cap                     default         why
======================  ==============  ===================================================
``max_bytes``           256 MiB         file size; a Live Link take is ~160 MB per hour
``max_rows``            1,000,000       CSV data rows (4.6 h at 60 fps)
``max_channels``        1,024           curves per document, CSV columns, profile keys
``max_frames``          1,000,000       samples per channel after resampling
``max_samples``         64,000,000      frames x channels (512 MB of float64)
``max_duration_s``      4 h             a take's length, whatever its frame rate
``max_items``           100,000         timeline events, micro-expressions, profile pairs
``max_depth``           64              JSON nesting (our documents nest at most 5 deep)
======================  ==============  ===================================================

Also refused: a CSV field longer than the csv module's limit (131,072 characters), a frame
rate outside (0, :data:`MAX_FPS`], a frame number beyond Blender's :data:`MAX_FRAME_NUMBER`, a
time code outside ``00-99:00-59:00-59:FF`` (``FF`` below :data:`MAX_FPS`), JSON ``NaN`` and
``Infinity``, integers over 4,300 digits. Rig profiles have their own, smaller file cap
(:data:`.rig_profile.MAX_PROFILE_BYTES`).

Text must be UTF-8 (a byte-order mark is accepted and dropped); UTF-16/32 and legacy 8-bit
encodings are refused by name, with the advice to re-save as UTF-8.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InputError

MAX_FPS = 1000.0
"""Highest frame rate a file may declare (Live Link Face records at most 60)."""
MAX_FRAME_NUMBER = 1_048_574
"""Blender's last frame (``MAXFRAME``): frame numbers beyond it cannot be keyed."""
MAX_WARNINGS = 100
"""Warnings kept from a document (the rest are dropped); each is cut to :data:`MAX_TEXT`."""
MAX_TEXT = 300
"""Characters of a file-supplied label or warning that are kept or echoed in a message."""
MAX_NAME_CHARS = 200
"""Longest emotion, AU, channel or key name a document may use."""


@dataclass(frozen=True)
class Limits:
    """Caps on what an importer accepts (see the module docstring for the defaults' reasons)."""

    max_bytes: int = 256 * 2**20
    max_rows: int = 1_000_000
    max_channels: int = 1024
    max_frames: int = 1_000_000
    max_samples: int = 64_000_000
    max_duration_s: float = 4 * 3600.0
    max_items: int = 100_000
    max_depth: int = 64


DEFAULT_LIMITS = Limits()


def clip_text(value: object, limit: int = MAX_TEXT) -> str:
    """``str(value)``, cut to ``limit`` characters with an ellipsis (for echoing file content)."""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def finite_number(value: Any, what: str) -> float:
    """``value`` as a float if it is a finite JSON number (not a bool).

    Raises:
        InputError: Naming ``what`` and the (clipped) value.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{what} must be a number, got {clip_text(repr(value), 60)}.")
    try:
        number = float(value)
    except OverflowError:  # an int too large for a float
        number = math.inf
    if not math.isfinite(number):
        raise InputError(f"{what} must be a finite number, got {clip_text(repr(value), 60)}.")
    return number


def check_count(count: int, cap: int, what: str, source: str) -> None:
    """Refuse ``count`` things over ``cap``.

    Raises:
        InputError: ``"<source> has <count> <what>; at most <cap> are read ..."``.
    """
    if count > cap:
        raise InputError(
            f"{source} has more than {cap:,} {what} (the limit); split it into smaller files."
        )


def _encoding_guess(data: bytes) -> str | None:
    """The encoding of bytes that are certainly not UTF-8 text, or None (then try UTF-8)."""
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "UTF-32"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16"
    head = data[:4096]
    if head and head.count(0) * 4 >= len(head):  # ASCII as UTF-16 is half NULs: valid UTF-8
        return "UTF-16"
    return None


def decode_text(data: bytes, source: str) -> str:
    """Decode UTF-8 bytes (with or without a byte-order mark).

    Raises:
        InputError: The bytes are UTF-16/32 or another encoding, named in the message.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    guess = _encoding_guess(data)
    if guess is None:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            guess = "Latin-1 / Windows-1252"
    raise InputError(
        f"{source} is not UTF-8 text (it looks like {guess}); save it as UTF-8 and try again."
    )


def read_text(path: str | os.PathLike, source: str, limits: Limits = DEFAULT_LIMITS) -> str:
    """Read a UTF-8 text file of at most ``limits.max_bytes``.

    Args:
        path: The file.
        source: How messages name it (e.g. ``"Curves file 'x.json'"``).
        limits: The caps.

    Raises:
        InputError: The file is missing, unreadable, not a file, too large or not UTF-8.
    """
    path = Path(path)
    try:
        if not path.exists():
            raise InputError(f"Cannot read {source}: there is no such file; check the path.")
        if not path.is_file():
            raise InputError(f"Cannot read {source}: it is not a file; choose a file.")
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise InputError(
                f"{source} is {size / 2**20:,.1f} MiB, over the {limits.max_bytes / 2**20:,.1f} "
                "MiB limit; split it into smaller files."
            )
        with path.open("rb") as f:
            data = f.read(limits.max_bytes + 1)  # a file that grows meanwhile is still capped
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        raise InputError(
            f"Cannot read {source}: {getattr(exc, 'strerror', None) or exc}."
        ) from None
    if len(data) > limits.max_bytes:
        raise InputError(f"{source} is over the {limits.max_bytes:,}-byte limit; split it.")
    return decode_text(data, source)


def check_header(data: Any, version_read: int, kind: str) -> None:
    """Refuse a JSON document that is not an object of ``kind`` at a version we read.

    Raises:
        InputError: Not an object, no integer ``schema_version``, a newer or invalid version,
            or another ``kind``.
    """
    if not isinstance(data, Mapping):
        raise InputError(f"A {kind} document must be a JSON object.")
    version = data.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise InputError(f"The {kind} document has no integer 'schema_version'.")
    if version > version_read:
        raise InputError(
            f"The {kind} document uses schema_version {version}, newer than this add-on "
            f"reads ({version_read}); update the add-on."
        )
    if version < 1:
        raise InputError(f"Invalid schema_version {version}.")
    if data.get("kind") != kind:
        got = clip_text(repr(data.get("kind")), 60)
        raise InputError(f"Expected a {kind!r} document, got kind {got}.")


def document_field(obj: Mapping, name: str, where: str, default: Any = ...) -> Any:
    """``obj[name]``, or ``default``; without a default a missing field is an InputError."""
    if name not in obj:
        if default is ...:
            raise InputError(f"{where} is missing the field {name!r}.")
        return default
    return obj[name]


def as_list(value: Any, where: str) -> list:
    """``value`` if it is a JSON list (not a string or an object), else an InputError."""
    if not isinstance(value, list):
        raise InputError(f"{where} must be a list, got {type(value).__name__}.")
    return value


def number_map(value: Any, where: str) -> dict[str, float]:
    """A JSON object of name -> finite number (names up to :data:`MAX_NAME_CHARS`) or an error."""
    if not isinstance(value, Mapping):
        raise InputError(f"{where} must map names to numbers, got {type(value).__name__}.")
    for name in value:
        if len(str(name)) > MAX_NAME_CHARS:
            raise InputError(f"{where}: the name {clip_text(name, 40)!r} is too long.")
    return {str(k): finite_number(v, f"{where}: {k!r}") for k, v in value.items()}


def document_warnings(data: Mapping) -> tuple[str, ...]:
    """A document's warnings: a list of strings, the first few kept, each clipped."""
    items = as_list(data.get("warnings", []), "'warnings'")
    return tuple(clip_text(w) for w in items[:MAX_WARNINGS])


def frame_rate(value: Any, where: str) -> float:
    """A finite frame rate in (0, :data:`MAX_FPS`], else an InputError."""
    fps = finite_number(value, where)
    if not 0 < fps <= MAX_FPS:
        raise InputError(f"{where} must be above 0 and at most {MAX_FPS:g} fps, got {fps:g}.")
    return fps


def frame_number(value: Any, where: str) -> int:
    """A whole, finite frame number Blender can key, else an InputError."""
    start = finite_number(value, where)
    if start != int(start) or abs(start) > MAX_FRAME_NUMBER:
        raise InputError(
            f"{where} must be a whole frame number within ±{MAX_FRAME_NUMBER:,}, got {start:g}."
        )
    return int(start)


def check_duration(seconds: float, where: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a take or timeline longer than ``limits.max_duration_s``."""
    if seconds > limits.max_duration_s:
        raise InputError(
            f"{where} lasts {seconds / 3600:,.1f} h, over the "
            f"{limits.max_duration_s / 3600:g} h limit; split it."
        )


def check_take_length(n_frames: int, fps: float, start: int, where: str, limits: Limits) -> None:
    """Refuse a take longer than the duration cap or ending after Blender's last frame."""
    check_duration(n_frames / fps, where, limits)
    if start + n_frames - 1 > MAX_FRAME_NUMBER:
        raise InputError(f"{where} ends after Blender's last frame ({MAX_FRAME_NUMBER:,}).")


def check_resample(
    n_frames: int,
    fps: float,
    to_fps: float,
    n_channels: int,
    start: int,
    where: str,
    limits: Limits = DEFAULT_LIMITS,
) -> None:
    """Refuse re-timing ``n_frames`` at ``fps`` to ``to_fps`` if the result would be over a cap.

    Raises:
        InputError: The re-timed take has too many frames or samples, or ends after Blender's
            last frame.
    """
    n_new = math.floor((n_frames - 1) / fps * to_fps) + 1 if n_frames else 0
    where_at = f"{where} at {to_fps:g} fps"
    check_count(n_new, limits.max_frames, "frames", where_at)
    check_count(n_new * n_channels, limits.max_samples, "samples", where_at)
    check_take_length(n_new, to_fps, start, where_at, limits)


def number_array(values: Sequence, where: str, ndim: int = 1) -> np.ndarray:
    """A list of finite JSON numbers (nested ``ndim`` deep) as a float array, else an error."""
    shape = "flat list" if ndim == 1 else "list of lists"
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError):  # ragged nesting
        arr = None
    if arr is None or arr.ndim != ndim or (arr.size and arr.dtype.kind not in "iuf"):
        raise InputError(f"{where} must be a {shape} of numbers.")
    arr = arr.astype(float)
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{where} must hold finite numbers only.")
    return arr


# A bracket or the start of a string (a character set: the regex engine skips to it fast), and
# the rest of a string after its opening quote (escapes included).
_JSON_TOKEN = re.compile(r'[\[\]{}"]')
_STRING_REST = re.compile(r'[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)


def check_json_depth(text: str, source: str, max_depth: int) -> None:
    """Refuse JSON text nested deeper than ``max_depth`` (scanned iteratively, before parsing).

    Brackets inside strings do not count. Costs about a tenth of ``json.loads``.

    Raises:
        InputError: The nesting is too deep.
    """
    depth, pos = 0, 0
    while (match := _JSON_TOKEN.search(text, pos)) is not None:
        token, pos = match.group(), match.end()
        if token == '"':
            rest = _STRING_REST.match(text, pos)
            if rest is None:
                return  # an unterminated string: json.loads reports it
            pos = rest.end()
        elif token in "[{":
            depth += 1
            if depth > max_depth:
                raise InputError(
                    f"{source} is nested more than {max_depth} levels deep; "
                    "it is not a document this add-on reads."
                )
        else:
            depth -= 1


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def parse_json(text: str, source: str, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Parse JSON text after the depth check; ``NaN``/``Infinity`` are refused.

    Raises:
        InputError: Not JSON, too deep, or a non-standard constant.
    """
    check_json_depth(text, source, limits.max_depth)
    try:
        return json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise InputError(f"{source} is nested too deeply to read.") from None
    except ValueError as exc:  # JSONDecodeError, 4300-digit integers, NaN
        detail = clip_text(exc, 120)
        raise InputError(f"{source} is not valid JSON ({detail}); check or re-export it.") from None


def read_json(path: str | os.PathLike, source: str, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Read and parse a UTF-8 JSON file under ``limits`` (see :func:`read_text`)."""
    return parse_json(read_text(path, source, limits), source, limits)


_LINE = re.compile(r"[^\n]*\n|[^\n]+\Z")


def csv_rows(text: str, source: str, limits: Limits = DEFAULT_LIMITS) -> Iterator[list[str]]:
    """The non-blank rows of CSV text, refusing too many rows or columns, or overlong fields.

    The header counts as a row here; at most ``limits.max_rows`` data rows follow it.

    Raises:
        InputError: Over a cap, or a field longer than the csv module's limit.
    """
    # Lines as slices of ``text``: io.StringIO would hold a 4-byte-per-character copy of it.
    reader = csv.reader(m.group() for m in _LINE.finditer(text))
    n = 0
    try:
        for row in reader:
            if not any(c.strip() for c in row):
                continue
            n += 1
            check_count(n - 1, limits.max_rows, "rows", source)
            check_count(len(row), limits.max_channels, "columns", source)
            yield row
    except csv.Error as exc:
        line = reader.line_num
        if "field larger than field limit" in str(exc):
            raise InputError(
                f"{source}, line {line}: a field is longer than {csv.field_size_limit():,} "
                "characters; this is not a Live Link Face CSV."
            ) from None
        raise InputError(f"{source}, line {line}: {clip_text(exc, 120)}.") from None
