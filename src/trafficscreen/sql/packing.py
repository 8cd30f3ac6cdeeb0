"""The metadata of packed cohorts for SQL engines (:mod:`.packed`), and how an engine reads one.

:func:`.duck.pack_for_sql` checks a cohort once, as ``score_duckdb`` does, and writes it packed to Parquet with
its layout in the file's metadata (key ``trafficscreen.packed.sql``). ``score_duckdb`` recognises such a
file by that key, refuses one packed with another dictionary or list of values, checks what a hand edit
could break (a yes and a no for one field, a position past a list of values) and scores it with the
packed query. Spark and warehouses read the same Parquet file; ``to_sql(..., packed=True)`` prints the
query for them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..content.mapping import ColumnMapping
from ..core.compiled import CompiledSet
from ..errors import CohortError, Location, SqlError
from ..model.dictionary import FieldType
from .nodes import and_, case, cmp, col, ident, not_null, num, paren
from .packed import NO_WORD, YES_WORD, PackedLayout, Slot, check_packed

if TYPE_CHECKING:
    import duckdb
    from sqlglot import exp

    from .inputs import InputPlan

METADATA_KEY = "trafficscreen.packed.sql"
LAYOUT_VERSION = 1


@dataclass(frozen=True)
class PackedFile:
    """What a packed file's metadata says: its layout, and which of the dictionary's fields it holds."""

    layout: PackedLayout
    fields: tuple[str, ...]
    rows: int


def layout_metadata(layout: PackedLayout, fields: Sequence[str], rows: int) -> str:
    """The JSON text stored under :data:`METADATA_KEY`."""
    return json.dumps(
        {
            "layout": LAYOUT_VERSION,
            "dictionary": layout.dictionary,
            "fields": list(fields),
            "rows": rows,
            "types": {f: t.value for f, t in layout.types.items()},
            "slots": {f: [s.word, s.bit] for f, s in layout.slots.items()},
            "values": {f: list(v) for f, v in layout.values.items()},
        },
        sort_keys=True,
    )


def read_layout(text: str, where: Location) -> PackedFile:
    """A :class:`PackedFile` from the metadata text; a damaged one is refused, never guessed at."""
    try:
        meta = json.loads(text)
        if meta.get("layout") != LAYOUT_VERSION:
            raise CohortError(
                f"packed with layout {meta.get('layout')!r}; this version reads layout {LAYOUT_VERSION}; "
                "pack the source again",
                where,
            )
        layout = PackedLayout(
            str(meta["dictionary"]),
            {str(f): Slot(int(w), int(b)) for f, (w, b) in meta["slots"].items()},
            {str(f): tuple(str(v) for v in vs) for f, vs in meta["values"].items()},
            {str(f): FieldType(t) for f, t in meta["types"].items()},
        )
        return PackedFile(layout, tuple(str(f) for f in meta["fields"]), int(meta["rows"]))
    except (ValueError, KeyError, TypeError, AttributeError):
        raise CohortError("the packed-cohort metadata of this file is damaged; pack the source again", where) from None


def packed_file(path: str | Path, connection: duckdb.DuckDBPyConnection) -> PackedFile | None:
    """The packed layout of a Parquet file, or None for a file that is not a packed cohort for SQL."""
    import duckdb

    p = Path(path)
    if not p.is_file() or p.suffix.lower() not in (".parquet", ".pq", ".parq"):
        return None
    try:
        rows = connection.execute(
            "SELECT value FROM parquet_kv_metadata(?) WHERE key = ?", [str(p), METADATA_KEY.encode()]
        ).fetchall()
    except duckdb.Error:
        return None  # not readable as Parquet: read_input says so with the usual message
    if not rows:
        return None
    value = rows[0][0]
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return read_layout(text, Location(str(p)))


# --- reading ------------------------------------------------------------------------------------


def packed_fields(
    pf: PackedFile, cs: CompiledSet, columns: Sequence[str], where: Location
) -> dict[str, exp.Expression]:
    """The encoded column of each field ``cs`` reads from a packed file (a typed NULL for a field the file
    lacks); refuses a file whose layout means other answers than the set's dictionary gives."""
    from sqlglot import exp

    try:
        check_packed(pf.layout, cs)
    except SqlError as exc:
        raise CohortError(str(exc), where) from None
    for w in range(pf.layout.words):
        for word in (f"{YES_WORD}{w}", f"{NO_WORD}{w}"):
            if word not in columns:
                raise CohortError(f"a packed cohort has a column '{word}'; this file lacks it", where)
    out: dict[str, exp.Expression] = {}
    for f in cs.used_fields:
        t = pf.layout.types[f]
        if f in pf.fields and (t is FieldType.BOOLEAN or f in columns):
            out[f] = col(f)
        elif f in pf.fields:
            raise CohortError(f"a packed cohort holds field '{f}' in a column of its name; this file lacks it", where)
        else:
            kind = {FieldType.INTEGER: "BIGINT", FieldType.NUMBER: "DOUBLE", FieldType.DATE: "DATE"}.get(t, "BIGINT")
            out[f] = exp.Cast(this=exp.Null(), to=exp.DataType.build(kind))
    return out


