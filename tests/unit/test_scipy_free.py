"""The runtime package needs no scipy (issue 12): our numpy stand-ins equal scipy's functions.

scipy stays installed in the dev environments and is the reference here; core.bspline and
core.bvls have their own comparison tests in tests/unit/core.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import resample_poly as scipy_resample_poly
from scipy.special import erf as scipy_erf

from facial_affect_addon.adapters import audio
from facial_affect_addon.adapters._polyphase import resample_poly
from facial_affect_addon.ml.minilm import _gelu, erf

PACKAGE = Path(__file__).resolve().parents[2] / "facial_affect_addon"


def test_no_runtime_module_imports_scipy() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            if any(n == "scipy" or n.startswith("scipy.") for n in names):
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert not offenders, offenders


def test_erf_matches_scipy_everywhere() -> None:
    x = np.concatenate([np.linspace(-40.0, 40.0, 2_000_001), [0.0, -0.0, np.inf, -np.inf]])
    assert np.max(np.abs(erf(x) - scipy_erf(x))) < 1.5e-7
    assert erf(np.array([3.0, -3.0])) == pytest.approx(scipy_erf([3.0, -3.0]), abs=1.5e-7)
    assert erf(np.zeros((2, 3), dtype=np.float32)).shape == (2, 3)


def test_gelu_matches_the_scipy_form_in_float32() -> None:
    x = np.random.default_rng(0).normal(0.0, 4.0, 200_000).astype(np.float32)
    exact = 0.5 * x * (1.0 + scipy_erf(x / np.sqrt(2.0)).astype(np.float32))
    assert _gelu(x).dtype == np.float32
    assert np.max(np.abs(_gelu(x) - exact)) < 2e-6


def _signals(rate: int, n: int) -> list[np.ndarray]:
    t = np.arange(n) / rate
    sweep = 0.5 * np.sin(2 * np.pi * (50 * t + (rate / 2 - 50) / 4 * t**2))  # 50 Hz -> Nyquist
    noise = 0.3 * np.random.default_rng(rate + n).standard_normal(n)
    return [sweep, noise]


@pytest.mark.parametrize("rate", [8000, 22050, 32000, 44100, 48000, 16001])
@pytest.mark.parametrize("n", [1, 2, 7, 100, 20_011])
def test_resample_poly_matches_scipy(rate: int, n: int) -> None:
    up, down = 16000 // np.gcd(rate, 16000), rate // np.gcd(rate, 16000)
    for x in _signals(rate, n):
        ref = scipy_resample_poly(x, up, down)  # float64: the same filter to rounding
        ours = resample_poly(x, up, down)
        assert ours.shape == ref.shape
        assert np.max(np.abs(ours - ref)) <= 1e-12 * max(1.0, float(np.abs(ref).max()))
        # what audio.resample does: float32 in, float32 out (scipy then filters in float32)
        ref32 = scipy_resample_poly(x.astype(np.float32), up, down)
        got32 = audio.resample(x.astype(np.float32), rate, 16000)
        assert got32.dtype == np.float32 and got32.shape == ref32.shape
        err = float(np.sum((got32 - ref32.astype(np.float64)) ** 2))
        power = float(np.sum(ref32.astype(np.float64) ** 2))
        assert err <= power * 1e-12 or err < 1e-20  # SNR above 120 dB (measured ~140)


def test_resample_poly_other_ratios_and_errors() -> None:
    x = np.random.default_rng(4).standard_normal(3001)
    for up, down in [(2, 1), (3, 2), (1, 3), (6, 4), (5, 5)]:
        np.testing.assert_allclose(resample_poly(x, up, down), scipy_resample_poly(x, up, down),
                                   rtol=0, atol=1e-12)  # fmt: skip
    with pytest.raises(ValueError):
        resample_poly(x, 0, 2)
    with pytest.raises(ValueError):
        resample_poly(np.zeros((3, 10)), 1, 2)
