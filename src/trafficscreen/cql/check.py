"""Invariant checks of a knowledge package, beyond what a structural validator looks at.

An R4 validator checks each resource's shape; these checks look across resources, as
:func:`trafficscreen.fhir.check.check_bundle` does for result Bundles: every canonical reference inside the
package resolves to a resource in it, every code the Questionnaire and the ValueSets use is defined by a
CodeSystem in it, the Library's CQL and ELM decode and name the same library, every PlanDefinition
condition names a definition of the ELM, and every test case speaks the Library's parameters.

Problems name the file and the rule, never an answer value.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..fhir.check import PUBLICATION_STATUS, check_resource

_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_NAME = re.compile(r"^[A-Z]([A-Za-z0-9_]){0,254}$")
CODE_SYSTEM_CONTENT = frozenset({"not-present", "example", "fragment", "complete", "supplement"})
RELATED_ARTIFACT_TYPES = frozenset(
    {
        "documentation",
        "justification",
        "citation",
        "predecessor",
        "successor",
        "derived-from",
        "depends-on",
        "composed-of",
    }
)
ACTION_CONDITION_KINDS = frozenset({"applicability", "start", "stop"})


def read_package(folder: str | Path) -> dict[str, Any]:
    """Every JSON file under a ``package/`` folder, by path relative to it."""
    root = Path(folder)
    return {
        p.relative_to(root).as_posix(): json.loads(p.read_text(encoding="utf-8")) for p in sorted(root.rglob("*.json"))
    }


def _decode(data: Any) -> str | None:
    if not isinstance(data, str):
        return None
    try:
        return base64.b64decode(data, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None


def _canonical(ref: Any) -> tuple[str, str | None]:
    text = str(ref)
    url, _, version = text.partition("|")
    return url, version or None


def _items(items: Any) -> Iterator[Mapping[str, Any]]:
    for item in items if isinstance(items, list) else ():
        if isinstance(item, Mapping):
            yield item
            yield from _items(item.get("item"))


def check_package(files: Mapping[str, Any]) -> list[str]:
    """Problems (empty when none) of a package given as ``{path inside package/: JSON}``."""
    manifest = files.get("package.json")
    if not isinstance(manifest, Mapping):
        return ["package.json: missing"]
    problems = _check_manifest(manifest)
    resources = {
        path: r for path, r in files.items() if "/" not in path and path not in ("package.json", ".index.json")
    }
    tests = {path: r for path, r in files.items() if path.startswith("tests/")}
    package = _Package(resources, _index_canonicals(resources, problems), problems)
    _check_index(files.get(".index.json"), resources, problems)
    package.read_libraries()
    package.read_code_systems()
    for path, r in resources.items():
        rtype = r.get("resourceType")
        check = _RESOURCE_CHECKS.get(rtype) if isinstance(rtype, str) else None
        if check is not None:
            check(package, path, r)
    ins, outs = package.library_parameters()
    for path, bundle in tests.items():
        _check_test_case(path, bundle, ins, outs, problems)
    return problems


def _check_manifest(manifest: Mapping[str, Any]) -> list[str]:
    problems = [f"package.json: {key} is required" for key in _MANIFEST_KEYS if key not in manifest]
    if manifest.get("fhirVersions") != ["4.0.1"]:
        problems.append("package.json: fhirVersions must be ['4.0.1']")
    return problems


_MANIFEST_KEYS = ("name", "version", "fhirVersions", "dependencies")

Canonicals = dict[tuple[str, str | None], Mapping[str, Any]]
"""Each resource by ``(url, version)``, and the first of each url by ``(url, None)``."""


def _index_canonicals(resources: Mapping[str, Any], problems: list[str]) -> Canonicals:
    """Checks what every resource of the package needs (type, id, file name, status, name, canonical)."""
    canonicals: Canonicals = {}
    for path, r in resources.items():
        if not isinstance(r, Mapping) or not isinstance(r.get("resourceType"), str):
            problems.append(f"{path}: not a resource")
            continue
        _check_identity(path, r, problems)
        _register_canonical(path, r, canonicals, problems)
    return canonicals


def _check_identity(path: str, r: Mapping[str, Any], problems: list[str]) -> None:
    rid = r.get("id")
    if not isinstance(rid, str) or not _ID.match(rid):
        problems.append(f"{path}: id is not a FHIR id")
    elif path != f"{r['resourceType']}-{rid}.json":
        problems.append(f"{path}: the file name must be <resourceType>-<id>.json")
    if r.get("status") not in PUBLICATION_STATUS:
        problems.append(f"{path}: status is not a PublicationStatus code")
    if not isinstance(r.get("name"), str) or not _NAME.match(r["name"]):
        problems.append(f"{path}: name must be computer-friendly (cnl-0)")


def _register_canonical(path: str, r: Mapping[str, Any], canonicals: Canonicals, problems: list[str]) -> None:
    if not isinstance(r.get("url"), str) or not isinstance(r.get("version"), str):
        problems.append(f"{path}: url and version are required")
        return
    canonical = (r["url"], r["version"])
    if canonical in canonicals:
        problems.append(f"{path}: a second resource with the same url and version")
    canonicals[canonical] = r
    canonicals.setdefault((r["url"], None), r)


def _check_index(index: Any, resources: Mapping[str, Any], problems: list[str]) -> None:
    listed = {e.get("filename") for e in (index or {}).get("files", []) if isinstance(e, Mapping)}
    if listed != set(resources):
        problems.append(".index.json: must list exactly the resources in package/")


@dataclass
class _Package:
    """What the cross-resource checks look up, and the problems they find."""

    resources: Mapping[str, Any]
    canonicals: Canonicals
    problems: list[str]
    libraries: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Path of each Library -> what its ELM defines (see :func:`_check_library`)."""
    code_systems: dict[tuple[Any, Any], Any] = field(default_factory=dict)
    codes: dict[str, set[str]] = field(default_factory=dict)
    """Url of each CodeSystem -> the codes it defines."""

    def read_libraries(self) -> None:
        for path, r in self.resources.items():
            if r.get("resourceType") == "Library":
                self.libraries[path] = _check_library(path, r, self.problems)

    def read_code_systems(self) -> None:
        self.code_systems = {
            (r["url"], r.get("version")): r
            for r in self.resources.values()
            if isinstance(r, Mapping) and r.get("resourceType") == "CodeSystem" and "url" in r
        }
        for path, r in self.resources.items():
            if r.get("resourceType") == "CodeSystem":
                self.codes[r["url"]] = _check_code_system(path, r, self.problems)

    def resolve(self, ref: Any, rtype: str, where: str) -> Mapping[str, Any] | None:
        found = self.canonicals.get(_canonical(ref))
        if found is None or found.get("resourceType") != rtype:
            self.problems.append(f"{where}: names a {rtype} that is not in the package")
            return None
        return found

    def definitions(self, library: Mapping[str, Any]) -> dict[str, Any]:
        """What the ELM of a Library of the package defines."""
        return next((v for p, v in self.libraries.items() if self.resources[p] is library), {})

    def library_parameters(self) -> tuple[set[str], set[str]]:
        """The names of the in- and out-parameters of the package's Libraries."""
        ins: set[str] = set()
        outs: set[str] = set()
        for path in self.libraries:
            for p in self.resources[path].get("parameter") or ():
                (ins if p.get("use") == "in" else outs).add(str(p.get("name")))
        return ins, outs


