"""Speech engines by name: the one place that joins Whisper (``ml/``) and ``adapters/`` engines.

:func:`get_transcriber` builds ``"whisper"`` (:class:`..ml.whisper_transcriber.WhisperTranscriber`,
offline, the default), ``"pocketsphinx"`` or ``"openai"`` (:mod:`..adapters.stt_engines`).
:class:`FallbackTranscriber` replaces a failing online engine by an offline one for the rest of
the call and keeps a note of it; :func:`transcribe_file` and :func:`transcribe_clip` are
:mod:`..adapters.stt`'s, with the engine built here from its name.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..adapters import stt
from ..adapters._vad import VadParams
from ..adapters.audio import AudioClip
from ..adapters.audio_limits import MAX_DURATION_S
from ..adapters.stt_engines import (
    OpenAIConfig,
    OpenAITranscriber,
    PocketSphinxTranscriber,
    check_engines,
)
from ..core.errors import ServiceError
from ..core.speech import Recognition, Transcriber


def get_transcriber(engine: str = "whisper", *, openai_config: OpenAIConfig | None = None):
    """Build (or reuse the cached model of) an engine.

    Args:
        engine: "whisper", "pocketsphinx" or "openai".
        openai_config: Settings for "openai".

    Returns:
        A :class:`..core.speech.Transcriber`.

    Raises:
        InputError: Unknown engine name.
        ModelError: An offline engine or its model is missing.
        ServiceError: The OpenAI client cannot be built.
    """
    check_engines(engine)
    if engine == "whisper":
        from ..ml.whisper_transcriber import WhisperTranscriber

        return WhisperTranscriber()
    if engine == "pocketsphinx":
        return PocketSphinxTranscriber()
    return OpenAITranscriber(openai_config)


class FallbackTranscriber:
    """The chosen engine, replaced by an offline one once the online engine fails.

    Once replaced, the offline engine serves every later utterance of the call.

    Args:
        engine: "whisper", "pocketsphinx" or "openai".
        fallback: Offline engine used when "openai" fails.
        openai_config: Settings for "openai".

    Attributes:
        warnings: One note per switch to the offline engine.

    Raises:
        InputError: Unknown engine name.
        ModelError: The (fallback) offline engine is missing.
    """

    def __init__(
        self, engine: str, fallback: str, openai_config: OpenAIConfig | None = None
    ) -> None:
        self.fallback = fallback
        self.warnings: list[str] = []
        try:
            self.transcriber: Transcriber = get_transcriber(engine, openai_config=openai_config)
        except ServiceError as exc:
            self._fall_back(exc)

    @property
    def name(self) -> str:
        """The name of the engine in use now."""
        return self.transcriber.name

    def _fall_back(self, exc: ServiceError) -> None:
        self.warnings.append(f"{exc}. Used the offline {self.fallback} engine instead.")
        self.transcriber = get_transcriber(self.fallback)

    def recognize(self, samples: np.ndarray) -> Recognition:
        """Recognise one utterance, switching to the offline engine if the online one fails.

        Raises:
            ServiceError: Raised by an engine other than "openai" (passed on unchanged).
            ModelError: The fallback offline engine is missing.
        """
        try:
            return self.transcriber.recognize(samples)
        except ServiceError as exc:
            if self.transcriber.name != "openai":
                raise
            self._fall_back(exc)
            return self.transcriber.recognize(samples)


def transcriber_factory(
    engine: str = "whisper",
    fallback: str = "whisper",
    openai_config: OpenAIConfig | None = None,
) -> Callable[[], FallbackTranscriber]:
    """What :mod:`..adapters.stt` calls to build the engine, once the audio holds sound.

    Raises:
        InputError: Unknown engine, or a fallback that is not an offline engine (checked now,
            before any audio is read).
    """
    check_engines(engine, fallback)
    return lambda: FallbackTranscriber(engine, fallback, openai_config)


def transcribe_clip(
    clip: AudioClip,
    engine: str = "whisper",
    *,
    openai_config: OpenAIConfig | None = None,
    fallback: str = "whisper",
    vad: VadParams | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> stt.Transcript:
    """Recognise a decoded clip with the named engine (:func:`..adapters.stt.transcribe_clip`).

    Args:
        clip: Mono audio (resampled to 16 kHz if it is at another rate).
        engine: "whisper", "pocketsphinx" or "openai".
        openai_config: Settings for "openai".
        fallback: Offline engine used when "openai" fails.
        vad: Voice-activity parameters.
        should_cancel: Polled before each utterance; returning True raises CancelledError.

    Raises:
        InputError: Unknown engine.
        ModelError: The (fallback) offline engine is missing.
        CancelledError: ``should_cancel`` returned True.
    """
    make = transcriber_factory(engine, fallback, openai_config)
    return stt.transcribe_clip(clip, make, engine=engine, vad=vad, should_cancel=should_cancel)


def transcribe_file(
    path: str | Path,
    engine: str = "whisper",
    *,
    openai_config: OpenAIConfig | None = None,
    fallback: str = "whisper",
    vad: VadParams | None = None,
    should_cancel: Callable[[], bool] | None = None,
    max_duration_s: float = MAX_DURATION_S,
) -> stt.Transcript:
    """Read an audio file and recognise it with the named engine (see :func:`transcribe_clip`).

    The file is checked and decoded by :func:`..adapters.stt.transcribe_file` (looked up when
    called, so a test can stand in for it).

    Raises:
        InputError: Missing, unreadable, empty, too-short or too-long file, an implausible
            sample rate; unknown engine.
        ModelError: The offline engine or its model is missing.
        CancelledError: ``should_cancel`` returned True.
    """
    return stt.transcribe_file(
        path,
        transcriber_factory(engine, fallback, openai_config),
        engine=engine,
        vad=vad,
        should_cancel=should_cancel,
        max_duration_s=max_duration_s,
    )
