"""Everything about a CLI command that can be checked before any work is done.

Numbers must be finite and in range, text valid Unicode and not too long
(:mod:`.core.text_input`), option combinations meaningful (a flag that would be ignored is an
error, e.g. ``--png`` without ``--bake``), and every output path writable
(:func:`~.core.atomic.check_output_path`), so that a command fails in a second with one line
instead of after the analysis, and never after writing some of its outputs.
"""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path

from .cli_guard import UsageError
from .core.atomic import check_distinct, check_output_path, check_path_text, shown
from .core.errors import InputError
from .core.text_input import MAX_LINE_CHARS, clean_line, read_text_file

__all__ = ["MAX_LINE_CHARS", "check_batch", "check_command"]

MAX_DURATION_S = 3600.0
MAX_FPS = 1000.0
MAX_LLM_TIMEOUT_S = 600.0
MAX_SEED = 2**32 - 1
MAX_NAME_BYTES = 63  # Blender's limit for object and action names
MAX_SPEC_CHARS = 2000
DEFAULT_TAKE = "Affect"
DEFAULT_FPS = 24.0
DEFAULT_LLM_TIMEOUT_S = 10.0
_BAKE_ONLY = (("png", "--png"), ("head", "--head"), ("object", "--object"), ("take", "--take"))
_LLM_ONLY = (
    ("llm_base_url", "--llm-base-url"),
    ("llm_model", "--llm-model"),
    ("llm_timeout", "--llm-timeout"),
)


def number(value: float | None, option: str, low: float, high: float, *, low_open=False) -> None:
    """Refuse a value that is not finite or not in ``[low, high]`` (``(low, high]``).

    Raises:
        InputError: Naming the option, the value and the range.
    """
    if value is None:
        return
    ok = math.isfinite(value) and (value > low if low_open else value >= low) and value <= high
    if not ok:
        bracket = "(" if low_open else "["
        raise InputError(
            f"{option} must be a finite number in {bracket}{low:g}, {high:g}], got {value!r}."
        )


def _name(value: str | None, option: str) -> None:
    if value is None:
        return
    text = clean_line(value, option).text.strip()
    if not text or text != value:
        raise InputError(f"{option} must be a name without control characters, got {value!r}.")
    if len(value.encode("utf-8")) > MAX_NAME_BYTES:
        raise InputError(
            f"{option} {shown(value, 60)!r} is longer than Blender's {MAX_NAME_BYTES} bytes."
        )


def _path_texts(args: argparse.Namespace) -> None:
    for attr, value in vars(args).items():
        if isinstance(value, Path):
            check_path_text(
                value, "--" + attr.replace("_", "-") if attr not in _POSITIONAL else attr
            )


_POSITIONAL = ("path", "manifest")


def _combinations(args: argparse.Namespace) -> None:
    if args.bake is None:
        for attr, option in _BAKE_ONLY:
            if getattr(args, attr, None) is not None:
                raise UsageError(f"{option} only matters with --bake FILE.blend; add --bake.")
        if args.sparse:
            raise UsageError("--sparse only matters with --bake FILE.blend; add --bake.")
        if getattr(args, "layers", False):
            raise UsageError("--layers only matters with --bake FILE.blend; add --bake.")
    elif args.fps is not None:
        raise UsageError("--fps is not used with --bake: the bake takes the head scene's rate.")
    if not args.llm:
        for attr, option in _LLM_ONLY:
            if getattr(args, attr) is not None:
                raise UsageError(f"{option} only matters with --llm; add --llm.")
    if getattr(args, "neutral_at", None) is not None and not args.capture:
        raise UsageError("--neutral-at only matters with --capture; add --capture.")


def _numbers(args: argparse.Namespace) -> None:
    number(args.intensity, "--intensity", 0.0, 1.0)
    if not 0 <= args.seed <= MAX_SEED:
        raise InputError(f"--seed must be a whole number in [0, {MAX_SEED}], got {args.seed}.")
    number(args.fps, "--fps", 0.0, MAX_FPS, low_open=True)
    number(getattr(args, "duration", None), "--duration", 0.0, MAX_DURATION_S, low_open=True)
    number(args.llm_timeout, "--llm-timeout", 0.0, MAX_LLM_TIMEOUT_S, low_open=True)
    number(getattr(args, "sample_fps", None), "--sample-fps", 0.0, MAX_FPS)
    number(getattr(args, "neutral_at", None), "--neutral-at", 0.0, MAX_DURATION_S * 24)


