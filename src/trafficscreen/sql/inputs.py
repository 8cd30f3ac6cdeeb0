"""How an engine reads each dictionary field from an input table, and the checks that keep bad input
from turning into a silent "no".

The scoring query itself trusts its input: it compares values and looks codes up. The engines
(:mod:`.duck`, :mod:`.spark`) first look at the input's schema and decide, for every field, how to get
its value: the column as it is; a conversion from text (CSV); or a typed NULL where the column is
absent, which is *unknown* in every row. Then one aggregate query counts the rows that break the data
dictionary — a choice outside the field's values, a fraction in a whole-number field, a number out of
range, text that is not a date — for every dictionary field present, as the single-record path checks
every answer. Any such row stops the run with an error that names the field, the column and the number
of rows, never a value.

Text cells follow the rules of the columnar path (:mod:`trafficscreen.research.frames`): surrounding
spaces are ignored and an empty cell is unknown; yes/no is ``true``/``false`` or ``1``/``0`` in any
case; numbers are decimal (a leading ``+`` is allowed); dates are ``YYYY-MM-DD``; a set of choices is
its codes separated by ``|`` or ``,``, optionally in brackets and quotes (``["pay", "housing"]``), with
``[]`` for the empty set. Integer 0/1 columns are read as yes/no.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from enum import Enum
from typing import TYPE_CHECKING

from ..content.mapping import ColumnMapping, column_name_problem, find_column
from ..core.compiled import CompiledSet
from ..errors import CohortError, Location
from ..model.dictionary import FieldDef, FieldType
from .nodes import and_, case, col, ident, is_null, not_, not_null, num, or_, sql_type

if TYPE_CHECKING:
    from sqlglot import exp

SYNTHETIC = "synthetic"
"""Column marking rows of a synthetic cohort; carried through scoring whenever present."""


class Family(Enum):
    """What kind of values an input column holds, whatever the engine calls its type."""

    BOOL = "true/false"
    INT = "whole number"
    FLOAT = "floating-point number"
    DECIMAL = "decimal number"
    STRING = "text"
    DATE = "date"
    TIMESTAMP = "timestamp"
    STRING_LIST = "list of text"
    NULL = "empty (every row null)"
    OTHER = "other"


_ACCEPTS: dict[FieldType, tuple[Family, ...]] = {
    FieldType.BOOLEAN: (Family.BOOL,),
    FieldType.INTEGER: (Family.INT, Family.FLOAT, Family.DECIMAL),
    FieldType.NUMBER: (Family.INT, Family.FLOAT, Family.DECIMAL),
    FieldType.ENUM: (),  # text, read through NULLIF(x, '')
    FieldType.SET: (Family.STRING_LIST,),
    FieldType.DATE: (Family.DATE,),
}
_WANTED = {
    FieldType.BOOLEAN: "true/false",
    FieldType.INTEGER: "a number",
    FieldType.NUMBER: "a number",
    FieldType.ENUM: "one of its choices as text",
    FieldType.SET: "a list of choices as text",
    FieldType.DATE: "a date",
}


@dataclass
class FieldInput:
    """How one field is read: the SQL expression of its value, and checks on it."""

    field: str
    column: str | None  # None: not in the input, read as unknown
    expr: exp.Expression
    checks: list[tuple[str, exp.Expression]] = dc_field(default_factory=list)  # (problem, true on a bad row)


@dataclass
class InputPlan:
    fields: dict[str, FieldInput]  # every field the set reads
    checked: list[FieldInput]  # every dictionary field present in the input, with its checks
    keep: tuple[tuple[str, str], ...]  # (input column, output name)
    absent: tuple[str, ...]  # fields the set reads that the input lacks: unknown in every row

    def expressions(self) -> dict[str, exp.Expression]:
        return {f: fi.expr for f, fi in self.fields.items()}

    def checks(self) -> list[tuple[str, str | None, str, exp.Expression]]:
        return [(fi.field, fi.column, problem, cond) for fi in self.checked for problem, cond in fi.checks]


def _find(columns: Sequence[str], name: str) -> str | None:
    return find_column(columns, name)  # the one rule every engine uses (exact, case included)


def plan_inputs(
    cs: CompiledSet,
    schema: Mapping[str, Family],
    mapping: ColumnMapping,
    dialect: str,
    source: str,
    *,
    id_column: str | None = "id",
    keep: Sequence[str] = (),
) -> InputPlan:
    """Decide how ``dialect`` (duckdb or spark) reads the fields of ``cs.dictionary`` from a table with
    ``schema`` (column → family). Raises :class:`CohortError` for a column of the wrong kind."""
    from sqlglot import exp

    d = cs.dictionary
    mapping.check(d)
    columns = list(schema)
    where = Location(source)
    clash = column_name_problem(columns)
    if clash:
        raise CohortError(clash, where)
    fields: dict[str, FieldInput] = {}
    checked: list[FieldInput] = []
    absent: list[str] = []
    used = set(cs.used_fields)
    for fd in d.fields:
        f = fd.id
        wanted = mapping.column(f)
        col = _find(columns, wanted)
        if col is None:
            if f in mapping.columns:
                raise CohortError(
                    f"the column mapping reads field '{f}' from column '{wanted}', which the input lacks", where
                )
            if f in used:
                absent.append(f)
                fields[f] = FieldInput(f, None, exp.Cast(this=exp.Null(), to=sql_type(fd.type, dialect)))
            continue
        fi = _read(fd, col, schema[col], dialect, where)
        fi.checks.extend(_value_checks(fd, fi.expr, schema[col], dialect))
        checked.append(fi)
        if f in used:
            fields[f] = fi
    fields = {f: fields[f] for f in cs.used_fields}

    kept: list[tuple[str, str]] = []
    mapped_id = mapping.id_column(d)
    if mapped_id is not None:
        col = _find(columns, mapped_id)
        if col is None:
            raise CohortError(f"the column mapping names '{mapped_id}' as the id column, which the input lacks", where)
        kept.append((col, "id"))
    elif id_column is not None and (col := _find(columns, id_column)) is not None:
        kept.append((col, col))
    for k in keep:
        col = _find(columns, k)
        if col is None:
            raise CohortError(f"column '{k}' to keep is not in the input", where)
        if col in d.by_id:
            raise CohortError(f"column '{col}' is a field of {d.ref} and cannot also be kept as is", where)
        if all(col != src for src, _n in kept):
            kept.append((col, col))
    synthetic = _find(columns, SYNTHETIC)
    if synthetic is not None and all(synthetic != src for src, _n in kept):
        kept.append((synthetic, synthetic))
    return InputPlan(fields, checked, tuple(kept), tuple(absent))


def _text(c: exp.Expression) -> exp.Expression:
    """A text cell without surrounding spaces; the empty cell as NULL (unknown)."""
    from sqlglot import exp

    return exp.Nullif(this=exp.Trim(this=c), expression=exp.Literal.string(""))


def _read(fd: FieldDef, column: str, family: Family, dialect: str, where: Location) -> FieldInput:
    from sqlglot import exp

    c = col(column)
    lit = exp.Literal.string
    if family is Family.NULL:
        return FieldInput(fd.id, column, exp.Cast(this=c, to=sql_type(fd.type, dialect)))
    if family in _ACCEPTS[fd.type]:
        return FieldInput(fd.id, column, c)
    t = fd.type
    if t is FieldType.ENUM and family is Family.STRING:
        as_text = exp.Cast(this=c, to=exp.DataType.build("VARCHAR"))  # a no-op on text; DuckDB ENUMs become text
        return FieldInput(fd.id, column, exp.Nullif(this=as_text, expression=lit("")))
    if t is FieldType.BOOLEAN and family is Family.INT:
        value = exp.EQ(this=c, expression=num(1))
        bad = and_(not_null(c), not_(exp.In(this=c, expressions=[num(0), num(1)])))
        return FieldInput(fd.id, column, value, [("expected true or false, got a number", bad)])
    if t is FieldType.DATE and family is Family.TIMESTAMP:
        return FieldInput(fd.id, column, exp.Cast(this=c, to=exp.DataType.build("DATE")))
    if family is Family.STRING:
        text = _text(c)
        if t is FieldType.BOOLEAN:
            word = exp.Lower(this=text)
            conv: exp.Expression = case(
                [
                    (exp.In(this=word, expressions=[lit("true"), lit("1")]), exp.Boolean(this=True)),
                    (exp.In(this=word, expressions=[lit("false"), lit("0")]), exp.Boolean(this=False)),
                ],
                exp.Null(),
            )
            why = "expected true or false, got text"
        elif t in (FieldType.INTEGER, FieldType.NUMBER):
            unsigned = exp.Trim(this=text, expression=lit("+"), position="LEADING")
            conv = exp.TryCast(this=unsigned, to=exp.DataType.build("DOUBLE"), safe=True)
            why = "expected a number, got text"
        elif t is FieldType.DATE:
            conv = exp.TryCast(this=text, to=exp.DataType.build("DATE"), safe=True)
            why = "expected a date written YYYY-MM-DD"
        else:  # a set of choices: codes separated by | or , optionally in brackets and quotes
            bare: exp.Expression = exp.Trim(this=text, expression=lit("[] "))
            for quote in ('"', "'"):
                bare = exp.Replace(this=bare, expression=lit(quote), replacement=lit(""))
            bare = exp.Replace(this=bare, expression=lit(","), replacement=lit("|"))
            s = exp.to_identifier("s")
            items = exp.Transform(
                this=exp.Split(this=bare, expression=lit("|")),
                expression=exp.Lambda(this=exp.Trim(this=exp.Column(this=s.copy())), expressions=[s.copy()]),
            )
            nonempty = exp.NEQ(this=exp.Column(this=s.copy()), expression=lit(""))
            conv = exp.ArrayFilter(this=items, expression=exp.Lambda(this=nonempty, expressions=[s.copy()]))
            # only brackets ("[]", spaces inside allowed) are the empty set; separators or quotes alone
            # are no answer, and the row is refused as the columnar engine refuses it
            empty_set = exp.EQ(
                this=exp.Replace(this=text.copy(), expression=lit(" "), replacement=lit("")), expression=lit("[]")
            )
            no_items = and_(
                not_null(text.copy()),
                and_(exp.EQ(this=exp.ArraySize(this=conv.copy()), expression=num(0)), not_(empty_set)),
            )
            return FieldInput(fd.id, column, case([(is_null(text), exp.Null())], conv), [(EMPTY_LIST_REASON, no_items)])
        bad = and_(not_null(text), is_null(conv))
        return FieldInput(fd.id, column, conv, [(why, bad)])
    raise CohortError(
        f"column '{column}' for field '{fd.id}' holds {family.value} values; the field needs {_WANTED[t]}", where
    )


def _value_checks(
    fd: FieldDef, v: exp.Expression, family: Family, dialect: str = "duckdb"
) -> list[tuple[str, exp.Expression]]:
    """Conditions true on a row whose value breaks the dictionary (NULL values never do)."""
    from sqlglot import exp

    known = not_null(v)
    out: list[tuple[str, exp.Expression]] = []
    codes = [exp.Literal.string(c) for c in sorted(fd.codes)]
    choices = ", ".join(sorted(fd.codes))
    if fd.type is FieldType.ENUM:
        out.append(
            (f"the answer is not one of its choices ({choices})", and_(known, not_(exp.In(this=v, expressions=codes))))
        )
    elif fd.type is FieldType.SET:
        x = exp.to_identifier("x")
        item: exp.Expression = exp.Column(this=x.copy())
        if dialect == "snowflake":  # array items are VARIANT there
            item = exp.Cast(this=item, to=exp.DataType.build("VARCHAR"))
        items = v
        if dialect == "bigquery":  # a JSON array in a STRING column (see compiler.contains)
            items = exp.JSONValueArray(this=v, expression=exp.JSONPath(expressions=[exp.JSONPathRoot()]))
        stray = or_(exp.Is(this=item, expression=exp.Null()), not_(exp.In(this=item.copy(), expressions=codes)))
        size = exp.ArraySize(this=exp.ArrayFilter(this=items, expression=exp.Lambda(this=stray, expressions=[x])))
        out.append(
            (
                f"the list holds an answer that is not one of its choices ({choices})",
                and_(known, exp.GT(this=size, expression=num(0))),
            )
        )
    elif fd.type in (FieldType.INTEGER, FieldType.NUMBER):
        if family in (Family.FLOAT, Family.STRING):
            infinite = exp.EQ(this=exp.Abs(this=v), expression=_infinity())
            not_finite = or_(exp.IsNan(this=v), infinite)
            out.append(("expected a finite number", and_(known, not_finite)))
            # NaN and infinities get that reason alone, never "a fraction" or "out of range" too
            known = and_(known, not_(not_finite.copy()))
        if fd.type is FieldType.INTEGER and family in (Family.FLOAT, Family.DECIMAL, Family.STRING):
            out.append(
                ("expected a whole number, got a fraction", and_(known, exp.NEQ(this=v, expression=exp.Floor(this=v))))
            )
        if fd.min is not None:
            out.append(
                (f"below the smallest allowed value ({fd.min:g})", and_(known, exp.LT(this=v, expression=num(fd.min))))
            )
        if fd.max is not None:
            out.append(
                (f"above the largest allowed value ({fd.max:g})", and_(known, exp.GT(this=v, expression=num(fd.max))))
            )
    return out


EMPTY_LIST_REASON = "a list of choices with no choice in it (write [] for none of these)"
"""The same reason as the columnar engine's (:data:`trafficscreen.research.frames.EMPTY_LIST_REASON`)."""

