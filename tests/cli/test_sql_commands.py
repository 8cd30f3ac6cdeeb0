"""`trafficscreen sql` prints a set's query for any dialect; `trafficscreen batch --engine duckdb` scores a
file in DuckDB with the same output as the columnar engine."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl
import pytest
import sqlglot
from sqlglot import exp

from conftest import MINI_SET
from sql_support import cohort, expected, normalise
from trafficscreen.cli import main
from trafficscreen.sql import DIALECTS

MINI = str(MINI_SET)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_sql_prints_a_query_that_parses_back(dialect: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sql", "--set", MINI, "--dialect", dialect, "--table", "cohort.encounters"]) == 0
    out = capsys.readouterr().out
    assert out.endswith(";\n")
    tree = sqlglot.parse_one(out.rstrip(";\n"), read=dialect)
    assert isinstance(tree, exp.Query)  # parse_one is typed to return any expression
    names = [s.alias_or_name for s in tree.selects]
    assert names[0] == "id" and names[-3:] == ["set_id", "set_version", "set_sha256"]
    assert "indicator.deceived_job" in names and "dimension.recruitment" in names


def test_sql_with_a_mapping_file_reads_warehouse_columns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    m = tmp_path / "columns.yaml"
    m.write_text("id: enc_ref\nage_years: PT_AGE\n")
    assert (
        main(["sql", "--set", MINI, "--dialect", "snowflake", "--mapping", str(m), "--keep", "site", "--compact"]) == 0
    )
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert '"PT_AGE" < 18' in out and '"enc_ref" AS "id"' in out and '"site"' in out
    assert main(["sql", "--set", MINI, "--no-id"]) == 0
    tree = sqlglot.parse_one(capsys.readouterr().out.rstrip(";\n"), read="duckdb")
    assert isinstance(tree, exp.Query)
    assert tree.selects[0].alias_or_name == "indicator.deceived_job"


def test_sql_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    m = tmp_path / "columns.yaml"
    m.write_text("agee_years: x\n")
    assert main(["sql", "--set", MINI, "--mapping", str(m)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "did you mean 'age_years'" in err
    assert main(["sql", "--set", MINI, "--table", "a..b"]) == 2
    with pytest.raises(SystemExit) as info:
        main(["sql", "--dialect", "oracle"])
    assert info.value.code == 2


def test_batch_on_duckdb_matches_the_columnar_engine(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _cs, path = cohort(MINI)
    by_sql, by_columnar = tmp_path / "sql.parquet", tmp_path / "columnar.parquet"
    assert main(["batch", str(path), "--set", MINI, "--out", str(by_sql), "--engine", "duckdb"]) == 0
    assert "scored 10,000 rows with mini@1.0.0 on duckdb" in capsys.readouterr().err
    assert main(["batch", str(path), "--set", MINI, "--out", str(by_columnar), "--quiet"]) == 0
    a, b = pl.read_parquet(by_sql), pl.read_parquet(by_columnar)
    assert a.columns == b.columns
    assert (
        a.rows()
        == b.cast({c: pl.String for c, t in b.schema.items() if isinstance(t, pl.Enum)})
        .cast({"answered": a.schema["answered"]})
        .rows()
    )
    assert normalise(a.rows()) == list(expected(MINI))
    # CSV and JSON Lines out
    for name in ("sql.csv", "sql.jsonl"):
        assert (
            main(["batch", str(path), "--set", MINI, "--out", str(tmp_path / name), "--engine", "duckdb", "--quiet"])
            == 0
        )
    first = json.loads((tmp_path / "sql.jsonl").read_text().splitlines()[0])
    assert first["set_id"] == "mini" and first["level"] in ("none", "concern", "refer", "urgent")
    rows = duckdb.connect().read_csv(str(tmp_path / "sql.csv"), header=True).fetchall()
    assert normalise(rows) == list(expected(MINI))


def test_batch_on_duckdb_refuses_bad_input_as_a_whole(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.csv"
    src.write_text("id,deceived,age_years\n1,true,12\n2,secret-answer,13\n")
    out = tmp_path / "out.parquet"
    assert main(["batch", str(src), "--set", MINI, "--out", str(out), "--engine", "duckdb"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "field 'deceived': 1 row(s): expected true or false, got text" in err and "secret" not in err
    assert not out.exists()
    assert (
        main(
            [
                "batch",
                str(src),
                "--set",
                MINI,
                "--out",
                str(out),
                "--engine",
                "duckdb",
                "--rejects",
                str(tmp_path / "r.csv"),
            ]
        )
        == 2
    )
    assert "--rejects applies to the columnar engine" in capsys.readouterr().err
    assert main(["batch", str(src), "--set", MINI, "--out", str(tmp_path / "out.xlsx"), "--engine", "duckdb"]) == 2


def test_batch_notes_fields_the_input_lacks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.csv"
    src.write_text("id,deceived\n1,true\n")
    assert main(["batch", str(src), "--set", MINI, "--out", str(tmp_path / "o.parquet"), "--engine", "duckdb"]) == 0
    err = capsys.readouterr().err
    assert "note: no column for 5 field(s) the set reads" in err and "unknown in every row" in err
