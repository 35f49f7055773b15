"""The studio's CSV of takes → audience scores, and the take files it names.

**CSV columns** (header row required; one row per take):

* ``sequence`` (required): the take file, relative to the CSV's folder. Either
  - ``.npy``: a float (T, C) array of AU intensities; its channel names come from the
    ``channels`` column or ``--channels``, its frame rate from ``fps`` or ``--fps``;
  - ``.json``: one of our documents: a curves document (``"kind": "curves"``, e.g. AU curves
    exported by the CLI), a landmark capture (``"kind": "capture"``: ARKit-style weights per
    sampled frame), or a performance/analysis JSON written with its ``timeline_events``
    (``cli text/audio/video ... --out``), whose AU curves are synthesised at ``--fps``.
* ``engagement`` (required): ``low``, ``medium`` or ``high`` (or 0/1/2).
* ``resonance``, ``shareability`` (required): numbers, any scale (standardised for training,
  reported back in the CSV's units).
* ``split`` (optional): ``test`` rows are never trained on, only scored at the end.
* ``fps``, ``channels`` (optional, for ``.npy`` takes): frame rate; channel names separated
  by spaces, commas or semicolons.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facial_affect_addon.core.errors import InputError
from facial_affect_addon.core.facs import AU_CHANNELS
from facial_affect_addon.core.formats import capture_from_dict, curves_from_dict
from facial_affect_addon.core.synthesis import synthesize_au
from facial_affect_addon.ml.communication_net import ENGAGEMENT_LABELS
from facial_affect_addon.pipeline.performance import performance_from_json


@dataclass(frozen=True)
class Take:
    """One CSV row with its curves loaded.

    Attributes:
        curves: (T, C) intensities.
        channels: The C channel names.
        fps: Frame rate of ``curves``.
        engagement: Index into :data:`ENGAGEMENT_LABELS`.
        resonance: Audience resonance score.
        shareability: Audience shareability score.
        test: True for ``split = test`` rows.
        source: The take file.
    """

    curves: np.ndarray
    channels: tuple[str, ...]
    fps: float
    engagement: int
    resonance: float
    shareability: float
    test: bool
    source: Path


def _engagement(value: str, where: str) -> int:
    v = value.strip().lower()
    if v in ENGAGEMENT_LABELS:
        return ENGAGEMENT_LABELS.index(v)
    if v in ("0", "1", "2"):
        return int(v)
    raise InputError(f"{where}: engagement must be low/medium/high or 0/1/2, got {value!r}.")


def _number(row: dict, key: str, where: str) -> float:
    try:
        value = float(row[key])
    except (KeyError, TypeError, ValueError):
        raise InputError(f"{where}: '{key}' must be a number, got {row.get(key)!r}.") from None
    if not np.isfinite(value):
        raise InputError(f"{where}: '{key}' is not finite.")
    return value


def read_json_take(path: Path, fps: float) -> tuple[np.ndarray, tuple[str, ...], float]:
    """AU curves of one of our JSON documents (curves, capture or performance)."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    kind = doc.get("kind") if isinstance(doc, dict) else None
    if kind == "curves":
        cs = curves_from_dict(doc)
        names = tuple(cs.channels)
        return np.stack([cs.channels[n] for n in names], axis=1), names, float(cs.fps)
    if kind == "capture":
        cap = capture_from_dict(doc)
        step = float(np.median(np.diff(cap.times))) if len(cap.times) > 1 else 1.0 / fps
        return np.asarray(cap.weights, float), tuple(cap.names), 1.0 / step
    if isinstance(doc, dict) and "timeline_events" in doc:
        au = synthesize_au(performance_from_json(doc).timeline, fps=fps)
        return au.values, AU_CHANNELS, float(au.fps)
    raise InputError(
        f"{path.name}: not a curves, capture or performance document with timeline_events."
    )


def read_take(row: dict, root: Path, where: str, channels: str, fps: float) -> Take:
    """Load one CSV row's take (see the module docstring for the columns)."""
    name = (row.get("sequence") or "").strip()
    if not name:
        raise InputError(f"{where}: the 'sequence' column is empty.")
    path = root / name
    if not path.is_file():
        raise InputError(f"{where}: {name} does not exist.")
    take_fps = float(row.get("fps") or fps)
    if path.suffix.lower() == ".npy":
        x = np.load(path, allow_pickle=False).astype(np.float64)
        names = tuple(n for n in re.split(r"[\s,;]+", row.get("channels") or channels) if n)
        if x.ndim != 2 or x.shape[1] != len(names):
            raise InputError(
                f"{where}: {name} is {x.shape}, expected (T, {len(names)}) for {names}."
            )
    elif path.suffix.lower() == ".json":
        x, names, take_fps = read_json_take(path, take_fps)
    else:
        raise InputError(f"{where}: {name} is neither .npy nor .json.")
    return Take(
        x,
        names,
        take_fps,
        _engagement(row.get("engagement", ""), where),
        _number(row, "resonance", where),
        _number(row, "shareability", where),
        (row.get("split") or "").strip().lower() == "test",
        path,
    )


def read_csv(path: Path, channels: str = "", fps: float = 24.0) -> list[Take]:
    """Every take of the studio CSV at ``path``.

    Args:
        path: The CSV.
        channels: Channel names for ``.npy`` takes without a ``channels`` column.
        fps: Frame rate for ``.npy`` takes without an ``fps`` column, and the synthesis rate of
            performance documents.

    Raises:
        InputError: On a missing file or column, or an unreadable row.
    """
    if not path.is_file():
        raise InputError(f"{path} does not exist.")
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise InputError(f"{path.name} has no rows.")
    missing = {"sequence", "engagement", "resonance", "shareability"} - set(rows[0])
    if missing:
        raise InputError(f"{path.name} lacks the column(s) {', '.join(sorted(missing))}.")
    return [
        read_take(r, path.parent, f"{path.name} row {i + 2}", channels, fps)
        for i, r in enumerate(rows)
    ]
