"""SQL backends: throughput of the default set through DuckDB (embedded) and Spark (local mode), beside
the columnar (polars) path, on the same generated cohort, same machine, same run.

Run alone (``python benchmarks/bench_sql.py``) or through ``make bench``. Each engine reads the cohort
from Parquet, checks it against the data dictionary, scores it and writes the scored rows to Parquet;
the figure is input rows per second of wall time for all of that. The cohort is generated once into a
cache folder (``TRAFFICSCREEN_BENCH_CACHE``, default: the system temp folder) and reused by later runs.

Beside the whole path, each engine's generated query (read + score, levels counted, no check, no write)
is measured against that engine's own limit in the same session: a plain scan that reads exactly the
columns the set reads. A hand-written SQL query for ``ilo-child-labour`` (benchmarks/baseline_ilo_labour.sql)
is a second baseline; it must give the generated query's levels on every row before either is timed.

The same cohort packed for SQL engines (``pack --for sql``: yes/no answers as bits of a few integer
columns, cached beside it) is measured the same way: its generated query against a scan of the packed
columns it reads, and against the plain scan of the 89 columns, in the same session.

Environment: ``BENCH_SQL_ROWS`` (default 10,000,000) rows for DuckDB and polars; ``BENCH_SQL_SPARK_ROWS``
(default 2,000,000) for Spark, whose local mode on two cores is far slower; ``BENCH_SQL_ILO_ROWS``
(default 2,000,000) for the hand-written comparison. A smaller cohort is the first rows of a larger one
(every row is generated from its own number).

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

from trafficscreen.content.loader import DEFAULT_SET, load_set

Row = tuple[str, float, str]
ROWS = int(os.environ.get("BENCH_SQL_ROWS", "10000000"))
SPARK_ROWS = int(os.environ.get("BENCH_SQL_SPARK_ROWS", "2000000"))
ILO_ROWS = int(os.environ.get("BENCH_SQL_ILO_ROWS", "2000000"))
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


def packed_file(cs: Any, path: Path) -> tuple[Path, float]:
    """(path, seconds it took) of the cohort packed for SQL engines (``pack --for sql``), cached beside it."""
    from trafficscreen.sql.duck import pack_for_sql

    out = path.with_name(path.stem + ".sql-packed.parquet")
    meta = out.with_suffix(".json")
    if out.exists() and meta.exists():
        return out, float(json.loads(meta.read_text())["seconds"])
    start = time.perf_counter()
    pack_for_sql(path, cs, out)
    seconds = time.perf_counter() - start
    meta.write_text(json.dumps({"seconds": seconds}))
    return out, seconds


def _packed_columns(cs: Any) -> list[str]:
    """The columns of a packed cohort the set's query reads: every word, and the fields that are not yes/no."""
    from trafficscreen.sql.packed import NO_WORD, YES_WORD, packed_layout

    layout = packed_layout(cs.dictionary)
    words = [f"{w}{n}" for n in range(layout.words) for w in (YES_WORD, NO_WORD)]
    return words + [f for f in cs.used_fields if f not in layout.slots]


def _packed_scan_sql(cs: Any, table: str, dialect: str = "duckdb") -> str:
    """A plain scan of the packed columns the set reads. ``count`` of a column without NULLs is answered
    from the file's statistics without reading it, so each column is folded with ``bit_xor`` instead (all
    are integers in the default set's dictionary; any other is counted)."""
    from sqlglot import exp

    from trafficscreen.sql.packed import packed_layout

    types = packed_layout(cs.dictionary).types
    terms: list[Any] = []
    for c in _packed_columns(cs):
        column = exp.column(c, quoted=True)
        if c in types and types[c].value in ("number", "date"):
            terms.append(exp.Count(this=column))
        else:
            terms.append(exp.func("bit_xor", exp.Cast(this=column, to=exp.DataType.build("BIGINT"))))
    return exp.select(*terms).from_(table).sql(dialect=dialect)


