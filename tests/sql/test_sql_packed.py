"""Cohorts packed for SQL engines (``pack --for sql``): the same answers as the single-record path on every
shipped set, a lossless round trip, and clear refusals of files that would mean other answers."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot

from cli_support import run_cli
from conftest import MINI_SET
from sql_support import answers_of, cohort, cohort_rows, expected, normalise, workdir
from trafficscreen.content.loader import load_set, shipped_sets
from trafficscreen.core.engine import Screener
from trafficscreen.errors import CohortError, SqlError
from trafficscreen.model.dictionary import FieldType
from trafficscreen.model.indicator_set import Status
from trafficscreen.sql import output_columns, score_duckdb, to_sql
from trafficscreen.sql.duck import pack_for_sql
from trafficscreen.sql.packed import NO_WORD, YES_WORD, packed_layout
from trafficscreen.sql.packing import METADATA_KEY

SHIPPED = tuple(f"{i}@{v}" for i, v, _p in shipped_sets())
MINI = str(MINI_SET)


@functools.cache
def packed(ref: str) -> Path:
    """The set's test cohort (sql_support.cohort), packed for SQL engines."""
    cs, path = cohort(ref)
    out = workdir() / f"{cs.id}-{cs.version}.sql-packed.parquet"
    pack_for_sql(path, cs, out, allow_draft=True)  # the shipped drafts too: same answers as screen()
    return out


@functools.cache
def screened(ref: str) -> tuple[Any, ...]:
    """What ``Screener.screen`` says of every row of the set's cohort, as sql_support.expected shapes it,
    the shipped draft sets included."""
    cs, _path = cohort(ref)
    if cs.definition.status is Status.ACTIVE:
        return expected(ref)
    columns, rows = cohort_rows(ref)
    screener = Screener(cs, allow_draft=True)
    out = []
    for row in rows:
        res = screener.screen({"answers": answers_of(columns, row)})
        statuses = [*(i.status.value for i in res.indicators), *(d.status.value for d in res.dimensions)]
        levels = (res.level.value, res.highest_possible.value, res.completeness.answered)
        out.append((row[0], *statuses, *levels, res.set.id, res.set.version, res.set.sha256))
    return tuple(out)


@pytest.mark.parametrize("ref", (MINI, *SHIPPED))
def test_packed_cohort_agrees_with_the_single_record_path(ref: str) -> None:
    cs, _path = cohort(ref)
    rel = score_duckdb(packed(ref), cs, allow_draft=True)
    assert rel.columns == ["id", *output_columns(cs).all()]
    want = list(screened(ref))
    assert normalise(rel.fetchall()) == want
    assert any("unknown" in r for r in want)  # unknowns are exercised


def test_every_set_over_the_dictionary_scores_one_packed_file() -> None:
    default = "paediatric-default@2.0.0"
    cs = load_set("ilo-child-labour@2.0.0")
    assert cs.dictionary.ref == load_set(default).dictionary.ref
    _cs, plain = cohort(default)
    con = duckdb.connect()
    a = score_duckdb(plain, cs, connection=con).fetchall()
    b = score_duckdb(packed(default), cs, connection=con).fetchall()
    assert sorted(a) == sorted(b)


def _decode(layout: Any, columns: list[str], row: tuple[Any, ...], field: str) -> Any:
    value = dict(zip(columns, row, strict=True))
    t = layout.types[field]
    if t is FieldType.BOOLEAN:
        s = layout.slots[field]
        yes, no = value[f"{YES_WORD}{s.word}"] >> s.bit & 1, value[f"{NO_WORD}{s.word}"] >> s.bit & 1
        assert not (yes and no)
        return True if yes else False if no else None
    v = value[field]
    if v is None or t not in (FieldType.ENUM, FieldType.SET):
        return v
    codes = layout.values[field]
    return codes[v] if t is FieldType.ENUM else sorted(c for i, c in enumerate(codes) if v >> i & 1)


@pytest.mark.parametrize("ref", (MINI, "paediatric-default@2.0.0"))
def test_round_trip_gives_back_every_answer(ref: str) -> None:
    cs, _path = cohort(ref)
    columns, rows = cohort_rows(ref)
    rel = duckdb.connect().read_parquet(str(packed(ref)))
    got = rel.order("id").fetchall()
    layout = packed_layout(cs.dictionary)
    assert len(got) == len(rows)
    for original, encoded in zip(rows, got, strict=True):
        for c, v in zip(columns[1:], original[1:], strict=True):
            want = sorted(v) if isinstance(v, list) else v
            assert _decode(layout, rel.columns, encoded, c) == want, c


