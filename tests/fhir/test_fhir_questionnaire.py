"""questionnaire(): SDC-style Questionnaires generated from indicator sets."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from conftest import MINI_SET, replace_in
from fhir_support import default_set, domain, enabled, questions
from trafficscreen.content.loader import load_set
from trafficscreen.core.compiled import CompiledSet
from trafficscreen.core.interview import askability, compile_ask_rules
from trafficscreen.errors import UnsupportedLanguageError
from trafficscreen.fhir import FhirExportError, check_resource, questionnaire, validate_questionnaire
from trafficscreen.fhir._common import (
    EXT_MAX_VALUE,
    EXT_MIN_VALUE,
    EXT_OPTION_EXCLUSIVE,
    EXT_TRANSLATION,
    NONE_OF_THESE,
)
from trafficscreen.fhir.check import structure_problems
from trafficscreen.fhir.questionnaire import ask_enable_when, combine_enable_when, questionnaire_fields
from trafficscreen.model.dictionary import Respondent

VERSIONS = ["R4B", "R5"]


def by_link(q: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["linkId"]: item for item in questions(q)}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("lang", ["en", "pt", "nb"])
def test_default_set_questionnaire_is_valid(version: str, lang: str) -> None:
    q = questionnaire(default_set(), version, lang)
    assert structure_problems(q, version) == []
    assert check_resource(q, version, "Questionnaire", labels=False) == []
    validate_questionnaire(q, version)
    assert q["language"] == lang


def test_asks_exactly_the_fields_the_set_reads(mini: CompiledSet) -> None:
    cs = default_set()
    q = questionnaire(cs)
    assert sorted(by_link(q)) == sorted(questionnaire_fields(cs))
    # and who is present, which only the ask rules of its questions read
    presence = set(questionnaire_fields(cs)) - set(cs.used_fields)
    assert presence == {"child_seen_alone", "professional_interpreter_present"}
    rules = compile_ask_rules(cs.dictionary)
    named = {cs.dictionary.by_id[u].askable_when for u in cs.used_fields} - {None}
    assert all(any(f in rules[r].reads for r in named if r is not None) for f in presence)
    assert questionnaire_fields(mini) == tuple(f.id for f in mini.dictionary.fields if f.id in mini.used_fields)
    assert not any(item.get("required") for item in questions(q))  # missing answers are unknown, not 'no'
    # grouped by who answers; each group in the dictionary's order
    for group in (i for i in q["item"] if i["type"] == "group"):
        respondent = group["linkId"].removeprefix("group-")
        members = [i["linkId"] for i in group["item"]]
        assert all(cs.dictionary.by_id[f].asked_of.value == respondent for f in members)
        dictionary_order = [f.id for f in cs.dictionary.fields if f.id in members]
        assert members == dictionary_order
    assert q["item"][0]["type"] == "display"


def test_url_and_version_come_from_the_set(mini: CompiledSet) -> None:
    cs = default_set()
    q = questionnaire(cs)
    canonical = cs.definition.canonical_url
    assert canonical is not None and canonical.endswith(f"/PlanDefinition/{cs.id}")
    assert q["url"] == canonical.replace("/PlanDefinition/", "/Questionnaire/")
    assert q["version"] == cs.version
    assert q["status"] == cs.definition.status.value
    # a set without a canonical URL is named without claiming a web address
    assert questionnaire(mini)["url"] == "urn:trafficscreen:Questionnaire:mini"


@pytest.mark.parametrize("version", VERSIONS)
def test_item_types_per_version(mini: CompiledSet, version: str) -> None:
    items = by_link(questionnaire(mini, version))
    choice = "choice" if version == "R4B" else "coding"
    assert {k: v["type"] for k, v in items.items()} == {
        "age_years": "integer",
        "deceived": "boolean",
        "long_hours": "boolean",
        "accompanied_by": choice,
        "work_types": choice,
        "lives_at_work": "boolean",
    }
    assert items["work_types"].get("repeats") is True
    assert "repeats" not in items["accompanied_by"]
    assert [o["valueCoding"]["code"] for o in items["accompanied_by"]["answerOption"]] == ["parent", "employer"]
    assert ("answerConstraint" in items["accompanied_by"]) is (version == "R5")
    # a set field offers an exclusive 'none of these': a known empty list, which no answer is not
    options = items["work_types"]["answerOption"]
    assert [o["valueCoding"]["code"] for o in options] == ["domestic", "street", NONE_OF_THESE]
    assert options[-1]["extension"] == [{"url": EXT_OPTION_EXCLUSIVE, "valueBoolean": True}]
    assert items["age_years"]["extension"] == [
        {"url": EXT_MIN_VALUE, "valueInteger": 0},
        {"url": EXT_MAX_VALUE, "valueInteger": 25},
    ]
    # the other version's type is caught by our own checks
    q = questionnaire(mini, version)
    other = "R5" if version == "R4B" else "R4B"
    assert any("not a Questionnaire item type" in p for p in check_resource(q, other, labels=False))


def test_enable_when_derived_from_conditions(mini: CompiledSet) -> None:
    items = by_link(questionnaire(mini))
    # with_employer reads `accompanied_by == "employer" and age_years < 18`, and age_years is asked first:
    # the companion question matters only while the age is unknown or under 18
    assert items["accompanied_by"]["enableWhen"] == [
        {"question": "age_years", "operator": "exists", "answerBoolean": False},
        {"question": "age_years", "operator": "<", "answerInteger": 18},
    ]
    assert items["accompanied_by"]["enableBehavior"] == "any"
    # work_types is also read by 'street' without any other condition, so it is always shown
    assert [k for k, v in items.items() if "enableWhen" in v] == ["accompanied_by"]
    assert not any("enableWhen" in v for v in by_link(questionnaire(mini, enable_when=False)).values())


def _guard_values(cs: CompiledSet, guard: str, conditions: list[dict[str, Any]]) -> list[Any]:
    """Values of a guard question for an exhaustive check: its usual domain, every threshold an
    enableWhen compares it with and the numbers either side, and unanswered (None)."""
    values = list(domain(cs, guard))
    for c in conditions:
        if c["question"] == guard and "answerInteger" in c:
            values += [
                v for v in (c["answerInteger"] - 1, c["answerInteger"], c["answerInteger"] + 1) if v not in values
            ]
    return [*values, None]


def test_hidden_questions_cannot_change_any_indicator_or_cannot_be_asked() -> None:
    """Where a question is hidden, either no answer to it changes an indicator, or the dictionary says it
    cannot be asked (yet) on the answers given: checked exhaustively over the guard questions' values
    (unanswered included) and the hidden question's values."""
    cs = default_set()
    q = questionnaire(cs)
    rules = compile_ask_rules(cs.dictionary)
    guarded = {k: v for k, v in by_link(q).items() if "enableWhen" in v}
    assert guarded, "the default set should give some enableWhen"
    unusable = not_askable = 0
    for field, item in guarded.items():
        rule_id = cs.dictionary.by_id[field].askable_when
        guards = sorted({c["question"] for c in item["enableWhen"]})
        for values in itertools.product(*(_guard_values(cs, g, item["enableWhen"]) for g in guards)):
            answers = {g: v for g, v in zip(guards, values, strict=True) if v is not None}
            if enabled(item, answers):
                continue
            if rule_id is not None and askability(rules[rule_id], answers)[0] is not True:
                not_askable += 1  # hidden because no one present can be asked it (yet)
                continue
            baseline = cs.run(answers)[0]
            for value in domain(cs, field):
                assert cs.run({**answers, field: _normal(value)})[0] == baseline, field
                unusable += 1
    assert unusable > 0 and not_askable > 0


