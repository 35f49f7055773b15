"""A batch manifest → typed :class:`BatchItem` values (``cli batch MANIFEST``).

A manifest is one of:

* a **CSV** file with a header row, one item per row;
* a **JSON** file holding a list of objects (or ``{"items": [...]}``), one item each;
* a **folder**: every audio, video and ``.txt`` file in it (not recursive) is an item; a ``.txt``
  file's non-empty lines are spoken one after another, as ``cli text`` would perform them.

Each item names exactly one input, ``text`` (a line of dialogue), ``audio`` or ``video`` (a file;
relative paths are relative to the manifest's folder), and may add ``take`` (the take name, also
the output file name; default: the file's stem, or ``item-NNN``), ``head`` and ``object`` (like
``--head FILE --object NAME``) and the CLI's options: ``mode``, ``intensity``, ``micro``,
``life``, ``seed``, ``sparse``, ``duration``, ``stt``, ``sample_fps``, ``capture``, ``neutral_at``.
Authored micro-expressions: ``micro_at`` takes what ``--micro-at`` takes, several separated by
``;`` (``1.2:fear:0.4:120ms; 2.0:AU12L:0.6``; in JSON also a list of such strings), and
``micro_file`` a micro-expression timeline file (like ``--micro-file``; relative to the
manifest's folder); both are read and checked when the manifest is, and refused with
``capture``, as the CLI refuses them with ``--capture``. A video item may set ``micro_spot``
(like ``--micro-spot``): found bursts go into its JSON and are baked as bursts of their emotion,
or, with ``spot_bake`` = ``mirror`` (like ``--spot-bake mirror``), as their own AUs; ``spot_bake``
without ``micro_spot`` is refused.
The rig profile is detected from the head's shape keys, as in every other command, unless the item
names ``profile``: a JSON rig profile (like ``--profile FILE``; relative to the manifest's folder),
read by the limits-checked loader when the item runs and applied to that item's bake.

Everything about the manifest's *shape* is checked before anything runs (:class:`~..core.errors.
InputError`, one line): a missing input file is the item's own failure, reported at run time.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..core import limits
from ..core.atomic import shown
from ..core.errors import InputError
from ..core.micro_authoring import MicroSpec, author_burst, load_micro_file, parse_micro_at
from ..core.micro_spot import SpotBake
from ..core.synthesis_options import SynthesisMode
from ..core.text_input import clean_line, read_text_file
from .options import InputSource

AUDIO_SUFFIXES = frozenset({".wav", ".flac", ".ogg", ".mp3", ".m4a", ".aac"})
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v"})
INPUT_KEYS = {"text": InputSource.TEXT, "audio": InputSource.AUDIO, "video": InputSource.VIDEO}
STT_ENGINES = ("whisper", "pocketsphinx", "openai")
_UNSAFE = re.compile(r"[^\w.-]+")
MAX_SEED = 2**32 - 1


@dataclass(frozen=True)
class ItemOptions:
    """An item's analysis and bake settings, the ``cli text/audio/video`` options.

    Attributes:
        mode: ``dynamic`` or ``static`` synthesis.
        intensity: Global intensity in [0, 1].
        micro: Add micro-expression bursts.
        life: Blinks and asymmetry (``--no-life`` is ``life = false``).
        seed: Seed of every random choice.
        sparse: Write sparse editable Bezier keys.
        duration_s: Text: the line's length in seconds (None: from the word count).
        stt: Audio: the speech-to-text engine.
        sample_fps: Video: frames analysed per second (None: 2, or every frame with capture).
        capture: Video: bake the face's own expression (landmark capture).
        neutral_at_s: Video: time of the capture's neutral frame (None: automatic).
        micro_specs: Authored micro-expressions, ``micro_at`` then ``micro_file``, checked.
        micro_spot: Video: spot micro-expressions (every frame) and bake the found ones.
        spot_bake: How found bursts are baked: bursts of their emotion, or their own AUs.
    """

    mode: SynthesisMode = SynthesisMode.DYNAMIC
    intensity: float = 1.0
    micro: bool = False
    life: bool = True
    seed: int = 0
    sparse: bool = False
    duration_s: float | None = None
    stt: str = "whisper"
    sample_fps: float | None = None
    capture: bool = False
    neutral_at_s: float | None = None
    micro_specs: tuple[MicroSpec, ...] = ()
    micro_spot: bool = False
    spot_bake: SpotBake = SpotBake.EMOTION


@dataclass(frozen=True)
class BatchItem:
    """One line of a manifest: what to analyse, where to bake it, how.

    Attributes:
        index: Position in the manifest (0-based); the summary keeps this order.
        take: Take name; also the stem of the item's output files (made file-name safe).
        source: TEXT, AUDIO or VIDEO.
        lines: TEXT: the dialogue lines.
        path: AUDIO or VIDEO: the media file, absolute.
        head: The head .blend (None: the demo head).
        object_name: The head object (None: the first mesh with shape keys).
        options: Analysis and bake settings.
        profile: A JSON rig profile for the bake, absolute (None: chosen from the key names).
    """

    index: int
    take: str
    source: InputSource
    lines: tuple[str, ...] = ()
    path: str = ""
    head: str | None = None
    object_name: str | None = None
    options: ItemOptions = field(default_factory=ItemOptions)
    profile: str | None = None

    @property
    def stem(self) -> str:
        """The output files' name without suffix."""
        return _UNSAFE.sub("_", self.take).strip("._") or f"item-{self.index + 1:03d}"

    @property
    def label(self) -> str:
        """A short description of the input, for progress lines and the summary."""
        if self.source == InputSource.TEXT:
            line = " ".join(self.lines)
            return line if len(line) <= 60 else line[:57] + "..."
        return self.path


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "y", "on"):
        return True
    if text in ("", "0", "false", "no", "n", "off"):
        return False
    raise ValueError(f"not a yes/no value: {value!r}")