_CHECK_NAMES = {
    "the answer is not one of its choices": "not_a_choice",
    "the list holds an answer that is not one of its choices": "not_a_choice",
    "expected a finite number": "not_finite",
    "expected a whole number, got a fraction": "fraction",
    "below the smallest allowed value": "below_min",
    "above the largest allowed value": "above_max",
}


def _check_name(field_id: str, problem: str) -> str:
    for prefix, short in _CHECK_NAMES.items():
        if problem.startswith(prefix):
            return f"{field_id}__{short}"
    return f"{field_id}__unreadable"  # pragma: no cover - text conversions are not printed


def warehouse_check_query(
    cs: CompiledSet, dialect: str, table: exp.Expression, columns: Mapping[str, str] | None = None
) -> exp.Select:
    """The query that counts, per field the set reads and per rule of the dictionary, the rows of a
    warehouse table that break it: one row, every count should be 0. Columns are assumed to have the
    types of :func:`.compiler.sql_type`; the scoring query itself does not check values."""
    from sqlglot import exp

    family = {FieldType.INTEGER: Family.INT, FieldType.NUMBER: Family.DECIMAL}
    cols = []
    for f in cs.used_fields:
        fd = cs.dictionary.by_id[f]
        v = col((columns or {}).get(f, f))
        for problem, cond in _value_checks(fd, v, family.get(fd.type, Family.OTHER), dialect):
            count = exp.Sum(this=case([(cond, num(1))], num(0)))
            cols.append(
                exp.Alias(this=exp.Coalesce(this=count, expressions=[num(0)]), alias=ident(_check_name(f, problem)))
            )
    if not cols:
        cols.append(exp.Alias(this=exp.Count(this=exp.Star()), alias=ident("rows")))
    return exp.Select(expressions=cols).from_(table)


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
        count = exp.Sum(this=case([(cond, num(1))], num(0)))
        cols.append(exp.Alias(this=exp.Coalesce(this=count, expressions=[num(0)]), alias=ident(f"c{n}")))
    return exp.Select(expressions=cols).from_(exp.Table(this=ident(table)))


def raise_on_failures(plan: InputPlan, counts: Sequence[int | None], source: str) -> None:
    """Turn the counts of :func:`check_query` into one :class:`CohortError` naming every bad field."""
    problems = []
    for (f, column, problem, _cond), n in zip(plan.checks(), counts, strict=True):
        if n:
            where = f"field '{f}'" + (f" (column '{column}')" if column != f else "")
            problems.append(f"{where}: {n} row(s): {problem}")
    if problems:
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise CohortError(problems[0] + more, Location(source), problems=problems)


def check_sql(
    cs: CompiledSet,
    dialect: str = "duckdb",
    *,
    table: str = "encounters",
    columns: Mapping[str, str] | None = None,
    pretty: bool = True,
) -> str:
    """:func:`warehouse_check_query` as text: run it before scoring a warehouse table; each column
    (``<field>__not_a_choice``, ``__below_min``, ``__above_max``, ...) counts the rows that break one rule
    of the data dictionary and should be 0."""
    from .compiler import check_dialect, table_node

    check_dialect(dialect)
    return warehouse_check_query(cs, dialect, table_node(table), columns).sql(dialect=dialect, pretty=pretty)
