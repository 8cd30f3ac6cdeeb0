"""DuckDB, the embedded SQL engine: the same answers as the single-record path and the columnar path on
generated cohorts, read in place from Parquet and CSV, and bad input refused by field, never by value."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from conftest import MINI_SET, replace_in
from sql_support import SET_REFS, answers_of, cohort, cohort_rows, expected, normalise
from trafficscreen.content.loader import load_set
from trafficscreen.errors import CohortError, DraftSetError, EncounterError, SchemaError
from trafficscreen.research import score_frame, write_table
from trafficscreen.sql import output_columns, score_duckdb
from trafficscreen.sql.duck import score_duckdb_plan

MINI = str(MINI_SET)


@pytest.mark.parametrize("ref", SET_REFS)
def test_duckdb_agrees_with_the_single_record_path(ref: str) -> None:
    cs, path = cohort(ref)
    rel = score_duckdb(path, cs)
    assert rel.columns == ["id", *output_columns(cs).all()]
    got = normalise(rel.fetchall())
    want = list(expected(ref))
    assert len(got) == len(want) == 10_000
    assert got == want
    # the cohort exercises the rules: many unknowns, and every level the set can reach
    levels = {r[-6] for r in want}
    assert len(levels) >= 3
    assert any("unknown" in r for r in want) and any(r[-6] != r[-5] for r in want)


@pytest.mark.parametrize("ref", SET_REFS)
def test_duckdb_agrees_with_the_columnar_path(ref: str) -> None:
    cs, path = cohort(ref)
    columnar = score_frame(pl.read_parquet(path), cs)
    rel = score_duckdb(path, cs)
    assert rel.columns == columnar.columns
    assert rel.fetchall() == columnar.rows()


def test_csv_is_read_in_place_with_the_columnar_paths_text_rules(tmp_path: Path) -> None:
    cs, path = cohort(MINI)
    csv_path = tmp_path / "cohort.csv"
    write_table(pl.read_parquet(path), csv_path)  # sets as a|b, [] for none, empty cells unknown
    got = normalise(score_duckdb(csv_path, cs).fetchall())
    assert got == list(expected(MINI))
    # the same cells with lists as JSON text, yes/no as 1/0 in any case, spaces around values
    text = csv_path.read_text().splitlines()
    header = text[0].split(",")
    w = header.index("work_types")
    rows = [header]
    for line in text[1:]:
        cells = line.split(",")
        cells[w] = "" if cells[w] == "" else '"' + str(cells[w].split("|") if cells[w] != "[]" else []) + '"'
        cells = [{"true": " TRUE", "false": "0 "}.get(c, c) for c in cells]
        rows.append(cells)
    other = tmp_path / "other.csv"
    other.write_text("\n".join(",".join(r) for r in rows) + "\n")
    assert normalise(score_duckdb(other, cs).fetchall()) == list(expected(MINI))


def test_json_lines_of_encounters_are_read_in_place(tmp_path: Path) -> None:
    cs, _path = cohort(MINI)
    columns, rows = cohort_rows(MINI)
    lines = [json.dumps({"id": row[0], "answers": answers_of(columns, row)}) for row in rows]
    src = tmp_path / "encounters.jsonl"
    src.write_text("\n".join(lines) + "\n")
    assert normalise(score_duckdb(src, cs).fetchall()) == list(expected(MINI))


def test_a_mapping_renames_columns_and_names_the_id(tmp_path: Path) -> None:
    cs, path = cohort(MINI)
    con = duckdb.connect()
    mapping = {f: f"q_{n}" for n, f in enumerate(cs.used_fields)}
    renamed = con.read_parquet(str(path)).select(
        duckdb.ColumnExpression("id").alias("encounter_ref"),
        *(duckdb.ColumnExpression(f).alias(col) for f, col in mapping.items()),
    )
    map_file = tmp_path / "map.yaml"
    map_file.write_text("id: encounter_ref\n" + "".join(f"{f}: {c}\n" for f, c in mapping.items()))
    rel = score_duckdb(renamed, cs, mapping=map_file)
    assert rel.columns[0] == "id"
    assert normalise(rel.fetchall()) == list(expected(MINI))


def test_absent_fields_are_unknown_and_reported() -> None:
    cs = load_set(MINI)
    rel = duckdb.connect().sql("SELECT 1 AS id, TRUE AS deceived")
    out, plan = score_duckdb_plan(rel, cs)
    assert set(plan.absent) == set(cs.used_fields) - {"deceived"}
    row = out.fetchall()[0]
    assert row[1:3] == ("met", "unknown")  # deceived_job met; with_employer unknown, never not_met
    assert row[-6:-4] == ("concern", "urgent") and row[-4] == 1


def _bad(sql: str, **kwargs: Any) -> str:
    cs = load_set(MINI)
    with pytest.raises(CohortError) as info:  # an EncounterError too
        score_duckdb(duckdb.connect().sql(sql), cs, **kwargs).fetchall()
    problems = info.value.problems
    assert problems[0] in str(info.value)
    return "\n".join([str(info.value), *problems])


def test_bad_values_are_refused_naming_field_and_count_never_the_value() -> None:
    msg = _bad(
        "SELECT * FROM (VALUES ('secret-choice-417', 12), ('parent', 30), (NULL, 40)) t(accompanied_by, age_years)"
    )
    assert "field 'accompanied_by': 1 row(s): the answer is not one of its choices (employer, parent)" in msg
    assert "field 'age_years': 2 row(s): above the largest allowed value (25)" in msg
    assert "(and 1 more problem(s))" in msg
    assert "secret-choice-417" not in msg
    msg = _bad("SELECT 12.5::DOUBLE AS age_years")
    assert "field 'age_years': 1 row(s): expected a whole number, got a fraction" in msg
    msg = _bad("SELECT ['domestic', 'secret-work-88'] AS work_types")
    assert "not one of its choices" in msg and "secret-work-88" not in msg
    msg = _bad("SELECT ['domestic', NULL] AS work_types")
    assert "field 'work_types'" in msg
    msg = _bad("SELECT 'maybe-secret' AS deceived")
    assert "field 'deceived': 1 row(s): expected true or false, got text" in msg and "maybe-secret" not in msg
    msg = _bad("SELECT DATE '2020-01-01' AS deceived")
    assert "column 'deceived' for field 'deceived' holds date values; the field needs true/false" in msg
    msg = _bad("SELECT 2 AS long_hours")
    assert "expected true or false, got a number" in msg


def test_a_field_in_the_dictionary_but_unused_by_the_set_is_checked_too(content: Path) -> None:
    # without its last indicator the mini set no longer reads 'lives_at_work'; a bad value there is still
    # refused, as the single-record path refuses it
    set_file = content / "sets" / "mini" / "1.0.0.yaml"
    text = set_file.read_text()
    set_file.write_text(text[: text.index("  - id: lives_at_work")])
    cs = load_set(set_file)
    assert "lives_at_work" not in cs.used_fields
    with pytest.raises(EncounterError, match="field 'lives_at_work': 1 row"):
        score_duckdb(duckdb.connect().sql("SELECT 'perhaps' AS lives_at_work"), cs)


def test_mapping_and_input_problems_are_one_clear_error(tmp_path: Path) -> None:
    cs = load_set(MINI)
    rel = duckdb.connect().sql("SELECT 1 AS id, TRUE AS deceived")
    with pytest.raises(EncounterError, match="reads field 'age_years' from column 'pt_age', which the input lacks"):
        score_duckdb(rel, cs, mapping={"age_years": "pt_age"})
    with pytest.raises(SchemaError, match=r"not a field of mini@1\.0\.0; did you mean 'deceived'"):
        score_duckdb(rel, cs, mapping={"decieved": "x"})
    with pytest.raises(EncounterError, match="column 'cohort' to keep is not in the input"):
        score_duckdb(rel, cs, keep=["cohort"])
    with pytest.raises(EncounterError, match="no such file"):
        score_duckdb(tmp_path / "missing.parquet", cs)
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"this is not parquet")
    with pytest.raises(EncounterError, match=r"bad\.parquet"):
        score_duckdb(bad, cs).fetchall()
    sheet = tmp_path / "cohort.xlsx"
    sheet.write_text("x")
    with pytest.raises(EncounterError, match="unsupported input"):
        score_duckdb(sheet, cs)


def test_kept_columns_and_synthetic_flag_pass_through() -> None:
    cs = load_set(MINI)
    rel = duckdb.connect().sql("SELECT 7 AS id, 'north' AS site, TRUE AS synthetic, FALSE AS deceived")
    out = score_duckdb(rel, cs, keep=["site"])
    assert out.columns[:3] == ["id", "site", "synthetic"]
    assert out.fetchall()[0][:4] == (7, "north", True, "not_met")


def test_cohort_rows_have_unknowns_in_every_field() -> None:
    columns, rows = cohort_rows(MINI)
    for n, c in enumerate(columns[1:], start=1):
        assert any(r[n] is None for r in rows), c
        assert any(r[n] is not None for r in rows), c


def test_a_draft_set_scores_only_when_allowed(content: Path) -> None:
    set_file = content / "sets" / "mini" / "1.0.0.yaml"
    replace_in(set_file, "status: active", "status: draft")
    cs = load_set(set_file, allow_draft=True)
    rel = duckdb.connect().sql("SELECT 1 AS id, TRUE AS deceived")
    with pytest.raises(DraftSetError, match="draft"):
        score_duckdb(rel, cs)
    assert score_duckdb(rel, cs, allow_draft=True).fetchall()[0][1] == "met"