def _optional_float(value: Any) -> float | None:
    return None if value is None or str(value).strip() == "" else _finite(value)


def _finite(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("not a number")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


def _seed(value: Any) -> int:
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ValueError("not a whole number")
    seed = int(value)
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"not in [0, {MAX_SEED}]")
    return seed


def _mode(value: Any) -> SynthesisMode:
    return SynthesisMode(str(value).strip().lower())


def _spot_bake(value: Any) -> SpotBake:
    try:
        return SpotBake(str(value).strip().lower())
    except ValueError:
        raise ValueError(f"not one of {', '.join(SpotBake)}") from None


def _stt(value: Any) -> str:
    if str(value) not in STT_ENGINES:
        raise ValueError(f"not one of {', '.join(STT_ENGINES)}")
    return str(value)


# manifest key -> (ItemOptions field, parser)
_OPTIONS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "mode": ("mode", _mode),
    "intensity": ("intensity", _finite),
    "micro": ("micro", _flag),
    "life": ("life", _flag),
    "seed": ("seed", _seed),
    "sparse": ("sparse", _flag),
    "duration": ("duration_s", _optional_float),
    "stt": ("stt", _stt),
    "sample_fps": ("sample_fps", _optional_float),
    "capture": ("capture", _flag),
    "neutral_at": ("neutral_at_s", _optional_float),
    "micro_spot": ("micro_spot", _flag),
    "spot_bake": ("spot_bake", _spot_bake),
}
MICRO_KEYS = ("micro_at", "micro_file")
KNOWN_KEYS = frozenset({*INPUT_KEYS, "take", "head", "object", "profile", *_OPTIONS, *MICRO_KEYS})


def _options(row: Mapping[str, Any], where: str) -> ItemOptions:
    values: dict[str, Any] = {}
    for key, (name, parse) in _OPTIONS.items():
        raw = row.get(key)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        try:
            values[name] = parse(raw)
        except (TypeError, ValueError, OverflowError) as exc:
            raise InputError(f"{where}: bad {key} {shown(repr(raw), 60)} ({exc}).") from None
    options = ItemOptions(**values)
    if not 0.0 <= options.intensity <= 1.0:
        raise InputError(f"{where}: intensity must be between 0 and 1, not {options.intensity}.")
    return options


def _micro_specs(row: Mapping[str, Any], where: str, base: Path) -> tuple[MicroSpec, ...]:
    """The row's ``micro_at`` and ``micro_file`` bursts, each made once so a bad one fails here."""
    raw = row.get("micro_at")
    texts = raw if isinstance(raw, list) else str(raw or "").split(";")
    specs = []
    for text in texts:
        if not isinstance(text, str):
            raise InputError(f"{where}: micro_at holds {shown(repr(text), 40)}, not a burst.")
        if not text.strip():
            continue
        try:
            specs.append(parse_micro_at(text.strip()))
            author_burst(specs[-1])
        except InputError as exc:
            raise InputError(
                f"{where}: bad micro_at {shown(repr(text.strip()), 60)}: {exc}"
            ) from None
    if row.get("micro_file") is not None:
        try:
            from_file = load_micro_file(_resolve(str(row["micro_file"]), base))
            for spec in from_file:
                author_burst(spec)
        except InputError as exc:
            raise InputError(f"{where}: {exc}") from None
        specs += from_file
    return tuple(specs)


def _resolve(value: str, base: Path) -> str:
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else (base / path).resolve())


