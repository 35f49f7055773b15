"""Seeded generators of hostile inputs: media files, head files, importer files, and a helper
that draws a fixed list of examples from a hypothesis strategy.

Every generator is a function ``(path, rng) -> Path`` that writes a real file (or folder, link,
FIFO) at ``path``; the test builds it in the case's own folder, so cases never share files.
"""

from __future__ import annotations

import gzip
import io
import json
import math
import os
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

Generator = Callable[[Path, np.random.Generator], Path]


# --- hypothesis as a seeded example source -------------------------------------------------------


def draw(strategy: st.SearchStrategy, n: int, seed_value: int) -> list[Any]:
    """``n`` distinct examples of ``strategy``, the same on every run (fixed seed, no database)."""
    found: list[Any] = []
    seen: set[str] = set()

    @seed(seed_value)
    @settings(
        max_examples=4 * n,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value):
        key = repr(value)
        if key not in seen and len(found) < n:
            seen.add(key)
            found.append(value)

    collect()
    return found


# --- WAV -----------------------------------------------------------------------------------------


def wav_bytes(
    samples: np.ndarray | bytes,
    *,
    rate: int = 16000,
    channels: int = 1,
    bits: int = 16,
    fmt: int = 1,
    riff_size: int | None = None,
    data_size: int | None = None,
    byte_rate: int | None = None,
    block_align: int | None = None,
    fmt_size: int = 16,
) -> bytes:
    """A WAV file whose header says whatever it is told to (a lying header by default truthful)."""
    if isinstance(samples, np.ndarray):
        data = (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()
    else:
        data = samples
    align = block_align if block_align is not None else max(channels * bits // 8, 0)
    rate_bytes = byte_rate if byte_rate is not None else rate * align
    fmt_chunk = struct.pack(
        "<HHIIHH",
        fmt & 0xFFFF,
        channels & 0xFFFF,
        rate & 0xFFFFFFFF,
        rate_bytes & 0xFFFFFFFF,
        align & 0xFFFF,
        bits & 0xFFFF,
    )
    fmt_chunk = fmt_chunk + b"\0" * max(fmt_size - 16, 0)
    body = (
        b"WAVE"
        + b"fmt "
        + struct.pack("<I", fmt_size)
        + fmt_chunk[: max(fmt_size, 0)]
        + b"data"
        + struct.pack("<I", (data_size if data_size is not None else len(data)) & 0xFFFFFFFF)
        + data
    )
    size = riff_size if riff_size is not None else len(body)
    return b"RIFF" + struct.pack("<I", size & 0xFFFFFFFF) + body


def noise(rng: np.random.Generator, seconds: float, rate: int = 16000, level: float = 0.3):
    return rng.normal(0, level, int(seconds * rate)).astype(np.float32)


def tone(seconds: float, rate: int = 16000, hz: float = 440.0):
    t = np.arange(int(seconds * rate)) / rate
    return (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def write_sf(path: Path, samples: np.ndarray, rate: int, fmt: str, subtype: str | None = None):
    import soundfile as sf

    sf.write(str(path), samples, rate, format=fmt, subtype=subtype)
    return path


def encode_audio(path: Path, samples: np.ndarray, rate: int, container: str, codec: str) -> Path:
    """Encode mono float samples with PyAV (mp3, m4a/aac, webm/opus ...)."""
    import av

    with av.open(str(path), "w", format=container) as out:
        stream = out.add_stream(codec, rate=rate)
        stream.layout = "mono"
        fmt = "fltp"
        frame_len = 1024
        for i in range(0, len(samples), frame_len):
            chunk = samples[i : i + frame_len].astype(np.float32)[None, :]
            frame = av.AudioFrame.from_ndarray(chunk, format=fmt, layout="mono")
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


# --- Video ---------------------------------------------------------------------------------------


def encode_video(
    path: Path,
    frames: list[np.ndarray],
    *,
    fps: int = 10,
    container: str | None = None,
    codec: str = "mpeg4",
    pix_fmt: str = "yuv420p",
) -> Path:
    """Write RGB frames with PyAV (an empty list gives a container with a stream and no frames)."""
    import av

    h, w = frames[0].shape[:2] if frames else (64, 64)
    with av.open(str(path), "w", format=container) as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = w, h, pix_fmt
        for image in frames:
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def noise_frames(rng: np.random.Generator, n: int, w: int = 64, h: int = 64) -> list[np.ndarray]:
    return [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for _ in range(n)]


def flat_frames(n: int, value: int, w: int = 64, h: int = 64) -> list[np.ndarray]:
    return [np.full((h, w, 3), value, np.uint8) for _ in range(n)]


def png_bytes(rng: np.random.Generator, w: int = 32, h: int = 32) -> bytes:
    import av

    buf = io.BytesIO()
    with av.open(buf, "w", format="image2pipe") as out:
        stream = out.add_stream("png", rate=1)
        stream.width, stream.height, stream.pix_fmt = w, h, "rgb24"
        image = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buf.getvalue()


def face_frames(n: int) -> list[np.ndarray]:
    """The astronaut photo's face (a real face), ``n`` times, for videos that do find a face."""
    from skimage import data as skdata

    head = skdata.astronaut()[0:256, 96:352]
    return [head.copy() for _ in range(n)]


def truncate(path: Path, fraction: float) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


def corrupt(path: Path, rng: np.random.Generator, n: int = 64, skip: int = 64) -> Path:
    """Overwrite ``n`` random bytes after the first ``skip`` (headers usually still parse)."""
    data = bytearray(path.read_bytes())
    if len(data) > skip:
        idx = rng.integers(skip, len(data), n)
        data_arr = np.frombuffer(bytes(data), np.uint8).copy()
        data_arr[idx] = rng.integers(0, 256, n, dtype=np.uint8)
        data = bytearray(data_arr.tobytes())
    path.write_bytes(bytes(data))
    return path


def garbage(rng: np.random.Generator, n: int, magic: bytes = b"") -> bytes:
    return magic + rng.integers(0, 256, n, dtype=np.uint8).tobytes()


def gzip_bytes(data: bytes) -> bytes:
    return gzip.compress(data)


# --- JSON ----------------------------------------------------------------------------------------


json_leaf = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([1e308, -1e308, 5e-324, 2**63, -(2**63), 1e16, 0.5, 24, 1])
    | st.text(max_size=24)
)
json_any = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=5)
    | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=16,
)


