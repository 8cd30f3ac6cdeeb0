"""The ``sql`` command, and the DuckDB and Spark engines of ``batch`` (``--engine duckdb|spark``).

Registering imports nothing heavy: sqlglot, DuckDB and PySpark load when a command runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from ..errors import MissingExtraError, TrafficscreenError
from ..sql.dialects import DIALECTS, ENGINES
from ._io import check_coverage

_OUTPUT_SUFFIXES = (".parquet", ".csv", ".jsonl", ".ndjson")


ScaleExtraMissing = MissingExtraError  # the old name, kept for one release


def need(module: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise MissingExtraError("scale", module)


def _load(ref: str | None, allow_draft: bool) -> Any:
    from ..content.loader import load_set
    from ..core.engine import DEFAULT_SET

    return load_set(ref or DEFAULT_SET, allow_draft=allow_draft)


def _note(args: argparse.Namespace, message: str) -> None:
    if not getattr(args, "quiet", False):
        print(message, file=sys.stderr)


# --- trafficscreen sql ----------------------------------------------------------------------------


def cmd_sql(args: argparse.Namespace) -> int:
    need("sqlglot")
    from ..content.mapping import as_mapping
    from ..sql.compiler import to_sql

    cs = _load(args.set, args.allow_draft)
    mapping = as_mapping(args.mapping)
    mapping.check(cs.dictionary)
    keep: list[str | tuple[str, str]] = []
    mapped_id = mapping.id_column(cs.dictionary)
    if mapped_id is not None:
        keep.append((mapped_id, "id"))
    elif args.id_column:
        keep.append(args.id_column)
    keep.extend(k for k in args.keep or () if k not in keep)
    if args.check:
        from ..sql.inputs import check_sql

        text = check_sql(cs, args.dialect, table=args.table, columns=mapping.columns, pretty=not args.compact)
    elif args.packed:
        if mapping.columns:
            raise TrafficscreenError("--packed reads a cohort written by 'pack --for sql'; give no --mapping")
        text = to_sql(cs, args.dialect, table=args.table, keep=keep, pretty=not args.compact, packed=True)
    else:
        text = to_sql(cs, args.dialect, table=args.table, columns=mapping.columns, keep=keep, pretty=not args.compact)
    sys.stdout.write(text + ";\n")
    return 0


def run_pack_for_sql(args: argparse.Namespace) -> int:
    """``trafficscreen pack INPUT --out OUT.parquet --for sql``: check the cohort as the SQL engines do
    (a bad value stops the run, exit 2) and write it packed for them, through DuckDB."""
    if args.rejects or args.strict:
        raise TrafficscreenError("--rejects and --strict apply to the columnar packer; --for sql refuses a bad input")
    need("sqlglot")
    need("duckdb")
    import duckdb

    from ..core.engine import DEFAULT_SET
    from ..sql.duck import pack_for_sql

    if Path(args.input).resolve() == Path(args.out).resolve():
        raise TrafficscreenError(f"{args.out}: write the packed cohort to a new file, not over its source")
    cs = _load(args.set or DEFAULT_SET, args.allow_draft)
    t0 = time.perf_counter()

    def coverage(columns: list[str]) -> None:
        from ..content.mapping import as_mapping

        mapped = dict(as_mapping(args.columns).columns)
        check_coverage(args, columns, list(cs.dictionary.by_id), f"of {cs.dictionary.ref}", args.input, mapped)

    try:
        pf = pack_for_sql(args.input, cs, args.out, mapping=args.columns, id_column=args.id_column, coverage=coverage)
    except duckdb.InterruptException:
        raise KeyboardInterrupt from None
    _note(
        args,
        f"packed {pf.rows:,} rows, {len(pf.fields)} field(s) of {cs.dictionary.ref}, for SQL engines -> "
        f"{args.out} in {time.perf_counter() - t0:.2f} s; score it with any set over {cs.dictionary.ref} "
        "(batch --engine duckdb|spark, or the query of 'trafficscreen sql --packed')",
    )
    return 0


# --- trafficscreen batch --engine duckdb|spark ----------------------------------------------------


def _output_kind(path: str) -> str:
    name = path.lower()
    for suffix in _OUTPUT_SUFFIXES:
        if name.endswith(suffix):
            return "jsonl" if suffix == ".ndjson" else suffix[1:]
    from ..errors import Location

    raise TrafficscreenError("unsupported output type; use .parquet, .csv or .jsonl", Location(path))


def run_batch(args: argparse.Namespace) -> int:
    """``trafficscreen batch INPUT --set ID --out OUTPUT --engine duckdb|spark``.

    The SQL engines check the whole input first and refuse it, naming every field with bad values and
    how many rows hold them; they write no rejects file (the columnar engine rejects row by row).
    """
    if getattr(args, "rejects", None):
        raise TrafficscreenError(
            "--rejects applies to the columnar engine; the SQL engines refuse an input with bad values as a whole"
        )
    if getattr(args, "levels_only", False):
        raise TrafficscreenError("--levels-only applies to the columnar engine; the SQL engines write every column")
    if _is_packed(args.input):
        raise TrafficscreenError(
            f"{args.input}: a packed cohort is read by the columnar engine (the default); "
            "give the SQL engines the plain file it was packed from"
        )
    kind = _output_kind(args.out)
    need("sqlglot")
    cs = _load(args.set, args.allow_draft)
    mapping = getattr(args, "columns", None) or getattr(args, "mapping", None)
    id_column = getattr(args, "id_column", "id")
    keep = tuple(getattr(args, "keep", None) or ())
    t0 = time.perf_counter()

    def coverage(columns: Any) -> None:
        from ..content.mapping import as_mapping

        check_coverage(args, columns, cs.used_fields, f"{cs.ref} reads", args.input, dict(as_mapping(mapping).columns))

    if args.engine == "duckdb":
        rows, absent = _batch_duckdb(args.input, cs, args.out, kind, mapping, id_column, keep, coverage)
    else:
        rows, absent = _batch_spark(args.input, cs, args.out, kind, mapping, id_column, keep, coverage)
    elapsed = time.perf_counter() - t0
    if absent:
        _note(
            args,
            f"note: no column for {len(absent)} field(s) the set reads "
            f"({', '.join(absent[:8])}{', ...' if len(absent) > 8 else ''}); they are unknown in every row",
        )
    rate = f" = {rows / elapsed:,.0f} rows/s" if rows and elapsed > 0 else ""
    _note(
        args,
        f"scored {rows:,} rows with {cs.ref} on {args.engine} -> {args.out} "
        f"(checked, scored and written in {elapsed:.2f} s{rate})",
    )
    return 0


def _is_packed(path: str) -> bool:
    """True for a packed cohort (see trafficscreen.research.packed), told by its Parquet metadata."""
    if not path.lower().endswith(".parquet") or not Path(path).is_file():
        return False
    need("duckdb")
    import duckdb

    try:
        rows = (
            duckdb.connect()
            .execute("SELECT 1 FROM parquet_kv_metadata(?) WHERE decode(key) = 'trafficscreen.packed'", [path])
            .fetchall()
        )
    except duckdb.Error:
        return False  # not readable as Parquet: the engine says so with its usual message
    return bool(rows)


def _batch_duckdb(
    source: str,
    cs: Any,
    out_path: str,
    kind: str,
    mapping: Any,
    id_column: str | None,
    keep: tuple[str, ...],
    coverage: Any = None,
) -> tuple[int, tuple[str, ...]]:
    need("duckdb")
    import duckdb

    from ..research.intake import atomic_output
    from ..sql.duck import score_duckdb_plan

    con = duckdb.connect()
    try:
        rel, plan = score_duckdb_plan(source, cs, mapping=mapping, id_column=id_column, keep=keep, connection=con)
        if coverage is not None:
            coverage([fi.column for fi in plan.checked if fi.column])
        # written beside the target and renamed into place when complete: an interrupted or failed run
        # leaves an earlier file there as it was
        with atomic_output(out_path) as tmp:
            count = _write_duckdb(con, rel, str(tmp), kind)
    except duckdb.InterruptException:
        raise KeyboardInterrupt from None
    return count, plan.absent


def _write_duckdb(con: Any, rel: Any, out: str, kind: str) -> int:
    import duckdb
    from sqlglot import exp

    try:
        if kind == "parquet":
            rel.write_parquet(out)
        elif kind == "csv":
            rel.write_csv(out, header=True)
        else:
            view = "_ts_output"
            rel.to_view(view)
            copy = exp.Copy(
                this=exp.Table(this=exp.to_identifier(view, quoted=True)),
                kind=False,
                files=[exp.Literal.string(out)],
                params=[exp.CopyParameter(this=exp.var("FORMAT"), expression=exp.var("json"))],
            )
            con.execute(copy.sql(dialect="duckdb"))
        if kind == "parquet":
            written = con.read_parquet(out)
        elif kind == "csv":
            written = con.read_csv(out, header=True, all_varchar=True)
        else:
            written = con.read_json(out, format="newline_delimited")
        count = written.aggregate("count(*)").fetchall()[0][0]
    except duckdb.InterruptException:
        raise
    except duckdb.Error as exc:
        from ..errors import CohortError, Location

        raise CohortError(f"DuckDB could not score or write ({type(exc).__name__})", Location(out)) from None
    return int(count)


def _batch_spark(
    source: str,
    cs: Any,
    out: str,
    kind: str,
    mapping: Any,
    id_column: str | None,
    keep: tuple[str, ...],
    coverage: Any = None,
) -> tuple[int, tuple[str, ...]]:
    need("pyspark")
    from ..errors import Location

    if Path(out).exists():
        raise TrafficscreenError(
            "already exists; Spark writes a folder of part files and never overwrites one", Location(out)
        )
    from pyspark.sql import SparkSession

    from ..sql.spark import score_spark_plan

    spark = SparkSession.getActiveSession()
    if spark is None:
        # without whole-stage code generation a set's query ran about 1.2x faster here
        # (docs/performance.md, "SQL backends")
        spark = (
            SparkSession.builder.appName("trafficscreen").config("spark.sql.codegen.wholeStage", "false").getOrCreate()
        )
    df, plan = score_spark_plan(source, cs, spark, mapping=mapping, id_column=id_column, keep=keep)
    if coverage is not None:
        coverage([fi.column for fi in plan.checked if fi.column])
    writer = df.write.mode("errorifexists")
    if kind == "parquet":
        writer.parquet(out)
    elif kind == "csv":
        writer.option("header", True).csv(out)
    else:
        writer.json(out)
    count = spark.read.parquet(out).count() if kind == "parquet" else df.count()
    return int(count), plan.absent


def add_engine_option(parser: argparse.ArgumentParser, default: str = "columnar") -> None:
    """``--engine`` for a batch command: the columnar (polars) default, or a SQL engine."""
    parser.add_argument(
        "--engine",
        choices=[default, *ENGINES],
        default=default,
        help=f"scoring engine: {default} (default), duckdb (embedded SQL) or spark (PySpark)",
    )


# --- registration ---------------------------------------------------------------------------------


def register(sub: Any) -> None:
    p = sub.add_parser("sql", help="print a set's scoring query as SQL for DuckDB, Spark or a warehouse")
    p.add_argument("--set", help="set id, id@version or path (default: the shipped default set)")
    p.add_argument("--dialect", choices=DIALECTS, default="duckdb", help="SQL dialect (default: duckdb)")
    p.add_argument(
        "--table",
        default="encounters",
        help="table to read, optionally qualified: catalog.schema.table (default: encounters)",
    )
    p.add_argument(
        "--mapping", "--columns", dest="mapping", metavar="FILE", help="column mapping: YAML of field id -> column name"
    )
    p.add_argument("--id-column", default="id", help="column copied to the output as the row's id (default: id)")
    p.add_argument("--no-id", dest="id_column", action="store_const", const=None, help="the table has no id column")
    p.add_argument("--keep", action="append", metavar="COLUMN", help="copy this column to the output (repeatable)")
    p.add_argument(
        "--check",
        action="store_true",
        help="print instead the query counting rows whose values break the data dictionary "
        "(run it first: every count should be 0)",
    )
    p.add_argument("--compact", action="store_true", help="one line instead of indented SQL")
    p.add_argument(
        "--packed", action="store_true", help="the table is a cohort packed for SQL engines (pack --for sql)"
    )
    p.add_argument("--allow-draft", action="store_true", help="allow a draft set (research use)")
    p.set_defaults(func=cmd_sql)
