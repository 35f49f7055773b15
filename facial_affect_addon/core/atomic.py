"""Atomic outputs: check every output path before any work, write through a temporary name.

Like git and SQLite, a file is written to a hidden temporary name in its own folder and renamed
into place (``os.replace``, atomic on one file system) only once it is complete, so a failed or
interrupted run never leaves a half-written or changed file. :func:`check_output_path` refuses,
before anything is computed, the paths that would fail at the end: a folder given as the file,
a parent that is a file, a folder that is not writable, a disk without room for the estimate.

Standard library only (no numpy, no bpy): the CLI, the batch and Blender's headless bake all
use it. Every failure is an :class:`~.errors.InputError` naming the path and what to do.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import InputError

TEMP_MARK = ".tmp"
"""Temporary names are ``.<name>.<12 hex>.tmp<suffix>``, the batch's ``sweep_temporaries`` glob."""
DISK_MARGIN_BYTES = 16 * 1024 * 1024
"""Free space kept beyond an output's size estimate."""
_SHOWN = 120


def shown(path: object, limit: int = _SHOWN) -> str:
    """A path or user string fit for a one-line message: escaped, and cut to ``limit`` chars."""
    text = str(path).encode("utf-8", "backslashreplace").decode("utf-8")
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_path_text(path: str | os.PathLike[str], what: str = "path") -> None:
    """Refuse a path no file system takes: empty, or with a NUL character.

    Raises:
        InputError: Naming ``what``.
    """
    text = os.fspath(path)
    if not str(text).strip():
        raise InputError(f"{what} is empty; give a file name.")
    if "\0" in str(text):
        raise InputError(f"{what} {shown(text)} holds a NUL character; no file can have that name.")


def _existing_ancestor(path: Path) -> Path:
    """The nearest folder above ``path`` that exists (``path.parent`` when it does)."""
    for parent in path.parents:
        if parent.exists() or parent.is_symlink():
            return parent
    return Path(path.anchor or ".")


def check_output_path(
    path: str | os.PathLike[str], *, what: str = "output", estimate_bytes: int = 0
) -> Path:
    """Refuse an output path that could not be written, before any work is done.

    Missing folders above the file are allowed (they are made when the file is written); the
    nearest existing one must be a writable folder.

    Args:
        path: The file to write.
        what: The option or output it is, for the message (``"--json"``).
        estimate_bytes: About how large the file will be; refused without that much free
            space plus :data:`DISK_MARGIN_BYTES`.

    Returns:
        The absolute path.

    Raises:
        InputError: The path is a folder, a parent is a file, the folder is not writable, or
            the disk is too full.
    """
    check_path_text(path, what)
    final = Path(os.path.abspath(os.fspath(path)))
    if final.is_dir():
        raise InputError(
            f"{what} {shown(final)} is a folder; give a file name inside it, "
            f"e.g. {shown(final / ('out' + (Path(path).suffix or '.json')))}."
        )
    if final.exists() and not final.is_file():
        raise InputError(
            f"{what} {shown(final)} exists and is not a regular file; pick another name."
        )
    folder = _existing_ancestor(final)
    if not folder.is_dir():
        raise InputError(
            f"{what} {shown(final)} cannot be written: {shown(folder)} is a file, not a folder; "
            "choose another folder."
        )
    if not _writable(folder):
        raise InputError(
            f"{what} {shown(final)} cannot be written: no permission to write in folder "
            f"{shown(folder)}; choose another folder or change its permissions."
        )
    if estimate_bytes > 0:
        free = shutil.disk_usage(folder).free
        if free < estimate_bytes + DISK_MARGIN_BYTES:
            raise InputError(
                f"{what} {shown(final)} needs about {estimate_bytes / 1e6:.0f} MB but "
                f"{shown(folder)} has {free / 1e6:.0f} MB free; free some space or choose "
                "another folder."
            )
    return final


def _writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK | os.X_OK)


