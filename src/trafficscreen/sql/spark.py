"""Run a set's scoring query on Apache Spark, for cohorts that outgrow one machine.

The query is the same one DuckDB runs, generated for Spark SQL. It runs wherever the given
``SparkSession`` runs: local mode on a laptop, or any cluster (``spark-submit``, a notebook's session).
Nothing is collected to the driver: the result is a lazy Spark DataFrame.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..content.loader import resolve_set
from ..content.mapping import ColumnMapping, as_mapping
from ..core.compiled import CompiledSet
from ..errors import CohortError, Location
from .compiler import build_query
from .inputs import Family, InputPlan, check_query, plan_inputs, raise_on_failures

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from .packing import PackedFile


def spark_family(t: Any) -> Family:
    """The :class:`Family` of a Spark SQL data type."""
    from pyspark.sql import types as st

    if isinstance(t, st.BooleanType):
        return Family.BOOL
    if isinstance(t, (st.ByteType, st.ShortType, st.IntegerType, st.LongType)):
        return Family.INT
    if isinstance(t, (st.FloatType, st.DoubleType)):
        return Family.FLOAT
    if isinstance(t, st.DecimalType):
        return Family.DECIMAL
    if isinstance(t, (st.StringType, st.VarcharType, st.CharType)):
        return Family.STRING
    if isinstance(t, st.DateType):
        return Family.DATE
    if isinstance(t, (st.TimestampType, st.TimestampNTZType)):
        return Family.TIMESTAMP
    if isinstance(t, st.NullType):
        return Family.NULL
    if isinstance(t, st.ArrayType) and isinstance(t.elementType, st.StringType):
        return Family.STRING_LIST
    return Family.OTHER


def read_input(path: str | Path, spark: SparkSession) -> DataFrame:
    """A DataFrame over Parquet (file or folder), CSV with a header row (every column as text) or JSON
    Lines (flat rows, or encounters whose ``answers`` become columns)."""
    text = str(path)
    name = Path(path).name.lower()
    if name.endswith((".csv", ".csv.gz", ".tsv", ".tsv.gz")):
        sep = "\t" if ".tsv" in name else ","
        return spark.read.csv(text, header=True, sep=sep, inferSchema=False)
    if name.endswith((".jsonl", ".ndjson")):
        from pyspark.sql import types as st

        df = spark.read.json(text)
        fields = {f.name: f.dataType for f in df.schema.fields}
        if isinstance(fields.get("answers"), st.StructType):  # encounters: {"id": ..., "answers": {...}}
            df = df.select(*[f"`{c}`" for c in df.columns if c != "answers"], "answers.*")
        return df
    return spark.read.parquet(text)


def score_spark(
    df: DataFrame | str | Path,
    indicator_set: CompiledSet | str | Path,
    spark: SparkSession | None = None,
    *,
    mapping: ColumnMapping | Mapping[str, str] | str | Path | None = None,
    id_column: str | None = "id",
    keep: Sequence[str] = (),
    check: bool = True,
    allow_draft: bool = False,
) -> DataFrame:
    """Score every row of ``df`` (a Spark DataFrame, or a Parquet, CSV or JSON Lines path) with
    ``indicator_set``.

    ``spark`` is the session that reads a path (default: the active one, or a new local one); a
    DataFrame is scored in its own session. ``mapping``, ``id_column``, ``keep`` and ``check`` work as
    in :func:`trafficscreen.sql.score_duckdb`. Returns a lazy DataFrame with the columns of
    :func:`trafficscreen.sql.to_sql`.
    """
    out, _plan = score_spark_plan(
        df,
        indicator_set,
        spark,
        mapping=mapping,
        id_column=id_column,
        keep=keep,
        check=check,
        allow_draft=allow_draft,
    )
    return out


def score_spark_plan(
    df: DataFrame | str | Path,
    indicator_set: CompiledSet | str | Path,
    spark: SparkSession | None = None,
    *,
    mapping: ColumnMapping | Mapping[str, str] | str | Path | None = None,
    id_column: str | None = "id",
    keep: Sequence[str] = (),
    check: bool = True,
    allow_draft: bool = False,
) -> tuple[DataFrame, InputPlan]:
    """:func:`score_spark`, also returning how each field was read (e.g. which were absent)."""
    from pyspark.errors import PySparkException
    from pyspark.sql import SparkSession

    cs = resolve_set(indicator_set, allow_draft=allow_draft)
    cols = as_mapping(mapping)
    label = "<DataFrame>"
    packed = _packed_file(df) if isinstance(df, (str, Path)) else None
    if isinstance(df, (str, Path)):
        label = str(df)
        if "*" not in label and not Path(df).exists() and "://" not in label:
            raise CohortError("no such file", Location(label))
        session = spark if spark is not None else SparkSession.builder.getOrCreate()
        try:
            df = read_input(df, session)
        except PySparkException:
            raise CohortError("not readable as Parquet or CSV", Location(label)) from None
    session = df.sparkSession  # the view and the query live in the DataFrame's own session
    schema = {f.name: spark_family(f.dataType) for f in df.schema.fields}
    if packed is None:
        plan = plan_inputs(cs, schema, cols, "spark", label, id_column=id_column, keep=keep)
    else:
        from .packing import packed_plan

        plan = packed_plan(packed, cs, list(schema), Location(label), cols, id_column, keep)
    view = f"_ts_input_{uuid.uuid4().hex}"
    df.createOrReplaceTempView(view)
    try:
        if check:
            _check(session, plan, packed, cs, list(schema), view, label)
        from sqlglot import exp

        query = build_query(
            cs,
            "spark",
            source=exp.Table(this=exp.to_identifier(view, quoted=True)),
            fields=plan.expressions(),
            keep=plan.keep,
            packed=None if packed is None else packed.layout,
        )
        # the query is analysed here, so the view can go once the DataFrame exists
        return session.sql(query.sql(dialect="spark")), plan
    except PySparkException as exc:
        raise CohortError(f"Spark could not score the input ({type(exc).__name__})", Location(label)) from None
    finally:
        session.catalog.dropTempView(view)


def _packed_file(path: str | Path) -> PackedFile | None:
    """The layout of a packed cohort for SQL engines (read from its metadata with DuckDB), or None."""
    try:
        import duckdb
    except ImportError:  # pragma: no cover - duckdb comes with the scale extra
        return None
    from .packing import packed_file

    return packed_file(path, duckdb.connect())


def _check(
    session: SparkSession,
    plan: InputPlan,
    packed: PackedFile | None,
    cs: CompiledSet,
    columns: list[str],
    view: str,
    label: str,
) -> None:
    """Every value against the data dictionary (a plain input), or what a hand edit of a packed cohort
    could break; one distributed aggregation either way."""
    if packed is None:
        q = check_query(plan, view)
        if q is not None:
            raise_on_failures(plan, list(session.sql(q.sql(dialect="spark")).collect()[0]), label)
        return
    from .packing import packed_check_query, packed_checks, raise_on_packed_failures

    checks = packed_checks(packed, cs, columns)
    if checks:
        row = session.sql(packed_check_query(checks, view).sql(dialect="spark")).collect()[0]
        raise_on_packed_failures(checks, list(row), label)