def _packed_generated_sql(cs: Any, dialect: str, table: str) -> str:
    from trafficscreen.sql import to_sql

    query = to_sql(cs, dialect, table=table, keep=["id"], pretty=False, packed=True)
    return f"SELECT level, highest_possible, count(*) FROM ({query}) AS scored GROUP BY level, highest_possible"


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


def _best(run: Any, repeat: int = 2) -> float:
    """Least wall time of ``repeat`` runs (the first run also warms the file cache)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def _duckdb_session(path: Path) -> Any:
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(f"CREATE VIEW cohort AS SELECT * FROM read_parquet('{path}')")
    return con


def _scan_sql(cs: Any, table: str, dialect: str = "duckdb") -> str:
    """A plain scan that reads exactly the columns the set reads, each once, and nothing else."""
    from sqlglot import exp

    counts = [exp.Count(this=exp.column(f, quoted=True)) for f in cs.used_fields]
    return exp.select(*counts).from_(table).sql(dialect=dialect)


def _generated_sql(cs: Any, dialect: str, table: str) -> str:
    """The set's generated query over ``table`` (no input checks), levels counted as a warehouse would."""
    from trafficscreen.sql import to_sql

    query = to_sql(cs, dialect, table=table, keep=["id"], pretty=False)
    return f"SELECT level, highest_possible, count(*) FROM ({query}) AS scored GROUP BY level, highest_possible"


def _duckdb_against_scan(cs: Any, path: Path, packed: Path) -> dict[str, float]:
    """Seconds for the scans and generated queries over the plain and the packed file, one DuckDB session;
    first checks that both queries give the same levels."""
    con = _duckdb_session(path)
    con.execute(f"CREATE VIEW packed AS SELECT * FROM read_parquet('{packed}')")
    plain_sql, packed_sql = _generated_sql(cs, "duckdb", "cohort"), _packed_generated_sql(cs, "duckdb", "packed")
    if sorted(con.execute(plain_sql).fetchall()) != sorted(con.execute(packed_sql).fetchall()):
        raise SystemExit("the packed query gives other levels than the plain one")
    return {
        "scan": _best(lambda: con.execute(_scan_sql(cs, "cohort")).fetchall()),
        "generated": _best(lambda: con.execute(plain_sql).fetchall()),
        "packed-scan": _best(lambda: con.execute(_packed_scan_sql(cs, "packed")).fetchall()),
        "packed": _best(lambda: con.execute(packed_sql).fetchall()),
    }


def _handwritten(cs: Any, path: Path) -> tuple[float, float, float, int]:
    """(scan, hand-written, generated) seconds for the same levels over the same file, and the rows on which
    the two queries disagree on the level or the highest possible level (checked before timing; 0 expected)."""
    con = _duckdb_session(path)
    hand = (Path(__file__).parent / "baseline_ilo_labour.sql").read_text().replace("{table}", "cohort")
    from trafficscreen.sql import to_sql

    generated = to_sql(cs, "duckdb", table="cohort", keep=["id"], pretty=False)
    row = con.execute(
        f"SELECT count(*) FROM ({hand}) AS h JOIN ({generated}) AS g USING (id) "
        "WHERE h.level <> CAST(g.level AS VARCHAR) OR h.highest_possible <> CAST(g.highest_possible AS VARCHAR)"
    ).fetchone()
    differ = int(row[0]) if row else -1
    levels = "SELECT level, highest_possible, count(*) FROM ({}) AS s GROUP BY level, highest_possible"
    t_scan = _best(lambda: con.execute(_scan_sql(cs, "cohort")).fetchall())
    t_hand = _best(lambda: con.execute(levels.format(hand)).fetchall())
    t_gen = _best(lambda: con.execute(levels.format(generated)).fetchall())
    return t_scan, t_hand, t_gen, differ


def _polars(cs: Any, path: Path, out: Path) -> float | None:
    try:
        from trafficscreen.research import read_table, score_frame
    except ImportError:  # pragma: no cover - research extra not installed
        return None
    start = time.perf_counter()
    score_frame(read_table(path), cs).write_parquet(out)
    return time.perf_counter() - start


