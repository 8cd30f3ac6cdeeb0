"""Small sqlglot node builders shared by the query compiler and the input checks.

Every builder returns a syntactically atomic node (a column, literal, call or parenthesised
expression), so nodes combine without any reliance on operator precedence; every identifier and
literal is a sqlglot node, quoted by the library for the chosen dialect.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from ..model.dictionary import FieldType

if TYPE_CHECKING:
    from sqlglot import exp


def paren(e: exp.Expression) -> exp.Expression:
    from sqlglot import exp

    return exp.Paren(this=e)


def true() -> exp.Expression:
    from sqlglot import exp

    return exp.Boolean(this=True)


def false() -> exp.Expression:
    from sqlglot import exp

    return exp.Boolean(this=False)


def boolean(value: bool) -> exp.Expression:
    return true() if value else false()


def atomic(e: exp.Expression) -> bool:
    from sqlglot import exp

    return isinstance(e, (exp.Column, exp.Literal, exp.Boolean, exp.Null, exp.Paren, exp.Func))


def wrap(e: exp.Expression) -> exp.Expression:
    return e if atomic(e) else paren(e)


def not_(e: exp.Expression) -> exp.Expression:
    """``NOT e``. Not parenthesised: NOT binds tighter than AND and OR, and every junction this module
    builds is itself parenthesised."""
    from sqlglot import exp

    if isinstance(e, exp.Not):  # lo and hi are never NULL, so double negation cancels exactly
        inner: exp.Expression = e.this
        return inner.this if isinstance(inner, exp.Paren) and not atomic(inner.this) else inner
    return exp.Not(this=wrap(e))


def junction(kind: str, items: Sequence[exp.Expression]) -> exp.Expression:
    from sqlglot import exp

    cls = exp.And if kind == "and" else exp.Or
    if not items:
        return boolean(kind == "and")
    out = items[0]
    if len(items) == 1:
        return out
    for e in items[1:]:
        out = cls(this=out, expression=e)
    return paren(out)


def and_(*items: exp.Expression) -> exp.Expression:
    return junction("and", items)


def or_(*items: exp.Expression) -> exp.Expression:
    return junction("or", items)


def is_null(e: exp.Expression) -> exp.Expression:
    from sqlglot import exp

    return exp.Is(this=e, expression=exp.Null())


def not_null(e: exp.Expression) -> exp.Expression:
    return not_(is_null(e))


def num(value: int | float) -> exp.Expression:
    from sqlglot import exp

    if value < 0:
        return paren(exp.Neg(this=exp.Literal.number(repr(-value))))
    return exp.Literal.number(repr(value))


def const(value: bool | int | float | str | date) -> exp.Expression:
    from sqlglot import exp

    if isinstance(value, bool):
        return boolean(value)
    if isinstance(value, (int, float)):
        return num(value)
    if isinstance(value, date):
        return exp.Cast(this=exp.Literal.string(value.isoformat()), to=exp.DataType.build("DATE"))
    return exp.Literal.string(value)


_CMP_CLASS = {"<": "LT", "<=": "LTE", ">": "GT", ">=": "GTE", "==": "EQ", "!=": "NEQ"}
_ARITH_CLASS = {"+": "Add", "-": "Sub", "*": "Mul"}


def cmp(op: str, a: exp.Expression, b: exp.Expression) -> exp.Expression:
    """A comparison; its operands are atomic, and comparisons bind tighter than NOT, AND and OR."""
    from sqlglot import exp

    cls: type[exp.Expression] = getattr(exp, _CMP_CLASS[op])
    return cls(this=wrap(a), expression=wrap(b))


def arith(op: str, a: exp.Expression, b: exp.Expression) -> exp.Expression:
    from sqlglot import exp

    cls: type[exp.Expression] = getattr(exp, _ARITH_CLASS[op])
    return paren(cls(this=wrap(a), expression=wrap(b)))


def in_list(item: exp.Expression, values: Sequence[exp.Expression], negate: bool) -> exp.Expression:
    from sqlglot import exp

    e = exp.In(this=wrap(item), expressions=list(values))
    return not_(e) if negate else e


def case(whens: Sequence[tuple[exp.Expression, exp.Expression]], default: exp.Expression) -> exp.Expression:
    from sqlglot import exp

    case = exp.Case()
    for cond, value in whens:
        case = case.when(cond, value)
    return case.else_(default)


def ident(name: str) -> exp.Identifier:
    from sqlglot import exp

    return exp.to_identifier(name, quoted=True)


def col(name: str) -> exp.Expression:
    from sqlglot import exp

    return exp.Column(this=ident(name))


def sql_type(field_type: FieldType, dialect: str) -> exp.DataType:
    """The SQL type a dictionary field's column has in ``dialect`` (see docs/scale-out.md)."""
    from sqlglot import exp

    name = {
        FieldType.BOOLEAN: "BOOLEAN",
        FieldType.INTEGER: "BIGINT",
        FieldType.NUMBER: "DOUBLE",
        FieldType.ENUM: "VARCHAR",
        FieldType.DATE: "DATE",
        FieldType.SET: "VARCHAR" if dialect == "bigquery" else "ARRAY<VARCHAR>",
    }[field_type]
    return exp.DataType.build(name)


def contains(container: exp.Expression, item: exp.Expression, dialect: str) -> exp.Expression:
    """``item`` is one of the values of the set-valued field ``container`` (known to be not NULL).

    DuckDB LIST, Spark ARRAY, PostgreSQL ARRAY and Snowflake ARRAY hold the codes directly. BigQuery
    cannot store a NULL array (it reads one back as empty, which would turn "not asked" into "none"), so
    there a set-valued field is a nullable STRING holding a JSON array of codes.
    """
    from sqlglot import exp

    if dialect == "bigquery":
        root = exp.JSONPath(expressions=[exp.JSONPathRoot()])
        container = exp.JSONValueArray(this=container, expression=root)
    return exp.ArrayContains(this=container, expression=item)


def coalesce(v: exp.Expression, default: bool) -> exp.Expression:
    from sqlglot import exp

    return exp.Coalesce(this=v, expressions=[boolean(default)])


def sum_(terms: Sequence[exp.Expression]) -> exp.Expression:
    from sqlglot import exp

    if not terms:
        return num(0)
    out = terms[0]
    for t in terms[1:]:
        out = exp.Add(this=out, expression=t)
    return out
