"""Online services and model settings: the preferences as typed configs for the pipeline.

The panel's add-on preferences and the CLI's flags both end here: :func:`resolve_services`
turns plain preference values into an LLM config and a speech engine, switching online services
off (with a notice) when the host forbids network access; :func:`apply_model_settings` points
model loading at the user's models folder and compute device. No bpy, no network I/O.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..compute import set_compute_device
from ..paths import set_user_models_dir

if TYPE_CHECKING:  # the adapters load when a service is resolved, not at registration
    from ..adapters.llm import LLMConfig
    from ..adapters.stt import OpenAIConfig

OFFLINE_NOTICE = "Online access is disabled in Blender's preferences: used the offline models."


@dataclass(frozen=True)
class ServicePrefs:
    """The service preferences as plain values (what the add-on preferences hold).

    Attributes:
        use_llm: Ask an OpenAI-compatible LLM to read each line.
        llm_endpoint: API root ("" for api.openai.com).
        llm_model: Model name.
        llm_api_key: Key typed in the preferences ("" for none); ``OPENAI_API_KEY`` wins.
        stt_engine: ``"whisper"``, ``"pocketsphinx"`` or ``"openai"``.
    """

    use_llm: bool = False
    llm_endpoint: str = ""
    llm_model: str = "gpt-4o-mini"
    llm_api_key: str = field(default="", repr=False)
    stt_engine: str = "whisper"


@dataclass(frozen=True)
class ServiceSettings:
    """The services a job will use, as plain values for a worker thread.

    Attributes:
        llm: An ``LLMConfig`` when the LLM is enabled and allowed, else None.
        stt_engine: Speech engine name actually used (``openai`` only when online is allowed).
        stt_config: An ``OpenAIConfig`` for cloud speech, or None.
        notices: Why a service was switched off (shown to the user).
    """

    llm: LLMConfig | None = field(default=None, repr=False)
    stt_engine: str = "whisper"
    stt_config: OpenAIConfig | None = field(default=None, repr=False)
    notices: tuple[str, ...] = ()


def api_key(prefs: ServicePrefs | None) -> str | None:
    """``OPENAI_API_KEY`` first, else the key typed in the preferences, else None."""
    return os.environ.get("OPENAI_API_KEY") or (prefs.llm_api_key if prefs else "") or None


def resolve_services(prefs: ServicePrefs | None, online: bool) -> ServiceSettings:
    """The preferences as typed configs, respecting the host's online-access setting.

    Args:
        prefs: The preferences (None: everything offline and default).
        online: Whether network access is allowed (Blender's "Allow Online Access").

    Raises:
        InputError: An invalid endpoint or model name (from ``LLMConfig``).
    """
    from ..adapters.llm import LLMConfig
    from ..adapters.stt import OpenAIConfig

    engine = prefs.stt_engine if prefs else "whisper"
    wants_online = prefs is not None and (prefs.use_llm or engine == "openai")
    notices = (OFFLINE_NOTICE,) if wants_online and not online else ()
    llm = None
    if prefs is not None and prefs.use_llm and online:
        llm = LLMConfig(
            base_url=prefs.llm_endpoint.strip() or None,
            model=prefs.llm_model.strip(),
            api_key=api_key(prefs),
        )
    stt_config = None
    if engine == "openai":
        if online and prefs is not None:
            base_url = prefs.llm_endpoint.strip() or None
            stt_config = OpenAIConfig(api_key=api_key(prefs), base_url=base_url)
        else:
            engine = "whisper"
    return ServiceSettings(llm, engine, stt_config, notices)


def llm_config(base_url: str | None, model: str, timeout_s: float) -> LLMConfig:
    """An LLM config from the CLI's flags (key from ``OPENAI_API_KEY``).

    Raises:
        InputError: An invalid endpoint, model name or timeout.
    """
    from ..adapters.llm import LLMConfig

    return LLMConfig(base_url=base_url, model=model, timeout_s=timeout_s)


def apply_model_settings(models_dir: str | None, compute_device: str = "CPU") -> None:
    """Search ``models_dir`` first for model files and run models on ``compute_device``.

    Args:
        models_dir: An absolute folder, or None/"" for the shipped models only.
        compute_device: ``"CPU"`` or ``"AUTO"``.

    Raises:
        InputError: An unknown compute device.
    """
    set_user_models_dir(models_dir or None)
    set_compute_device(compute_device)