def paths_of(doc: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path in a JSON document (the places a mutation can hit)."""
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += paths_of(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += paths_of(v, (*prefix, i))
    return out


def mutate(doc: Any, path: tuple, op: str, value: Any) -> Any:
    """A copy of ``doc`` with the node at ``path`` replaced, deleted, or given a sibling."""
    doc = json.loads(json.dumps(doc))
    if not path:
        return value if op == "replace" else doc
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if op == "replace":
        parent[last] = value
    elif op == "delete":
        del parent[last]
    elif isinstance(parent, list):
        parent.insert(last, value)
    else:
        parent[f"{last}_extra"] = value
    return doc


def mutations(doc: Any) -> st.SearchStrategy:
    """Documents that differ from ``doc`` at one random place."""
    return st.builds(
        mutate,
        st.just(doc),
        st.sampled_from(paths_of(doc)),
        st.sampled_from(["replace", "replace", "delete", "insert"]),
        json_any,
    )


def dump_json(doc: Any) -> str:
    """JSON as hostile writers write it: NaN and Infinity literals, lone surrogates escaped."""
    return json.dumps(doc, allow_nan=True)


def deep_json(depth: int) -> str:
    return "[" * depth + "]" * depth


def finite(x: float) -> bool:
    return math.isfinite(x)


def mkfifo(path: Path) -> Path:
    os.mkfifo(path)
    return path
