"""SQL backends: throughput of the default set through DuckDB (embedded) and Spark (local mode), beside
the columnar (polars) path, on the same generated cohort, same machine, same run.

Run alone (``python benchmarks/bench_sql.py``) or through ``make bench``. Each engine reads the cohort
from Parquet, checks it against the data dictionary, scores it and writes the scored rows to Parquet;
the figure is input rows per second of wall time for all of that. The cohort is generated once into a
cache folder (``TRAFFICSCREEN_BENCH_CACHE``, default: the system temp folder) and reused by later runs.

Environment: ``BENCH_SQL_ROWS`` (default 10,000,000) rows for DuckDB and polars; ``BENCH_SQL_SPARK_ROWS``
(default 2,000,000) for Spark, whose local mode on two cores is far slower; the smaller cohort is the
first rows of the larger (every row is generated from its own number).

Nothing here is asserted in a test.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from trafficscreen.engine import DEFAULT_SET
from trafficscreen.loader import load_set

Row = tuple[str, float, str]
ROWS = int(os.environ.get("BENCH_SQL_ROWS", "10000000"))
SPARK_ROWS = int(os.environ.get("BENCH_SQL_SPARK_ROWS", "2000000"))
SEED = 1
_NOTES: list[str] = []


def _cache() -> Path:
    root = Path(os.environ.get("TRAFFICSCREEN_BENCH_CACHE", tempfile.gettempdir())) / "trafficscreen-bench"
    root.mkdir(parents=True, exist_ok=True)
    return root


def cohort_file(cs: Any, rows: int) -> tuple[Path, float, bool]:
    """(path, seconds it took to generate, whether generated in this run) for a cached cohort."""
    from trafficscreen.sql import synthetic_cohort

    path = _cache() / f"{cs.id}-{cs.sha256[:12]}-{rows}-seed{SEED}.parquet"
    meta = path.with_suffix(".json")
    if path.exists() and meta.exists():
        return path, float(json.loads(meta.read_text())["seconds"]), False
    start = time.perf_counter()
    synthetic_cohort(cs, rows, path, seed=SEED)
    seconds = time.perf_counter() - start
    meta.write_text(json.dumps({"seconds": seconds, "rows": rows}))
    return path, seconds, True


def _duckdb(cs: Any, path: Path, out: Path) -> float:
    from trafficscreen.sql import score_duckdb

    start = time.perf_counter()
    score_duckdb(path, cs).write_parquet(str(out))
    return time.perf_counter() - start


def _duckdb_levels_only(cs: Any, path: Path) -> float:
    """Read and score without the dictionary check, counting rows by level and highest possible level:
    what an aggregate query in a warehouse asks (only the columns the levels need are computed)."""
    from trafficscreen.sql import score_duckdb

    start = time.perf_counter()
    score_duckdb(path, cs, check=False).aggregate(
        "level, highest_possible, count(*)", "level, highest_possible"
    ).fetchall()
    return time.perf_counter() - start


def _polars(cs: Any, path: Path, out: Path) -> float | None:
    try:
        from trafficscreen.research import read_table, score_frame
    except ImportError:  # pragma: no cover - research extra not installed
        return None
    start = time.perf_counter()
    score_frame(read_table(path), cs).write_parquet(out)
    return time.perf_counter() - start


def _spark(cs: Any, path: Path, out: Path) -> tuple[float, dict[str, float]] | None:
    try:
        from pyspark.sql import SparkSession
    except ImportError:  # pragma: no cover
        return None
    from trafficscreen.sql import score_spark

    start = time.perf_counter()
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("trafficscreen-bench")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "4g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    started = time.perf_counter() - start
    try:
        # one small warm-up so JVM start and first code generation are not counted as throughput
        score_spark(str(path), cs, spark).limit(1000).collect()
        timings: dict[str, float] = {}
        # scoring alone (no check, Spark's "noop" sink), with Spark's default whole-stage code generation
        # and without it, as `batch --engine spark` runs; then the whole path without it
        for whole_stage in ("true", "false"):
            spark.conf.set("spark.sql.codegen.wholeStage", whole_stage)
            start = time.perf_counter()
            score_spark(str(path), cs, spark, check=False).write.format("noop").mode("overwrite").save()
            timings[f"noop-{whole_stage}"] = time.perf_counter() - start
        start = time.perf_counter()
        score_spark(str(path), cs, spark).write.mode("overwrite").parquet(str(out))
        timings["full"] = time.perf_counter() - start
        return started, timings
    finally:
        spark.stop()


def run() -> list[Row]:
    cs = load_set(DEFAULT_SET)
    rows: list[Row] = []
    _NOTES.clear()
    path, gen_seconds, generated = cohort_file(cs, ROWS)
    spark_path, spark_gen, _ = cohort_file(cs, SPARK_ROWS) if SPARK_ROWS != ROWS else (path, gen_seconds, generated)
    _NOTES.append(
        f"set {cs.ref} ({len(cs.definition.indicators)} indicators, {len(cs.used_fields)} fields); "
        f"cohort {ROWS:,} rows, {path.stat().st_size / 1e6:,.0f} MB Parquet at {path}"
    )
    _NOTES.append(
        f"generating it took {gen_seconds:,.1f} s (DuckDB, {'this run' if generated else 'an earlier run'})"
        f"; the {SPARK_ROWS:,}-row Spark cohort {spark_gen:,.1f} s"
    )
    rows.append((f"generate {ROWS:,}-row cohort (DuckDB, once, cached)", gen_seconds, "s"))
    work = Path(tempfile.mkdtemp(prefix="trafficscreen-bench-"))
    try:
        t = _duckdb(cs, path, work / "duckdb.parquet")
        rows.append((f"DuckDB: read + check + score + write Parquet, {ROWS:,} rows", ROWS / t, "rows/s"))
        t = _duckdb_levels_only(cs, path)
        rows.append((f"DuckDB: read + score, levels counted (no check, no write), {ROWS:,} rows", ROWS / t, "rows/s"))
        t_pl = _polars(cs, path, work / "polars.parquet")
        if t_pl is None:
            _NOTES.append("columnar (polars) row skipped: the research extra is not installed")
        else:
            rows.append(
                (f"columnar (polars): read + check + score + write Parquet, {ROWS:,} rows", ROWS / t_pl, "rows/s")
            )
        spark = _spark(cs, spark_path, work / "spark")
        if spark is None:
            _NOTES.append("Spark row skipped: pyspark is not installed")
        else:
            started, timings = spark
            rows.append(
                (
                    f"Spark local[2]: read + check + score + write Parquet, {SPARK_ROWS:,} rows",
                    SPARK_ROWS / timings["full"],
                    "rows/s",
                )
            )
            rows.append(
                (
                    "Spark local[2]: read + score (no check, noop sink), whole-stage codegen off",
                    SPARK_ROWS / timings["noop-false"],
                    "rows/s",
                )
            )
            rows.append(
                (
                    "Spark local[2]: read + score (no check, noop sink), whole-stage codegen on (default)",
                    SPARK_ROWS / timings["noop-true"],
                    "rows/s",
                )
            )
            rows.append(("Spark local[2]: session start", started, "s"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows


def notes() -> list[str]:
    return list(_NOTES)


if __name__ == "__main__":
    for label, value, unit in run():
        print(f"{label:72s} {value:14,.2f} {unit}")
    for line in notes():
        print(f"  {line}")
