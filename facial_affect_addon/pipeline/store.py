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


def decode(text: str) -> Performance:
    """Rebuild a performance from :func:`encode`'s string (or the older JSON form).

    Raises:
        InputError: The text is not a stored performance.
    """
    if text.lstrip().startswith("{"):
        try:
            return performance_from_json(json.loads(text))
        except ValueError as exc:
            raise InputError(f"The stored analysis is unreadable ({exc}); analyse again.") from None
    if not text.startswith(PREFIX):
        raise InputError("The stored analysis is in an unknown format; analyse again.")
    try:
        raw = base64.b64decode(text[len(PREFIX) :], validate=True)
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
        doc = json.loads(arrays.pop("doc").tobytes().decode("utf-8"))
    except (ValueError, KeyError, OSError, binascii.Error, zipfile.BadZipFile) as exc:
        raise InputError(f"The stored analysis is unreadable ({exc}); analyse again.") from None
    return performance_from_json(doc, _capture(doc.get("capture_meta"), arrays))


def _capture(meta, arrays: dict[str, np.ndarray]) -> CaptureResult | None:
    if meta is None:
        return None
    try:
        names = tuple(str(n) for n in meta["names"])
        weights = arrays["weights"].astype(np.float64).reshape(len(arrays["times"]), len(names))
        rotation = arrays.get("head_rotation")
        return CaptureResult(
            arrays["times"],
            names,
            weights,
            int(meta["neutral_index"]),
            arrays["valid"],
            None if rotation is None else rotation.astype(np.float64),
            tuple(str(w) for w in meta.get("warnings", ())),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"The stored capture is unreadable ({exc}); analyse again.") from None


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
