"""to_fhir: Bundles of results, in R4B and R5, valid for fhir.resources and our own code checks."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from conftest import MINI_SET
from fhir_support import EXAMPLE_ENCOUNTERS, default_screener, example
from trafficscreen.core.engine import Screener
from trafficscreen.fhir import (
    QUALITATIVE_RISK,
    FhirExportError,
    QuestionnaireResponseError,
    check_bundle,
    questionnaire,
    to_fhir,
    validate_bundle,
)
from trafficscreen.fhir._common import ACT_CODE, CONFIDENTIALITY, EXT_DATA_ABSENT_REASON, RISK_PROBABILITY
from trafficscreen.fhir.check import structure_problems
from trafficscreen.model.common import Level
from trafficscreen.model.result import IndicatorStatus, ScreeningResult

VERSIONS = ["R4B", "R5"]
ISSUED = "2026-11-23T10:15:00Z"

# answers to the mini set reaching each level (see tests/data/sets/mini)
MINI_LEVELS: dict[Level, dict[str, Any]] = {
    Level.NONE: {"deceived": False},
    Level.CONCERN: {"deceived": True},
    Level.REFER: {
        "deceived": True,
        "accompanied_by": "employer",
        "age_years": 12,
        "lives_at_work": True,
        "work_types": ["street"],
        "long_hours": False,
    },
    Level.URGENT: {"long_hours": True, "work_types": ["domestic"]},
}


def resources(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"]]


def of_type(bundle: dict[str, Any], rtype: str) -> list[dict[str, Any]]:
    return [r for r in resources(bundle) if r["resourceType"] == rtype]


def summary_of(bundle: dict[str, Any]) -> dict[str, Any]:
    (summary,) = [r for r in of_type(bundle, "Observation") if r["code"]["coding"][0]["code"] == "screening-result"]
    return summary


def all_codings(node: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if "code" in node and "system" in node:
            out.append(node)
        for v in node.values():
            out.extend(all_codings(v))
    elif isinstance(node, list):
        for v in node:
            out.extend(all_codings(v))
    return out


@pytest.fixture(scope="module")
def mini_results(mini_screener: Screener) -> dict[Level, ScreeningResult]:
    out = {
        level: mini_screener.screen({"id": f"enc-{level.value}", "answers": answers})
        for level, answers in MINI_LEVELS.items()
    }
    assert {lv: r.level for lv, r in out.items()} == {lv: lv for lv in out}, "test set-up: levels not reached"
    return out


def test_example_encounters_exist() -> None:
    assert EXAMPLE_ENCOUNTERS, "examples/encounters/*.json are needed by the FHIR tests"


@pytest.mark.parametrize("path", EXAMPLE_ENCOUNTERS, ids=lambda p: p.stem)
@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("transaction", [False, True], ids=["collection", "transaction"])
def test_example_bundles_are_valid(path: Path, version: str, transaction: bool) -> None:
    result = default_screener().screen(example(path))
    bundle = to_fhir(
        result, version, patient="Patient/p1", encounter="Encounter/e1", transaction=transaction, issued=ISSUED
    )
    assert structure_problems(bundle, version) == []
    assert check_bundle(bundle, version) == []
    validate_bundle(bundle, version)  # the same two checks, raising
    assert bundle["type"] == ("transaction" if transaction else "collection")


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("adolescent", [False, True])
def test_every_resource_and_the_bundle_carry_the_labels(
    mini_results: dict[Level, ScreeningResult], version: str, adolescent: bool
) -> None:
    q = questionnaire(MINI_SET, version)
    qr = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{q['url']}|{q['version']}",
        "status": "completed",
        "meta": {"security": [{"system": CONFIDENTIALITY, "code": "N"}]},
    }
    bundle = to_fhir(
        mini_results[Level.URGENT], version, patient="Patient/p1", questionnaire_response=qr, adolescent=adolescent
    )
    for res in [bundle, *resources(bundle)]:
        labels = {(c["system"], c["code"]) for c in res["meta"]["security"]}
        assert (CONFIDENTIALITY, "R") in labels, res["resourceType"]
        assert (CONFIDENTIALITY, "N") not in labels  # the response's weaker label is replaced
        assert (ACT_CODE, "SDV") in labels
        assert ((ACT_CODE, "ADOL") in labels) is adolescent
    assert {r["resourceType"] for r in resources(bundle)} == {
        "QuestionnaireResponse",
        "Observation",
        "RiskAssessment",
        "Flag",
    }


def test_a_stricter_label_already_on_the_response_is_kept(mini_results: dict[Level, ScreeningResult]) -> None:
    q = questionnaire(MINI_SET)
    qr = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{q['url']}|{q['version']}",
        "status": "completed",
        "meta": {"security": [{"system": CONFIDENTIALITY, "code": "V"}]},
    }
    bundle = to_fhir(mini_results[Level.CONCERN], questionnaire_response=qr)
    conf = [
        c["code"]
        for c in of_type(bundle, "QuestionnaireResponse")[0]["meta"]["security"]
        if c["system"] == CONFIDENTIALITY
    ]
    assert conf == ["V"]
    assert check_bundle(bundle, "R4B") == []


@pytest.mark.parametrize("version", VERSIONS)
def test_levels_map_to_risk_and_flags(mini_results: dict[Level, ScreeningResult], version: str) -> None:
    for level, result in mini_results.items():
        bundle = to_fhir(result, version, patient="Patient/p1")
        (risk,) = of_type(bundle, "RiskAssessment")
        prediction = risk["prediction"][0]
        expected = QUALITATIVE_RISK[level]
        if expected is None:
            assert "qualitativeRisk" not in prediction
        else:
            assert prediction["qualitativeRisk"]["coding"][0] == {
                "system": RISK_PROBABILITY,
                "code": expected[0],
                "display": expected[1],
            }
        flags = of_type(bundle, "Flag")
        assert len(flags) == (1 if level.rank >= Level.REFER.rank else 0)
        for flag in flags:
            assert flag["category"][0]["coding"][0]["code"] == "safety"
            assert flag["subject"] == {"reference": "Patient/p1"}
            assert flag["code"]["coding"][0]["code"] == (
                "urgent-safeguarding-review" if level is Level.URGENT else "safeguarding-review"
            )
            assert "traffick" not in json.dumps(flag["code"]).lower()  # banners are seen by others
            detail = flag["extension"][0]["valueReference"]["reference"]
            assert detail == next(
                e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "RiskAssessment"
            )
        assert summary_of(bundle)["valueCodeableConcept"]["coding"][0]["code"] == level.value


def test_none_never_reads_as_negative(mini_results: dict[Level, ScreeningResult]) -> None:
    result = mini_results[Level.NONE]
    bundle = to_fhir(result, patient="Patient/p1")
    codes = {c["code"] for c in all_codings(bundle)}
    assert not codes & {"negative", "negligible", "low", "NEG", "N"}
    summary = summary_of(bundle)
    assert summary["valueCodeableConcept"]["text"] == "No indicators identified among the questions answered"
    assert "not a negative result" in summary["note"][0]["text"]
    (risk,) = of_type(bundle, "RiskAssessment")
    assert "qualitativeRisk" not in risk["prediction"][0]
    assert "not a negative result" in risk["note"][0]["text"]
    assert of_type(bundle, "Flag") == []


@pytest.mark.parametrize("version", VERSIONS)
def test_observations_follow_the_result(version: str) -> None:
    result = default_screener().screen(example(EXAMPLE_ENCOUNTERS[0]))
    met = [i for i in result.indicators if i.status is IndicatorStatus.MET]
    assert met, "test set-up: the first example should meet indicators"
    bundle = to_fhir(result, version, patient="Patient/p1", issued=ISSUED)
    full_url = {id(e["resource"]): e["fullUrl"] for e in bundle["entry"]}
    indicator_obs = [o for o in of_type(bundle, "Observation") if o is not summary_of(bundle)]
    assert [o["code"]["coding"][0]["code"] for o in indicator_obs] == [i.id for i in met]
    for obs, ind in zip(indicator_obs, met, strict=True):
        assert obs["category"][0]["coding"][0]["code"] == "survey"
        assert obs["valueBoolean"] is True
        assert obs["effectiveDateTime"] == ISSUED
        assert obs["code"]["coding"][0]["version"] == result.set.version
        dims = [
            c["valueCodeableConcept"]["coding"][0]["code"]
            for c in obs["component"]
            if c["code"]["coding"][0]["code"] == "indicator-dimension"
        ]
        assert dims == [ind.dimension]
    summary = summary_of(bundle)
    assert summary["hasMember"] == [{"reference": full_url[id(o)]} for o in indicator_obs]
    assert summary["status"] == ("final" if result.settled else "preliminary")
    (risk,) = of_type(bundle, "RiskAssessment")
    assert risk["method"]["text"] == f"{result.set.canonical_url}|{result.set.version}"
    assert risk["method"]["coding"][0]["code"] == result.set.id
    assert risk["method"]["coding"][0]["version"] == result.set.version
    assert risk["basis"][0] == {"reference": full_url[id(summary)]}
    assert risk["prediction"][0]["rationale"] == " ".join(result.reasons)
    assert risk["occurrenceDateTime"] == ISSUED


def test_no_patient_no_invented_subject(mini_results: dict[Level, ScreeningResult]) -> None:
    bundle = to_fhir(mini_results[Level.REFER])
    for res in resources(bundle):
        if res["resourceType"] in ("RiskAssessment", "Flag"):  # subject is required there
            assert res["subject"] == {"extension": [{"url": EXT_DATA_ABSENT_REASON, "valueCode": "unknown"}]}
        else:
            assert "subject" not in res
        assert "encounter" not in res
    assert check_bundle(bundle, "R4B") == []
    with pytest.raises(FhirExportError, match="transaction Bundle needs a patient"):
        to_fhir(mini_results[Level.REFER], transaction=True)


@pytest.mark.parametrize("version", VERSIONS)
def test_transaction_entries(mini_results: dict[Level, ScreeningResult], version: str) -> None:
    bundle = to_fhir(
        mini_results[Level.URGENT],
        version,
        patient="https://ehr.example/fhir/Patient/p1",
        encounter="urn:example:visits|v-77",
        transaction=True,
    )
    full_urls = {e["fullUrl"] for e in bundle["entry"]}
    for entry in bundle["entry"]:
        res = entry["resource"]
        assert entry["fullUrl"].startswith("urn:uuid:")
        assert "id" not in res  # a server assigns ids on POST
        assert entry["request"]["method"] == "POST"
        assert entry["request"]["url"] == res["resourceType"]
        ident = res["identifier"][0]
        assert entry["request"]["ifNoneExist"] == f"identifier={ident['system']}|{ident['value']}"
        assert res["encounter"] == {
            "type": "Encounter",
            "identifier": {"system": "urn:example:visits", "value": "v-77"},
        }
    refs = [r for r in json.dumps(bundle).split('"') if r.startswith("urn:uuid:")]
    assert set(refs) >= full_urls


def test_same_inputs_same_bundle_and_ids_follow_inputs(
    mini_results: dict[Level, ScreeningResult], mini_screener: Screener
) -> None:
    result = mini_results[Level.REFER]
    args: dict[str, Any] = {"patient": "Patient/p1", "encounter": "Encounter/e1", "issued": ISSUED}
    a = to_fhir(result, **args)
    assert json.dumps(a) == json.dumps(to_fhir(result, **args))
    again = mini_screener.screen({"id": result.encounter_id, "answers": MINI_LEVELS[Level.REFER]})
    assert json.dumps(to_fhir(again, **args)) == json.dumps(a)

    def ids(bundle: dict[str, Any]) -> set[str]:
        return {e["fullUrl"] for e in bundle["entry"]}

    assert ids(to_fhir(result, **{**args, "issued": "2026-11-24T10:15:00Z"})).isdisjoint(ids(a))
    assert ids(to_fhir(result, **{**args, "encounter": "Encounter/e2"})).isdisjoint(ids(a))
    assert ids(to_fhir(result, **args, id_seed="secret")).isdisjoint(ids(a))
    # a re-screen with more answers makes new resources: with conditional creates, the new record is
    # stored beside the old one instead of being taken for it
    answers = dict(MINI_LEVELS[Level.REFER])
    del answers["long_hours"]
    fewer = mini_screener.screen({"id": result.encounter_id, "answers": answers})
    assert fewer.level is result.level and fewer.completeness != result.completeness
    assert ids(to_fhir(fewer, **args)).isdisjoint(ids(a))
    more = mini_screener.screen(
        {
            "id": result.encounter_id,
            "answers": {**MINI_LEVELS[Level.REFER], "long_hours": True, "work_types": ["domestic"]},
        }
    )
    assert ids(to_fhir(more, **args)).isdisjoint(ids(a))
    # a datetime gives the same text as the ISO string
    dt = datetime(2026, 11, 23, 10, 15, tzinfo=UTC)
    assert json.dumps(to_fhir(result, **{**args, "issued": dt})) == json.dumps(a)
    # no issued: no time anywhere
    assert "2026-" not in json.dumps(to_fhir(result, patient="Patient/p1"))


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"patient": "Joana Ferreira"}, "patient: expected a reference like Patient/<id>"),
        ({"patient": "Encounter/1"}, "patient: the reference must point to a Patient"),
        ({"patient": {"reference": "Patient/1", "name": "Joana Ferreira"}}, "patient: a Reference may hold"),
        ({"patient": "|Joana Ferreira"}, "patient: an identifier is written SYSTEM|VALUE"),
        ({"encounter": "Patient/1"}, "encounter: the reference must point to a Encounter"),
        ({"issued": datetime(2026, 11, 23, 10, 15)}, "issued: a date-time needs a time zone"),
        ({"issued": "23/11/2026"}, "issued: expected a date-time like"),
        ({"issued": "2026-02-30T10:00:00Z"}, "issued: not a real date and time"),
        ({"fhir_version": "R4"}, "use R4B"),
        ({"fhir_version": "STU3"}, "fhir_version must be 'R4B' or 'R5'"),
    ],
)
def test_bad_arguments_are_named_not_echoed(
    mini_results: dict[Level, ScreeningResult], kwargs: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(FhirExportError) as info:
        to_fhir(mini_results[Level.CONCERN], **kwargs)
    assert fragment in str(info.value)
    assert "Joana" not in str(info.value)


def test_patient_by_identifier_and_reference_object(mini_results: dict[Level, ScreeningResult]) -> None:
    bundle = to_fhir(mini_results[Level.REFER], patient="urn:oid:2.16.578.1.12.4.1.4.1|01010112345")
    (risk,) = of_type(bundle, "RiskAssessment")
    assert risk["subject"] == {
        "type": "Patient",
        "identifier": {"system": "urn:oid:2.16.578.1.12.4.1.4.1", "value": "01010112345"},
    }
    bundle = to_fhir(mini_results[Level.REFER], patient={"reference": "Patient/7", "display": "as given"})
    assert of_type(bundle, "Flag")[0]["subject"] == {"reference": "Patient/7", "display": "as given"}


def test_response_subject_is_used_and_must_agree(mini_results: dict[Level, ScreeningResult]) -> None:
    q = questionnaire(MINI_SET)
    qr = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{q['url']}|{q['version']}",
        "status": "completed",
        "subject": {"reference": "Patient/from-form"},
    }
    bundle = to_fhir(mini_results[Level.REFER], questionnaire_response=qr, transaction=True)
    assert of_type(bundle, "RiskAssessment")[0]["subject"] == {"reference": "Patient/from-form"}
    with pytest.raises(FhirExportError, match="name different Patient resources"):
        to_fhir(mini_results[Level.REFER], questionnaire_response=qr, patient="Patient/other")
    assert "Patient/other" not in json.dumps(qr)  # the caller's response is not changed


def test_response_to_another_questionnaire_is_refused(mini_results: dict[Level, ScreeningResult]) -> None:
    qr = {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "questionnaire": "https://trafficscreen.org/fhir/Questionnaire/ilo-child-labour|1.0.0",
    }
    with pytest.raises(QuestionnaireResponseError, match=r"^questionnaire_response: is a response to another"):
        to_fhir(mini_results[Level.REFER], questionnaire_response=qr)


def test_derived_from_the_response(mini_results: dict[Level, ScreeningResult]) -> None:
    q = questionnaire(MINI_SET)
    qr = {
        "resourceType": "QuestionnaireResponse",
        "id": "qr-1",
        "questionnaire": f"{q['url']}|{q['version']}",
        "status": "completed",
    }
    bundle = to_fhir(mini_results[Level.REFER], "R5", questionnaire_response=qr)
    qr_url = bundle["entry"][0]["fullUrl"]
    assert bundle["entry"][0]["resource"]["resourceType"] == "QuestionnaireResponse"
    assert isinstance(bundle["entry"][0]["resource"]["identifier"], list)  # a list in R5
    for obs in of_type(bundle, "Observation"):
        assert obs["derivedFrom"] == [{"reference": qr_url}]
    assert {"reference": qr_url} in of_type(bundle, "RiskAssessment")[0]["basis"]
    r4b = to_fhir(mini_results[Level.REFER], "R4B", questionnaire_response=qr)
    assert isinstance(r4b["entry"][0]["resource"]["identifier"], dict)  # a single Identifier in R4B


def test_validate_flag_uses_both_checks(mini_results: dict[Level, ScreeningResult]) -> None:
    bundle = to_fhir(mini_results[Level.URGENT], "R5", patient="Patient/p1", validate=True)
    assert bundle["resourceType"] == "Bundle"


def test_language_follows_the_result(mini_screener: Screener) -> None:
    result = mini_screener.screen({"answers": MINI_LEVELS[Level.URGENT]}, lang="pt")
    bundle = to_fhir(result, patient="Patient/p1")
    assert {r["language"] for r in resources(bundle)} == {"pt"}
    assert of_type(bundle, "Flag")[0]["code"]["text"].startswith("Avaliação urgente")
