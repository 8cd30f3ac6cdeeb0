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

from .tree import Scalar
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
        return {"True": "False", "False": "True"}.get(e) or f"(not {e})"

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

    def _const(self, value: Any) -> str:
        if isinstance(value, (bool, int, float, str)) and not isinstance(value, date):
            return repr(value)
        name = f"_k{len(self.consts)}"
        self.consts[name] = value
        return name


_INTEGER = re.compile(r"-?[0-9]+")
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
