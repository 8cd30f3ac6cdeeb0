"""Batch scoring: a cohort in, one row of statuses and levels per encounter out.

>>> import polars as pl                                              # doctest: +SKIP
>>> from trafficscreen.research import score_frame                   # doctest: +SKIP
>>> score_frame(pl.read_parquet("cohort.parquet"), "ilo-child-labour")  # doctest: +SKIP

Output columns: the id column (when the input has one) and any ``keep`` columns; ``indicator.<id>``
(met / not_met / unknown) for every indicator and ``dimension.<id>`` (present / absent / unknown) for
every dimension; ``level`` and ``highest_possible`` (none / concern / refer / urgent); ``answered``, the
number of the questions the set reads that have an answer; and ``set_id``, ``set_version`` and
``set_sha256``, so every row says what produced it.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ..compiled import CompiledSet
from ..errors import EncounterError
from ..loader import resolve_set
from .columnar import ColumnarSet, weighted_count
from .frames import ROW, CheckedFrame, CohortError, apply_mapping, check_frame, empty_rejects

SYNTHETIC = "synthetic"
"""Column that marks rows of a synthetic cohort; it is carried through scoring whenever present."""

_COMPILED: weakref.WeakKeyDictionary[CompiledSet, ColumnarSet] = weakref.WeakKeyDictionary()


def columnar(cs: CompiledSet) -> ColumnarSet:
    """The columnar form of a compiled set, built once and kept while the set is alive."""
    out = _COMPILED.get(cs)
    if out is None:
        out = _COMPILED.setdefault(cs, ColumnarSet(cs))
    return out




def _id_and_keep(df: pl.DataFrame, id_column: str | None, keep: Sequence[str]) -> list[str]:
    cols: list[str] = []
    if id_column is not None and id_column in df.columns:
        cols.append(id_column)
    for k in keep:
        if k not in df.columns:
            raise CohortError(f"column '{k}' is not in the input")
        if k not in cols:
            cols.append(k)
    if SYNTHETIC in df.columns and SYNTHETIC not in cols:
        cols.append(SYNTHETIC)
    return cols


def check(
    df: pl.DataFrame,
    cs: CompiledSet,
    *,
    id_column: str | None = "id",
    keep: Sequence[str] = (),
    mapping: Mapping[str, str] | None = None,
    row_offset: int = 0,
) -> CheckedFrame:
    """Rename mapped columns, then check and encode every row (see :func:`.frames.check_frame`)."""
    renamed: dict[str, str] = {}
    if mapping:
        id_source = mapping.get("id") if "id" not in cs.dictionary.by_id else None
        df, renamed = apply_mapping(df, mapping, cs.dictionary, id_field="id")
        if id_source is not None:
            id_column = "id"
    kept = _id_and_keep(df, id_column, keep)
    clash = [k for k in kept if k in cs.dictionary.by_id]
    if clash:
        raise CohortError(f"column '{clash[0]}' is a field of {cs.dictionary.ref} and cannot also be kept as is")
    return check_frame(df, cs.dictionary, cs.used_fields, keep=kept, renamed=renamed, row_offset=row_offset)


def score_checked(checked: CheckedFrame, cs: CompiledSet, *, keep_row: bool = False) -> pl.DataFrame:
    """Score a checked, encoded frame."""
    col = columnar(cs)
    frame = checked.frame
    keep = [c for c in frame.columns if c not in cs.dictionary.by_id and (keep_row or c != ROW)]
    answered = weighted_count([(pl.col(f).is_not_null(), 1) for f in cs.used_fields if f in frame.columns], pl.Int16)
    lf = frame.lazy().with_columns(answered.alias("\x00answered"))
    out = col.lazy_score(lf, [*keep, "\x00answered"]).collect()
    return out.rename({"\x00answered": "answered"}).with_columns(
        pl.lit(cs.id).alias("set_id"),
        pl.lit(cs.version).alias("set_version"),
        pl.lit(cs.sha256).alias("set_sha256"),
    ).select(
        *keep, *[c for c in out.columns if c.startswith(("indicator.", "dimension."))],
        "level", "highest_possible", "answered", "set_id", "set_version", "set_sha256",
    )


def score_frame(
    df: pl.DataFrame,
    set: CompiledSet | str | Path,
    *,
    id_column: str | None = "id",
    keep: Sequence[str] = (),
    mapping: Mapping[str, str] | None = None,
    allow_draft: bool = False,
) -> pl.DataFrame:
    """Score every row of ``df`` with an indicator set, with the columnar backend.

    ``df`` has one column per dictionary field (null = unknown), named by field id or renamed through
    ``mapping`` (field id → column). Raises :class:`~trafficscreen.errors.EncounterError` naming the
    first problem (row number, field; never the value) when any row does not fit the dictionary; the
    ``trafficscreen batch`` command instead writes such rows to a rejects file and scores the rest.
    """
    cs = resolve_set(set, allow_draft=allow_draft)
    checked = check(df, cs, id_column=id_column, keep=keep, mapping=mapping)
    if checked.rejects.height:
        first = checked.rejects.row(0, named=True)
        n = checked.n_rejected
        raise EncounterError(f"{n} row(s) do not fit {cs.dictionary.ref}; first: row {first[ROW]}, {first['reason']}")
    return score_checked(checked, cs)


@dataclass
class BatchResult:
    scored: pl.DataFrame
    rejects: pl.DataFrame
    n_input: int
    missing_fields: tuple[str, ...]
    ignored_columns: tuple[str, ...]


def score_in_chunks(
    df: pl.DataFrame,
    cs: CompiledSet,
    *,
    id_column: str | None = "id",
    keep: Sequence[str] = (),
    mapping: Mapping[str, str] | None = None,
    chunk_rows: int = 250_000,
    progress: Callable[[int], None] | None = None,
) -> BatchResult:
    """Check and score ``df`` chunk by chunk, collecting rejected rows instead of stopping.

    ``progress`` is called with the number of input rows done after each chunk.
    """
    scored: list[pl.DataFrame] = []
    rejects: list[pl.DataFrame] = []
    missing: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()
    has_id = id_column is not None and (
        id_column in df.columns or bool(mapping and "id" in mapping and "id" not in cs.dictionary.by_id)
    )
    for start in range(0, max(df.height, 1), chunk_rows):
        part = df.slice(start, chunk_rows)
        checked = check(part, cs, id_column=id_column, keep=keep, mapping=mapping, row_offset=start)
        missing, ignored = checked.missing_fields, checked.ignored_columns
        scored.append(score_checked(checked, cs, keep_row=not has_id))
        if checked.rejects.height:
            rejects.append(checked.rejects)
        if progress is not None:
            progress(min(start + chunk_rows, df.height))
    return BatchResult(
        pl.concat(scored) if scored else pl.DataFrame(),
        pl.concat(rejects) if rejects else empty_rejects(),
        df.height, missing, ignored,
    )
