"""Text -> emotion weights through any OpenAI-compatible chat endpoint (paper 000's GPT stage).

Works with OpenAI itself and with local servers that speak the same API (Ollama, LM Studio,
llama.cpp's server, vLLM) through ``base_url``. What is asked and how the answer is checked (JSON
schema, the transcript sent as data and never as instructions, validation of every field) is
:mod:`.llm_rating`; its names are re-exported here. This module sends the request.

Safety rules this module keeps:

* The API key is never logged, never part of ``repr``/``str``/:meth:`LLMConfig.to_dict`, and
  never part of an error message (server error text is redacted before it is quoted).
* ``openai`` is imported only when :func:`query_llm` runs, so importing this module stays cheap.

Time is bounded: each attempt has ``timeout_s``; at most ``1 + max_retries`` attempts are made,
with exponential backoff between them (only for timeouts, connection errors, HTTP 429 and 5xx).
"""

from __future__ import annotations

import logging
import math
import os
import re
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..core.emotions import EmotionWeights
from ..core.errors import InputError
from .llm_rating import (
    SYSTEM_PROMPT,
    LLMError,
    build_messages,
    extract_json_object,
    message_content,
    parse_rating,
    redact,
    response_format,
    response_schema,
)

__all__ = [
    "OPENAI_BASE_URL",
    "SYSTEM_PROMPT",
    "LLMConfig",
    "LLMEmotion",
    "LLMError",
    "UtteranceContext",
    "build_messages",
    "extract_json_object",
    "parse_rating",
    "query_llm",
    "response_format",
    "response_schema",
]

log = logging.getLogger(__name__)

OPENAI_BASE_URL = "https://api.openai.com/v1"
_MAX_BACKOFF_S = 4.0


@dataclass(frozen=True)
class LLMConfig:
    """Where and how to ask an OpenAI-compatible LLM (built from the add-on preferences).

    Attributes:
        base_url: API root, e.g. ``http://127.0.0.1:11434/v1`` for Ollama; ``None`` for OpenAI.
        model: Model name as the server knows it.
        api_key: Secret key; ``None`` reads ``OPENAI_API_KEY``. Local servers that need no key
            get a placeholder. Excluded from ``repr`` and :meth:`to_dict`.
        timeout_s: Limit for each attempt (connect and each read), seconds.
        max_retries: Extra attempts after a timeout, connection error, HTTP 429 or 5xx.
        context_size: How many earlier utterances to send along as context.
        backoff_s: First pause between attempts; doubled each retry (capped at 4 s).
        temperature: Sampling temperature (0 = as deterministic as the server allows).
        max_tokens: Cap on the reply length.
    """

    base_url: str | None = None
    model: str = "gpt-4o-mini"
    api_key: str | None = field(default=None, repr=False)
    timeout_s: float = 10.0
    max_retries: int = 2
    context_size: int = 4
    backoff_s: float = 0.5
    temperature: float = 0.0
    max_tokens: int = 300

    def __post_init__(self) -> None:
        if self.base_url is not None and not re.match(r"^https?://", self.base_url):
            raise InputError(f"LLM base URL must start with http:// or https://: {self.base_url}")
        if not str(self.model).strip():
            raise InputError("LLM model name is empty.")
        if not (math.isfinite(self.timeout_s) and self.timeout_s > 0):
            raise InputError(f"LLM timeout must be a positive number of seconds: {self.timeout_s}")
        if self.max_retries < 0 or self.context_size < 0 or self.backoff_s < 0:
            raise InputError("LLM retries, context size and backoff must not be negative.")

    @property
    def endpoint(self) -> str:
        """The API root actually used."""
        return (self.base_url or OPENAI_BASE_URL).rstrip("/")

    def resolved_api_key(self) -> str | None:
        """The key to send: the configured one, else ``OPENAI_API_KEY``, else ``None``."""
        return self.api_key or os.environ.get("OPENAI_API_KEY") or None

    def to_dict(self) -> dict[str, Any]:
        """Settings safe to save or show: everything but the key (only whether one is set)."""
        return {
            "base_url": self.endpoint,
            "model": self.model,
            "api_key_set": self.resolved_api_key() is not None,
            "timeout_s": self.timeout_s,
            "max_retries": self.max_retries,
            "context_size": self.context_size,
            "backoff_s": self.backoff_s,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
        }


