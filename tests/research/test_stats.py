"""Confidence intervals, likelihood and odds ratios, and McNemar's test against independent values.

Reference values were computed once, independently of this code, with SciPy 1.17.1:
``scipy.stats.beta.ppf(0.025, x, n - x + 1)`` and ``beta.ppf(0.975, x + 1, n - x)`` for Clopper-Pearson,
``scipy.stats.binomtest(x, n).proportion_ci(method="wilson")`` for Wilson and
``binomtest(k, n, 0.5).pvalue`` for the exact McNemar p. The closed forms for x = 0 and x = n and the
defining equations of the exact interval (checked below with exact binomial sums) need no reference.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trafficscreen.research.stats import (
    MCNEMAR_EXACT_BELOW,
    beta_ppf,
    betainc,
    binom_cdf,
    clopper_pearson,
    likelihood_ratios,
    mcnemar,
    odds_ratio,
    paired_difference,
    proportion,
    wald,
    wilson,
    z_value,
)

# (x, n): (Clopper-Pearson low, high), (Wilson low, high) — from SciPy, see the module docstring
REFERENCE = {
    (23, 25): ((0.7396941578947858, 0.9901604099812025), (0.750338910496047, 0.9777795987151525)),
    (61, 83): ((0.6266387581580775, 0.8258453625660317), (0.6311383922971716, 0.8179558597987684)),
    (23, 45): ((0.3577403856700304, 0.6629662516072066), (0.37004464644583196, 0.650429762471215)),
    (61, 63): ((0.8899806265911197, 0.9961320175035812), (0.8914352295339256, 0.9912504724384195)),
    (3, 7): ((0.09898827844250786, 0.8159484323599169), (0.1582198552514697, 0.7495416354723428)),
    (1, 1_000_000): ((2.5317807663794178e-08, 5.571630655166939e-06), (1.765245767453709e-07, 5.664911804311442e-06)),
    (500_000, 1_000_000): ((0.49901951919531184, 0.5009804808046882), (0.4990200198900048, 0.5009799801099952)),
}


@pytest.mark.parametrize(("x", "n"), list(REFERENCE))
def test_clopper_pearson_and_wilson_match_scipy(x: int, n: int) -> None:
    (cp_lo, cp_hi), (w_lo, w_hi) = REFERENCE[(x, n)]
    lo, hi = clopper_pearson(x, n)
    assert lo == pytest.approx(cp_lo, rel=1e-8, abs=1e-15)
    assert hi == pytest.approx(cp_hi, rel=1e-8, abs=1e-15)
    lo, hi = wilson(x, n)
    assert lo == pytest.approx(w_lo, rel=1e-9)
    assert hi == pytest.approx(w_hi, rel=1e-9)


def test_clopper_pearson_closed_forms_at_the_edges() -> None:
    # x = 0: upper bound 1 - (alpha/2)^(1/n); x = n: lower bound (alpha/2)^(1/n)
    # element by element: mypy sees a tuple holding pytest.approx as never equal to tuple[float, float]
    lo, hi = clopper_pearson(0, 10)
    assert lo == 0.0 and hi == pytest.approx(1 - 0.025 ** (1 / 10), rel=1e-10)
    lo, hi = clopper_pearson(10, 10)
    assert lo == pytest.approx(0.025 ** (1 / 10), rel=1e-10) and hi == 1.0
    assert clopper_pearson(0, 10)[1] == pytest.approx(0.30849710781876, rel=1e-10)


def _binom_tail_ge(x: int, n: int, p: float) -> float:
    return sum(math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(x, n + 1))


@given(n=st.integers(1, 120), data=st.data())
def test_clopper_pearson_bounds_solve_their_defining_equations(n: int, data: st.DataObject) -> None:
    """P(X >= x | low) = alpha/2 and P(X <= x | high) = alpha/2, with exact binomial sums."""
    x = data.draw(st.integers(0, n))
    lo, hi = clopper_pearson(x, n)
    assert 0 <= lo <= x / n <= hi <= 1
    if x > 0:
        assert _binom_tail_ge(x, n, lo) == pytest.approx(0.025, rel=1e-7)
    if x < n:
        assert 1 - _binom_tail_ge(x + 1, n, hi) == pytest.approx(0.025, rel=1e-7)


@given(n=st.integers(1, 60), k=st.integers(0, 60), p=st.floats(0.001, 0.999))
def test_binomial_cdf_matches_exact_sum(n: int, k: int, p: float) -> None:
    k = min(k, n)
    exact = sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k + 1))
    assert binom_cdf(k, n, p) == pytest.approx(exact, rel=1e-9, abs=1e-14)


def test_beta_inverse_round_trips() -> None:
    for a, b in [(1.0, 1.0), (2.5, 7.0), (23.0, 3.0), (99520.0, 350.0)]:
        for q in (0.001, 0.025, 0.5, 0.975):
            assert betainc(a, b, beta_ppf(q, a, b)) == pytest.approx(q, rel=1e-9)


def test_wilson_textbook_example_and_wald() -> None:
    # Newcombe (1998), example 81/263: Wilson 0.2553 to 0.3662; Wald 0.2522 to 0.3638
    lo, hi = wilson(81, 263)
    assert (round(lo, 4), round(hi, 4)) == (0.2553, 0.3662)
    lo, hi = wald(81, 263)
    assert (round(lo, 4), round(hi, 4)) == (0.2522, 0.3638)
    assert wald(0, 10) == (0.0, 0.0)  # the reason Wald is not the default
    assert z_value(0.95) == pytest.approx(1.959963984540054)


def test_proportion_undefined_without_cases() -> None:
    e = proportion(0, 0)
    assert e.value is None and e.low is None
    assert proportion(23, 25, "wilson").method == "wilson"
    with pytest.raises(ValueError):
        proportion(3, 2)


def test_likelihood_ratios_log_method() -> None:
    lr_pos, lr_neg = likelihood_ratios(23, 2, 22, 61)
    sens, spec = 23 / 25, 61 / 83
    assert lr_pos.value == pytest.approx(sens / (1 - spec))
    assert lr_neg.value == pytest.approx((1 - sens) / spec)
    se = math.sqrt(1 / 23 - 1 / 25 + 1 / 22 - 1 / 83)
    assert lr_pos.value is not None
    assert lr_pos.low == pytest.approx(lr_pos.value * math.exp(-1.959963984540054 * se))
    assert lr_pos.high == pytest.approx(lr_pos.value * math.exp(1.959963984540054 * se))
    assert lr_pos.note is None
    # a zero cell: 0.5 added to every cell, and the estimate says so
    zero_pos, _ = likelihood_ratios(10, 0, 0, 10)
    assert zero_pos.note is not None and zero_pos.value == pytest.approx((10.5 / 11) / (0.5 / 11))


def test_odds_ratio_with_haldane_correction() -> None:
    e = odds_ratio(10, 20, 5, 40)
    assert e.value == pytest.approx(4.0) and e.note is None
    se = math.sqrt(1 / 10 + 1 / 20 + 1 / 5 + 1 / 40)
    assert e.low == pytest.approx(4.0 * math.exp(-1.959963984540054 * se))
    h = odds_ratio(10, 0, 5, 40)
    assert h.value == pytest.approx((10.5 * 40.5) / (0.5 * 5.5)) and h.note and "Haldane" in h.note
    assert odds_ratio(0, 0, 5, 5).value is None


def test_mcnemar_exact_below_cut_off_and_chi_square_above() -> None:
    small = mcnemar(3, 10)
    assert small.method == "exact"
    assert small.p_value == pytest.approx(0.09228515625)  # SciPy binomtest(3, 13, 0.5)
    assert mcnemar(2, 8).p_value == pytest.approx(0.109375)
    assert mcnemar(0, 0).p_value == 1.0
    big = mcnemar(30, 12)
    assert MCNEMAR_EXACT_BELOW <= 30 + 12 and big.method.startswith("chi-square")
    assert big.statistic == pytest.approx((abs(30 - 12) - 1) ** 2 / 42)
    assert big.statistic is not None
    assert big.p_value == pytest.approx(math.erfc(math.sqrt(big.statistic / 2)))
    assert big.p_value == pytest.approx(0.008711912962379598, rel=1e-9)  # SciPy chi2.sf(289 / 42, 1)


def test_paired_difference() -> None:
    d = paired_difference(12, 4, 100)
    assert d.value == pytest.approx(0.08)
    assert d.low is not None and d.high is not None and d.low < 0.08 < d.high
