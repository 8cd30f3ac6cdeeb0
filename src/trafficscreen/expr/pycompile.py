"""Compile checked condition trees to Python source with three-valued logic written out inline.

Why generate source: a tree-walking interpreter costs several microseconds per condition, while a
straight-line function costs about as much as hand-written code. The source is produced only from our
own validated tree (identifiers are dictionary ids matching ``[a-z][a-z0-9_]*``, constants are
emitted with ``repr``), never from the condition text. Like attrs, the generated code is registered with
``linecache`` so a traceback shows it.

Values in generated code: ``True`` / ``False`` / ``None`` (unknown) for yes/no, the plain value or
``None`` for fields, and a pair of ``lo``/``hi`` expressions for counts.
"""

from __future__ import annotations

import linecache
from collections.abc import Callable
from datetime import date
from typing import Any

from .tree import And, Arith, Compare, Const, ConstList, In, IsKnown, Name, Node, Not, Or, names
from .types import T, TypeChecker

_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


class PyGen:
    """Generates Python expressions for conditions in one scope.

    ``var`` maps a name to the local variable holding its value; for a count the generated code uses
    ``<var>_lo`` and ``<var>_hi``.
    """

    def __init__(self, checker: TypeChecker, var: Callable[[str], str], consts: dict[str, Any]) -> None:
        self.checker = checker
        self.var = var
        self.consts = consts
        self._n = 0

    def _temp(self) -> str:
        self._n += 1
        return f"_t{self._n}"

    def _const(self, value: Any) -> str:
        if isinstance(value, (bool, int, float, str)) and not isinstance(value, date):
            return repr(value)
        name = f"_k{len(self.consts)}"
        self.consts[name] = value
        return name

    # --- yes/no expressions -------------------------------------------------------------------
    def bool3(self, node: Node) -> tuple[str, bool]:
        """Python expression giving True/False/None, and whether it can be None."""
        match node:
            case Name(id=i):
                return self.var(i), True
            case Const(value=v):
                return repr(bool(v)), False
            case Not(operand=o):
                e, nullable = self.bool3(o)
                if not nullable:
                    return f"(not {e})", False
                t = self._temp()
                return f"(None if ({t}:={e}) is None else not {t})", True
            case And(operands=ops) | Or(operands=ops):
                return self._junction(node, ops)
            case Compare():
                return self._compare(node)
            case In(item=item, container=container, negate=neg):
                return self._in(item, container, neg)
            case IsKnown(name=nm, negate=neg):
                return f"({self.var(nm.id)} {'is' if neg else 'is not'} None)", False
        raise TypeError(f"not a yes/no node: {type(node).__name__}")  # pragma: no cover

    def _junction(self, node: Node, ops: tuple[Node, ...]) -> tuple[str, bool]:
        is_and = isinstance(node, And)
        decisive = "False" if is_and else "True"
        parts = [self.bool3(o) for o in ops]
        if not any(nullable for _, nullable in parts):
            word = " and " if is_and else " or "
            return "(" + word.join(e for e, _ in parts) + ")", False
        firsts: list[str] = []
        checks: list[str] = []
        for e, nullable in parts:
            if not nullable:
                firsts.append(f"{e} is {decisive}")
                continue
            if e.isidentifier():
                firsts.append(f"{e} is {decisive}")
                checks.append(f"{e} is None")
            else:
                t = self._temp()
                firsts.append(f"({t}:={e}) is {decisive}")
                checks.append(f"{t} is None")
        other = "True" if is_and else "False"
        return (
            f"({decisive} if ({' or '.join(firsts)}) else (None if ({' or '.join(checks)}) else {other}))",
            True,
        )

    # --- two worlds: the same three-valued answer as plain booleans ----------------------------
    def two(self, node: Node) -> tuple[str, str]:
        """(lo, hi) plain-boolean expressions: *lo* says the condition is certainly true, *hi* that it
        may be true. Kleene's three values are then: true = lo, unknown = hi and not lo, false = not hi.

        This is exact, not an approximation: ``not`` swaps the worlds, ``and``/``or`` act within each,
        and an atom that reads an unknown field is false in lo and true in hi. Plain boolean code avoids
        the ``None`` tests of :meth:`bool3` and is several times faster for rules over counts.
        """
        match node:
            case Name(id=i):
                v = self.var(i)
                return f"({v} is True)", f"({v} is not False)"
            case Const(value=v):
                return repr(bool(v)), repr(bool(v))
            case Not(operand=o):
                lo, hi = self.two(o)
                return f"(not {hi})", f"(not {lo})"
            case And(operands=ops) | Or(operands=ops):
                word = " and " if isinstance(node, And) else " or "
                parts = [self.two(o) for o in ops]
                return "(" + word.join(p[0] for p in parts) + ")", "(" + word.join(p[1] for p in parts) + ")"
            case IsKnown(name=nm, negate=neg):
                e = f"({self.var(nm.id)} {'is' if neg else 'is not'} None)"
                return e, e
            case Compare(op=op, left=a, right=b):
                if T.COUNT in (self.checker.typeof(a), self.checker.typeof(b)):
                    return self._two_intervals(op, self.interval(a), self.interval(b))
                return self._two_atom(node, f"{self._plain(a)} {op} {self._plain(b)}")
            case In(item=item, container=container, negate=neg):
                word = "not in" if neg else "in"
                if isinstance(container, ConstList):
                    coll = self._const(frozenset(c.value for c in container.items))
                    if self.checker.typeof(item) is T.COUNT:
                        lo, hi = self.interval(item)
                        inside = f"({lo} {word} {coll})"
                        return f"({lo} == {hi} and {inside})", f"({lo} != {hi} or {inside})"
                    return self._two_atom(node, f"{self._plain(item)} {word} {coll}")
                assert isinstance(container, Name)
                return self._two_atom(node, f"{self._plain(item)} {word} {self.var(container.id)}")
        raise TypeError(f"not a yes/no node: {type(node).__name__}")  # pragma: no cover

    def _plain(self, node: Node) -> str:
        """A value expression that assumes every field it reads is known."""
        match node:
            case Const(value=v):
                return self._const(v)
            case Name(id=i):
                return self.var(i)
            case Arith(op=op, left=a, right=b):
                return f"({self._plain(a)} {op} {self._plain(b)})"
        raise TypeError(f"not a value node: {type(node).__name__}")  # pragma: no cover

    def _two_atom(self, node: Node, expr: str) -> tuple[str, str]:
        fields = [self.var(n) for n in names(node)]
        if not fields:
            return f"({expr})", f"({expr})"
        known = " and ".join(f"{f} is not None" for f in fields)
        unknown = " or ".join(f"{f} is None" for f in fields)
        return f"({known} and {expr})", f"({unknown} or {expr})"

    @staticmethod
    def _two_intervals(op: str, a: tuple[str, str], b: tuple[str, str]) -> tuple[str, str]:
        if op in (">", ">="):
            op, a, b = _FLIP[op], b, a
        (al, ah), (bl, bh) = a, b
        if op == "<":
            return f"({ah} < {bl})", f"({al} < {bh})"
        if op == "<=":
            return f"({ah} <= {bl})", f"({al} <= {bh})"
        point = f"({al} == {ah} == {bl} == {bh})"
        overlap = f"(not ({ah} < {bl} or {bh} < {al}))"
        if op == "==":
            return point, overlap
        return f"(not {overlap})", f"(not {point})"

    # --- plain values (field scope) -------------------------------------------------------------
    def _operand(self, node: Node) -> tuple[str, str | None]:
        """(expression for the value, expression to test for None first or None if never None)."""
        match node:
            case Const(value=v):
                return self._const(v), None
            case Name(id=i):
                v = self.var(i)
                return v, v
            case Arith(op=op, left=left, right=right):
                a, a_chk = self._operand(left)
                b, b_chk = self._operand(right)
                checks = [c for c in (a_chk, b_chk) if c]
                expr = f"({a} {op} {b})"
                if not checks:
                    return expr, None
                t = self._temp()
                guard = " or ".join(f"{c} is None" for c in checks)
                return t, f"({t}:=(None if ({guard}) else {expr}))"
        raise TypeError(f"not a value node: {type(node).__name__}")  # pragma: no cover

    def _guarded(self, checks: list[str], expr: str) -> tuple[str, bool]:
        if not checks:
            return f"({expr})", False
        guard = " or ".join(f"{c} is None" for c in checks)
        return f"(None if ({guard}) else {expr})", True

    # --- intervals (count scope) ---------------------------------------------------------------
    def interval(self, node: Node) -> tuple[str, str]:
        match node:
            case Const(value=v):
                return repr(v), repr(v)
            case Name(id=i):
                v = self.var(i)
                return f"{v}_lo", f"{v}_hi"
            case Arith(op="+", left=a, right=b):
                (al, ah), (bl, bh) = self.interval(a), self.interval(b)
                return f"({al} + {bl})", f"({ah} + {bh})"
            case Arith(op="-", left=a, right=b):
                (al, ah), (bl, bh) = self.interval(a), self.interval(b)
                return f"({al} - {bh})", f"({ah} - {bl})"
            case Arith(op="*", left=a, right=b):
                const, other = (a, b) if isinstance(a, Const) else (b, a)
                assert isinstance(const, Const)
                c = const.value
                ol, oh = self.interval(other)
                assert isinstance(c, (int, float))
                if c >= 0:
                    return f"({c!r} * {ol})", f"({c!r} * {oh})"
                return f"({c!r} * {oh})", f"({c!r} * {ol})"
        raise TypeError(f"not a count node: {type(node).__name__}")  # pragma: no cover

    def _compare(self, node: Compare) -> tuple[str, bool]:
        lt, rt = self.checker.typeof(node.left), self.checker.typeof(node.right)
        if T.COUNT in (lt, rt):
            return self._compare_intervals(node.op, self.interval(node.left), self.interval(node.right))
        a, a_chk = self._operand(node.left)
        b, b_chk = self._operand(node.right)
        return self._guarded([c for c in (a_chk, b_chk) if c], f"{a} {node.op} {b}")

    @staticmethod
    def _compare_intervals(op: str, a: tuple[str, str], b: tuple[str, str]) -> tuple[str, bool]:
        if op in (">", ">="):
            op, a, b = _FLIP[op], b, a
        (al, ah), (bl, bh) = a, b
        if op == "<":
            return f"(True if {ah} < {bl} else (False if {al} >= {bh} else None))", True
        if op == "<=":
            return f"(True if {ah} <= {bl} else (False if {al} > {bh} else None))", True
        eq = f"(True if {al} == {ah} == {bl} == {bh} else (False if ({ah} < {bl} or {bh} < {al}) else None))"
        if op == "==":
            return eq, True
        return f"(True if {ah} < {bl} or {bh} < {al} else (False if {al} == {ah} == {bl} == {bh} else None))", True

    def _in(self, item: Node, container: Node, negate: bool) -> tuple[str, bool]:
        word = "not in" if negate else "in"
        if isinstance(container, ConstList):
            values = frozenset(c.value for c in container.items)
            coll = self._const(values)
            if self.checker.typeof(item) is T.COUNT:
                lo, hi = self.interval(item)
                # known only when the interval is a single value
                inside = f"({lo} {word} {coll})"
                return f"({inside} if {lo} == {hi} else None)", True
            a, a_chk = self._operand(item)
            return self._guarded([a_chk] if a_chk else [], f"{a} {word} {coll}")
        assert isinstance(container, Name)
        a, _ = self._operand(item)
        v = self.var(container.id)
        return self._guarded([v], f"{a} {word} {v}")


def build_function(source: str, name: str, namespace: dict[str, Any], filename: str) -> Callable[..., Any]:
    """Turn generated source into a function, registering the source so tracebacks can show it."""
    code = compile(source, filename, "exec")
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    # The source was generated above from a validated tree, never from user text (see module docstring).
    exec(code, namespace)
    fn: Callable[..., Any] = namespace[name]
    return fn
