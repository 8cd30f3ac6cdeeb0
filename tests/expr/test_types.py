from __future__ import annotations

import pytest

from trafficscreen.expr.parser import parse_condition
from trafficscreen.expr.types import ConditionTypeError, Scope, T, TypeChecker, VarType

SCOPE = Scope(
    "field",
    {
        "flag": VarType(T.BOOL),
        "age": VarType(T.NUM),
        "who": VarType(T.ENUM, frozenset({"parent", "employer"})),
        "work": VarType(T.SET, frozenset({"domestic", "street"})),
        "seen": VarType(T.DATE),
    },
)


def check(text: str) -> None:
    TypeChecker(SCOPE).check(parse_condition(text))


@pytest.mark.parametrize(
    "text",
    [
        "flag",
        "not flag and age < 18",
        'who == "parent"',
        'who in ["parent", "employer"]',
        '"street" in work and "domestic" not in work',
        "age + 1 > 3",
        "seen < date('2024-01-01')",
        "flag == true",
        "who is known",
        "age in [1, 2]",
    ],
)
def test_well_typed(text: str) -> None:
    check(text)


@pytest.mark.parametrize(
    ("text", "fragment", "pos"),
    [
        ("flg", "'flg' is not a field in the data dictionary; did you mean 'flag'?", 1),
        ("who == 3", "cannot compare a choice with a number", 8),
        ("age == 'x'", "cannot compare a number with a text", 8),
        ('who == "employr"', "'employr' is not a value of 'who'; did you mean 'employer'?", 8),
        ('who in ["parent", "uncle"]', "'uncle' is not a value of 'who'", 19),
        ('"school" in work', "'school' is not a value of 'work'", 1),
        ("age", "must be yes/no", 1),
        ("flag and age", "'and' needs yes/no operands", 10),
        ("who < 'parent'", "cannot compare", 7),
        ("age in work", "only a quoted value", 1),
        ("'a' in who", "'in' needs a list or a set-of-choices field", 8),
        ("age in ['a']", "cannot look for a number in a list of text", 1),
        ("flag + 1 > 0", "arithmetic needs numbers", 1),
        ("who in [1, 'a']", "one type", 8),
    ],
)
def test_type_errors_are_located(text: str, fragment: str, pos: int) -> None:
    with pytest.raises(ConditionTypeError) as info:
        check(text)
    assert fragment in info.value.message
    assert info.value.pos == pos


def test_counts_are_intervals_and_always_known() -> None:
    scope = Scope("count", {"strong": VarType(T.COUNT), "medium": VarType(T.COUNT)})
    TypeChecker(scope).check(parse_condition("strong >= 2 or strong + medium * 2 > 3"))
    with pytest.raises(ConditionTypeError, match="always known"):
        TypeChecker(scope).check(parse_condition("strong is known"))
    with pytest.raises(ConditionTypeError, match="multiplied only by a constant"):
        TypeChecker(scope).check(parse_condition("strong * medium > 1"))
