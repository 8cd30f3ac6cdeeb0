"""Evaluation and comparison on cohort frames (polars): labels, counts, and the paired tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from ..core.compiled import CompiledSet
from ..core.plan import INDICATOR_PREFIX
from .batch import SYNTHETIC, CohortInput
from .compare import Comparison, PairedTest
from .evaluate import (
    LEVEL_RANK,
    THRESHOLDS,
    Evaluation,
    IndicatorResult,
    ThresholdResult,
    metrics_from_counts,
    roc_points,
)
from .frames import ROW, CohortError
from .stats import CIMethod, mcnemar, odds_ratio, paired_difference

_TRUE = ["1", "true", "yes", "positive"]
_FALSE = ["0", "false", "no", "negative"]


def read_labels(df: pl.DataFrame, column: str) -> pl.Series:
    """The label column as Boolean (null = no label). Accepts true/false, 1/0, yes/no, positive/negative."""
    if column not in df.columns:
        raise CohortError(f"there is no label column '{column}' in the input")
    s = df.get_column(column)
    dtype = s.dtype
    if dtype == pl.Boolean:
        return s.alias("\x00label")
    if isinstance(dtype, (pl.Categorical, pl.Enum)):
        s, dtype = s.cast(pl.String), pl.String()
    if dtype.is_numeric():
        bad = s.is_not_null() & ~s.is_in([0, 1])
        value = s == 1
    elif dtype == pl.String:
        word = s.str.strip_chars().str.to_lowercase()
        word = pl.select(pl.when(word != "").then(word)).to_series()
        value = pl.select(pl.when(word.is_in(_TRUE)).then(True).when(word.is_in(_FALSE)).then(False)).to_series()
        bad = word.is_not_null() & value.is_null()
    else:
        raise CohortError(f"label column '{column}' must hold 1/0 or true/false")
    if bad.any():
        first = int(bad.arg_true()[0]) + 1
        raise CohortError(
            f"label column '{column}': {int(bad.sum()):,} row(s) hold a value that is not 1/0 or "
            f"true/false (first at row {first})"
        )
    return value.alias("\x00label")


def _rank(df: pl.DataFrame, column: str) -> pl.Expr:
    if column not in df.columns:
        raise CohortError(
            f"the scored input has no '{column}' column; score it first (trafficscreen batch) "
            "or pass --set to score raw data"
        )
    rank = (
        pl.col(column)
        .cast(pl.String)
        .replace_strict(list(LEVEL_RANK), list(LEVEL_RANK.values()), default=255, return_dtype=pl.UInt8)
    )
    bad = df.select((rank == 255).sum()).item()
    if bad:
        raise CohortError(
            f"column '{column}': {bad:,} row(s) hold a value that is not a level (none, concern, refer, urgent)"
        )
    return rank


def is_synthetic(df: pl.DataFrame) -> bool:
    if SYNTHETIC not in df.columns:
        return False
    s = df.get_column(SYNTHETIC)
    if s.dtype == pl.Boolean:
        return bool(s.any())
    return bool(s.cast(pl.String).str.to_lowercase().is_in(["true", "1"]).any())


def _set_ref(df: pl.DataFrame) -> str | None:
    if "set_id" not in df.columns or "set_version" not in df.columns or df.height == 0:
        return None
    refs = df.select((pl.col("set_id").cast(pl.String) + "@" + pl.col("set_version").cast(pl.String)).unique())
    if refs.height > 1:
        raise CohortError(
            "the scored input holds results of more than one set; evaluate one set at a time "
            "(or use trafficscreen compare)"
        )
    value = refs.item()
    return str(value) if value is not None else None


def evaluate_scored(
    scored: pl.DataFrame,
    label: str,
    *,
    ci: CIMethod = "exact",
    confidence: float = 0.95,
    set_ref: str | None = None,
    n_rejected: int = 0,
    level_column: str = "level",
    highest_column: str = "highest_possible",
    indicator_prefix: str = INDICATOR_PREFIX,
) -> Evaluation:
    """Evaluate scored rows (``level``, optionally ``highest_possible`` and indicator statuses) against a label."""
    labels = read_labels(scored, label)
    rank = _rank(scored, level_column)
    has_high = highest_column in scored.columns
    high = _rank(scored, highest_column) if has_high else None
    indicators = [c for c in scored.columns if c.startswith(indicator_prefix)]
    frame = scored.select(
        labels,
        rank.alias("\x00rank"),
        *([high.alias("\x00high")] if high is not None else []),
        # statuses stay Enum (or Categorical) when they are: comparing those with a word is cheap, turning a
        # million of them into text is not
        *[
            pl.col(c)
            if isinstance(scored.schema[c], (pl.Enum, pl.Categorical, pl.String))
            else pl.col(c).cast(pl.String).alias(c)
            for c in indicators
        ],
    )
    n_unlabelled = frame.get_column("\x00label").null_count()
    frame = frame.filter(pl.col("\x00label").is_not_null())
    lab, r = pl.col("\x00label"), pl.col("\x00rank")
    sums: list[pl.Expr] = [lab.sum().alias("pos"), (~lab).sum().alias("neg")]
    for name, t in THRESHOLDS:
        sums += [(lab & (r >= t)).sum().alias(f"tp_{name}"), (~lab & (r >= t)).sum().alias(f"fp_{name}")]
        if has_high:
            sums.append((lab & (r < t) & (pl.col("\x00high") >= t)).sum().alias(f"cr_{name}"))
    for c in indicators:
        met, unk = pl.col(c) == "met", pl.col(c) == "unknown"
        sums += [
            (met & lab).sum().alias(f"mp:{c}"),
            (unk & lab).sum().alias(f"up:{c}"),
            (met & ~lab).sum().alias(f"mn:{c}"),
            (unk & ~lab).sum().alias(f"un:{c}"),
        ]
    # shares from whole-number counts: a mean of floats summed in parallel chunks can differ in its last
    # digit from run to run, and the same cohort must give the same report
    if has_high:
        sums.append((r == pl.col("\x00high")).sum().alias("settled"))
    if indicators:
        sums.append(pl.sum_horizontal([(pl.col(c) == "unknown").sum() for c in indicators]).alias("unknown"))
    totals = frame.select(sums).row(0, named=True)
    pos, neg = int(totals["pos"] or 0), int(totals["neg"] or 0)

    results = []
    for name, _t in THRESHOLDS:
        tp, fp = int(totals[f"tp_{name}"] or 0), int(totals[f"fp_{name}"] or 0)
        fn, tn = pos - tp, neg - fp
        results.append(
            ThresholdResult(
                name,
                tp,
                fn,
                fp,
                tn,
                metrics_from_counts(tp, fn, fp, tn, ci, confidence),
                int(totals[f"cr_{name}"] or 0) if has_high else None,
            )
        )
    roc, auc = roc_points(results)
    inds = []
    for c in indicators:
        mp, up = int(totals[f"mp:{c}"] or 0), int(totals[f"up:{c}"] or 0)
        mn, un = int(totals[f"mn:{c}"] or 0), int(totals[f"un:{c}"] or 0)
        inds.append(
            IndicatorResult(
                c[len(indicator_prefix) :], mp, up, mn, un, pos, neg, odds_ratio(mp, pos - mp, mn, neg - mn, confidence)
            )
        )
    counts = frame.group_by("\x00label", "\x00rank").len().rows()
    names = {v: k for k, v in LEVEL_RANK.items()}
    level_counts: dict[str, dict[str, int]] = {"positive": {}, "negative": {}}
    for lab_value, rank_value, n in sorted(counts, key=lambda x: (not x[0], x[1])):
        level_counts["positive" if lab_value else "negative"][names[rank_value]] = int(n)
    return Evaluation(
        set_ref=set_ref or _set_ref(scored),
        label=label,
        n_positive=pos,
        n_negative=neg,
        ci=ci,
        confidence=confidence,
        thresholds=results,
        synthetic=is_synthetic(scored),
        n_unlabelled=n_unlabelled,
        n_rejected=n_rejected,
        roc=roc,
        auc=auc,
        indicators=inds,
        settled_share=int(totals["settled"]) / frame.height if has_high and pos + neg else None,
        unknown_indicator_share=(
            int(totals["unknown"]) / (frame.height * len(indicators)) if indicators and pos + neg else None
        ),
        level_counts=level_counts,
    )


def _cohort(source: pl.DataFrame | CohortInput, mapping: Mapping[str, str] | None) -> CohortInput:
    if isinstance(source, CohortInput):
        if mapping:
            raise CohortError("give the column mapping to the CohortInput, not again here")
        return source
    return CohortInput(source, mapping=mapping)


def score_for_evaluation(
    df: pl.DataFrame | CohortInput, cs: CompiledSet, label: str, mapping: Mapping[str, str] | None = None
) -> tuple[pl.DataFrame, int]:
    """Score raw rows keeping the label (and the synthetic mark); returns the scored rows and rejected count."""
    result = _cohort(df, mapping).score(cs, id_column=None, keep=[label], keep_row=True)
    return result.scored, result.n_rejected


def compare_frames(
    df: pl.DataFrame | CohortInput,
    sets: Sequence[CompiledSet],
    label: str,
    *,
    mapping: Mapping[str, str] | None = None,
    ci: CIMethod = "exact",
    confidence: float = 0.95,
) -> Comparison:
    """Score one cohort with every set and compare them on the rows every set accepted."""
    if len(sets) < 2:
        raise CohortError("name at least two sets to compare")
    refs = [cs.ref for cs in sets]
    if len(set(refs)) != len(refs):
        raise CohortError("the same set is named twice")
    cohort = _cohort(df, mapping)
    scored: list[pl.DataFrame] = []
    rejected: set[int] = set()
    for cs in sets:
        result = cohort.score(cs, id_column=None, keep=[label], keep_row=True)
        if result.rejects.height:
            rejected.update(result.rejects.get_column(ROW).unique().to_list())
        scored.append(result.scored)
    if rejected:
        drop = pl.Series(sorted(rejected), dtype=pl.UInt64).implode()
        scored = [s.filter(~pl.col(ROW).is_in(drop)) for s in scored]
    evaluations = [
        evaluate_scored(s, label, ci=ci, confidence=confidence, set_ref=cs.ref, n_rejected=len(rejected))
        for s, cs in zip(scored, sets, strict=True)
    ]

    # paired tables: every frame holds the same rows in the same order (input order, same rejects dropped)
    labels = read_labels(scored[0], label)
    ranks = [s.select(_rank(s, "level")).to_series() for s in scored]
    tests: list[PairedTest] = []
    frame = pl.DataFrame({"lab": labels, **{f"r{k}": r for k, r in enumerate(ranks)}})
    frame = frame.filter(pl.col("lab").is_not_null())
    lab = pl.col("lab")
    for k in range(1, len(sets)):
        for name, t in THRESHOLDS:
            a, b = pl.col("r0") >= t, pl.col(f"r{k}") >= t
            c = frame.select(
                (lab & a & ~b).sum().alias("sb"),
                (lab & ~a & b).sum().alias("sc"),
                lab.sum().alias("np"),
                (~lab & ~a & b).sum().alias("pb"),
                (~lab & a & ~b).sum().alias("pc"),
                (~lab).sum().alias("nn"),
            ).row(0, named=True)
            sb, sc, n_pos = int(c["sb"]), int(c["sc"]), int(c["np"])
            pb, pc, n_neg = int(c["pb"]), int(c["pc"]), int(c["nn"])
            tests.append(
                PairedTest(
                    name,
                    refs[0],
                    refs[k],
                    "sensitivity",
                    n_pos,
                    paired_difference(sb, sc, n_pos, confidence),
                    mcnemar(sb, sc),
                )
            )
            tests.append(
                PairedTest(
                    name,
                    refs[0],
                    refs[k],
                    "specificity",
                    n_neg,
                    paired_difference(pb, pc, n_neg, confidence),
                    mcnemar(pb, pc),
                )
            )
    return Comparison(label, evaluations, tests, n_rejected=len(rejected), synthetic=is_synthetic(scored[0]))
