"""The exact search behind ask_next: value reduction, budgets, and what happens to a question it drops."""

from __future__ import annotations

import itertools
import operator
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strategies import answer_for, answers_for
from trafficscreen.content.loader import load_set
from trafficscreen.core.engine import Screener
from trafficscreen.core.relevance import SMALL, Budget, _representatives, _Usage, _variables
from trafficscreen.expr.parser import parse_condition
from trafficscreen.model.dictionary import FieldDef
from trafficscreen.model.encounter import check_answers

OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq, "!=": operator.ne}


def _field(**kw: Any) -> FieldDef:
    text = {"en": "n?", "pt": "n?", "nb": "n?"}
    base = {"id": "n", "type": "integer", "label": text, "question": text, "asked_of": "record"}
    return FieldDef.model_validate({**base, **kw})


@pytest.mark.parametrize(
    ("low", "high", "constants"),
    [(0, 25, {6, 18}), (0, 17, {6, 18}), (0, 10, {0, 10}), (3, 3, {5}), (0, 100, {1, 2, 3, 50})],
)
def test_one_value_per_interval_keeps_every_comparison(low: int, high: int, constants: set[int]) -> None:
    reps = _representatives(_field(min=low, max=high), set(constants))
    assert reps is not None
    assert all(low <= r <= high for r in reps)
    for v in range(low, high + 1):  # every value behaves like some representative under every comparison
        signature = [OPS[op](v, c) for op in OPS for c in sorted(constants)]
        assert any(signature == [OPS[op](r, c) for op in OPS for c in sorted(constants)] for r in reps), v


def test_a_field_in_arithmetic_is_not_reduced() -> None:
    usage = _Usage()
    usage.walk(parse_condition("n + 1 > 3"))
    assert _variables(_field(min=0, max=9), usage) is None
    usage = _Usage()
    usage.walk(parse_condition("n > 3"))
    assert _variables(_field(min=0, max=9), usage) is not None


def _slice(screener: Screener, rng: random.Random, n: int) -> tuple[dict[str, Any], list[str]]:
    cs = screener.set
    present = {"age_years": 14, "child_seen_alone": True, "child_speaks_local_language": True}
    by_id = cs.dictionary.by_id
    booleans = [f for f in cs.used_fields if by_id[f].type.value == "boolean" and f not in present]
    unknown = rng.sample(booleans, n)
    answers: dict[str, Any] = {}
    for f in cs.used_fields:
        fd = by_id[f]
        if f in unknown or f in present:
            continue
        if fd.type.value == "boolean":
            answers[f] = rng.random() < 0.08
        elif fd.type.value == "enum":
            answers[f] = rng.choice(sorted(fd.codes))
        elif fd.type.value == "set":
            answers[f] = [c for c in sorted(fd.codes) if rng.random() < 0.05]
        else:
            answers[f] = int(fd.min or 0)
    return {**answers, **present}, unknown  # a 14-year-old seen alone: every question can be put


def _dropping_slice(screener: Screener, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], list[str], str]:
    """A slice where the sound filter alone offers a question that the exact search proves cannot matter."""
    sound_only = Screener(screener.set)
    monkeypatch.setattr(sound_only._relevance, "irrelevant", lambda _a, c, _u, _b=None: (set(), list(c)))
    rng = random.Random(20261207)
    for _ in range(600):
        answers, unknown = _slice(screener, rng, 4)
        before = {q.field for q in sound_only.screen({"answers": answers}).ask_next}
        after = {q.field for q in screener.screen({"answers": answers}).ask_next}
        if before - after:
            return answers, unknown, sorted(before - after)[0]
    raise AssertionError("no slice where the sound filter keeps a question that cannot matter")


