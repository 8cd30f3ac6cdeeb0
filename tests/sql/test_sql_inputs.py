"""Reading inputs for the SQL engines, and the check query printed for warehouses."""

from __future__ import annotations

import duckdb
import pytest
import sqlglot

from conftest import MINI_SET
from sql_support import cohort
from trafficscreen.content.mapping import ColumnMapping
from trafficscreen.core.compiled import CompiledSet
from trafficscreen.errors import EncounterError
from trafficscreen.sql import DIALECTS, check_sql
from trafficscreen.sql.inputs import Family, plan_inputs


def test_the_check_query_counts_rows_that_break_the_dictionary(mini: CompiledSet) -> None:
    c = duckdb.connect()
    _cs, path = cohort(str(MINI_SET))
    c.read_parquet(str(path)).to_view("encounters")
    rel = c.sql(check_sql(mini, "duckdb"))
    assert set(rel.fetchall()[0]) == {0}  # a generated cohort fits its dictionary
    assert set(rel.columns) == {
        "accompanied_by__not_a_choice",
        "age_years__below_min",
        "age_years__above_max",
        "work_types__not_a_choice",
    }
    c.sql("""CREATE TABLE bad AS SELECT * FROM (VALUES
        ('nanny', 30, ['domestic', 'mines']), ('parent', -1, ['street']), (NULL, NULL, NULL), ('parent', 3, [])
    ) t(accompanied_by, age_years, work_types)""")
    counts = c.sql(check_sql(mini, "duckdb", table="bad"))
    got = dict(zip(counts.columns, counts.fetchall()[0], strict=True))
    assert got == {
        "accompanied_by__not_a_choice": 1,
        "age_years__below_min": 1,
        "age_years__above_max": 1,
        "work_types__not_a_choice": 1,
    }


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_check_query_is_generated_for_every_dialect(mini: CompiledSet, dialect: str) -> None:
    text = check_sql(mini, dialect, table="db.enc", columns={"age_years": "Patient Age"})
    assert sqlglot.parse_one(text, read=dialect).sql(dialect=dialect, pretty=True) == text
    assert "Patient Age" in text


def test_columns_of_the_wrong_kind_are_refused_by_name(mini: CompiledSet) -> None:
    schema = {"id": Family.INT, "deceived": Family.STRING_LIST}
    with pytest.raises(EncounterError, match="column 'deceived' for field 'deceived' holds list of text values"):
        plan_inputs(mini, schema, ColumnMapping(), "duckdb", "cohort.parquet")
    with pytest.raises(EncounterError, match=r"is a field of mini@1\.0\.0 and cannot also be kept"):
        plan_inputs(mini, {"deceived": Family.BOOL}, ColumnMapping(), "duckdb", "x", keep=["deceived"])


def test_a_column_of_nulls_is_unknown_whatever_its_type(mini: CompiledSet) -> None:
    rel = duckdb.connect().sql("SELECT 1 AS id, NULL AS deceived, NULL AS work_types")
    from trafficscreen.sql import score_duckdb

    row = score_duckdb(rel, mini).fetchall()[0]
    assert row[1] == "unknown" and row[4] == "unknown"
