"""How an engine reads each dictionary field from an input table, and the checks that keep bad input
from turning into a silent "no".

The scoring query itself trusts its input: it compares values and looks codes up. The engines
(:mod:`.duck`, :mod:`.spark`) first look at the input's schema, decide for every field the set reads
how to get its value (the column as it is; a conversion from text, for CSV; a typed NULL where the
column is absent, which is *unknown*), and run one aggregate query counting the rows that break the
data dictionary — a choice outside the field's values, a fraction in a whole-number field, a number out
of range, text that is not a date. Any such row stops the run with an error that names the field, the
column and the number of rows, never a value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from ..compiled import CompiledSet
from ..errors import EncounterError, Location
from ..model.dictionary import FieldDef, FieldType
from .compiler import _and, _col, _ident, _not, _not_null, _num, _or, sql_type
from .mapping import ColumnMapping

if TYPE_CHECKING:
    from sqlglot import exp


class Family(Enum):
    """What kind of values an input column holds, whatever the engine calls its type."""

    BOOL = "true/false"
    INT = "whole number"
    FLOAT = "floating-point number"
    DECIMAL = "decimal number"
    STRING = "text"
    DATE = "date"
    STRING_LIST = "list of text"
    NULL = "empty (every row null)"
    OTHER = "other"


_ACCEPTS: dict[FieldType, tuple[Family, ...]] = {
    FieldType.BOOLEAN: (Family.BOOL,),
    FieldType.INTEGER: (Family.INT, Family.FLOAT, Family.DECIMAL),
    FieldType.NUMBER: (Family.INT, Family.FLOAT, Family.DECIMAL),
    FieldType.ENUM: (Family.STRING,),
    FieldType.SET: (Family.STRING_LIST,),
    FieldType.DATE: (Family.DATE,),
}
_WANTED = {
    FieldType.BOOLEAN: "a BOOLEAN column",
    FieldType.INTEGER: "an integer column",
    FieldType.NUMBER: "a numeric column",
    FieldType.ENUM: "a text column holding one of the field's codes",
    FieldType.SET: "a list/array of text holding the field's codes",
    FieldType.DATE: "a DATE column",
}
_READ_AS = {
    FieldType.BOOLEAN: "true/false",
    FieldType.INTEGER: "a number",
    FieldType.NUMBER: "a number",
    FieldType.ENUM: "text",
    FieldType.SET: "a JSON list of codes",
    FieldType.DATE: "a date (YYYY-MM-DD)",
}


@dataclass
class FieldInput:
    """How one field is read: the SQL expression of its value, and checks on it."""

    field: str
    column: str | None  # None: not in the input, read as unknown
    expr: exp.Expression
    checks: list[tuple[str, exp.Expression]] = field(default_factory=list)  # (problem, true on a bad row)


@dataclass
class InputPlan:
    fields: dict[str, FieldInput]
    keep: tuple[str, ...]
    absent: tuple[str, ...]  # fields the set reads that the input lacks: unknown in every row

    def expressions(self) -> dict[str, exp.Expression]:
        return {f: fi.expr for f, fi in self.fields.items()}

    def checks(self) -> list[tuple[str, str | None, str, exp.Expression]]:
        return [(fi.field, fi.column, problem, cond) for fi in self.fields.values() for problem, cond in fi.checks]


def _find(columns: Sequence[str], name: str) -> str | None:
    if name in columns:
        return name
    folded = [c for c in columns if c.lower() == name.lower()]
    return folded[0] if len(folded) == 1 else None


def plan_inputs(
    cs: CompiledSet,
    schema: Mapping[str, Family],
    mapping: ColumnMapping,
    dialect: str,
    source: str,
    keep: Sequence[str] | None,
    default_keep: Sequence[str] = ("id",),
) -> InputPlan:
    """Decide how ``dialect`` (duckdb or spark) reads every field ``cs`` reads from a table with ``schema``
    (column → family). Raises :class:`EncounterError` for a column of the wrong kind."""
    from sqlglot import exp

    mapping.check(cs.dictionary)
    columns = list(schema)
    where = Location(source)
    fields: dict[str, FieldInput] = {}
    absent: list[str] = []
    for f in cs.used_fields:
        fd = cs.dictionary.by_id[f]
        wanted = mapping.column(f)
        col = _find(columns, wanted)
        if col is None:
            if f in mapping.columns:
                raise EncounterError(f"the mapping reads field '{f}' from column '{wanted}', which the input lacks",
                                     where)
            absent.append(f)
            fields[f] = FieldInput(f, None, exp.Cast(this=exp.Null(), to=sql_type(fd.type, dialect)))
            continue
        fields[f] = _read(fd, col, schema[col], dialect, where)
    for fi in fields.values():
        if fi.column is not None:
            fi.checks.extend(_value_checks(cs.dictionary.by_id[fi.field], fi, schema[fi.column], dialect))
    if keep is None:
        keep = [c for c in (_find(columns, k) for k in default_keep) if c is not None]
    else:
        for k in keep:
            if k not in columns:
                raise EncounterError(f"column '{k}' to keep is not in the input", where)
    return InputPlan(fields, tuple(keep), tuple(absent))


def _read(fd: FieldDef, col: str, family: Family, dialect: str, where: Location) -> FieldInput:
    from sqlglot import exp

    c = _col(col)
    if family is Family.NULL:
        return FieldInput(fd.id, col, exp.Cast(this=c, to=sql_type(fd.type, dialect)))
    if family in _ACCEPTS[fd.type]:
        return FieldInput(fd.id, col, c)
    if family is Family.STRING:
        # text input (CSV): convert, and count the cells that do not convert
        if fd.type is FieldType.SET:
            if dialect == "duckdb":
                conv: exp.Expression = exp.TryCast(this=c, to=exp.DataType.build("ARRAY<VARCHAR>"), safe=True)
            else:
                conv = exp.Anonymous(this="from_json", expressions=[c, exp.Literal.string("array<string>")])
        else:
            target = {FieldType.INTEGER: "DOUBLE", FieldType.NUMBER: "DOUBLE"}.get(fd.type)
            to = exp.DataType.build(target) if target else sql_type(fd.type, dialect)
            conv = exp.TryCast(this=c, to=to, safe=True)
        bad = _and(_not_null(c), exp.Is(this=conv, expression=exp.Null()))
        return FieldInput(fd.id, col, conv, [(f"could not be read as {_READ_AS[fd.type]}", bad)])
    raise EncounterError(
        f"column '{col}' for field '{fd.id}' holds {family.value} values; the field needs {_WANTED[fd.type]}",
        where,
    )


def _value_checks(fd: FieldDef, fi: FieldInput, family: Family, dialect: str) -> list[tuple[str, exp.Expression]]:
    """Conditions true on a row whose value breaks the dictionary (NULL values never do)."""
    from sqlglot import exp

    v = fi.expr
    known = _not_null(v)
    out: list[tuple[str, exp.Expression]] = []
    codes = [exp.Literal.string(c) for c in sorted(fd.codes)]
    if fd.type is FieldType.ENUM:
        out.append(("hold a value that is not one of its choices",
                    _and(known, _not(exp.In(this=v, expressions=codes)))))
    elif fd.type is FieldType.SET:
        x = exp.to_identifier("x")
        stray = _or(exp.Is(this=exp.Column(this=x.copy()), expression=exp.Null()),
                    _not(exp.In(this=exp.Column(this=x.copy()), expressions=codes)))
        size = exp.ArraySize(this=exp.ArrayFilter(this=v, expression=exp.Lambda(this=stray, expressions=[x])))
        out.append(("hold a list with an item that is not one of its choices",
                    _and(known, exp.GT(this=size, expression=_num(0)))))
    elif fd.type in (FieldType.INTEGER, FieldType.NUMBER):
        fractional = family in (Family.FLOAT, Family.DECIMAL, Family.STRING)
        if family in (Family.FLOAT, Family.STRING):
            out.append(("hold a value that is not a finite number",
                        _and(known, _or(exp.IsNan(this=v), exp.EQ(this=exp.Abs(this=v), expression=_infinity())))))
        if fd.type is FieldType.INTEGER and fractional:
            out.append(("hold a fraction where a whole number is expected",
                        _and(known, exp.NEQ(this=v, expression=exp.Floor(this=v)))))
        if fd.min is not None:
            out.append((f"hold a value below the smallest allowed ({fd.min:g})",
                        _and(known, exp.LT(this=v, expression=_num(fd.min)))))
        if fd.max is not None:
            out.append((f"hold a value above the largest allowed ({fd.max:g})",
                        _and(known, exp.GT(this=v, expression=_num(fd.max)))))
    return out


def _infinity() -> exp.Expression:
    from sqlglot import exp

    return exp.Cast(this=exp.Literal.string("Infinity"), to=exp.DataType.build("DOUBLE"))


def check_query(plan: InputPlan, table: str) -> exp.Select | None:
    """One aggregate row: for each check, the number of rows that fail it. None when nothing to check."""
    from sqlglot import exp

    checks = plan.checks()
    if not checks:
        return None
    cols = []
    for n, (_f, _c, _p, cond) in enumerate(checks):
        count = exp.Sum(this=exp.Case().when(cond, _num(1)).else_(_num(0)))
        cols.append(exp.Alias(this=exp.Coalesce(this=count, expressions=[_num(0)]), alias=_ident(f"c{n}")))
    return exp.Select(expressions=cols).from_(exp.Table(this=_ident(table)))


def raise_on_failures(plan: InputPlan, counts: Sequence[int | None], source: str) -> None:
    """Turn the counts of :func:`check_query` into one :class:`EncounterError` naming every bad field."""
    problems = []
    for (f, col, problem, _cond), n in zip(plan.checks(), counts, strict=True):
        if n:
            where = f"field '{f}'" + (f" (column '{col}')" if col != f else "")
            problems.append(f"{where}: {n} row(s) {problem}")
    if problems:
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        err = EncounterError(problems[0] + more, Location(source))
        err.problems = problems  # type: ignore[attr-defined]
        raise err
