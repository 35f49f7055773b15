"""Keep an analysed performance for Bake: in memory, and compactly inside the .blend.

The last analyses live in memory, keyed by a token, so Bake never parses anything in the
common case. For the .blend (reopening a file, undo) a performance is encoded as one ASCII
string: the small JSON document (segments, exact timeline, models, warnings) plus the landmark
capture as float32 arrays, in a compressed ``.npz``, base64-encoded. A 10-minute capture at
30 frames/s (18,000 × 22 weights) takes about 2 MB instead of the 6+ MB of JSON numbers it used
to, and decoding is a ``base64`` + ``zlib`` pass and one ``frombuffer`` per array, O(size) with
no per-number parsing. Float32 keeps captured weights to ~1e-7, finer than the 1e-4 the JSON
form rounded to.

Strings written before this format (a plain JSON document starting with ``{``) still load.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import threading
import uuid
import zipfile
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from ..core import limits as lim
from ..core.capture import CaptureResult
from ..core.errors import InputError
from .performance import Performance, performance_from_json, performance_to_json

PREFIX = "faceaff-performance/2;"
_CACHE_SIZE = 4
_cache: OrderedDict[str, Performance] = OrderedDict()
_lock = threading.Lock()  # keep() runs on worker threads


@dataclass(frozen=True)
class StoredPerformance:
    """A performance ready to keep: its memory token and its compact text for the .blend."""

    token: str
    text: str


def encode(performance: Performance) -> str:
    """The performance as one compact ASCII string (see the module docstring)."""
    doc = performance_to_json(performance, with_timeline=True, with_capture=False)
    arrays: dict[str, np.ndarray] = {}
    capture = performance.capture
    if capture is not None:
        doc["capture_meta"] = {
            "names": list(capture.names),
            "neutral_index": int(capture.neutral_index),
            "warnings": list(capture.warnings),
        }
        arrays["times"] = np.asarray(capture.times, dtype=np.float64)
        arrays["weights"] = np.asarray(capture.weights, dtype=np.float32)
        arrays["valid"] = np.asarray(capture.valid, dtype=bool)
        if capture.head_rotation is not None:
            arrays["head_rotation"] = np.asarray(capture.head_rotation, dtype=np.float32)
    arrays["doc"] = np.frombuffer(json.dumps(doc).encode("utf-8"), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return PREFIX + base64.b64encode(buffer.getvalue()).decode("ascii")


MAX_STORED_BYTES = lim.DEFAULT_LIMITS.max_samples * 8
"""Most bytes the stored arrays may unpack to (a 4-hour 60 fps capture is about 200 MB)."""
_ARRAYS = {"doc", "times", "weights", "valid", "head_rotation"}
_UNREADABLE = "The stored analysis is unreadable"


def _parse_doc(text: str) -> dict:
    """The stored JSON document, depth-checked before parsing; it must be an object.

    Raises:
        InputError: Not JSON, nested too deeply, or not an object.
    """
    try:
        doc = lim.parse_json(text, "The stored analysis")
    except InputError as exc:  # too deep, not JSON, NaN: the message names the stored analysis
        reason = str(exc).removesuffix(".").removesuffix("; check or re-export it")
        raise InputError(f"{reason}; analyse again.") from None
    if not isinstance(doc, dict):
        kind = type(doc).__name__
        raise InputError(f"{_UNREADABLE} (a JSON {kind}, not an object); analyse again.")
    return doc


def decode(text: str) -> Performance:
    """Rebuild a performance from :func:`encode`'s string (or the older JSON form).

    The string comes from a .blend, which anyone may have edited: its JSON is depth-checked,
    the arrays' unpacked size is capped (:data:`MAX_STORED_BYTES`) before they are read, and
    every value is type- and range-checked.

    Raises:
        InputError: The text is not a stored performance.
    """
    if not isinstance(text, str):
        raise InputError("The stored analysis is in an unknown format; analyse again.")
    if text.lstrip().startswith("{"):
        return performance_from_json(_parse_doc(text))
    if not text.startswith(PREFIX):
        raise InputError("The stored analysis is in an unknown format; analyse again.")
    try:
        raw = base64.b64decode(text[len(PREFIX) :], validate=True)
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
            names = set(npz.files)
            if "doc" not in names or not names <= _ARRAYS:
                raise InputError(f"{_UNREADABLE} (unexpected contents); analyse again.")
            unpacked = sum(info.file_size for info in npz.zip.infolist())
            if unpacked > MAX_STORED_BYTES:
                raise InputError(
                    f"The stored analysis unpacks to {unpacked / 2**20:,.0f} MiB, over the "
                    f"{MAX_STORED_BYTES / 2**20:,.0f} MiB limit; analyse again."
                )
            arrays = {name: npz[name] for name in npz.files}
        if not all(isinstance(a, np.ndarray) for a in arrays.values()):  # raw bytes, not .npy
            raise InputError(f"{_UNREADABLE} (a member is not an array); analyse again.")
        doc_bytes = arrays.pop("doc")
        if doc_bytes.dtype != np.uint8 or doc_bytes.ndim != 1:
            raise InputError(f"{_UNREADABLE} (its document is not text); analyse again.")
        doc_text = doc_bytes.tobytes().decode("utf-8")
    except InputError:
        raise
    except (ValueError, KeyError, OSError, EOFError, binascii.Error, zipfile.BadZipFile) as exc:
        detail = lim.clip_text(exc, 120)
        raise InputError(f"{_UNREADABLE} ({detail}); analyse again.") from None
    doc = _parse_doc(doc_text)
    return performance_from_json(doc, _capture(doc.get("capture_meta"), arrays))


def _capture(meta, arrays: dict[str, np.ndarray]) -> CaptureResult | None:
    """The capture from its metadata and arrays, every shape and value checked.

    Raises:
        InputError: Missing or inconsistent parts, or NaN/infinite times or weights.
    """
    if meta is None:
        return None
    where = "The stored capture"
    try:
        if not isinstance(meta, dict):
            raise InputError(f"{where} has no metadata object.")
        names = lim.as_list(lim.document_field(meta, "names", where), "Its 'names'")
        if not all(isinstance(n, str) for n in names):
            raise InputError(f"{where}: 'names' must be a list of strings.")
        lim.check_count(len(names), lim.DEFAULT_LIMITS.max_channels, "names", where)
        times = np.asarray(arrays["times"], dtype=np.float64)
        n = len(times) if times.ndim == 1 else -1
        weights = np.asarray(arrays["weights"]).astype(np.float64)
        valid = np.asarray(arrays["valid"])
        rotation = arrays.get("head_rotation")
        if n < 1 or weights.shape != (n, len(names)) or valid.shape != (n,):
            raise InputError(f"{where} has arrays of inconsistent shapes.")
        if valid.dtype != np.bool_:
            raise InputError(f"{where}: 'valid' must be true/false values.")
        if rotation is not None:
            rotation = np.asarray(rotation).astype(np.float64)
            if rotation.shape != (n, 3) or not np.all(np.isfinite(rotation)):
                raise InputError(f"{where} has an invalid head rotation track.")
        if not (np.all(np.isfinite(times)) and np.all(np.isfinite(weights))):
            raise InputError(f"{where} holds NaN or infinite values.")
        neutral = lim.finite_number(lim.document_field(meta, "neutral_index", where), "neutral")
        if neutral != int(neutral) or not 0 <= neutral < n:
            raise InputError(f"{where} has an out-of-range neutral frame.")
        warnings = lim.as_list(meta.get("warnings", []), "Its 'warnings'")
        return CaptureResult(
            times,
            tuple(names),
            weights,
            int(neutral),
            valid,
            rotation,
            tuple(lim.clip_text(w) for w in warnings[: lim.MAX_WARNINGS]),
        )
    except InputError as exc:
        raise InputError(f"{str(exc).removesuffix('.')}; analyse again.") from None
    except (KeyError, TypeError, ValueError) as exc:
        detail = lim.clip_text(exc, 120)
        raise InputError(f"The stored capture is unreadable ({detail}); analyse again.") from None


def keep(performance: Performance) -> StoredPerformance:
    """Remember ``performance`` in memory and encode it for the .blend.

    Safe on a worker thread (plain Python); the caller stores both fields on the scene.
    """
    stored = StoredPerformance(uuid.uuid4().hex, encode(performance))
    remember(stored.token, performance)
    return stored


def remember(token: str, performance: Performance) -> None:
    """Keep ``performance`` under ``token`` (the last few are kept)."""
    with _lock:
        _cache[token] = performance
        _cache.move_to_end(token)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)


def restore(token: str, text: str) -> Performance:
    """The performance stored under ``token``: from memory, else decoded from ``text``.

    Raises:
        InputError: Not in memory and ``text`` is not a stored performance.
    """
    with _lock:
        found = _cache.get(token) if token else None
    if found is None:
        found = decode(text)
        if token:
            remember(token, found)
    return found


def forget() -> None:
    """Drop every performance kept in memory (another file was loaded)."""
    with _lock:
        _cache.clear()
