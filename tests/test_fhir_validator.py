"""An independent check of the R4B output: FHIR.js (the npm package `fhir`, an R4 validator written
apart from fhir.resources), installed under tools/fhir-validator by scripts/setup.d/40-fhir-validator.sh
and driven by tools/fhir-validator/validate.js.

These tests fail (never skip) when node or the package is missing: `make test` installs both.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from conftest import MINI_SET
from fhir_support import EXAMPLE_ENCOUNTERS, EXAMPLE_RESPONSE, ROOT, default_screener, default_set, example
from trafficscreen.fhir import encounter_from_questionnaire_response, questionnaire, to_fhir

pytestmark = pytest.mark.fhir_validator

TOOL = ROOT / "tools" / "fhir-validator"
SCRIPT = TOOL / "validate.js"
SETUP = "bash scripts/setup.d/40-fhir-validator.sh"
OWN_CODE_SYSTEMS = ("https://trafficscreen.org/fhir/", "urn:trafficscreen:")


def validate(files: list[Path]) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None:
        pytest.fail(f"node is not installed; run `{SETUP}` (make test does)")
    if not (TOOL / "node_modules" / "fhir" / "package.json").is_file():
        pytest.fail(f"FHIR.js is not installed under {TOOL}; run `{SETUP}` (make test does)")
    proc = subprocess.run(
        [node, str(SCRIPT), *map(str, files)], capture_output=True, text=True, check=False, timeout=300
    )
    assert proc.returncode in (0, 1), proc.stderr
    reports = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["file"] for r in reports] == [str(f) for f in files]
    return reports


_ENABLE_WHEN_ANSWER = re.compile(
    r"^(?P<lifted>\(nested items\) )?Questionnaire\.item\[(?P<i>\d+)\]\.enableWhen\[(?P<j>\d+)\]\.answer\[x\]$"
)


def lift(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Items as validate.js lifts them: every non-group item, depth first."""
    out: list[dict[str, Any]] = []
    for item in items:
        if item["type"] != "group":
            out.append(item)
        out.extend(lift(item.get("item", [])))
    return out


def known_false_positive(resource: dict[str, Any], m: dict[str, Any]) -> bool:
    """FHIR.js 4.12 reports a required choice element as missing when its value is ``false``
    (validator.js tests ``!!obj[name]``), so every ``enableWhen`` with ``answerBoolean: false`` (as in
    "shown while A is unanswered": operator exists, answerBoolean false) is reported as lacking its
    answer[x]. Accept exactly that error, after checking that the condition really holds one answer,
    ``answerBoolean: false``; check_resource() checks the same invariant on every condition."""
    if m["severity"] != "error" or m["message"] != "Missing property":
        return False
    match = _ENABLE_WHEN_ANSWER.match(m["location"])
    if match is None or resource.get("resourceType") != "Questionnaire":
        return False
    items = lift(resource["item"]) if match["lifted"] else resource["item"]
    cond = items[int(match["i"])]["enableWhen"][int(match["j"])]
    return cond.get("answerBoolean") is False and sum(k.startswith("answer") for k in cond) == 1


def known_warning(m: dict[str, Any]) -> bool:
    """Warnings that are not faults: a code of our own code systems is not in an example value set
    (Observation.code and the like), and 'nb' (Norwegian Bokmål, valid BCP 47) is missing from R4's
    common-languages list, a preferred binding only."""
    if m["severity"] != "warning":
        return False
    if "not found in value set" in m["message"] and any(s in m["message"] for s in OWN_CODE_SYSTEMS):
        return True
    return bool(m["location"].endswith("language") and m["message"] == 'Code "nb" not found in value set')


def unexpected(report: dict[str, Any], resource: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        m
        for m in report["messages"]
        if m["severity"] in ("error", "warning") and not known_false_positive(resource, m) and not known_warning(m)
    ]


def write(tmp_path: Path, name: str, data: dict[str, Any]) -> Path:
    p = tmp_path / f"{name}.json"
    p.write_text(json.dumps(data), encoding="utf-8")
    return p


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
