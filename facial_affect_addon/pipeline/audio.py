"""Audio input: a recorded line → transcript → one emotion event per utterance.

Each utterance becomes one timeline event spanning the time it was spoken, so the face changes
with what is said; the state machine blends between them. Utterances are read in context (the
LLM, when configured, sees the previous ones).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from ..core.errors import CancelledError, InputError
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
    return Performance(
        PerformanceKind.AUDIO,
        clip_weights(segments),
        timeline_from_segments(segments),
        duration,
        tuple(segments),
        tuple(warnings),
        {"speech": transcript.engine, "text": text_model_label(segments[0].source, llm_config)},
    )