def _suffix(path: Path | None, option: str, suffix: str) -> None:
    if path is not None and path.suffix.lower() != suffix:
        raise UsageError(f"{option} must name a {suffix} file, got {shown(path, 80)!r}.")


def _outputs(args: argparse.Namespace) -> None:
    _suffix(args.bake, "--bake", ".blend")
    _suffix(args.png, "--png", ".png")
    if args.head is not None and not args.head.is_file():
        raise InputError(f"Head file not found: {shown(args.head)}; give an existing .blend.")
    check_distinct(
        (("--head", args.head), ("--bake", args.bake), ("--png", args.png), ("--json", args.json))
    )
    if args.json is not None:
        check_output_path(args.json, what="--json")
    if args.bake is not None:
        size = args.head.stat().st_size if args.head is not None else 4_000_000
        check_output_path(args.bake, what="--bake", estimate_bytes=2 * size)
    if args.png is not None:
        check_output_path(args.png, what="--png", estimate_bytes=2_000_000)


def _text(args: argparse.Namespace) -> list[str]:
    """Set ``args.lines`` for ``text``/``demo``; returns warnings."""
    if args.command == "text":
        if (args.text is None) == (args.file is None):
            raise UsageError("give the text or --file FILE (one of them).")
        if args.file is not None:
            args.lines, removed = read_text_file(args.file)
        else:
            clean = clean_line(args.text, "text")
            args.lines, removed = (clean.text,), clean.n_removed
    else:
        clean = clean_line(args.text, "--text")
        args.lines, removed = (clean.text,), clean.n_removed
    if removed:
        return [f"{removed} control character(s) were removed from the text."]
    return []


def check_command(args: argparse.Namespace) -> list[str]:
    """Check a text/audio/video/emotion/demo command and fill in its defaults.

    Returns:
        Warnings to print (e.g. control characters removed from the text).

    Raises:
        UsageError: Options that clash or would be ignored.
        InputError: A number out of range, bad text, or an output path that cannot be written.
    """
    _path_texts(args)
    warnings: list[str] = []
    if args.command == "demo":
        args.json = args.out / "demo.json"
        args.bake, args.png = args.out / "demo.blend", args.out / "demo.png"
        warnings += _text(args)
    else:
        _combinations(args)
        _numbers(args)
        _name(args.take, "--take")
        _name(args.object, "--object")
        if args.command == "text":
            warnings += _text(args)
        if args.command == "emotion":
            if len(args.weights) > MAX_SPEC_CHARS:
                raise InputError(
                    f"The emotion mixture is {len(args.weights):,} characters long; "
                    f"the most is {MAX_SPEC_CHARS:,}."
                )
            clean_line(args.weights, "emotion mixture")
        _outputs(args)
    args.take = getattr(args, "take", None) or DEFAULT_TAKE
    args.fps = getattr(args, "fps", None) or DEFAULT_FPS
    if getattr(args, "llm", False):
        args.llm_base_url = args.llm_base_url or os.environ.get("OPENAI_BASE_URL")
        args.llm_model = args.llm_model or os.environ.get("FACIAL_AFFECT_LLM_MODEL", "gpt-4o-mini")
        args.llm_timeout = args.llm_timeout or DEFAULT_LLM_TIMEOUT_S
    if args.command == "demo":
        check_output_path(args.json, what="--out")
        check_output_path(args.bake, what="--out", estimate_bytes=8_000_000)
        check_output_path(args.png, what="--out", estimate_bytes=2_000_000)
    return warnings


def check_batch(args: argparse.Namespace) -> None:
    """Check the ``batch`` command's options and output folder.

    Raises:
        UsageError: Options that clash or would be ignored.
        InputError: The output folder cannot be written or the head file is missing.
    """
    _path_texts(args)
    if args.gather_outputs and not args.scheduler:
        raise UsageError("--gather-outputs only matters with --scheduler; add --scheduler.")
    if args.no_bake and (args.head is not None or args.object is not None):
        raise UsageError("--head and --object are not used with --no-bake; drop them.")
    _name(args.object, "--object")
    if args.head is not None and not args.head.is_file():
        raise InputError(f"Head file not found: {shown(args.head)}; give an existing .blend.")
    if args.out.exists() and not args.out.is_dir():
        raise InputError(f"--out {shown(args.out)} is a file; give a folder.")
    check_output_path(args.out / "summary.json", what="--out")
