"""Compile checked condition trees to Python source with three-valued logic written out inline.

Why generate source: a tree-walking interpreter costs several microseconds per condition, while a
straight-line function costs about as much as hand-written code. The source is produced only from our
own validated tree (identifiers are dictionary ids matching ``[a-z][a-z0-9_]*``, constants are
emitted with ``repr``), never from the condition text. Like attrs, the generated code is registered with
``linecache`` so a traceback shows it.

Values in generated code: ``True`` / ``False`` / ``None`` (unknown) for yes/no, the plain value or
``None`` for fields, and a pair of ``lo``/``hi`` expressions for counts. Every condition is generated in
the two worlds of :mod:`.worlds` as plain booleans: about as fast as hand-written code, with no
``None`` tests in the rules over counts.
"""

from __future__ import annotations

import linecache
import operator
import re
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from .tree import And, Compare, Const, ConstList, In, IsKnown, Name, Node, Or, Scalar
from .types import TypeChecker
from .worlds import GuardedWorlds


class PyGen(GuardedWorlds[str]):
    """Python expressions for the two worlds of conditions in one scope (see :mod:`.worlds`).

    ``var`` maps a field, dimension or ``red_flag`` to the local variable holding its value (``True``,
    ``False`` or ``None`` for unknown); ``count`` maps a count to the local variables of its interval.
    """

    def __init__(
        self,
        checker: TypeChecker,
        var: Callable[[str], str],
        consts: dict[str, Any],
        count: Callable[[str], tuple[str, str]] | None = None,
    ) -> None:
        self.checker = checker
        self.var = var
        self.consts = consts
        self._count = count or (lambda n: (f"{var(n)}_lo", f"{var(n)}_hi"))

    def junction_parts(self, node: And | Or) -> list[tuple[str, str]]:
        """Operands of an ``or`` that look for answer codes in one set-of-choices field become one test
        of that field (``'a' in v or 'b' in v`` is ``not {'a', 'b'}.isdisjoint(v)``)."""
        if isinstance(node, And):
            return super().junction_parts(node)
        codes: dict[str, list[Scalar]] = {}
        looks = [_code_look(o) for o in node.operands]
        for look in looks:
            if look is not None:
                codes.setdefault(look[0], []).append(look[1])
        parts: list[tuple[str, str]] = []
        merged: set[str] = set()
        for o, look in zip(node.operands, looks, strict=True):
            if look is None or len(codes[look[0]]) < 2:
                parts.append(self.two(o))
            elif (f := look[0]) not in merged:  # the first of the field's looks stands for all of them
                merged.add(f)
                v, wanted = self.var(f), self._const(frozenset(codes[f]))
                test = f"(not {wanted}.isdisjoint({v}))"
                parts.append((f"(({v} is not None) and {test})", f"(({v} is None) or {test})"))
        return parts

    # --- primitives ---------------------------------------------------------------------------
    def literal(self, value: bool) -> str:
        return repr(value)

    # Constants are folded where a count no indicator adds to is the literal 0 (a dimension without weak
    # indicators still has a rule reading ``weak``): Python's compiler folds arithmetic, not comparisons.
    def all_of(self, parts: Sequence[str]) -> str:
        if "False" in parts:
            return "False"
        return _joined(" and ", [p for p in parts if p != "True"], "True")

    def any_of(self, parts: Sequence[str]) -> str:
        if "True" in parts:
            return "True"
        return _joined(" or ", [p for p in parts if p != "False"], "False")

    def negate(self, e: str) -> str:
        literal = {"True": "False", "False": "True"}.get(e)
        if literal is not None:
            return literal
        identity = _IDENTITY.fullmatch(e)  # (v is X) <-> (v is not X): one test instead of two
        if identity is not None:
            v, negated, x = identity.groups()
            return f"({v} is {'' if negated else 'not '}{x})"
        return f"(not {e})"

    def compare(self, op: str, a: str, b: str) -> str:
        if _INTEGER.fullmatch(a) and _INTEGER.fullmatch(b):
            return repr(_COMPARE[op](int(a), int(b)))
        return f"({a} {op} {b})"

    def number(self, value: int | float) -> str:
        return repr(value)

    def arith(self, op: str, a: str, b: str) -> str:
        if b == "0" and op in "+-":
            return a
        if a == "0" and op == "+":
            return b
        return f"({a} {op} {b})"

    def member(self, item: str, values: tuple[Scalar, ...], negate: bool) -> str:
        return f"({item} {'not in' if negate else 'in'} {self._const(frozenset(values))})"

    def name(self, name: str) -> tuple[str, str]:
        v = self.var(name)
        return f"({v} is True)", f"({v} is not False)"

    def count(self, name: str) -> tuple[str, str]:
        return self._count(name)

    def value(self, name: str) -> str:
        return self.var(name)

    def constant(self, value: Scalar) -> str:
        return self._const(value)

    def known(self, name: str) -> str:
        return f"({self.var(name)} is not None)"

    def unknown(self, name: str) -> str:
        return f"({self.var(name)} is None)"

    def contains(self, container: str, item: str, negate: bool) -> str:
        return f"({item} {'not in' if negate else 'in'} {container})"

    def field_test(self, node: Compare | In | IsKnown) -> tuple[str, str]:
        return self._folded_test(node) or super().field_test(node)

    def _folded_test(self, node: Compare | In | IsKnown) -> tuple[str, str] | None:
        """(lo, hi) of a field tested against constants with ``==``, ``!=``, ``in`` or ``not in``, with the
        "known" guard folded into the test, or None for any other test.

        Python's ``==`` and ``in`` are false for None against any answer code or number and never raise, so
        "known and equal" is ``v == c``, "unknown or equal" is ``v in (None, c)``, and a list of codes gains
        None in the world where unknown counts as met. Half the comparisons of the guarded form."""
        if self.checker.scope.kind == "count":
            return None
        match node:
            case (
                Compare(op="==" | "!=" as op, left=Name(id=f), right=Const(value=c))
                | Compare(op="==" | "!=" as op, left=Const(value=c), right=Name(id=f))
            ):
                v, k = self.var(f), self.constant(c)
                equal = (f"({v} == {k})", f"({v} in (None, {k}))")
                differ = (f"({v} not in (None, {k}))", f"({v} != {k})")
                return equal if op == "==" else differ
            case In(item=Name(id=f), container=ConstList(items=items), negate=negate):
                v, codes = self.var(f), frozenset(c.value for c in items)
                met, unknown_met = self._const(codes), self._const(codes | {None})
                if negate:
                    return f"({v} not in {unknown_met})", f"({v} not in {met})"
                return f"({v} in {met})", f"({v} in {unknown_met})"
        return None

    def _const(self, value: Any) -> str:
        if isinstance(value, (bool, int, float, str)) and not isinstance(value, date):
            return repr(value)
        name = f"_k{len(self.consts)}"
        self.consts[name] = value
        return name


_INTEGER = re.compile(r"-?[0-9]+")
_IDENTITY = re.compile(r"\(([A-Za-z_][A-Za-z0-9_]*) is (not )?(True|False|None)\)")


def _code_look(node: Node) -> tuple[str, Scalar] | None:
    """(field, code) when ``node`` looks for one answer code in a set-of-choices field (``'a' in v``)."""
    if isinstance(node, In) and isinstance(node.item, Const) and isinstance(node.container, Name) and not node.negate:
        return node.container.id, node.item.value
    return None


_COMPARE: dict[str, Callable[[int, int], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


def _joined(sep: str, parts: list[str], empty: str) -> str:
    if not parts:
        return empty
    return parts[0] if len(parts) == 1 else "(" + sep.join(parts) + ")"


def build_function(source: str, name: str, namespace: dict[str, Any], filename: str) -> Callable[..., Any]:
    """Turn generated source into a function, registering the source so tracebacks can show it."""
    code = compile(source, filename, "exec")
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    # The source was generated above from a validated tree, never from user text (see module docstring).
    exec(code, namespace)
    fn: Callable[..., Any] = namespace[name]
    return fn
