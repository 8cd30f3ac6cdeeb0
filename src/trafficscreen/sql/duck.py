"""Run a set's scoring query inside DuckDB, the embedded default engine.

Parquet and CSV files are read in place (``read_parquet``/``read_csv``); a DuckDB relation is scored
where it lives. Nothing is loaded into Python row by row: the result is a lazy DuckDB relation to fetch,
turn into a DataFrame, or write to Parquet/CSV.
"""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..content.loader import resolve_set
from ..content.mapping import ColumnMapping, as_mapping
from ..core.compiled import CompiledSet
from ..errors import CohortError, Location
from .compiler import build_query
from .inputs import Family, InputPlan, check_query, plan_inputs, raise_on_failures
from .nodes import col, ident
from .packed import PackedLayout, pack_columns, packed_layout
from .packing import METADATA_KEY, PackedFile, layout_metadata

if TYPE_CHECKING:
    import duckdb
    from sqlglot import exp

_INPUT = "_ts_input"
_counter = itertools.count()

_INT_TYPES = {
    "tinyint",
    "smallint",
    "integer",
    "bigint",
    "hugeint",
    "utinyint",
    "usmallint",
    "uinteger",
    "ubigint",
    "uhugeint",
}


def duckdb_family(t: Any) -> Family:
    """The :class:`Family` of a DuckDB column type."""
    tid = str(getattr(t, "id", "")).lower()
    if tid == "boolean":
        return Family.BOOL
    if tid in _INT_TYPES:
        return Family.INT
    if tid in ("float", "double"):
        return Family.FLOAT
    if tid == "decimal":
        return Family.DECIMAL
    if tid in ("varchar", "enum"):
        return Family.STRING
    if tid == "date":
        return Family.DATE
    if tid.startswith("timestamp"):
        return Family.TIMESTAMP
    if tid == "null":
        return Family.NULL
    if tid == "list":
        children = dict(getattr(t, "children", []) or [])
        child = children.get("child")
        if child is not None and str(getattr(child, "id", "")).lower() == "varchar":
            return Family.STRING_LIST
    return Family.OTHER


