"""core.phonemes: dictionary parsing, letter-to-sound rules and text-only timing (issue 17)."""

from __future__ import annotations

import difflib
import itertools
from pathlib import Path

import pytest

from facial_affect_addon.core.errors import InputError
from facial_affect_addon.core.phonemes import (
    CONSONANTS,
    SILENCE,
    VOWELS,
    TimingOptions,
    default_dictionary_path,
    letter_to_sound,
    load_dictionary,
    parse_cmudict,
    pronounce,
    split_stress,
    time_text,
)

LTS_WORDS = {
    "cat": "K AE1 T",
    "ship": "SH IH1 P",
    "make": "M EY1 K",
    "night": "N AY1 T",
    "phone": "F OW1 N",
    "quick": "K W IH1 K",
    "knee": "N IY1",
    "city": "S IH1 T IY0",
    "chip": "CH IH1 P",
    "be": "B IY1",
    "go": "G OW1",
    "moon": "M UW1 N",
    "rain": "R EY1 N",
    "boat": "B OW1 T",
    "nation": "N EY1 SH AH0 N",
    "fox": "F AA1 K S",
    "wrap": "R AE1 P",
    "lamb": "L AE1 M",
    "think": "TH IH1 NG K",
    "fly": "F L AY1",
    "happy": "HH AE1 P IY0",
    "bird": "B ER1 D",
    "car": "K AA1 R",
    "joy": "JH OY1",
    "smile": "S M AY1 L",
    "dogs": "D AA1 G Z",
    "cats": "K AE1 T S",
}


def _bare(phones: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(split_stress(p)[0] for p in phones)


def test_phone_set_is_cmudicts_39() -> None:
    assert len(VOWELS) == 15 and len(CONSONANTS) == 24 and not VOWELS & CONSONANTS


@pytest.mark.parametrize(("word", "expected"), LTS_WORDS.items())
def test_letter_to_sound_word_list(word: str, expected: str) -> None:
    assert letter_to_sound(word) == tuple(expected.split())


def test_letter_to_sound_ignores_case_and_apostrophes() -> None:
    assert letter_to_sound("Can't") == ("K", "AE1", "N", "T")
    assert letter_to_sound("123") == ()


def test_parse_cmudict_both_flavours() -> None:
    lines = [
        ";;; a comment",
        "",
        "READ  R IY1 D",
        "READ(2)  R EH1 D",
        "the DH AH # reduced",
        "the(2) DH IY",
    ]
    d = parse_cmudict(lines)
    assert d["read"] == (("R", "IY1", "D"), ("R", "EH1", "D"))
    assert d["the"] == (("DH", "AH"), ("DH", "IY"))


def test_parse_cmudict_rejects_bad_lines() -> None:
    with pytest.raises(InputError, match="line 2: unknown phone 'QQ'"):
        parse_cmudict(["cat K AE T", "dog D QQ G"])
    with pytest.raises(InputError, match="line 1 has no phones"):
        parse_cmudict(["lonely"])


def test_load_dictionary_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="Cannot read the pronouncing dictionary"):
        load_dictionary(tmp_path / "absent.dict")


def test_load_dictionary_from_file(tmp_path: Path) -> None:
    path = tmp_path / "tiny.dict"
    path.write_text("bob B AA B\nmap M AE P\n", encoding="utf-8")
    assert load_dictionary(path) == {"bob": (("B", "AA", "B"),), "map": (("M", "AE", "P"),)}


def _pocketsphinx_dict() -> dict[str, tuple[tuple[str, ...], ...]]:
    path = default_dictionary_path()
    if path is None:
        pytest.skip("pocketsphinx (which ships cmudict-en-us.dict) is not installed")
    return load_dictionary(path)


def test_default_dictionary_is_pocketsphinx_cmudict() -> None:
    d = _pocketsphinx_dict()
    assert len(d) > 120_000
    assert d["the"][0] == ("DH", "AH")
    # No stress in this flavour: pronounce() adds it, and function words stay unstressed.
    assert pronounce("mama", d) == ("M", "AA1", "M", "AH0")
    assert pronounce("the", d) == ("DH", "AH0")


