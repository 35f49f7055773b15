"""adapters/phone_align: PocketSphinx forced alignment of espeak-ng speech, and its fallback."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from facial_affect_addon.adapters.phone_align import (
    METHOD_RATE,
    METHOD_SPHINX,
    align_transcript,
    estimate_from_rate,
)
from facial_affect_addon.core.emotions import EmotionWeights
from facial_affect_addon.core.errors import InputError
from facial_affect_addon.core.phonemes import SILENCE
from facial_affect_addon.pipeline.audio import align_utterances
from facial_affect_addon.pipeline.performance import Segment

from .speech_fixtures import espeak, read_wav

pytest.importorskip("pocketsphinx")
REPO = Path(__file__).resolve().parents[2]


def _trimmed_word(word: str, folder: Path) -> tuple[np.ndarray, int]:
    audio, rate = read_wav(espeak(word, folder / f"{word}.wav"))
    x = audio[:, 0]
    loud = np.flatnonzero(np.abs(x) > np.abs(x).max() * 0.01)
    return x[loud[0] : loud[-1] + 1], rate


def _onsets(phones) -> list[float]:
    out, last = [], ""
    for p in phones:
        if p.word and p.word != last:
            out.append(p.start)
        last = p.word
    return out


def test_word_onsets_beat_the_speaking_rate_on_words_joined_with_known_pauses(tmp_path):
    words = ["my", "brother", "put", "a", "map", "beside", "the", "lamp"]
    gaps = [0.05, 0.2, 0.03, 0.12, 0.25, 0.04, 0.15, 0.1]
    parts, truth, t = [], [], 0.3
    for word, gap in zip(words, gaps, strict=True):
        x, rate = _trimmed_word(word, tmp_path)
        truth.append(t)
        parts += [x, np.zeros(int(gap * rate), np.float32)]
        t += len(x) / rate + int(gap * rate) / rate
    pad = np.zeros(int(0.3 * rate), np.float32)
    audio = np.concatenate([pad, *parts, pad])
    aligned = align_transcript(audio, rate, " ".join(words))
    assert aligned.method == METHOD_SPHINX and aligned.notice is None
    rated = estimate_from_rate(audio, rate, " ".join(words))
    ours = np.abs(np.subtract(_onsets(aligned.phones), truth))
    theirs = np.abs(np.subtract(_onsets(rated.phones), truth))
    # Pauses before stops go partly to the stop's closure (lips do close then): a few large
    # errors, so the mean gains less than the median (bench_align: 0.47x over 6 sentences).
    assert ours.mean() < 0.8 * theirs.mean() and ours.mean() < 0.1  # seconds
    assert np.median(ours) < 0.5 * np.median(theirs)


def test_phones_carry_words_stress_offset_and_unknown_words(tmp_path):
    audio, rate = read_wav(espeak("Bob met the zorblat, by the pub.", tmp_path / "z.wav"))
    text = "Bob met the zorblat, by the pub."
    aligned = align_transcript(audio[:, 0], rate, text, offset_s=2.0)
    assert aligned.method == METHOD_SPHINX
    phones = aligned.phones
    spoken = [p for p in phones if p.symbol != SILENCE]
    assert [p.symbol for p in spoken[:3]] == ["B", "AA", "B"]
    assert {p.word for p in spoken} == {"bob", "met", "the", "zorblat", "by", "pub"}
    assert all(p.end > p.start >= 2.0 for p in phones)
    assert all(a.end <= b.start + 1e-9 for a, b in itertools.pairwise(phones))
    assert phones[-1].end <= 2.0 + audio.shape[0] / rate + 1e-6
    vowels = [p for p in spoken if p.symbol in {"AA", "EH", "AH", "AY", "AO", "AE"}]
    assert all(p.stress in (0, 1) for p in vowels)
    assert all(p.stress is None for p in spoken if p.symbol in {"B", "M", "T", "P"})


def test_a_transcript_the_audio_does_not_hold_falls_back_to_the_speaking_rate(tmp_path):
    audio, rate = read_wav(espeak("Bob met my mother.", tmp_path / "b.wav"))
    wrong = "seventeen furious elephants have eaten the entire orchard this morning"
    aligned = align_transcript(audio[:, 0], rate, wrong)
    assert aligned.method == METHOD_RATE
    assert aligned.notice and "speaking rate" in aligned.notice
    spoken = [p for p in aligned.phones if p.symbol != SILENCE]
    assert spoken[0].word == "seventeen" and spoken[-1].word == "morning"
    assert spoken[-1].end <= audio.shape[0] / rate + 1e-6


def test_without_pocketsphinx_the_speaking_rate_times_the_voiced_span(tmp_path):
    wav = espeak("Maybe the baby.", tmp_path / "m.wav")
    code = (
        "import sys; sys.modules['pocketsphinx'] = None\n"
        "from facial_affect_addon.adapters.phone_align import align_transcript\n"
        "from tests.unit.speech_fixtures import read_wav\n"
        f"a, r = read_wav(__import__('pathlib').Path({str(wav)!r}))\n"
        "x = align_transcript(a[:, 0], r, 'Maybe the baby.')\n"
        "print(x.method); print(x.notice); print(x.phones[0].start, x.phones[-1].end)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out[0] == METHOD_RATE
    assert "PocketSphinx is not installed" in out[1]
    start, end = map(float, out[2].split())
    audio, rate = read_wav(wav)
    assert 0.0 <= start < 0.2 and end <= audio.shape[0] / rate + 1e-6


def test_the_audio_pipeline_aligns_each_utterance_in_its_own_span(tmp_path):
    one, rate = read_wav(espeak("Bob met my mother.", tmp_path / "1.wav"))
    two, _ = read_wav(espeak("Mom made a big plum pie.", tmp_path / "2.wav"))
    gap = np.zeros(rate, np.float32)
    audio = np.concatenate([one[:, 0], gap, two[:, 0]])
    t2 = (len(one) + len(gap)) / rate
    w = EmotionWeights.pure("happiness")
    spans = [Segment(0.0, len(one) / rate, "Bob met my mother.", w, 1.0, "t"),
             Segment(t2, len(audio) / rate, "Mom made a big plum pie.", w, 1.0, "t"),
             Segment(t2, len(audio) / rate, "...", w, 1.0, "t")]  # fmt: skip
    speech = align_utterances(audio, rate, spans)
    assert speech.method == "pocketsphinx" and speech.notices == ()
    words = [p.word for p in speech.phones if p.word]
    assert words[0] == "bob" and words[-1] == "pie"
    assert min(p.start for p in speech.phones if p.word == "mom") > t2 - 0.1
    assert all(a.start <= b.start for a, b in itertools.pairwise(speech.phones))
    wrong = [spans[0], Segment(t2, len(audio) / rate, "seventeen furious elephants", w, 1.0, "t")]
    mixed = align_utterances(audio, rate, wrong)
    assert mixed.method == "pocketsphinx + speaking-rate" and len(mixed.notices) == 1


def test_bad_input_is_refused():
    with pytest.raises(InputError, match="no words"):
        align_transcript(np.zeros(16000, np.float32), 16000, "... !")
    with pytest.raises(InputError, match="sample rate"):
        align_transcript(np.zeros(16000, np.float32), 0, "hello")
    with pytest.raises(InputError, match="mono"):
        align_transcript(np.zeros((10, 2), np.float32), 16000, "hello")
