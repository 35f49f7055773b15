"""Text from users and files, checked before it reaches a tokenizer or a model.

Limits (documented in the README): a line holds at most :data:`MAX_LINE_CHARS` characters, a
text (all its lines) at most :data:`MAX_TEXT_CHARS`, a text file at most :data:`MAX_FILE_BYTES`.
Text must be valid Unicode: undecodable bytes (which Python turns into lone surrogates in
``sys.argv``) and lone surrogates are refused; control characters are replaced by spaces
(line breaks, tabs) or removed. Text files are UTF-8, with or without a byte-order mark; UTF-16
and UTF-32 (named from their BOM) and other encodings are refused with a message that says so.

Standard library only.
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .atomic import shown
from .errors import InputError

MAX_LINE_CHARS = 20_000
MAX_TEXT_CHARS = 200_000
MAX_FILE_BYTES = 1_000_000
_BOMS = (
    (b"\x00\x00\xfe\xff", "UTF-32 (big-endian)"),
    (b"\xff\xfe\x00\x00", "UTF-32 (little-endian)"),
    (b"\xfe\xff", "UTF-16 (big-endian)"),
    (b"\xff\xfe", "UTF-16 (little-endian)"),
)
_SPACES = {"\t", "\n", "\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"}


@dataclass(frozen=True)
class CleanText:
    """A checked line or text, and how many control characters were removed (line breaks and
    tabs become spaces without counting)."""

    text: str
    n_removed: int = 0


def _surrogate_error(text: str, what: str) -> InputError | None:
    for i, c in enumerate(text):
        if "\ud800" <= c <= "\udfff":
            if "\udc80" <= c <= "\udcff":  # surrogateescape: an undecodable byte
                return InputError(
                    f"The {what} has bytes that are not valid UTF-8 (byte 0x{ord(c) - 0xDC00:02x} "
                    f"at character {i + 1}); give it as UTF-8 text."
                )
            return InputError(
                f"The {what} holds a lone surrogate (U+{ord(c):04X} at character {i + 1}), "
                "which is not valid Unicode; give it as UTF-8 text."
            )
    return None


def clean_line(text: str, what: str = "text") -> CleanText:
    """Check one line: valid Unicode, not too long; control characters replaced or removed.

    Args:
        text: The line (e.g. a command-line argument).
        what: What it is, for the message.

    Raises:
        InputError: Undecodable bytes or lone surrogates, or more than :data:`MAX_LINE_CHARS`.
    """
    if len(text) > MAX_LINE_CHARS:
        raise InputError(
            f"The {what} is {len(text):,} characters long; the most is {MAX_LINE_CHARS:,} "
            "per line. Split it into lines in a text file (text --file FILE)."
        )
    error = _surrogate_error(text, what)
    if error is not None:
        raise error
    out, removed = [], 0
    for c in text:
        if c in _SPACES:
            out.append(" ")
        elif unicodedata.category(c) == "Cc":
            removed += 1
        else:
            out.append(c)
    return CleanText("".join(out), removed)


def decode_text_file(data: bytes, name: str) -> str:
    """Decode a text file's bytes as UTF-8 (a BOM is allowed and dropped).

    Raises:
        InputError: UTF-16/32 (by BOM), a binary file, or bytes that are not UTF-8.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            raise InputError(f"{name} is encoded as {encoding}; save it as UTF-8.")
    if b"\x00" in data[:8192]:
        raise InputError(f"{name} is a binary file, not text; give a UTF-8 text file.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        guess = ""
        try:
            data.decode("cp1252")
            guess = " (it looks like Windows-1252 or Latin-1)"
        except UnicodeDecodeError:
            pass
        raise InputError(
            f"{name} is not UTF-8{guess}: byte 0x{data[exc.start]:02x} at offset {exc.start}; "
            "save it as UTF-8."
        ) from None


def read_text_file(path: str | os.PathLike[str]) -> tuple[tuple[str, ...], int]:
    """The non-empty lines of a UTF-8 text file, each checked by :func:`clean_line`.

    Returns:
        (the lines, how many control characters were removed).

    Raises:
        InputError: Missing or unreadable, larger than :data:`MAX_FILE_BYTES`, not UTF-8, a
            line too long or invalid, more than :data:`MAX_TEXT_CHARS` in all, or no text.
    """
    path = Path(path)
    name = shown(path)
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise InputError(f"{name} is not a file; give a UTF-8 text file.")
        if size > MAX_FILE_BYTES:
            raise InputError(
                f"{name} is {size / 1e6:.1f} MB; a text file may hold at most "
                f"{MAX_FILE_BYTES / 1e6:.0f} MB. Split it."
            )
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"Cannot read {name}: {exc.strerror or exc}.") from None
    text = decode_text_file(data, name)
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(
            f"{name} holds {len(text):,} characters; the most is {MAX_TEXT_CHARS:,}. Split it."
        )
    lines, removed = [], 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = clean_line(raw, f"line {number} of {name}")
        removed += line.n_removed
        if line.text.strip():
            lines.append(line.text.strip())
    if not lines:
        raise InputError(f"{name} holds no text.")
    return tuple(lines), removed
