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
from ..mapping import column_name_problem
from .columnar import DIMENSION_PREFIX, INDICATOR_PREFIX, ColumnarSet
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


def score_file(
    path: str | Path,
    set: CompiledSet | str | Path,
    *,
    id_column: str | None = "id",
    keep: Sequence[str] = (),
    mapping: Mapping[str, str] | None = None,
    allow_draft: bool = False,
    allow_no_fields: bool = False,
) -> pl.DataFrame:
    """Score a cohort file, plain or packed (see :mod:`.packed`), as :func:`score_frame` scores a frame."""
    return _score_all(CohortInput(path, mapping=mapping), set, id_column, keep, allow_draft, allow_no_fields)


def _score_all(
    cohort: CohortInput,
    set: CompiledSet | str | Path,
    id_column: str | None,
    keep: Sequence[str],
    allow_draft: bool,
    allow_no_fields: bool = False,
) -> pl.DataFrame:
    """Every row scored, or an error naming the first row that does not fit."""
    from .intake import field_coverage

    cs = resolve_set(set, allow_draft=allow_draft)
    if not allow_no_fields and field_coverage(cohort.columns(), list(cs.used_fields), cohort.mapping).none:
        # every answer would be unknown in every row: almost always a wrong header or a forgotten mapping
        raise CohortError(
            f"none of the {len(cs.used_fields)} field(s) {cs.ref} reads has a column in the input; "
            "check the column names or the mapping, or pass allow_no_fields=True"
        )
    result = cohort.score(cs, id_column=id_column, keep=keep)
    if result.rejects.height:
        first = result.rejects.row(0, named=True)
        raise EncounterError(
            f"{result.n_rejected} row(s) do not fit {cs.dictionary.ref}; first: row {first[ROW]}, {first['reason']}"
        )
    return result.scored


def score_frame(
    df: pl.DataFrame,
    set: CompiledSet | str | Path,
    *,
    id_column: str | None = "id",
    keep: Sequence[str] = (),
    mapping: Mapping[str, str] | None = None,
    allow_draft: bool = False,
    allow_no_fields: bool = False,
) -> pl.DataFrame:
    """Score every row of ``df`` with an indicator set, with the columnar backend.

    ``df`` has one column per dictionary field (null = unknown), named by field id or renamed through
    ``mapping`` (field id → column). Raises :class:`~trafficscreen.errors.EncounterError` naming the
    first problem (row number, field; never the value) when any row does not fit the dictionary; the
    ``trafficscreen batch`` command instead writes such rows to a rejects file and scores the rest. A frame
    with no column for any field the set reads raises :class:`~trafficscreen.research.frames.CohortError`
    unless ``allow_no_fields`` is true (every answer would be unknown in every row).
    """
    return _score_all(CohortInput(df, mapping=mapping), set, id_column, keep, allow_draft, allow_no_fields)


class CohortInput:
    """A cohort to score: a plain table, checked anew for each set, or a packed file, checked once.

    Built from a DataFrame or a file path (Parquet, CSV, JSONL; a Parquet file written by
    :func:`.packed.write_packed` is recognised by its metadata). ``mapping`` renames input columns
    (field id → column) and applies to plain tables only: a packed file's columns are field ids already.
    """

    def __init__(self, source: pl.DataFrame | str | Path, *, mapping: Mapping[str, str] | None = None) -> None:
        from .frames import read_table
        from .packed import packed_layout

        self.mapping = dict(mapping) if mapping else None
        self.path: Path | None = None
        self.layout: dict[str, object] | None = None
        self._frame: pl.DataFrame | None = None
        if isinstance(source, pl.DataFrame):
            self._frame = source
            return
        self.path = Path(source)
        self.layout = packed_layout(self.path)
        if self.layout is None:
            self._frame = read_table(self.path)
        elif self.mapping:
            raise CohortError(
                "a packed cohort's columns are already field ids; a column mapping does not apply "
                "(give the mapping when packing)"
            )

    @property
    def packed(self) -> bool:
        return self.layout is not None

    @property
    def frame(self) -> pl.DataFrame:
        """The plain table (only for input that is not packed)."""
        if self._frame is None:
            raise CohortError("a packed cohort is read per set; it has no plain table")
        return self._frame

    @property
    def height(self) -> int:
        """How many rows the input holds."""
        if self._frame is not None:
            return self._frame.height
        assert self.path is not None
        return int(pl.scan_parquet(self.path).select(pl.len()).collect().item())

    def has_column(self, name: str | None) -> bool:
        if name is None:
            return False
        if self._frame is not None:
            return name in self._frame.columns
        assert self.path is not None
        return name in pl.read_parquet_schema(self.path)

    def columns(self) -> list[str]:
        """The input's column names (for a packed file: the field ids it holds and its other columns)."""
        if self._frame is not None:
            return list(self._frame.columns)
        assert self.layout is not None and self.path is not None
        fields = self.layout.get("fields")
        names = list(fields) if isinstance(fields, dict) else []
        return names + [c for c in pl.read_parquet_schema(self.path) if c not in names]

    @property
    def rows_rejected_when_packed(self) -> int:
        value = (self.layout or {}).get("rows_rejected", 0)
        return value if isinstance(value, int) else 0

    def checked(self, cs: CompiledSet, *, id_column: str | None = "id", keep: Sequence[str] = ()) -> CheckedFrame:
        """The rows as ``cs`` reads them, checked and encoded, with the rejected rows reported."""
        if self.path is not None and self.layout is not None:
            from .packed import read_packed

            return read_packed(self.path, cs, keep=keep, id_column=id_column)
        return check(self.frame, cs, id_column=id_column, keep=keep, mapping=self.mapping)

    def score(
        self,
        cs: CompiledSet,
        *,
        id_column: str | None = "id",
        keep: Sequence[str] = (),
        keep_row: bool = False,
        statuses: bool = True,
        progress: Callable[[int], None] | None = None,
    ) -> BatchResult:
        """Score every row that fits; rows that do not are reported in ``rejects``, never scored.

        ``progress`` is called with the number of rows done after each pass over a packed file.
        """
        if self.path is not None and self.layout is not None:
            from .packed import score_packed

            return score_packed(
                self.path, cs, keep=keep, id_column=id_column, keep_row=keep_row, statuses=statuses, progress=progress
            )
        checked = self.checked(cs, id_column=id_column, keep=keep)
        return BatchResult(
            score_checked(checked, cs, keep_row=keep_row, statuses=statuses),
            checked.rejects,
            checked.n_input,
            checked.missing_fields,
            checked.ignored_columns,
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


def score_in_chunks(
    df: pl.DataFrame,
    cs: CompiledSet,
    *,
    id_column: str | None = "id",
    keep: Sequence[str] = (),
    mapping: Mapping[str, str] | None = None,
    chunk_rows: int = 250_000,
    progress: Callable[[int], None] | None = None,
    statuses: bool = True,
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
        scored.append(score_checked(checked, cs, keep_row=not has_id, statuses=statuses))
        if checked.rejects.height:
            rejects.append(checked.rejects)
        if progress is not None:
            progress(min(start + chunk_rows, df.height))
    return BatchResult(
        pl.concat(scored) if scored else pl.DataFrame(),
        pl.concat(rejects) if rejects else empty_rejects(),
        df.height,
        missing,
        ignored,
    )
