"""Synthetic cohorts: random encounters for the fields a set reads, generated inside DuckDB.

For trying the batch paths, checking that every engine agrees, and benchmarks — never for research
conclusions: the answers are independent coin flips, nothing like real patients.

Every value is a hash of (seed, row, field), so a cohort is the same on every run and every machine
whatever the number of threads. Rows cycle through four shares of answered questions (30 %, 60 %, 90 %,
100 %), so the cohort holds both settled results and many unknowns. Unanswered questions are NULL;
a set-valued field answered "none of these" is an empty list.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.compiled import CompiledSet
from ..model.dictionary import FieldDef, FieldType

if TYPE_CHECKING:
    import duckdb
    from sqlglot import exp

KNOWN_PERMILLE = (300, 600, 900, 1000)
"""Share of answered questions (per thousand) in rows 0, 1, 2, 3 (mod 4)."""

YES_PERMILLE = (50, 150, 400)
"""Chance (per thousand) that a yes/no answer is yes, or a set holds a given value, cycling every four
rows, so both quiet and alarming encounters occur at every share of answered questions."""


def _row() -> exp.Expression:
    from sqlglot import exp

    return exp.Column(this=exp.to_identifier("i"))


def _h(seed: int, j: int, k: int | exp.Expression) -> exp.Expression:
    """hash(seed, row, field number, k): a deterministic pseudo-random UBIGINT per cell."""
    from sqlglot import exp

    kk = k if not isinstance(k, int) else exp.Literal.number(k)
    return exp.Anonymous(this="hash", expressions=[exp.Literal.number(seed), _row(), exp.Literal.number(j), kk])


def _mod(e: exp.Expression, n: int) -> exp.Expression:
    from sqlglot import exp

    return exp.Cast(this=exp.Mod(this=e, expression=exp.Literal.number(n)), to=exp.DataType.build("BIGINT"))


def _cycle(values: tuple[int, ...], step: int) -> exp.Expression:
    """``values[(i // step) % len(values)]``: a per-row rate that cycles through ``values``."""
    from sqlglot import exp

    lit = exp.Literal
    index = _mod(exp.IntDiv(this=_row(), expression=lit.number(step)), len(values))
    return _pick([lit.number(v) for v in values], index)


def _pick(items: Sequence[exp.Expression], index: exp.Expression) -> exp.Expression:
    """``items[index]`` with a 0-based ``index``, through DuckDB's 1-based ``list_extract``. (A bracket
    node would be re-based by the SQL generator for literal indexes only.)"""
    from sqlglot import exp

    one_based = exp.Add(this=exp.Literal.number(1), expression=index)
    return exp.Anonymous(this="list_extract", expressions=[exp.Array(expressions=list(items)), one_based])


def _value(fd: FieldDef, seed: int, j: int) -> exp.Expression:
    from sqlglot import exp

    lit = exp.Literal
    t = fd.type
    yes = _cycle(YES_PERMILLE, len(KNOWN_PERMILLE))
    if t is FieldType.BOOLEAN:
        return exp.LT(this=_mod(_h(seed, j, 1), 1000), expression=yes)
    if t in (FieldType.INTEGER, FieldType.NUMBER):
        lo = int(fd.min) if fd.min is not None else 0
        hi = int(fd.max) if fd.max is not None else 100
        if t is FieldType.INTEGER:
            draw = exp.Add(this=lit.number(lo), expression=_mod(_h(seed, j, 1), hi - lo + 1))
            return exp.Cast(this=draw, to=exp.DataType.build("BIGINT"))
        tenths = exp.Div(this=_mod(_h(seed, j, 1), (hi - lo) * 10 + 1), expression=lit.number("10.0"))
        return exp.Cast(this=exp.Add(this=lit.number(lo), expression=tenths), to=exp.DataType.build("DOUBLE"))
    codes = [lit.string(c) for c in sorted(fd.codes)]
    if t is FieldType.ENUM:
        return _pick(codes, _mod(_h(seed, j, 1), len(codes)))
    if t is FieldType.SET:
        c = exp.to_identifier("c")
        chosen = exp.LT(this=_mod(_h(seed, j, exp.Column(this=c.copy())), 1000), expression=yes)
        return exp.ArrayFilter(this=exp.Array(expressions=codes), expression=exp.Lambda(this=chosen, expressions=[c]))
    days = exp.Cast(this=_mod(_h(seed, j, 1), 9500), to=exp.DataType.build("INTEGER"))
    start = exp.Cast(this=lit.string("2000-01-01"), to=exp.DataType.build("DATE"))
    return exp.Add(this=start, expression=days)


def cohort_query(cs: CompiledSet, rows: int, seed: int = 0, *, json_lists: bool = False) -> exp.Select:
    """The DuckDB query generating ``rows`` encounters: ``id`` and one column per field the set reads.

    With ``json_lists``, set-valued fields are JSON text (``["a","b"]``), a CSV representation."""
    from sqlglot import exp

    if rows < 0:
        raise ValueError("rows must be zero or more")
    lit = exp.Literal
    known_rate = _cycle(KNOWN_PERMILLE, 1)
    cols: list[exp.Expression] = [exp.Alias(this=_row(), alias=exp.to_identifier("id", quoted=True))]
    for j, f in enumerate(cs.used_fields):
        fd = cs.dictionary.by_id[f]
        known = exp.LT(this=_mod(_h(seed, j, 0), 1000), expression=known_rate)
        value = _value(fd, seed, j)
        if json_lists and fd.type is FieldType.SET:
            value = exp.Cast(this=exp.Anonymous(this="to_json", expressions=[value]), to=exp.DataType.build("VARCHAR"))
        cols.append(exp.Alias(this=exp.Case().when(known, value), alias=exp.to_identifier(f, quoted=True)))
    series = exp.Anonymous(this="range", expressions=[lit.number(rows)])
    source = exp.Table(this=series, alias=exp.TableAlias(this=exp.to_identifier("t"), columns=[exp.to_identifier("i")]))
    return exp.Select(expressions=cols).from_(source)


def synthetic_cohort(
    indicator_set: CompiledSet,
    rows: int,
    path: str | Path,
    *,
    seed: int = 0,
    connection: duckdb.DuckDBPyConnection | None = None,
) -> Path:
    """Write ``rows`` synthetic encounters for ``indicator_set`` to a Parquet (or, by suffix, CSV) file."""
    import duckdb

    con = connection if connection is not None else duckdb.connect()
    out = Path(path)
    csv = out.name.lower().endswith(".csv")
    rel = con.sql(cohort_query(indicator_set, rows, seed, json_lists=csv).sql(dialect="duckdb"))
    if csv:
        rel.write_csv(str(out), header=True)
    else:
        rel.write_parquet(str(out))
    return out
