"""The Python backend: generated source is registered for tracebacks, named uniquely per set content, and
interval answers are sound. Its meaning is held to the reference interpreter by tests/expr/test_conformance.py."""

from __future__ import annotations

import linecache
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strategies import count_rules, intervals
from trafficscreen.content.loader import load_set
from trafficscreen.core.engine import DEFAULT_SET
from trafficscreen.expr.interpret import evaluate
from trafficscreen.expr.parser import parse_condition
from trafficscreen.expr.pycompile import PyGen
from trafficscreen.expr.types import Scope, T, TypeChecker, VarType

COUNT_SCOPE = Scope("count", {n: VarType(T.COUNT) for n in ("strong", "medium", "weak")})


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


def test_generated_source_is_registered_under_a_name_unique_to_the_set_content() -> None:
    cs = load_set(DEFAULT_SET)
    filename = cs.run.__code__.co_filename
    assert cs.ref in filename and cs.sha256[:12] in filename
    assert "".join(linecache.getlines(filename)) == cs.source_code


def test_the_compiled_function_returns_statuses_in_set_order() -> None:
    cs = load_set(DEFAULT_SET)
    indicators, dimensions, counts, levels = cs.run({})
    assert len(indicators) == len(cs.definition.indicators)
    assert len(dimensions) == len(counts) == len(cs.definition.dimensions)
    assert len(levels) == len(cs.definition.levels)
    assert all(len(c) == 8 for c in counts)


def test_a_count_no_indicator_adds_to_is_a_folded_zero() -> None:
    """The default set has dimensions without weak indicators whose rules still read ``weak``: the count is
    the literal 0, never assigned, and comparisons of constants are folded away."""
    cs = load_set(DEFAULT_SET)
    source = cs.source_code
    assert not re.search(r"^\s+\w+_(lo|hi) = 0$", source, re.M)
    assert not re.search(r"\(-?\d+ (<|<=|>|>=|==|!=) -?\d+\)", source)
    assert "+ 0)" not in source
    weak_rules = [k for k, reads in enumerate(cs.plan.dimension_reads) if "weak" in reads]
    empty = [k for k in weak_rules if not cs.plan.dimension_count(k, "weak")]
    assert empty, "the default set should have a rule reading an empty count"
    assert all(f"d{k}_weak_lo" not in source for k in empty)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), st.integers(-5, 5), st.integers(-5, 5))
def test_folded_comparisons_agree_with_python(op: str, a: int, b: int) -> None:
    gen = PyGen(TypeChecker(COUNT_SCOPE), str, {})
    holds = {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "==": a == b, "!=": a != b}[op]
    assert gen.compare(op, str(a), str(b)) == repr(holds)
    assert gen.all_of(["x", "True"]) == "x" and gen.all_of(["x", "False"]) == "False"
    assert gen.any_of(["x", "False"]) == "x" and gen.any_of(["x", "True"]) == "True"
    assert gen.arith("+", "x", "0") == "x" and gen.arith("*", "x", "0") == "(x * 0)"


@pytest.mark.parametrize(("world", "other", "fn"), [("lo", "hi", "certain_levels"), ("hi", "lo", "possible_levels")])
def test_each_world_of_the_level_rules_is_the_run_cut_to_it(world: str, other: str, fn: str) -> None:
    """A plain screen runs ``certain_levels``, the highest level still possible ``possible_levels``: the
    lines of ``_run`` that world of the level rules reads, none of the other world's, registered for
    tracebacks under a name of their own."""
    cs = load_set(DEFAULT_SET)
    source = cs.levels_source_code(world)
    body = source.splitlines()[1:-1]
    assert body and set(body) <= set(cs.source_code.splitlines())
    assert not re.search(rf"\b\w+_{other}\b", source)
    assert (
        source.splitlines()[-1] == "    return (" + "".join(f"l{j}_{world}, " for j in range(len(cs.plan.scales))) + ")"
    )
    assert len(body) < 0.7 * len(cs.source_code.splitlines())
    filename = getattr(cs, fn).__code__.co_filename
    assert cs.sha256[:12] in filename and filename != cs.run.__code__.co_filename
    assert "".join(linecache.getlines(filename)) == source
