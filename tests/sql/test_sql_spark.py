"""Spark, for cohorts that outgrow one machine: the same answers as the single-record path, in local
mode. One Spark session serves the whole module; Spark starts slowly, so the tests here are few."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pytest
from pyspark.sql import SparkSession

from conftest import MINI_SET
from sql_support import cohort, expected, normalise
from trafficscreen.cli import main
from trafficscreen.core.engine import DEFAULT_SET
from trafficscreen.errors import EncounterError
from trafficscreen.research import write_table
from trafficscreen.sql import output_columns, score_duckdb, score_spark

pytestmark = pytest.mark.spark

MINI = str(MINI_SET)


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    session = (
        SparkSession.builder.master("local[2]")
        .appName("trafficscreen-tests")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.codegen.wholeStage", "false")  # as `batch --engine spark` does; see scale-out.md
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _renamed_csv(tmp_path: Path) -> tuple[Path, Path]:
    """The mini cohort as CSV with warehouse-style column names, and the mapping file for them."""
    cs, path = cohort(MINI)
    mapping = {f: f"Q{n} {f.upper()}" for n, f in enumerate(cs.used_fields)}
    frame = pl.read_parquet(path).rename({"id": "encounter_ref", **mapping})
    csv_path = tmp_path / "cohort.csv"
    write_table(frame, csv_path)
    map_file = tmp_path / "columns.yaml"
    map_file.write_text("id: encounter_ref\n" + "".join(f'{f}: "{c}"\n' for f, c in mapping.items()))
    return csv_path, map_file


def test_spark_agrees_with_the_single_record_path(spark: SparkSession, tmp_path: Path) -> None:
    # the shipped default set from Parquet
    cs, path = cohort(DEFAULT_SET)
    df = score_spark(str(path), cs, spark)
    assert df.columns == ["id", *output_columns(cs).all()]
    assert normalise(df.collect()) == list(expected(DEFAULT_SET))
    # the mini set from CSV with renamed columns and a mapping file
    mini, _ = cohort(MINI)
    csv_path, map_file = _renamed_csv(tmp_path)
    df = score_spark(csv_path, mini, spark, mapping=map_file)
    assert df.columns[0] == "id"
    assert normalise(df.collect()) == list(expected(MINI))


def test_spark_scores_a_cohort_packed_for_sql(spark: SparkSession, tmp_path: Path) -> None:
    from trafficscreen.sql.duck import pack_for_sql

    cs, path = cohort(DEFAULT_SET)
    packed = tmp_path / "packed.parquet"
    pack_for_sql(path, cs, packed)
    df = score_spark(str(packed), cs, spark)
    assert df.columns == ["id", *output_columns(cs).all()]
    assert normalise(df.collect()) == list(expected(DEFAULT_SET))


def test_spark_refuses_bad_values_by_field(spark: SparkSession) -> None:
    mini, _ = cohort(MINI)
    df = spark.createDataFrame(
        [("secret-choice-417", 12, ["street"]), ("parent", 30, ["secret-work-88"]), (None, None, None)],
        "accompanied_by string, age_years bigint, work_types array<string>",
    )
    with pytest.raises(EncounterError) as info:
        score_spark(df, mini)
    problems = "\n".join(info.value.problems)
    assert "field 'accompanied_by': 1 row(s): the answer is not one of its choices" in problems
    assert "field 'age_years': 1 row(s): above the largest allowed value (25)" in problems
    assert "field 'work_types': 1 row(s): the list holds an answer that is not one of its choices" in problems
    assert "secret" not in problems + str(info.value)


def test_batch_command_runs_on_spark(spark: SparkSession, tmp_path: Path) -> None:
    csv_path, map_file = _renamed_csv(tmp_path)
    out = tmp_path / "scored.parquet"
    code = main(
        [
            "batch",
            str(csv_path),
            "--set",
            MINI,
            "--columns",
            str(map_file),
            "--out",
            str(out),
            "--engine",
            "spark",
            "--quiet",
        ]
    )
    assert code == 0
    assert out.is_dir()  # Spark writes a folder of part files
    got = duckdb.connect().read_parquet(str(out / "*.parquet")).fetchall()
    assert normalise(got) == list(expected(MINI))
    # a second run refuses to overwrite
    assert main(["batch", str(csv_path), "--set", MINI, "--out", str(out), "--engine", "spark", "--quiet"]) == 2
    # and DuckDB reads the same CSV to the same answers
    mini, _ = cohort(MINI)
    assert normalise(score_duckdb(csv_path, mini, mapping=map_file).fetchall()) == list(expected(MINI))
