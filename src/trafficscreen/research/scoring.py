"""Checking and scoring one encoded cohort frame: what plain batch scoring (:mod:`.batch`) and packed
cohorts (:mod:`.packed`) both build on.

It sits below both so that neither imports the other to score: a plain cohort reaches packed files
through :class:`.batch.CohortInput`, and packing reuses :func:`check` and :func:`scoring_plan` from here.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from ..content.mapping import column_name_problem
from ..core.compiled import CompiledSet
from ..core.plan import DIMENSION_PREFIX, INDICATOR_PREFIX
from .columnar import ColumnarSet
from .frames import ROW, CheckedFrame, CohortError, apply_mapping, check_frame

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
    fields: Sequence[str] | None = None,
) -> CheckedFrame:
    """Rename mapped columns, then check and encode every row (see :func:`.frames.check_frame`).

    ``fields`` (default: the fields the set reads) are the fields encoded for scoring; every field
    present is checked either way.
    """
    problem = column_name_problem(df.columns)
    if problem:
        raise CohortError(problem)
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
    used = cs.used_fields if fields is None else fields
    return check_frame(df, cs.dictionary, used, keep=kept, renamed=renamed, row_offset=row_offset)


def score_checked(
    checked: CheckedFrame, cs: CompiledSet, *, keep_row: bool = False, statuses: bool = True
) -> pl.DataFrame:
    """Score a checked, encoded frame (``statuses=False``: no indicator and dimension columns)."""
    frame = checked.frame
    encoded = set(columnar(cs).columns)
    keep = [c for c in frame.columns if c not in encoded and (keep_row or c != ROW)]
    return scoring_plan(frame.lazy(), frame.columns, cs, keep, statuses=statuses).collect()


def scoring_plan(
    lf: pl.LazyFrame, have: Sequence[str], cs: CompiledSet, keep: Sequence[str], *, statuses: bool = True
) -> pl.LazyFrame:
    """Score an encoded lazy frame whose columns are ``have``: ``keep`` columns, statuses, levels, provenance."""
    col = columnar(cs)
    answered = col.answered(frozenset(have))
    scored = col.lazy_score(lf.with_columns(answered.alias("\x00answered")), [*keep, "\x00answered"], statuses=statuses)
    names = [INDICATOR_PREFIX + i for i in col.indicator_ids] + [DIMENSION_PREFIX + d for d in col.dimension_ids]
    return scored.select(
        *keep,
        *(names if statuses else []),
        "level",
        "highest_possible",
        pl.col("\x00answered").alias("answered"),
        pl.lit(cs.id).alias("set_id"),
        pl.lit(cs.version).alias("set_version"),
        pl.lit(cs.sha256).alias("set_sha256"),
    )


@dataclass
class BatchResult:
    scored: pl.DataFrame
    rejects: pl.DataFrame
    n_input: int
    missing_fields: tuple[str, ...]
    ignored_columns: tuple[str, ...]

    @property
    def n_rejected(self) -> int:
        return self.rejects.get_column(ROW).n_unique() if self.rejects.height else 0
