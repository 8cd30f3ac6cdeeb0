"""Invariants of three-valued screening, checked on the mini set and every shipped set."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import MINI_SET
from strategies import answer_for, answers_for
from trafficscreen.content.loader import load_set, shipped_sets
from trafficscreen.core.compiled import CompiledSet
from trafficscreen.core.engine import Screener
from trafficscreen.expr.parser import parse_condition
from trafficscreen.expr.tree import names, uses_is_known
from trafficscreen.model.common import Level

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


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_level_from_the_certain_world_alone_is_the_level_of_the_whole_run(
    screener: Screener, data: st.DataObject
) -> None:
    """A plain screen takes its level from ``certain_levels`` (the certain world of the level rules) and,
    on first use, the highest level from ``possible_levels`` (the other world): both agree with the
    whole run, and the highest level is the same read before or after the details."""
    cs = screener.set
    answers = data.draw(answers_for(cs, p_known=data.draw(st.sampled_from([0.2, 0.6, 1.0]))))
    level_status = cs.run(answers)[3]
    certain, possible = cs.certain_levels(answers), cs.possible_levels(answers)
    assert all(type(x) is bool for x in (*certain, *possible))
    assert certain == tuple(st is True for st in level_status)
    assert possible == tuple(st is not False for st in level_status)
    scales = [lv.scale for lv in cs.definition.levels]
    reached = [scale for scale, st in zip(scales, level_status, strict=True) if st is True]
    may_hold = [scale for scale, st in zip(scales, level_status, strict=True) if st is not False]
    r = screener.screen({"answers": answers})
    assert r.level is (reached[-1] if reached else Level.NONE)
    assert r.highest_possible is max([r.level, *may_hold], key=lambda lv: lv.rank)
    details_first = screener.screen({"answers": answers})
    assert details_first.indicators and details_first.highest_possible is r.highest_possible


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
    """Only unanswered questions of still-unknown indicators are offered (plus the facts an ask rule reads),
    each at most once across ask_next and cannot_ask; while the level is not settled the interview can
    always go on. That no question able to change the level is left out is checked against a brute-force
    reference in test_ask_next_reference.py."""
    answers = data.draw(answers_for(screener.set))
    r = screener.screen({"answers": answers})
    expected = {f for i in r.indicators if i.status.value == "unknown" for f in i.fields if f not in answers}
    recording = {q.field for q in r.worth_recording}
    assert recording <= expected and len(r.worth_recording) == len(recording)
    if r.settled:
        assert r.ask_next == [] and r.cannot_ask == []
        return
    assert not recording & {q.field for q in r.ask_next}
    asked = {q.field for q in r.ask_next}
    blocked = {f for g in r.cannot_ask for f in g.fields}
    rules = {
        rule.id: {n for req in rule.requires for n in names(parse_condition(req.when))}
        for rule in screener.set.dictionary.ask_rules
    }
    gates = {g for r_ in rules.values() for g in r_}
    assert not asked & blocked
    assert len(r.ask_next) == len(asked)
    assert asked <= expected | gates and blocked <= expected
    waiting = {f for f in expected - asked - blocked if screener.set.dictionary.by_id[f].askable_when}
    assert asked or blocked or waiting, "not settled, yet nothing to ask"
