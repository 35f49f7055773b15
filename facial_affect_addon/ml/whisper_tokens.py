"""Whisper's vocabulary: the special tokens decoding needs and byte-level BPE decoding to text.

The vocabulary file lists one token string per id; ordinary tokens are GPT-2's byte-level BPE
pieces (each byte written as a printable character), decoded back to UTF-8 bytes here.
"""

from __future__ import annotations

from ..core.errors import ModelError


def _byte_decoder() -> dict[str, int]:
    """GPT-2's byte-level BPE table, inverted: the printable character of each byte → byte."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1),
                 *range(ord("®"), ord("ÿ") + 1)]  # fmt: skip
    chars = list(printable)
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return {chr(c): b for b, c in zip(printable, chars, strict=True)}


class Vocabulary:
    """Token strings of the model, their special ids, and byte-level decoding to text."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        index = {t: i for i, t in enumerate(tokens)}
        try:
            self.eot = index["<|endoftext|>"]
            self.sot = index["<|startoftranscript|>"]
            self.no_speech = index["<|nocaptions|>"]
            self.no_timestamps = index["<|notimestamps|>"]
        except KeyError as exc:
            raise ModelError(f"The Whisper vocabulary lacks the token {exc}.") from exc
        self._bytes = _byte_decoder()

    def decode(self, ids: list[int]) -> str:
        """Text of the ordinary (non-special) tokens among ``ids``."""
        chars = "".join(self.tokens[i] for i in ids if i < self.eot)
        data = bytes(self._bytes.get(c, ord("?")) for c in chars)
        return data.decode("utf-8", errors="replace")
