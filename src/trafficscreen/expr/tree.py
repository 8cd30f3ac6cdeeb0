"""The condition language's syntax tree: small, immutable and independent of any backend.

Every backend (the Python compiler here; columnar and SQL compilers later) walks these nodes, so one
condition means the same thing everywhere. ``pos`` is the 1-based character offset of the node in the
condition text, used in error messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

Scalar = bool | int | float | str | date
CompareOp = Literal["<", "<=", ">", ">=", "==", "!="]
ArithOp = Literal["+", "-", "*"]


@dataclass(frozen=True, slots=True)
class Name:
    id: str
    pos: int


@dataclass(frozen=True, slots=True)
class Const:
    value: Scalar
    pos: int


@dataclass(frozen=True, slots=True)
class ConstList:
    items: tuple[Const, ...]
    pos: int


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node
    pos: int


@dataclass(frozen=True, slots=True)
class And:
    operands: tuple[Node, ...]
    pos: int


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple[Node, ...]
    pos: int


@dataclass(frozen=True, slots=True)
class Compare:
    op: CompareOp
    left: Node
    right: Node
    pos: int


@dataclass(frozen=True, slots=True)
class In:
    """``item in container``; the container is a constant list or a set-valued field."""

    item: Node
    container: Node
    negate: bool
    pos: int


@dataclass(frozen=True, slots=True)
class IsKnown:
    """``field is known`` / ``field is unknown``: the only operators that look at unknown itself."""

    name: Name
    negate: bool
    pos: int


@dataclass(frozen=True, slots=True)
class Arith:
    op: ArithOp
    left: Node
    right: Node
    pos: int


Node = Name | Const | ConstList | Not | And | Or | Compare | In | IsKnown | Arith


def names(node: Node) -> list[str]:
    """Every name the condition refers to, in first-seen order, without repeats."""
    seen: dict[str, None] = {}
    stack: list[Node] = [node]
    while stack:
        n = stack.pop()
        match n:
            case Name(id=i):
                seen.setdefault(i, None)
            case Const() | ConstList():
                pass
            case Not(operand=o):
                stack.append(o)
            case And(operands=ops) | Or(operands=ops):
                stack.extend(reversed(ops))
            case Compare(left=a, right=b) | Arith(left=a, right=b) | In(item=a, container=b):
                stack.extend((b, a))
            case IsKnown(name=nm):
                seen.setdefault(nm.id, None)
    return list(seen)


def uses_is_known(node: Node) -> bool:
    """True when the condition asks whether a field is known; such conditions are not monotone."""
    stack: list[Node] = [node]
    while stack:
        n = stack.pop()
        match n:
            case IsKnown():
                return True
            case Not(operand=o):
                stack.append(o)
            case And(operands=ops) | Or(operands=ops):
                stack.extend(ops)
            case Compare(left=a, right=b) | Arith(left=a, right=b) | In(item=a, container=b):
                stack.extend((a, b))
            case _:
                pass
    return False