def test_ask_rules_become_enable_when() -> None:
    cs = default_set()
    items = by_link(questionnaire(cs))
    to_child = [f for f in cs.used_fields if cs.dictionary.by_id[f].asked_of is Respondent.CHILD]
    assert to_child
    seen_alone = {"question": "child_seen_alone", "operator": "=", "answerBoolean": True}
    for f in to_child:
        item = items[f]
        rule = cs.dictionary.by_id[f].askable_when
        age = 11 if rule == "child_sexual_topics" else 8
        assert item["enableBehavior"] == "all", f
        assert item["enableWhen"][:2] == [
            {"question": "age_years", "operator": ">=", "answerInteger": age},
            seen_alone,
        ], f
        # a derived condition is kept only where it combines exactly: it reads the age too
        assert all(c["question"] == "age_years" and c["operator"] != "exists" for c in item["enableWhen"][2:]), f
        # the language requirement (an 'or') cannot be expressed and is left out
        assert not any(
            c["question"] in ("child_speaks_local_language", "professional_interpreter_present")
            for c in item["enableWhen"]
        ), f
    # where an indicator needs an age the rule also reads, both are kept: shown from 11 to 17
    assert items["many_sexual_partners"]["enableWhen"][2:] == [
        {"question": "age_years", "operator": "<", "answerInteger": 18}
    ]
    # record and clinician questions, who is present among them, are asked at every age
    present = ("age_years", "child_seen_alone", "professional_interpreter_present", "child_speaks_local_language")
    assert not any("enableWhen" in items[f] for f in present)
    # only the language requirement (an 'or') cannot be written as enableWhen; pregnancy_possible (age only)
    # is expressed in full
    left_out = {tuple(v[1]) for v in ask_enable_when(cs, list(items), lambda f: f).values()}
    assert left_out == {("child_speaks_local_language or professional_interpreter_present",), ()}
    assert items["pregnant_now_or_past"]["enableWhen"][0] == {
        "question": "age_years",
        "operator": ">=",
        "answerInteger": 9,
    }
    # without enableWhen nothing is hidden, and who is present is still asked
    plain = by_link(questionnaire(cs, enable_when=False))
    assert not any("enableWhen" in v for v in plain.values()) and "child_seen_alone" in plain


