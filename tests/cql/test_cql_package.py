"""The FHIR knowledge package of a set: its layout, its cross-resource invariants (check_package), the
command that writes it, and every resource of every shipped set's package checked by the independent R4
validator (FHIR.js, under tools/fhir-validator)."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest

from fhir_validator_support import known_false_positive, known_warning
from paths import ROOT
from trafficscreen.cli import main
from trafficscreen.content.loader import load_set, shipped_sets
from trafficscreen.cql import cql_text, elm_library
from trafficscreen.cql.check import check_package, read_package
from trafficscreen.cql.package import (
    PackageError,
    build_package,
    indicator_example_cases,
    vignette_cases,
    write_package,
)
from trafficscreen.fhir.questionnaire import questionnaire_fields
from trafficscreen.model.dictionary import FieldType

VIGNETTES = ROOT / "tests" / "vignettes"
VALIDATOR = ROOT / "tools" / "fhir-validator"
SETS = [f"{s}@{v}" for s, v, _ in shipped_sets()]


def by_type(files: dict[str, Any], rtype: str) -> list[dict[str, Any]]:
    return [r for p, r in files.items() if "/" not in p and isinstance(r, dict) and r.get("resourceType") == rtype]


def test_the_default_set_package_has_every_part(tmp_path: Path) -> None:
    cs = load_set("paediatric-default")
    vignettes = vignette_cases(cs, VIGNETTES)
    assert vignettes
    archive = write_package(cs, tmp_path, tgz=True, cases=vignettes)
    files = read_package(tmp_path / "package")
    files[".index.json"] = json.loads((tmp_path / "package" / ".index.json").read_text(encoding="utf-8"))
    assert check_package(files) == []

    manifest = files["package.json"]
    assert manifest["name"] == "trafficscreen.paediatric-default"
    assert manifest["version"] == cs.version
    assert manifest["fhirVersions"] == ["4.0.1"]

    (plan,) = by_type(files, "PlanDefinition")
    (library,) = by_type(files, "Library")
    (q,) = by_type(files, "Questionnaire")
    assert q["url"].endswith("/Questionnaire/paediatric-default") and q["version"] == cs.version
    assert plan["url"] == cs.definition.canonical_url and plan["version"] == cs.version
    assert [a["id"] for a in plan["action"]] == [lv.id for lv in cs.definition.levels]
    assert plan["library"] == [f"{library['url']}|{library['version']}"]
    citations = [a for a in plan["relatedArtifact"] if a["type"] == "citation"]
    assert [c["label"] for c in citations] == [s.id for s in cs.definition.sources]

    content = {c["contentType"]: base64.b64decode(c["data"]).decode() for c in library["content"]}
    assert content["text/cql"] == cql_text(cs)
    assert json.loads(content["application/elm+json"]) == elm_library(cs)

    systems = {r["url"] for r in by_type(files, "CodeSystem")}
    assert {"indicators", "dimensions", "levels"} <= {u.rsplit("-", 1)[-1] for u in systems}
    choice = [f for f in questionnaire_fields(cs) if cs.dictionary.by_id[f].type in (FieldType.ENUM, FieldType.SET)]
    assert len(by_type(files, "ValueSet")) == len(choice) > 0

    tests = [r for p, r in files.items() if p.startswith("tests/")]
    assert len(tests) == len(indicator_example_cases(cs)) + len(vignettes)
    names = {t["identifier"]["value"].split(":", 1)[1] for t in tests}
    assert {f"vignette:{v.name.split(':', 1)[1]}" for v in vignettes} <= names

    # the archive holds the same files under package/
    with tarfile.open(archive) as tar:
        # extractfile gives None only for what is not a regular file, and isfile() keeps those out
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]
    assert set(members) == {f"package/{p}" for p in files}
    assert json.loads(members["package/package.json"]) == manifest


def test_the_same_set_writes_the_same_archive_bytes(tmp_path: Path) -> None:
    """A package can be checked by its hash: nothing in the archive depends on when it was written."""
    cs = load_set("ilo-child-labour")
    first = write_package(cs, tmp_path / "a", tgz=True).read_bytes()
    second = write_package(cs, tmp_path / "b", tgz=True).read_bytes()
    assert first == second
    assert first[4:8] == bytes(4)  # gzip's MTIME field: no time of writing (RFC 1952, section 2.3.1)


@pytest.mark.parametrize("ref", SETS)
def test_every_shipped_set_packages_without_problems(ref: str) -> None:
    cs = load_set(ref, allow_draft=True)
    pkg = build_package(cs, vignette_cases(cs, VIGNETTES))
    assert check_package(pkg.files) == []


def test_check_package_finds_what_it_should() -> None:
    """A control: broken packages give problems."""
    cs = load_set("paediatric-default")
    good = build_package(cs).files

    def broken(change: Any) -> list[str]:
        files = json.loads(json.dumps(good))
        change(files)
        return check_package(files)

    plan = next(p for p, r in good.items() if r.get("resourceType") == "PlanDefinition")
    lib = next(p for p, r in good.items() if r.get("resourceType") == "Library")
    vs = next(p for p, r in good.items() if r.get("resourceType") == "ValueSet")
    test = next(p for p in good if p.startswith("tests/"))

    def wrong_condition(f: dict[str, Any]) -> None:
        f[plan]["action"][0]["condition"][0]["expression"]["expression"] = "level.nowhere.certain"

    def wrong_library(f: dict[str, Any]) -> None:
        f[plan]["library"] = ["https://example.org/Library/other|1"]

    def bad_elm(f: dict[str, Any]) -> None:
        f[lib]["content"][1]["data"] = base64.b64encode(b"{}").decode()

    def stray_code(f: dict[str, Any]) -> None:
        f[vs]["compose"]["include"].append({"system": "https://example.org/nowhere"})

    def stray_input(f: dict[str, Any]) -> None:
        f[test]["entry"][0]["resource"]["parameter"].append({"name": "no_such_field", "valueBoolean": True})

    for change in (wrong_condition, wrong_library, bad_elm, stray_code, stray_input):
        assert broken(change) != [], change.__name__


def test_test_cases_carry_inputs_as_parameters_and_the_engine_s_outputs() -> None:
    cs = load_set("paediatric-default")
    files = build_package(cs).files
    ind = cs.definition.indicators[0]
    case = next(
        r for p, r in files.items() if p.startswith("tests/") and r["identifier"]["value"].endswith(f"{ind.id}:met:1")
    )
    given, expected = (e["resource"] for e in case["entry"])
    assert given["resourceType"] == expected["resourceType"] == "Parameters"
    out = {p["name"]: next(v for k, v in p.items() if k.startswith("value")) for p in expected["parameter"]}
    assert out[f"indicator.{ind.id}"] == "met"
    # a known empty set of choices is the 'none of these' code, never a missing parameter
    empty = next(r for p, r in files.items() if p.startswith("tests/") and '"broken_promises"' in json.dumps(r))
    assert empty  # the default set reads broken_promises
    cases = [r for p, r in files.items() if p.startswith("tests/")]
    codes = [
        p["valueString"]
        for c in cases
        for p in c["entry"][0]["resource"]["parameter"]
        if p["name"] == "broken_promises" and "valueString" in p
    ]
    assert "none-of-these" in codes


def test_the_command_writes_a_package_and_refuses_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["fhir", "package", "paediatric-default", "--out", str(out), "--tgz"]) == 0
    assert (out / "package" / "package.json").is_file()
    assert list(out.glob("*.tgz"))
    capsys.readouterr()
    # a second run into the same folder is refused, not mixed with the first
    assert main(["fhir", "package", "paediatric-default", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "already holds files" in err
    assert main(["fhir", "package", "no-such-set", "--out", str(tmp_path / "x")]) == 2
    assert main(["fhir", "package", "qyit", "--out", str(tmp_path / "y")]) == 2  # a draft needs --allow-draft
    assert main(["fhir", "package", "qyit", "--allow-draft", "--out", str(tmp_path / "y")]) == 0
    assert (
        main(
            [
                "fhir",
                "package",
                "sscst@0.1.0",
                "--allow-draft",
                "--out",
                str(tmp_path / "z"),
                "--vignettes",
                str(tmp_path / "none"),
            ]
        )
        == 2
    )
    with pytest.raises(PackageError):
        write_package(load_set("paediatric-default"), out)


# --- the independent R4 validator -----------------------------------------------------------------------


def fhir_js(files: list[Path], report: Path) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None or not (VALIDATOR / "node_modules" / "fhir" / "package.json").is_file():
        pytest.fail("FHIR.js is not installed; run `bash scripts/setup.d/40-fhir-validator.sh` (make test does)")
    with report.open("w", encoding="utf-8") as out:  # a file, not a pipe: long reports arrive whole
        proc = subprocess.run(
            [node, str(VALIDATOR / "validate.js"), *map(str, files)], stdout=out, stderr=subprocess.PIPE, check=False
        )
    assert proc.returncode in (0, 1), proc.stderr
    return [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]


def acceptable(resource: dict[str, Any], m: dict[str, Any]) -> bool:
    """Known findings that are not faults: FHIR.js's false positive on ``answerBoolean: false`` and the
    warnings test_fhir_validator accepts; and 'text/cql-identifier' (the CPG code for naming a CQL
    definition, which later FHIR versions add) missing from R4's extensible expression-language list."""
    if m["severity"] not in ("error", "warning"):
        return True
    if known_false_positive(resource, m) or known_warning(m):
        return True
    return bool(m["severity"] == "warning" and m["message"] == 'Code "text/cql-identifier" not found in value set')


