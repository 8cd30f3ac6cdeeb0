"""Invariants of three-valued screening, checked on the mini set and every shipped set."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import MINI_SET
from strategies import answer_for, answers_for
from trafficscreen.compiled import CompiledSet
from trafficscreen.engine import Screener
from trafficscreen.expr.parser import parse_condition
from trafficscreen.expr.tree import names, uses_is_known
from trafficscreen.loader import load_set, shipped_sets

SETS = [str(MINI_SET)] + [f"{i}@{v}" for i, v, _ in shipped_sets()]


def _monotone(cs: CompiledSet) -> bool:
    return not any(uses_is_known(tree) for tree, _ in cs.checked.indicators)


@pytest.fixture(scope="module", params=SETS)
def screener(request: pytest.FixtureRequest) -> Screener:
    cs = load_set(request.param, allow_draft=True)
    return Screener(cs, allow_draft=True)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_answering_an_unknown_stays_within_the_bounds(screener: Screener, data: st.DataObject) -> None:
    """Answering one more question never drops below the level already reached, nor rises above the
    highest level that was still possible."""
    cs = screener.set
    if not _monotone(cs):
        pytest.skip("set uses 'is known' and is not monotone by design")
    answers: dict[str, Any] = data.draw(answers_for(cs, p_known=0.4))
    before = screener.screen({"answers": answers})
    unanswered = [f for f in cs.used_fields if f not in answers]
    if not unanswered:
        return
    field = data.draw(st.sampled_from(unanswered))
    answers[field] = data.draw(answer_for(cs.dictionary.by_id[field]))
    after = screener.screen({"answers": answers})
    assert before.level.rank <= after.level.rank <= before.highest_possible.rank
    assert after.highest_possible.rank <= before.highest_possible.rank


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_complete_answers_are_settled(screener: Screener, data: st.DataObject) -> None:
    cs = screener.set
    answers = data.draw(answers_for(cs, p_known=1.0))
    r = screener.screen({"answers": answers})
    assert r.completeness.complete
    assert r.settled and r.highest_possible is r.level
    assert all(i.status.value != "unknown" for i in r.indicators)
    assert r.ask_next == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_same_input_same_output(screener: Screener, data: st.DataObject) -> None:
    answers = data.draw(answers_for(screener.set))
    first = screener.screen({"answers": answers}).model_dump_json()
    assert Screener(screener.set, allow_draft=True).screen({"answers": answers}).model_dump_json() == first


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_ask_next_is_exactly_the_unanswered_fields_of_unknown_indicators(
    screener: Screener, data: st.DataObject
) -> None:
    """Every unanswered field of an unknown indicator is either asked next, or listed as not askable by
    anyone present, or waits for the facts its ask rule reads, which are then asked next; nothing else is."""
    answers = data.draw(answers_for(screener.set))
    r = screener.screen({"answers": answers})
    if r.settled:
        assert r.ask_next == [] and r.cannot_ask == []
        return
    expected = {f for i in r.indicators if i.status.value == "unknown" for f in i.fields if f not in answers}
    asked = {q.field for q in r.ask_next}
    blocked = {f for g in r.cannot_ask for f in g.fields}
    by_id = screener.set.dictionary.by_id
    rules = {
        rule.id: {n for req in rule.requires for n in names(parse_condition(req.when))}
        for rule in screener.set.dictionary.ask_rules
    }
    waiting = expected - asked - blocked
    assert not asked & blocked
    assert all(by_id[f].askable_when for f in waiting)
    assert asked <= expected | {g for r_ in rules.values() for g in r_}
    for f in waiting:  # a question waiting for its ask rule: a fact the rule reads is asked next
        assert rules[by_id[f].askable_when or ""] & asked, f
