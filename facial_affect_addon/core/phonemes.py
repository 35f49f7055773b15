"""Phones from text: the ARPAbet phone set, a pronouncing dictionary, letter-to-sound rules, timing.

This is the text side of lip-sync (issue 17) when no audio is there to align against: words are
looked up in a CMUdict-format pronouncing dictionary, words it lacks go through a small set of
English letter-to-sound rules (written for this project, documented at :data:`_RULES`), and the
phones are laid out in time from a speaking rate. Nothing here is wired into bakes yet.

The default dictionary is the ``cmudict-en-us.dict`` that the ``pocketsphinx`` wheel ships (a
registry package, found at run time by :func:`default_dictionary_path`, never imported); its
entries carry no stress digits, so stress falls back to :func:`_guess_stress`.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError

VOWELS: frozenset[str] = frozenset(
    ["AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"]
)
"""ARPAbet vowels (the 15 of CMUdict's 39-phone set)."""
CONSONANTS: frozenset[str] = frozenset(
    "B CH D DH F G HH JH K L M N NG P R S SH T TH V W Y Z ZH".split()  # noqa: SIM905
)
"""ARPAbet consonants (the 24 of CMUdict's 39-phone set)."""
SILENCE = "SIL"
"""The pause symbol used between phrases and around the utterance."""
PHONES: frozenset[str] = VOWELS | CONSONANTS | {SILENCE}

Pronunciation = tuple[str, ...]
"""Phones of one word, each an ARPAbet symbol optionally followed by a stress digit (``AH0``)."""


def split_stress(phone: str) -> tuple[str, int | None]:
    """Split ``"AH1"`` into ``("AH", 1)``; a phone without a digit gives ``(phone, None)``."""
    if phone[-1:].isdigit():
        return phone[:-1], int(phone[-1])
    return phone, None


@dataclass(frozen=True)
class Phone:
    """One timed phone.

    Attributes:
        symbol: ARPAbet symbol without stress digit, or :data:`SILENCE`.
        start: Seconds from the start of the utterance.
        end: Seconds; greater than ``start``.
        stress: 1 primary, 2 secondary, 0 unstressed vowel; ``None`` for consonants and silence.
        word: The word it belongs to (empty for silence).
    """

    symbol: str
    start: float
    end: float
    stress: int | None = None
    word: str = ""

    @property
    def centre(self) -> float:
        """Mid-point in seconds: where the phone's articulatory target is reached."""
        return 0.5 * (self.start + self.end)


# ---------------------------------------------------------------------------------------------
# Pronouncing dictionary (CMUdict text format)


def parse_cmudict(lines: Iterable[str]) -> dict[str, tuple[Pronunciation, ...]]:
    """Read CMUdict-format lines: ``WORD  PH PH ...``, alternates as ``WORD(2)``.

    Both the original CMUdict (upper case, stress digits, ``;;;`` comments) and PocketSphinx's
    ``cmudict-en-us.dict`` (lower case, no stress) are accepted. Words are stored lower case;
    a trailing ``#`` comment is dropped.

    Args:
        lines: The file's lines.

    Returns:
        Word → its pronunciations in file order.

    Raises:
        InputError: On a line with no phones or a symbol outside the ARPAbet set.
    """
    out: dict[str, list[Pronunciation]] = {}
    for number, raw in enumerate(lines, 1):
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith(";;;"):
            continue
        parts = line.split()
        if len(parts) < 2:
            raise InputError(
                f"Pronouncing dictionary line {number} has no phones: {raw.strip()!r}."
            )
        word = re.sub(r"\(\d+\)$", "", parts[0]).lower()
        phones = tuple(p.upper() for p in parts[1:])
        for p in phones:
            if split_stress(p)[0] not in VOWELS | CONSONANTS:
                raise InputError(f"Pronouncing dictionary line {number}: unknown phone {p!r}.")
        out.setdefault(word, []).append(phones)
    return {w: tuple(p) for w, p in out.items()}


def load_dictionary(path: str | Path) -> dict[str, tuple[Pronunciation, ...]]:
    """Load a CMUdict-format pronouncing dictionary from a file.

    Raises:
        InputError: When the file cannot be read or is malformed.
    """
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(f"Cannot read the pronouncing dictionary {path}: {exc}.") from exc
    return parse_cmudict(text.splitlines())


def default_dictionary_path() -> Path | None:
    """The ``cmudict-en-us.dict`` shipped in the installed ``pocketsphinx`` package, if any.

    The package is located without being imported (it loads a native library).
    """
    try:
        spec = importlib.util.find_spec("pocketsphinx")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        path = Path(root) / "model" / "en-us" / "cmudict-en-us.dict"
        if path.is_file():
            return path
    return None


# ---------------------------------------------------------------------------------------------
# Letter-to-sound rules

_V = "aeiouy"
_RULES: tuple[tuple[str, str, str, str], ...] = (
    # (left context, letters, right context, phones). Contexts are regexes anchored at the
    # letters: "^" word start, "$" word end, "C" one consonant letter, "V" one vowel letter.
    # The first rule whose letters and both contexts match wins; the order puts longer and more
    # specific spellings first. Written from ordinary English spelling patterns, not copied.
    ("", "tch", "", "CH"),
    ("", "tion", "", "SH AH N"),
    ("", "sion", "", "ZH AH N"),
    ("", "igh", "", "AY"),
    ("", "ough", "t", "AO"),
    ("^", "kn", "", "N"),
    ("^", "wr", "", "R"),
    ("", "mb", "$", "M"),
    ("", "ch", "", "CH"),
    ("", "sh", "", "SH"),
    ("", "th", "", "TH"),
    ("", "ph", "", "F"),
    ("", "wh", "", "W"),
    ("", "ck", "", "K"),
    ("", "ng", "", "NG"),
    ("", "n", "[kq]", "NG"),
    ("", "qu", "", "K W"),
    ("", "gh", "", ""),
    ("", "x", "", "K S"),
    ("", "ee", "", "IY"),
    ("", "ea", "", "IY"),
    ("", "oo", "", "UW"),
    ("", "ou", "", "AW"),
    ("", "ow", "$", "OW"),
    ("", "ow", "", "AW"),
    ("", "ai", "", "EY"),
    ("", "ay", "", "EY"),
    ("", "oa", "", "OW"),
    ("", "oi", "", "OY"),
    ("", "oy", "", "OY"),
    ("", "au", "", "AO"),
    ("", "aw", "", "AO"),
    ("", "ew", "", "UW"),
    ("", "ie", "$", "IY"),
    ("", "er", "", "ER"),
    ("", "ir", "", "ER"),
    ("", "ur", "", "ER"),
    ("", "ar", "", "AA R"),
    ("", "or", "", "AO R"),
    ("VC+", "e", "$", ""),  # silent final e after vowel + consonant ("make", "phone"; not "be")
    # Magic e: vowel + one consonant + final e is the long vowel.
    ("", "a", "C" + "e$", "EY"),
    ("", "i", "C" + "e$", "AY"),
    ("", "o", "C" + "e$", "OW"),
    ("", "u", "C" + "e$", "UW"),
    ("", "e", "C" + "e$", "IY"),
    ("", "a", "tion", "EY"),
    ("", "e", "$", "IY"),  # "be", "we", "she"
    ("", "o", "$", "OW"),  # "go", "no", "so"
    ("^", "y", "V", "Y"),
    ("^C+", "y", "$", "AY"),  # one-syllable "my", "fly", "sky"
    ("", "y", "$", "IY"),  # "happy", "city"
    ("", "a", "", "AE"),
    ("", "e", "", "EH"),
    ("", "i", "", "IH"),
    ("", "o", "", "AA"),
    ("", "u", "", "AH"),
    ("", "y", "", "IH"),
    ("", "c", "[eiy]", "S"),
    ("", "g", "[eiy]", "JH"),
    ("[bdgmnlrvw]", "s", "$", "Z"),  # plural/verb -s after a voiced consonant ("dogs", "runs")
    ("", "b", "", "B"),
    ("", "c", "", "K"),
    ("", "d", "", "D"),
    ("", "f", "", "F"),
    ("", "g", "", "G"),
    ("", "h", "", "HH"),
    ("", "j", "", "JH"),
    ("", "k", "", "K"),
    ("", "l", "", "L"),
    ("", "m", "", "M"),
    ("", "n", "", "N"),
    ("", "p", "", "P"),
    ("", "q", "", "K"),
    ("", "r", "", "R"),
    ("", "s", "", "S"),
    ("", "t", "", "T"),
    ("", "v", "", "V"),
    ("", "w", "", "W"),
    ("", "z", "", "Z"),
)


def _context(pattern: str) -> str:
    return pattern.replace("C", f"[^{_V}]").replace("V", f"[{_V}]")


_COMPILED = tuple(
    (
        re.compile(f"(?:{_context(left)})$") if left else None,
        letters,
        re.compile(_context(right)),
        phones,
    )
    for left, letters, right, phones in _RULES
)


def letter_to_sound(word: str) -> Pronunciation:
    """Guess the phones of an English word from its spelling (for words not in the dictionary).

    Greedy left-to-right: at each position the first rule of :data:`_RULES` whose letters and
    contexts match emits its phones; a doubled consonant letter is read once. The first vowel
    gets primary stress (digit 1), the others 0. Letters other than a-z are ignored.

    Args:
        word: One word.

    Returns:
        The guessed phones with stress digits on vowels (empty for a word with no letters).
    """
    w = re.sub(r"[^a-z]", "", word.lower())
    phones: list[str] = []
    i = 0
    while i < len(w):
        if i > 0 and w[i] == w[i - 1] and w[i] not in _V:
            i += 1  # "ll", "pp": one consonant
            continue
        for left, letters, right, out in _COMPILED:
            if not w.startswith(letters, i):
                continue
            if left is not None and not left.search(w[:i]):
                continue
            if not right.match(w, i + len(letters)):
                continue
            phones.extend(out.split())
            i += len(letters)
            break
        else:  # no rule: skip the letter (cannot happen for a-z, kept for safety)
            i += 1
    return _guess_stress(tuple(phones))


def _guess_stress(phones: Pronunciation) -> Pronunciation:
    """Add stress digits where none are given: the first vowel primary, the others unstressed."""
    if any(split_stress(p)[1] is not None for p in phones):
        return phones
    out, seen = [], False
    for p in phones:
        if p in VOWELS:
            out.append(p + ("0" if seen else "1"))
            seen = True
        else:
            out.append(p)
    return tuple(out)


_FUNCTION_TEXT = (
    "a an the and or but of to in on at by for with from as is are was were be been am i you "
    "he she it we they me him her us them my your his its our their this that"
)
_FUNCTION_WORDS = frozenset(_FUNCTION_TEXT.split())


def pronounce(
    word: str, dictionary: Mapping[str, Sequence[Pronunciation]] | None = None
) -> Pronunciation:
    """Phones of one word: the dictionary's first pronunciation, else :func:`letter_to_sound`.

    Function words (articles, pronouns, auxiliaries) lose their stress: they are reduced in
    running speech.
    """
    key = word.lower()
    entries = dictionary.get(key) if dictionary else None
    phones = _guess_stress(tuple(entries[0])) if entries else letter_to_sound(key)
    if key in _FUNCTION_WORDS:
        phones = tuple(
            split_stress(p)[0] + "0" if split_stress(p)[1] is not None else p for p in phones
        )
    return phones


# ---------------------------------------------------------------------------------------------
# Timing from text


@dataclass(frozen=True)
class TimingOptions:
    """How phones are laid out in time from text alone.

    Attributes:
        syllables_per_second: Speaking rate. 5.0 sits between relaxed conversation (about 4) and
            read English (about 6 syllables/s, Pellegrino, Coupé & Marsico 2011, *Language* 87).
        consonant_weight: A consonant's share of its word's time relative to an unstressed vowel.
        stressed_weight: A primary-stressed vowel's share (stressed vowels are longer).
        secondary_weight: A secondary-stressed vowel's share.
        comma_pause: Silence after ``, ; : -`` in seconds.
        stop_pause: Silence after ``. ! ?`` in seconds.
        lead_in: Silence before the first phone, seconds.
    """

    syllables_per_second: float = 5.0
    consonant_weight: float = 0.6
    stressed_weight: float = 1.5
    secondary_weight: float = 1.2
    comma_pause: float = 0.25
    stop_pause: float = 0.5
    lead_in: float = 0.0


_TOKEN = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*|\d|[,;:.!?]|\s-+\s|—")
_DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def _weight(phone: str, options: TimingOptions) -> float:
    base, stress = split_stress(phone)
    if base not in VOWELS:
        return options.consonant_weight
    return {1: options.stressed_weight, 2: options.secondary_weight}.get(stress or 0, 1.0)


def time_text(
    text: str,
    dictionary: Mapping[str, Sequence[Pronunciation]] | None = None,
    options: TimingOptions | None = None,
) -> tuple[Phone, ...]:
    """Estimate phone timing for a line of text with no audio.

    Each word lasts ``syllables / syllables_per_second`` (a word with no vowel counts as one
    syllable) and is shared among its phones by :func:`_weight`. Punctuation inserts a
    :data:`SILENCE` phone; digits are read one by one.

    Args:
        text: The line.
        dictionary: Pronouncing dictionary (``None``: letter-to-sound rules only).
        options: Rate and pauses.

    Returns:
        Phones sorted by time, touching, silences included.

    Raises:
        InputError: When the text holds no words or the options are not positive.
    """
    opt = options or TimingOptions()
    if opt.syllables_per_second <= 0 or min(opt.consonant_weight, opt.stressed_weight) <= 0:
        raise InputError("The speaking rate and phone weights must be positive.")
    phones: list[Phone] = []
    t = opt.lead_in
    if t > 0:
        phones.append(Phone(SILENCE, 0.0, t))
    for token in _TOKEN.findall(text):
        token = token.strip()
        if token in {",", ";", ":", "—"} or token.startswith("-"):
            pause = opt.comma_pause
        elif token in {".", "!", "?"}:
            pause = opt.stop_pause
        else:
            word = _DIGITS[int(token)] if token.isdigit() else token
            t = _lay_out_word(word, pronounce(word, dictionary), t, opt, phones)
            continue
        if phones and phones[-1].symbol == SILENCE:  # ",." together: the longer pause
            last = phones.pop()
            pause = max(pause, last.end - last.start)
            t = last.start
        if phones:
            phones.append(Phone(SILENCE, t, t + pause))
            t += pause
    if not any(p.symbol != SILENCE for p in phones):
        raise InputError("The text holds no words to time.")
    return tuple(phones)


def _lay_out_word(
    word: str, pron: Pronunciation, t: float, opt: TimingOptions, out: list[Phone]
) -> float:
    if not pron:
        return t
    syllables = max(1, sum(split_stress(p)[0] in VOWELS for p in pron))
    weights = [_weight(p, opt) for p in pron]
    scale = syllables / opt.syllables_per_second / sum(weights)
    for p, w in zip(pron, weights, strict=True):
        base, stress = split_stress(p)
        end = t + w * scale
        out.append(Phone(base, t, end, stress if base in VOWELS else None, word.lower()))
        t = end
    return t
