"""The Python backend: generated source is registered for tracebacks, named uniquely per set content, and
interval answers are sound. Its meaning is held to the reference interpreter by tests/expr/test_conformance.py."""

from __future__ import annotations

import linecache

from hypothesis import given, settings
from hypothesis import strategies as st

from strategies import count_rules, intervals
from trafficscreen.content.loader import load_set
from trafficscreen.core.engine import DEFAULT_SET
from trafficscreen.expr.interpret import evaluate
from trafficscreen.expr.parser import parse_condition
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
