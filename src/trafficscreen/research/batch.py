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

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import polars as pl

from .._deprecation import renamed_keyword
from ..content.loader import resolve_set
from ..core.compiled import CompiledSet
from ..errors import CohortError
from .frames import ROW, CheckedFrame, empty_rejects
from .scoring import SYNTHETIC as SYNTHETIC  # re-exported: callers import these from here
from .scoring import BatchResult, check, score_checked
from .scoring import columnar as columnar
from .scoring import scoring_plan as scoring_plan


@renamed_keyword("set", "indicator_set")
def score_file(
    path: str | Path,
    indicator_set: CompiledSet | str | Path,
    *,
    id_column: str | None = "id",
    keep: Sequence[str] = (),
    mapping: Mapping[str, str] | None = None,
    allow_draft: bool = False,
    allow_no_fields: bool = False,
) -> pl.DataFrame:
    """Score a cohort file, plain or packed (see :mod:`.packed`), as :func:`score_frame` scores a frame.
    ``set=`` is the deprecated name of ``indicator_set=``."""
    cohort = CohortInput(path, mapping=mapping)
    return _score_all(cohort, indicator_set, id_column, keep, allow_draft, allow_no_fields)


def _score_all(
    cohort: CohortInput,
    indicator_set: CompiledSet | str | Path,
    id_column: str | None,
    keep: Sequence[str],
    allow_draft: bool,
    allow_no_fields: bool = False,
) -> pl.DataFrame:
    """Every row scored, or an error naming the first row that does not fit."""
    from .intake import field_coverage

    cs = resolve_set(indicator_set, allow_draft=allow_draft)  # the one draft policy
    if not allow_no_fields and field_coverage(cohort.columns(), list(cs.used_fields), cohort.mapping).none:
        # every answer would be unknown in every row: almost always a wrong header or a forgotten mapping
        raise CohortError(
            f"none of the {len(cs.used_fields)} field(s) {cs.ref} reads has a column in the input; "
            "check the column names or the mapping, or pass allow_no_fields=True"
        )
    result = cohort.score(cs, id_column=id_column, keep=keep)
    if result.rejects.height:
        first = result.rejects.row(0, named=True)
        raise CohortError(
            f"{result.n_rejected} row(s) do not fit {cs.dictionary.ref}; first: row {first[ROW]}, {first['reason']}"
        )
    return result.scored


@renamed_keyword("set", "indicator_set")
def score_frame(
    df: pl.DataFrame,
    indicator_set: CompiledSet | str | Path,
    *,
    id_column: str | None = "id",
    keep: Sequence[str] = (),
    mapping: Mapping[str, str] | None = None,
    allow_draft: bool = False,
    allow_no_fields: bool = False,
) -> pl.DataFrame:
    """Score every row of ``df`` with an indicator set, with the columnar backend.

    ``df`` has one column per dictionary field (null = unknown), named by field id or renamed through
    ``mapping`` (field id → column). Raises :class:`~trafficscreen.errors.CohortError` (an
    ``EncounterError``) naming the first problem (row number, field; never the value) when any row does
    not fit the dictionary; the ``trafficscreen batch`` command instead writes such rows to a rejects file
    and scores the rest. A frame with no column for any field the set reads raises ``CohortError`` too
    unless ``allow_no_fields`` is true (every answer would be unknown in every row). A set that is not
    active is refused unless ``allow_draft`` is true. ``set=`` is the deprecated name of ``indicator_set=``.
    """
    cohort = CohortInput(df, mapping=mapping)
    return _score_all(cohort, indicator_set, id_column, keep, allow_draft, allow_no_fields)


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
