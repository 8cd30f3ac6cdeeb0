"""Statistics for diagnostic accuracy, in plain Python (no numpy or scipy needed).

* **Binomial confidence intervals** for a proportion x/n:

  - ``exact`` (Clopper-Pearson, the default): the interval of every p for which x is not in either
    α/2 tail of Binomial(n, p). Its bounds are quantiles of beta distributions,
    ``B(α/2; x, n−x+1)`` and ``B(1−α/2; x+1, n−x)``, found here by inverting the regularized incomplete
    beta function (a continued fraction, as in *Numerical Recipes* §6.4) with safeguarded Newton
    steps. Conservative: coverage is at least the nominal level.
  - ``wilson``: the score interval; closer to nominal coverage, never outside [0, 1].
  - ``wald``: p ± z·√(p(1−p)/n), clipped to [0, 1]; shown for comparison with older papers, poor for
    small n or p near 0 or 1.

* **Likelihood ratios** LR+ = sens / (1 − spec) and LR− = (1 − sens) / spec, with the usual log method
  (Simel, Samsa and Matchar 1991): ln LR ± z·SE, SE(ln LR+) = √(1/TP − 1/(TP+FN) + 1/FP − 1/(FP+TN)),
  SE(ln LR−) = √(1/FN − 1/(TP+FN) + 1/TN − 1/(FP+TN)). When a cell the ratio needs is zero, 0.5 is
  added to all four cells (and the estimate says so).
* **Odds ratios** with the Haldane-Anscombe correction (0.5 added to every cell when any cell is zero)
  and Woolf's log interval, exp(ln OR ± z·√(1/a + 1/b + 1/c + 1/d)).
* **McNemar's test** for paired proportions: exact two-sided binomial test on the discordant pairs when
  there are fewer than :data:`MCNEMAR_EXACT_BELOW` of them, otherwise the chi-square statistic with
  continuity correction, (|b − c| − 1)² / (b + c), on one degree of freedom.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

CIMethod = Literal["exact", "wilson", "wald"]
CI_METHODS: tuple[CIMethod, ...] = ("exact", "wilson", "wald")

MCNEMAR_EXACT_BELOW = 25
"""Fewer discordant pairs than this: exact binomial McNemar test; otherwise chi-square with correction."""


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its confidence interval; ``value`` is None when it is undefined (0/0)."""

    value: float | None
    low: float | None
    high: float | None
    method: str
    note: str | None = None

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"value": self.value, "low": self.low, "high": self.high, "method": self.method}
        if self.note:
            out["note"] = self.note
        return out


def z_value(confidence: float = 0.95) -> float:
    """Two-sided standard normal quantile, 1.959964 for 95%."""
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    return NormalDist().inv_cdf(1 - (1 - confidence) / 2)


# --- the regularized incomplete beta function and its inverse -------------------------------------


def _beta_cf(a: float, b: float, x: float) -> float:
    """Continued fraction for the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    if abs(d) < tiny:
        d = tiny
    d = 1.0 / d
    h = d
    for m in range(1, 100_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = tiny if abs(d) < tiny else d
        c = 1.0 + aa / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = tiny if abs(d) < tiny else d
        c = 1.0 + aa / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def _log_beta_front(a: float, b: float, x: float) -> float:
    return math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)


def betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta function I_x(a, b) for a, b > 0 and 0 ≤ x ≤ 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(_log_beta_front(a, b, x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_cf(a, b, x) / a
    return 1.0 - front * _beta_cf(b, a, 1.0 - x) / b


def beta_ppf(q: float, a: float, b: float) -> float:
    """The x with I_x(a, b) = q: Newton steps kept inside a shrinking bisection bracket."""
    if q <= 0.0:
        return 0.0
    if q >= 1.0:
        return 1.0
    lo, hi = 0.0, 1.0
    x = a / (a + b)
    log_norm = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
    for _ in range(300):
        f = betainc(a, b, x) - q
        if abs(f) <= 1e-14 * max(q, 1e-3):
            return x
        if f < 0:
            lo = x
        else:
            hi = x
        if hi - lo <= 1e-16:
            return x
        density = math.exp(log_norm + (a - 1) * math.log(x) + (b - 1) * math.log1p(-x))
        step = x - f / density if density > 0 else -1.0
        if step == x:
            return x
        if lo < step < hi:
            # Newton converges quadratically: a step this small leaves the root exact to double
            # precision well before |f| reaches its floor (I_x is itself computed to about 1e-15)
            if abs(step - x) <= 1e-13 * x:
                return step
            x = step
        else:
            x = (lo + hi) / 2
    return x


def binom_cdf(k: int, n: int, p: float) -> float:
    """P(X ≤ k) for X ~ Binomial(n, p)."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    return betainc(n - k, k + 1, 1.0 - p)


# --- intervals for a proportion -------------------------------------------------------------------


