"""Speech to text: utterances with times, text and confidence, from files or audio arrays.

Every engine sees the same utterances: the file is decoded by :mod:`.audio` and cut by the energy
VAD, then each utterance is recognised on its own by the transcriber the caller builds, so
start/end times mean the same whatever the engine, and the live preview (which gets utterances
from the streaming VAD) reuses :func:`transcribe_segment`.

Engines: ``"whisper"`` (default, offline: Whisper tiny.en in our own numpy code, ``ml/``, on
int8 weights shipped in ``models/whisper``; no faster-whisper or CTranslate2, nothing downloaded
at run time), ``"pocketsphinx"`` (offline, light, much less accurate) and ``"openai"`` (an
OpenAI-compatible ``/audio/transcriptions`` endpoint configured by an :class:`OpenAIConfig`).
This layer may not import ``ml/``, so :func:`transcribe_clip` and :func:`transcribe_file` take a
``make_transcriber`` callable; ``pipeline/transcribers.py`` builds it from an engine name, with
the fallback that replaces a failing ``"openai"`` by the offline engine for the rest of the call
(its notes come back in :attr:`Transcript.warnings`).

The engine-side names (:class:`OpenAIConfig`, the adapters' transcriber classes, the
:class:`Recognition` and :class:`Transcriber` types of ``core/speech.py``...) are re-exported from
:mod:`.stt_engines`, so importing them from here keeps working.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import CancelledError, ModelError
from ._vad import SpeechSegment, VadParams, segment_speech
from .audio import SAMPLE_RATE, AudioClip, load_audio, resample
from .audio_limits import MAX_DURATION_S
from .stt_engines import (
    CPU_THREADS,
    ENGINES,
    OFFLINE_ENGINES,
    Engine,
    OpenAIConfig,
    OpenAITranscriber,
    PocketSphinxTranscriber,
    Recognition,
    Transcriber,
    check_engines,
    wav_bytes,
)

__all__ = [
    "CPU_THREADS",
    "ENGINES",
    "OFFLINE_ENGINES",
    "Engine",
    "OpenAIConfig",
    "OpenAITranscriber",
    "PocketSphinxTranscriber",
    "Recognition",
    "Transcriber",
    "TranscriberFactory",
    "Transcript",
    "Utterance",
    "check_engines",
    "normalize_words",
    "transcribe_clip",
    "transcribe_file",
    "transcribe_segment",
    "wav_bytes",
    "word_error_rate",
]

TranscriberFactory = Callable[[], Transcriber]
"""Builds the recogniser of one call; called once, and only when the audio holds sound."""


@dataclass(frozen=True)
class Utterance:
    """One recognised utterance.

    Attributes:
        start_s: Start time in seconds from the start of the audio.
        end_s: End time in seconds.
        text: Recognised text (stripped).
        confidence: Engine confidence in [0, 1], ``None`` when the engine gives none.
    """

    start_s: float
    end_s: float
    text: str
    confidence: float | None


@dataclass(frozen=True)
class Transcript:
    """The result of a transcription.

    Attributes:
        utterances: Recognised utterances in time order (empty when no speech was found).
        warnings: Non-fatal problems for the user (no speech, engine fallback, ...).
        engine: The engine that produced the text (after any fallback).
        duration_s: Length of the audio in seconds.
        source: The file path or a label.
    """

    utterances: tuple[Utterance, ...]
    warnings: tuple[str, ...] = ()
    engine: str = "whisper"
    duration_s: float = 0.0
    source: str = ""

    @property
    def text(self) -> str:
        """All utterance texts joined by spaces."""
        return " ".join(u.text for u in self.utterances)


# -- front door ---------------------------------------------------------------------------------


def transcribe_segment(segment: SpeechSegment, transcriber: Transcriber) -> Utterance:
    """Recognise one VAD segment (used by the live preview) and stamp it with its times."""
    rec = transcriber.recognize(segment.samples)
    return Utterance(segment.start_s, segment.end_s, rec.text, rec.confidence)


def _no_speech_warning(clip: AudioClip, vad: VadParams) -> str:
    name = Path(clip.source).name or clip.source
    if clip.is_silent:
        return f"No speech found in '{name}' ({clip.duration_s:.1f} s): the audio is silent."
    return (
        f"No speech found in '{name}' ({clip.duration_s:.1f} s, peak {clip.peak_dbfs:.0f} dBFS): "
        f"nothing rose above the voice threshold ({vad.start_db:.0f} dBFS). Record closer to the "
        "microphone or raise the input level."
    )


def _recognise_segments(
    segments: list[SpeechSegment],
    transcriber: Transcriber,
    should_cancel: Callable[[], bool] | None,
) -> tuple[list[Utterance], int]:
    """Recognise each segment in turn.

    Returns:
        ``(utterances, empty)``: the utterances that held words, and how many segments held none.

    Raises:
        CancelledError: ``should_cancel`` returned True before a segment.
    """
    utterances: list[Utterance] = []
    empty = 0
    for seg in segments:
        if should_cancel is not None and should_cancel():
            raise CancelledError("Transcription cancelled.")
        utt = transcribe_segment(seg, transcriber)
        if utt.text:
            utterances.append(utt)
        else:
            empty += 1
    return utterances, empty


def transcribe_clip(
    clip: AudioClip,
    make_transcriber: TranscriberFactory,
    *,
    engine: str = "whisper",
    vad: VadParams | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> Transcript:
    """Segment a decoded clip into utterances and recognise each one.

    Args:
        clip: Mono audio (from :func:`.audio.load_audio` or a recording; resampled to 16 kHz
            if it is at another rate).
        make_transcriber: Builds the recogniser (``pipeline.transcribers.transcriber_factory``);
            not called when the VAD finds no sound, so silence loads no model. A recogniser
            with a ``warnings`` list (the pipeline's fallback wrapper) adds it to the
            transcript's warnings.
        engine: The engine's name, reported when no recogniser was built.
        vad: Voice-activity parameters.
        should_cancel: Polled before each utterance; returning True raises CancelledError.

    Returns:
        The transcript; silence gives no utterances and a warning.

    Raises:
        ModelError: The offline engine is missing (raised by ``make_transcriber``).
        CancelledError: ``should_cancel`` returned True.
    """
    vad = vad or VadParams()
    meta = {"duration_s": clip.duration_s, "source": clip.source}
    samples = resample(clip.samples, clip.sample_rate, SAMPLE_RATE)
    segments = segment_speech(samples, SAMPLE_RATE, vad)
    if not segments:
        return Transcript((), (_no_speech_warning(clip, vad),), engine, **meta)
    transcriber = make_transcriber()
    utterances, empty = _recognise_segments(segments, transcriber, should_cancel)
    warnings = list(getattr(transcriber, "warnings", ()))
    if empty:
        warnings.append(f"{empty} stretch(es) of sound held no recognisable words.")
    if not utterances and not empty:
        warnings.append(_no_speech_warning(clip, vad))
    return Transcript(tuple(utterances), tuple(warnings), transcriber.name, **meta)


def _no_engine() -> Transcriber:
    raise ModelError(
        "No speech engine was given: build one with facial_affect_addon.pipeline.transcribers."
    )


def transcribe_file(
    path: str | Path,
    make_transcriber: TranscriberFactory | None = None,
    *,
    engine: str = "whisper",
    vad: VadParams | None = None,
    should_cancel: Callable[[], bool] | None = None,
    max_duration_s: float = MAX_DURATION_S,
) -> Transcript:
    """Read an audio file and transcribe it (see :func:`transcribe_clip` for the arguments).

    The header is checked before decoding (:func:`.audio_limits.check_audio_file`): a file
    that claims an absurd sample rate or a length over ``max_duration_s`` is refused without
    allocating anything; formats libsndfile cannot parse are checked once decoded. Without
    ``make_transcriber`` the file is checked, decoded and segmented, and a file that holds
    sound raises ModelError (``pipeline.transcribers.transcribe_file`` passes one).

    Raises:
        InputError: Missing, unreadable, empty, too-short or too-long file, an implausible
            sample rate.
        ModelError: The offline engine or its model is missing, or no engine was given.
        CancelledError: ``should_cancel`` returned True.
    """
    clip = load_audio(path, max_duration_s=max_duration_s)  # header checked, then the length
    return transcribe_clip(
        clip,
        make_transcriber or _no_engine,
        engine=engine,
        vad=vad,
        should_cancel=should_cancel,
    )


# -- evaluation ---------------------------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")


def normalize_words(text: str) -> list[str]:
    """Lower-case words without punctuation (apostrophes inside words are kept)."""
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word error rate: (substitutions + deletions + insertions) / reference words.

    Args:
        reference: The true text.
        hypothesis: The recognised text.

    Returns:
        WER >= 0 (it can exceed 1 when the hypothesis adds many words).

    Raises:
        ValueError: The reference has no words.
    """
    ref, hyp = normalize_words(reference), normalize_words(hypothesis)
    if not ref:
        raise ValueError("the reference text has no words")
    prev = list(range(len(hyp) + 1))  # edit distance of ref[:0] to every hyp prefix
    for i, r in enumerate(ref, start=1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, start=1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1] / len(ref)
