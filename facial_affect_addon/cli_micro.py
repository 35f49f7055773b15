"""The CLI's authored micro-expressions: ``--micro-at`` (repeatable) and ``--micro-file``.

Both become :class:`~.core.micro.MicroBurst` objects before any analysis (a bad burst is one line,
exit 2, nothing written), are baked through ``SynthesisOptions.micro_bursts`` and are listed in the
JSON output's ``"micro_expressions"`` (:func:`~.core.micro_authoring.burst_record`).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .cli_guard import UsageError


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``--micro-at`` and ``--micro-file`` to a sub-command."""
    p.add_argument(
        "--micro-at",
        action="append",
        metavar="T:EMOTION_OR_AUS:INTENSITY[:DURATIONms]",
        help="a micro-expression peaking at T s, e.g. 1.20:fear:0.4:120ms or 2.0:AU1+AU2+AU5:0.5 "
        "(40-500 ms, default 200; repeatable)",
    )
    p.add_argument(
        "--micro-file", type=Path, help="a micro-expression timeline file (JSON; see README)"
    )


def authored_bursts(args: argparse.Namespace) -> tuple:
    """The ``--micro-at`` and ``--micro-file`` bursts (:mod:`.core.micro_authoring`), checked.

    Raises:
        InputError: A malformed burst or file (one line; nothing has been written yet).
        UsageError: Bursts with ``--capture`` (a capture replays the face; it is not synthesised).
    """
    from .core.micro_authoring import author_burst, load_micro_file, parse_micro_at

    specs = [parse_micro_at(text) for text in getattr(args, "micro_at", None) or ()]
    if getattr(args, "micro_file", None) is not None:
        specs += load_micro_file(args.micro_file)
    if specs and getattr(args, "capture", False):
        raise UsageError("--micro-at/--micro-file are not baked with --capture; drop one.")
    return tuple(author_burst(spec) for spec in specs)


def records(bursts) -> list[dict[str, Any]]:
    """Authored bursts as ``"micro_expressions"`` entries (confidence 1.0)."""
    from .core.micro_authoring import arkit_keys, burst_record

    return [burst_record(b, arkit_keys(b), 1.0) for b in bursts]