def test_letter_to_sound_against_cmudict() -> None:
    """Phone mismatch vs CMUdict on every 50th word; naive one-letter-one-phone is the baseline."""
    d = _pocketsphinx_dict()
    words = sorted(w for w in d if w.isalpha())[::50]
    naive = dict(
        zip(
            "abcdefghijklmnopqrstuvwxyz",
            "AE B K D EH F G HH IH JH K L M N AA P K R S T AH V W K IH Z".split(),  # noqa: SIM905
            strict=True,
        )
    )

    def mismatch(guess: tuple[str, ...], truth: tuple[str, ...]) -> float:
        matcher = difflib.SequenceMatcher(a=guess, b=truth)
        same = sum(m.size for m in matcher.get_matching_blocks())
        return 1.0 - same / max(len(guess), len(truth))

    ours = sum(mismatch(_bare(letter_to_sound(w)), _bare(d[w][0])) for w in words) / len(words)
    base = sum(mismatch(tuple(naive[c] for c in w), _bare(d[w][0])) for w in words) / len(words)
    assert ours < 0.28
    assert ours < 0.65 * base


def _tiny() -> dict[str, tuple[tuple[str, ...], ...]]:
    return {
        "bob": (("B", "AA1", "B"),),
        "map": (("M", "AE1", "P"),),
        "happy": (("HH", "AE1", "P", "IY0"),),
    }


def test_time_text_exact_layout() -> None:
    phones = time_text("Bob, map.", _tiny(), TimingOptions(syllables_per_second=5.0))
    assert [p.symbol for p in phones] == ["B", "AA", "B", SILENCE, "M", "AE", "P", SILENCE]
    # One syllable lasts 0.2 s, shared 0.6 : 1.5 : 0.6 between consonant, stressed vowel, consonant.
    assert phones[0].end == pytest.approx(0.2 * 0.6 / 2.7)
    assert phones[1].end == pytest.approx(0.2 * 2.1 / 2.7)
    assert (phones[3].start, phones[3].end) == pytest.approx((0.2, 0.45))  # comma pause
    assert (phones[7].start, phones[7].end) == pytest.approx((0.65, 1.15))  # full stop pause
    assert phones[1].stress == 1 and phones[0].stress is None and phones[1].word == "bob"
    assert all(a.end == pytest.approx(b.start) for a, b in itertools.pairwise(phones))


def test_time_text_rate_and_stress() -> None:
    slow = time_text("happy", _tiny(), TimingOptions(syllables_per_second=2.0))
    fast = time_text("happy", _tiny(), TimingOptions(syllables_per_second=4.0))
    assert slow[-1].end == pytest.approx(1.0) and fast[-1].end == pytest.approx(0.5)
    ae, iy = fast[1], fast[3]
    assert (ae.end - ae.start) == pytest.approx(1.5 * (iy.end - iy.start))


def test_time_text_pauses_merge_and_lead_in() -> None:
    phones = time_text("bob,. map", _tiny(), TimingOptions(lead_in=0.1))
    symbols = [p.symbol for p in phones]
    assert symbols == [SILENCE, "B", "AA", "B", SILENCE, "M", "AE", "P"]
    pause = phones[4]
    assert pause.end - pause.start == pytest.approx(0.5)  # ",." is one stop-length pause


def test_time_text_digits_and_unknown_words() -> None:
    phones = time_text("7 zorp", {})
    words = [p.word for p in phones]
    assert words[0] == "seven" and words[-1] == "zorp"
    assert [p.symbol for p in phones if p.word == "zorp"] == ["Z", "AO", "R", "P"]


def test_time_text_errors() -> None:
    with pytest.raises(InputError, match="no words"):
        time_text("  ... !", _tiny())
    with pytest.raises(InputError, match="positive"):
        time_text("bob", _tiny(), TimingOptions(syllables_per_second=0.0))
