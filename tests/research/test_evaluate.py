"""Evaluation: a published 2×2 table reproduced, and figures from scored cohorts."""

from __future__ import annotations

import polars as pl
import pytest

from trafficscreen.research.cohorts import evaluate_scored, read_labels
from trafficscreen.research.evaluate import (
    SYNTHETIC_WARNING,
    csv_rows,
    evaluate_counts,
    metrics_from_counts,
    render_table,
    roc_points,
)
from trafficscreen.research.frames import CohortError


def test_sscst_derivation_table_is_reproduced() -> None:
    """Greenbaum et al. 2018 (SSCST, n = 108): TP 23, FN 2, FP 22, TN 61 gives 92 / 73 / 51 / 97 %."""
    m = metrics_from_counts(23, 2, 22, 61)
    published = {"sensitivity": 92, "specificity": 73, "ppv": 51, "npv": 97}
    for name, percent in published.items():
        value = m[name].value
        assert value is not None and round(100 * value) == percent, name
    assert m["prevalence"].value == pytest.approx(25 / 108)
    assert m["accuracy"].value == pytest.approx(84 / 108)
    sens = m["sensitivity"]
    assert sens.low == pytest.approx(0.7396941578947858, rel=1e-8)  # exact interval, see test_stats
    assert sens.high == pytest.approx(0.9901604099812025, rel=1e-8)
    assert m["lr_positive"].value == pytest.approx((23 / 25) / (22 / 83))


def test_counts_evaluation_renders_without_cohort_parts() -> None:
    ev = evaluate_counts(23, 2, 22, 61, ci="wilson")
    text = render_table(ev)
    assert "as published" in text and "92.0%" in text and "Wilson" in text
    assert "not a negative finding" in text
    assert ev.as_dict()["thresholds"][0]["sensitivity"]["method"] == "wilson"
    assert not ev.roc and SYNTHETIC_WARNING not in text


def test_roc_points_and_trapezoid_auc() -> None:
    ev = evaluate_counts(8, 2, 3, 7)  # one threshold: sensitivity 0.8, specificity 0.7
    points, auc = roc_points(ev.thresholds)
    assert [(x, y) for _, x, y in points] == [(0.0, 0.0), (pytest.approx(0.3), 0.8), (1.0, 1.0)]
    assert auc == pytest.approx(0.5 * 0.3 * 0.8 + 0.7 * (0.8 + 1.0) / 2)


def _scored() -> pl.DataFrame:
    # 4 positives, 4 negatives with known levels and one indicator
    return pl.DataFrame(
        {
            "label": [1, 1, 1, 1, 0, 0, 0, 0, None],
            "level": ["urgent", "refer", "concern", "none", "concern", "none", "none", "none", "urgent"],
            "highest_possible": ["urgent", "refer", "urgent", "refer", "concern", "none", "concern", "none", "urgent"],
            "indicator.x": ["met", "met", "unknown", "not_met", "met", "not_met", "unknown", "not_met", "met"],
            "set_id": ["s"] * 9,
            "set_version": ["1.0.0"] * 9,
        }
    )


def test_evaluate_scored_counts_every_threshold() -> None:
    ev = evaluate_scored(_scored(), "label")
    assert (ev.n_positive, ev.n_negative, ev.n_unlabelled, ev.set_ref) == (4, 4, 1, "s@1.0.0")
    by = {t.threshold: t for t in ev.thresholds}
    assert (by["concern"].tp, by["concern"].fn, by["concern"].fp, by["concern"].tn) == (3, 1, 1, 3)
    assert (by["refer"].tp, by["refer"].fn, by["refer"].fp, by["refer"].tn) == (2, 2, 0, 4)
    assert (by["urgent"].tp, by["urgent"].fn, by["urgent"].fp, by["urgent"].tn) == (1, 3, 0, 4)
    # positives left below a threshold whose highest possible level reaches it
    assert (by["concern"].could_reach, by["refer"].could_reach, by["urgent"].could_reach) == (1, 2, 1)
    assert ev.settled_share == pytest.approx(5 / 8)
    ind = ev.indicators[0]
    assert (ind.id, ind.met_positive, ind.unknown_positive, ind.met_negative) == ("x", 2, 1, 1)
    assert ind.odds_ratio.value == pytest.approx((2 * 3) / (2 * 1))
    assert [p for p, _, _ in ev.roc] == ["none reached", "urgent", "refer", "concern", "every row"]
    assert ev.level_counts["positive"] == {"none": 1, "concern": 1, "refer": 1, "urgent": 1}
    rows = csv_rows(ev)
    assert {"section", "item", "statistic", "value", "low", "high", "method", "synthetic"} <= set(rows[0])
    assert any(r["statistic"] == "auc" for r in rows)


def test_synthetic_input_is_marked_everywhere() -> None:
    df = _scored().with_columns(pl.lit(True).alias("synthetic"))
    ev = evaluate_scored(df, "label")
    assert ev.synthetic
    assert render_table(ev).startswith(SYNTHETIC_WARNING)
    assert ev.as_dict()["warning"] == SYNTHETIC_WARNING
    assert all(r["synthetic"] for r in csv_rows(ev))


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1, 0, None], [True, False, None]),
        (["yes", "No", " true ", "", "0"], [True, False, True, None, False]),
        ([True, None], [True, None]),
    ],
)
def test_labels_are_read_leniently(values: list[object], expected: list[bool | None]) -> None:
    assert read_labels(pl.DataFrame({"y": values}, strict=False), "y").to_list() == expected


def test_bad_labels_and_levels_are_named_not_quoted() -> None:
    with pytest.raises(CohortError, match=r"label column 'y': 1 row\(s\) hold a value that is not 1/0") as exc:
        read_labels(pl.DataFrame({"y": ["1", "Maria Silva"]}), "y")
    assert "Maria" not in str(exc.value)
    with pytest.raises(CohortError, match="no label column 'z'"):
        read_labels(pl.DataFrame({"y": [1]}), "z")
    with pytest.raises(CohortError, match="not a level"):
        evaluate_scored(pl.DataFrame({"label": [1], "level": ["high"]}), "label")
    with pytest.raises(CohortError, match="score it first"):
        evaluate_scored(pl.DataFrame({"label": [1]}), "label")
