"""The compute-device setting and what it asks of each runtime."""

from __future__ import annotations

import pytest

from facial_affect_addon import compute
from facial_affect_addon.core.errors import InputError


@pytest.fixture(autouse=True)
def _restore():
    yield
    compute.set_compute_device("CPU")


def test_cpu_never_asks_for_a_gpu():
    compute.set_compute_device("CPU")
    offered = ["CUDAExecutionProvider", "CPUExecutionProvider"]
    assert compute.onnx_providers(offered) == ["CPUExecutionProvider"]


def test_auto_takes_an_offered_gpu_and_keeps_the_cpu_fallback():
    compute.set_compute_device("AUTO")
    offered = ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"]
    assert compute.onnx_providers(offered) == ["CUDAExecutionProvider", "CPUExecutionProvider"]
    assert compute.onnx_providers(["CPUExecutionProvider"]) == ["CPUExecutionProvider"]


def test_unknown_choice_is_refused():
    with pytest.raises(InputError, match="CPU, AUTO"):
        compute.set_compute_device("GPU0")
    assert compute.compute_device() == "CPU"
