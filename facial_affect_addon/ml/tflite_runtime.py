"""One TFLite model on the fastest runtime that imports: LiteRT (XNNPACK), else cv2.dnn.

Why (issue 18 §5, measured 2026-12-01 on 2 shared cores, ``bench/bench_runtime.py``): the
468-point face mesh takes about 1.8 ms on ai-edge-litert's interpreter (XNNPACK, the runtime
MediaPipe itself uses) against 6.4 ms on cv2.dnn, from the same ``.tflite`` file. The extension
zips carry a slim ``ai_edge_litert`` (only its interpreter module and native libraries) where a
wheel exists; where it does not (macOS x64) or fails to load, cv2.dnn runs the same file, and
the outputs agree to about 1e-4 (``tests/unit/test_tflite_runtime.py``).

Only ``ai_edge_litert.interpreter`` is imported, and only when a model is opened, never at
add-on registration. Set ``FACEAFF_TFLITE_RUNTIME=opencv`` to force cv2.dnn (tests, bench).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from ..core.errors import ModelError

ENV = "FACEAFF_TFLITE_RUNTIME"
"""Environment variable: ``opencv`` forces cv2.dnn; ``litert`` or unset: LiteRT when it imports."""
LITERT, OPENCV = "litert", "opencv"

_log = logging.getLogger(__name__)
_litert_failed: str | None = None


def _interpreter_class():
    """LiteRT's Interpreter class, or None (with one log line) when it cannot be imported."""
    global _litert_failed
    if _litert_failed is not None:
        return None
    try:
        from ai_edge_litert.interpreter import Interpreter
    except Exception as exc:  # a missing wheel or a native library that fails to load
        _litert_failed = f"{type(exc).__name__}: {exc}"
        _log.info("LiteRT unavailable (%s); face models run on OpenCV dnn", _litert_failed)
        return None
    return Interpreter


def choose_runtime(runtime: str | None = None) -> str:
    """``"litert"`` or ``"opencv"``: the requested runtime, else the env var, else the fastest.

    Args:
        runtime: ``"litert"``, ``"opencv"`` or None (auto). A LiteRT request falls back to
            OpenCV when LiteRT does not import.

    Raises:
        ModelError: An unknown runtime name.
    """
    wanted = (runtime or os.environ.get(ENV) or LITERT).strip().lower()
    if wanted not in (LITERT, OPENCV):
        raise ModelError(f"Unknown TFLite runtime {wanted!r}; use {LITERT} or {OPENCV}.")
    if wanted == LITERT and _interpreter_class() is None:
        return OPENCV
    return wanted


THREADS_ENV = "FACEAFF_TFLITE_THREADS"
"""Environment variable: LiteRT's thread count (default :data:`THREADS`)."""
THREADS = min(4, os.cpu_count() or 1)
"""LiteRT threads per model: the machine's cores, at most 4 (a 192x192 model gains nothing from
more). Measured 2026-12-01 on 2 cores: idle, the face mesh takes 1.38 ms on two threads against
2.5-3.0 ms on one, and tracking runs at 198 frames/s against MediaPipe FaceMesh's 176 in the same
run (1.13x; 150 against 214, 0.70x, on one thread); under load 5 (four other jobs on the two
cores) the order flips (2.6-2.8 ms on one thread, 4.7-4.8 on two). Busy machines can set
:data:`THREADS_ENV` to 1."""


def thread_count() -> int:
    """LiteRT threads per model: :data:`THREADS_ENV` if set to a number, else :data:`THREADS`."""
    try:
        return max(1, int(os.environ.get(THREADS_ENV, THREADS)))
    except ValueError:
        return THREADS


MAX_SHAPES = 12
"""LiteRT interpreters kept per model, one per input shape, oldest dropped first. The detector
pyramid uses a handful of shapes per frame size (one per level); without a bound a long session
that reads videos of many sizes would keep every level's buffers (a 4K level's are tens of MB)."""


class TFLiteModel:
    """A ``.tflite`` file run on NHWC float32 input; outputs by their tensor names.

    The input side may change between calls (the detector pyramid runs a fully convolutional
    model on whole frames): LiteRT keeps one interpreter per input shape, cv2.dnn reshapes.
    """

    def __init__(self, path: Path, runtime: str | None = None) -> None:
        """Open ``path``.

        Args:
            path: The model file.
            runtime: See :func:`choose_runtime`.

        Raises:
            ModelError: The file cannot be read by the chosen runtime.
        """
        self.path = Path(path)
        self.runtime = choose_runtime(runtime)
        self._slots: dict[tuple[int, ...], tuple] = {}
        self._net = None
        if self.runtime == LITERT:
            self._slot(None)
        else:
            self._net = _read_cv2(self.path)
            self._names = self._net.getUnconnectedOutLayersNames()

    def _slot(self, shape: tuple[int, ...] | None) -> tuple:
        """(interpreter, input index, [(output name, index)]) for inputs of ``shape``."""
        slot = self._slots.get(shape) if shape else None
        if slot is not None:
            return slot
        try:
            it = _interpreter_class()(model_path=str(self.path), num_threads=thread_count())
            index = it.get_input_details()[0]["index"]
            if shape and tuple(it.get_input_details()[0]["shape"]) != shape:
                it.resize_tensor_input(index, list(shape))
            it.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            gist = (str(exc).strip().splitlines() or ["?"])[0]
            raise ModelError(
                f"LiteRT cannot read the face model {self.path.name} ({gist}); the file may "
                "be damaged: run `make setup` (tools/fetch_face_models.py) again."
            ) from None
        outs = [(d["name"], d["index"]) for d in it.get_output_details()]
        shape = tuple(int(s) for s in it.get_input_details()[0]["shape"])
        while len(self._slots) >= MAX_SHAPES:
            del self._slots[next(iter(self._slots))]
        self._slots[shape] = (it, index, outs)
        return self._slots[shape]

    def run(self, nhwc: np.ndarray) -> dict[str, np.ndarray]:
        """Outputs (name -> array) for one (1, h, w, c) float32 input."""
        if self._net is not None:  # cv2's TFLite importer wants NCHW blobs
            self._net.setInput(np.ascontiguousarray(nhwc.transpose(0, 3, 1, 2)))
            return dict(zip(self._names, self._net.forward(self._names), strict=True))
        it, index, outs = self._slot(tuple(nhwc.shape))
        it.set_tensor(index, np.ascontiguousarray(nhwc, np.float32))
        it.invoke()
        return {name: it.get_tensor(i) for name, i in outs}


def _read_cv2(path: Path):
    import cv2

    try:
        return cv2.dnn.readNetFromTFLite(str(path))
    except cv2.error as exc:  # its text spans lines and names OpenCV's source files: keep the gist
        detail = (getattr(exc, "err", "") or str(exc)).strip().splitlines()[-1:] or ["?"]
        raise ModelError(
            f"OpenCV cannot read the face model {path.name} ({detail[0]}); the file may be "
            "damaged: run `make setup` (tools/fetch_face_models.py) again."
        ) from None
