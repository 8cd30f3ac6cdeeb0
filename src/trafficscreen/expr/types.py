"""Type checking of conditions against a scope: the data dictionary, or the counts a rule can see.

Three kinds of scope exist:

* the **field scope** of indicator conditions: every dictionary field, typed as the dictionary says;
  a value is either known exactly or unknown;
* the **count scope** of dimension and level rules: counts of met indicators (``strong``, ``medium``,
  ``weak``, ``points``, ``met``), which are *intervals* — at least the met ones, at most the met plus the
  unknown ones — and yes/no names (dimension ids, ``red_flag``) that may be unknown.

A checked tree is guaranteed to evaluate without a type error in every backend.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from ..errors import ConditionTypeError as ConditionTypeError  # re-exported: its old home
from .tree import And, Arith, Compare, Const, ConstList, In, IsKnown, Name, Node, Not, Or


class T(StrEnum):
    BOOL = "yes/no"
    NUM = "number"
    COUNT = "count"
    ENUM = "choice"
    SET = "set of choices"
    DATE = "date"
    STR = "text"
    LIST = "list"


@dataclass(frozen=True, slots=True)
class VarType:
    type: T
    codes: frozenset[str] = frozenset()


@dataclass
class Scope:
    """Names a condition may use and their types."""

    kind: str  # "field" or "count", for messages
    names: dict[str, VarType] = field(default_factory=dict)


_NUMERIC = (T.NUM, T.COUNT)


class TypeChecker:
    """Assigns a type to every node of a tree, raising :class:`ConditionTypeError` on the first misuse."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self._types: dict[int, T] = {}
        self._list_item: dict[int, T] = {}

    def check(self, node: Node) -> None:
        t = self.typeof(node)
        if t is not T.BOOL:
            raise ConditionTypeError(
                f"the condition must be yes/no, but this is a {t.value}; compare it with something",
                node.pos,
            )

    def typeof(self, node: Node) -> T:
        cached = self._types.get(id(node))
        if cached is not None:
            return cached
        t = self._infer(node)
        self._types[id(node)] = t
        return t

    def var(self, name: Name) -> VarType:
        vt = self.scope.names.get(name.id)
        if vt is None:
            hint = difflib.get_close_matches(name.id, list(self.scope.names), n=1)
            extra = f"; did you mean '{hint[0]}'?" if hint else ""
            what = "field in the data dictionary" if self.scope.kind == "field" else "name a rule can use"
            raise ConditionTypeError(f"'{name.id}' is not a {what}{extra}", name.pos)
        return vt

    def _infer(self, node: Node) -> T:
        match node:
            case Name():
                return self.var(node).type
            case Const(value=v):
                if isinstance(v, bool):
                    return T.BOOL
                if isinstance(v, (int, float)):
                    return T.NUM
                if isinstance(v, date):
                    return T.DATE
                return T.STR
            case ConstList(items=items):
                kinds = {self.typeof(i) for i in items}
                if len(kinds) != 1:
                    raise ConditionTypeError("a list must hold values of one type", node.pos)
                self._list_item[id(node)] = kinds.pop()
                return T.LIST
            case Not(operand=o):
                self._expect_bool(o, "'not'")
                return T.BOOL
            case And(operands=ops) | Or(operands=ops):
                word = "'and'" if isinstance(node, And) else "'or'"
                for o in ops:
                    self._expect_bool(o, word)
                return T.BOOL
            case Compare():
                self._compare(node)
                return T.BOOL
            case In():
                self._in(node)
                return T.BOOL
            case IsKnown(name=nm):
                vt = self.var(nm)
                if vt.type is T.COUNT:
                    raise ConditionTypeError(f"'{nm.id}' is a count and is always known", node.pos)
                return T.BOOL
            case Arith(op=op, left=left, right=right):
                lt, rt = self.typeof(left), self.typeof(right)
                if lt not in _NUMERIC or rt not in _NUMERIC:
                    bad = left if lt not in _NUMERIC else right
                    raise ConditionTypeError(
                        f"arithmetic needs numbers, but this is a {self.typeof(bad).value}", bad.pos
                    )
                if T.COUNT in (lt, rt):
                    if op == "*" and not (isinstance(left, Const) or isinstance(right, Const)):
                        raise ConditionTypeError("counts may be multiplied only by a constant", node.pos)
                    return T.COUNT
                return T.NUM
        raise ConditionTypeError("unsupported expression", node.pos)  # pragma: no cover

    def _expect_bool(self, node: Node, word: str) -> None:
        t = self.typeof(node)
        if t is not T.BOOL:
            raise ConditionTypeError(f"{word} needs yes/no operands, but this is a {t.value}", node.pos)

    def _enum_value(self, codes: frozenset[str], const: Node, field_name: str) -> None:
        if isinstance(const, Const) and isinstance(const.value, str) and const.value not in codes:
            hint = difflib.get_close_matches(const.value, sorted(codes), n=1)
            extra = f"; did you mean '{hint[0]}'?" if hint else ""
            raise ConditionTypeError(f"'{const.value}' is not a value of '{field_name}'{extra}", const.pos)

    def _compare(self, node: Compare) -> None:
        lt, rt = self.typeof(node.left), self.typeof(node.right)
        ordering = node.op in ("<", "<=", ">", ">=")
        if lt in _NUMERIC and rt in _NUMERIC:
            return
        if lt is T.DATE and rt is T.DATE:
            return
        if not ordering:
            if lt is T.BOOL and rt is T.BOOL:
                return
            for a, b, at, bt in ((node.left, node.right, lt, rt), (node.right, node.left, rt, lt)):
                if at is T.ENUM and bt is T.STR and isinstance(a, Name):
                    self._enum_value(self.var(a).codes, b, a.id)
                    return
                if at is T.ENUM and bt is T.ENUM and isinstance(a, Name) and isinstance(b, Name):
                    return
        side = node.right if lt in (T.ENUM, T.NUM, T.COUNT, T.DATE, T.BOOL) else node.left
        raise ConditionTypeError(f"cannot compare a {lt.value} with a {rt.value} using '{node.op}'", side.pos)

    def _in(self, node: In) -> None:
        it = self.typeof(node.item)
        ct = self.typeof(node.container)
        if ct is T.LIST:
            assert isinstance(node.container, ConstList)
            item_t = self._list_item[id(node.container)]
            if it is T.ENUM and item_t is T.STR and isinstance(node.item, Name):
                codes = self.var(node.item).codes
                for c in node.container.items:
                    self._enum_value(codes, c, node.item.id)
                return
            if it in _NUMERIC and item_t is T.NUM:
                return
            raise ConditionTypeError(f"cannot look for a {it.value} in a list of {item_t.value} values", node.item.pos)
        if ct is T.SET:
            assert isinstance(node.container, Name)
            if it is T.STR:
                self._enum_value(self.var(node.container).codes, node.item, node.container.id)
                return
            if it is T.LIST:
                raise ConditionTypeError(
                    'to ask for any of several values, write ("a" in x or "b" in x)', node.item.pos
                )
            raise ConditionTypeError(f"only a quoted value can be looked for in '{node.container.id}'", node.item.pos)
        raise ConditionTypeError(
            f"'in' needs a list or a set-of-choices field on its right, not a {ct.value}", node.container.pos
        )
