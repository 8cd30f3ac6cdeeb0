"""Reading cohort files safely, shared by every engine; plain Python, no polars or DuckDB.

* :func:`scan_csv` walks a CSV file record by record: the header (refused when a column name repeats,
  exactly or but for case), the number of data rows, and the rows whose number of cells differs from
  the header's (reported with row and line number, never their cells).
* :func:`scan_jsonl` parses a JSON Lines file line by line: each line must be one JSON object.
* :func:`field_coverage` says how many of the fields a set reads an input supplies: none is an error
  unless allowed, fewer than :data:`LOW_SHARE` of them a warning.
* :func:`atomic_output` writes a file beside its target and renames it into place only on success, so
  an interrupted or failed run leaves an earlier file there as it was.

Messages name files, rows, lines, fields and columns; never a cell's value.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import os
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..content.mapping import column_name_problem
from ..errors import JSONInputError
from ..model.encounter import no_duplicate_keys

LOW_SHARE = 0.5
"""Below this share of the fields a set reads (or, for ``pack``, of the dictionary's fields) having a
column, the research commands print a warning: most answers would be unknown in every row."""

ROW_PROBLEM = "\x00row_problem"
"""Hidden column a reader adds when some rows cannot be read: the reason (null for a good row). The
checker rejects those rows with the reason; their cells are left empty."""

_MAX_REPORTED = 10_000  # rows with a structural problem kept with their reasons; the rest are counted


@dataclass
class RowProblem:
    row: int  # 1-based data row (the number the rejects report uses)
    line: int  # 1-based line of the file where the row starts
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class CsvShape:
    header: list[str]
    n_rows: int
    problems: list[RowProblem] = field(default_factory=list)
    records: list[list[str] | None] | None = None  # every data row (None: a bad row), when kept


class IntakeError(ValueError):
    """A file that cannot be read as a whole; the message names no data. Engines re-raise their own type."""


def _open_text(path: Path) -> Any:
    # surrogateescape: bytes that are not UTF-8 survive as lone surrogates, so one bad row is refused
    # alone instead of stopping the whole file
    return path.open("r", encoding="utf-8-sig", errors="surrogateescape", newline="")


def _has_bad_text(cells: Iterable[str]) -> bool:
    for c in cells:
        try:
            c.encode("utf-8")
        except UnicodeEncodeError:
            return True
        if "\x00" in c:
            return True
    return False


def scan_csv(path: str | Path, *, keep_records: bool = False) -> CsvShape:
    """The shape of a comma-separated file with a header line (see the module notes).

    Blank lines are skipped. With ``keep_records`` every data row is returned too (None for a bad row).
    Raises :class:`IntakeError` for a file without a header or with a duplicated column name.
    """
    p = Path(path)
    problems: list[RowProblem] = []
    records: list[list[str] | None] | None = [] if keep_records else None
    try:
        with _open_text(p) as fh:
            reader = csv.reader(fh, strict=True)
            header: list[str] | None = None
            n = 0
            line = 1
            for rec in _records(reader):
                start = line
                line = reader.line_num + 1
                if not rec:
                    continue  # a blank line
                if header is None:
                    if _has_bad_text(rec):
                        raise IntakeError("the header is not UTF-8 text")
                    header = rec
                    clash = column_name_problem(header)
                    if clash:
                        raise IntakeError(clash)
                    continue
                n += 1
                reason = None
                if isinstance(rec, _Broken):
                    reason = rec.reason
                elif len(rec) != len(header):
                    reason = f"{len(rec)} cell(s) where the header has {len(header)}"
                elif _has_bad_text(rec):
                    reason = "a cell that is not UTF-8 text"
                if reason is not None:
                    if len(problems) < _MAX_REPORTED:
                        problems.append(RowProblem(n, start, reason))
                    if records is not None:
                        records.append(None)
                elif records is not None:
                    records.append(list(rec))
    except OSError as exc:
        raise IntakeError(f"cannot be read ({exc.strerror or type(exc).__name__})") from None
    if header is None:
        raise IntakeError("no header line: the file is empty")
    return CsvShape(header, n, problems, records)


class _Broken(list[str]):
    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


def _records(reader: Any) -> Iterator[list[str]]:
    while True:
        try:
            rec = next(reader)
        except StopIteration:
            return
        except csv.Error:
            # a field larger than the csv module's limit, and the like: the row is refused alone
            yield _Broken("a cell the CSV reader cannot read (too large or malformed)")
            continue
        yield rec


# --- JSON Lines -----------------------------------------------------------------------------------


def _no_constants(name: str) -> float:
    return math.nan if name == "NaN" else math.inf if name == "Infinity" else -math.inf


def _parse_line(text: str) -> tuple[dict[str, Any] | None, str | None]:
    """One JSON Lines object, flattened (``answers`` unnested), or the reason it cannot be used."""
    try:
        value = json.loads(text, parse_constant=_no_constants, object_pairs_hook=no_duplicate_keys)
    except JSONInputError as exc:  # a key named twice: the same refusal as for one encounter
        return None, exc.message
    except (ValueError, RecursionError):
        return None, "not valid JSON"
    if not isinstance(value, dict):
        return None, "not a JSON object"
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, ValueError, RecursionError):
        return None, "text that is not valid Unicode"
    answers = value.get("answers")
    if isinstance(answers, dict):
        out = {k: v for k, v in value.items() if k != "answers"}
        for k, v in answers.items():
            if k in out:
                return None, f"field '{k[:60]}' is both inside 'answers' and beside it"
            out[k] = v
        return out, None
    return value, None


def scan_jsonl(
    path: str | Path, *, keep_records: bool = False
) -> tuple[int, list[RowProblem], list[dict[str, Any] | None]]:
    """Rows of a JSON Lines file: how many, those that are not one JSON object, and (with
    ``keep_records``) each row's object, None for a bad one. Blank lines are skipped."""
    p = Path(path)
    problems: list[RowProblem] = []
    records: list[dict[str, Any] | None] = []
    n = 0
    try:
        with p.open("rb") as fh:
            for line_no, raw in enumerate(fh, start=1):
                if not raw.strip():
                    continue
                n += 1
                obj: dict[str, Any] | None = None
                reason: str | None = "not UTF-8 text"
                with contextlib.suppress(UnicodeDecodeError):
                    obj, reason = _parse_line(raw.decode("utf-8"))
                if reason is not None:
                    if len(problems) < _MAX_REPORTED:
                        problems.append(RowProblem(n, line_no, reason))
                    obj = None
                if keep_records:
                    records.append(obj)
    except OSError as exc:
        raise IntakeError(f"cannot be read ({exc.strerror or type(exc).__name__})") from None
    return n, problems, records


def first_problems(problems: Sequence[RowProblem], n_bad: int | None = None) -> str:
    """One line about the rows that cannot be read: the first, and how many in all."""
    first = problems[0]
    total = n_bad if n_bad is not None else len(problems)
    more = f" (and {total - 1} more row(s))" if total > 1 else ""
    return f"row {first.row} ({first}){more}"


# --- how much of a set's input a cohort supplies ----------------------------------------------------


@dataclass
class Coverage:
    present: tuple[str, ...]
    wanted: tuple[str, ...]
    case_only: tuple[tuple[str, str], ...]  # (column, field) pairs that differ only in case

    @property
    def none(self) -> bool:
        return bool(self.wanted) and not self.present

    @property
    def low(self) -> bool:
        return bool(self.present) and len(self.present) < LOW_SHARE * len(self.wanted)


def field_coverage(columns: Iterable[str], wanted: Sequence[str], mapping: dict[str, str] | None = None) -> Coverage:
    """Which of the ``wanted`` fields an input with ``columns`` supplies (through ``mapping`` when given)."""
    cols = set(columns) - {ROW_PROBLEM}
    mapping = mapping or {}
    present = tuple(f for f in wanted if mapping.get(f, f) in cols)
    folded = {f.lower(): f for f in wanted if f not in present}
    case_only = tuple((c, folded[c.lower()]) for c in sorted(cols) if c.lower() in folded and c not in wanted)
    return Coverage(present, tuple(wanted), case_only)


def coverage_message(cov: Coverage, what: str, source: str) -> str | None:
    """The error (no field) or warning (few fields) text, or None. ``what``: e.g. "the set mini@1.0.0 reads"."""
    hint = ""
    if cov.case_only:
        col, f = cov.case_only[0]
        hint = f"; column '{col[:60]}' differs from field '{f}' only in case (names must match exactly)"
    if cov.none:
        return (
            f"{source}: none of the {len(cov.wanted)} field(s) {what} has a column in the input{hint}. "
            "Check the header (comma-separated, names as the dictionary spells them) or give --columns "
            "MAP.yaml; --allow-no-fields scores anyway, every answer unknown"
        )
    if cov.low:
        return (
            f"warning: {source}: only {len(cov.present)} of the {len(cov.wanted)} field(s) {what} have a "
            f"column in the input{hint}; the others are unknown in every row"
        )
    return None


# --- output written whole or not at all ----------------------------------------------------------------


def check_output_dir(path: str | Path) -> None:
    parent = Path(path).parent
    if not parent.is_dir():
        raise IntakeError("the output folder does not exist")


@contextlib.contextmanager
def atomic_output(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path`` (same suffix) to write to; renamed onto ``path`` when the block
    ends normally, removed when it raises (an interrupt included), so ``path`` is either the complete
    new file or whatever was there before."""
    target = Path(path)
    tmp = target.with_name(f".{target.stem}.{secrets.token_hex(4)}.partial{target.suffix}")
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        _remove(tmp)
        raise


def _remove(p: Path) -> None:
    with contextlib.suppress(OSError):
        if p.is_dir():
            import shutil

            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink()


def same_file(a: str | Path, b: str | Path) -> bool:
    """True when two paths name the same file (an existing one, or the same path to be)."""
    pa, pb = Path(a), Path(b)
    with contextlib.suppress(OSError):
        if pa.exists() and pb.exists():
            return os.path.samefile(pa, pb)
    return pa.resolve() == pb.resolve()