def read_input(path: str | Path, connection: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
    """A relation over a Parquet file (or folder of them), a CSV file or JSON Lines, read in place.

    CSV is read as text and converted field by field, so a malformed cell is reported by field and row
    count rather than by the reader's message (which would quote the cell).
    """
    import duckdb

    p = Path(path)
    name = p.name.lower()
    text = str(path)
    if "*" not in text and not p.exists():
        raise CohortError("no such file", Location(text))
    try:
        if p.is_dir():
            return connection.read_parquet(str(p / "**" / "*.parquet"))
        if name.endswith((".parquet", ".pq", ".parq")):
            return connection.read_parquet(text)
        if name.endswith(".csv"):
            _scan_first(p, "csv")
            # the dialect the columnar engine reads, not one the reader guesses from a sample
            return connection.read_csv(text, header=True, all_varchar=True, sep=",", quotechar='"', escapechar='"')
        if name.endswith((".csv.gz", ".tsv", ".tsv.gz")):
            return connection.read_csv(text, header=True, all_varchar=True)
        if name.endswith((".jsonl", ".ndjson")):
            _scan_first(p, "jsonl")
            return _unnest_answers(connection.read_json(text, format="newline_delimited"))
    except duckdb.Error:
        raise CohortError("not readable as Parquet, CSV or JSON Lines", Location(text)) from None
    raise CohortError(
        "unsupported input: give a .parquet, .csv or .jsonl file, or a folder of Parquet files", Location(text)
    )


def _scan_first(path: Path, kind: str) -> None:
    """Refuse, before DuckDB reads it, a CSV or JSON Lines file with rows DuckDB would misread or pad:
    a row with more or fewer cells than the header, a line that is not one JSON object, a header that
    names a column twice. The SQL engines refuse such a file as a whole; the message names the first
    bad row and its line, never its cells."""
    from ..research.intake import IntakeError, first_problems, scan_csv, scan_jsonl

    try:
        if kind == "csv":
            shape = scan_csv(path)
            problems, n_bad = shape.problems, len(shape.problems)
        else:
            _n, problems, _records = scan_jsonl(path)
            n_bad = len(problems)
    except IntakeError as exc:
        raise CohortError(str(exc), Location(str(path))) from None
    if problems:
        raise CohortError(
            f"{first_problems(problems, n_bad)} cannot be read; the SQL engines refuse a file "
            "with such rows (the columnar engine rejects them row by row)",
            Location(str(path)),
        )


def _renamed_case_duplicates(columns: Sequence[str]) -> str | None:
    """DuckDB renames a column whose name differs from an earlier one only in case (``Age``, ``AGE`` ->
    ``Age``, ``AGE_1``); spot such a pair, which the columnar engine refuses, and refuse it too."""
    import re

    lower = {c.lower(): c for c in columns}
    for c in columns:
        m = re.fullmatch(r"(.+)_(\d+)", c)
        if m is None:
            continue
        base = m.group(1)
        other = lower.get(base.lower())
        if other is not None and other != base:
            return f"columns '{other[:60]}' and '{base[:60]}' differ only in case; rename one"
    return None


def _unnest_answers(rel: duckdb.DuckDBPyRelation) -> duckdb.DuckDBPyRelation:
    """JSON Lines of encounters (``{"id": ..., "answers": {...}}``) as one column per answer."""
    if "answers" not in rel.columns or duckdb_family_id(rel.types[rel.columns.index("answers")]) != "struct":
        return rel
    from sqlglot import exp

    answers = exp.to_identifier("answers", quoted=True)
    others = [exp.Column(this=exp.to_identifier(c, quoted=True)) for c in rel.columns if c != "answers"]
    flat = exp.Select(expressions=[*others, exp.Column(this=exp.Star(), table=answers)]).from_("_ts_json")
    out = rel.query("_ts_json", flat.sql(dialect="duckdb"))
    assert out is not None
    return out


def duckdb_family_id(t: Any) -> str:
    return str(getattr(t, "id", "")).lower()


def plan_relation(
    rel: duckdb.DuckDBPyRelation,
    cs: CompiledSet,
    mapping: ColumnMapping,
    source: str,
    *,
    id_column: str | None = "id",
    keep: Sequence[str] = (),
) -> InputPlan:
    clash = _renamed_case_duplicates(rel.columns)
    if clash:
        raise CohortError(clash, Location(source))
    schema = {c: duckdb_family(t) for c, t in zip(rel.columns, rel.types, strict=True)}
    return plan_inputs(cs, schema, mapping, "duckdb", source, id_column=id_column, keep=keep)


def score_duckdb(
    source: duckdb.DuckDBPyRelation | str | Path,
    indicator_set: CompiledSet | str | Path,
    *,
    mapping: ColumnMapping | Mapping[str, str] | str | Path | None = None,
    id_column: str | None = "id",
    keep: Sequence[str] = (),
    connection: duckdb.DuckDBPyConnection | None = None,
    check: bool = True,
    allow_draft: bool = False,
) -> duckdb.DuckDBPyRelation:
    """Score every row of ``source`` with ``indicator_set`` in DuckDB.

    ``source`` is a Parquet or CSV path, a folder of Parquet files, or a DuckDB relation; columns are
    named by dictionary field unless ``mapping`` says otherwise (a :class:`ColumnMapping`, a
    ``{field: column}`` dict or a mapping file). A field whose column is absent is unknown in every row.
    The ``id_column`` (when present), the ``keep`` columns and a ``synthetic`` column are copied to the
    output first, as the columnar ``batch`` path does.

    With ``check`` (the default) the input is first checked against the data dictionary in one pass;
    a bad value raises :class:`~trafficscreen.errors.CohortError` naming field, column and row count.

    Returns a lazy relation with the columns of :func:`trafficscreen.sql.to_sql`.
    """
    rel, _plan = score_duckdb_plan(
        source,
        indicator_set,
        mapping=mapping,
        id_column=id_column,
        keep=keep,
        connection=connection,
        check=check,
        allow_draft=allow_draft,
    )
    return rel


def score_duckdb_plan(
    source: duckdb.DuckDBPyRelation | str | Path,
    indicator_set: CompiledSet | str | Path,
    *,
    mapping: ColumnMapping | Mapping[str, str] | str | Path | None = None,
    id_column: str | None = "id",
    keep: Sequence[str] = (),
    connection: duckdb.DuckDBPyConnection | None = None,
    check: bool = True,
    allow_draft: bool = False,
) -> tuple[duckdb.DuckDBPyRelation, InputPlan]:
    """:func:`score_duckdb`, also returning how each field was read (e.g. which were absent)."""
    import duckdb

    cs = resolve_set(indicator_set, allow_draft=allow_draft)
    cols = as_mapping(mapping)
    if isinstance(source, (str, Path)):
        from .packing import packed_file

        con = connection if connection is not None else duckdb.connect()
        pf = packed_file(source, con)
        if pf is not None:
            return _score_packed(con, source, pf, cs, cols, id_column, keep, check)
        rel = read_input(source, con)
        label = str(source)
    else:
        rel = source
        label = "<relation>"
    plan = plan_relation(rel, cs, cols, label, id_column=id_column, keep=keep)
    name = f"{_INPUT}{next(_counter)}"
    if check:
        run_checks(rel, plan, name, label)
    from sqlglot import exp

    query = build_query(
        cs,
        "duckdb",
        source=exp.Table(this=exp.to_identifier(name, quoted=True)),
        fields=plan.expressions(),
        keep=plan.keep,
    )
    return _run(lambda: rel.query(name, query.sql(dialect="duckdb")), label), plan


def run_checks(rel: duckdb.DuckDBPyRelation, plan: InputPlan, name: str, label: str) -> None:
    """Check every value of ``rel`` against the data dictionary in one pass; raise on any bad one."""
    q = check_query(plan, name)
    if q is not None:
        counts = _run(lambda: rel.query(name, q.sql(dialect="duckdb")), label)
        rows = _run(counts.fetchall, label)
        raise_on_failures(plan, list(rows[0]), label)


def _score_packed(
    con: duckdb.DuckDBPyConnection,
    source: str | Path,
    pf: PackedFile,
    cs: CompiledSet,
    mapping: ColumnMapping,
    id_column: str | None,
    keep: Sequence[str],
    check: bool,
) -> tuple[duckdb.DuckDBPyRelation, InputPlan]:
    """A packed cohort (:mod:`.packing`): checked when it was packed, so only what a hand edit could break
    is checked here, and the fields are read from their encoded columns."""
    from sqlglot import exp

    from .packing import packed_check_query, packed_checks, packed_plan, raise_on_packed_failures

    label = str(source)
    rel = read_input(source, con)
    plan = packed_plan(pf, cs, rel.columns, Location(label), mapping, id_column, keep)
    name = f"{_INPUT}{next(_counter)}"
    checks = packed_checks(pf, cs, rel.columns)
    if check and checks:
        counted = _run(lambda: rel.query(name, packed_check_query(checks, name).sql(dialect="duckdb")), label)
        raise_on_packed_failures(checks, _run(counted.fetchall, label)[0], label)
    table = exp.Table(this=exp.to_identifier(name, quoted=True))
    query = build_query(cs, "duckdb", source=table, fields=plan.expressions(), keep=plan.keep, packed=pf.layout)
    return _run(lambda: rel.query(name, query.sql(dialect="duckdb")), label), plan


def _run(fn: Any, label: str) -> Any:
    import duckdb

    try:
        return fn()
    except duckdb.Error as exc:
        # the engine's own message can quote input cells, so only the kind of error is passed on
        raise CohortError(f"DuckDB could not score the input ({type(exc).__name__})", Location(label)) from None


# --- writing ------------------------------------------------------------------------------------


def pack_for_sql(
    source: str | Path,
    indicator_set: CompiledSet | str | Path,
    out: str | Path,
    *,
    mapping: ColumnMapping | Mapping[str, str] | str | Path | None = None,
    id_column: str | None = "id",
    keep: Sequence[str] = (),
    connection: duckdb.DuckDBPyConnection | None = None,
    allow_draft: bool = False,
    coverage: Callable[[list[str]], None] | None = None,
) -> PackedFile:
    """Check ``source`` against the set's data dictionary and write it packed for SQL engines to ``out``.

    Every field of the dictionary the input has is packed (any set over that dictionary can score the
    file); the id column, ``keep`` columns and ``synthetic`` are copied as they are. A bad value stops the
    run with :class:`~trafficscreen.errors.CohortError`, as ``score_duckdb`` does; ``out`` is written whole
    or not at all.
    """
    import duckdb

    cs = resolve_set(indicator_set, allow_draft=allow_draft)
    target = Path(out)
    if target.suffix.lower() != ".parquet":
        raise CohortError("a packed cohort is a Parquet file; name it .parquet", Location(str(target)))
    con = connection if connection is not None else duckdb.connect()
    rel = read_input(source, con)
    plan = plan_relation(rel, cs, as_mapping(mapping), str(source), id_column=id_column, keep=keep)
    name = "_ts_pack_input"
    if coverage is not None:  # the command line refuses an input without any field column
        coverage([fi.column for fi in plan.checked if fi.column])
    run_checks(rel, plan, name, str(source))
    layout = packed_layout(cs.dictionary)
    select = _pack_select(layout, plan, name)
    fields = [fi.field for fi in plan.checked]
    rows = int(_pack_run(lambda: rel.aggregate("count(*)").fetchall(), str(source))[0][0])
    meta = layout_metadata(layout, fields, rows)
    tmp = target.with_name(f".{target.stem}.{secrets.token_hex(4)}.partial{target.suffix}")
    try:
        # lz4 and large row groups, as the polars packed file: these columns compress little, and a light
        # codec reads faster
        from sqlglot import exp

        text = exp.Literal.string
        copy = (
            f"COPY ({select.sql(dialect='duckdb')}) TO {text(str(tmp)).sql('duckdb')} (FORMAT parquet, "
            f"COMPRESSION lz4, ROW_GROUP_SIZE 1000000, "
            f"KV_METADATA {{{text(METADATA_KEY).sql('duckdb')}: {text(meta).sql('duckdb')}}})"
        )
        rel.create_view(name, replace=True)
        _pack_run(lambda: con.execute(copy), str(source))
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return PackedFile(layout, tuple(fields), rows)


def _pack_select(layout: PackedLayout, plan: InputPlan, table: str) -> exp.Select:
    from sqlglot import exp

    kept = [col(src) if src == n else exp.Alias(this=col(src), alias=ident(n)) for src, n in plan.keep]
    for _src, n in plan.keep:
        if n.startswith("_ts_"):
            raise CohortError(f"column '{n}' starts with '_ts_', which a packed cohort uses for itself")
    values = {fi.field: fi.expr for fi in plan.checked}
    encoded = [exp.Alias(this=e, alias=ident(n)) for n, e in pack_columns(layout, values)]
    return exp.Select(expressions=[*kept, *encoded]).from_(exp.Table(this=ident(table)))


def _pack_run(fn: Any, label: str) -> Any:
    import duckdb

    try:
        return fn()
    except duckdb.Error as exc:
        # the engine's own message can quote input cells, so only the kind of error is passed on
        raise CohortError(f"DuckDB could not pack the input ({type(exc).__name__})", Location(label)) from None