@pytest.mark.parametrize(
    ("answers", "shown"),
    [
        ({"age_years": 1, "child_seen_alone": True, "child_speaks_local_language": True}, set()),
        ({"age_years": 7, "child_seen_alone": True, "child_speaks_local_language": True}, set()),
        (
            {"age_years": 9, "child_seen_alone": True, "child_speaks_local_language": True},
            {"child_direct", "pregnancy_possible"},
        ),
        (
            {"age_years": 14, "child_seen_alone": True, "child_speaks_local_language": True},
            {"child_direct", "child_sexual_topics", "pregnancy_possible"},
        ),
        ({"age_years": 14, "child_seen_alone": False, "child_speaks_local_language": True}, {"pregnancy_possible"}),
        ({"age_years": 14}, {"pregnancy_possible"}),  # not yet known whether the child is seen alone: not asked yet
        ({"child_seen_alone": True, "child_speaks_local_language": True}, set()),  # age unknown
    ],
)
def test_questions_to_the_child_show_only_when_they_can_be_asked(answers: dict[str, Any], shown: set[str]) -> None:
    cs = default_set()
    rules = compile_ask_rules(cs.dictionary)
    items = by_link(questionnaire(cs))
    for f in cs.used_fields:
        rule = cs.dictionary.by_id[f].askable_when
        if rule is None:
            continue
        if rule in shown:
            assert askability(rules[rule], answers)[0] is True, f
        else:
            assert askability(rules[rule], answers)[0] is not True, f
            assert not enabled(items[f], answers), f
        if rule in shown and (f != "many_sexual_partners" or answers["age_years"] < 18):
            assert enabled(items[f], answers), f


def test_what_enable_when_cannot_express_shows_more_never_less() -> None:
    """The language requirement is left out: a question to the child is shown while the child does not
    speak the language and no professional interpreter is there, though it cannot be asked; the group's
    text and the engine (ask_next, cannot_ask) say so. The other way round never happens."""
    cs = default_set()
    rules = compile_ask_rules(cs.dictionary)
    items = by_link(questionnaire(cs))
    answers = {
        "age_years": 14,
        "child_seen_alone": True,
        "child_speaks_local_language": False,
        "professional_interpreter_present": False,
    }
    assert askability(rules["child_direct"], answers)[0] is False
    assert enabled(items["attends_school"], answers)


