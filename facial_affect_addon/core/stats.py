"""Welch's t-test without scipy: the report's static-vs-dynamic significance (paper 000, Table 4).

The shipped extension has no scipy (issue 12's size budget), so the p-value comes from our own
regularised incomplete beta function: the two-sided Student-t tail is
``p = I_x(df / 2, 1 / 2)`` with ``x = df / (df + t**2)``. :func:`betainc` evaluates ``I_x(a, b)``
with the continued fraction of the incomplete beta (modified Lentz evaluation), using the
symmetry ``I_x(a, b) = 1 - I_{1-x}(b, a)`` where the fraction converges slowly. The unit tests
check it against ``scipy.special.betainc`` and ``scipy.stats.ttest_ind(equal_var=False)``. This
code is used even where scipy is importable: the package may not import scipy at all (the guard in
``tests/unit/test_scipy_free.py``), and one code path means the numbers never depend on what
happens to be installed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import InputError

_EPS = 1e-15
_TINY = 1e-300
_MAX_TERMS = 500


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of ``I_x(a, b)`` (fast for ``x < (a + 1) / (a + b + 2)``)."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, _MAX_TERMS + 1):
        m2 = 2 * m
        for num in (
            m * (b - m) * x / ((qam + m2) * (a + m2)),
            -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)),
        ):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > _TINY else _TINY)
            c = 1.0 + num / c
            c = c if abs(c) > _TINY else _TINY
            step = d * c
            h *= step
        if abs(step - 1.0) < _EPS:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function ``I_x(a, b)``.

    Args:
        a: First shape parameter (> 0).
        b: Second shape parameter (> 0).
        x: Upper limit in [0, 1].

    Returns:
        ``I_x(a, b)`` in [0, 1].

    Raises:
        InputError: On non-positive shapes or ``x`` outside [0, 1].
    """
    if not (a > 0 and b > 0 and math.isfinite(a) and math.isfinite(b)):
        raise InputError(f"betainc needs positive finite shapes, got a={a}, b={b}.")
    if not 0.0 <= x <= 1.0:
        raise InputError(f"betainc needs 0 <= x <= 1, got {x}.")
    if x == 0.0 or x == 1.0:
        return float(x)
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_fraction(a, b, x) / a
    return 1.0 - front * _beta_fraction(b, a, 1.0 - x) / b


def student_t_two_sided(t: float, df: float) -> float:
    """Two-sided p-value of Student's t with ``df`` degrees of freedom."""
    if not math.isfinite(t):
        return 0.0
    return min(1.0, betainc(df / 2.0, 0.5, df / (df + t * t)))


@dataclass(frozen=True)
class WelchResult:
    """Welch's unequal-variance t-test of ``mean(a) - mean(b)``.

    Attributes:
        t: The t statistic (positive when ``a`` is larger).
        df: Welch-Satterthwaite degrees of freedom.
        p: Two-sided p-value; None when both samples have zero variance (undefined).
        cohens_d: Mean difference over the pooled standard deviation (None when that is 0).
    """

    t: float
    df: float
    p: float | None
    cohens_d: float | None


def welch_t_test(a: np.ndarray, b: np.ndarray) -> WelchResult:
    """Welch's t-test of two independent samples (as ``scipy.stats.ttest_ind(equal_var=False)``).

    Args:
        a: First sample (at least 2 finite values).
        b: Second sample (at least 2 finite values).

    Returns:
        The statistic, degrees of freedom, two-sided p and Cohen's d.

    Raises:
        InputError: A sample has fewer than 2 values or a non-finite one.
    """
    x, y = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    if len(x) < 2 or len(y) < 2:
        raise InputError("Welch's t-test needs at least 2 values in each sample.")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise InputError("Welch's t-test needs finite values.")
    vx, vy = float(np.var(x, ddof=1)), float(np.var(y, ddof=1))
    nx, ny = len(x), len(y)
    diff = float(x.mean() - y.mean())
    pooled = math.sqrt(((nx - 1) * vx + (ny - 1) * vy) / (nx + ny - 2))
    d = diff / pooled if pooled > 0 else None
    se2 = vx / nx + vy / ny
    if se2 <= 0:
        return WelchResult(math.copysign(math.inf, diff) if diff else 0.0, nx + ny - 2.0, None, d)
    t = diff / math.sqrt(se2)
    df = se2 * se2 / ((vx / nx) ** 2 / (nx - 1) + (vy / ny) ** 2 / (ny - 1))
    return WelchResult(t, df, student_t_two_sided(t, df), d)
