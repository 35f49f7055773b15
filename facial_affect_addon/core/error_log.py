"""Where a bug's traceback goes, and the one line the user sees instead of it.

An exception that is not a :class:`~.errors.FacialAffectError` is a bug. Every front end (the
Blender operators and jobs, the CLI, the worker thread) handles it the same way: the traceback is
appended to a log file and the user reads one line,
``internal error: <Type>: <message> (details in <log>)``.

The log folder is ``$FACIAL_AFFECT_LOG_DIR`` when set, else the caller's default (the Blender
layer passes the extension's user folder), else ``<temp>/facial_affect``. A log past
:data:`MAX_LOG_BYTES` is started afresh, the old one kept as ``<name>.1``. Standard library only,
so every layer may use it.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import sys
import tempfile
import traceback
from pathlib import Path

from .atomic import shown

LOG_DIR_ENV = "FACIAL_AFFECT_LOG_DIR"
LOG_NAME = "facial_affect_errors.log"
MAX_LOG_BYTES = 1_000_000
MAX_DETAIL_CHARS = 200
"""Characters of ``<Type>: <message>`` kept in the one-line report."""
CONSOLE = "the system console"
"""Where the report points when the log cannot be written (the traceback is printed there)."""


def log_dir(default: str | os.PathLike[str] | None = None) -> Path:
    """The log folder: ``$FACIAL_AFFECT_LOG_DIR``, else ``default``, else the temp one."""
    override = os.environ.get(LOG_DIR_ENV)
    if override:
        return Path(override)
    if default is not None:
        return Path(default)
    return Path(tempfile.gettempdir()) / "facial_affect"


def log_path(default: str | os.PathLike[str] | None = None, name: str = LOG_NAME) -> Path:
    """The log file ``name`` in :func:`log_dir` (``default`` as there)."""
    return log_dir(default) / name


def write_traceback(
    exc: BaseException, path: Path, where: str = "", max_bytes: int = MAX_LOG_BYTES
) -> bool:
    """Append ``exc``'s traceback under a time-stamped ``where`` line to ``path``.

    Returns:
        Whether it was written (False when the folder or file cannot be written).
    """
    details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    stamp = datetime.datetime.now().isoformat(timespec="seconds")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_file() and path.stat().st_size > max_bytes:
            os.replace(path, path.with_name(path.name + ".1"))
        with path.open("a", encoding="utf-8", errors="backslashreplace") as log:
            log.write(f"--- {stamp} pid {os.getpid()} {where}\n{details}\n")
    except (OSError, ValueError):  # ValueError: a NUL in the configured folder
        return False
    return True


def log_internal_error(
    exc: BaseException, where: str = "", path: Path | None = None
) -> Path | None:
    """Log ``exc``'s traceback (to ``path``, else :func:`log_path`); never raises.

    Returns:
        The log file, or None when it could not be written; the traceback then goes to the
        console (``sys.__stderr__``) so it is not lost.
    """
    path = log_path() if path is None else path
    if write_traceback(exc, path, where):
        return path
    details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    with contextlib.suppress(Exception):  # no console either: the one-line report is all
        print(f"Facial Affect internal error in {where}:\n{details}", file=sys.__stderr__)
    return None


def internal_error_message(exc: BaseException, log: Path | None) -> str:
    """The one line a user reads for a bug: ``internal error: <Type>: <msg> (details in <log>)``.

    The message is put on one line, escaped and cut to :data:`MAX_DETAIL_CHARS`.
    """
    text = " ".join(str(exc).split())
    what = shown(f"{type(exc).__name__}: {text}" if text else type(exc).__name__, MAX_DETAIL_CHARS)
    return f"internal error: {what} (details in {CONSOLE if log is None else log})"
