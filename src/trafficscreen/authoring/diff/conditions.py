"""Condition trees compared without evaluating them: same meaning, implication, monotonicity.

All three answer conservatively: ``False`` (or a name reported as not monotone) means "not shown", and
the diff then treats the change as able to lower a level.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...expr.parser import ConditionSyntaxError, parse_condition
from ...expr.tree import And, Arith, Compare, Const, ConstList, In, IsKnown, Name, Node, Not, Or
from ...model.indicator_set import Dimension, IndicatorSet


def parse_or_none(text: str | None) -> Node | None:
    """The tree of a condition, or None when there is none or it does not parse."""
    if text is None:
        return None
    try:
        return parse_condition(text)
    except ConditionSyntaxError:
        return None


def dimension_rule(s: IndicatorSet, dim: Dimension) -> str | None:
    """The rule a dimension is present under: its own, else the set's default."""
    return dim.present_when if dim.present_when is not None else s.dimension_rule


# --- shape: a canonical text ------------------------------------------------------------------------


def _shape(node: Node) -> str:
    """A canonical text of ``node`` without positions: operands of ``and``, ``or``, ``+`` and ``*`` and the
    items of a list are sorted, so conditions that differ only in such order have the same shape."""
    match node:
        case Name(id=i):
            return f"n:{i}"
        case Const(value=v):
            return f"c:{type(v).__name__}:{v!r}"
        case ConstList(items=items):
            return "list[" + ",".join(sorted({_shape(c) for c in items})) + "]"
        case Not(operand=o):
            return f"not({_shape(o)})"
        case And(operands=ops):
            return "and(" + ",".join(sorted({_shape(o) for o in ops})) + ")"
        case Or(operands=ops):
            return "or(" + ",".join(sorted({_shape(o) for o in ops})) + ")"
    return _operator_shape(node)


def _operator_shape(node: Node) -> str:
    """The shape of a comparison, membership, known-test or arithmetic node."""
    match node:
        case Compare(op=op, left=a, right=b):
            return f"cmp{op}({_shape(a)},{_shape(b)})"
        case In(item=a, container=b, negate=neg):
            return f"{'notin' if neg else 'in'}({_shape(a)},{_shape(b)})"
        case IsKnown(name=n, negate=neg):
            return f"{'unknown' if neg else 'known'}({n.id})"
        case Arith(op="+" | "*" as op):
            return f"{op}(" + ",".join(sorted(_shape(t) for t in _terms(node, op))) + ")"
        case Arith(op=op, left=a, right=b):
            return f"{op}({_shape(a)},{_shape(b)})"
    raise TypeError(type(node).__name__)  # pragma: no cover


def _terms(node: Node, op: str) -> Iterator[Node]:
    """The operands of a chain of one commutative operator: ``a + (b + c)`` gives a, b, c."""
    if isinstance(node, Arith) and node.op == op:
        yield from _terms(node.left, op)
        yield from _terms(node.right, op)
    else:
        yield node


def same_meaning(a: Node, b: Node) -> bool:
    return _shape(a) == _shape(b)


# --- implication ------------------------------------------------------------------------------------


def _bound(node: Node) -> tuple[str, str, float] | None:
    """``name op number`` as (name, op, number) for the order comparisons, else None."""
    if isinstance(node, Compare) and isinstance(node.left, Name) and isinstance(node.right, Const):
        v = node.right.value
        if isinstance(v, (int, float)) and not isinstance(v, bool) and node.op in ("<", "<=", ">", ">="):
            return node.left.id, node.op, float(v)
    return None


def implies(p: Node, q: Node) -> bool:
    """True only when ``p`` being true guarantees ``q`` is true (three-valued). False means "not shown"."""
    if same_meaning(p, q) or _implies_by_connective(p, q):
        return True
    if isinstance(p, In) and isinstance(q, In):
        return _list_implies(p, q)
    return _bound_implies(p, q)