def test_combining_derived_and_ask_conditions() -> None:
    age_exists = {"question": "age_years", "operator": "exists", "answerBoolean": False}
    under_18 = {"question": "age_years", "operator": "<", "answerInteger": 18}
    from_11 = {"question": "age_years", "operator": ">=", "answerInteger": 11}
    alone = {"question": "child_seen_alone", "operator": "=", "answerBoolean": True}
    assert combine_enable_when([age_exists, under_18], []) == ([age_exists, under_18], "any")
    assert combine_enable_when(None, [from_11]) == ([from_11], None)
    assert combine_enable_when(None, [from_11, alone]) == ([from_11, alone], "all")
    # the age must be answered for 'from 11' to hold, so 'or the age is unknown' can be dropped: exact
    assert combine_enable_when([age_exists, under_18], [from_11, alone]) == ([from_11, alone, under_18], "all")
    # a guard the ask conditions do not read, or several alternatives, cannot be combined: ask conditions only
    other = {"question": "works_for", "operator": "exists", "answerBoolean": False}
    works = {"question": "works_for", "operator": "=", "answerCoding": {"system": "s", "code": "employer"}}
    assert combine_enable_when([other, works], [from_11, alone]) == ([from_11, alone], "all")
    over_5 = {"question": "age_years", "operator": ">", "answerInteger": 5}
    assert combine_enable_when([age_exists, under_18, over_5], [from_11]) == ([from_11], None)


def _normal(value: Any) -> Any:
    return frozenset(value) if isinstance(value, list) else value


def test_translations_ride_along(content: Path) -> None:
    dictionary = content / "dictionaries" / "mini" / "1.0.0.yaml"
    replace_in(
        dictionary,
        'question: {en: "Were you told lies about the job?"}',
        'question: {en: "Were you told lies about the job?", pt: "Mentiram-lhe sobre o trabalho?"}',
    )
    replace_in(
        dictionary, "- {code: parent, label: {en: Parent}}", "- {code: parent, label: {en: Parent, nb: Forelder}}"
    )
    cs = load_set(content / "sets" / "mini" / "1.0.0.yaml")
    en = by_link(questionnaire(cs, lang="en"))
    assert en["deceived"]["text"] == "Were you told lies about the job?"
    assert en["deceived"]["_text"] == {
        "extension": [
            {
                "url": EXT_TRANSLATION,
                "extension": [
                    {"url": "lang", "valueCode": "pt"},
                    {"url": "content", "valueString": "Mentiram-lhe sobre o trabalho?"},
                ],
            }
        ]
    }
    parent = en["accompanied_by"]["answerOption"][0]["valueCoding"]
    assert parent["_display"]["extension"][0]["extension"][0] == {"url": "lang", "valueCode": "nb"}
    pt = by_link(questionnaire(cs, lang="pt"))
    assert pt["deceived"]["text"] == "Mentiram-lhe sobre o trabalho?"
    assert pt["deceived"]["_text"]["extension"][0]["extension"][0] == {"url": "lang", "valueCode": "en"}
    # an untranslated text falls back to English and carries no copy of itself
    assert pt["long_hours"]["text"] == "Do you work very long days?" and "_text" not in pt["long_hours"]
    validate_questionnaire(questionnaire(cs, "R5", "pt"), "R5")


def test_bad_arguments(mini: CompiledSet) -> None:
    with pytest.raises(UnsupportedLanguageError):
        questionnaire(mini, lang="de")
    with pytest.raises(FhirExportError, match="use R4B"):
        questionnaire(mini, "R4")


def test_same_set_same_questionnaire() -> None:
    assert questionnaire(MINI_SET) == questionnaire(load_set(MINI_SET))


def test_check_resource_finds_questionnaire_faults(mini: CompiledSet) -> None:
    q = questionnaire(mini)
    assert check_resource(q, "R4B", labels=False) == []
    items = by_link(q)
    items["accompanied_by"]["enableWhen"][0]["question"] = "no_such_question"
    items["accompanied_by"]["enableWhen"][1]["answerDecimal"] = 18.0
    items["deceived"]["linkId"] = "long_hours"
    items["work_types"]["enableWhen"] = [
        {"question": "age_years", "operator": "exists", "answerInteger": 1},
        {"question": "age_years", "operator": "~", "answerInteger": 1},
    ]
    problems = check_resource(q, "R4B", labels=False)
    for fragment in (
        "needs exactly one answer[x]",
        "'exists' takes answerBoolean (que-7)",
        "not a QuestionnaireItemOperator code",
        "enableBehavior: required when there is more than",
        "linkIds must be unique (que-2)",
        "an enableWhen names a question that is not in the",
    ):
        assert any(fragment in p for p in problems), fragment