class UtteranceContext:
    """The last few utterances, oldest first, sent to the LLM to interpret the next one.

    Thread-safe; each stored utterance is cut to ``max_chars``.
    """

    def __init__(self, max_items: int = 4, max_chars: int = 300):
        if max_items < 0 or max_chars <= 0:
            raise InputError("Context size must be >= 0 and the character cap positive.")
        self.max_chars = max_chars
        self._items: deque[str] = deque(maxlen=max_items)
        self._lock = threading.Lock()

    def add(self, text: str) -> None:
        """Remember one utterance (blank ones are ignored)."""
        text = " ".join(str(text).split())[: self.max_chars]
        if text and self._items.maxlen:
            with self._lock:
                self._items.append(text)

    def recent(self, n: int | None = None) -> tuple[str, ...]:
        """The last ``n`` (default all kept) utterances, oldest first."""
        with self._lock:
            items = tuple(self._items)
        return items if n is None else items[len(items) - min(n, len(items)) :]

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


@dataclass(frozen=True)
class LLMEmotion:
    """A validated LLM rating.

    Attributes:
        weights: Normalised emotion mixture.
        intensity: Overall intensity in [0, 1].
        reason: The model's short justification (trimmed).
        attempts: HTTP attempts it took.
        latency_s: Wall time including retries.
        warnings: Non-fatal notes (e.g. an earlier attempt failed, reply needed extraction).
    """

    weights: EmotionWeights
    intensity: float
    reason: str
    attempts: int
    latency_s: float
    warnings: tuple[str, ...] = ()


