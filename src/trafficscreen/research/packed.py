"""Packed cohorts: a Parquet file that holds a cohort already checked and encoded.

A researcher scores the same cohort many times — with several sets, several versions of one set, again
after a content change. Checking every value and decoding nullable columns is most of the cost of each
run, and the result never changes, so ``trafficscreen pack`` (or :func:`write_packed`) does it once and
writes the encoded columns (:func:`.columnar.encoded_columns`):

* a yes/no field as two Boolean columns without nulls, ``<field>.yes`` and ``<field>.no`` (neither is
  *unknown*). Parquet decodes a column without nulls at memory speed, but a nullable one value by
  value, and that alone caps a plain cohort of the default set at about three million rows a second;
* a choice as its position in the dictionary's list of values, a set of choices as a bit mask, numbers
  and dates as they are, each null where unknown;
* ``row``, the input row number, so that reports still point at the source file; and every other input
  column as it was (ids, labels, the ``synthetic`` mark).

The file's metadata (key ``trafficscreen.packed``) records the dictionary and, per field, its type and
list of values. :func:`read_packed` refuses a file whose dictionary or lists of values differ from the
set's (positions would then mean other answers), reads only the columns the set needs, and still checks
every row cheaply — a yes and a no for the same field, a position past the list of values, a number out
of bounds — so that a hand-edited file is rejected row by row like any other input, never trusted.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import polars as pl

from ..core.compiled import CompiledSet
from ..errors import Location
from ..model.dictionary import DataDictionary, FieldDef, FieldType
from .encoding import NO, YES, code_dtype, encoded_columns, mask_dtype, uses_mask, value_codes
from .frames import ROW, CheckedFrame, CohortError, apply_mapping, empty_rejects, file_format
from .intake import ROW_PROBLEM
from .scoring import SYNTHETIC, BatchResult, check, columnar, scoring_plan

PACKED_KEY = "trafficscreen.packed"
SQL_PACKED_KEY = "trafficscreen.packed.sql"
"""The key of a cohort packed for SQL engines (:mod:`trafficscreen.sql.packing`), which this module refuses."""
LAYOUT = 1
ROW_GROUP = 1_000_000
CHUNK_ROWS = 4 * ROW_GROUP
"""Rows read and scored in one pass: large enough that the fixed cost of a pass (planning about a
thousand expressions, some 40 ms) stays small, small enough to show progress on a large cohort."""


def _field_entry(fd: FieldDef) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": fd.type.value}
    if fd.type in (FieldType.ENUM, FieldType.SET):
        entry["values"] = list(value_codes(fd))
    return entry


def packed_metadata(checked: CheckedFrame) -> dict[str, Any]:
    """What a packed file records about its encoding."""
    d = checked.dictionary
    fields = [f for f in d.by_id if set(encoded_columns(d.by_id[f])) <= set(checked.frame.columns)]
    return {
        "layout": LAYOUT,
        "dictionary": d.ref,
        "fields": {f: _field_entry(d.by_id[f]) for f in fields},
        "rows_in_source": checked.n_input,
        "rows_rejected": checked.n_rejected,
    }


def pack(
    df: pl.DataFrame,
    cs: CompiledSet,
    *,
    mapping: Mapping[str, str] | None = None,
    id_column: str | None = "id",
) -> CheckedFrame:
    """Check ``df`` for every field of the set's dictionary it has, keeping every other column as it is.

    ``cs`` names the dictionary (any set over it will do); the result can be scored by every set over
    that dictionary, through :func:`write_packed` and :func:`read_packed`.
    """
    columns = df.columns
    if mapping:
        # the columns as they will be named; check() renames them itself, to name them in its reasons
        columns = apply_mapping(df.head(0), mapping, cs.dictionary, id_field="id")[0].columns
        if "id" in mapping and "id" not in cs.dictionary.by_id:
            id_column = "id"
    fields = [f for f in cs.dictionary.by_id if f in columns]
    others = [c for c in columns if c not in cs.dictionary.by_id and c != id_column and c != ROW_PROBLEM]
    if ROW in others:
        raise CohortError(f"the input has a column named '{ROW}', which a packed cohort uses for row numbers")
    return check(df, cs, id_column=id_column, keep=others, fields=fields, mapping=mapping)


def write_packed(checked: CheckedFrame, path: str | Path) -> None:
    """Write a checked cohort (checked for *every* field it has, see :func:`.scoring.check`) as a packed file."""
    p = Path(path)
    if file_format(p) != "parquet":
        raise CohortError("a packed cohort is a Parquet file; name it .parquet", Location(str(p)))
    frame = checked.frame
    meta = packed_metadata(checked)
    # row numbers 1..n are implied when no row was rejected; reading a column of them costs more than
    # counting
    meta["row_numbers"] = "column" if checked.rejects.height else "implied"
    if not checked.rejects.height:
        frame = frame.drop(ROW)
    # lz4: these columns compress little, and a lighter codec reads faster than zstd here; large row
    # groups: each becomes a chunk in memory, and few chunks score faster
    from .intake import atomic_output

    with atomic_output(p) as tmp:  # whole or not at all: an earlier file stays as it was on any failure
        frame.write_parquet(
            tmp, compression="lz4", row_group_size=ROW_GROUP, metadata={PACKED_KEY: json.dumps(meta, sort_keys=True)}
        )


def packed_layout(path: str | Path) -> dict[str, Any] | None:
    """The packed-cohort metadata of a Parquet file, or None for any other file."""
    p = Path(path)
    if p.suffix.lower() != ".parquet" or not p.is_file():
        return None
    try:
        meta = pl.read_parquet_metadata(p)
    except (pl.exceptions.PolarsError, OSError, ValueError):
        return None  # not readable as Parquet: read_table says so with the usual message
    text = meta.get(PACKED_KEY)
    if text is None:
        if SQL_PACKED_KEY in meta:
            # its yes/no answers are bits of words the columnar engine does not read: read as a plain
            # table, every yes/no field would look unanswered
            raise CohortError(
                "a cohort packed for SQL engines (pack --for sql); score it with --engine duckdb or spark, "
                "or pack the source again without --for sql",
                Location(str(p)),
            )
        return None
    try:
        layout = json.loads(text)
    except ValueError:
        layout = None
    if not isinstance(layout, dict) or not isinstance(layout.get("fields"), dict):
        raise CohortError("the packed-cohort metadata of this file is damaged; pack the source again", Location(str(p)))
    return layout


def _compatible(layout: dict[str, Any], dictionary: DataDictionary, where: Location) -> dict[str, FieldDef]:
    """The fields of the file that mean the same in ``dictionary``; refuses a file packed otherwise."""
    if layout.get("layout") != LAYOUT:
        raise CohortError(
            f"packed with layout {layout.get('layout')!r}; this version reads layout {LAYOUT}; pack the source again",
            where,
        )
    ref = str(layout.get("dictionary", ""))
    if ref.split("@")[0] != dictionary.id:
        raise CohortError(f"packed for dictionary '{ref}', but the set uses {dictionary.ref}", where)
    out: dict[str, FieldDef] = {}
    for fid, entry in layout["fields"].items():
        fd = dictionary.by_id.get(fid)
        if fd is None:
            continue  # a field this dictionary version lacks: never read
        if not isinstance(entry, dict) or entry != _field_entry(fd):
            raise CohortError(
                f"field '{fid}' was packed with a different type or list of values than {dictionary.ref} "
                "gives it; pack the source again with this dictionary",
                where,
            )
        out[fid] = fd
    return out


def _bits(dtype: pl.DataType) -> int:
    for width, candidate in ((8, pl.UInt8), (16, pl.UInt16), (32, pl.UInt32)):
        if dtype == candidate:
            return width
    return 64


def _problems(fd: FieldDef) -> list[tuple[pl.Expr, str]]:
    """Row checks that hold for every row a packer wrote; a hand-edited file can break them."""
    f = fd.id
    t = fd.type
    if t is FieldType.BOOLEAN:
        return [(pl.col(f + YES) & pl.col(f + NO), "marked both yes and no")]
    col = pl.col(f)
    n = len(fd.values or ())
    if t is FieldType.ENUM:
        return [(col >= n, "the answer is not one of its choices")] if n < 2 ** _bits(code_dtype(fd)) else []
    if t is FieldType.SET:
        if not uses_mask(fd):
            return []
        dt = mask_dtype(fd)
        if n == _bits(dt):
            return []  # every bit is a value
        return [(col >= pl.lit(1 << n, dtype=dt), "the list holds an answer that is not one of its choices")]
    out: list[tuple[pl.Expr, str]] = []
    if t is FieldType.NUMBER:
        out.append((col.is_nan() | col.is_infinite(), "expected a finite number"))
    if fd.min is not None:
        out.append((col < fd.min, f"below the smallest allowed value ({fd.min:g})"))
    if fd.max is not None:
        out.append((col > fd.max, f"above the largest allowed value ({fd.max:g})"))
    return out


@dataclass
class _Plan:
    """What reading a packed cohort for one set involves; built from the metadata, no rows read."""

    lazy: pl.LazyFrame  # ROW, id and kept columns, encoded fields
    checks: list[tuple[str, pl.Expr, str]]  # (field, condition that marks a bad row, reason)
    missing: tuple[str, ...]
    ignored: tuple[str, ...]
    where: Location


def _plan(
    path: str | Path, cs: CompiledSet, keep: Sequence[str], id_column: str | None, fields: Sequence[str] | None
) -> _Plan:
    p = Path(path)
    where = Location(str(p))
    layout = packed_layout(p)
    if layout is None:
        raise CohortError("not a packed cohort (no trafficscreen.packed metadata); use it as plain input", where)
    usable = _compatible(layout, cs.dictionary, where)
    try:
        schema = pl.read_parquet_schema(p)
    except (pl.exceptions.PolarsError, OSError, ValueError):
        raise CohortError("cannot be read as PARQUET", where) from None
    wanted = list(fields if fields is not None else cs.used_fields)
    present = [f for f in wanted if f in usable]
    for f in present:
        for name, dtype in encoded_columns(usable[f]).items():
            if schema.get(name) != dtype:
                got = "missing" if name not in schema else str(schema[name])
                raise CohortError(f"column '{name}' of a packed cohort should be {dtype}, but is {got}", where)
    for k in keep:
        if k in cs.dictionary.by_id:
            raise CohortError(f"column '{k}' is a field of {cs.dictionary.ref} and cannot also be kept as is", where)
        if k not in schema:
            raise CohortError(f"column '{k}' is not in the input", where)
    passthrough = [c for c in ([id_column] if id_column else []) if c in schema and c not in keep]
    passthrough += list(keep)
    if SYNTHETIC in schema and SYNTHETIC not in passthrough:
        passthrough.append(SYNTHETIC)
    implied = layout.get("row_numbers") == "implied"
    if not implied and ROW not in schema:
        raise CohortError(f"a packed cohort has a '{ROW}' column; this file lacks it", where)
    encoded = [c for f in present for c in encoded_columns(usable[f])]
    if implied:
        # numbered before the projection: a set may need no column of the file at all, and its rows
        # must still be there
        lf = (
            pl.scan_parquet(p).with_row_index(ROW, offset=1).select(pl.col(ROW).cast(pl.UInt64), *passthrough, *encoded)
        )
    else:
        lf = pl.scan_parquet(p).select(ROW, *passthrough, *encoded)
    every_encoded = {c for fd in usable.values() for c in encoded_columns(fd)}
    ignored = tuple(c for c in schema if c != ROW and c not in every_encoded and c not in passthrough)
    return _Plan(
        lf,
        [(f, cond.fill_null(False), why) for f in present for cond, why in _problems(usable[f])],
        tuple(f for f in wanted if f not in present),
        ignored,
        where,
    )


def _collect(lf: pl.LazyFrame, where: Location, engine: Literal["auto", "in-memory"] = "auto") -> pl.DataFrame:
    try:
        return lf.collect(engine=engine)
    except (pl.exceptions.PolarsError, OSError, ValueError):
        # the library's message may quote the data; say only what failed
        raise CohortError("cannot be read as PARQUET", where) from None


def _rejects(bad_rows: pl.DataFrame, checks: list[tuple[str, pl.Expr, str]]) -> pl.DataFrame:
    """One line per broken check in the (few) rows flagged bad."""
    schema = empty_rejects().schema
    parts = [
        bad_rows.filter(cond).select(
            pl.col(ROW), pl.lit(f).alias("field"), pl.lit(f"field '{f}': {why}").alias("reason")
        )
        for f, cond, why in checks
    ]
    return pl.concat(parts).cast(schema).sort(ROW, "field", maintain_order=True)


def read_packed(
    path: str | Path,
    cs: CompiledSet,
    *,
    keep: Sequence[str] = (),
    id_column: str | None = "id",
    fields: Sequence[str] | None = None,
) -> CheckedFrame:
    """Read what ``cs`` needs from a packed cohort: row numbers, id and ``keep`` columns, encoded fields.

    ``fields`` (default: the fields the set reads) chooses which fields to read; the others are never
    decoded. Rows that break the encoding are left out and reported like rejected input rows.
    """
    plan = _plan(path, cs, keep, id_column, fields)
    frame = _collect(plan.lazy, plan.where)
    n_input = frame.height
    rejects = empty_rejects()
    if plan.checks:
        bad = frame.select(pl.any_horizontal([cond for _, cond, _ in plan.checks])).to_series()
        if bad.any():
            rejects = _rejects(frame.filter(bad), plan.checks)
            frame = frame.filter(~bad)
    return CheckedFrame(frame, rejects, n_input, plan.missing, plan.ignored, cs.dictionary)


def score_packed(
    path: str | Path,
    cs: CompiledSet,
    *,
    keep: Sequence[str] = (),
    id_column: str | None = "id",
    keep_row: bool = False,
    statuses: bool = True,
    chunk_rows: int = CHUNK_ROWS,
    progress: Callable[[int], None] | None = None,
) -> BatchResult:
    """Read and score a packed cohort, the fast path of batch scoring.

    The same rows, columns and rejects as :func:`read_packed` followed by
    :func:`.scoring.score_checked`; each chunk of ``chunk_rows`` rows is read and scored in one pass, and
    the encoded columns are never gathered into one frame first. ``progress`` is called with the
    number of rows done after each chunk.
    """
    plan = _plan(path, cs, keep, id_column, None)
    try:
        total = int(pl.scan_parquet(Path(path)).select(pl.len()).collect().item())
    except (pl.exceptions.PolarsError, OSError, ValueError):
        raise CohortError("cannot be read as PARQUET", plan.where) from None
    parts: list[BatchResult] = []
    for start in range(0, max(total, 1), max(chunk_rows, 1)):
        parts.append(_score_rows(plan, cs, plan.lazy.slice(start, chunk_rows), keep_row, statuses))
        if progress is not None:
            progress(min(start + chunk_rows, total))
    if len(parts) == 1:
        return parts[0]
    return BatchResult(
        pl.concat([p.scored for p in parts]),
        pl.concat([p.rejects for p in parts]),
        sum(p.n_input for p in parts),
        plan.missing,
        plan.ignored,
    )


def _score_rows(plan: _Plan, cs: CompiledSet, lf: pl.LazyFrame, keep_row: bool, statuses: bool) -> BatchResult:
    rows = lf
    bad = "\x00bad"
    if plan.checks:
        lf = lf.with_columns(pl.any_horizontal([cond for _, cond, _ in plan.checks]).alias(bad))
    have = list(lf.collect_schema().names())
    encoded = set(columnar(cs).columns)
    carried = [c for c in have if c not in encoded and (keep_row or c != ROW)]
    # the in-memory engine runs this plan (a scan, then some thousand column expressions) about 15% faster
    # than the streaming one on 2 cores (benchmarks/bench_columnar.py)
    out = _collect(scoring_plan(lf, have, cs, carried, statuses=statuses), plan.where, engine="in-memory")
    n_input = out.height
    rejects = empty_rejects()
    if plan.checks:
        flagged = out.get_column(bad)
        if flagged.any():
            # rare (a file edited by hand): read those rows again to say what is wrong with them
            bad_rows = _collect(rows.filter(pl.any_horizontal([c for _, c, _ in plan.checks])), plan.where)
            rejects = _rejects(bad_rows, plan.checks)
            out = out.filter(~flagged)
        out = out.drop(bad)
    return BatchResult(out, rejects, n_input, plan.missing, plan.ignored)