def _implies_by_connective(p: Node, q: Node) -> bool:
    """Implication decided by the ``and``/``or`` on either side."""
    if isinstance(q, Or) and any(implies(p, o) for o in q.operands):
        return True
    if isinstance(p, And) and any(implies(o, q) for o in p.operands):
        return True
    if isinstance(p, Or) and all(implies(o, q) for o in p.operands):
        return True
    return isinstance(q, And) and all(implies(p, o) for o in q.operands)


def _list_implies(p: In, q: In) -> bool:
    """``x in [..]`` implies ``x in [..]`` when the first list is part of the second."""
    if p.negate or q.negate or not isinstance(p.container, ConstList) or not isinstance(q.container, ConstList):
        return False
    if _shape(p.item) != _shape(q.item):
        return False
    return {_shape(c) for c in p.container.items} <= {_shape(c) for c in q.container.items}


def _bound_implies(p: Node, q: Node) -> bool:
    """``x < a`` implies ``x <= b`` when ``a <= b``; the same for lower bounds."""
    bp, bq = _bound(p), _bound(q)
    if not (bp and bq and bp[0] == bq[0]):
        return False
    (_, op1, a), (_, op2, b) = bp, bq
    if op1 in ("<", "<=") and op2 in ("<", "<="):
        return a < b or (a == b and (op1 == "<" or op2 == "<="))
    if op1 in (">", ">=") and op2 in (">", ">="):
        return a > b or (a == b and (op1 == ">" or op2 == ">="))
    return False


# --- monotonicity -----------------------------------------------------------------------------------

_COMPARE_SIGNS: dict[str, tuple[int, int]] = {">": (1, -1), ">=": (1, -1), "<": (-1, 1), "<=": (-1, 1)}
"""How raising each side of an order comparison moves its truth; ``==`` and ``!=`` move it both ways."""
_ARITH_SIGNS: dict[str, tuple[int, int]] = {"+": (1, 1), "-": (1, -1)}


def _arith_signs(op: str, a: Node, b: Node) -> tuple[int, int] | None:
    """How raising each operand moves the value; None when either way (a product of two unknowns)."""
    if op in _ARITH_SIGNS:
        return _ARITH_SIGNS[op]
    if isinstance(a, Const) and isinstance(a.value, (int, float)):
        return 1, (1 if a.value >= 0 else -1)
    if isinstance(b, Const) and isinstance(b.value, (int, float)):
        return (1 if b.value >= 0 else -1), 1
    return None


def _polarity(node: Node, sign: int, out: dict[str, set[int]]) -> None:
    """Record, for each name, whether raising it can make ``node`` truer (+1), falser (-1), or both."""
    match node:
        case Name(id=i):
            out.setdefault(i, set()).add(sign)
        case Not(operand=o):
            _polarity(o, -sign, out)
        case And(operands=ops) | Or(operands=ops):
            for o in ops:
                _polarity(o, sign, out)
        case Compare(op=op, left=a, right=b):
            _pair_polarity(a, b, sign, _COMPARE_SIGNS.get(op), out)
        case Arith(op=op, left=a, right=b):
            _pair_polarity(a, b, sign, _arith_signs(op, a, b), out)
        case In(item=a, container=b):
            _pair_polarity(a, b, sign, None, out)
        case IsKnown(name=n):
            out.setdefault(n.id, set()).update((1, -1))
        # a Const or ConstList reads no name


def _pair_polarity(a: Node, b: Node, sign: int, signs: tuple[int, int] | None, out: dict[str, set[int]]) -> None:
    if signs is None:
        for s in (sign, -sign):
            _polarity(a, s, out)
            _polarity(b, s, out)
    else:
        _polarity(a, sign * signs[0], out)
        _polarity(b, sign * signs[1], out)


def not_monotone(node: Node) -> list[str]:
    """Names that ``node`` does not read monotonically (raising them can make it false). Empty for a
    monotone rule such as ``strong >= 2 or (strong >= 1 and medium + weak >= 1)``."""
    out: dict[str, set[int]] = {}
    _polarity(node, 1, out)
    return [n for n, signs in out.items() if -1 in signs]