def _check_plan_definition(package: _Package, path: str, r: Mapping[str, Any]) -> None:
    for k, ref in enumerate(r.get("library") or ()):
        lib = package.resolve(ref, "Library", f"{path}: library[{k}]")
        if lib is not None:
            _check_action_conditions(path, r, package.definitions(lib), package.problems)
    for k, art in enumerate(r.get("relatedArtifact") or ()):
        _check_related_artifact(f"{path}: relatedArtifact[{k}]", art, package)


def _check_action_conditions(path: str, r: Mapping[str, Any], defs: Mapping[str, Any], problems: list[str]) -> None:
    for a, action in enumerate(r.get("action") or ()):
        for c, cond in enumerate(action.get("condition") or ()):
            here = f"{path}: action[{a}].condition[{c}]"
            if cond.get("kind") not in ACTION_CONDITION_KINDS:
                problems.append(f"{here}.kind: not an ActionConditionKind code")
            expr = (cond.get("expression") or {}).get("expression")
            if defs.get("statements", {}).get(expr) != "Boolean":
                problems.append(f"{here}: names no yes/no definition of the library")


def _check_related_artifact(here: str, art: Mapping[str, Any], package: _Package) -> None:
    if art.get("type") not in RELATED_ARTIFACT_TYPES:
        package.problems.append(f"{here}.type is not a RelatedArtifactType code")
    if art.get("type") == "depends-on" and "resource" in art:
        url, _v = _canonical(art["resource"])
        if (url, None) not in package.canonicals:
            package.problems.append(f"{here} depends on a resource not in the package")


def _check_value_set(package: _Package, path: str, r: Mapping[str, Any]) -> None:
    for k, inc in enumerate((r.get("compose") or {}).get("include") or ()):
        _check_include(package, f"{path}: include[{k}]", inc)


def _check_include(package: _Package, here: str, inc: Mapping[str, Any]) -> None:
    system = inc.get("system")
    if system not in package.codes:
        package.problems.append(f"{here} names a code system not in the package")
        return
    if inc.get("version") is not None and (system, inc["version"]) not in package.code_systems:
        package.problems.append(f"{here} names a version of the code system not in the package")
    for concept in inc.get("concept") or ():
        if concept.get("code") not in package.codes[system]:
            package.problems.append(f"{here} names a code its code system does not define")


