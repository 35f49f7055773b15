"""Style-insensitive name normalisation shared by AU parsing and rig-profile detection.

Rigs spell the same shape key in many styles: ``mouthSmileLeft``, ``MouthSmile_L``,
``mouth_smile_left``, ``mouthSmile.L``, ``Left_mouthSmile``. :func:`normalize_name` maps all of
them to one token string (``"mouthsmilel"``) so matching ignores case, separators, camelCase and
the spelling of the side.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Word boundaries inside one separator-free chunk: lower->Upper ("mouthSmile"), an acronym
# followed by a word ("AUFoo" -> "AU", "Foo"), and letter<->digit ("AU01L" -> "AU", "01", "L").
_CHUNK_SPLIT = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_SEPARATORS = re.compile(r"[\s_\-.:|/\\]+")
_SIDE_WORDS = {"left": "l", "right": "r", "lft": "l", "rgt": "r"}


def name_tokens(name: str) -> tuple[str, ...]:
    """Split a name into lower-case word tokens with sides and numbers canonicalised.

    ``left``/``right`` become ``l``/``r`` (also when glued to the end of an all-lower-case name,
    ``mouthsmileleft``); a leading side token moves to the end
    (``L_mouthSmile`` == ``mouthSmile_L``); digit runs lose leading zeros (``AU01`` == ``AU1``).

    Args:
        name: Any shape-key or Action Unit name.

    Returns:
        The tokens, possibly empty.
    """
    tokens: list[str] = []
    for chunk in _SEPARATORS.split(str(name)):
        for tok in _CHUNK_SPLIT.findall(chunk):
            low = tok.lower()
            if low.isdigit():
                low = low.lstrip("0") or "0"  # not int(): a 5,000-digit run would raise
            tokens.append(_SIDE_WORDS.get(low, low))
    if tokens and len(tokens[-1]) > 5:
        # All-lower-case names without separators ("mouthsmileleft") still end in a side word.
        for word, side in (("left", "l"), ("right", "r")):
            if tokens[-1].endswith(word):
                tokens[-1:] = [tokens[-1][: -len(word)], side]
                break
    if len(tokens) > 1 and tokens[0] in ("l", "r"):
        tokens.append(tokens.pop(0))
    return tuple(tokens)


@lru_cache(maxsize=4096)
def normalize_name(name: str) -> str:
    """The style-free key of ``name``: its :func:`name_tokens` joined without separators.

    Examples:
        ``mouthSmileLeft``, ``MouthSmile_L``, ``mouth_smile_left`` and ``mouthSmile.L`` all give
        ``"mouthsmilel"``; ``AU01_L`` and ``au1l`` give ``"au1l"``.
    """
    return "".join(name_tokens(name))
