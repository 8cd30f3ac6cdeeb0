"""A direct tree-walking evaluator: the reference meaning of the language.

It is slow and simple on purpose. The compiled backends are tested against it. Unknown is ``None``;
counts are ``(lo, hi)`` pairs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .tree import And, Arith, Compare, Const, ConstList, In, IsKnown, Name, Node, Not, Or

Interval = tuple[float, float]


def _and(values: list[bool | None]) -> bool | None:
    if any(v is False for v in values):
        return False
    if any(v is None for v in values):
        return None
    return True


def _or(values: list[bool | None]) -> bool | None:
    if any(v is True for v in values):
        return True
    if any(v is None for v in values):
        return None
    return False


def _as_interval(v: Any) -> Interval | None:
    if isinstance(v, tuple):
        return v
    if v is None:
        return None
    return (v, v)


def evaluate(node: Node, env: Mapping[str, Any]) -> Any:
    """Evaluate ``node``; ``env`` maps names to values, ``None`` or ``(lo, hi)`` for counts."""
    match node:
        case Name(id=i):
            return env.get(i)
        case Const(value=v):
            return v
        case ConstList(items=items):
            return frozenset(c.value for c in items)
        case Not(operand=o):
            v = evaluate(o, env)
            return None if v is None else not v
        case And(operands=ops):
            return _and([evaluate(o, env) for o in ops])
        case Or(operands=ops):
            return _or([evaluate(o, env) for o in ops])
        case IsKnown(name=nm, negate=neg):
            return (env.get(nm.id) is None) if neg else (env.get(nm.id) is not None)
        case Arith(op=op, left=a, right=b):
            x, y = evaluate(a, env), evaluate(b, env)
            if x is None or y is None:
                return None
            if isinstance(x, tuple) or isinstance(y, tuple):
                xi, yi = _as_interval(x), _as_interval(y)
                assert xi is not None and yi is not None
                if op == "+":
                    return (xi[0] + yi[0], xi[1] + yi[1])
                if op == "-":
                    return (xi[0] - yi[1], xi[1] - yi[0])
                products = [p * q for p in xi for q in yi]
                return (min(products), max(products))
            if op == "+":
                return x + y
            if op == "-":
                return x - y
            return x * y
        case Compare(op=op, left=a, right=b):
            x, y = evaluate(a, env), evaluate(b, env)
            if x is None or y is None:
                return None
            if isinstance(x, tuple) or isinstance(y, tuple):
                xi, yi = _as_interval(x), _as_interval(y)
                assert xi is not None and yi is not None
                return _compare_intervals(op, xi, yi)
            return _compare_values(op, x, y)
        case In(item=item, container=container, negate=neg):
            x, coll = evaluate(item, env), evaluate(container, env)
            if x is None or coll is None:
                return None
            if isinstance(x, tuple):
                if x[0] != x[1]:
                    return None
                x = x[0]
            inside = x in coll
            return not inside if neg else inside
    raise TypeError(f"cannot evaluate {type(node).__name__}")  # pragma: no cover


def _compare_values(op: str, x: Any, y: Any) -> bool:
    if op == "<":
        return bool(x < y)
    if op == "<=":
        return bool(x <= y)
    if op == ">":
        return bool(x > y)
    if op == ">=":
        return bool(x >= y)
    if op == "==":
        return bool(x == y)
    return bool(x != y)


def _compare_intervals(op: str, a: Interval, b: Interval) -> bool | None:
    """True if the comparison holds for every pair of values in the intervals, False if for none."""
    holds = [_compare_values(op, x, y) for x in a for y in b]
    if op in ("==", "!="):
        overlap = not (a[1] < b[0] or b[1] < a[0])
        point = a[0] == a[1] == b[0] == b[1]
        if op == "==":
            return True if point else (None if overlap else False)
        return False if point else (None if overlap else True)
    if all(holds):
        return True
    if not any(holds):
        return False
    return None
