"""Cohort files in and out, column mapping, and checking every value against the data dictionary.

Formats are chosen by file extension: ``.parquet``, ``.csv``, ``.jsonl`` / ``.ndjson``. A JSONL line is
either flat (``{"id": ..., "<field>": value, ...}``) or an encounter (``{"id": ..., "answers": {...}}``).

Values are checked the way the single-record path checks an encounter, column by column instead of row
by row. A row with a value the dictionary does not allow — a wrong type, a choice that is not one of the
field's values, a number outside its bounds — is *rejected*: it is left out of scoring and reported with
its row number and a reason that names the field (and the input column when a mapping renamed it),
never the value. Null or empty cells are *unknown*, never *no*.

Text cells (CSV, or JSON values of mixed types) are read as follows: yes/no as ``true``/``false`` or
``1``/``0`` (any case); numbers in decimal notation; dates as ``YYYY-MM-DD``; a set of choices as its
values separated by ``|`` or ``,`` (optionally in brackets, e.g. ``["pay", "housing"]``), where ``[]``
is the empty set and an empty cell is unknown. Integer 0/1 columns are accepted as yes/no.

Checked columns are *encoded* for the columnar backend (:func:`.columnar.encoded_dtype`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from ..content.mapping import column_name_problem
from ..errors import CohortError as CohortError  # re-exported: its old home
from ..errors import Location
from ..model.dictionary import DataDictionary, FieldDef, FieldType
from .encoding import NO, YES, encoded_columns, encoded_dtype, uses_mask, value_codes
from .intake import ROW_PROBLEM, IntakeError, RowProblem, check_output_dir, scan_csv, scan_jsonl

FORMATS = {".parquet": "parquet", ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
ROW = "row"
"""Name of the 1-based input row number column that checked frames carry."""

_SENTINEL_CODE = 65535
_SENTINEL_BIT = 1 << 56
# only "[]" (spaces inside allowed) is the empty set, "none of these"; shared with the SQL engines
EMPTY_LIST_REASON = "a list of choices with no choice in it (write [] for none of these)"
_TRUE_WORDS = ("true", "1")
_FALSE_WORDS = ("false", "0")


def file_format(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    fmt = FORMATS.get(suffix)
    if fmt is None:
        raise CohortError(
            f"unsupported file type '{suffix or '(none)'}'; use .parquet, .csv or .jsonl", Location(str(path))
        )
    return fmt


def read_table(path: str | Path) -> pl.DataFrame:
    """Read a cohort file. Errors name the file and the format, never the data.

    A CSV row whose number of cells differs from the header's, and a JSON Lines line that is not one
    JSON object, do not stop the file: the row is kept empty, with its reason in the hidden column
    :data:`.intake.ROW_PROBLEM`, and :func:`check_frame` rejects it. A header that names a column
    twice (or two columns that differ only in case) refuses the file.
    """
    p = Path(path)
    fmt = file_format(p)
    if not p.exists():
        raise CohortError("no such file", Location(str(p)))
    if p.is_dir():
        raise CohortError("is a directory, not a file", Location(str(p)))
    try:
        if fmt == "parquet":
            df = pl.read_parquet(p)
        elif fmt == "csv":
            df = _read_csv(p)
        else:
            df = _read_jsonl(p)
    except IntakeError as exc:
        raise CohortError(str(exc), Location(str(p))) from None
    except (pl.exceptions.PolarsError, OSError, ValueError):
        # the library's message may quote the data; say only what failed
        raise CohortError(f"cannot be read as {fmt.upper()}", Location(str(p))) from None
    if "answers" in df.columns and isinstance(df.schema["answers"], pl.Struct):
        inner = [f.name for f in df.schema["answers"].fields]
        clash = [c for c in inner if c in df.columns]
        if clash:
            raise CohortError(f"field '{clash[0]}' is both inside 'answers' and beside it", Location(str(p)))
        df = df.unnest("answers")
    problem = column_name_problem(df.columns)
    if problem:
        raise CohortError(problem, Location(str(p)))
    return df


def _with_problems(df: pl.DataFrame, problems: Sequence[RowProblem], n_rows: int) -> pl.DataFrame:
    if not problems:
        return df
    reasons: list[str | None] = [None] * n_rows
    for pr in problems:
        reasons[pr.row - 1] = str(pr)
    return df.with_columns(pl.Series(ROW_PROBLEM, reasons, dtype=pl.String))


def _read_csv(p: Path) -> pl.DataFrame:
    shape = scan_csv(p)
    if not shape.problems:
        try:
            df = pl.read_csv(p, infer_schema=False)
        except (pl.exceptions.PolarsError, OSError, ValueError):
            df = None
        if df is not None and df.columns == shape.header and df.height == shape.n_rows:
            return df
    # rows the fast reader cannot take, or would read differently: build the table from the rows as
    # read above (bad rows empty, and rejected with their reason)
    shape = scan_csv(p, keep_records=True)
    assert shape.records is not None
    width = len(shape.header)
    data: list[list[str | None]] = [[] for _ in range(width)]
    for rec in shape.records:
        for j in range(width):
            data[j].append(rec[j] if rec is not None else None)
    df = pl.DataFrame(
        {name: pl.Series(name, col, dtype=pl.String) for name, col in zip(shape.header, data, strict=True)},
        height=shape.n_rows,
    )
    return _with_problems(df, shape.problems, shape.n_rows)


def _read_jsonl(p: Path) -> pl.DataFrame:
    # every line is first read strictly (a key named twice, which the fast reader takes silently with the
    # last value winning, rejects its row); the fast reader then builds the frame when every line is good
    _n, line_problems, _records = scan_jsonl(p)
    df = None
    if not line_problems:
        try:
            df = pl.read_ndjson(p, infer_schema_length=None)
        except (pl.exceptions.PolarsError, OSError, ValueError):
            df = None
    if df is not None:
        return df
    # a line the fast reader refuses (not JSON, not an object, NaN, values of mixed kinds): read line by line
    n, problems, records = scan_jsonl(p, keep_records=True)
    names: dict[str, None] = {}
    for r in records:
        if r is not None:
            names.update(dict.fromkeys(r))
    columns = {name: _json_column([r.get(name) if r is not None else None for r in records]) for name in names}
    df = pl.DataFrame(columns, height=n) if columns else pl.DataFrame(height=n)
    return _with_problems(df, problems, n)


_INT64 = (-(2**63), 2**63 - 1)


def _json_kind(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int" if _INT64[0] <= v <= _INT64[1] else "text"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "str"
    if isinstance(v, list) and all(isinstance(x, str) or x is None for x in v):
        return "list"
    return "text"


def _json_column(values: list[Any]) -> pl.Series:
    """One column of JSON values: typed when every value has one kind, else each value as text (JSON for
    objects), which the checks then refuse cell by cell like any text where a number or list belongs."""
    kinds = {_json_kind(v) for v in values if v is not None}
    if kinds <= {"int", "float"} and "float" in kinds:
        return pl.Series([float(v) if v is not None else None for v in values], dtype=pl.Float64)
    if len(kinds) == 1:
        kind = next(iter(kinds))
        dtype = {
            "bool": pl.Boolean(),
            "int": pl.Int64(),
            "float": pl.Float64(),
            "str": pl.String(),
            "list": pl.List(pl.String()),
        }.get(kind)
        if dtype is not None:
            return pl.Series(values, dtype=dtype)
    if not kinds:
        return pl.Series(values, dtype=pl.Null)
    return pl.Series([None if v is None else v if isinstance(v, str) else _as_text(v) for v in values], dtype=pl.String)


def _as_text(v: Any) -> str:
    try:
        return json.dumps(v, allow_nan=True)
    except (ValueError, RecursionError):
        return "?"


def write_table(df: pl.DataFrame, path: str | Path) -> None:
    """Write ``df`` to ``path`` whole or not at all: to a temporary file beside it, renamed into place
    when complete, so an interrupted or failed write leaves an earlier file there as it was."""
    from .intake import atomic_output

    fmt = file_format(path)
    try:
        check_output_dir(path)
    except IntakeError as exc:
        raise CohortError(str(exc), Location(str(path))) from None
    with atomic_output(path) as tmp:
        _write(df, tmp, fmt)


def _write(df: pl.DataFrame, p: Path, fmt: str) -> None:
    if fmt == "parquet":
        df.write_parquet(p)
    elif fmt == "csv":
        # a set of choices is written as its values joined by "|", the empty set as "[]"
        lists = [c for c, t in df.schema.items() if isinstance(t, pl.List)]
        if lists:
            df = df.with_columns(
                [
                    pl.when(pl.col(c).list.len() == 0)
                    .then(pl.lit("[]"))
                    .otherwise(pl.col(c).cast(pl.List(pl.String)).list.join("|"))
                    .alias(c)
                    for c in lists
                ]
            )
        df.write_csv(p)
    else:
        df.write_ndjson(p)


def read_mapping(path: str | Path) -> dict[str, str]:
    """Read a column mapping (YAML: field id → input column); see :mod:`trafficscreen.content.mapping`."""
    from ..content.mapping import load_mapping

    return dict(load_mapping(path).columns)


def apply_mapping(
    df: pl.DataFrame, mapping: Mapping[str, str], dictionary: DataDictionary, id_field: str = "id"
) -> tuple[pl.DataFrame, dict[str, str]]:
    """Rename mapped input columns to field ids. Returns the frame and field → original column name."""
    renamed: dict[str, str] = {}
    for fid, column in mapping.items():
        if fid != id_field and fid not in dictionary.by_id:
            import difflib

            hint = difflib.get_close_matches(fid, list(dictionary.by_id), n=1)
            extra = f" (did you mean '{hint[0]}'?)" if hint else ""
            raise CohortError(f"the column mapping names '{fid}', which is not a field of {dictionary.ref}{extra}")
        if column not in df.columns:
            raise CohortError(f"the column mapping maps field '{fid}' to column '{column}', which the input lacks")
        renamed[fid] = column
    if not renamed:
        return df, {}
    # a mapped field replaces any same-named column; every other column keeps its name
    sources = set(renamed.values())
    keep = [c for c in df.columns if c not in sources and c not in renamed]
    df = df.select(*[pl.col(c) for c in keep], *[pl.col(col).alias(fid) for fid, col in renamed.items()])
    return df, {fid: col for fid, col in renamed.items() if fid != col}


# --- converting and checking columns --------------------------------------------------------------


def _kind(dtype: Any) -> str:
    if dtype == pl.Boolean:
        return "true/false"
    if dtype.is_integer():
        return "a whole number"
    if dtype.is_float():
        return "a number"
    if dtype == pl.String or isinstance(dtype, (pl.Categorical, pl.Enum)):
        return "text"
    if isinstance(dtype, (pl.List, pl.Array)):
        return "a list"
    if isinstance(dtype, pl.Struct):
        return "an object"
    return str(dtype)


@dataclass
class _Column:
    """An encoded column and the checks that reject a row, each a (condition, reason) pair."""

    value: pl.Expr
    problems: list[tuple[pl.Expr, str]] = field(default_factory=list)
    length: pl.Expr | None = None  # list length of a set encoded as a mask


def _text(col: pl.Expr) -> pl.Expr:
    """Text cell with surrounding spaces removed and the empty cell as unknown."""
    t = col.str.strip_chars()
    return pl.when(t != "").then(t)


def _convert(fd: FieldDef, dtype: pl.DataType) -> _Column:
    col = pl.col(fd.id)
    t = fd.type
    if dtype == pl.Null:
        return _Column(pl.lit(None, dtype=encoded_dtype(fd)))
    if t is FieldType.SET:
        items = _set_items(fd, dtype)
        if items is None:
            inner = f" holding {_kind(dtype.inner)}" if isinstance(dtype, (pl.List, pl.Array)) else ""
            what = f"a list{inner}" if inner else _kind(dtype)
            return _Column(
                pl.lit(None, dtype=pl.UInt64 if uses_mask(fd) else pl.List(pl.String)),
                [(col.is_not_null(), f"expected a list of choices as text, got {what}")],
            )
        out = _set(fd, items)
        if dtype == pl.String or isinstance(dtype, (pl.Categorical, pl.Enum)):
            # only brackets stand for the empty set; a cell of separators or quotes alone is no answer
            text = _text(col.cast(pl.String))
            empty_set = text.str.replace_all(" ", "", literal=True) == "[]"
            out.problems.insert(0, (text.is_not_null() & ~empty_set & (items.list.len() == 0), EMPTY_LIST_REASON))
        return out
    if isinstance(dtype, (pl.Categorical, pl.Enum)):
        col, dtype = col.cast(pl.String), pl.String()
    if t is FieldType.BOOLEAN:
        if dtype == pl.Boolean:
            return _Column(col)
        if dtype.is_numeric():
            # compared, not looked up in a list: a float column (0.0, 1.0) cannot be looked up in integers
            return _Column(col == 1, [((col != 0) & (col != 1), "expected true or false, got a number")])
        if dtype == pl.String:
            word = _text(col).str.to_lowercase()
            value = pl.when(word.is_in(list(_TRUE_WORDS))).then(True).when(word.is_in(list(_FALSE_WORDS))).then(False)
            return _Column(value, [(word.is_not_null() & value.is_null(), "expected true or false, got text")])
        return _Column(
            pl.lit(None, dtype=pl.Boolean), [(col.is_not_null(), f"expected true or false, got {_kind(dtype)}")]
        )
    if t in (FieldType.INTEGER, FieldType.NUMBER):
        return _number(fd, col, dtype)
    if t is FieldType.ENUM:
        choices = ", ".join(sorted(fd.codes))
        if dtype != pl.String:
            return _Column(
                pl.lit(None, dtype=pl.UInt16),
                [(col.is_not_null(), f"expected one of its choices as text, got {_kind(dtype)}")],
            )
        codes = list(value_codes(fd))
        code: pl.Expr = pl.when(col != "").then(
            col.replace_strict(codes, list(range(len(codes))), default=_SENTINEL_CODE, return_dtype=pl.UInt16)
        )
        return _Column(code, [(code == _SENTINEL_CODE, f"the answer is not one of its choices ({choices})")])
    # dates
    if dtype == pl.Date:
        return _Column(col)
    if isinstance(dtype, pl.Datetime):
        return _Column(col.dt.date())
    if dtype == pl.String:
        text = _text(col)
        day = text.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
        return _Column(day, [(text.is_not_null() & day.is_null(), "expected a date written YYYY-MM-DD")])
    return _Column(
        pl.lit(None, dtype=pl.Date), [(col.is_not_null(), f"expected a date as text (YYYY-MM-DD), got {_kind(dtype)}")]
    )


def _number(fd: FieldDef, col: pl.Expr, dtype: pl.DataType) -> _Column:
    integer = fd.type is FieldType.INTEGER
    target = pl.Int64 if integer else pl.Float64
    problems: list[tuple[pl.Expr, str]] = []
    if dtype == pl.Boolean or not (dtype.is_numeric() or dtype == pl.String):
        return _Column(pl.lit(None, dtype=target), [(col.is_not_null(), f"expected a number, got {_kind(dtype)}")])
    if dtype == pl.String:
        text = _text(col)
        number = text.str.replace("^\\+", "").cast(pl.Float64, strict=False)
        problems.append((text.is_not_null() & number.is_null(), "expected a number, got text"))
        if integer:
            exact = text.cast(pl.Int64, strict=False)  # keeps whole numbers beyond 2**53 exact
            source = pl.coalesce(exact.cast(pl.Float64), number)
        else:
            source = number
        float_source = True
    else:
        source = col
        exact = None
        float_source = dtype.is_float()
    finite: pl.Expr = pl.lit(True)
    if float_source:
        problems.append((source.is_nan() | source.is_infinite(), "expected a finite number"))
        # NaN and infinities get that reason alone, never "a fraction" or "out of range" too
        finite = source.is_finite()
        if integer:
            problems.append((finite & (source != source.floor()), "expected a whole number, got a fraction"))
    if fd.min is not None:
        problems.append((finite & (source < fd.min), f"below the smallest allowed value ({fd.min:g})"))
    if fd.max is not None:
        problems.append((finite & (source > fd.max), f"above the largest allowed value ({fd.max:g})"))
    if integer and exact is not None:
        value = pl.coalesce(exact, source.cast(pl.Int64, strict=False))
    else:
        value = source.cast(target, strict=False)
    return _Column(value, problems)


def _set(fd: FieldDef, items: pl.Expr) -> _Column:
    choices = ", ".join(sorted(fd.codes))
    codes = list(value_codes(fd))
    reason = f"the list holds an answer that is not one of its choices ({choices})"
    if not uses_mask(fd):
        ok = items.list.eval(pl.element().is_in(codes) & pl.element().is_not_null()).list.all()
        return _Column(items.list.unique(maintain_order=True), [(~ok, reason)])
    # one bit per value; an unknown value adds a bit far above them. The sum equals the bitwise OR
    # when no value repeats, which holds exactly when the number of bits set equals the list length;
    # the rare rows where it does not are worked out exactly in _exact_sets.
    mask = items.list.eval(
        pl.element().replace_strict(
            codes, [1 << i for i in range(len(codes))], default=_SENTINEL_BIT, return_dtype=pl.UInt64
        )
    ).list.sum()
    return _Column(mask, [(mask >= _SENTINEL_BIT, reason)], items.list.len().cast(pl.UInt32))


@dataclass
class CheckedFrame:
    """The rows that fit the dictionary, encoded; and one line per problem in the rows that do not."""

    frame: pl.DataFrame  # ROW, kept columns, encoded field columns
    rejects: pl.DataFrame  # row, field, reason
    n_input: int
    missing_fields: tuple[str, ...]  # fields the set reads that no column supplies (unknown throughout)
    ignored_columns: tuple[str, ...]  # input columns that are neither fields nor kept
    dictionary: DataDictionary

    @property
    def n_rejected(self) -> int:
        return self.rejects.get_column(ROW).n_unique() if self.rejects.height else 0

    def answers(self) -> pl.DataFrame:
        """The checked rows with one column per field again (null = unknown), for reading and tests."""
        out: list[pl.Expr] = []
        done: set[str] = set()
        for c in self.frame.columns:
            fid = c.removesuffix(YES).removesuffix(NO)
            fd = self.dictionary.by_id.get(fid)
            if fd is not None and fd.type is FieldType.BOOLEAN and c != fid:
                if fid not in done:
                    done.add(fid)
                    out.append(pl.when(pl.col(fid + YES)).then(True).when(pl.col(fid + NO)).then(False).alias(fid))
            else:
                out.append(pl.col(c))
        return self.frame.select(out)


def empty_rejects() -> pl.DataFrame:
    return pl.DataFrame(schema={ROW: pl.UInt64, "field": pl.String, "reason": pl.String})


def check_frame(
    df: pl.DataFrame,
    dictionary: DataDictionary,
    used_fields: Sequence[str],
    *,
    keep: Sequence[str] = (),
    renamed: Mapping[str, str] | None = None,
    row_offset: int = 0,
) -> CheckedFrame:
    """Check and encode ``df`` (columns already named by field id; see :func:`apply_mapping`).

    Every dictionary field present is checked (as the single-record path checks every answer); only
    ``used_fields`` are encoded. ``keep`` columns pass through unchanged. Row numbers count from
    ``row_offset + 1``.
    """
    renamed = dict(renamed or {})
    encoded_names = {c: f for f in used_fields if f in dictionary.by_id for c in encoded_columns(dictionary.by_id[f])}
    for k in keep:
        if k not in df.columns:
            raise CohortError(f"column '{k}' is not in the input")
        if (k in encoded_names and k != encoded_names[k]) or k == ROW:
            raise CohortError(
                f"column '{k}' has the name of a column the encoding uses (for field "
                f"'{encoded_names.get(k, ROW)}'); rename it"
            )
    keep = [k for k in keep if k != ROW_PROBLEM]
    unreadable = ROW_PROBLEM in df.columns
    present = [f for f in dictionary.by_id if f in df.columns and f not in keep]
    converted = {f: _convert(dictionary.by_id[f], df.schema[f]) for f in present}
    n = df.height
    row = pl.int_range(row_offset + 1, row_offset + n + 1, dtype=pl.UInt64).alias(ROW)

    reasons: list[tuple[str, str]] = []  # (field, reason) by problem code - 1
    codes: list[pl.Expr] = []
    for f, conv in converted.items():
        chain: Any = None
        for cond, why in conv.problems:
            reasons.append((f, why))
            code = pl.lit(len(reasons), dtype=pl.UInt16)
            chain = pl.when(cond).then(code) if chain is None else chain.when(cond).then(code)
        if chain is not None:
            codes.append(chain.alias(f"\x00p{len(codes)}"))

    # lazily, so that a value and the checks on it are computed once (common subexpressions)
    encoded = (
        df.lazy()
        .select(
            row,
            *[pl.col(k) for k in keep],
            *[e for f in used_fields if f in converted for e in encode(dictionary.by_id[f], converted[f].value)],
            *[c.length.alias(_length(f)) for f, c in converted.items() if f in used_fields and c.length is not None],
            *codes,
            *([pl.col(ROW_PROBLEM)] if unreadable else []),
        )
        .collect()
    )
    rows_unread = empty_rejects()
    if unreadable:
        # rows a reader could not take (a ragged CSV row, a line that is not a JSON object): their cells
        # are empty, so no other check fires on them
        unread = encoded.get_column(ROW_PROBLEM).is_not_null()
        rows_unread = encoded.filter(unread).select(
            ROW, pl.lit(None, dtype=pl.String).alias("field"), pl.col(ROW_PROBLEM).alias("reason")
        )
        encoded = encoded.drop(ROW_PROBLEM)
    sets = [f for f in used_fields if f in converted and converted[f].length is not None]
    encoded, set_rejects = _exact_sets(encoded, df, dictionary, sets, renamed)
    problem_cols = [c for c in encoded.columns if c.startswith("\x00p")]
    rejects = empty_rejects()
    if problem_cols:
        bad = pl.any_horizontal([pl.col(c).is_not_null() for c in problem_cols])
        flagged = encoded.filter(bad).select(ROW, *problem_cols)
        if flagged.height:
            long = flagged.unpivot(index=ROW, on=problem_cols, value_name="code").drop_nulls("code").select(ROW, "code")
            labels = pl.DataFrame(
                {
                    "code": list(range(1, len(reasons) + 1)),
                    "field": [f for f, _ in reasons],
                    "reason": [_reason(f, why, renamed) for f, why in reasons],
                },
                schema={"code": pl.UInt16, "field": pl.String, "reason": pl.String},
            )
            rejects = long.join(labels, on="code").select(ROW, "field", "reason")
        encoded = encoded.filter(~bad).drop(problem_cols)
    if rows_unread.height:
        rejects = pl.concat([rejects, rows_unread])
        encoded = encoded.filter(~pl.col(ROW).is_in(rows_unread.get_column(ROW).implode()))
    if set_rejects.height:
        rejects = pl.concat([rejects, set_rejects])
        encoded = encoded.filter(~pl.col(ROW).is_in(set_rejects.get_column(ROW).implode()))
    if rejects.height:
        rejects = rejects.sort(ROW, "field", maintain_order=True)
    # choices and sets were worked out in wide integers (room for the marks of bad values); every row
    # left is good, so they fit the narrow encoded type
    narrow = [
        pl.col(f).cast(encoded_dtype(dictionary.by_id[f]))
        for f in used_fields
        if f in converted and (dictionary.by_id[f].type is FieldType.ENUM or uses_mask(dictionary.by_id[f]))
    ]
    if narrow:
        encoded = encoded.with_columns(narrow)
    missing = tuple(f for f in used_fields if f not in df.columns)
    ignored = tuple(c for c in df.columns if c not in dictionary.by_id and c not in keep and c != ROW_PROBLEM)
    return CheckedFrame(encoded, rejects, n, missing, ignored, dictionary)


def encode(fd: FieldDef, value: pl.Expr) -> list[pl.Expr]:
    """A field's checked values (null = unknown) as its encoded columns (:func:`.columnar.encoded_columns`)."""
    if fd.type is FieldType.BOOLEAN:
        return [value.fill_null(False).alias(fd.id + YES), (~value).fill_null(False).alias(fd.id + NO)]
    return [value.alias(fd.id)]


