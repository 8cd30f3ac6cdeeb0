"""The `trafficscreen fhir ...` commands, and `trafficscreen screen` reading a QuestionnaireResponse."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from cli_support import run_cli
from conftest import MINI_SET
from fhir_support import EXAMPLE_ENCOUNTERS, EXAMPLE_RESPONSE, default_screener, example
from trafficscreen.cli import main
from trafficscreen.content.loader import load_set
from trafficscreen.core.engine import Screener
from trafficscreen.fhir import check_bundle, encounter_from_questionnaire_response

run = run_cli


def out_json(capsys: pytest.CaptureFixture[str]) -> Any:
    return json.loads(capsys.readouterr().out)


def types(bundle: dict[str, Any]) -> list[str]:
    return [e["resource"]["resourceType"] for e in bundle["entry"]]


@pytest.mark.parametrize("version", ["R4B", "r5"])
def test_export_an_encounter(capsys: pytest.CaptureFixture[str], version: str) -> None:
    path = EXAMPLE_ENCOUNTERS[-1]
    assert (
        main(
            [
                "fhir",
                "export",
                str(path),
                "--fhir-version",
                version,
                "--patient",
                "Patient/p1",
                "--encounter",
                "Encounter/e1",
                "--issued",
                "2026-11-23T10:15:00Z",
                "--validate",
            ]
        )
        == 0
    )
    bundle = out_json(capsys)
    assert check_bundle(bundle, version.upper()) == []
    assert bundle["timestamp"] == "2026-11-23T10:15:00Z"
    assert "RiskAssessment" in types(bundle)
    level = default_screener().screen(example(path)).level.value
    summary = next(
        e["resource"]
        for e in bundle["entry"]
        if e["resource"].get("code", {}).get("coding", [{}])[0].get("code") == "screening-result"
        and e["resource"]["resourceType"] == "Observation"
    )
    assert summary["valueCodeableConcept"]["coding"][0]["code"] == level


def test_export_a_result(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["screen", str(EXAMPLE_ENCOUNTERS[0]), "--format", "json", "--lang", "pt"]) == 0
    result_file = tmp_path / "result.json"
    result_file.write_text(capsys.readouterr().out)
    assert main(["fhir", "export", str(result_file), "--transaction", "--patient", "Patient/p1"]) == 0
    bundle = out_json(capsys)
    assert bundle["type"] == "transaction" and check_bundle(bundle, "R4B") == []
    assert {e["resource"]["language"] for e in bundle["entry"]} == {"pt"}
    # a result already names its set and language
    assert main(["fhir", "export", str(result_file), "--set", str(MINI_SET)]) == 2
    assert "--set applies to an encounter" in capsys.readouterr().err
    assert main(["fhir", "export", str(result_file), "--lang", "nb"]) == 2
    assert "--lang applies to an encounter" in capsys.readouterr().err


def test_export_a_questionnaire_response(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fhir", "export", str(EXAMPLE_RESPONSE), "--patient", "Patient/p1", "--adolescent"]) == 0
    bundle = out_json(capsys)
    assert types(bundle)[0] == "QuestionnaireResponse"
    assert check_bundle(bundle, "R4B") == []
    codes = {c["code"] for e in bundle["entry"] for c in e["resource"]["meta"]["security"]}
    assert {"R", "SDV", "ADOL"} <= codes
    qr_url = bundle["entry"][0]["fullUrl"]
    assert all(
        e["resource"]["derivedFrom"] == [{"reference": qr_url}]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Observation"
    )


def test_issued_now_and_no_issued(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fhir", "export", str(EXAMPLE_ENCOUNTERS[0]), "--issued", "now"]) == 0
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", out_json(capsys)["timestamp"])
    assert main(["fhir", "export", str(EXAMPLE_ENCOUNTERS[0])]) == 0
    first = capsys.readouterr().out
    assert "timestamp" not in json.loads(first)
    assert main(["fhir", "export", str(EXAMPLE_ENCOUNTERS[0])]) == 0
    assert capsys.readouterr().out == first  # same input, same output


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--transaction"], "a transaction Bundle needs a patient"),
        (["--patient", "Joana Ferreira"], "patient: expected a reference like Patient/<id>"),
        (["--issued", "yesterday"], "issued: expected a date-time like"),
        (["--fhir-version", "R4"], "invalid choice"),
    ],
)
def test_export_bad_arguments_one_line_exit_2(args: list[str], fragment: str) -> None:
    proc = run(["fhir", "export", str(EXAMPLE_ENCOUNTERS[0]), *args])
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert fragment in lines[-1]
    assert "Traceback" not in proc.stderr and "Joana" not in proc.stderr
    if "invalid choice" not in fragment:
        assert len(lines) == 1


def test_questionnaire_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["fhir", "questionnaire", "--set", str(MINI_SET), "--fhir-version", "R5", "--lang", "pt", "--validate"])
        == 0
    )
    q = out_json(capsys)
    assert q["resourceType"] == "Questionnaire" and q["language"] == "pt"
    assert q["url"] == "urn:trafficscreen:Questionnaire:mini"
    assert main(["fhir", "questionnaire", "--no-enable-when"]) == 0
    assert "enableWhen" not in capsys.readouterr().out
    assert main(["fhir", "questionnaire", "--lang", "de"]) == 2


def test_screen_reads_a_questionnaire_response(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["screen", str(EXAMPLE_RESPONSE), "--format", "json"]) == 0
    via_cli = out_json(capsys)
    qr = json.loads(EXAMPLE_RESPONSE.read_text(encoding="utf-8"))
    set_id, version = qr["questionnaire"].rsplit("/", 1)[1].split("|")
    direct = Screener(load_set(f"{set_id}@{version}")).screen(encounter_from_questionnaire_response(qr))
    assert via_cli == json.loads(direct.model_dump_json())
    assert (via_cli["set"]["id"], via_cli["set"]["version"]) == (set_id, version)  # from the questionnaire
    # the example holds the answers of examples/encounters/labour-refer.json
    assert via_cli["level"] == direct.level.value == "refer"


def test_screen_refuses_other_fhir_and_other_sets(tmp_path: Path) -> None:
    patient = tmp_path / "patient.json"
    patient.write_text(json.dumps({"resourceType": "Patient", "name": [{"text": "Joana Ferreira"}]}))
    proc = run(["screen", str(patient)])
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"trafficscreen: error: {patient}: a FHIR Patient resource; expected an encounter or a QuestionnaireResponse"
    )
    proc = run(["screen", str(EXAMPLE_RESPONSE), "--set", str(MINI_SET)])
    assert proc.returncode == 2
    assert "is a response to another questionnaire" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_screen_still_reads_encounters(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["screen", str(EXAMPLE_ENCOUNTERS[0]), "--format", "json"]) == 0
    assert out_json(capsys)["encounter_id"] == example(EXAMPLE_ENCOUNTERS[0])["id"]