def test_printed_packed_query_parses_in_every_dialect() -> None:
    cs = load_set("paediatric-default@2.0.0")
    for dialect in ("duckdb", "spark", "postgres", "bigquery", "snowflake"):
        text = to_sql(cs, dialect, table="warehouse.packed_cohort", keep=["id"], packed=True)
        assert sqlglot.parse_one(text, dialect=dialect) is not None
        assert "_ts_yes_0" in text


@pytest.mark.parametrize("ref", SHIPPED)
def test_first_stage_reads_only_the_source(ref: str) -> None:
    # PostgreSQL (like standard SQL) cannot read a column computed in the same SELECT; DuckDB and Spark can,
    # so only this test would notice a fact written over another fact
    cs = load_set(ref)
    text = to_sql(cs, "postgres", table="t", packed=True, pretty=False)
    first = text[: text.index('"_ts_indicators" AS')]
    assert not re.search(r'"_ts_f\d+"', re.sub(r' AS "_ts_(f\d+|answered)"', "", first))


def test_plain_query_is_unchanged_by_the_packed_mode() -> None:
    cs = load_set("paediatric-default@2.0.0")
    assert "_ts_yes_" not in to_sql(cs, "spark", table="t")
    with pytest.raises(SqlError, match="column mapping"):
        to_sql(cs, "duckdb", table="t", packed=True, columns={"age_years": "AGE"})


# --- refusals ------------------------------------------------------------------------------------


def _rewrite(src: Path, out: Path, select: str = "*", meta: str | None = None) -> Path:
    """A copy of a packed file with its columns or metadata edited by hand."""
    con = duckdb.connect()
    if meta is None:
        row = con.execute(
            "SELECT value FROM parquet_kv_metadata(?) WHERE key = ?", [str(src), METADATA_KEY.encode()]
        ).fetchone()
        assert row is not None
        meta = row[0].decode()
    lit = sqlglot.exp.Literal.string
    con.execute(
        f"COPY (SELECT {select} FROM read_parquet({lit(str(src)).sql('duckdb')})) TO {lit(str(out)).sql('duckdb')} "
        f"(FORMAT parquet, KV_METADATA {{{lit(METADATA_KEY).sql('duckdb')}: {lit(meta).sql('duckdb')}}})"
    )
    return out


def _meta(src: Path) -> dict[str, Any]:
    row = (
        duckdb.connect()
        .execute("SELECT value FROM parquet_kv_metadata(?) WHERE key = ?", [str(src), METADATA_KEY.encode()])
        .fetchone()
    )
    assert row is not None
    meta: dict[str, Any] = json.loads(row[0].decode())
    return meta


def test_a_hand_edited_file_is_refused_by_what_it_breaks(tmp_path: Path) -> None:
    cs, _ = cohort(MINI)
    src = packed(MINI)
    both = _rewrite(src, tmp_path / "both.parquet", f"* REPLACE ({YES_WORD}0 | {NO_WORD}0 AS {NO_WORD}0)")
    with pytest.raises(CohortError, match="marked both yes and no"):
        score_duckdb(both, cs).fetchall()
    enum_field = next(f for f in cs.used_fields if cs.dictionary.by_id[f].type is FieldType.ENUM)
    past = _rewrite(src, tmp_path / "past.parquet", f"* REPLACE (CAST(417 AS SMALLINT) AS {enum_field})")
    with pytest.raises(CohortError) as info:
        score_duckdb(past, cs).fetchall()
    assert f"field '{enum_field}': the answer is not one of its choices" in str(info.value)
    assert "417" not in str(info.value)


