"""The text front door: one utterance in, a validated emotion mixture out.

:func:`analyze_text` asks the LLM when an :class:`~.llm.LLMConfig` is given and falls back to the
offline MiniLM classifier (with a warning that names the cause) when the LLM times out, answers
with an HTTP error or sends something that breaks the schema. Without a config it uses the offline
model directly. Either way the result says which source produced it.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from dataclasses import dataclass

from ..adapters.llm import LLMConfig, LLMError, UtteranceContext, query_llm
from ..core.emotions import EmotionWeights
from ..core.errors import InputError, ModelError
from ..core.fusion import Evidence
from ..ml.text_emotion import TextEmotionModel

log = logging.getLogger(__name__)

# MiniLM reads at most 256 tokens (roughly 1,000 characters of English); an LLM prompt of a few
# thousand characters is still cheap. Longer input is almost certainly a pasted document, not a
# line of dialogue: analyse the beginning and say so.
MAX_TEXT_CHARS = 4000

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class TextAnalysis:
    """The emotion read from one utterance.

    Attributes:
        text: The text actually analysed (cleaned, possibly truncated).
        weights: Normalised emotion mixture.
        intensity: Overall intensity in [0, 1] (offline: 1 - P(neutral)).
        reason: Short human-readable justification.
        source: ``"llm"`` or ``"offline"``.
        confidence: In [0, 1]; offline: the calibrated top-class probability; LLM: its largest
            weight (uncalibrated).
        warnings: Non-fatal notes to show the user (truncation, LLM fallback...).
    """

    text: str
    weights: EmotionWeights
    intensity: float
    reason: str
    source: str
    confidence: float
    warnings: tuple[str, ...] = ()

    def as_evidence(self) -> Evidence:
        """This result as fusion evidence (see :mod:`..core.fusion`)."""
        return Evidence(self.weights, self.confidence, f"text:{self.source}")


@functools.lru_cache(maxsize=1)
def _default_model() -> TextEmotionModel:
    return TextEmotionModel.load()


_model_lock = threading.Lock()


def default_text_model() -> TextEmotionModel:
    """The shipped offline model, loaded once per process (about 0.5 s the first time).

    Raises:
        ModelError: If the model or the MiniLM package is missing.
    """
    with _model_lock:
        return _default_model()


def clean_text(text: object) -> tuple[str, tuple[str, ...]]:
    """Validate and normalise an utterance.

    Args:
        text: What the caller passed.

    Returns:
        ``(clean, warnings)``: control characters removed, surrounding space stripped, cut to
        :data:`MAX_TEXT_CHARS` at a word boundary (with a warning).

    Raises:
        InputError: If ``text`` is not a string, or is empty after cleaning.
    """
    if not isinstance(text, str):
        raise InputError(f"Text to analyse must be a string, got {type(text).__name__}.")
    clean = _CONTROL.sub(" ", text).strip()
    if not clean:
        raise InputError(
            "There is no text to analyse (it is empty or only whitespace); "
            "type a line of dialogue or transcribe the audio first."
        )
    warnings: tuple[str, ...] = ()
    if len(clean) > MAX_TEXT_CHARS:
        cut = clean[:MAX_TEXT_CHARS]
        space = cut.rfind(" ", MAX_TEXT_CHARS // 2)
        cut = cut[:space] if space > 0 else cut
        warnings = (
            f"The text has {len(clean):,} characters; only the first {len(cut):,} were analysed.",
        )
        clean = cut.rstrip()
    return clean, warnings


def _offline(text: str, model: TextEmotionModel | None, warnings: tuple[str, ...]) -> TextAnalysis:
    model = model if model is not None else default_text_model()
    weights, confidence = model.predict(text)
    intensity = float(min(max(1.0 - weights["neutral"], 0.0), 1.0))
    reason = f"Offline text model: mostly {weights.dominant()} (p={confidence:.2f})."
    return TextAnalysis(text, weights, intensity, reason, "offline", confidence, warnings)


def analyze_text(
    text: str,
    *,
    llm_config: LLMConfig | None = None,
    context: UtteranceContext | None = None,
    model: TextEmotionModel | None = None,
) -> TextAnalysis:
    """Read the emotion of one utterance.

    Args:
        text: The line of dialogue or transcript.
        llm_config: Ask this LLM first; ``None`` uses only the offline model.
        context: Recent utterances; sent to the LLM as context, and ``text`` is appended to it
            afterwards (whichever source answered). The offline model ignores it.
        model: Offline model to use (default: the shipped one, loaded once).

    Returns:
        The analysis, with ``source`` telling which model produced it.

    Raises:
        InputError: Empty, blank or non-string text.
        ModelError: The offline model is needed but missing (the message also names the LLM
            failure when there was one).
    """
    clean, warnings = clean_text(text)
    result: TextAnalysis | None = None
    if llm_config is not None:
        recent = context.recent(llm_config.context_size) if context is not None else ()
        try:
            rating = query_llm(clean, llm_config, recent)
        except LLMError as exc:
            log.warning("LLM failed (%s); falling back to the offline text model.", exc.cause)
            warnings += (f"LLM unavailable: {exc} Used the offline text model instead.",)
            try:
                result = _offline(clean, model, warnings)
            except ModelError as model_exc:
                raise ModelError(f"{exc} The offline fallback failed too: {model_exc}") from None
        else:
            confidence = float(max(rating.weights.values))
            result = TextAnalysis(
                clean,
                rating.weights,
                rating.intensity,
                rating.reason,
                "llm",
                confidence,
                warnings + rating.warnings,
            )
    if result is None:
        result = _offline(clean, model, warnings)
    if context is not None:
        context.add(clean)
    return result
