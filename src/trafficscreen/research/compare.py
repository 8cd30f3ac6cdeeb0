"""Side-by-side comparison of indicator sets on the same labelled cohort.

Every set scores the same rows (a row any set rejects is left out for all, so the comparison stays
paired). At each threshold the sets' figures stand side by side, and the first set is compared with
each other one by paired tests on the same people:

* **sensitivity** among the positives: b = first set test-positive and the other test-negative, c = the
  reverse; the difference in sensitivity is (b − c) / positives;
* **specificity** among the negatives: b = first set test-negative and the other test-positive, c = the
  reverse; the difference in specificity is (b − c) / negatives.

McNemar's test is exact (two-sided binomial on b + c pairs) when b + c is below
:data:`~.stats.MCNEMAR_EXACT_BELOW` (25) and the chi-square test with continuity correction otherwise.
The difference carries a Wald interval for paired proportions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .evaluate import (
    CI_TITLES,
    METRIC_TITLES,
    METRICS,
    SYNTHETIC_WARNING,
    THRESHOLD_TITLES,
    Evaluation,
    _table,
    format_estimate,
)
from .stats import MCNEMAR_EXACT_BELOW, Estimate, McNemar


@dataclass(frozen=True)
class PairedTest:
    threshold: str
    first: str
    other: str
    measure: str  # "sensitivity" or "specificity"
    n: int
    difference: Estimate  # first − other
    test: McNemar

    def as_dict(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "first": self.first,
            "other": self.other,
            "measure": self.measure,
            "n": self.n,
            "difference": self.difference.as_dict(),
            "mcnemar": self.test.as_dict(),
        }


@dataclass
class Comparison:
    label: str
    evaluations: list[Evaluation]
    tests: list[PairedTest] = field(default_factory=list)
    n_rejected: int = 0
    synthetic: bool = False

    @property
    def sets(self) -> list[str]:
        return [e.set_ref or "?" for e in self.evaluations]

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.synthetic:
            out["warning"] = SYNTHETIC_WARNING
        out.update(
            {
                "synthetic": self.synthetic,
                "label": self.label,
                "sets": self.sets,
                "n_rejected": self.n_rejected,
                "mcnemar_exact_below": MCNEMAR_EXACT_BELOW,
                "evaluations": [e.as_dict() for e in self.evaluations],
                "paired_tests": [t.as_dict() for t in self.tests],
            }
        )
        return out


def _p(p: float | None) -> str:
    if p is None:
        return "—"
    return "<0.0001" if p < 0.0001 else f"{p:.4f}"


def render_table(cmp: Comparison) -> str:
    lines: list[str] = []
    if cmp.synthetic:
        lines += [SYNTHETIC_WARNING, ""]
    first = cmp.evaluations[0]
    lines.append(
        f"Comparison of {', '.join(cmp.sets)} against label '{cmp.label}': {first.n:,} rows "
        f"({first.n_positive:,} positive, {first.n_negative:,} negative), every set on the same rows."
    )
    if cmp.n_rejected:
        lines.append(f"{cmp.n_rejected:,} rows rejected by a set's data dictionary were left out for every set.")
    lines.append(
        f"{round(first.confidence * 100)}% intervals: {CI_TITLES[first.ci]} for proportions, "
        "log method for likelihood ratios."
    )
    for t_index, t in enumerate(first.thresholds):
        lines.append("")
        lines.append(f"Test positive at: {THRESHOLD_TITLES.get(t.threshold, t.threshold)}")
        rows = [
            [
                "TP / FN / FP / TN",
                *[
                    f"{e.thresholds[t_index].tp:,} / {e.thresholds[t_index].fn:,} / "
                    f"{e.thresholds[t_index].fp:,} / {e.thresholds[t_index].tn:,}"
                    for e in cmp.evaluations
                ],
            ]
        ]
        for m in METRICS:
            rows.append(
                [
                    METRIC_TITLES[m],
                    *[
                        format_estimate(e.thresholds[t_index].metrics[m], not m.startswith("lr_"))
                        for e in cmp.evaluations
                    ],
                ]
            )
        lines += _table(rows, ["", *cmp.sets])
        tests = [x for x in cmp.tests if x.threshold == t.threshold]
        if tests:
            trows = []
            for x in tests:
                d = x.difference
                diff = (
                    "—"
                    if d.value is None
                    else (f"{100 * d.value:+.1f} pts ({100 * (d.low or 0):+.1f} to {100 * (d.high or 0):+.1f})")
                )
                stat = "" if x.test.statistic is None else f", χ² = {x.test.statistic:.2f}"
                trows.append(
                    [
                        f"{x.measure}: {x.first} − {x.other}",
                        diff,
                        f"{x.test.b:,} / {x.test.c:,}",
                        f"{x.test.method}{stat}",
                        _p(x.test.p_value),
                    ]
                )
            lines += ["", *_table(trows, ["paired difference", "difference (95% CI)", "b / c", "McNemar", "p"])]
    aucs = [(e.set_ref, e.auc) for e in cmp.evaluations if e.auc is not None]
    if aucs:
        lines.append("")
        lines.append("AUC over the level scale: " + ", ".join(f"{s} {a:.3f}" for s, a in aucs))
    lines.append("")
    lines.append(
        f"McNemar: exact binomial when the discordant pairs b + c number fewer than {MCNEMAR_EXACT_BELOW}, "
        "chi-square with continuity correction otherwise."
    )
    return "\n".join(lines) + "\n"


def csv_rows(cmp: Comparison) -> list[dict[str, Any]]:
    from .evaluate import csv_rows as eval_rows

    rows: list[dict[str, Any]] = []
    for e in cmp.evaluations:
        rows += eval_rows(e, set_column=e.set_ref or "?")
    for x in cmp.tests:
        base = {"set": f"{x.first} vs {x.other}", "synthetic": cmp.synthetic, "section": "paired", "item": x.threshold}
        d = x.difference
        rows.append(
            base
            | {
                "statistic": f"{x.measure}_difference",
                "value": d.value,
                "low": d.low,
                "high": d.high,
                "method": d.method,
            }
        )
        rows.append(
            base
            | {
                "statistic": f"{x.measure}_mcnemar_p",
                "value": x.test.p_value,
                "low": None,
                "high": None,
                "method": x.test.method,
            }
        )
        rows.append(
            base
            | {"statistic": f"{x.measure}_discordant_b", "value": x.test.b, "low": None, "high": None, "method": None}
        )
        rows.append(
            base
            | {"statistic": f"{x.measure}_discordant_c", "value": x.test.c, "low": None, "high": None, "method": None}
        )
    return rows