def test_a_file_packed_with_other_values_or_damaged_metadata_is_refused(tmp_path: Path) -> None:
    cs, _ = cohort(MINI)
    src = packed(MINI)
    meta = _meta(src)
    enum_field = next(f for f in cs.used_fields if cs.dictionary.by_id[f].type is FieldType.ENUM)
    meta["values"][enum_field] = list(reversed(meta["values"][enum_field]))
    other = _rewrite(src, tmp_path / "other.parquet", meta=json.dumps(meta))
    with pytest.raises(CohortError, match=f"field '{enum_field}' was packed with a different"):
        score_duckdb(other, cs)
    meta["dictionary"] = "another-dictionary@1.0.0"
    with pytest.raises(CohortError, match=r"packed for dictionary 'another-dictionary@1\.0\.0'"):
        score_duckdb(_rewrite(src, tmp_path / "dict.parquet", meta=json.dumps(meta)), cs)
    with pytest.raises(CohortError, match="damaged"):
        score_duckdb(_rewrite(src, tmp_path / "damaged.parquet", meta="{not json"), cs)
    with pytest.raises(CohortError, match="lacks it"):
        score_duckdb(_rewrite(src, tmp_path / "noword.parquet", f"* EXCLUDE ({YES_WORD}0)"), cs)


def test_packing_refuses_bad_values_naming_field_and_count_never_the_value(tmp_path: Path) -> None:
    mini = load_set(MINI)
    src = tmp_path / "bad.parquet"
    duckdb.connect().execute(
        f"COPY (SELECT 1 AS id, 'secret-choice-417' AS accompanied_by, 12 AS age_years) TO '{src}' (FORMAT parquet)"
    )
    out = tmp_path / "packed.parquet"
    with pytest.raises(CohortError) as info:
        pack_for_sql(src, mini, out)
    assert "field 'accompanied_by': 1 row(s): the answer is not one of its choices" in str(info.value)
    assert "secret" not in str(info.value)
    assert not out.exists()


def test_command_line_packs_for_sql_and_refuses_clearly(tmp_path: Path) -> None:
    _cs, plain = cohort(MINI)
    out = tmp_path / "p.parquet"
    ok = run_cli(["pack", str(plain), "--set", MINI, "--out", str(out), "--for", "sql"])
    assert ok.returncode == 0, ok.stderr
    scored = tmp_path / "scored.parquet"
    ok = run_cli(["batch", str(out), "--set", MINI, "--out", str(scored), "--engine", "duckdb", "--quiet"])
    assert ok.returncode == 0, ok.stderr
    assert normalise(duckdb.connect().read_parquet(str(scored)).fetchall()) == list(expected(MINI))
    # the columnar engine would read every yes/no field as unanswered: refused
    refused = run_cli(["batch", str(out), "--set", MINI, "--out", str(tmp_path / "c.parquet")])
    assert refused.returncode == 2 and "packed for SQL engines" in refused.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("id,accompanied_by\n1,secret-choice-417\n")
    refused = run_cli(["pack", str(bad), "--set", MINI, "--out", str(tmp_path / "b.parquet"), "--for", "sql"])
    assert refused.returncode == 2 and "accompanied_by" in refused.stderr and "secret" not in refused.stderr
    mapping = tmp_path / "m.yaml"
    mapping.write_text("age_years: AGE\n")
    refused = run_cli(["sql", "--set", MINI, "--packed", "--mapping", str(mapping)])
    assert refused.returncode == 2 and "--packed" in refused.stderr


@pytest.mark.parametrize("ref", SHIPPED)
def test_spark_stages_after_the_facts_stay_narrow_over_a_packed_cohort(ref: str) -> None:
    """Spark fuses the stages after the indicators into one generated method; with a column per indicator
    and world that method outgrows what the JVM compiles, and the query runs interpreted with whole-stage
    code generation on (its default). Over a packed cohort the indicators' worlds travel as bits of words."""
    from sqlglot import exp

    cs = load_set(ref)
    width = {
        dialect: {
            str(cte.alias): len(cte.this.expressions)
            for cte in sqlglot.parse_one(to_sql(cs, dialect, table="t", packed=True), dialect=dialect).find_all(exp.CTE)
        }
        for dialect in ("spark", "duckdb")
    }
    widest_after_facts = max(n for name, n in width["spark"].items() if name != "_ts_facts")
    assert widest_after_facts <= 4 * len(cs.definition.dimensions) + 8
    assert width["spark"]["_ts_indicators"] <= 2 * (len(cs.definition.indicators) // 62 + 1) + 2
    assert width["duckdb"]["_ts_indicators"] > 2 * len(cs.definition.indicators)  # DuckDB keeps its columns