def _reason(f: str, why: str, renamed: Mapping[str, str]) -> str:
    column = renamed.get(f)
    where = f"field '{f}' (column '{column}')" if column else f"field '{f}'"
    return f"{where}: {why}"


def _exact_sets(
    encoded: pl.DataFrame,
    raw: pl.DataFrame,
    dictionary: DataDictionary,
    sets: Sequence[str],
    renamed: Mapping[str, str],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Work out set masks exactly on the rare rows whose list repeats a value or holds an empty item.

    ``encoded`` still lines up row for row with ``raw`` and carries each set's list length.
    """
    rejects = empty_rejects()
    problem_rows: list[pl.DataFrame] = []
    for f in sets:
        fd = dictionary.by_id[f]
        mask = encoded.get_column(f)
        lengths = encoded.get_column(_length(f))
        odd = mask.is_not_null() & (mask < _SENTINEL_BIT) & (mask.bitwise_count_ones().cast(pl.UInt32) != lengths)
        if not odd.any():
            continue
        idx = odd.arg_true()
        items = _set_items(fd, raw.schema[f])
        assert items is not None
        sub = raw.select(items.alias("items")).get_column("items").gather(idx)
        codes = list(value_codes(fd))
        fixed = (
            sub.list.unique()
            .list.eval(
                pl.element().replace_strict(
                    codes, [1 << i for i in range(len(codes))], default=0, return_dtype=pl.UInt64
                )
            )
            .list.sum()
        )
        encoded = encoded.with_columns(mask.scatter(idx, fixed).alias(f))
        has_null = sub.list.eval(pl.element().is_null()).list.any()
        bad_rows = encoded.get_column(ROW).gather(idx).filter(has_null)
        if bad_rows.len():
            problem_rows.append(
                pl.DataFrame(
                    {
                        ROW: bad_rows,
                        "field": [f] * bad_rows.len(),
                        "reason": [_reason(f, "the list holds an empty item", renamed)] * bad_rows.len(),
                    },
                    schema=rejects.schema,
                )
            )
    if problem_rows:
        rejects = pl.concat(problem_rows)
    return encoded.drop([_length(f) for f in sets]), rejects


def _length(f: str) -> str:
    return f"\x00n{f}"


def _set_items(fd: FieldDef, dtype: pl.DataType) -> pl.Expr | None:
    """The list of value codes in a set column (text cells split into items), or None for other types."""
    col = pl.col(fd.id)
    if isinstance(dtype, (pl.Categorical, pl.Enum)):
        col, dtype = col.cast(pl.String), pl.String()
    if dtype == pl.String:
        return (
            _text(col)
            .str.strip_chars("[] ")
            .str.replace_all("[\"']", "")
            .str.replace_all(",", "|")
            .str.split("|")
            .list.eval(pl.element().str.strip_chars())
            .list.filter(pl.element() != "")
        )
    if isinstance(dtype, (pl.List, pl.Array)) and (
        dtype.inner in (pl.String, pl.Null) or isinstance(dtype.inner, (pl.Categorical, pl.Enum))
    ):
        return col.cast(pl.List(pl.String))
    return None