def _on_off(spark: Any, sql: str, repeat: int = 2) -> tuple[float, float]:
    """Least seconds of ``sql`` with whole-stage code generation on and off, after one warm-up run (code
    generation and the JIT's first compilations), the two alternated so that both see the same load."""
    spark.conf.set("spark.sql.codegen.wholeStage", "true")
    spark.sql(sql).collect()
    best = {"true": float("inf"), "false": float("inf")}
    for _ in range(repeat):
        for whole_stage in best:
            spark.conf.set("spark.sql.codegen.wholeStage", whole_stage)
            start = time.perf_counter()
            spark.sql(sql).collect()
            best[whole_stage] = min(best[whole_stage], time.perf_counter() - start)
    return best["true"], best["false"]


def _spark(cs: Any, path: Path, packed: Path, out: Path) -> tuple[float, dict[str, float]] | None:
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
        frame = spark.read.parquet(str(path))
        frame.createOrReplaceTempView("cohort")
        timings["scan"] = _best(lambda: spark.sql(_scan_sql(cs, "cohort", "spark")).collect())
        spark.read.parquet(str(packed)).createOrReplaceTempView("packed")
        timings["packed-scan"] = _best(lambda: spark.sql(_packed_scan_sql(cs, "packed", "spark")).collect())
        # the generated query alone (no check), levels counted, with Spark's default whole-stage code
        # generation and without it (as `batch --engine spark` runs), over the plain and the packed file
        plain_sql, packed_sql = _generated_sql(cs, "spark", "cohort"), _packed_generated_sql(cs, "spark", "packed")
        timings["generated-on"], timings["generated-off"] = _on_off(spark, plain_sql)
        timings["packed-on"], timings["packed-off"] = _on_off(spark, packed_sql)
        # the plain query with Spark's vectorised reader of nested columns off: rows are then assembled one
        # at a time with codegen on or off, so the copy of every column out of the Parquet batch that
        # codegen adds before the query's (too wide to generate) first stages is paid both ways
        # (docs/performance.md, "SQL backends")
        spark.conf.set("spark.sql.parquet.enableNestedColumnVectorizedReader", "false")
        timings["rowwise-on"], timings["rowwise-off"] = _on_off(spark, plain_sql)
        spark.conf.unset("spark.sql.parquet.enableNestedColumnVectorizedReader")
        spark.conf.set("spark.sql.codegen.wholeStage", "false")
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
    packed, pack_seconds = packed_file(cs, path)
    spark_packed, _ = packed_file(cs, spark_path) if SPARK_ROWS != ROWS else (packed, pack_seconds)
    _NOTES.append(
        f"packed for SQL engines (pack --for sql, DuckDB, checked once): {packed.stat().st_size / 1e6:,.0f} MB in "
        f"{pack_seconds:,.1f} s ({ROWS / pack_seconds:,.0f} rows/s), cached"
    )
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
        t = _duckdb(cs, packed, work / "duckdb-packed.parquet")
        rows.append((f"DuckDB, packed cohort: read + check + score + write Parquet, {ROWS:,} rows", ROWS / t, "rows/s"))
        rows += _scan_rows(cs, path, packed)
        rows += _handwritten_rows()
        spark = _spark(cs, spark_path, spark_packed, work / "spark")
        if spark is None:
            _NOTES.append("Spark row skipped: pyspark is not installed")
        else:
            rows += _spark_rows(*spark)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows


def _scan_rows(cs: Any, path: Path, packed: Path) -> list[Row]:
    t = _duckdb_against_scan(cs, path, packed)
    scan, generated, packed_scan, packed_query = t["scan"], t["generated"], t["packed-scan"], t["packed"]
    n_packed = len(_packed_columns(cs))
    return [
        (f"DuckDB: scan of the set's {len(cs.used_fields)} columns, {ROWS:,} rows", ROWS / scan, "rows/s"),
        ("DuckDB: generated query (read + score, levels counted, no check, no write)", ROWS / generated, "rows/s"),
        ("DuckDB: generated / scan (goal <= 2)", generated / scan, "x"),
        (f"DuckDB: scan of the packed cohort's {n_packed} columns the set reads", ROWS / packed_scan, "rows/s"),
        ("DuckDB: generated query over the packed cohort, levels counted", ROWS / packed_query, "rows/s"),
        ("DuckDB: packed generated / scan of the plain 89 columns (goal <= 2)", packed_query / scan, "x"),
        ("DuckDB: packed generated / scan of the packed columns", packed_query / packed_scan, "x"),
    ]


def _handwritten_rows() -> list[Row]:
    cs = load_set("ilo-child-labour@2.0.0")
    path, _seconds, _generated = cohort_file(cs, ILO_ROWS)
    scan, hand, generated, differ = _handwritten(cs, path)
    _NOTES.append(f"hand-written and generated ilo-child-labour queries disagree on {differ} of {ILO_ROWS:,} rows")
    if differ:
        raise SystemExit("benchmarks/baseline_ilo_labour.sql no longer matches ilo-child-labour@2.0.0")
    return [
        (f"DuckDB: hand-written ilo-child-labour query, levels counted, {ILO_ROWS:,} rows", ILO_ROWS / hand, "rows/s"),
        ("DuckDB: generated ilo-child-labour query, levels counted", ILO_ROWS / generated, "rows/s"),
        ("DuckDB: generated / hand-written (goal <= 1.5)", generated / hand, "x"),
        ("DuckDB: hand-written ilo-child-labour / scan of its columns", hand / scan, "x"),
        ("DuckDB: generated ilo-child-labour / scan of its columns", generated / scan, "x"),
    ]


def _spark_rows(started: float, timings: dict[str, float]) -> list[Row]:
    n, scan = SPARK_ROWS, timings["scan"]
    on, off = timings["generated-on"], timings["generated-off"]
    p_on, p_off, p_scan = timings["packed-on"], timings["packed-off"], timings["packed-scan"]
    r_on, r_off = timings["rowwise-on"], timings["rowwise-off"]
    return [
        (
            f"Spark local[2]: read + check + score + write Parquet (codegen off), {n:,} rows",
            n / timings["full"],
            "rows/s",
        ),
        ("Spark local[2]: scan of the set's columns", n / scan, "rows/s"),
        ("Spark local[2]: generated query, whole-stage codegen on (Spark default)", n / on, "rows/s"),
        ("Spark local[2]: generated query, whole-stage codegen off", n / off, "rows/s"),
        ("Spark local[2]: generated (codegen off) / scan (goal <= 3)", off / scan, "x"),
        ("Spark local[2]: codegen on / off (goal <= 1)", on / off, "x"),
        ("Spark local[2]: nested-column vectorised reader off, generated query, codegen on", n / r_on, "rows/s"),
        ("Spark local[2]: nested-column vectorised reader off, generated query, codegen off", n / r_off, "rows/s"),
        ("Spark local[2]: nested-column vectorised reader off, codegen on / off", r_on / r_off, "x"),
        ("Spark local[2]: scan of the packed cohort's columns", n / p_scan, "rows/s"),
        ("Spark local[2]: packed generated query, codegen on (Spark default)", n / p_on, "rows/s"),
        ("Spark local[2]: packed generated query, codegen off", n / p_off, "rows/s"),
        ("Spark local[2]: packed (codegen off) / scan of the plain columns (goal <= 3)", p_off / scan, "x"),
        ("Spark local[2]: packed (codegen off) / scan of the packed columns", p_off / p_scan, "x"),
        ("Spark local[2]: packed, codegen on / off (goal <= 1)", p_on / p_off, "x"),
        ("Spark local[2]: session start", started, "s"),
    ]


def notes() -> list[str]:
    return list(_NOTES)


if __name__ == "__main__":
    for label, value, unit in run():
        print(f"{label:72s} {value:14,.2f} {unit}")
    for line in notes():
        print(f"  {line}")
