"""The CLI's one boundary: every failure becomes one line on stderr and exit status 2.

* :class:`~.core.errors.FacialAffectError` → its message;
* a usage error (unknown option, bad value) → argparse's message, on one line;
* :class:`OSError` → the file and what to do;
* anything else → ``internal error: <type>: <message> (details in <log>)``, the traceback
  written to the log (:func:`log_path`), never to the terminal.

While the work runs, the C-level stderr (file descriptor 2, where ffmpeg, libsndfile, OpenCV and
onnxruntime print) goes to the same log, so library noise never surrounds the one-line error;
Python's ``sys.stderr`` (our warnings and progress) still reaches the terminal. Messages are put on
one line, escaped (undecodable bytes, control characters) and cut to :data:`MAX_MESSAGE_CHARS`.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import signal
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, NoReturn

from .core import error_log
from .core.atomic import shown
from .core.errors import FacialAffectError

LOG_DIR_ENV = error_log.LOG_DIR_ENV
LOG_NAME = "cli.log"
MAX_LOG_BYTES = 5_000_000
MAX_MESSAGE_CHARS = 800
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """The command line itself is wrong (unknown option, bad value, options that clash)."""


class Parser(argparse.ArgumentParser):
    """An argparse parser whose errors raise :class:`UsageError` (printed on one line)."""

    def error(self, message: str) -> NoReturn:
        """Raise instead of printing the usage and exiting."""
        raise UsageError(f"{message} (see {self.prog} --help)")


def log_path() -> Path:
    """Where the CLI logs tracebacks and library noise: ``$FACIAL_AFFECT_LOG_DIR/cli.log``, else
    ``$XDG_CACHE_HOME`` or ``~/.cache``, ``facial_affect/cli.log``; the temp folder as a fallback.
    """
    candidates = []
    if os.environ.get(LOG_DIR_ENV):
        candidates.append(Path(os.environ[LOG_DIR_ENV]))
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    candidates += [Path(cache) / "facial_affect", Path(tempfile.gettempdir()) / "facial_affect"]
    for folder in candidates:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / LOG_NAME
            if path.is_file() and path.stat().st_size > MAX_LOG_BYTES:
                os.replace(path, path.with_name(LOG_NAME + ".1"))
            with open(path, "a", encoding="utf-8"):
                pass
            return path
        except OSError:
            continue
    return Path(os.devnull)


def one_line(message: str) -> str:
    """``message`` on one line, escaped and cut to :data:`MAX_MESSAGE_CHARS`."""
    return shown(" ".join(str(message).split()), MAX_MESSAGE_CHARS)


def say(message: str) -> None:
    """Print one line on stderr."""
    print(one_line(message), file=sys.stderr, flush=True)


def _writes_to_fd2(stream: Any) -> bool:
    try:
        return stream.fileno() == 2
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return False


@contextlib.contextmanager
def native_stderr_to(log: Path) -> Iterator[None]:
    """Send file descriptor 2 (C libraries' stderr) and Python warnings to ``log`` meanwhile.

    Python's ``sys.stderr`` keeps reaching the terminal: when it writes to descriptor 2 it is
    swapped for a stream on a copy of the original descriptor until the block ends.
    """
    with contextlib.suppress(Exception):
        sys.stderr.flush()
    try:
        saved = os.dup(2)
        log_file = open(log, "ab")  # noqa: SIM115 - closed in finally, after fd 2 is restored
    except OSError:
        yield
        return
    swapped: Any = None
    show_warning = warnings.showwarning
    try:
        log_file.write(f"\n== {time.strftime('%Y-%m-%d %H:%M:%S')} pid {os.getpid()}\n".encode())
        log_file.flush()
        os.dup2(log_file.fileno(), 2)
        if _writes_to_fd2(sys.stderr):
            swapped = sys.stderr
            sys.stderr = io.TextIOWrapper(
                io.FileIO(os.dup(saved), "w"),
                encoding=getattr(swapped, "encoding", None) or "utf-8",
                errors="backslashreplace",
                line_buffering=True,
            )

        def to_log(message, category, filename, lineno, file=None, line=None) -> None:
            text = warnings.formatwarning(message, category, filename, lineno, line)
            log_file.write(text.encode("utf-8", "backslashreplace"))
            log_file.flush()

        warnings.showwarning = to_log
        yield
    finally:
        warnings.showwarning = show_warning
        if swapped is not None:
            with contextlib.suppress(Exception):
                sys.stderr.close()
            sys.stderr = swapped
        os.dup2(saved, 2)
        os.close(saved)
        log_file.close()


def _log_traceback(log: Path, exc: BaseException) -> None:
    error_log.write_traceback(exc, log, shown(repr(sys.argv), 2000), MAX_LOG_BYTES)


def os_error_message(exc: OSError) -> str:
    """An :class:`OSError` as a message naming the file and what to do."""
    reason = exc.strerror or type(exc).__name__
    if exc.filename is None:
        return f"{reason}; check the paths given and their permissions."
    return f"Cannot use {shown(exc.filename)}: {reason}; check the path and its permissions."


def guarded(work: Callable[[], int], *, stream: IO[str] | None = None) -> int:
    """Run ``work`` inside the boundary; returns its exit status, or 2 after one error line.

    ``SystemExit`` (``--help``) passes through; Ctrl-C is reported and exits with 130.
    """
    log = log_path()
    try:
        with native_stderr_to(log):
            return work()
    except (UsageError, FacialAffectError) as exc:
        say(f"error: {exc}")
    except KeyboardInterrupt:
        say("error: interrupted; nothing was written.")
        return EXIT_INTERRUPTED
    except OSError as exc:
        _log_traceback(log, exc)
        say(f"error: {os_error_message(exc)}")
    except Exception as exc:
        _log_traceback(log, exc)
        say(f"error: {error_log.internal_error_message(exc, log)}")
    return EXIT_ERROR


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def check_dashes(parser: argparse.ArgumentParser, argv: Sequence[str]) -> None:
    """Refuse a word that starts with ``-`` but is no option of its command.

    argparse would read ``text "-hello there"`` as ``-h`` (help, exit 0); text that starts with
    a dash goes after ``--`` (``text -- "-hello there"``). Negative numbers pass.

    Raises:
        UsageError: Such a word, naming it and the ``--`` way.
    """
    commands: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            commands = dict(action.choices)
    options = set(parser._option_string_actions)
    for token in argv:
        if token == "--":
            return
        if token in commands and options is not None:
            options = set(commands[token]._option_string_actions)
            commands = {}
            continue
        if not token.startswith("-") or token == "-" or _is_number(token):
            continue
        if token.split("=", 1)[0] in options:
            continue
        word = shown(token, 60)
        raise UsageError(
            f"unknown option '{word}'; to give text that starts with '-', put -- before it: "
            f"text -- '{word}'"
        )


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold Ctrl-C while Blender works, then raise it: Blender's handlers swallow it otherwise.

    A KeyboardInterrupt raised inside a ``bpy.app.handlers`` callback (``version_update`` runs
    while a .blend opens) is printed as a traceback by Blender and the run goes on to write its
    files. Here SIGINT only sets a flag until the block ends; then KeyboardInterrupt is raised in
    our own code, where the boundary reports it in one line and the outputs are discarded. Off
    the main thread (where Python allows no signal handlers) the block changes nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt
