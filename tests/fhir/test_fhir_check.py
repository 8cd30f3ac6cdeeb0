"""check_bundle and validate_bundle: the codes and invariants fhir.resources does not check."""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

from fhir_support import EXAMPLE_ENCOUNTERS, default_screener, example
from paths import ROOT
from trafficscreen.fhir import FhirNotInstalledError, FhirValidationError, check_bundle, to_fhir, validate_bundle
from trafficscreen.fhir._common import CONFIDENTIALITY, RISK_PROBABILITY
from trafficscreen.fhir.check import structure_problems


@pytest.fixture(scope="module")
def bundles() -> dict[str, dict[str, Any]]:
    result = default_screener().screen(example(EXAMPLE_ENCOUNTERS[-1]))
    assert result.level.value in ("refer", "urgent"), "test set-up: the last example should write a Flag"
    return {
        "collection": to_fhir(result, "R4B", patient="Patient/p1"),
        "transaction": to_fhir(result, "R4B", patient="Patient/p1", transaction=True),
        "r5": to_fhir(result, "R5", patient="Patient/p1"),
    }


def first(bundle: dict[str, Any], rtype: str) -> dict[str, Any]:
    return next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == rtype)


def _status_banana(b: dict[str, Any]) -> None:
    first(b, "RiskAssessment")["status"] = "banana"


def _flag_status(b: dict[str, Any]) -> None:
    first(b, "Flag")["status"] = "final"


def _no_request(b: dict[str, Any]) -> None:
    del b["entry"][1]["request"]


def _bad_verb(b: dict[str, Any]) -> None:
    b["entry"][1]["request"]["method"] = "SEND"


def _wrong_url(b: dict[str, Any]) -> None:
    b["entry"][1]["request"]["url"] = "Patient"


def _r5_element(b: dict[str, Any]) -> None:
    first(b, "RiskAssessment")["reason"] = [{"concept": {"text": "x"}}]


def _r5_bundle_type(b: dict[str, Any]) -> None:
    b["type"] = "subscription-notification"


def _no_labels(b: dict[str, Any]) -> None:
    del first(b, "Observation")["meta"]


def _weak_label(b: dict[str, Any]) -> None:
    first(b, "Flag")["meta"]["security"][0] = {"system": CONFIDENTIALITY, "code": "N"}


def _no_sensitivity(b: dict[str, Any]) -> None:
    first(b, "Flag")["meta"]["security"] = first(b, "Flag")["meta"]["security"][:1]


def _bundle_labels(b: dict[str, Any]) -> None:
    del b["meta"]


def _dangling(b: dict[str, Any]) -> None:
    first(b, "RiskAssessment")["basis"].append({"reference": "urn:uuid:00000000-0000-4000-8000-000000000000"})


def _duplicate_full_url(b: dict[str, Any]) -> None:
    b["entry"][1]["fullUrl"] = b["entry"][0]["fullUrl"]


def _low_risk(b: dict[str, Any]) -> None:
    first(b, "RiskAssessment")["prediction"][0]["qualitativeRisk"] = {
        "coding": [{"system": RISK_PROBABILITY, "code": "low"}]
    }


def _category(b: dict[str, Any]) -> None:
    first(b, "Flag")["category"][0]["coding"][0]["code"] = "danger"


def _no_subject(b: dict[str, Any]) -> None:
    del first(b, "Flag")["subject"]


CASES: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("collection", _status_banana, "entry[0].resource.status: not an ObservationStatus code"),
    ("collection", _flag_status, "status: not a FlagStatus code"),
    ("transaction", _no_request, "entry[1].request: required in a transaction Bundle (bdl-3)"),
    ("transaction", _bad_verb, "entry[1].request.method: not an HTTP verb code"),
    ("transaction", _wrong_url, "entry[1].request.url: a POST goes to the resource's type"),
    ("collection", _r5_element, "reason: an element of R5, not of R4B"),
    ("collection", _r5_bundle_type, "Bundle.type: not a BundleType code in R4B"),
    ("collection", _no_labels, "meta.security: missing"),
    ("collection", _weak_label, "confidentiality must be R (restricted) or V"),
    ("collection", _no_sensitivity, "needs a v3-ActCode sensitivity code"),
    ("collection", _bundle_labels, "Bundle.meta.security: missing"),
    ("collection", _dangling, "a urn:uuid reference names no entry of this Bundle"),
    ("collection", _duplicate_full_url, "the same fullUrl appears twice"),
    ("collection", _low_risk, "would read as a negative or confirmed finding"),
    ("collection", _category, "category: not a flag-category code"),
    ("collection", _no_subject, "subject: required"),
]