def packed_plan(
    pf: PackedFile,
    cs: CompiledSet,
    columns: Sequence[str],
    where: Location,
    mapping: ColumnMapping,
    id_column: str | None,
    keep: Sequence[str],
) -> InputPlan:
    """How an engine reads a packed cohort: each field's encoded column, the id, ``keep`` and
    ``synthetic`` columns copied as they are, and the fields the file lacks (unknown in every row)."""
    from .inputs import FieldInput, InputPlan

    if mapping.columns:
        raise CohortError("a packed cohort names its columns by field; score it without a column mapping", where)
    fields = packed_fields(pf, cs, columns, where)
    kept = [c for c in ([id_column] if id_column else []) if c in columns and c not in keep]
    for k in keep:
        if k not in columns:
            raise CohortError(f"column '{k}' to keep is not in the input", where)
        kept.append(k)
    if "synthetic" in columns and "synthetic" not in kept:
        kept.append("synthetic")
    absent = tuple(f for f in cs.used_fields if f not in pf.fields)
    read = {f: FieldInput(f, None if f in absent else f, e) for f, e in fields.items()}
    return InputPlan(read, [fi for fi in read.values() if fi.column], tuple((k, k) for k in kept), absent)


def packed_checks(pf: PackedFile, cs: CompiledSet, columns: Sequence[str]) -> list[tuple[str, exp.Expression]]:
    """(problem, true on a bad row) for what a hand edit of a packed file could break and a packer never
    writes: a field marked both yes and no, a position past a choice field's list, a bit past a set's."""
    from sqlglot import exp

    checks: list[tuple[str, exp.Expression]] = []
    for w in range(pf.layout.words):
        both = exp.BitwiseAnd(this=col(f"{YES_WORD}{w}"), expression=col(f"{NO_WORD}{w}"))
        checks.append((f"word {w}: a yes/no field marked both yes and no", cmp("!=", paren(both), num(0))))
    for f in cs.used_fields:
        if f not in columns or f not in pf.fields:
            continue
        t, n = pf.layout.types[f], len(pf.layout.values.get(f, ()))
        c = col(f)
        if t is FieldType.ENUM:
            outside = exp.Or(this=cmp("<", c, num(0)), expression=cmp(">=", c, num(n)))
            checks.append((f"field '{f}': the answer is not one of its choices", and_(not_null(c), paren(outside))))
        elif t is FieldType.SET:
            outside = exp.Or(this=cmp("<", c, num(0)), expression=cmp(">=", c, num(1 << n)))
            checks.append(
                (
                    f"field '{f}': the list holds an answer that is not one of its choices",
                    and_(not_null(c), paren(outside)),
                )
            )
    return checks


def packed_check_query(checks: list[tuple[str, exp.Expression]], table: str) -> exp.Select:
    """One row: per check of :func:`packed_checks`, how many rows break it."""
    from sqlglot import exp

    counts = [exp.Sum(this=case([(cond, num(1))], num(0))) for _p, cond in checks]
    return exp.Select(expressions=counts).from_(exp.Table(this=ident(table)))


def raise_on_packed_failures(checks: list[tuple[str, exp.Expression]], row: Sequence[Any], label: str) -> None:
    """Refuse a file that breaks any of ``checks`` (``row``: the counts of :func:`packed_check_query`)."""
    problems = [f"{problem}: {n} row(s)" for (problem, _c), n in zip(checks, row, strict=True) if n]
    if problems:
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise CohortError(problems[0] + more + "; pack the source again", Location(label), problems=problems)
