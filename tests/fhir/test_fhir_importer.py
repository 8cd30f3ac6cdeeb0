"""encounter_from_questionnaire_response: responses back to encounters, and the round trip
questionnaire → filled response → screen == screening the same answers directly."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest

from conftest import MINI_SET
from fhir_support import (
    EXAMPLE_ENCOUNTERS,
    EXAMPLE_RESPONSE,
    default_screener,
    default_set,
    example,
    fill,
    random_answers,
)
from trafficscreen.core.compiled import CompiledSet
from trafficscreen.core.engine import Screener
from trafficscreen.core.interview import askability, compile_ask_rules
from trafficscreen.errors import EncounterError
from trafficscreen.fhir import QuestionnaireResponseError, encounter_from_questionnaire_response, questionnaire
from trafficscreen.fhir._common import NONE_OF_THESE, TS_CODES
from trafficscreen.fhir.importer import read_questionnaire_response
from trafficscreen.model.result import ScreeningResult

VERSIONS = ["R4B", "R5"]


def same(a: ScreeningResult, b: ScreeningResult) -> None:
    assert a.model_dump() == b.model_dump()


@pytest.mark.parametrize("path", EXAMPLE_ENCOUNTERS, ids=lambda p: p.stem)
@pytest.mark.parametrize("version", VERSIONS)
def test_round_trip_examples(path: Path, version: str) -> None:
    enc = example(path)
    q = questionnaire(default_set(), version)
    qr = fill(q, enc["answers"], qr_id=enc.get("id"))
    back = encounter_from_questionnaire_response(qr)  # the set is found from qr.questionnaire
    screener = default_screener()
    same(screener.screen(back), screener.screen(enc))


@pytest.mark.parametrize("version", VERSIONS)
def test_round_trip_random_answers(version: str) -> None:
    cs = default_set()
    screener = default_screener()
    q = questionnaire(cs, version)
    rng = random.Random(20261123)
    levels = set()
    by_id, rules = cs.dictionary.by_id, compile_ask_rules(cs.dictionary)
    for k in range(150):
        answers = random_answers(cs, rng, p_answer=rng.choice([0.1, 0.4, 0.8]))
        direct = screener.screen({"id": f"r{k}", "answers": answers})
        via_form = screener.screen(encounter_from_questionnaire_response(fill(q, answers, qr_id=f"r{k}"), cs))
        same(via_form, direct)
        levels.add(direct.level)
        # a form drops the answers of questions it hides: those no indicator could use (nothing changes)
        # and those the dictionary's ask rules do not allow yet (as if they had not been asked)
        hidden = screener.screen(encounter_from_questionnaire_response(fill(q, answers, respect_enable_when=True), cs))
        allowed = {
            f: v
            for f, v in answers.items()
            if (rule := by_id[f].askable_when) is None or askability(rules[rule], answers)[0] is True
        }
        expected = screener.screen({"id": f"r{k}", "answers": allowed})
        assert hidden.level is expected.level
        assert [i.status for i in hidden.indicators] == [i.status for i in expected.indicators]
    assert len(levels) >= 3, "test set-up: random answers should reach several levels"


def test_mini_round_trip(mini: CompiledSet, mini_screener: Screener) -> None:
    answers = {
        "age_years": 12,
        "accompanied_by": "employer",
        "work_types": ["street", "domestic"],
        "long_hours": True,
        "deceived": False,
    }
    back = encounter_from_questionnaire_response(fill(questionnaire(mini), answers), mini)
    assert back == {"id": None, "answers": answers}
    same(mini_screener.screen(back), mini_screener.screen({"answers": answers}))


def test_none_of_these_is_a_known_empty_list(mini: CompiledSet, mini_screener: Screener) -> None:
    q = questionnaire(mini)
    back = encounter_from_questionnaire_response(fill(q, {"work_types": []}), mini)
    assert back["answers"] == {"work_types": []}
    statuses = {i.id: i.status.value for i in mini_screener.screen(back).indicators}
    assert statuses["street"] == "not_met"  # known: no street work
    assert encounter_from_questionnaire_response(fill(q, {}), mini)["answers"] == {}  # unknown


def test_example_response_screens() -> None:
    qr = json.loads(EXAMPLE_RESPONSE.read_text(encoding="utf-8"))
    enc = encounter_from_questionnaire_response(qr)
    assert enc["id"] == qr["id"] and enc["answers"]
    result = default_screener().screen(enc)
    assert result.level.value in ("refer", "urgent")


@pytest.fixture
def mini_response(mini: CompiledSet) -> dict[str, Any]:
    return fill(
        questionnaire(mini), {"age_years": 12, "accompanied_by": "employer", "work_types": ["street"], "deceived": True}
    )


def _item(qr: dict[str, Any], link_id: str) -> dict[str, Any]:
    for group in qr["item"]:
        for item in group.get("item", []):
            if item["linkId"] == link_id:
                found: dict[str, Any] = item
                return found
    raise AssertionError(link_id)


SECRET = "Joana Ferreira 2014-03-02"


def _wrong_boolean(qr: dict[str, Any]) -> None:
    _item(qr, "deceived")["answer"] = [{"valueString": SECRET}]


def _boolean_as_text(qr: dict[str, Any]) -> None:
    _item(qr, "deceived")["answer"] = [{"valueBoolean": SECRET}]


def _unknown_link(qr: dict[str, Any]) -> None:
    qr["item"][0]["item"].append({"linkId": "nome_da_crianca", "answer": [{"valueString": SECRET}]})


def _free_text_link(qr: dict[str, Any]) -> None:
    qr["item"][0]["item"].append({"linkId": SECRET, "answer": [{"valueString": "x"}]})


def _other_system(qr: dict[str, Any]) -> None:
    _item(qr, "accompanied_by")["answer"][0]["valueCoding"]["system"] = "http://example.org/other"


def _not_a_choice(qr: dict[str, Any]) -> None:
    _item(qr, "accompanied_by")["answer"][0]["valueCoding"]["code"] = SECRET


def _two_answers(qr: dict[str, Any]) -> None:
    _item(qr, "deceived")["answer"] = [{"valueBoolean": True}, {"valueBoolean": False}]


def _fraction(qr: dict[str, Any]) -> None:
    _item(qr, "age_years")["answer"] = [{"valueInteger": 12.5}]


def _twice(qr: dict[str, Any]) -> None:
    qr["item"].append(copy.deepcopy(qr["item"][-1]))


def _other_questionnaire(qr: dict[str, Any]) -> None:
    qr["questionnaire"] = "https://example.org/Questionnaire/mini|1.0.0"


def _other_version(qr: dict[str, Any]) -> None:
    qr["questionnaire"] = qr["questionnaire"].replace("|1.0.0", "|2.0.0")


def _no_version(qr: dict[str, Any]) -> None:
    qr["questionnaire"] = qr["questionnaire"].split("|")[0]


def _entered_in_error(qr: dict[str, Any]) -> None:
    qr["status"] = "entered-in-error"


def _bad_status(qr: dict[str, Any]) -> None:
    qr["status"] = SECRET


def _list_status(qr: dict[str, Any]) -> None:
    qr["status"] = [SECRET]


def _none_and_more(qr: dict[str, Any]) -> None:
    item = _item(qr, "work_types")
    item["answer"].append({"valueCoding": {"system": TS_CODES, "code": NONE_OF_THESE}})


def _answer_on_group(qr: dict[str, Any]) -> None:
    qr["item"][0]["answer"] = [{"valueString": SECRET}]


@pytest.mark.parametrize(
    ("spoil", "fragment"),
    [
        (_wrong_boolean, "linkId 'deceived': expected valueBoolean, got valueString"),
        (_boolean_as_text, "linkId 'deceived': valueBoolean must be true or false"),
        (_unknown_link, "linkId 'nome_da_crianca' is not a question of this set's questionnaire (mini@1.0.0)"),
        (_free_text_link, "linkId '<unreadable>' is not a question"),
        (_other_system, "linkId 'accompanied_by': the coding is not from this question's code system"),
        (_not_a_choice, "linkId 'accompanied_by': the answer is not one of its choices (employer, parent)"),
        (_two_answers, "linkId 'deceived': one answer expected, got 2"),
        (_fraction, "linkId 'age_years': valueInteger must be a number"),
        (_twice, "appears more than once"),
        (
            _other_questionnaire,
            "is a response to another questionnaire; this set's questionnaire is urn:trafficscreen:Questionnaire:mini",
        ),
        (_other_version, "answers another version of the questionnaire; this set is version 1.0.0"),
        (_no_version, "names the questionnaire without a version"),
        (_entered_in_error, "marked entered-in-error"),
        (_bad_status, "'status' must be one of"),
        (_list_status, "'status' must be one of"),
        (_answer_on_group, "takes no answer"),
        (_none_and_more, "linkId 'work_types': 'none of these' cannot be given with other answers"),
    ],
)
def test_bad_responses_name_the_link_never_the_value(
    mini: CompiledSet, mini_response: dict[str, Any], spoil: Any, fragment: str
) -> None:
    spoil(mini_response)
    with pytest.raises(QuestionnaireResponseError) as info:
        encounter_from_questionnaire_response(mini_response, mini, source="visit.json")
    message = str(info.value)
    assert message.startswith("visit.json: ")
    assert fragment in message
    assert "Joana" not in message and "2014" not in message
    assert isinstance(info.value, EncounterError)  # bad encounter input, for callers that catch that


def test_unknown_set_and_non_response() -> None:
    qr = {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "questionnaire": "https://trafficscreen.org/fhir/Questionnaire/no-such-set|1.0.0",
    }
    with pytest.raises(QuestionnaireResponseError, match="not available here"):
        encounter_from_questionnaire_response(qr)
    with pytest.raises(QuestionnaireResponseError, match="expected a QuestionnaireResponse"):
        encounter_from_questionnaire_response({"resourceType": "Patient"})
    qr["questionnaire"] = "https://example.org/forms/intake|3"
    with pytest.raises(QuestionnaireResponseError, match="names no questionnaire made from an indicator set"):
        encounter_from_questionnaire_response(qr)


def test_unanswered_questions_stay_unknown(mini: CompiledSet) -> None:
    qr = fill(questionnaire(mini), {})
    qr["item"] = [{"linkId": "group-child", "item": [{"linkId": "deceived", "answer": []}, {"linkId": "long_hours"}]}]
    assert encounter_from_questionnaire_response(qr, mini)["answers"] == {}


def test_read_questionnaire_response_sniffs_only_fhir() -> None:
    assert read_questionnaire_response(b'{"answers": {}}', "a.json") is None
    assert read_questionnaire_response(b"not json", "a.json") is None
    found = read_questionnaire_response(EXAMPLE_RESPONSE.read_bytes(), "qr.json")
    assert found is not None and found.set_ref == "paediatric-default@2.0.0"
    with pytest.raises(QuestionnaireResponseError, match="a FHIR Patient resource"):
        read_questionnaire_response(b'{"resourceType": "Patient", "name": [{"text": "x"}]}', "p.json")


def test_set_given_as_a_path() -> None:
    qr = fill(questionnaire(MINI_SET), {"deceived": True})
    assert encounter_from_questionnaire_response(qr, str(MINI_SET))["answers"] == {"deceived": True}


@pytest.mark.parametrize("version", VERSIONS)
def test_who_is_present_is_read_from_the_response(version: str) -> None:
    """The questionnaire asks who is present (its ask rules read it); the importer reads it back."""
    cs = default_set()
    answers = {"age_years": 14, "child_seen_alone": True, "professional_interpreter_present": False}
    back = encounter_from_questionnaire_response(fill(questionnaire(cs, version), answers), cs)
    assert back["answers"] == answers