def clopper_pearson(x: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    alpha = 1 - confidence
    low = 0.0 if x == 0 else beta_ppf(alpha / 2, x, n - x + 1)
    high = 1.0 if x == n else beta_ppf(1 - alpha / 2, x + 1, n - x)
    return low, high


def wilson(x: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    z = z_value(confidence)
    p = x / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def wald(x: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    z = z_value(confidence)
    p = x / n
    half = z * math.sqrt(p * (1 - p) / n)
    return max(0.0, p - half), min(1.0, p + half)


_INTERVALS = {"exact": clopper_pearson, "wilson": wilson, "wald": wald}


def proportion(x: int, n: int, method: CIMethod = "exact", confidence: float = 0.95) -> Estimate:
    """x/n with its interval; undefined (None) when n is 0."""
    if x < 0 or n < 0 or x > n:
        raise ValueError("a proportion needs 0 <= x <= n")
    if n == 0:
        return Estimate(None, None, None, method, "no cases")
    low, high = _INTERVALS[method](x, n, confidence)
    return Estimate(x / n, low, high, method)


# --- likelihood ratios and odds ratios ------------------------------------------------------------


def likelihood_ratios(tp: int, fn: int, fp: int, tn: int, confidence: float = 0.95) -> tuple[Estimate, Estimate]:
    """(LR+, LR−) with log-method intervals; None where there are no positives or no negatives."""
    z = z_value(confidence)
    if tp + fn == 0 or fp + tn == 0:
        none = Estimate(None, None, None, "log", "needs both positives and negatives")
        return none, none

    def one(num: float, num_total: float, den: float, den_total: float) -> Estimate:
        note = None
        if num == 0 or den == 0:
            num, den, num_total, den_total = num + 0.5, den + 0.5, num_total + 1.0, den_total + 1.0
            note = "0.5 added to every cell (a zero cell)"
        ratio = (num / num_total) / (den / den_total)
        se = math.sqrt(1 / num - 1 / num_total + 1 / den - 1 / den_total)
        return Estimate(ratio, ratio * math.exp(-z * se), ratio * math.exp(z * se), "log", note)

    # LR+ = [TP/(TP+FN)] / [FP/(FP+TN)];  LR- = [FN/(TP+FN)] / [TN/(FP+TN)]
    return one(tp, tp + fn, fp, fp + tn), one(fn, tp + fn, tn, fp + tn)


def odds_ratio(a: int, b: int, c: int, d: int, confidence: float = 0.95) -> Estimate:
    """(a/b) / (c/d) with Haldane's correction for zero cells and Woolf's log interval.

    Undefined when a whole row or column is empty (no information about the association).
    """
    if (a + b == 0) or (c + d == 0) or (a + c == 0) or (b + d == 0):
        return Estimate(None, None, None, "woolf", "an empty row or column")
    note = None
    fa, fb, fc, fd = float(a), float(b), float(c), float(d)
    if 0 in (a, b, c, d):
        fa, fb, fc, fd = fa + 0.5, fb + 0.5, fc + 0.5, fd + 0.5
        note = "Haldane: 0.5 added to every cell (a zero cell)"
    ratio = (fa * fd) / (fb * fc)
    se = math.sqrt(1 / fa + 1 / fb + 1 / fc + 1 / fd)
    z = z_value(confidence)
    return Estimate(ratio, ratio * math.exp(-z * se), ratio * math.exp(z * se), "woolf", note)


# --- McNemar --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class McNemar:
    """Paired test on discordant pairs: b = first yes / second no, c = first no / second yes."""

    b: int
    c: int
    method: str  # "exact" or "chi-square (continuity-corrected)" or "none"
    statistic: float | None
    p_value: float | None

    def as_dict(self) -> dict[str, object]:
        return {"b": self.b, "c": self.c, "method": self.method, "statistic": self.statistic, "p_value": self.p_value}


def mcnemar(b: int, c: int) -> McNemar:
    n = b + c
    if n == 0:
        return McNemar(b, c, "none", None, 1.0)
    if n < MCNEMAR_EXACT_BELOW:
        k = min(b, c)
        tail = sum(math.comb(n, i) for i in range(k + 1)) / 2.0**n
        return McNemar(b, c, "exact", None, min(1.0, 2 * tail))
    stat = (abs(b - c) - 1) ** 2 / n
    return McNemar(b, c, "chi-square (continuity-corrected)", stat, math.erfc(math.sqrt(stat / 2)))


def paired_difference(b: int, c: int, n: int, confidence: float = 0.95) -> Estimate:
    """Difference of paired proportions (first − second) = (b − c)/n with a Wald interval."""
    if n == 0:
        return Estimate(None, None, None, "wald", "no cases")
    diff = (b - c) / n
    se = math.sqrt(max(0.0, b + c - (b - c) ** 2 / n)) / n
    z = z_value(confidence)
    return Estimate(diff, max(-1.0, diff - z * se), min(1.0, diff + z * se), "wald")
