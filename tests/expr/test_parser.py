from __future__ import annotations

from datetime import date
from typing import cast

import pytest

from trafficscreen.expr.parser import MAX_CONDITION_LENGTH, ConditionSyntaxError, parse_condition
from trafficscreen.expr.tree import And, Arith, Compare, Const, ConstList, In, IsKnown, Name, Not, Or, names


def test_precedence_and_chains() -> None:
    tree = parse_condition("a or b and not c")
    assert isinstance(tree, Or)
    assert isinstance(tree.operands[1], And)
    assert isinstance(tree.operands[1].operands[1], Not)
    chain = parse_condition("1 < x <= 3")
    assert isinstance(chain, And) and [cast(Compare, c).op for c in chain.operands] == ["<", "<="]


def test_every_construct() -> None:
    tree = parse_condition(
        'x in ["a", "b"] and "c" not in s and y is known and z is not unknown and w is unknown '
        "and n + 2 * m - 1 >= -3 and d < date('2020-01-31') and flag == true"
    )
    assert isinstance(tree, And)
    kinds = [type(p) for p in tree.operands]
    assert kinds == [In, In, IsKnown, IsKnown, IsKnown, Compare, Compare, Compare]
    # the kinds are asserted just above; mypy does not narrow the items of a tuple, hence the casts
    negated, arith, dated = cast(In, tree.operands[1]), cast(Compare, tree.operands[5]), cast(Compare, tree.operands[6])
    assert negated.negate is True
    assert [cast(IsKnown, p).negate for p in tree.operands[2:5]] == [False, False, True]
    assert isinstance(arith.left, Arith)
    assert arith.right == Const(-3, arith.right.pos)
    assert cast(Const, dated.right).value == date(2020, 1, 31)
    assert names(tree) == ["x", "s", "y", "z", "w", "n", "m", "d", "flag"]


def test_positions_are_character_offsets() -> None:
    tree = parse_condition("alpha and  beta")
    assert isinstance(tree, And)
    assert [o.pos for o in tree.operands] == [1, 12]
    tree = parse_condition("é and b")  # positions count characters, not bytes
    assert isinstance(tree, And)
    assert tree.operands[1].pos == 7


def test_multi_line_condition_from_folded_yaml() -> None:
    tree = parse_condition("a and\n  b")
    assert isinstance(tree, And) and tree.operands[1] == Name("b", 9)


@pytest.mark.parametrize(
    ("text", "fragment", "pos"),
    [
        ("__import__('os').system('x')", "function call", 1),
        ("a.__class__", "attribute access", 1),
        ("a[0]", "indexing", 1),
        ("lambda: 1", "lambda", 1),
        ("a if b else c", "if-expression", 1),
        ("x and (y := 1)", "assignment", 8),
        ("a and", "syntax error", 5),
        ("a ** 2 > 1", "operator Pow", 1),
        ("x is 3", "'is' must be followed", 6),
        ("known", "can only follow 'is'", 1),
        ("x in []", "empty list", 6),
        ("x in [a]", "only constant", 7),
        ("f'{x}'", "f-string", 1),
        ("date('nope') > d", "ISO date", 1),
        ("", "empty", 1),
        ("{1: 2}", "mapping", 1),
        ("[x for x in y]", "comprehension", 1),
        ("b'x'", "constant of type bytes", 1),
    ],
)
def test_refused_constructs_name_their_position(text: str, fragment: str, pos: int) -> None:
    with pytest.raises(ConditionSyntaxError) as info:
        parse_condition(text)
    assert fragment in info.value.message
    assert info.value.pos == pos


def test_length_and_depth_limits() -> None:
    with pytest.raises(ConditionSyntaxError, match="longer than"):
        parse_condition("a or " * MAX_CONDITION_LENGTH + "a")
    with pytest.raises(ConditionSyntaxError):
        parse_condition("(" * 1000 + "a" + ")" * 1000)


def test_lists_hold_constants_only() -> None:
    tree = parse_condition("x in ('a', 'b')")
    assert isinstance(tree, In) and isinstance(tree.container, ConstList)
