"""One ONNX model opened with onnxruntime when installed, else OpenCV's ``cv2.dnn``.

The emotion model, the micro-expression model and the communication predictor all run their
exported ONNX the same way: onnxruntime first (faster, complete operator set), OpenCV's DNN module
as the fallback that every install has (the video path needs OpenCV anyway). This module holds
that choice once; each model keeps only what is specific to it (labels, preprocessing, how to
read its output).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..compute import onnx_providers
from ..core.errors import ModelError

BACKENDS = ("auto", "onnxruntime", "opencv")


class OnnxNet:
    """An opened ONNX model with one input and a first output read as a float64 array.

    Args:
        path: The ``.onnx`` file.
        backend: ``"auto"`` (onnxruntime if importable, else OpenCV), ``"onnxruntime"`` or
            ``"opencv"``.
        single_thread: Run onnxruntime on one intra-op thread (small models called per frame,
            where thread start-up costs more than it saves).
        fuse: Let OpenCV fuse layers; OpenCV 4.14 fuses Conv+Add for 2D only and asserts on 3D
            residual adds, so 3D networks pass ``False``.
        opencv_hint: Appended to OpenCV's error message (e.g. "install onnxruntime.").

    Raises:
        ModelError: When the backend is missing or cannot load the file.
    """

    def __init__(
        self,
        path: Path,
        backend: str = "auto",
        *,
        single_thread: bool = False,
        fuse: bool = True,
        opencv_hint: str = "",
    ) -> None:
        if backend not in BACKENDS:
            raise ModelError(f"Unknown ONNX backend {backend!r}; use one of {', '.join(BACKENDS)}.")
        self.path = Path(path)
        self._hint = f" {opencv_hint}" if opencv_hint else ""
        self.backend = self._open(backend, single_thread, fuse)

    def _open(self, backend: str, single_thread: bool, fuse: bool) -> str:
        if backend in ("auto", "onnxruntime"):
            try:
                import onnxruntime as ort
            except ImportError:
                if backend == "onnxruntime":
                    raise ModelError("onnxruntime is not installed.") from None
            else:
                opts = ort.SessionOptions()
                if single_thread:
                    opts.intra_op_num_threads = 1
                try:
                    providers = onnx_providers(ort.get_available_providers())
                    self._session = ort.InferenceSession(str(self.path), opts, providers=providers)
                except Exception as exc:  # onnxruntime raises its own untyped errors
                    raise ModelError(f"onnxruntime cannot load {self.path.name}: {exc}") from None
                self._input = self._session.get_inputs()[0].name
                return "onnxruntime"
        import cv2

        try:
            self._net = cv2.dnn.readNetFromONNX(str(self.path))
        except cv2.error as exc:
            raise ModelError(f"OpenCV cannot read {self.path.name}: {exc}.{self._hint}") from None
        if not fuse:
            self._net.enableFusion(False)
        return "opencv"

    def run(self, batch: np.ndarray) -> np.ndarray:
        """Run one batch and return the first output as float64.

        Raises:
            ModelError: When OpenCV fails on the batch.
        """
        if self.backend == "onnxruntime":
            out = self._session.run(None, {self._input: batch})[0]
            return np.asarray(out, np.float64)
        import cv2

        self._net.setInput(batch)
        try:
            return np.asarray(self._net.forward(), np.float64)
        except cv2.error as exc:
            raise ModelError(f"OpenCV cannot run {self.path.name}: {exc}.{self._hint}") from None