def _check_questionnaire(package: _Package, path: str, r: Mapping[str, Any]) -> None:
    package.problems.extend(check_resource(r, "R4B", path, labels=False))
    for item in _items(r.get("item")):
        codings = [*(item.get("code") or ()), *(o.get("valueCoding") for o in item.get("answerOption") or ())]
        for coding in codings:
            if not isinstance(coding, Mapping) or "system" not in coding:
                continue
            if coding["system"] not in package.codes or coding.get("code") not in package.codes[coding["system"]]:
                package.problems.append(f"{path}: item {item.get('linkId')} uses a code no code system here defines")


_RESOURCE_CHECKS: dict[str, Callable[[_Package, str, Mapping[str, Any]], None]] = {
    "PlanDefinition": _check_plan_definition,
    "ValueSet": _check_value_set,
    "Questionnaire": _check_questionnaire,
}
"""The cross-resource checks of each resource type (run after every Library and CodeSystem is read)."""


def _check_library(path: str, r: Mapping[str, Any], problems: list[str]) -> dict[str, Any]:
    """Checks of one Library; returns what its ELM defines (``statements``: name -> type name)."""
    coding = ((r.get("type") or {}).get("coding") or [{}])[0]
    if coding.get("code") != "logic-library":
        problems.append(f"{path}: type must be logic-library")
    content = {c.get("contentType"): _decode(c.get("data")) for c in r.get("content") or ()}
    cql, elm_text = content.get("text/cql"), content.get("application/elm+json")
    if cql is None or elm_text is None:
        problems.append(f"{path}: content needs base64 text/cql and application/elm+json")
        return {}
    try:
        elm = json.loads(elm_text)["library"]
    except (ValueError, KeyError, TypeError):
        problems.append(f"{path}: the ELM content is not an ELM library")
        return {}
    ident = elm.get("identifier") or {}
    if ident.get("id") != r.get("name") or ident.get("version") != r.get("version"):
        problems.append(f"{path}: the ELM names another library or version")
    if not cql.startswith(f"library {r.get('name')} version '{r.get('version')}'"):
        problems.append(f"{path}: the CQL names another library or version")
    statements = {
        d["name"]: str(d.get("resultTypeName", "")).rsplit("}", 1)[-1] for d in elm.get("statements", {}).get("def", [])
    }
    parameters = {d["name"] for d in elm.get("parameters", {}).get("def", [])}
    for p in r.get("parameter") or ():
        name = p.get("name")
        if p.get("use") == "in" and name not in parameters:
            problems.append(f"{path}: in-parameter {name} is not a parameter of the ELM")
        if p.get("use") == "out" and name not in statements:
            problems.append(f"{path}: out-parameter {name} is not a definition of the ELM")
        if f'define "{name}":' not in cql and f'parameter "{name}"' not in cql:
            problems.append(f"{path}: parameter {name} is not in the CQL")
    return {"statements": statements, "parameters": parameters}


def _check_code_system(path: str, r: Mapping[str, Any], problems: list[str]) -> set[str]:
    if r.get("content") not in CODE_SYSTEM_CONTENT:
        problems.append(f"{path}: content is not a CodeSystemContentMode code")
    concepts = r.get("concept") or []
    found = [str(c.get("code")) for c in concepts]
    if len(set(found)) != len(found):
        problems.append(f"{path}: codes must be unique")
    if "count" in r and r["count"] != len(found) and r.get("content") == "complete":
        problems.append(f"{path}: count must be the number of concepts")
    declared = {p.get("code") for p in r.get("property") or ()}
    for c in concepts:
        for prop in c.get("property") or ():
            if prop.get("code") not in declared:
                problems.append(f"{path}: concept {c.get('code')} has a property the code system does not declare")
    return set(found)


def _check_test_case(path: str, bundle: Any, ins: set[str], outs: set[str], problems: list[str]) -> None:
    if not isinstance(bundle, Mapping) or bundle.get("resourceType") != "Bundle":
        problems.append(f"{path}: a test case is a Bundle")
        return
    if bundle.get("type") != "collection":
        problems.append(f"{path}: a test case Bundle is a collection")
    entries = bundle.get("entry") or []
    urls = [e.get("fullUrl") for e in entries]
    if len(set(urls)) != len(urls) or None in urls:
        problems.append(f"{path}: every entry needs its own fullUrl")
    params = [e.get("resource") or {} for e in entries]
    if len(params) != 2 or any(p.get("resourceType") != "Parameters" for p in params):
        problems.append(f"{path}: a test case holds two Parameters (inputs, expected outputs)")
        return
    given, expected = params
    if not {p.get("name") for p in given.get("parameter") or ()} <= ins:
        problems.append(f"{path}: an input is not an in-parameter of the library")
    if {p.get("name") for p in expected.get("parameter") or ()} - outs:
        problems.append(f"{path}: an expected output is not an out-parameter of the library")