@pytest.mark.fhir_validator
def test_every_resource_of_every_package_is_valid_r4_for_fhir_js(tmp_path: Path) -> None:
    paths: list[Path] = []
    for ref in SETS:
        cs = load_set(ref, allow_draft=True)
        folder = write_package(cs, tmp_path / ref, cases=vignette_cases(cs, VIGNETTES))
        paths += sorted(p for p in folder.rglob("*.json") if p.name not in ("package.json", ".index.json"))
    reports = fhir_js(paths, tmp_path / "report.jsonl")
    assert [r["file"] for r in reports] == [str(p) for p in paths]
    seen: set[str] = set()
    for report, path in zip(reports, paths, strict=True):
        resource = json.loads(path.read_text(encoding="utf-8"))
        seen.add(resource["resourceType"])
        bad = [m for m in report["messages"] if not acceptable(resource, m)]
        assert bad == [], f"{path.relative_to(tmp_path)}: {bad[:3]}"
    assert seen == {"PlanDefinition", "Library", "Questionnaire", "CodeSystem", "ValueSet", "Bundle"}


@pytest.mark.fhir_validator
def test_fhir_js_rejects_a_broken_package_resource(tmp_path: Path) -> None:
    """A control: FHIR.js finds faults in these resource types, so a pass above means something."""
    files = build_package(load_set("paediatric-default")).files
    plan = dict(next(r for r in files.values() if r.get("resourceType") == "PlanDefinition"))
    plan["status"] = "banana"
    lib = dict(next(r for r in files.values() if r.get("resourceType") == "Library"))
    del lib["type"]
    cs_ = dict(next(r for r in files.values() if r.get("resourceType") == "CodeSystem"))
    cs_["content"] = "everything"
    written = []
    for name, r in (("plan", plan), ("lib", lib), ("cs", cs_)):
        p = tmp_path / f"{name}.json"
        p.write_text(json.dumps(r), encoding="utf-8")
        written.append(p)
    reports = fhir_js(written, tmp_path / "report.jsonl")
    assert [r["valid"] for r in reports] == [False, False, False]
