"""Audio input: a recorded line → transcript → one emotion event per utterance, and its phones.

Each utterance becomes one timeline event spanning the time it was spoken, so the face changes
with what is said; the state machine blends between them. Utterances are read in context (the
LLM, when configured, sees the previous ones). Each utterance's text is then aligned to its own
samples (:func:`align_utterances`, PocketSphinx forced alignment, else a speaking-rate estimate
with a warning) and the timed phones go on the performance for lip-sync; the performance's
``models["phones"]`` says which method timed them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import CancelledError, InputError
from ..core.phonemes import Phone
from .models import text_model_label
from .performance import (
    TAIL_SECONDS,
    Performance,
    PerformanceKind,
    Segment,
    clip_weights,
    timeline_from_segments,
)
from .text import LineReader

ALIGN_MARGIN_S = 0.1
"""Audio kept on each side of an utterance's span when aligning (the VAD may clip soft onsets)."""


@dataclass(frozen=True)
class AlignedSpeech:
    """Phones of a recording's utterances.

    Attributes:
        phones: Timed phones in seconds from the start of the recording, in time order.
        method: ``"pocketsphinx"``, ``"speaking-rate"``, or both joined by ``" + "`` when some
            utterances fell back; ``""`` when nothing was aligned.
        notices: The aligner's fallback notices, each once.
    """

    phones: tuple[Phone, ...]
    method: str
    notices: tuple[str, ...]


def align_utterances(
    samples: np.ndarray,
    sample_rate: int,
    utterances: Sequence,
    should_cancel: Callable[[], bool] | None = None,
    margin_s: float = ALIGN_MARGIN_S,
) -> AlignedSpeech:
    """Align each utterance's text to its own stretch of the recording.

    Args:
        samples: The whole recording, mono.
        sample_rate: Its rate.
        utterances: Objects with ``start_s``, ``end_s`` and ``text`` (transcript utterances
            or performance segments); those with no word to say are skipped.
        should_cancel: Polled before each utterance.
        margin_s: Audio kept on each side of a span (:data:`ALIGN_MARGIN_S`; a video's
            utterances are aligned on their own spans, 0).

    Raises:
        CancelledError: ``should_cancel`` returned True.
    """
    from ..adapters.phone_align import align_transcript

    phones: list[Phone] = []
    methods: list[str] = []
    notices: list[str] = []
    margin = int(margin_s * sample_rate)
    for u in utterances:
        if should_cancel is not None and should_cancel():
            raise CancelledError("Analysis cancelled.")
        first = max(int(u.start_s * sample_rate) - margin, 0)
        last = min(int(np.ceil(u.end_s * sample_rate)) + margin, len(samples))
        try:
            aligned = align_transcript(
                samples[first:last], sample_rate, u.text, offset_s=first / sample_rate
            )
        except InputError:  # no word to say, or no samples under the span
            continue
        phones.extend(aligned.phones)
        if aligned.method not in methods:
            methods.append(aligned.method)
        if aligned.notice and aligned.notice not in notices:
            notices.append(aligned.notice)
    ordered = tuple(sorted(phones, key=lambda p: p.start))
    return AlignedSpeech(ordered, " + ".join(methods), tuple(notices))


def no_speech_message(name: str, warnings: tuple[str, ...] | list[str]) -> str:
    """The one-line error for a recording without words, saying each thing once.

    The transcript's own "No speech found in 'name' ..." warning already names the file and
    the reason, so it is used as it is rather than wrapped in a second "No speech found in".
    """
    parts = [w.strip().rstrip(".") for w in warnings if w.strip()]
    lead = next((w for w in parts if w.startswith("No speech found")), None)
    if lead is None:
        lead = f"No speech found in '{name}': " + (
            parts.pop(0) if parts else "no words were recognised"
        )
    else:
        parts.remove(lead)
    return "; ".join([lead, *parts]) + "."


def performance_from_audio(
    path: str | os.PathLike,
    *,
    engine: str = "whisper",
    llm_config=None,
    stt_config=None,
    should_cancel: Callable[[], bool] | None = None,
) -> Performance:
    """Transcribe a recorded line and read each utterance's emotion in context.

    Args:
        path: The recording (wav, flac, ogg, mp3...).
        engine: Speech engine: ``"whisper"``, ``"pocketsphinx"`` or ``"openai"``.
        llm_config: An :class:`~..adapters.llm.LLMConfig` to read the text with, or None.
        stt_config: An :class:`~..adapters.stt.OpenAIConfig` for cloud speech, or None.
        should_cancel: Polled during transcription and between utterances.

    Raises:
        InputError: Missing/unreadable audio, or no speech found (silence).
        ModelError: The speech or text model is missing.
        CancelledError: ``should_cancel`` returned True.
    """
    from ..adapters.audio import load_audio
    from .transcribers import transcribe_file

    if not str(path):
        raise InputError("No audio file chosen: pick a recording (wav, flac, ogg or mp3).")
    transcript = transcribe_file(
        path, engine, openai_config=stt_config, should_cancel=should_cancel
    )
    utterances = [u for u in transcript.utterances if u.text.strip()]
    if not utterances:
        raise InputError(no_speech_message(Path(path).name, transcript.warnings))
    reader = LineReader(llm_config)
    segments: list[Segment] = []
    warnings = list(transcript.warnings)
    for u in utterances:
        if should_cancel is not None and should_cancel():
            raise CancelledError("Analysis cancelled.")
        a = reader.read(u.text)
        warnings.extend(w for w in a.warnings if w not in warnings)
        segments.append(Segment(u.start_s, u.end_s, a.text, a.weights, a.intensity, a.source))
    duration = max(transcript.duration_s, segments[-1].end_s) + TAIL_SECONDS
    clip = load_audio(path)  # decoded again: cheap beside recognition, and the STT keeps none
    speech = align_utterances(clip.samples, clip.sample_rate, utterances, should_cancel)
    warnings.extend(n for n in speech.notices if n not in warnings)
    models = {"speech": transcript.engine, "text": text_model_label(segments[0].source, llm_config)}
    if speech.method:
        models["phones"] = speech.method
    return Performance(
        PerformanceKind.AUDIO,
        clip_weights(segments),
        timeline_from_segments(segments),
        duration,
        tuple(segments),
        tuple(warnings),
        models,
        phones=speech.phones,
    )
