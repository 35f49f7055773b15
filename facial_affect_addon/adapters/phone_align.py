"""Phone timing from audio: force-align a known transcript with PocketSphinx (issue 17 §1).

:func:`align_transcript` takes the samples of one utterance and its text and returns timed
ARPAbet phones (:class:`..core.phonemes.Phone`). The transcript is known (the speech engine
produced it), so this is forced alignment, not recognition: PocketSphinx 5's ``Decoder`` is given
the words as a linear grammar (``set_align_text``), decodes once for word boundaries, then a
second pass (``set_alignment``) gives each word's phones. Its bundled en-US acoustic model and
``cmudict-en-us.dict`` are used; no language model is loaded (the shipped extension leaves the
26 MB ``en-us.lm.bin`` out, see ``tools/build_extension.py``).

Why PocketSphinx and not the speaking-rate estimate or Whisper's word timestamps: measured by
``bench/bench_align.py`` on 6 espeak-ng sentences whose word onsets are known exactly (each
word synthesised alone and joined with known pauses), PocketSphinx's mean word-onset error was
60 ms against 129 ms for the speaking-rate layout stretched onto the same voiced span and
151-202 ms for faster-whisper's word timestamps (Whisper tiny.en, dev-only). It also gives
phone boundaries, which Whisper does not (its word times come from cross-attention), it is
offline, it ran at 0.08-0.14 s of CPU per second of audio, and it ships for every platform and
both Blender Pythons. Its remaining error is mostly a pause given to the closure of the
following stop (p, b), where the lips are indeed closing.

One detail matters, found on espeak-ng speech: PocketSphinx's alignment failed ("final result
does not match the grammar") on most sentences whose pauses were digital silence (exact zeros),
and succeeded on all of them once noise at -70 dBFS was added, so :func:`_sphinx_phones` adds
that (fixed seed). Optional silences between words stay on (``fsgusefiller``): turning them off
made every alignment succeed but pushed pauses into the neighbouring words, and the onset error
rose above the speaking-rate baseline's. A ``<sil>`` is put at the start, at the end and at
punctuation. When the alignment fails anyway, or PocketSphinx is missing, the phones come from
:func:`..core.phonemes.time_text` stretched onto the utterance's voiced span, with a notice.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from ..core.errors import InputError, ModelError
from ..core.phonemes import (
    PHONES,
    SILENCE,
    Phone,
    Pronunciation,
    default_dictionary_path,
    letter_to_sound,
    parse_cmudict,
    pronounce,
    split_stress,
    time_text,
)

METHOD_SPHINX = "pocketsphinx"
METHOD_RATE = "speaking-rate"
ALIGN_RATE = 16000
"""Sample rate PocketSphinx's en-US acoustic model expects."""
FRAME_S = 0.01
"""PocketSphinx's frame period (100 frames per second)."""
PAD_S = 0.15
"""Quiet padding added on both sides so the grammar's leading and trailing ``<sil>`` fit."""
NOISE_LEVEL = 3e-4
"""RMS of the noise added before aligning (about -70 dBFS): see the module docstring."""
_SIL_WORD = "<sil>"
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*|[,;:.!?]")
_lock = threading.Lock()


@dataclass(frozen=True)
class PhoneAlignment:
    """Timed phones of one utterance.

    Attributes:
        phones: ARPAbet phones without stress digits on the symbol (stress in ``stress``),
            :data:`..core.phonemes.SILENCE` for pauses, ``word`` filled, in time order.
        method: ``"pocketsphinx"`` (aligned to the audio) or ``"speaking-rate"`` (estimated).
        notice: Why the fallback was used, for the user; None when aligned.
    """

    phones: tuple[Phone, ...]
    method: str
    notice: str | None = None