def test_a_question_that_cannot_change_the_level_moves_to_worth_recording(monkeypatch: pytest.MonkeyPatch) -> None:
    screener = Screener(load_set("ilo-child-labour"))
    answers, unknown, f = _dropping_slice(screener, monkeypatch)
    r = screener.screen({"answers": answers})
    assert f not in {q.field for q in r.ask_next}
    assert f in {q.field for q in r.worth_recording}
    # and truly none of its answers changes the level, whatever the other unknowns are
    others = [u for u in unknown if u != f]
    for combo in itertools.product([False, True], repeat=len(others)):
        base = {**answers, **dict(zip(others, combo, strict=True))}
        levels = {screener.screen({"answers": {**base, f: v}}).level for v in (False, True)}
        assert len(levels) == 1


def test_no_budget_keeps_every_question_unproven(monkeypatch: pytest.MonkeyPatch) -> None:
    screener = Screener(load_set("ilo-child-labour"))
    answers, unknown, _dropped = _dropping_slice(screener, monkeypatch)
    checked = check_answers(answers, screener.set.dictionary)
    dropped, unproven = screener._relevance.irrelevant(checked, unknown, -1, Budget(runs=0))
    assert not dropped and unproven == unknown


def test_a_small_budget_is_never_exceeded() -> None:
    screener = Screener(load_set("paediatric-default"))
    rel = screener._relevance
    rng = random.Random(7)
    for _ in range(30):
        answers, unknown = _slice(screener, rng, 8)
        checked = check_answers(answers, screener.set.dictionary)
        budget = Budget(runs=5)
        dropped, unproven = rel.irrelevant(checked, unknown, -1, budget)
        assert budget.runs >= 0
        assert not set(dropped) & set(unproven)
        assert set(dropped) | set(unproven) <= set(unknown)


def test_a_large_state_is_left_to_the_sound_filter() -> None:
    screener = Screener(load_set("paediatric-default"))
    rel = screener._relevance
    unknown = [f for f in rel.vars]
    assert rel.completions(unknown) > SMALL
    dropped, unproven = rel.irrelevant({}, unknown[:5], -1)
    assert not dropped and unproven == unknown[:5]


def test_each_question_says_what_it_could_lead_to() -> None:
    screener = Screener(load_set("paediatric-default"))
    rng = random.Random(11)
    for _ in range(40):
        answers, _unknown = _slice(screener, rng, 10)
        answers = {k: v for k, v in answers.items() if rng.random() < 0.6}
        r = screener.screen({"answers": answers})
        gates = {f for rule in screener.set.ask_rules.values() for f in rule.reads}
        for q in r.ask_next:
            if q.field in gates:
                assert q.could_lead_to is None  # asked first so that others can be put
                continue
            assert q.could_lead_to is not None
            assert r.level.rank < q.could_lead_to.rank <= r.highest_possible.rank
            if q.red_flag:
                assert q.could_lead_to.value == "urgent"  # the default set's red flags are urgent
        assert all(q.could_lead_to is None for q in r.worth_recording)


@pytest.mark.parametrize("ref", ["paediatric-default", "ilo-child-labour"])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_a_question_moved_out_of_ask_next_never_changes_the_level(ref: str, data: st.DataObject) -> None:
    """Sampled completions: an unanswered question in worth_recording gives one level whatever its answer."""
    screener = _screeners(ref)
    cs = screener.set
    answers = data.draw(answers_for(cs, p_known=0.9))
    answers.update({"age_years": 14, "child_seen_alone": True, "child_speaks_local_language": True})
    r = screener.screen({"answers": answers})
    unknown = [f for f in cs.used_fields if f not in answers]
    for q in r.worth_recording[:3]:
        others = [f for f in unknown if f != q.field]
        for _ in range(6):
            completion = {f: data.draw(answer_for(cs.dictionary.by_id[f])) for f in others}
            values = data.draw(st.lists(answer_for(cs.dictionary.by_id[q.field]), min_size=2, max_size=3))
            levels = {screener.screen({"answers": {**answers, **completion, q.field: v}}).level for v in values}
            assert len(levels) == 1, q.field


_CACHE: dict[str, Screener] = {}


def _screeners(ref: str) -> Screener:
    if ref not in _CACHE:
        _CACHE[ref] = Screener(load_set(ref))
    return _CACHE[ref]
