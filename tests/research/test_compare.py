"""Comparing sets on one cohort: side by side figures and McNemar's paired tests."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from conftest import replace_in
from trafficscreen.content.loader import load_set
from trafficscreen.core.compiled import CompiledSet
from trafficscreen.research.cohorts import compare_frames
from trafficscreen.research.compare import render_table
from trafficscreen.research.frames import CohortError


def stricter_mini(content: Path) -> CompiledSet:
    """mini@1.1.0: concern needs a dimension (a single strong indicator is no longer enough)."""
    old = content / "sets" / "mini" / "1.0.0.yaml"
    new = old.with_name("1.1.0.yaml")
    new.write_text(old.read_text())
    replace_in(new, "version: 1.0.0\nstatus", "version: 1.1.0\nstatus")
    replace_in(
        new, "  - {version: 1.0.0,", "  - {version: 1.1.0, date: 2026-11-24, changes: [stricter]}\n  - {version: 1.0.0,"
    )
    replace_in(new, '"recruitment or exploitation or strong >= 1"', '"recruitment or exploitation"')
    return load_set(new)


def test_paired_tests_count_discordant_rows(mini: CompiledSet, content: Path) -> None:
    other = stricter_mini(content)
    # deceived alone: concern for 1.0.0, none for 1.1.0; two strong exploitation indicators: concern+ in both
    df = pl.DataFrame(
        {
            "label": [1, 1, 1, 0, 0, 0, 1],
            "deceived": [True, True, False, True, False, None, True],
            "lives_at_work": [None, True, None, None, None, None, None],
            "long_hours": [None, True, None, None, None, None, None],
            "work_types": [None, ["domestic"], None, None, None, None, None],
            "age_years": [12, 12, 12, 12, 12, 12, 40],  # the last row is rejected by the dictionary
        }
    )
    cmp = compare_frames(df, [mini, other], "label")
    assert cmp.sets == ["mini@1.0.0", "mini@1.1.0"]
    assert cmp.n_rejected == 1
    first, second = cmp.evaluations
    assert first.n == second.n == 6
    sens = next(t for t in cmp.tests if t.threshold == "concern" and t.measure == "sensitivity")
    spec = next(t for t in cmp.tests if t.threshold == "concern" and t.measure == "specificity")
    # positives: row 1 concern only under 1.0.0 (b = 1); row 2 concern under both
    assert (sens.test.b, sens.test.c, sens.n) == (1, 0, 3)
    assert sens.difference.value == pytest.approx(1 / 3)
    # negatives: row 4 concern only under 1.0.0: 1.1.0 is right there (c = 1)
    assert (spec.test.b, spec.test.c, spec.n) == (0, 1, 3)
    assert sens.test.method == "exact" and sens.test.p_value == 1.0
    text = render_table(cmp)
    assert "mini@1.0.0" in text and "McNemar" in text and "every set on the same rows" in text


def test_compare_needs_two_distinct_sets(mini: CompiledSet) -> None:
    df = pl.DataFrame({"label": [1], "deceived": [True]})
    with pytest.raises(CohortError, match="at least two"):
        compare_frames(df, [mini], "label")
    with pytest.raises(CohortError, match="named twice"):
        compare_frames(df, [mini, mini], "label")