def align_transcript(
    samples: np.ndarray, sample_rate: int, text: str, *, offset_s: float = 0.0
) -> PhoneAlignment:
    """Align ``text`` to ``samples`` and return its timed phones.

    Args:
        samples: Mono audio of the utterance (float in [-1, 1], or int16).
        sample_rate: Its sample rate (resampled to 16 kHz when different).
        text: What was said. Words PocketSphinx's dictionary lacks are added from
            :func:`..core.phonemes.letter_to_sound`.
        offset_s: Added to every time (the utterance's start within the clip).

    Returns:
        The phones, the method used and, for the speaking-rate fallback, a notice.

    Raises:
        InputError: Empty audio, a non-positive sample rate or a text without words.
    """
    audio = _prepare(samples, sample_rate)
    words = [t for t in _WORD.findall(text.lower()) if t.isalpha() or "'" in t]
    if not words:
        raise InputError(f"Nothing to align: the text {text!r} holds no words.")
    try:
        result = PhoneAlignment(_sphinx_phones(audio, text), METHOD_SPHINX)
    except ModelError as exc:
        notice = f"Lip-sync timing estimated from a speaking rate: {exc}"
        result = PhoneAlignment(_rate_phones(audio, text), METHOD_RATE, notice)
    duration = len(samples) / sample_rate  # not the resampled length, which may round up
    phones = (
        replace(p, start=p.start + offset_s, end=min(p.end, duration) + offset_s)
        for p in result.phones
        if p.start < duration
    )
    return replace(result, phones=tuple(phones))


