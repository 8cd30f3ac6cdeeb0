"""SDC adaptive questionnaires: ``POST /Questionnaire/$next-question`` with real R4 JSON.

The contract: a Parameters resource (or the QuestionnaireResponse itself) in; the same response out,
its contained adaptive Questionnaire grown by the first questions of the engine's own ``ask_next`` that
were not offered before; ``completed`` once no answer can change the level or nothing more can be asked;
an OperationOutcome for a bad request. The output is checked with FHIR.js as R4.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from fhir_support import _answer, default_screener, default_set, domain
from fhir_validator_support import unexpected, validate, write
from levels import answers_reaching
from server_support import client
from trafficscreen.fhir import check_resource
from trafficscreen.fhir.adaptive import (
    CONTAINED_ID,
    DEFAULT_COUNT,
    EXT_ADAPTIVE,
    EXT_FINISHED,
    FINISHED_CODES,
    PROFILE_ADAPTIVE_QUESTIONNAIRE,
    PROFILE_ADAPTIVE_RESPONSE,
    STATUS_LINK_ID,
    AdaptiveQuestionnaire,
    NextQuestionError,
)
from trafficscreen.fhir.questionnaire import questionnaire_fields
from trafficscreen.model.common import Level
from trafficscreen.model.dictionary import FieldType, Respondent
from trafficscreen.server import ServerConfig

URL = "/Questionnaire/$next-question"
FHIR_JSON = {"Content-Type": "application/fhir+json"}
CANONICAL = "https://trafficscreen.org/fhir/Questionnaire/paediatric-default|2.0.0"


@pytest.fixture(scope="module")
def app() -> Iterator[TestClient]:
    with client(ServerConfig()) as c:
        yield c


def start(answers: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """A first call's response: names the set's Questionnaire, holds ``answers`` (flat items)."""
    qr: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": CANONICAL,
        "status": "in-progress",
        **extra,
    }
    items = _items(answers or {})
    if items:
        qr["item"] = items
    return qr


def _items(answers: dict[str, Any]) -> list[dict[str, Any]]:
    full = {i["linkId"]: i for i in _full_items()}
    return [{"linkId": f, "answer": _answer(full[f], v)} for f, v in answers.items() if v is not None]


def _full_items() -> list[dict[str, Any]]:
    from trafficscreen.fhir import questionnaire

    return [i for g in questionnaire(default_set())["item"] for i in g.get("item", [])]


def params(qr: dict[str, Any], name: str = "questionnaire-response") -> dict[str, Any]:
    return {"resourceType": "Parameters", "parameter": [{"name": name, "resource": qr}]}


def post(app: TestClient, body: Any, query: str = "", status: int = 200) -> dict[str, Any]:
    r = app.post(URL + query, content=json.dumps(body), headers=FHIR_JSON)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/fhir+json")
    data: dict[str, Any] = r.json()
    return data


def adaptive_of(qr: dict[str, Any]) -> dict[str, Any]:
    ref = qr["questionnaire"]
    assert ref.startswith("#")
    found: list[dict[str, Any]] = [r for r in qr["contained"] if r["id"] == ref[1:]]
    (q,) = found
    assert q["resourceType"] == "Questionnaire"
    return q


def question_ids(qr: dict[str, Any]) -> list[str]:
    return [i["linkId"] for i in adaptive_of(qr).get("item", []) if i["type"] != "display"]


def answers_of(qr: dict[str, Any]) -> dict[str, Any]:
    """The answers a response holds, read back the way the engine sees them."""
    from trafficscreen.errors import Location
    from trafficscreen.fhir._common import set_urls
    from trafficscreen.fhir.importer import _answer as read

    cs = default_set()
    urls = set_urls(cs.id, cs.definition.canonical_url)
    out: dict[str, Any] = {}
    for item in qr.get("item", []):
        fd = cs.dictionary.by_id[item["linkId"]]
        out[fd.id] = read(fd, item["answer"], urls.field_values(cs.dictionary.id, fd.id), Location("test"))
    assert set(out) <= set(questionnaire_fields(cs))
    return out


def answer(qr: dict[str, Any], new: list[str], hidden: dict[str, Any]) -> dict[str, Any]:
    """The next request: the response as returned, with the hidden encounter's answers to ``new`` added
    (a question whose hidden answer is None is left unanswered: skipped)."""
    items = {i["linkId"]: i for i in adaptive_of(qr)["item"]}
    out: dict[str, Any] = json.loads(json.dumps(qr))
    out.setdefault("item", [])
    for f in new:
        if hidden.get(f) is not None:
            out["item"].append({"linkId": f, "answer": _answer(items[f], hidden[f])})
    if not out["item"]:
        del out["item"]
    return out


def complete_encounter(rng: random.Random, p_yes: float | None = None, **fixed: Any) -> dict[str, Any]:
    """Answers to every question of the questionnaire: any value of each, or with ``p_yes`` mostly "no"
    (a yes-no question is yes with that probability, a list mostly empty), which makes longer interviews."""
    cs = default_set()
    hidden: dict[str, Any] = {}
    for f in questionnaire_fields(cs):
        values = domain(cs, f)
        kind = cs.dictionary.by_id[f].type
        if p_yes is not None and kind is FieldType.BOOLEAN:
            hidden[f] = rng.random() < p_yes
        elif p_yes is not None and kind is FieldType.SET:
            hidden[f] = [] if rng.random() >= p_yes else rng.choice(values)
        else:
            hidden[f] = rng.choice(values)
    hidden.update(fixed)
    return hidden


def interview(
    app: TestClient, hidden: dict[str, Any], *, skip: float = 0.0, seed: int = 0, query: str = ""
) -> list[dict[str, Any]]:
    """Every response of an interview that answers from ``hidden`` (skipping a share of the questions),
    checking the contract at each step."""
    rng = random.Random(seed)
    screener = default_screener()
    count = int(query.removeprefix("?count=")) if query.startswith("?count=") else DEFAULT_COUNT
    steps: list[dict[str, Any]] = []
    qr = post(app, params(start()), query)
    shown: list[str] = []
    for _ in range(len(questionnaire_fields(default_set())) + 2):
        steps.append(qr)
        ids = question_ids(qr)
        assert ids[: len(shown)] == shown  # the adaptive Questionnaire only grows, in the order asked
        new = ids[len(shown) :]
        known = answers_of(qr)
        result = screener.screen({"answers": known})
        if qr["status"] == "completed":
            assert new == []
            return steps
        assert qr["status"] == "in-progress"
        # the next questions are the engine's own first ones not offered yet
        assert new == [q.field for q in result.ask_next if q.field not in shown][:count]
        assert 1 <= len(new) <= count
        shown = ids
        given = {f: (None if rng.random() < skip else hidden[f]) for f in new}
        qr = post(app, params(answer(qr, new, given)), query)
    raise AssertionError("the interview did not finish")


# --- the contract ----------------------------------------------------------------------------------


def test_parameters_in_the_response_with_its_first_questions_out(app: TestClient) -> None:
    out = post(app, params(start()))
    assert out["resourceType"] == "QuestionnaireResponse"
    assert out["status"] == "in-progress"
    assert out["questionnaire"] == f"#{CONTAINED_ID}"
    adaptive = adaptive_of(out)
    # the SDC adaptive Questionnaire profile: the extension, no url, title, derivedFrom the set's one
    assert adaptive["meta"]["profile"] == [PROFILE_ADAPTIVE_QUESTIONNAIRE]
    assert adaptive["extension"] == [{"url": EXT_ADAPTIVE, "valueBoolean": True}]
    assert "url" not in adaptive and adaptive["title"]
    assert adaptive["derivedFrom"] == [CANONICAL]
    first = default_screener().screen({"answers": {}}).ask_next
    assert question_ids(out) == [q.field for q in first][:DEFAULT_COUNT]
    assert not any("enableWhen" in i for i in adaptive["item"])  # the service decides what is asked
    assert all(i["prefix"] for i in adaptive["item"])  # who answers
    assert "item" not in out  # nothing answered yet
    # labelled like everything the FHIR part writes; the SDC response profile needs subject and authored
    assert check_resource(out, "R4B") == [] and check_resource(adaptive, "R4B") == []
    assert "profile" not in out["meta"]


def test_a_bare_response_is_accepted_and_gives_the_same_answer(app: TestClient) -> None:
    qr = start({"age_years": 12})
    assert post(app, qr) == post(app, params(qr)) == post(app, params(qr, "questionnaireResponse"))


def test_the_response_keeps_what_the_client_sent(app: TestClient) -> None:
    qr = start(
        {"age_years": 12},
        id="qr-1",
        subject={"reference": "Patient/p1"},
        authored="2026-12-07T10:00:00Z",
        meta={"security": [{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "N"}]},
    )
    out = post(app, params(qr))
    assert (out["id"], out["subject"], out["authored"]) == ("qr-1", {"reference": "Patient/p1"}, qr["authored"])
    assert out["meta"]["profile"] == [PROFILE_ADAPTIVE_RESPONSE]  # subject and authored present
    assert out["meta"]["security"][0]["code"] == "R"  # a weaker confidentiality code is replaced
    assert out["item"] == qr["item"]
    assert question_ids(out)[0] == "age_years"  # answered questions are listed before the new ones


@pytest.mark.parametrize("p_yes", [None, 0.08])
@pytest.mark.parametrize("seed", range(3))
def test_items_grow_step_by_step_until_the_level_is_settled(app: TestClient, seed: int, p_yes: float | None) -> None:
    rng = random.Random(seed)
    hidden = complete_encounter(
        rng, p_yes, age_years=rng.choice([12, 14, 16]), child_seen_alone=True, child_speaks_local_language=True
    )
    steps = interview(app, hidden)
    assert len(steps) >= 2
    last = steps[-1]
    assert last["status"] == "completed"
    (finished,) = [e["valueCode"] for e in last["extension"] if e["url"] == EXT_FINISHED]
    assert finished in FINISHED_CODES
    assert any(i["linkId"] == STATUS_LINK_ID for i in adaptive_of(last)["item"])
    if finished == "settled":  # the hidden encounter is one completion: it reaches the same level
        screener = default_screener()
        assert (
            screener.screen({"answers": answers_of(last)}).level
            is screener.screen({"answers": {k: v for k, v in hidden.items() if v is not None}}).level
        )
    # fewer questions than the whole questionnaire
    assert len(question_ids(last)) < len(questionnaire_fields(default_set()))


def test_skipped_questions_are_not_offered_again(app: TestClient) -> None:
    first = post(app, params(start()))
    offered = question_ids(first)
    second = post(app, params(first))  # nothing answered: all three skipped
    assert question_ids(second)[: len(offered)] == offered
    new = question_ids(second)[len(offered) :]
    assert new and not set(new) & set(offered)
    # a skipped question answered later is read like any other
    later = answer(second, [offered[0]], {offered[0]: 14})
    assert answers_of(post(app, params(later)))["age_years"] == 14


def test_when_every_question_is_skipped_the_interview_ends_all_offered(app: TestClient) -> None:
    steps = interview(app, {f: None for f in questionnaire_fields(default_set())})
    last = steps[-1]
    assert "item" not in last  # nothing answered, nothing invented
    assert [e["valueCode"] for e in last["extension"] if e["url"] == EXT_FINISHED] == ["all-offered"]
    offered = set(question_ids(last))
    assert offered == {q.field for q in default_screener().screen({"answers": {}}).ask_next}


@pytest.mark.parametrize("seed", range(3))
def test_interviews_with_skipped_questions_finish(app: TestClient, seed: int) -> None:
    rng = random.Random(100 + seed)
    steps = interview(app, complete_encounter(rng, age_years=15), skip=0.3, seed=seed, query="?count=2")
    assert steps[-1]["status"] == "completed"


def test_completed_with_no_new_item_when_settled(app: TestClient) -> None:
    screener = default_screener()
    answers = answers_reaching(screener, Level.URGENT)
    assert screener.screen({"answers": answers}).settled
    out = post(app, params(start(answers)))
    assert out["status"] == "completed"
    assert [e for e in out["extension"] if e["url"] == EXT_FINISHED] == [{"url": EXT_FINISHED, "valueCode": "settled"}]
    adaptive = adaptive_of(out)
    assert question_ids(out) == list(answers)  # nothing added
    (status,) = [i for i in adaptive["item"] if i["linkId"] == STATUS_LINK_ID]
    assert status["type"] == "display" and "No further questions" in status["text"]
    # asked again, still completed, and the status item is not repeated
    again = post(app, params(out))
    assert again["status"] == "completed"
    assert [i["linkId"] for i in adaptive_of(again)["item"]].count(STATUS_LINK_ID) == 1
    assert [e["url"] for e in again["extension"]].count(EXT_FINISHED) == 1


@pytest.mark.parametrize("seed", range(3))
def test_an_infant_is_never_asked_a_question_to_the_child(app: TestClient, seed: int) -> None:
    rng = random.Random(200 + seed)
    hidden = complete_encounter(
        rng, age_years=rng.choice([0, 1]), child_seen_alone=True, child_speaks_local_language=True
    )
    steps = interview(app, hidden)
    (finished,) = [e["valueCode"] for e in steps[-1]["extension"] if e["url"] == EXT_FINISHED]
    assert finished in ("settled", "nothing-askable")
    by_id = default_set().dictionary.by_id
    asked = [f for step in steps for f in question_ids(step)]
    assert "age_years" in asked
    assert not [f for f in asked if by_id[f].asked_of is Respondent.CHILD]
    # what cannot be asked is said in plain words, with what to do instead
    notes = [i for i in adaptive_of(steps[-1])["item"] if i["linkId"].startswith("adaptive-cannot-ask-")]
    assert notes and all(i["type"] == "display" for i in notes)
    assert any("under 8" in i["text"] for i in notes)


def test_an_infant_with_every_presence_answer_still_gets_no_child_question(app: TestClient) -> None:
    out = post(
        app,
        params(
            start(
                {
                    "age_years": 1,
                    "child_seen_alone": True,
                    "child_speaks_local_language": True,
                    "professional_interpreter_present": True,
                }
            )
        ),
        "?count=20",
    )
    by_id = default_set().dictionary.by_id
    assert question_ids(out)[4:]  # something is asked
    assert not [f for f in question_ids(out) if by_id[f].asked_of is Respondent.CHILD]


def test_a_teenager_seen_alone_is_asked_questions_to_the_child(app: TestClient) -> None:
    out = post(
        app,
        params(start({"age_years": 15, "child_seen_alone": True, "child_speaks_local_language": True})),
        "?count=20",
    )
    by_id = default_set().dictionary.by_id
    assert [f for f in question_ids(out) if by_id[f].asked_of is Respondent.CHILD]


def test_count_and_language(app: TestClient) -> None:
    one = post(app, params(start()), "?count=1")
    assert len(question_ids(one)) == 1
    pt = post(app, params(start()), "?lang=pt")
    adaptive = adaptive_of(pt)
    assert adaptive["language"] == "pt"
    assert adaptive["item"][0]["text"].startswith("Idade em anos")
    assert adaptive["item"][0]["prefix"] == "Processo"


# --- errors ----------------------------------------------------------------------------------------

BAD_400 = {
    "not JSON": b"{not json",
    "an array": b"[]",
    "a Patient": json.dumps({"resourceType": "Patient"}).encode(),
    "no parameter": json.dumps({"resourceType": "Parameters"}).encode(),
    "an unknown parameter": json.dumps(
        {
            "resourceType": "Parameters",
            "parameter": [{"name": "response", "resource": {"resourceType": "QuestionnaireResponse"}}],
        }
    ).encode(),
    "a Patient in the parameter": json.dumps(params({"resourceType": "Patient"})).encode(),
    "a duplicated key": b'{"resourceType": "QuestionnaireResponse", "status": "in-progress", "status": "x"}',
    "a missing contained questionnaire": json.dumps(
        {"resourceType": "QuestionnaireResponse", "status": "in-progress", "questionnaire": "#q"}
    ).encode(),
}


@pytest.mark.parametrize("case", sorted(BAD_400))
def test_bad_requests_give_an_operation_outcome_400(app: TestClient, case: str) -> None:
    r = app.post(URL, content=BAD_400[case], headers=FHIR_JSON)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/fhir+json")
    outcome = r.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["severity"] == "error" and outcome["issue"][0]["diagnostics"]


def test_bad_query_and_content_type(app: TestClient) -> None:
    body = json.dumps(params(start()))
    for query in ("?count=0", "?count=21", "?count=two", "?lang=de"):
        r = app.post(URL + query, content=body, headers=FHIR_JSON)
        assert r.status_code == 400 and r.json()["resourceType"] == "OperationOutcome", query
    r = app.post(URL, content=body, headers={"Content-Type": "text/plain"})
    assert r.status_code == 415 and r.json()["resourceType"] == "OperationOutcome"
    assert app.get(URL).status_code == 405


def test_responses_that_do_not_fit_give_422_without_the_answer(app: TestClient) -> None:
    secret = "Maria-Secret-Address"
    cases = {
        "another questionnaire": {**start(), "questionnaire": "https://example.org/Questionnaire/x|1"},
        "another version": {**start(), "questionnaire": CANONICAL.replace("2.0.0", "1.0.0")},
        "a wrong answer type": start() | {"item": [{"linkId": "age_years", "answer": [{"valueString": secret}]}]},
        "a wrong presence answer": start()
        | {"item": [{"linkId": "child_seen_alone", "answer": [{"valueString": secret}]}]},
        "an unknown linkId": start() | {"item": [{"linkId": "favourite_colour", "answer": [{"valueString": secret}]}]},
        "an age out of range": start({"age_years": 25})
        | {"item": [{"linkId": "age_years", "answer": [{"valueInteger": 99}]}]},
        "entered in error": {**start(), "status": "entered-in-error"},
        "a foreign contained item": {
            "resourceType": "QuestionnaireResponse",
            "status": "in-progress",
            "questionnaire": "#q",
            "contained": [
                {
                    "resourceType": "Questionnaire",
                    "id": "q",
                    "status": "active",
                    "derivedFrom": [CANONICAL],
                    "item": [{"linkId": "x1", "text": secret, "type": "string"}],
                }
            ],
        },
        "no derivedFrom": {
            "resourceType": "QuestionnaireResponse",
            "status": "in-progress",
            "questionnaire": "#q",
            "contained": [{"resourceType": "Questionnaire", "id": "q", "status": "active"}],
        },
    }
    for case, qr in cases.items():
        r = app.post(URL, content=json.dumps(params(qr)), headers=FHIR_JSON)
        assert r.status_code == 422, (case, r.text)
        assert r.json()["resourceType"] == "OperationOutcome", case
        assert secret not in r.text and "99" not in r.text, case


def test_python_api_errors() -> None:
    adaptive = AdaptiveQuestionnaire(default_screener())
    with pytest.raises(NextQuestionError, match="count"):
        adaptive.next_question(start(), count=0)
    with pytest.raises(NextQuestionError) as info:
        adaptive.next_question({"resourceType": "Patient"})
    assert info.value.status == 400
    with pytest.raises(NextQuestionError, match="JSON-shaped"):
        adaptive.next_question(start() | {"text": object()})


# --- R4 validity (FHIR.js) -------------------------------------------------------------------------


def test_output_is_valid_r4_for_fhir_js(app: TestClient, tmp_path: Path) -> None:
    rng = random.Random(7)
    teen = interview(
        app, complete_encounter(rng, age_years=14, child_seen_alone=True, child_speaks_local_language=True)
    )
    infant = interview(app, complete_encounter(rng, age_years=1))
    outputs = {
        "first": teen[0],
        "middle": teen[len(teen) // 2],
        "teen-last": teen[-1],
        "infant-last": infant[-1],
        "settled": post(
            app,
            params(
                start(
                    answers_reaching(default_screener(), Level.URGENT),
                    subject={"reference": "Patient/p1"},
                    authored="2026-12-07T10:00:00Z",
                )
            ),
        ),
        "nb": post(app, params(start({"age_years": 9})), "?lang=nb"),
    }
    files: list[Path] = []
    resources: list[dict[str, Any]] = []
    for name, qr in outputs.items():
        assert check_resource(qr, "R4B") == [], name
        assert check_resource(adaptive_of(qr), "R4B") == [], name
        # FHIR.js does not lift the items of a contained resource: the Questionnaire is checked on its own too
        for suffix, resource in (("", qr), ("-questionnaire", adaptive_of(qr))):
            files.append(write(tmp_path, name + suffix, resource))
            resources.append(resource)
    reports = validate(files)
    for report, resource in zip(reports, resources, strict=True):
        assert unexpected(report, resource) == [], report["file"]


def test_the_validator_sees_faults_in_the_output(tmp_path: Path) -> None:
    """A control: a fault put into the output is reported, so the pass above means something."""
    out = AdaptiveQuestionnaire(default_screener()).next_question(start())
    bad_status = json.loads(json.dumps(out))
    bad_status["status"] = "finished"
    bad_contained = json.loads(json.dumps(out))
    adaptive_of(bad_contained)["item"][0]["type"] = "coding"  # an R5 item type, inside the response
    reports = validate(
        [
            write(tmp_path, "good", out),
            write(tmp_path, "bad-status", bad_status),
            write(tmp_path, "bad-contained", bad_contained),
            write(tmp_path, "bad-item", adaptive_of(bad_contained)),
        ]
    )
    assert [r["valid"] for r in reports] == [True, False, False, False]
    assert any(m["location"] == "QuestionnaireResponse.status" for m in reports[1]["messages"])


def test_r5_output_has_r5_shapes() -> None:
    from trafficscreen.fhir.check import structure_problems

    out = AdaptiveQuestionnaire(default_screener(), "R5").next_question(start({"age_years": 14}), count=20)
    adaptive = adaptive_of(out)
    assert {i["type"] for i in adaptive["item"]} <= {"integer", "boolean", "coding", "decimal", "date", "display"}
    for resource in (out, adaptive):
        assert check_resource(resource, "R5") == []
        assert structure_problems(resource, "R5") == []
    r4b = AdaptiveQuestionnaire(default_screener()).next_question(start({"age_years": 14}))
    assert structure_problems(r4b, "R4B") == []  # fhir.resources, the contained Questionnaire included