def _classify_exception(exc: Exception, config: LLMConfig, key: str | None) -> LLMError:
    """Turn an ``openai``/transport exception into an :class:`LLMError` with a safe message."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return LLMError(f"The LLM request timed out ({config.timeout_s:g} s limit)", "timeout")
    if isinstance(exc, openai.APIConnectionError):
        return LLMError(f"Could not connect to the LLM server at {config.endpoint}", "connection")
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        detail = ""
        body = exc.body
        if isinstance(body, Mapping):
            err = body.get("error", body)
            detail = err.get("message", "") if isinstance(err, Mapping) else str(err)
        hint = {401: " (check the API key)", 404: " (check the model name and base URL)"}
        message = f"The LLM server answered HTTP {status}{hint.get(status, '')}"
        if detail:
            message += f": {redact(detail, key)}"
        return LLMError(message, "http", status=status)
    if isinstance(exc, openai.APIResponseValidationError | ValueError):
        return LLMError("The LLM server sent a response that is not valid JSON", "malformed")
    return LLMError(f"The LLM call failed ({type(exc).__name__})", "connection")


def _retryable(err: LLMError) -> bool:
    return err.cause in ("timeout", "connection") or (
        err.cause == "http" and err.status is not None and (err.status == 429 or err.status >= 500)
    )


def _retry_after(exc: Exception) -> float | None:
    """Seconds from a ``Retry-After`` header, if the server sent a small numeric one."""
    response = getattr(exc, "response", None)
    value = getattr(response, "headers", {}).get("retry-after") if response is not None else None
    try:
        return min(max(float(value), 0.0), _MAX_BACKOFF_S) if value is not None else None
    except ValueError:
        return None


def _openai_module():
    """The ``openai`` package, imported on first use so importing this module stays cheap.

    Raises:
        LLMError: ``cause="config"`` if it is not installed.
    """
    try:
        import openai
    except ImportError as exc:
        raise LLMError("The 'openai' package is not installed.", "config") from exc
    return openai


def _new_client(openai: Any, config: LLMConfig, key: str | None) -> Any:
    """An OpenAI client for ``config`` with the client's own retries off.

    :func:`_complete_with_retries` counts attempts, bounds the backoff and decides which
    failures are worth repeating.

    Raises:
        LLMError: ``cause="config"`` if the client cannot be built (e.g. a malformed URL).
    """
    try:
        return openai.OpenAI(
            api_key=key or "no-key-needed",
            base_url=config.endpoint,
            timeout=config.timeout_s,
            max_retries=0,
        )
    except Exception as exc:  # e.g. a malformed URL the regex let through
        raise LLMError(f"Cannot set up the LLM client ({type(exc).__name__}).", "config") from None


def _complete_with_retries(
    client: Any,
    config: LLMConfig,
    messages: list[dict[str, str]],
    key: str | None,
    warnings: list[str],
) -> tuple[Any, int]:
    """Send the chat request, retrying timeouts, connection errors, HTTP 429 and 5xx.

    Args:
        client: The OpenAI client from :func:`_new_client`.
        config: Model, sampling, retry and backoff settings.
        messages: The chat messages from :func:`build_messages`.
        key: The key in use, blanked out of quoted server text.
        warnings: Receives one note per failed attempt that was retried.

    Returns:
        ``(completion, attempt)``: the server's answer and the attempt (from 1) that got it.

    Raises:
        LLMError: The last failure, or the first one not worth repeating, with the attempt count.
    """
    attempts_allowed = 1 + config.max_retries
    for attempt in range(1, attempts_allowed + 1):
        log.debug(
            "LLM request %d/%d to %s (model %s)",
            attempt,
            attempts_allowed,
            config.endpoint,
            config.model,
        )
        try:
            completion = client.chat.completions.create(
                model=config.model,
                messages=messages,
                response_format=response_format(),
                temperature=config.temperature,
                max_tokens=config.max_tokens,
            )
        except Exception as exc:  # every transport/API failure is classified below
            err = _classify_exception(exc, config, key)
            log.debug("LLM attempt %d failed: %s", attempt, err)
            if not _retryable(err) or attempt == attempts_allowed:
                plural = "s" if attempt > 1 else ""
                raise LLMError(
                    f"{err} (after {attempt} attempt{plural}).", err.cause, err.status, attempt
                ) from None
            warnings.append(f"LLM attempt {attempt} failed ({err}); retried.")
            delay = _retry_after(exc)
            if delay is None:
                delay = min(config.backoff_s * 2 ** (attempt - 1), _MAX_BACKOFF_S)
            time.sleep(delay)
            continue
        return completion, attempt
    raise AssertionError("unreachable")  # pragma: no cover


def _read_rating(completion: Any, attempt: int) -> tuple[EmotionWeights, float, str, bool]:
    """Validate the reply of ``attempt``.

    Returns:
        ``(weights, intensity, reason, extracted)``; ``extracted`` as in
        :func:`extract_json_object`.

    Raises:
        LLMError: ``cause="malformed"`` or ``"invalid"``, with ``attempts`` set to ``attempt``.
    """
    try:
        obj, extracted = extract_json_object(message_content(completion))
        weights, intensity, reason = parse_rating(obj)
    except LLMError as err:
        err.attempts = attempt
        log.debug("LLM reply rejected: %s", err)
        raise
    return weights, intensity, reason, extracted


def query_llm(text: str, config: LLMConfig, context: Iterable[str] = ()) -> LLMEmotion:
    """Ask the LLM for the emotion mixture of ``text``.

    Args:
        text: The utterance (already validated and length-capped by the caller).
        config: Endpoint, model, key, timeout and retry settings.
        context: Earlier utterances, oldest first (only the last ``config.context_size`` go).

    Returns:
        The validated rating.

    Raises:
        LLMError: On a missing key for OpenAI, timeouts, HTTP errors or an unusable reply, after
            the allowed retries. The message never contains the key.
    """
    openai = _openai_module()
    key = config.resolved_api_key()
    if key is None and config.base_url is None:
        raise LLMError(
            "No OpenAI API key: set it in the add-on preferences or in OPENAI_API_KEY.", "config"
        )
    context = list(context)[-config.context_size :] if config.context_size else []
    messages = build_messages(text, context)
    warnings: list[str] = []
    start = time.monotonic()
    with _new_client(openai, config, key) as client:
        completion, attempt = _complete_with_retries(client, config, messages, key, warnings)
        weights, intensity, reason, extracted = _read_rating(completion, attempt)
        if extracted:
            warnings.append("The LLM ignored the JSON-only instruction; its JSON was extracted.")
        latency = time.monotonic() - start
        log.debug("LLM rating in %.2f s: dominant %s", latency, weights.dominant())
        return LLMEmotion(weights, intensity, reason, attempt, latency, tuple(warnings))
