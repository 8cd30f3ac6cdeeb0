"""The one two-world lowering of checked condition trees, shared by every compiled backend.

The meaning of a condition lives in :mod:`.interpret` (three values: true, false, unknown). A compiled
backend does not carry *unknown* as a third value; it computes every yes/no condition as two plain
booleans that are never null:

* **lo**: the condition is certainly true, however the unknown answers turn out;
* **hi**: the condition may be true, for at least one way the unknown answers could turn out.

Kleene's three values are then: true where lo holds, false where hi fails, unknown in between. The
translation is exact, not an approximation: ``not`` swaps the worlds and negates them, ``and``/``or``
act within each world, and a test that reads an unknown field is false in lo and true in hi. Counts of
met indicators (the scope of dimension and level rules) are intervals: at least the sum of the lo
values, at most the sum of the hi values, and a comparison of intervals is lo when it holds for every
pair of values and hi unless it fails for every pair.

:class:`Worlds` writes that translation once. A backend (Python source, polars expressions, sqlglot
SQL, CQL/ELM) subclasses it with its expression type and supplies only primitives: literals,
``all_of``/``any_of``/``negate``, a comparison and arithmetic of plain values, how a yes/no name and a
count are read, and how an atom over fields is tested. A backend keeps its own optimisations inside its
primitives (bit masks for sets of choices, enum codes, dialect functions) and may override the hooks
marked as such, as pySigma's backends plug into one conversion dispatcher.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Generic, TypeVar

from .interpret import evaluate
from .tree import And, Arith, Compare, Const, ConstList, In, IsKnown, Name, Node, Not, Or, Scalar, names
from .types import T, TypeChecker

E = TypeVar("E")

FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
"""The comparison that holds with its operands swapped."""


class Worlds(Generic[E]):
    """Lowers checked condition trees to (lo, hi) pairs of backend expressions of type ``E``.

    Subclasses implement the primitives below. ``checker`` is the type checker that checked the tree
    (it knows which nodes are counts); set it in ``__init__``.
    """

    checker: TypeChecker

    # --- primitives every backend supplies --------------------------------------------------------
    def literal(self, value: bool) -> E:
        """A yes/no constant."""
        raise NotImplementedError

    def all_of(self, parts: Sequence[E]) -> E:
        """Every part holds (``and``); ``parts`` has at least two members."""
        raise NotImplementedError

    def any_of(self, parts: Sequence[E]) -> E:
        """Some part holds (``or``); ``parts`` has at least two members."""
        raise NotImplementedError

    def negate(self, e: E) -> E:
        """``not e`` (``e`` is never null)."""
        raise NotImplementedError

    def compare(self, op: str, a: E, b: E) -> E:
        """A comparison of two plain values that are known (``op`` is one of < <= > >= == !=)."""
        raise NotImplementedError

    def number(self, value: int | float) -> E:
        """A numeric constant in a rule over counts."""
        raise NotImplementedError

    def arith(self, op: str, a: E, b: E) -> E:
        """``a op b`` for ``op`` one of + - * on plain numbers."""
        raise NotImplementedError

    def member(self, item: E, values: tuple[Scalar, ...], negate: bool) -> E:
        """``item`` (a known plain value) is (or with ``negate``, is not) one of the constant values."""
        raise NotImplementedError

    def name(self, name: str) -> tuple[E, E]:
        """The (lo, hi) of a yes/no name: a yes/no field, a dimension or ``red_flag``."""
        raise NotImplementedError

    def count(self, name: str) -> tuple[E, E]:
        """The interval (lo, hi) of a count a rule reads."""
        raise NotImplementedError

    def field_test(self, node: Compare | In | IsKnown) -> tuple[E, E]:
        """(lo, hi) of an atom over fields that are not read as yes/no names: a comparison, a membership
        test or ``is known``. Unknown when any field it reads is unknown, unless it is ``is known``.

        Rules over counts have no such atoms apart from ``is known`` of a yes/no name, answered here from
        its two worlds (known where it is certainly true or certainly false)."""
        if not isinstance(node, IsKnown):  # pragma: no cover - the type checker allows no other
            raise TypeError(f"not a test over counts: {type(node).__name__}")
        lo, hi = self.name(node.name.id)
        known = self.any_of([lo, self.negate(hi)])
        e = self.negate(known) if node.negate else known
        return e, e

    # --- hooks a backend may override ------------------------------------------------------------
    def junction_parts(self, node: And | Or) -> list[tuple[E, E]]:
        """The (lo, hi) of each operand of ``and``/``or``; a backend may merge operands here."""
        return [self.two(o) for o in node.operands]

    # --- the lowering, written once --------------------------------------------------------------
    def two(self, node: Node) -> tuple[E, E]:
        """(lo, hi) of a yes/no condition: it certainly holds / it may hold."""
        match node:
            case Const(value=v):
                return self.literal(bool(v)), self.literal(bool(v))
            case Name(id=i):
                return self.name(i)
            case Not(operand=o):
                lo, hi = self.two(o)
                return self.negate(hi), self.negate(lo)
            case And() | Or():
                return self._junction(node)
            case Compare(op=op, left=a, right=b):
                kinds = (self.checker.typeof(a), self.checker.typeof(b))
                if T.COUNT in kinds:
                    return self.compare_intervals(op, self.interval(a), self.interval(b))
                if kinds == (T.BOOL, T.BOOL):
                    return self._compare_yes_no(op, self.two(a), self.two(b))
                if not names(node):
                    return self._constant_test(node)
                return self.field_test(node)
            case In(item=item, container=ConstList(items=items), negate=neg) if self.checker.typeof(item) is T.COUNT:
                return self._count_in_list(self.interval(item), tuple(c.value for c in items), neg)
            case In() if not names(node):
                return self._constant_test(node)
            case In() | IsKnown():
                return self.field_test(node)
        raise TypeError(f"not a yes/no node: {type(node).__name__}")  # pragma: no cover

    def _constant_test(self, node: Compare | In) -> tuple[E, E]:
        """A test that reads no name has one answer, worked out here by the reference evaluator."""
        e = self.literal(evaluate(node, {}) is True)
        return e, e

    def _junction(self, node: And | Or) -> tuple[E, E]:
        parts = self.junction_parts(node)
        if len(parts) == 1:
            return parts[0]
        join = self.all_of if isinstance(node, And) else self.any_of
        return join([p[0] for p in parts]), join([p[1] for p in parts])

    def _compare_yes_no(self, op: str, a: tuple[E, E], b: tuple[E, E]) -> tuple[E, E]:
        """``a == b`` / ``a != b`` on two yes/no values: equal when both are known and agree."""
        (al, ah), (bl, bh) = a, b
        a_no, b_no = self.negate(ah), self.negate(bh)
        same = self.any_of([self.all_of([al, bl]), self.all_of([a_no, b_no])])
        differ = self.any_of([self.all_of([al, b_no]), self.all_of([a_no, bl])])
        if op == "==":
            return same, self.negate(differ)
        return differ, self.negate(same)

    def interval(self, node: Node) -> tuple[E, E]:
        """(lo, hi) bounds of a count expression: a count, a constant, or + - * of them."""
        match node:
            case Const(value=v):
                assert isinstance(v, (int, float)) and not isinstance(v, bool)
                return self.number(v), self.number(v)
            case Name(id=i):
                return self.count(i)
            case Arith(op="+", left=a, right=b):
                (al, ah), (bl, bh) = self.interval(a), self.interval(b)
                return self.arith("+", al, bl), self.arith("+", ah, bh)
            case Arith(op="-", left=a, right=b):
                (al, ah), (bl, bh) = self.interval(a), self.interval(b)
                return self.arith("-", al, bh), self.arith("-", ah, bl)
            case Arith(op="*", left=a, right=b):
                # the type checker allows a product only with a constant factor
                const, other = (a, b) if isinstance(a, Const) else (b, a)
                assert isinstance(const, Const)
                c = const.value
                assert isinstance(c, (int, float)) and not isinstance(c, bool)
                ol, oh = self.interval(other)
                lo, hi = (ol, oh) if c >= 0 else (oh, ol)
                return self.arith("*", self.number(c), lo), self.arith("*", self.number(c), hi)
        raise TypeError(f"not a count node: {type(node).__name__}")  # pragma: no cover

    def compare_intervals(self, op: str, a: tuple[E, E], b: tuple[E, E]) -> tuple[E, E]:
        """The interval comparison table: lo holds for every pair of values, hi for some pair."""
        if op in (">", ">="):
            op, a, b = FLIP[op], b, a
        (al, ah), (bl, bh) = a, b
        if op in ("<", "<="):
            return self.compare(op, ah, bl), self.compare(op, al, bh)
        point = self.all_of([self.compare("==", al, ah), self.compare("==", ah, bl), self.compare("==", bl, bh)])
        apart = self.any_of([self.compare("<", ah, bl), self.compare("<", bh, al)])
        if op == "==":
            return point, self.negate(apart)
        return apart, self.negate(point)

    def _count_in_list(self, item: tuple[E, E], values: tuple[Scalar, ...], negate: bool) -> tuple[E, E]:
        """A count in a constant list: known only when the interval is a single value."""
        lo, hi = item
        inside = self.member(lo, values, negate)
        return (
            self.all_of([self.compare("==", lo, hi), inside]),
            self.any_of([self.compare("!=", lo, hi), inside]),
        )


class GuardedWorlds(Worlds[E]):
    """A backend whose values carry unknown as a null: a field test is the plain test, guarded by
    "every field it reads is known" in lo and "some field it reads is unknown" in hi.

    Such a backend supplies, beyond :class:`Worlds`' primitives, ``value`` (a field's plain value),
    ``constant``, ``known``/``unknown`` and ``contains`` (membership in a set-of-choices field).
    """

    def value(self, name: str) -> E:
        """The plain value of a field (read only where it is known)."""
        raise NotImplementedError

    def constant(self, value: Scalar) -> E:
        """A constant value of any type the language has."""
        raise NotImplementedError

    def known(self, name: str) -> E:
        """The field has an answer."""
        raise NotImplementedError

    def unknown(self, name: str) -> E:
        """The field has no answer."""
        return self.negate(self.known(name))

    def contains(self, container: E, item: E, negate: bool) -> E:
        """``item`` is (or is not) among the values of a known set-of-choices field."""
        raise NotImplementedError

    def plain(self, node: Node) -> E:
        """A value expression that assumes every field it reads is known."""
        match node:
            case Const(value=v):
                return self.constant(v)
            case Name(id=i):
                return self.value(i)
            case Arith(op=op, left=a, right=b):
                return self.arith(op, self.plain(a), self.plain(b))
        raise TypeError(f"not a value node: {type(node).__name__}")  # pragma: no cover

    def plain_test(self, node: Compare | In) -> E:
        """The test itself, on known values."""
        match node:
            case Compare(op=op, left=a, right=b):
                return self.compare(op, self.plain(a), self.plain(b))
            case In(item=item, container=ConstList(items=items), negate=neg):
                return self.member(self.plain(item), tuple(c.value for c in items), neg)
            case In(item=item, container=Name(id=c), negate=neg):
                return self.contains(self.value(c), self.plain(item), neg)
        raise TypeError(f"not a test: {type(node).__name__}")  # pragma: no cover

    def field_test(self, node: Compare | In | IsKnown) -> tuple[E, E]:
        if self.checker.scope.kind == "count":  # a rule over counts: ``is known`` of a yes/no name
            return super().field_test(node)
        if isinstance(node, IsKnown):
            e = self.unknown(node.name.id) if node.negate else self.known(node.name.id)
            return e, e
        test = self.plain_test(node)
        fields = names(node)  # never empty: a test without names is answered in ``two``
        known = [self.known(f) for f in fields]
        unknown = [self.unknown(f) for f in fields]
        return self.all_of([*known, test]), self.any_of([*unknown, test])