def item_from_row(row: Mapping[str, Any], index: int, base: Path) -> BatchItem:
    """One manifest row (CSV row or JSON object) as a :class:`BatchItem`.

    Args:
        row: Key → value; empty CSV cells count as absent.
        index: The row's position (0-based).
        base: Folder that relative paths are relative to.

    Raises:
        InputError: Unknown keys, not exactly one input, or a bad option value.
    """
    where = f"manifest item {index + 1}"
    if not isinstance(row, Mapping):
        raise InputError(f"{where} is not an object with keys such as text, audio, take.")
    present = {k: v for k, v in row.items() if v is not None and str(v).strip() != ""}
    unknown = sorted(set(present) - KNOWN_KEYS)
    if unknown:
        raise InputError(f"{where}: unknown key(s) {', '.join(map(str, unknown))}.")
    inputs = [k for k in INPUT_KEYS if k in present]
    if len(inputs) != 1:
        raise InputError(f"{where} needs exactly one of text, audio, video (has {len(inputs)}).")
    kind, value = inputs[0], str(present[inputs[0]])
    source = INPUT_KEYS[kind]
    default_take = f"item-{index + 1:03d}" if kind == "text" else Path(value).stem
    head = present.get("head")
    profile = present.get("profile")
    options = _options(present, where)
    if profile is not None and options.capture:
        raise InputError(f"{where}: profile is not used with capture (it retargets through ARKit).")
    if options.micro_spot and source != InputSource.VIDEO:
        raise InputError(f"{where}: micro_spot is for video items (this one is {kind}).")
    if "spot_bake" in present and not options.micro_spot:
        raise InputError(
            f"{where}: spot_bake applies only with micro_spot; add micro_spot or drop it."
        )
    micro_specs = _micro_specs(present, where, base)
    if micro_specs and options.capture:
        raise InputError(f"{where}: micro_at/micro_file are not baked with capture; drop one.")
    return BatchItem(
        index=index,
        take=str(present.get("take", default_take)).strip(),
        source=source,
        lines=(clean_line(value, f"text of {where}").text.strip(),) if kind == "text" else (),
        path="" if kind == "text" else _resolve(value, base),
        head=_resolve(str(head), base) if head else None,
        object_name=str(present["object"]) if "object" in present else None,
        options=replace(options, micro_specs=micro_specs),
        profile=_resolve(str(profile), base) if profile is not None else None,
    )


def _folder_items(folder: Path) -> list[BatchItem]:
    items = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        suffix = path.suffix.lower()
        if suffix == ".txt":
            try:
                lines, _ = read_text_file(path)
            except InputError as exc:
                if "holds no text" in str(exc):
                    continue
                raise
            items.append(BatchItem(len(items), path.stem, InputSource.TEXT, lines=lines))
        elif suffix in AUDIO_SUFFIXES or suffix in VIDEO_SUFFIXES:
            source = InputSource.AUDIO if suffix in AUDIO_SUFFIXES else InputSource.VIDEO
            items.append(BatchItem(len(items), path.stem, source, path=str(path.resolve())))
    return items


def _rows(path: Path) -> list[Any]:
    source = f"The manifest {shown(path)}"
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise InputError(f"A manifest is a .csv or .json file or a folder, not {shown(path.name)}.")
    text = limits.read_text(path, source)
    if suffix == ".csv":
        rows = limits.csv_rows(text, source)
        header = next(rows, None)
        if not header:
            raise InputError(f"{source} has no header row.")
        items = []
        for n, row in enumerate(rows, 2):
            if len(row) > len(header):
                raise InputError(f"{source}, row {n}: more cells than the header has.")
            items.append(dict(zip(header, row, strict=False)))
        return items
    data = limits.parse_json(text, source)
    if isinstance(data, Mapping):
        data = data.get("items")
    if not isinstance(data, list):
        raise InputError(f"{source} must hold a list of items (or {{'items': [...]}}).")
    return data


def load_manifest(path: str | Path) -> tuple[BatchItem, ...]:
    """Read a manifest (CSV, JSON or a folder) into items, checking all of it first.

    Args:
        path: The manifest file or folder.

    Returns:
        The items, in manifest order.

    Raises:
        InputError: A missing or unreadable manifest, a bad item, no items, or two items whose
            outputs would have the same file name.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        items = _folder_items(path)
    elif path.is_file():
        rows = _rows(path)
        for i, row in enumerate(rows):
            if isinstance(row, Mapping) and None in row:
                raise InputError(f"manifest item {i + 1} has more cells than the header.")
        items = [item_from_row(row, i, path.resolve().parent) for i, row in enumerate(rows)]
    else:
        raise InputError(f"Manifest not found: {path}")
    if not items:
        raise InputError(f"The manifest {path} has no items.")
    seen: dict[str, int] = {}
    for item in items:
        if item.source == InputSource.TEXT and not any(item.lines):
            raise InputError(f"manifest item {item.index + 1} has empty text.")
        other = seen.setdefault(item.stem.lower(), item.index)
        if other != item.index:
            raise InputError(
                f"manifest items {other + 1} and {item.index + 1} would both write "
                f"{item.stem}.blend; give them different takes."
            )
    return tuple(items)
