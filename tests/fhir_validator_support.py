"""Driving FHIR.js (the npm package `fhir`, installed under tools/fhir-validator by
scripts/setup.d/40-fhir-validator.sh) from the tests, and the messages that are not faults. Used by
tests/fhir/test_fhir_validator.py, tests/fhir/test_fhir_adaptive.py and tests/cql/test_cql_package.py."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from paths import ROOT

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