@pytest.mark.parametrize(("kind", "spoil", "fragment"), CASES, ids=[c[1].__name__.strip("_") for c in CASES])
def test_check_bundle_finds(
    bundles: dict[str, dict[str, Any]], kind: str, spoil: Callable[[dict[str, Any]], None], fragment: str
) -> None:
    bundle = copy.deepcopy(bundles[kind])
    assert check_bundle(bundle, "R4B") == []
    if kind == "collection":  # our first entry is an Observation: make the RiskAssessment easy to find
        bundle["entry"].sort(key=lambda e: e["resource"]["resourceType"] != "RiskAssessment")
    spoil(bundle)
    problems = check_bundle(bundle, "R4B")
    assert any(fragment in p for p in problems), problems
    with pytest.raises(FhirValidationError):
        validate_bundle(bundle, "R4B")


def test_request_only_in_transactions(bundles: dict[str, dict[str, Any]]) -> None:
    bundle = copy.deepcopy(bundles["collection"])
    bundle["entry"][0]["request"] = {"method": "POST", "url": "Observation"}
    assert any("only transaction, batch and history" in p for p in check_bundle(bundle, "R4B"))


def test_one_fhir_version_per_bundle(bundles: dict[str, dict[str, Any]]) -> None:
    assert check_bundle(bundles["r5"], "R5") == []
    mixed = copy.deepcopy(bundles["r5"])
    first(mixed, "RiskAssessment")["reasonCode"] = [{"text": "x"}]  # an R4B element inside an R5 Bundle
    assert any("reasonCode: an element of R4B, not of R5" in p for p in check_bundle(mixed, "R5"))


def test_fhir_resources_alone_misses_what_check_bundle_finds(bundles: dict[str, dict[str, Any]]) -> None:
    """The reason check_bundle exists: fhir.resources accepts these."""
    bundle = copy.deepcopy(bundles["transaction"])
    first(bundle, "RiskAssessment")["status"] = "banana"
    del bundle["entry"][0]["request"]
    assert structure_problems(bundle, "R4B") == []
    assert len(check_bundle(bundle, "R4B")) == 2


def test_structure_problems_name_the_place_not_the_value(bundles: dict[str, dict[str, Any]]) -> None:
    bundle = copy.deepcopy(bundles["collection"])
    first(bundle, "RiskAssessment")["nome"] = "Joana Ferreira"
    problems = structure_problems(bundle, "R4B")
    assert problems and any("nome" in p for p in problems)
    assert not any("Joana" in p for p in problems)
    with pytest.raises(FhirValidationError) as info:
        validate_bundle(bundle, "R4B")
    assert "Joana" not in str(info.value) and "nome" in str(info.value)


def test_without_fhir_resources_a_clear_error(
    bundles: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [m for m in sys.modules if m == "fhir.resources" or m.startswith("fhir.resources.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "fhir.resources", None)
    with pytest.raises(FhirNotInstalledError, match=r"pip install 'trafficscreen\[fhir\]'"):
        validate_bundle(bundles["collection"], "R4B")
    # exporting and checking codes need no fhir.resources
    assert check_bundle(bundles["collection"], "R4B") == []


def test_export_path_does_not_import_fhir_resources() -> None:
    code = (
        "import sys, json\n"
        "from trafficscreen import screen\n"
        "from trafficscreen.fhir import to_fhir, questionnaire, encounter_from_questionnaire_response, check_bundle\n"
        "r = screen({'answers': {'works_long_hours': True}})\n"
        "b = to_fhir(r, 'R5', patient='Patient/1', transaction=True)\n"
        "q = questionnaire('ilo-child-labour')\n"
        "assert check_bundle(b, 'R5') == []\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('fhir'))))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
