"""The compiled Python must mean exactly what the reference interpreter means."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from strategies import conditions, count_rules, field_envs, intervals
from trafficscreen.expr.interpret import evaluate
from trafficscreen.expr.parser import parse_condition
from trafficscreen.expr.pycompile import PyGen, build_function
from trafficscreen.expr.types import Scope, T, TypeChecker, VarType

FIELD_SCOPE = Scope(
    "field",
    {
        "fa": VarType(T.BOOL),
        "fb": VarType(T.BOOL),
        "fc": VarType(T.BOOL),
        "age": VarType(T.NUM),
        "n2": VarType(T.NUM),
        "who": VarType(T.ENUM, frozenset({"parent", "employer", "none"})),
        "work": VarType(T.SET, frozenset({"domestic", "street", "farm"})),
    },
)
COUNT_SCOPE = Scope("count", {n: VarType(T.COUNT) for n in ("strong", "medium", "weak")})


def compile_field(text: str) -> tuple[Any, Any]:
    tree = parse_condition(text)
    checker = TypeChecker(FIELD_SCOPE)
    checker.check(tree)
    consts: dict[str, Any] = {}
    gen = PyGen(checker, lambda n: f"v_{n}", consts)
    expr, _ = gen.bool3(tree)
    names = list(FIELD_SCOPE.names)
    src = "def f(" + ", ".join(f"v_{n}" for n in names) + "):\n    return " + expr + "\n"
    fn = build_function(src, "f", consts, "<test>")
    return tree, lambda env: fn(*(env.get(n) for n in names))


@settings(max_examples=400, deadline=None)
@given(conditions(), st.lists(field_envs(), min_size=1, max_size=8))
def test_compiled_field_conditions_match_the_interpreter(text: str, envs: list[dict[str, Any]]) -> None:
    tree, fn = compile_field(text)
    for env in envs:
        assert fn(env) is evaluate(tree, env), (text, env)


@settings(max_examples=400, deadline=None)
@given(count_rules(), intervals(), intervals(), intervals())
def test_compiled_count_rules_match_the_interpreter(
    text: str, s: tuple[int, int], m: tuple[int, int], w: tuple[int, int]
) -> None:
    tree = parse_condition(text)
    checker = TypeChecker(COUNT_SCOPE)
    checker.check(tree)
    consts: dict[str, Any] = {}
    expr, _ = PyGen(checker, lambda n: n, consts).bool3(tree)
    src = f"def f(strong_lo, strong_hi, medium_lo, medium_hi, weak_lo, weak_hi):\n    return {expr}\n"
    fn = build_function(src, "f", consts, "<test>")
    got = fn(s[0], s[1], m[0], m[1], w[0], w[1])
    assert got is evaluate(tree, {"strong": s, "medium": m, "weak": w}), text


@settings(max_examples=300, deadline=None)
@given(count_rules(), intervals(), intervals(), intervals(), st.data())
def test_interval_answers_are_sound(
    text: str, s: tuple[int, int], m: tuple[int, int], w: tuple[int, int], data: st.DataObject
) -> None:
    """A definite answer on an interval holds for every count inside it."""
    tree = parse_condition(text)
    TypeChecker(COUNT_SCOPE).check(tree)
    verdict = evaluate(tree, {"strong": s, "medium": m, "weak": w})
    point = {
        k: (v, v)
        for k, v in (
            ("strong", data.draw(st.integers(*s))),
            ("medium", data.draw(st.integers(*m))),
            ("weak", data.draw(st.integers(*w))),
        )
    }
    exact = evaluate(tree, point)
    assert exact is not None
    if verdict is not None:
        assert exact is verdict


def test_three_valued_truth_tables() -> None:
    _, f_and = compile_field("fa and fb")
    _, f_or = compile_field("fa or fb")
    _, f_not = compile_field("not fa")
    values = [True, False, None]
    for a in values:
        assert f_not({"fa": a}) is (None if a is None else not a)
        for b in values:
            env = {"fa": a, "fb": b}
            exp_and = False if False in (a, b) else (None if None in (a, b) else True)
            exp_or = True if True in (a, b) else (None if None in (a, b) else False)
            assert f_and(env) is exp_and
            assert f_or(env) is exp_or


def test_unknown_is_never_no() -> None:
    _, f = compile_field("age < 18")
    assert f({}) is None
    _, f = compile_field('"street" in work')
    assert f({}) is None
    _, f = compile_field("not fa")
    assert f({}) is None


def _two_world(gen_text: str, scope: Scope, var: Any, params: list[str]) -> Any:
    tree = parse_condition(gen_text)
    checker = TypeChecker(scope)
    checker.check(tree)
    consts: dict[str, Any] = {}
    lo, hi = PyGen(checker, var, consts).two(tree)
    src = (
        f"def f({', '.join(params)}):\n    lo = {lo}\n    hi = {hi}\n"
        "    return True if lo else (None if hi else False)\n"
    )
    return tree, build_function(src, "f", consts, "<test-two>")


@settings(max_examples=400, deadline=None)
@given(conditions(), st.lists(field_envs(), min_size=1, max_size=8))
def test_two_world_field_conditions_match_the_interpreter(text: str, envs: list[dict[str, Any]]) -> None:
    names = list(FIELD_SCOPE.names)
    tree, fn = _two_world(text, FIELD_SCOPE, lambda n: f"v_{n}", [f"v_{n}" for n in names])
    for env in envs:
        assert fn(*(env.get(n) for n in names)) is evaluate(tree, env), (text, env)


@settings(max_examples=400, deadline=None)
@given(count_rules(), intervals(), intervals(), intervals())
def test_two_world_count_rules_match_the_interpreter(
    text: str, s: tuple[int, int], m: tuple[int, int], w: tuple[int, int]
) -> None:
    params = ["strong_lo", "strong_hi", "medium_lo", "medium_hi", "weak_lo", "weak_hi"]
    tree, fn = _two_world(text, COUNT_SCOPE, lambda n: n, params)
    assert fn(s[0], s[1], m[0], m[1], w[0], w[1]) is evaluate(tree, {"strong": s, "medium": m, "weak": w}), text
