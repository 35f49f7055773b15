"""Micro-expression clips for ``tools/train_micro.py``: our synthetic set and CASME II.

**Synthetic set** (``tools/make_micro_clips.py`` writes it): a labels JSON
``{"format": "micro-clips/1", "clips": [{"file", "head", "heldout", "fps", "frames", "onset",
"apex", "offset", "aus", "emotion", ...}]}`` next to the mp4 files; times are seconds from the
clip's first frame; ``heldout`` clips (held-out heads) are never used for training.

**CASME II** (Yan et al. 2014; users obtain it from its authors): the image folders
``ROOT/sub01/EP02_01f/img46.jpg`` (raw) or ``reg_img46.jpg`` (cropped), and the coding sheet
``CASME2-coding-*.xlsx`` **saved as CSV** (Excel or LibreOffice "Save as CSV"; reading xlsx
would need openpyxl, which the training environment does not carry). Columns used: ``Subject``,
``Filename``, ``OnsetFrame``, ``ApexFrame``, ``OffsetFrame``, ``Action Units``,
``Estimated Emotion``. The whole folder is the clip, at CASME II's 200 fps; an apex coded ``/``
becomes the middle of onset and offset.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facial_affect_addon.core.errors import InputError
from facial_affect_addon.core.facs import AU_CATALOGUE

CASME_FPS = 200.0
SYNTHETIC_FORMAT = "micro-clips/1"
_FACS_TOKEN = re.compile(r"^[LRBTU]?(?:AU)?(\d+)[A-E]?$")
_FRAME_NUMBER = re.compile(r"(\d+)\.(?:jpg|jpeg|png|bmp)$", re.IGNORECASE)


@dataclass(frozen=True)
class ClipRecord:
    """One labelled clip.

    Attributes:
        source: An mp4 file, or a folder of numbered frames (CASME II).
        group: Subject (CASME II) or head (synthetic): the LOSO unit.
        fps: Frame rate.
        onset: Onset in seconds from the first frame; ``apex``, ``offset`` likewise.
        aus: Active AU codes (``"AU12"``...), sides merged.
        emotion: Emotion label (the dataset's own wording, lower case).
        heldout: Never used for training (synthetic held-out heads).
    """

    source: Path
    group: str
    fps: float
    onset: float
    apex: float
    offset: float
    aus: tuple[str, ...]
    emotion: str
    heldout: bool = False


def au_codes(text: str) -> tuple[str, ...]:
    """AU codes in a FACS string such as ``"4+L10"`` or ``"R12A"``; unknown AUs are skipped."""
    codes = []
    for token in re.split(r"[+,\s]+", str(text).upper()):
        m = _FACS_TOKEN.match(token.strip())
        code = f"AU{int(m.group(1))}" if m else ""
        if code in AU_CATALOGUE and code not in codes:
            codes.append(code)
    return tuple(codes)


def synthetic_records(labels: Path) -> list[ClipRecord]:
    """Clips of a synthetic labels JSON.

    Raises:
        InputError: If the file is not a micro-clips labels file.
    """
    try:
        data = json.loads(labels.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{labels}: not a readable labels JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != SYNTHETIC_FORMAT:
        raise InputError(f"{labels}: not a {SYNTHETIC_FORMAT} labels file")
    return [
        ClipRecord(
            source=labels.parent / c["file"],
            group=str(c["head"]),
            fps=float(c["fps"]),
            onset=float(c["onset"]),
            apex=float(c["apex"]),
            offset=float(c["offset"]),
            aus=tuple(c["aus"]),
            emotion=str(c["emotion"]).lower(),
            heldout=bool(c.get("heldout", False)),
        )
        for c in data["clips"]
    ]


def _frame_files(folder: Path) -> list[tuple[int, Path]]:
    found = []
    for f in folder.iterdir():
        m = _FRAME_NUMBER.search(f.name)
        if m:
            found.append((int(m.group(1)), f))
    return sorted(found)


def casme_records(root: Path, coding_csv: Path) -> list[ClipRecord]:
    """Clips of CASME II from its folders and its coding sheet exported as CSV.

    Raises:
        InputError: If the sheet lacks the needed columns or names no existing folder.
    """
    with open(coding_csv, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    cols = {re.sub(r"\s+", "", c).lower(): c for c in (rows[0] if rows else {})}
    need = ("subject", "filename", "onsetframe", "apexframe", "offsetframe")
    need += ("actionunits", "estimatedemotion")
    missing = [n for n in need if n not in cols]
    if missing:
        raise InputError(f"{coding_csv}: missing columns {missing} (export the sheet as CSV)")
    records = []
    for row in rows:
        subject = f"sub{int(row[cols['subject']]):02d}"
        folder = root / subject / row[cols["filename"]].strip()
        frames = _frame_files(folder) if folder.is_dir() else []
        if not frames:
            continue
        first = frames[0][0]
        onset, offset = int(row[cols["onsetframe"]]), int(row[cols["offsetframe"]])
        apex_text = row[cols["apexframe"]].strip()
        apex = int(apex_text) if apex_text.isdigit() else (onset + offset) // 2
        records.append(
            ClipRecord(
                source=folder,
                group=subject,
                fps=CASME_FPS,
                onset=(onset - first) / CASME_FPS,
                apex=(apex - first) / CASME_FPS,
                offset=(offset - first) / CASME_FPS,
                aus=au_codes(row[cols["actionunits"]]),
                emotion=row[cols["estimatedemotion"]].strip().lower(),
            )
        )
    if not records:
        raise InputError(f"{coding_csv}: no clip folder found under {root}")
    return records


def read_frames(source: Path) -> np.ndarray:
    """(n, H, W, 3) uint8 RGB frames of an mp4 or a folder of numbered images.

    Raises:
        InputError: If nothing can be read.
    """
    if not source.is_dir():
        from facial_affect_addon.ml.micro_net import read_rgb_video

        return read_rgb_video(source)[0]
    import cv2

    frames = []
    for _, f in _frame_files(source):
        bgr = cv2.imread(str(f), cv2.IMREAD_COLOR)
        if bgr is not None:
            frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    if not frames:
        raise InputError(f"{source}: no readable frames")
    return np.stack(frames)


def normalised_times(record: ClipRecord, n_frames: int) -> np.ndarray:
    """(3,) onset/apex/offset as fractions of the clip span, clipped to [0, 1] and ordered."""
    span = max(n_frames - 1, 1) / record.fps
    t = np.clip(np.array([record.onset, record.apex, record.offset]) / span, 0.0, 1.0)
    return np.maximum.accumulate(t).astype(np.float32)
