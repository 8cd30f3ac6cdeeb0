"""The SQL primitives of the one two-world lowering (:mod:`trafficscreen.expr.worlds`), built with sqlglot.

Every condition becomes two plain boolean expressions that are never NULL: *lo* (certainly true) and *hi*
(may be true). In the field scope each distinct test a set makes is a **fact**: a column computed once per
row in the query's first stage, beside one "answered" column per field, so both worlds of every indicator
that reads it, and every indicator that repeats it, read one boolean column instead of re-evaluating the
test (a set-of-choices look-up, a comparison) and its NULL guard each time. Without a :class:`Facts`
table the tests are written inline, as a single expression.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ..expr.tree import Compare, In, Scalar
from ..expr.types import TypeChecker
from ..expr.worlds import GuardedWorlds
from .nodes import (
    arith,
    boolean,
    cmp,
    coalesce,
    col,
    const,
    contains,
    in_list,
    is_null,
    junction,
    not_,
    not_null,
    num,
)

if TYPE_CHECKING:
    from sqlglot import exp

Pair = tuple["exp.Expression", "exp.Expression"]


class Facts:
    """The per-row facts of a query's first stage: named boolean columns, each computed once.

    ``value(field)`` gives the SQL value of a field in a source row. Facts are registered while the
    conditions are lowered and read back, in order, by :meth:`columns`.
    """

    def __init__(self, value: Callable[[str], exp.Expression], prefix: str, dialect: str) -> None:
        self.value = value
        self.prefix = prefix
        self.dialect = dialect
        self._by_key: dict[str, tuple[str, exp.Expression]] = {}

    def fact(self, e: exp.Expression) -> exp.Expression:
        """A column holding ``e``, shared by every place that needs the same expression."""
        key = e.sql(dialect=self.dialect)
        found = self._by_key.get(key)
        if found is None:
            found = (f"{self.prefix}f{len(self._by_key)}", e)
            self._by_key[key] = found
        return col(found[0])

    def known(self, field: str) -> exp.Expression:
        return self.fact(not_null(self.value(field)))

    def columns(self) -> list[tuple[str, exp.Expression]]:
        return list(self._by_key.values())


class SqlGen(GuardedWorlds["exp.Expression"]):
    """Builds (lo, hi) SQL expressions for conditions in one scope (see :mod:`..expr.worlds`).

    Field scope: ``value(name)`` gives the SQL value of a field (NULL = unknown). Count scope:
    ``pair(name)`` gives the (lo, hi) of a yes/no name (a dimension, ``red_flag``) and ``interval(name)``
    the (lo, hi) of a count.
    """

    def __init__(
        self,
        checker: TypeChecker,
        dialect: str,
        *,
        value: Callable[[str], exp.Expression] | None = None,
        pair: Callable[[str], Pair] | None = None,
        interval: Callable[[str], Pair] | None = None,
        facts: Facts | None = None,
    ) -> None:
        self.checker = checker
        self.dialect = dialect
        self._value = value if facts is None else facts.value
        self._facts = facts
        self._pair = pair
        self._count = interval

    # --- primitives -------------------------------------------------------------------------------
    def literal(self, value: bool) -> exp.Expression:
        return boolean(value)

    def all_of(self, parts: Sequence[exp.Expression]) -> exp.Expression:
        return junction("and", parts)

    def any_of(self, parts: Sequence[exp.Expression]) -> exp.Expression:
        return junction("or", parts)

    def negate(self, e: exp.Expression) -> exp.Expression:
        return not_(e)

    def compare(self, op: str, a: exp.Expression, b: exp.Expression) -> exp.Expression:
        return cmp(op, a, b)

    def number(self, value: int | float) -> exp.Expression:
        return num(value)

    def arith(self, op: str, a: exp.Expression, b: exp.Expression) -> exp.Expression:
        return arith(op, a, b)

    def member(self, item: exp.Expression, values: tuple[Scalar, ...], negate: bool) -> exp.Expression:
        return in_list(item, [const(v) for v in values], negate)

    def name(self, name: str) -> Pair:
        if self._value is not None:
            v = self._value(name)
            pair = coalesce(v, False), coalesce(v, True)
            return pair if self._facts is None else (self._facts.fact(pair[0]), self._facts.fact(pair[1]))
        assert self._pair is not None
        return self._pair(name)

    def count(self, name: str) -> Pair:
        assert self._count is not None
        return self._count(name)

    def value(self, name: str) -> exp.Expression:
        assert self._value is not None
        return self._value(name)

    def constant(self, value: Scalar) -> exp.Expression:
        return const(value)

    def known(self, name: str) -> exp.Expression:
        return not_null(self.value(name)) if self._facts is None else self._facts.known(name)

    def unknown(self, name: str) -> exp.Expression:
        return is_null(self.value(name)) if self._facts is None else not_(self._facts.known(name))

    def contains(self, container: exp.Expression, item: exp.Expression, negate: bool) -> exp.Expression:
        found = contains(container, item, self.dialect)
        return not_(found) if negate else found

    def plain_test(self, node: Compare | In) -> exp.Expression:
        test = super().plain_test(node)
        # with facts, the test is a column of the first stage, read by both worlds
        return test if self._facts is None else self._facts.fact(test)
