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
    from ..adapters.stt import transcribe_file

    if not str(path) or not Path(path).is_file():
        raise InputError(f"Audio file not found: {path or '(none chosen)'}")
    transcript = transcribe_file(
        path, engine, openai_config=stt_config, should_cancel=should_cancel
    )
    utterances = [u for u in transcript.utterances if u.text.strip()]
    if not utterances:
        detail = "; ".join(transcript.warnings) or "no words were recognised"
        raise InputError(f"No speech found in {path}: {detail}.")
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
