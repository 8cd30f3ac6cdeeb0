"""Synthetic cohorts for the SQL engines: reproducible, valid for the dictionary, full of unknowns."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from trafficscreen.core.compiled import CompiledSet
from trafficscreen.model.dictionary import FieldType
from trafficscreen.sql import score_duckdb, synthetic_cohort
from trafficscreen.sql.cohort import KNOWN_PERMILLE


def _rows(path: Path) -> list[tuple[object, ...]]:
    return duckdb.connect().read_parquet(str(path)).order("id").fetchall()


def test_same_seed_same_cohort_other_seed_other_cohort(tmp_path: Path, mini: CompiledSet) -> None:
    a = _rows(synthetic_cohort(mini, 2000, tmp_path / "a.parquet", seed=3))
    b = _rows(synthetic_cohort(mini, 2000, tmp_path / "b.parquet", seed=3))
    c = _rows(synthetic_cohort(mini, 2000, tmp_path / "c.parquet", seed=4))
    assert a == b
    assert a != c
    assert [r[0] for r in a] == list(range(2000))


def test_values_fit_the_dictionary_and_answer_shares_cycle(tmp_path: Path, mini: CompiledSet) -> None:
    path = synthetic_cohort(mini, 4000, tmp_path / "c.parquet", seed=1)
    rel = duckdb.connect().read_parquet(str(path))
    columns, rows = rel.columns, rel.order("id").fetchall()
    for n, f in enumerate(columns[1:], start=1):
        fd = mini.dictionary.by_id[f]
        values = [r[n] for r in rows if r[n] is not None]
        if fd.type is FieldType.ENUM:
            assert set(values) == set(fd.codes)
        elif fd.type is FieldType.SET:
            assert all(set(v) <= fd.codes for v in values)
            assert [] in values  # answered "none of these" is an empty list, not unknown
        elif fd.type is FieldType.INTEGER:
            assert min(values) >= (fd.min or 0) and max(values) <= (fd.max or 100)
        elif fd.type is FieldType.BOOLEAN:
            assert set(values) == {True, False}
    for k, permille in enumerate(KNOWN_PERMILLE):
        cells = [v for r in rows if r[0] % len(KNOWN_PERMILLE) == k for v in r[1:]]
        share = sum(v is not None for v in cells) / len(cells)
        assert share == pytest.approx(permille / 1000, abs=0.04)
    score_duckdb(path, mini).fetchall()  # passes every dictionary check


def test_csv_cohorts_hold_lists_as_json(tmp_path: Path, mini: CompiledSet) -> None:
    path = synthetic_cohort(mini, 200, tmp_path / "c.csv", seed=1)
    assert '"[""' in path.read_text() or "[]" in path.read_text()
    parquet = synthetic_cohort(mini, 200, tmp_path / "c.parquet", seed=1)
    assert score_duckdb(path, mini).fetchall() == [(str(r[0]), *r[1:]) for r in score_duckdb(parquet, mini).fetchall()]
