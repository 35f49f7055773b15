"""Which processor the model runtimes may use: the add-on's "Compute device" preference.

``"CPU"`` (the default) keeps every model on the CPU. ``"AUTO"`` lets each runtime take a GPU
it can use, and fall back to the CPU when there is none:

* onnxruntime (the face emotion model): the accelerated execution providers the installed
  onnxruntime offers (CUDA, ROCm, DirectML, CoreML), then the CPU. The wheel bundled with the
  extension is the CPU build, so in practice this matters when a user installs ``onnxruntime-gpu``.
The face detector and landmark model run on OpenCV's dnn module, whose PyPI builds are CPU-only,
and Whisper speech-to-text is our own numpy code (``ml/whisper_np.py``; no CTranslate2 since
issue 12), so both always use the CPU. The setting is a process-wide value set from the
preferences on the main thread and read by workers when they load a model.
"""

from __future__ import annotations

from collections.abc import Sequence

from .core.errors import InputError

CHOICES = ("CPU", "AUTO")
_GPU_PROVIDERS = (
    "CUDAExecutionProvider",
    "ROCMExecutionProvider",
    "DmlExecutionProvider",
    "CoreMLExecutionProvider",
)
_current = ["CPU"]


def set_compute_device(choice: str) -> None:
    """Set ``"CPU"`` or ``"AUTO"``.

    Raises:
        InputError: Any other value.
    """
    if choice not in CHOICES:
        raise InputError(f"Compute device must be one of {', '.join(CHOICES)}, got {choice!r}.")
    _current[0] = choice


def compute_device() -> str:
    """The current choice."""
    return _current[0]


def onnx_providers(available: Sequence[str]) -> list[str]:
    """onnxruntime execution providers to ask for, best first, from those ``available``."""
    chosen = []
    if compute_device() == "AUTO":
        chosen = [p for p in _GPU_PROVIDERS if p in available]
    return [*chosen, "CPUExecutionProvider"]
