"""core.stats: our incomplete beta and Welch's t-test equal scipy's (scipy is the reference)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special
from scipy import stats as scipy_stats

from facial_affect_addon.core.errors import InputError
from facial_affect_addon.core.stats import betainc, student_t_two_sided, welch_t_test


@pytest.mark.parametrize("a", [0.05, 0.5, 1.0, 2.5, 10.0, 150.0, 1e4])
@pytest.mark.parametrize("b", [0.5, 1.0, 3.0, 40.0, 2e3])
def test_betainc_matches_scipy(a: float, b: float) -> None:
    for x in np.concatenate([[0.0, 1e-12, 1e-6], np.linspace(0.001, 0.999, 97), [1 - 1e-9, 1.0]]):
        ours, ref = betainc(a, b, float(x)), float(special.betainc(a, b, x))
        assert ours == pytest.approx(ref, rel=1e-9, abs=1e-12), (a, b, x)


def test_betainc_refuses_bad_arguments() -> None:
    for args in [(0.0, 1.0, 0.5), (1.0, -1.0, 0.5), (1.0, 1.0, 1.5), (math.nan, 1.0, 0.5)]:
        with pytest.raises(InputError):
            betainc(*args)


def test_student_t_tail_matches_scipy() -> None:
    for df in (1.0, 2.7, 10.0, 73.4, 1e5):
        for t in (0.0, 0.3, 1.0, 2.2, 6.0, 40.0, -3.0):
            ref = 2 * scipy_stats.t.sf(abs(t), df)
            assert student_t_two_sided(t, df) == pytest.approx(ref, rel=1e-8, abs=1e-300)


def test_welch_matches_scipy_ttest_ind() -> None:
    rng = np.random.default_rng(3)
    for n, m, shift, scale in [
        (5, 7, 0.0, 1.0),
        (14, 14, 0.8, 3.0),
        (40, 9, -2.0, 0.1),
        (3, 3, 5, 1),
    ]:
        a, b = rng.normal(shift, 1.0, n), rng.normal(0.0, scale, m)
        ours = welch_t_test(a, b)
        ref = scipy_stats.ttest_ind(a, b, equal_var=False)
        assert ours.t == pytest.approx(ref.statistic, rel=1e-10)
        assert ours.p == pytest.approx(ref.pvalue, rel=1e-8)
        assert ours.df == pytest.approx(ref.df, rel=1e-10)


def test_welch_with_one_constant_sample_and_with_two() -> None:
    a = np.array([1.0, 2.0, 3.0, 4.0])
    one = welch_t_test(a, np.full(4, 1.0))
    assert one.t > 0 and 0.05 < one.p < 0.2
    assert one.p == pytest.approx(scipy_stats.ttest_ind(a, np.ones(4), equal_var=False).pvalue)
    both = welch_t_test(np.ones(3), np.full(3, 2.0))
    assert both.p is None and both.t == -math.inf
    with pytest.raises(InputError):
        welch_t_test(np.ones(1), np.ones(3))
    with pytest.raises(InputError):
        welch_t_test(np.array([1.0, np.nan]), np.ones(3))
