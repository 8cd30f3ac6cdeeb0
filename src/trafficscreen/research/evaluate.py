"""Evaluation of scored encounters against a reference label: the accuracy of a set on a cohort.

A row's **score is the level reached** on the answers given (``level``). Unknown answers are not
guessed: an indicator that is unknown counts as not met, exactly as it does for the level. This is the
figure a clinician would act on. Because a positive case left below a threshold only for want of
answers is a different failure from one whose answers were all given, each threshold also reports
``could_reach``: the positives below it whose ``highest_possible`` level reaches it. Completeness is
reported beside the figures (share of rows settled, i.e. ``level == highest_possible``, and the mean
share of indicators unknown).

At each threshold of the engine's scale — *concern and above*, *refer and above*, *urgent* — a row is
test-positive when its level is at or above the threshold. The figures (TP, FN, FP, TN; sensitivity,
specificity, PPV, NPV, accuracy and prevalence with binomial intervals; LR+ and LR− with log-method
intervals) are in :mod:`.stats`. The ROC curve joins (0, 0), the three thresholds from the strictest
down, and (1, 1); the AUC is the trapezoid area under those points, so it measures ranking on a
four-step scale, not on a continuous score.

Per indicator: how often it was met among positives and among negatives, its share unknown in each,
and the odds ratio of being met (met versus not met or unknown) between positives and negatives, with
Haldane's correction when a cell is zero.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

from .stats import CIMethod, Estimate, likelihood_ratios, proportion

LEVEL_RANK = {"none": 0, "concern": 1, "refer": 2, "urgent": 3}
THRESHOLDS: tuple[tuple[str, int], ...] = (("concern", 1), ("refer", 2), ("urgent", 3))
THRESHOLD_TITLES = {
    "concern": "concern and above",
    "refer": "refer and above",
    "urgent": "urgent",
    "published": "as published",
}
METRICS = ("sensitivity", "specificity", "ppv", "npv", "lr_positive", "lr_negative", "accuracy", "prevalence")
METRIC_TITLES = {
    "sensitivity": "sensitivity",
    "specificity": "specificity",
    "ppv": "PPV",
    "npv": "NPV",
    "lr_positive": "LR+",
    "lr_negative": "LR−",
    "accuracy": "accuracy",
    "prevalence": "prevalence",
}
CI_TITLES = {"exact": "exact (Clopper-Pearson)", "wilson": "Wilson score", "wald": "Wald"}
SYNTHETIC_WARNING = (
    "WARNING: synthetic cohort. These figures test the pipeline; they say nothing about the accuracy "
    "of any indicator set."
)


@dataclass(frozen=True)
class ThresholdResult:
    threshold: str
    tp: int
    fn: int
    fp: int
    tn: int
    metrics: dict[str, Estimate]
    could_reach: int | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"threshold": self.threshold, "tp": self.tp, "fn": self.fn, "fp": self.fp, "tn": self.tn}
        out.update({k: v.as_dict() for k, v in self.metrics.items()})
        if self.could_reach is not None:
            out["could_reach"] = self.could_reach
        return out


@dataclass(frozen=True)
class IndicatorResult:
    id: str
    met_positive: int
    unknown_positive: int
    met_negative: int
    unknown_negative: int
    n_positive: int
    n_negative: int
    odds_ratio: Estimate

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "met_positive": self.met_positive,
            "unknown_positive": self.unknown_positive,
            "met_negative": self.met_negative,
            "unknown_negative": self.unknown_negative,
            "n_positive": self.n_positive,
            "n_negative": self.n_negative,
            "odds_ratio": self.odds_ratio.as_dict(),
        }


@dataclass
class Evaluation:
    """Everything ``trafficscreen evaluate`` reports for one set on one cohort (or one 2×2 table)."""

    set_ref: str | None
    label: str | None
    n_positive: int
    n_negative: int
    ci: CIMethod
    confidence: float
    thresholds: list[ThresholdResult]
    synthetic: bool = False
    n_unlabelled: int = 0
    n_rejected: int = 0
    roc: list[tuple[str, float, float]] = field(default_factory=list)  # (point, FPR, TPR)
    auc: float | None = None
    indicators: list[IndicatorResult] = field(default_factory=list)
    settled_share: float | None = None
    unknown_indicator_share: float | None = None
    level_counts: dict[str, dict[str, int]] = field(default_factory=dict)  # label → level → rows

    @property
    def n(self) -> int:
        return self.n_positive + self.n_negative

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.synthetic:
            out["warning"] = SYNTHETIC_WARNING
        out.update(
            {
                "synthetic": self.synthetic,
                "set": self.set_ref,
                "label": self.label,
                "n": self.n,
                "n_positive": self.n_positive,
                "n_negative": self.n_negative,
                "n_unlabelled": self.n_unlabelled,
                "n_rejected": self.n_rejected,
                "ci": self.ci,
                "confidence": self.confidence,
                "thresholds": [t.as_dict() for t in self.thresholds],
            }
        )
        if self.roc:
            out["roc"] = [{"point": p, "fpr": x, "tpr": y} for p, x, y in self.roc]
            out["auc"] = self.auc
        if self.level_counts:
            out["level_counts"] = self.level_counts
        if self.settled_share is not None:
            out["completeness"] = {
                "settled_share": self.settled_share,
                "unknown_indicator_share": self.unknown_indicator_share,
            }
        if self.indicators:
            out["indicators"] = [i.as_dict() for i in self.indicators]
        return out


def metrics_from_counts(
    tp: int, fn: int, fp: int, tn: int, ci: CIMethod = "exact", confidence: float = 0.95
) -> dict[str, Estimate]:
    """Every figure of a 2×2 table (test result × reference label)."""
    for name, v in (("TP", tp), ("FN", fn), ("FP", fp), ("TN", tn)):
        if v < 0:
            raise ValueError(f"{name} must not be negative")
    n = tp + fn + fp + tn
    lr_pos, lr_neg = likelihood_ratios(tp, fn, fp, tn, confidence)
    return {
        "sensitivity": proportion(tp, tp + fn, ci, confidence),
        "specificity": proportion(tn, tn + fp, ci, confidence),
        "ppv": proportion(tp, tp + fp, ci, confidence),
        "npv": proportion(tn, tn + fn, ci, confidence),
        "lr_positive": lr_pos,
        "lr_negative": lr_neg,
        "accuracy": proportion(tp + tn, n, ci, confidence),
        "prevalence": proportion(tp + fn, n, ci, confidence),
    }


def evaluate_counts(tp: int, fn: int, fp: int, tn: int, ci: CIMethod = "exact", confidence: float = 0.95) -> Evaluation:
    """The figures of a published 2×2 table."""
    result = ThresholdResult("published", tp, fn, fp, tn, metrics_from_counts(tp, fn, fp, tn, ci, confidence))
    return Evaluation(None, None, tp + fn, fp + tn, ci, confidence, [result])


def roc_points(thresholds: list[ThresholdResult]) -> tuple[list[tuple[str, float, float]], float | None]:
    """ROC points from the strictest threshold down, between (0, 0) and (1, 1), and the trapezoid AUC."""
    points: list[tuple[str, float, float]] = [("none reached", 0.0, 0.0)]
    for t in sorted(thresholds, key=lambda t: -LEVEL_RANK.get(t.threshold, 0)):
        sens, spec = t.metrics["sensitivity"].value, t.metrics["specificity"].value
        if sens is None or spec is None:
            return [], None
        points.append((t.threshold, 1.0 - spec, sens))
    points.append(("every row", 1.0, 1.0))
    auc = 0.0
    for (_, x0, y0), (_, x1, y1) in itertools.pairwise(points):
        auc += (x1 - x0) * (y0 + y1) / 2
    return points, auc


def _pct(v: float | None, digits: int = 1) -> str:
    return "—" if v is None else f"{100 * v:.{digits}f}%"


def format_estimate(e: Estimate, percent: bool) -> str:
    if e.value is None:
        return "—"
    if percent:
        lo = "—" if e.low is None else f"{100 * e.low:.1f}"
        hi = "—" if e.high is None else f"{100 * e.high:.1f}"
        return f"{100 * e.value:.1f}% ({lo}–{hi})"
    if math.isinf(e.value):
        return "∞"
    lo = "—" if e.low is None else f"{e.low:.2f}"
    hi = "—" if e.high is None else f"{e.high:.2f}"
    mark = "*" if e.note else ""
    return f"{e.value:.2f}{mark} ({lo}–{hi})"


def _table(rows: list[list[str]], header: list[str] | None = None) -> list[str]:
    allrows = ([header] if header else []) + rows
    widths = [max(len(r[i]) for r in allrows) for i in range(len(allrows[0]))]
    out = []
    for k, r in enumerate(allrows):
        cells = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))]
        out.append("  ".join(cells).rstrip())
        if header and k == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def render_table(ev: Evaluation) -> str:
    """A plain-text report for the terminal."""
    lines: list[str] = []
    if ev.synthetic:
        lines.append(SYNTHETIC_WARNING)
        lines.append("")
    what = f"{ev.set_ref} against label '{ev.label}'" if ev.set_ref else "a 2×2 table"
    prevalence = ev.n_positive / ev.n if ev.n else None
    lines.append(
        f"Evaluation of {what}: {ev.n:,} rows ({ev.n_positive:,} positive, {ev.n_negative:,} negative, "
        f"prevalence {_pct(prevalence)})."
    )
    extra = []
    if ev.n_unlabelled:
        extra.append(f"{ev.n_unlabelled:,} rows without a label left out")
    if ev.n_rejected:
        extra.append(f"{ev.n_rejected:,} rows rejected by the data dictionary left out")
    if extra:
        lines.append("; ".join(extra).capitalize() + ".")
    lines.append(
        f"{round(ev.confidence * 100)}% intervals: {CI_TITLES[ev.ci]} for proportions, log method "
        "for likelihood ratios (* = 0.5 added to every cell for a zero cell)."
    )
    lines.append("")
    header = ["test positive at", *[THRESHOLD_TITLES.get(t.threshold, t.threshold) for t in ev.thresholds]]
    rows = [
        ["TP / FN", *[f"{t.tp:,} / {t.fn:,}" for t in ev.thresholds]],
        ["FP / TN", *[f"{t.fp:,} / {t.tn:,}" for t in ev.thresholds]],
    ]
    for m in METRICS:
        percent = not m.startswith("lr_")
        rows.append([METRIC_TITLES[m], *[format_estimate(t.metrics[m], percent) for t in ev.thresholds]])
    if any(t.could_reach is not None for t in ev.thresholds):
        rows.append(
            [
                "FN that unknowns could lift",
                *[f"{t.could_reach:,}" if t.could_reach is not None else "—" for t in ev.thresholds],
            ]
        )
    lines += _table(rows, header)
    if ev.roc:
        lines.append("")
        pts = ", ".join(f"{p} ({x:.3f}, {y:.3f})" for p, x, y in ev.roc)
        lines.append(f"ROC over the level scale (FPR, TPR): {pts}")
        lines.append(f"AUC (trapezoid over the four-step scale): {ev.auc:.3f}")
    if ev.settled_share is not None:
        lines.append(
            f"Completeness: {_pct(ev.settled_share)} of rows settled (no unknown could change the level); "
            f"{_pct(ev.unknown_indicator_share)} of indicator statuses unknown (counted as not met)."
        )
    if ev.indicators:
        lines.append("")
        lines.append("Indicators (met among positives / negatives; unknown counts as not met):")
        irows = []
        for ind in ev.indicators:
            irows.append(
                [
                    ind.id,
                    _pct(ind.met_positive / ind.n_positive if ind.n_positive else None),
                    _pct(ind.unknown_positive / ind.n_positive if ind.n_positive else None),
                    _pct(ind.met_negative / ind.n_negative if ind.n_negative else None),
                    _pct(ind.unknown_negative / ind.n_negative if ind.n_negative else None),
                    format_estimate(ind.odds_ratio, False),
                ]
            )
        lines += _table(
            irows, ["indicator", "met | pos", "unknown | pos", "met | neg", "unknown | neg", "odds ratio (95% CI)"]
        )
    lines.append("")
    lines.append(
        "A level of 'none' means no indicators were identified among the questions answered; it is not "
        "a negative finding."
    )
    return "\n".join(lines) + "\n"


def csv_rows(ev: Evaluation, set_column: str | None = None) -> list[dict[str, Any]]:
    """Long-format rows: section, threshold or item, statistic, value, low, high, method."""
    rows: list[dict[str, Any]] = []

    def add(
        section: str,
        item: str,
        statistic: str,
        value: Any,
        low: Any = None,
        high: Any = None,
        method: str | None = None,
    ) -> None:
        row: dict[str, Any] = {}
        if set_column is not None:
            row["set"] = set_column
        row.update(
            {
                "synthetic": ev.synthetic,
                "section": section,
                "item": item,
                "statistic": statistic,
                "value": value,
                "low": low,
                "high": high,
                "method": method,
            }
        )
        rows.append(row)

    add("cohort", "", "n_positive", ev.n_positive)
    add("cohort", "", "n_negative", ev.n_negative)
    add("cohort", "", "n_unlabelled", ev.n_unlabelled)
    add("cohort", "", "n_rejected", ev.n_rejected)
    for t in ev.thresholds:
        for k in ("tp", "fn", "fp", "tn"):
            add("threshold", t.threshold, k, getattr(t, k))
        for m, e in t.metrics.items():
            add("threshold", t.threshold, m, e.value, e.low, e.high, e.method)
        if t.could_reach is not None:
            add("threshold", t.threshold, "could_reach", t.could_reach)
    for p, x, y in ev.roc:
        add("roc", p, "fpr", x)
        add("roc", p, "tpr", y)
    if ev.auc is not None:
        add("roc", "", "auc", ev.auc, method="trapezoid")
    if ev.settled_share is not None:
        add("completeness", "", "settled_share", ev.settled_share)
        add("completeness", "", "unknown_indicator_share", ev.unknown_indicator_share)
    for ind in ev.indicators:
        add("indicator", ind.id, "met_positive", ind.met_positive)
        add("indicator", ind.id, "unknown_positive", ind.unknown_positive)
        add("indicator", ind.id, "met_negative", ind.met_negative)
        add("indicator", ind.id, "unknown_negative", ind.unknown_negative)
        e = ind.odds_ratio
        add("indicator", ind.id, "odds_ratio", e.value, e.low, e.high, e.method)
    return rows
