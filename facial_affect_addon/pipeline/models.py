"""What the front ends say about the models in use: their names and how well they were measured.

Numbers are this project's own measurements (see the README); a model the project did not
measure is labelled so instead of borrowing someone else's figure. :func:`text_model_label` is
the one label of the text model, written into every performance's ``models``.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from .. import paths

NOT_MEASURED = "accuracy not measured by this project"
OFFLINE_TEXT_LABEL = "offline MiniLM + logistic regression (held-out accuracy in README)"
WHISPER_NOTE = "word error rate 0.10 on this project's espeak-ng test sentences"
SPHINX_NOTE = "word error rate 0.79 on this project's espeak-ng test sentences (weak)"


@lru_cache(maxsize=4)
def _text_accuracy(meta_path: str) -> float | None:
    try:
        meta = json.loads(Path(meta_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    held_out = meta.get("held_out")
    if isinstance(held_out, dict):
        value = held_out.get("accuracy")
    else:
        match = re.search(r"'accuracy':\s*([0-9.]+)", str(held_out))
        value = float(match.group(1)) if match else None
    return float(value) if isinstance(value, (int, float)) else None


def text_model_note() -> tuple[str, str]:
    """(name, accuracy note) of the offline text model."""
    # paths, not ml.text_emotion: that imports the MiniLM runtime, too heavy for a panel's draw()
    accuracy = _text_accuracy(str(paths.model_path("text_emotion.npz").with_suffix(".json")))
    note = (
        f"held-out accuracy {accuracy:.0%} on this project's sentence set (7 emotions)"
        if accuracy is not None
        else "model file missing: " + NOT_MEASURED
    )
    return "Text: MiniLM-L6 embeddings + logistic regression (offline)", note


def model_notes(prefs, online: bool) -> list[tuple[str, str]]:
    """The models the next analysis will use, each with its accuracy note."""
    notes = []
    if prefs is not None and prefs.use_llm and online:
        name = prefs.llm_model or "?"
        notes.append((f"Text: LLM {name} ({prefs.llm_endpoint or 'api.openai.com'})", NOT_MEASURED))
        name, note = text_model_note()
        notes.append((f"{name}, fallback", note))
    else:
        notes.append(text_model_note())
    engine = prefs.stt_engine if prefs is not None else "whisper"
    if engine == "openai" and online:
        notes.append(("Speech: OpenAI-compatible transcription (online)", NOT_MEASURED))
    elif engine == "pocketsphinx":
        notes.append(("Speech: PocketSphinx en-US (offline)", SPHINX_NOTE))
    else:
        notes.append(("Speech: Whisper tiny.en, int8, numpy (offline)", WHISPER_NOTE))
    notes.append(face_model_note())
    notes.append(micro_model_note())
    return notes


def micro_model_note() -> tuple[str, str]:
    """(name, note) of the micro-expression reader: the trained model if installed, else the
    training-free spotter (no model ships: README, "Micro-expression model")."""
    from ..ml.micro_net import model_status

    status = model_status()
    if status.startswith("No trained"):
        return "Micro-expressions: training-free spotter (optical flow)", status
    return f"Micro-expressions: {status}", NOT_MEASURED


def face_model_note() -> tuple[str, str]:
    """(name, accuracy note) of the face emotion model the next video analysis will load."""
    from ..ml.emotion_runtime import default_model_path

    meta = default_model_path().with_suffix(".json")
    try:
        stamp = meta.stat().st_mtime_ns
    except OSError:
        stamp = 0
    return _face_note(str(meta), stamp)


@lru_cache(maxsize=4)
def _face_note(_meta_path: str, _stamp: int) -> tuple[str, str]:
    from ..ml.emotion_runtime import default_model_description

    name, _, note = default_model_description().partition("; ")
    return f"Face: {name}", note or NOT_MEASURED


def text_model_label(source: str, llm_config) -> str:
    """Which model read a text, for a performance's ``models`` (JSON, panel).

    Args:
        source: The analysis source (``"llm"`` or ``"offline"``).
        llm_config: The :class:`~..adapters.llm.LLMConfig` that was asked, or None.
    """
    if source == "llm" and llm_config is not None:
        return f"LLM {llm_config.model} at {llm_config.endpoint}"
    return OFFLINE_TEXT_LABEL


def demo_head_path() -> Path:
    """Path of the built-in demo head (.blend)."""
    return paths.demo_head_path()
