"""An independent check of the R4B output: FHIR.js (the npm package `fhir`, an R4 validator written
apart from fhir.resources), installed under tools/fhir-validator by scripts/setup.d/40-fhir-validator.sh
and driven by tools/fhir-validator/validate.js.

These tests fail (never skip) when node or the package is missing: `make test` installs both.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import MINI_SET
from fhir_support import EXAMPLE_ENCOUNTERS, EXAMPLE_RESPONSE, default_screener, default_set, example
from fhir_validator_support import unexpected, validate, write
from trafficscreen.fhir import encounter_from_questionnaire_response, questionnaire, to_fhir

pytestmark = pytest.mark.fhir_validator


def test_r4b_output_is_valid_for_fhir_js(tmp_path: Path) -> None:
    assert EXAMPLE_ENCOUNTERS
    files: list[Path] = []
    screener = default_screener()
    for path in EXAMPLE_ENCOUNTERS:
        result = screener.screen(example(path))
        files.append(
            write(
                tmp_path,
                f"{path.stem}-collection",
                to_fhir(result, "R4B", patient="Patient/p1", encounter="Encounter/e1", issued="2026-11-23T10:15:00Z"),
            )
        )
        files.append(
            write(
                tmp_path,
                f"{path.stem}-transaction",
                to_fhir(result, "R4B", patient="Patient/p1", transaction=True, adolescent=True),
            )
        )
        files.append(write(tmp_path, f"{path.stem}-no-patient", to_fhir(result, "R4B")))
    qr = json.loads(EXAMPLE_RESPONSE.read_text(encoding="utf-8"))
    from_form = screener.screen(encounter_from_questionnaire_response(qr))
    files.append(
        write(
            tmp_path,
            "example-response-bundle",
            to_fhir(from_form, "R4B", patient="Patient/p1", questionnaire_response=qr, transaction=True),
        )
    )
    files.append(write(tmp_path, "example-response", qr))
    for lang in ("en", "pt", "nb"):
        files.append(write(tmp_path, f"questionnaire-{lang}", questionnaire(default_set(), "R4B", lang)))
    files.append(write(tmp_path, "questionnaire-mini", questionnaire(MINI_SET, "R4B")))

    reports = validate(files)
    for report, file in zip(reports, files, strict=True):
        resource = json.loads(file.read_text(encoding="utf-8"))
        assert unexpected(report, resource) == [], report["file"]
    # the Bundles really were looked into: the validator reports on the resources inside
    bundle_report = reports[0]
    assert any(m["location"].startswith("RiskAssessment") for m in bundle_report["messages"])


def test_the_validator_rejects_what_it_should(tmp_path: Path) -> None:
    """A control: FHIR.js finds the faults we care about, so a pass above means something."""
    result = default_screener().screen(example(EXAMPLE_ENCOUNTERS[0]))
    bad_status = to_fhir(result, "R4B", patient="Patient/p1")
    next(e["resource"] for e in bad_status["entry"] if e["resource"]["resourceType"] == "RiskAssessment")["status"] = (
        "banana"
    )
    r5_type = questionnaire(MINI_SET, "R5")  # 'coding' is not an R4 item type (items nested in groups)
    no_subject = to_fhir(default_screener().screen(example(EXAMPLE_ENCOUNTERS[-1])), "R4B", patient="Patient/p1")
    del next(e["resource"] for e in no_subject["entry"] if e["resource"]["resourceType"] == "Flag")["subject"]
    no_answer = questionnaire(MINI_SET, "R4B")
    (companion,) = [i for g in no_answer["item"] for i in g.get("item", []) if i["linkId"] == "accompanied_by"]
    del companion["enableWhen"][1]["answerInteger"]  # a real fault where the known false positive sits
    reports = validate(
        [
            write(tmp_path, "bad-status", bad_status),
            write(tmp_path, "r5-type", r5_type),
            write(tmp_path, "no-subject", no_subject),
            write(tmp_path, "no-answer", no_answer),
        ]
    )
    assert [r["valid"] for r in reports] == [False, False, False, False]
    assert unexpected(reports[3], no_answer) != []
    assert any(m["location"] == "RiskAssessment.status" for m in reports[0]["messages"])
    assert any(
        m["location"].startswith("(nested items) Questionnaire.item[")
        and m["location"].endswith(".type")
        and m["severity"] == "error"
        for m in reports[1]["messages"]
    )
    assert any(m["location"] == "Flag.subject" for m in reports[2]["messages"])
