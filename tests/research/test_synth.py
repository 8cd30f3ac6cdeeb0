"""Synthetic cohorts: reproducible, labelled as synthetic, shaped by the set's conditions."""

from __future__ import annotations

from typing import cast

import polars as pl

from trafficscreen.content.loader import load_set
from trafficscreen.core.compiled import CompiledSet
from trafficscreen.core.engine import DEFAULT_SET
from trafficscreen.research import score_frame
from trafficscreen.research.synth import leanings, synth_cohort


def test_same_seed_same_cohort(mini: CompiledSet) -> None:
    a = synth_cohort(mini, 500, 0.2, seed=3)
    assert a.equals(synth_cohort(mini, 500, 0.2, seed=3))
    assert not a.equals(synth_cohort(mini, 500, 0.2, seed=4))
    assert a.get_column("synthetic").all()
    assert a.columns[:3] == ["id", "label", "synthetic"]
    assert set(a.columns[3:]) == {f.id for f in mini.dictionary.fields}


def test_rows_have_unknowns_and_positives_lean_towards_indicators(mini: CompiledSet) -> None:
    df = synth_cohort(mini, 20_000, 0.3, seed=11)
    # polars types mean() as any Python scalar; of a numeric column it is a float (or None when empty)
    share = cast("float | None", df.get_column("label").mean())
    assert share is not None and 0.28 < float(share) < 0.32
    assert 0.05 < df.get_column("deceived").null_count() / df.height < 0.35
    scored = score_frame(df, mini, keep=["label"])
    rates = scored.group_by("label").agg((pl.col("level") != "none").mean().alias("flagged")).sort("label")
    neg, pos = rates.get_column("flagged").to_list()
    assert pos > 2 * neg
    assert scored.get_column("synthetic").all()  # the mark is carried through scoring


def test_leanings_read_from_conditions() -> None:
    cs = load_set(DEFAULT_SET)
    lean = leanings(cs)
    assert lean.bool_yes["child_speaks_local_language"] == {False}  # used as "not ..."
    assert "does_not_work" not in lean.codes["works_for"]  # used as "works_for != 'does_not_work'"
    assert "job_type" in lean.codes["broken_promises"]
