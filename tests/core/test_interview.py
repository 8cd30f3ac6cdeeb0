"""Who can be asked: the dictionary's ask rules, how the result uses them, and how bad rules are refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strategies import answer_for
from trafficscreen.cli import main
from trafficscreen.content.loader import load_dictionary, load_set
from trafficscreen.core.engine import DEFAULT_SET, Screener
from trafficscreen.errors import ContentError
from trafficscreen.model.dictionary import Respondent

CS = load_set(DEFAULT_SET)
SCREENER = Screener(CS)
FIELDS = CS.dictionary.by_id
SEXUAL = {f for f, fd in FIELDS.items() if fd.askable_when == "child_sexual_topics"}
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def _answers(draw: st.DrawFn, p_known: float = 0.4) -> dict[str, Any]:
    return {f: draw(answer_for(FIELDS[f])) for f in CS.used_fields if draw(st.floats(0, 1)) < p_known}


def _child_questions(answers: dict[str, Any]) -> list[str]:
    r = SCREENER.screen({"answers": answers})
    return [q.field for q in r.ask_next if q.asked_of is Respondent.CHILD]


def test_every_question_to_the_child_names_an_ask_rule() -> None:
    d = load_dictionary("paediatric-encounter@2.0.0")
    missing = [f.id for f in d.fields if f.asked_of is Respondent.CHILD and f.askable_when is None]
    assert missing == []


@SETTINGS
@given(answers=_answers(), age=st.integers(0, 7), alone=st.booleans())
def test_a_young_child_is_never_asked_anything_directly(answers: dict[str, Any], age: int, alone: bool) -> None:
    answers = {**answers, "age_years": age, "child_seen_alone": alone, "child_speaks_local_language": True}
    assert _child_questions(answers) == []


@SETTINGS
@given(answers=_answers(), age=st.integers(8, 10))
def test_sexual_topics_wait_until_eleven(answers: dict[str, Any], age: int) -> None:
    answers = {**answers, "age_years": age, "child_seen_alone": True, "child_speaks_local_language": True}
    assert not set(_child_questions(answers)) & SEXUAL


@SETTINGS
@given(answers=_answers(), age=st.integers(8, 17))
def test_nothing_is_put_to_the_child_with_the_companion_in_the_room(answers: dict[str, Any], age: int) -> None:
    answers = {**answers, "age_years": age, "child_seen_alone": False}
    r = SCREENER.screen({"answers": answers})
    assert not [q for q in r.ask_next if q.asked_of is Respondent.CHILD]
    if any(FIELDS[f].askable_when for g in r.cannot_ask for f in g.fields):
        assert any("alone" in reason for g in r.cannot_ask for reason in g.reasons)


@SETTINGS
@given(
    answers=_answers(),
    who=st.fixed_dictionaries({"child_seen_alone": st.booleans(), "professional_interpreter_present": st.booleans()}),
)
def test_who_is_present_never_changes_the_levels(answers: dict[str, Any], who: dict[str, bool]) -> None:
    """Not askable is never 'no': the facts stay unknown and the highest possible level stays honest."""
    plain = SCREENER.screen({"answers": answers})
    present = SCREENER.screen({"answers": {**answers, **who}})
    assert (present.level, present.highest_possible) == (plain.level, plain.highest_possible)


def test_a_baby_is_told_what_cannot_be_asked_and_what_to_do() -> None:
    r = SCREENER.screen({"answers": {"age_years": 1}})
    assert not [q for q in r.ask_next if q.asked_of is Respondent.CHILD]
    rules = {g.rule: g for g in r.cannot_ask}
    assert set(rules) == {"child_direct", "child_sexual_topics", "pregnancy_possible"}
    assert "made_to_have_sex_for_money" in rules["child_sexual_topics"].fields
    assert "under 8" in rules["child_direct"].reasons[0]
    assert r.highest_possible.value == "urgent"  # the facts stay unknown
    # every question that could matter is listed; the count also holds those whose indicators are settled
    assert r.completeness.not_askable >= sum(len(g.fields) for g in r.cannot_ask) > 0
    assert r.completeness.total == len(CS.used_fields) - r.completeness.not_askable


def test_age_and_who_is_present_are_asked_first() -> None:
    first = [q.field for q in SCREENER.screen({"answers": {}}).ask_next[:2]]
    assert first == ["age_years", "child_seen_alone"]
    r = SCREENER.screen({"answers": {"age_years": 14, "child_seen_alone": True, "child_speaks_local_language": True}})
    assert r.ask_next[0].red_flag and r.ask_next[0].asked_of is Respondent.CHILD


def test_a_set_on_a_dictionary_without_ask_rules_is_unchanged() -> None:
    r = Screener(load_set("paediatric-default@1.0.0")).screen({"answers": {"age_years": 1}})
    assert r.cannot_ask == [] and r.completeness.not_askable == 0
    assert any(q.asked_of is Respondent.CHILD for q in r.ask_next)


def test_the_text_output_says_what_cannot_be_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    enc = tmp_path / "baby.json"
    enc.write_text('{"answers": {"age_years": 0}}', encoding="utf-8")
    assert main(["screen", str(enc), "--format", "text", "--lang", "pt"]) == 0
    out = capsys.readouterr().out
    assert "Não se pode perguntar agora" in out and "menos de 8 anos" in out


# --- bad ask rules are refused at load, with a location -------------------------------------------------

_MINI = """kind: dictionary
id: askmini
version: 1.0.0
title: {en: Ask mini}
ask_rules:
  - id: older
    title: {en: Older children}
    requires:
      - when: "%s"
        otherwise: {en: "Too young."}
    basis: "test"
    examples:
      askable: [%s]
fields:
  - {id: age_years, type: integer, asked_of: record, label: {en: Age}, question: {en: Age?}}
  - {id: seen_alone, type: boolean, asked_of: clinician, label: {en: Alone}, question: {en: Alone?}}
  - {id: works, type: boolean, asked_of: child, askable_when: %s, label: {en: Works}, question: {en: Work?}}
"""


@pytest.mark.parametrize(
    ("when", "example", "rule", "message", "line"),
    [
        ("age_years >= 8", "{age_years: 9}", "younger", "unknown ask rule 'younger'", 17),
        ("works", "{works: true}", "older", "may read only record or clinician fields", 9),
        ("age_years >= 8", "{age_years: 3}", "older", "example should be askable but is not askable", 13),
        ("age_years >= 'x'", "{age_years: 9}", "older", None, 9),
    ],
)
def test_bad_ask_rules_are_located_errors(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    when: str,
    example: str,
    rule: str,
    message: str | None,
    line: int,
) -> None:
    path = tmp_path / "askmini.yaml"
    path.write_text(_MINI % (when, example, rule), encoding="utf-8")
    with pytest.raises(ContentError, match=message):
        load_dictionary(path)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr()
    assert f"askmini.yaml:{line}:" in err.out + err.err