def check_distinct(paths: Iterable[tuple[str, Path | None]]) -> None:
    """Refuse two options that name the same output file.

    Raises:
        InputError: Two outputs resolve to one path.
    """
    seen: dict[Path, str] = {}
    for what, path in paths:
        if path is None:
            continue
        key = Path(os.path.abspath(path))
        if key in seen:
            raise InputError(f"{seen[key]} and {what} name the same file {shown(key)}; give two.")
        seen[key] = what


def temp_path_for(final: Path) -> Path:
    """A hidden, unique temporary name next to ``final`` that keeps its suffix."""
    return final.with_name(f".{final.stem}.{uuid.uuid4().hex[:12]}{TEMP_MARK}{final.suffix}")


def _make_parents(final: Path) -> list[Path]:
    """Make the missing folders above ``final``; returns those made, deepest first."""
    made = []
    for parent in final.parents:
        if parent.exists():
            break
        made.append(parent)
    for folder in reversed(made):
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        except OSError as exc:
            _remove_folders(made)
            raise _write_error(final, exc) from None
    return made


def _remove_folders(folders: Iterable[Path]) -> None:
    for folder in folders:  # deepest first; only empty ones go
        with contextlib.suppress(OSError):
            folder.rmdir()


def _write_error(final: Path, exc: OSError) -> InputError:
    reason = exc.strerror or type(exc).__name__
    return InputError(
        f"Cannot write {shown(final)}: {reason}; choose another folder or free some space."
    )


class OutputSet:
    """Several outputs written under temporary names and renamed together at the end.

    Use as a context manager: :meth:`temp` gives each output's temporary path; on a clean exit
    every temporary file is renamed to its final name, on an exception all of them (and any
    folder made for them) are removed, so a failed run leaves no new or changed file.
    """

    def __init__(self) -> None:
        self._pairs: list[tuple[Path, Path]] = []
        self._made: list[Path] = []

    def temp(self, final: str | os.PathLike[str]) -> Path:
        """The temporary path to write ``final``'s content to (its folder made if missing)."""
        path = Path(os.path.abspath(os.fspath(final)))
        self._made += _make_parents(path)
        temp = temp_path_for(path)
        self._pairs.append((temp, path))
        return temp

    def commit(self) -> None:
        """Rename every written temporary file into place.

        Raises:
            InputError: A temporary file is missing (not written) or a rename failed.
        """
        for temp, final in self._pairs:
            if not temp.is_file():
                raise InputError(f"Nothing was written for {shown(final)}.")
        for temp, final in self._pairs:
            try:
                os.replace(temp, final)
            except OSError as exc:
                raise _write_error(final, exc) from None
        self._pairs.clear()
        self._made.clear()

    def discard(self) -> None:
        """Remove every temporary file and every folder made for them."""
        for temp, _ in self._pairs:
            with contextlib.suppress(OSError):
                temp.unlink()
        self._pairs.clear()
        _remove_folders(self._made)
        self._made.clear()

    def __enter__(self) -> OutputSet:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            try:
                self.commit()
            finally:
                self.discard()
        else:
            self.discard()


@contextlib.contextmanager
def atomic_path(final: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path next to ``final``, renamed to it on success and removed on failure.

    Raises:
        InputError: The folder cannot be made or the rename failed (an OSError while the
            caller writes the temporary file is re-raised as one too, naming ``final``).
    """
    with OutputSet() as outputs:
        temp = outputs.temp(final)
        try:
            yield temp
        except OSError as exc:
            raise _write_error(Path(os.path.abspath(os.fspath(final))), exc) from None


def atomic_write_bytes(final: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``final`` atomically; returns the absolute path.

    Raises:
        InputError: The file could not be written (its message names the path).
    """
    with atomic_path(final) as temp, open(temp, "xb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    return Path(os.path.abspath(os.fspath(final)))


def atomic_write_text(final: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``final`` atomically (UTF-8 by default); returns the absolute path.

    Raises:
        InputError: The file could not be written (its message names the path).
    """
    return atomic_write_bytes(final, text.encode(encoding))