def _prepare(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Mono float32 at 16 kHz."""
    if sample_rate <= 0:
        raise InputError(f"The sample rate must be positive, not {sample_rate}.")
    x = np.asarray(samples)
    if x.ndim != 1 or x.size == 0:
        raise InputError("Alignment needs mono audio with at least one sample.")
    x = x.astype(np.float32) / 32768.0 if x.dtype == np.int16 else x.astype(np.float32)
    if sample_rate != ALIGN_RATE:
        from .audio import resample

        x = resample(x, sample_rate, ALIGN_RATE).astype(np.float32)
    return x


# -- PocketSphinx ----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _decoder():  # -> pocketsphinx.Decoder (native; imported lazily)
    try:
        from pocketsphinx import Decoder
    except ImportError as exc:
        raise ModelError("PocketSphinx is not installed") from exc
    try:
        return Decoder(lm=None, samprate=ALIGN_RATE, logfn=os.devnull)
    except (RuntimeError, ValueError) as exc:
        raise ModelError(f"PocketSphinx's en-US model did not load ({exc})") from exc


def _grammar_words(decoder, text: str) -> list[str]:
    """The words to align, ``<sil>`` at the ends and at punctuation; unknown words added."""
    out = [_SIL_WORD]
    for token in _WORD.findall(text.lower()):
        if not token[0].isalpha():
            if out[-1] != _SIL_WORD:
                out.append(_SIL_WORD)
            continue
        if decoder.lookup_word(token) is None:
            phones = [split_stress(p)[0] for p in letter_to_sound(token)]
            if not phones:
                continue
            decoder.add_word(token, " ".join(phones), True)
        out.append(token)
    if out[-1] != _SIL_WORD:
        out.append(_SIL_WORD)
    return out


def _decode(decoder, pcm: bytes) -> None:
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()


def _sphinx_phones(audio: np.ndarray, text: str) -> tuple[Phone, ...]:
    """Two-pass forced alignment; raises ModelError when PocketSphinx cannot align."""
    pad = np.zeros(int(PAD_S * ALIGN_RATE), np.float32)
    padded = np.concatenate([pad, audio, pad])
    padded += np.random.default_rng(0).standard_normal(len(padded)).astype(np.float32) * NOISE_LEVEL
    pcm = (np.clip(padded, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
    with _lock:  # one decoder per process, made once; it is not re-entrant
        decoder = _decoder()
        words = _grammar_words(decoder, text)
        expected = [w for w in words if w != _SIL_WORD]
        try:
            decoder.set_align_text(" ".join(words))
            _decode(decoder, pcm)
            hyp = decoder.hyp()
            got = [re.sub(r"\(\d+\)$", "", w) for w in (hyp.hypstr.split() if hyp else [])]
            if [w for w in got if w != _SIL_WORD] != expected:
                raise ModelError("PocketSphinx could not align the words to the audio")
            decoder.set_alignment()
            _decode(decoder, pcm)
            entries = [
                (w.name, [(p.name, p.start, p.duration) for p in w])
                for w in decoder.get_alignment()
            ]
        except RuntimeError as exc:
            raise ModelError(f"PocketSphinx alignment failed ({exc})") from exc
    return _to_phones(entries, len(audio) / ALIGN_RATE)


def _to_phones(
    entries: list[tuple[str, list[tuple[str, int, int]]]], duration: float
) -> tuple[Phone, ...]:
    """PocketSphinx word/phone frames → :class:`Phone` s on the unpadded time axis."""
    out: list[Phone] = []
    for name, phones in entries:
        word = re.sub(r"\(\d+\)$", "", name)
        spoken = word not in {_SIL_WORD, "<s>", "</s>"}
        symbols = [s if s in PHONES and spoken else SILENCE for s, _, _ in phones]
        stress: Pronunciation = pronounce(word, {word: [tuple(symbols)]}) if spoken else ()
        for k, (_, start, frames) in enumerate(phones):
            t0 = min(max(start * FRAME_S - PAD_S, 0.0), duration)
            t1 = min(max((start + frames) * FRAME_S - PAD_S, 0.0), duration)
            if t1 <= t0:
                continue
            symbol = symbols[k]
            digit = split_stress(stress[k])[1] if symbol != SILENCE else None
            _append(out, Phone(symbol, t0, t1, digit, word if symbol != SILENCE else ""))
    return tuple(out)


def _append(out: list[Phone], phone: Phone) -> None:
    """Append, merging touching silences into one."""
    if out and phone.symbol == SILENCE and out[-1].symbol == SILENCE:
        out[-1] = replace(out[-1], end=phone.end)
    else:
        out.append(phone)


# -- Fallback: speaking rate -----------------------------------------------------------------------


def _entries_for(text: str) -> dict[str, tuple[Pronunciation, ...]] | None:
    """The dictionary entries of ``text``'s words only (parsing all 134k takes seconds)."""
    path = default_dictionary_path()
    if path is None:
        return None
    wanted = set(_WORD.findall(text.lower()))
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return parse_cmudict(
        ln for ln in lines if re.sub(r"\(\d+\)$", "", ln.split(" ", 1)[0]) in wanted
    )


def voiced_span(audio: np.ndarray, rate: int = ALIGN_RATE) -> tuple[float, float]:
    """First and last 10 ms frame within 30 dB of the loudest one, in seconds.

    Args:
        audio: Mono samples.
        rate: Their sample rate.

    Returns:
        ``(start, end)``; the whole clip when it is silent.
    """
    hop = max(1, rate // 100)
    n = len(audio) // hop
    if n == 0:
        return 0.0, len(audio) / rate
    rms = np.sqrt(np.mean(audio[: n * hop].reshape(n, hop) ** 2, axis=1))
    loud = np.flatnonzero(rms > rms.max() * 10 ** (-30 / 20)) if rms.max() > 0 else []
    if len(loud) == 0:
        return 0.0, len(audio) / rate
    return float(loud[0] * hop / rate), float((loud[-1] + 1) * hop / rate)


def estimate_from_rate(samples: np.ndarray, sample_rate: int, text: str) -> PhoneAlignment:
    """The speaking-rate estimate alone (the fallback, and the benchmark's baseline).

    Raises:
        InputError: Empty audio, a non-positive sample rate or a text without words.
    """
    return PhoneAlignment(_rate_phones(_prepare(samples, sample_rate), text), METHOD_RATE)


def _rate_phones(audio: np.ndarray, text: str) -> tuple[Phone, ...]:
    """:func:`time_text`'s layout stretched onto the voiced span of the audio."""
    laid = time_text(text, _entries_for(text))
    start, end = voiced_span(audio)
    spoken_end = max(p.end for p in laid if p.symbol != SILENCE)
    scale = (end - start) / spoken_end if spoken_end > 0 else 1.0
    out = [
        replace(p, start=float(start + p.start * scale), end=float(start + p.end * scale))
        for p in laid
    ]
    return tuple(p for p in out if p.start < end)
