"""A set as an R4 FHIR knowledge package (the layout FHIR package tools read: ``package/package.json``
and one JSON file per resource), as a folder and, on request, as a ``.tgz``.

What it holds:

* ``PlanDefinition``: the set's canonical URL, version and status; one action per level, applicable when
  the Library's ``level.<id>.certain`` holds; the set's sources as citations;
* ``Library``: the CQL text and its ELM JSON (base64), generated from the condition trees (see
  :mod:`.lowering`); its parameters are the questions (in) and the statuses and levels (out);
* ``CodeSystem``: the dictionary's field ids; each enum/set field's answer codes; the set's indicators,
  dimensions and levels; the engine-wide level scale; and a fragment of the engine's own codes (the
  'none of these' answer);
* ``ValueSet``: one per enum/set field the Questionnaire asks (its answer codes, and 'none of these' for a
  set of choices);
* the set's ``Questionnaire`` (R4; the R4B JSON written for these resources is also valid R4);
* test cases under ``package/tests/``: one ``Bundle`` (type ``collection``) per indicator example and per
  vignette given, holding a ``Parameters`` resource with the inputs (exactly what ``Library/$evaluate``
  takes) and a ``Parameters`` resource with the expected outputs, computed by the reference engine.

Nothing in the package is about a patient: it carries no security labels. The results an engine computes
from it are about a patient and must be labelled as the library's own results are (see docs/fhir.md).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import re
import tarfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from .._version import __version__
from ..errors import PackageError, TrafficscreenError
from ..fhir._common import NONE_OF_THESE, TS_CODES, TS_LEVEL, set_urls
from ..model.common import LEVELS_IN_ORDER
from ..model.dictionary import FieldType
from .elm import elm_library
from .lowering import CERTAIN, HIGHEST_POSSIBLE, LEVEL_REACHED, POSSIBLE, expected_outputs, level_name
from .text import cql_library, cql_text

if TYPE_CHECKING:
    from ..core.compiled import CompiledSet

FHIR_VERSION = "4.0.1"
LIBRARY_TYPE = "http://terminology.hl7.org/CodeSystem/library-type"
PLAN_DEFINITION_TYPE = "http://terminology.hl7.org/CodeSystem/plan-definition-type"
CQL_IDENTIFIER = "text/cql-identifier"
TEST_CASE_SYSTEM = "https://trafficscreen.org/fhir/test-case"
"""System of the identifier naming what a test case comes from (``example:<indicator>:<kind>:<n>`` or
``vignette:<id>``)."""

_STATUS = {"active": "active", "draft": "draft", "retired": "retired"}
_FHIR_TYPES = {
    FieldType.BOOLEAN: ("boolean", "valueBoolean"),
    FieldType.INTEGER: ("integer", "valueInteger"),
    FieldType.NUMBER: ("decimal", "valueDecimal"),
    FieldType.ENUM: ("string", "valueString"),
    FieldType.SET: ("string", "valueString"),
    FieldType.DATE: ("date", "valueDate"),
}
_OUT_TYPES = {
    "Boolean": ("boolean", "valueBoolean"),
    "Integer": ("integer", "valueInteger"),
    "String": ("string", "valueString"),
}


@dataclass(frozen=True)
class TestCase:
    """Inputs (encounter-style answers) with a name saying where they come from."""

    __test__: ClassVar[bool] = False  # not a pytest test class
    name: str
    title: str
    answers: Mapping[str, Any]


def _id(text: str) -> str:
    """A FHIR id (``[A-Za-z0-9\\-.]{1,64}``) for ``text``: kept when it fits, else shortened with a hash."""
    clean = re.sub(r"[^A-Za-z0-9\-.]", "-", text)
    if len(clean) <= 64:
        return clean
    digest = hashlib.sha256(text.encode()).hexdigest()[:10]
    return f"{clean[:53]}-{digest}"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def indicator_example_cases(cs: CompiledSet) -> list[TestCase]:
    """One test case per example answer set of every indicator, in set order."""
    out: list[TestCase] = []
    for ind in cs.definition.indicators:
        for kind in ("met", "not_met", "unknown"):
            for n, answers in enumerate(getattr(ind.examples, kind), 1):
                out.append(
                    TestCase(
                        f"example:{ind.id}:{kind}:{n}",
                        f"Example {n} of indicator {ind.id} ({kind.replace('_', ' ')})",
                        answers,
                    )
                )
    return out


def vignette_cases(cs: CompiledSet, folder: Path) -> list[TestCase]:
    """Test cases from the vignette files (YAML, as under tests/vignettes) in ``folder`` written for
    this set and version."""
    from ..content.yamlsource import read_yaml

    out: list[TestCase] = []
    for path in sorted(folder.glob("*.yaml")):
        data, _ = read_yaml(path)
        if not isinstance(data, dict) or data.get("set") not in (cs.ref, f"{cs.id}@{cs.version}"):
            continue
        enc = data.get("encounter")
        if not isinstance(enc, dict) or not isinstance(enc.get("answers"), dict):
            raise PackageError(f"{path.name}: a vignette needs encounter.answers")
        out.append(TestCase(f"vignette:{data.get('id', path.stem)}", str(data.get("title", path.stem)), enc["answers"]))
    return out


class _Builder:
    def __init__(self, cs: CompiledSet) -> None:
        self.cs = cs
        d = cs.definition
        self.d = d
        self.urls = set_urls(d.id, d.canonical_url)
        self.dictionary = cs.dictionary
        self.status = _STATUS.get(str(getattr(d.status, "value", d.status)), "draft")
        self.date = next((c.date.isoformat() for c in d.changelog if c.version == d.version), None)
        self.ref_id = _id(f"{d.id}-{d.version}")
        self.library_url = self.urls.url("Library", d.id)
        self.levels_url = self.urls.url("CodeSystem", f"{d.id}-levels")
        self.lib = cql_library(cs)

    def _header(self, rtype: str, rid: str, url: str, version: str, name: str, title: str) -> dict[str, Any]:
        r: dict[str, Any] = {"resourceType": rtype, "id": _id(rid), "url": url, "version": version}
        r["name"] = name
        r["title"] = title
        r["status"] = self.status
        r["experimental"] = self.status == "draft"
        if self.date:
            r["date"] = self.date
        r["publisher"] = "trafficscreen"
        return r

    # --- the logic ------------------------------------------------------------------------------------
    def library(self) -> dict[str, Any]:
        cs, d = self.cs, self.d
        lib = self.lib
        text = cql_text(cs)
        elm = json.dumps(elm_library(cs), separators=(",", ":"))
        r = self._header("Library", self.ref_id, self.library_url, d.version, lib.name, f"{d.title.en}: decision logic")
        r["type"] = {"coding": [{"system": LIBRARY_TYPE, "code": "logic-library"}]}
        r["description"] = (
            f"The rules of the indicator set {d.id}@{d.version} (sha256 {cs.sha256}) in CQL, generated by "
            f"trafficscreen {__version__} from the set's condition trees, with its ELM. Inputs are the answers "
            "to the set's Questionnaire, one parameter per question (linkId = parameter name; null = not "
            "answered; for a set of choices, the codes chosen, or 'none-of-these'). Every yes/no definition "
            "comes in two worlds that are never null: '.certain' (true however the unanswered questions turn "
            "out) and '.possible' (true for at least one way they could). This is screening logic: it supports, "
            "never replaces, clinical judgement, and its results about a patient are restricted, sensitive data."
        )
        params: list[dict[str, Any]] = []
        for name, _typ in lib.parameters:
            fd = self.dictionary.by_id[name]
            ftype = _FHIR_TYPES[fd.type][0]
            params.append(
                {"name": name, "use": "in", "min": 0, "max": "*" if fd.type is FieldType.SET else "1", "type": ftype}
            )
        types = {st.name: st.type for st in lib.statements}
        level_ids = [lv.id for lv in d.levels]
        outs = [*lib.outputs, *(level_name(i, w) for i in level_ids for w in (CERTAIN, POSSIBLE))]
        outs += [f"red_flag.{CERTAIN}", f"red_flag.{POSSIBLE}"]
        for name in outs:
            params.append({"name": name, "use": "out", "min": 1, "max": "1", "type": _OUT_TYPES[types[name]][0]})
        r["parameter"] = params
        r["content"] = [
            {"contentType": "text/cql", "data": _b64(text)},
            {"contentType": "application/elm+json", "data": _b64(elm)},
        ]
        return r

    def plan_definition(self) -> dict[str, Any]:
        d = self.d
        r = self._header("PlanDefinition", self.ref_id, self.urls.canonical, d.version, lib_name(d.id), d.title.en)
        r["type"] = {"coding": [{"system": PLAN_DEFINITION_TYPE, "code": "eca-rule"}]}
        r["description"] = d.description.en
        related: list[dict[str, Any]] = []
        for s in d.sources:
            cite: dict[str, Any] = {"type": "citation", "label": s.id, "citation": s.citation}
            if s.url:
                cite["url"] = s.url
            related.append(cite)
        related.append({"type": "depends-on", "resource": f"{self.library_url}|{d.version}"})
        related.append({"type": "depends-on", "resource": f"{self.urls.questionnaire}|{d.version}"})
        r["relatedArtifact"] = related
        r["library"] = [f"{self.library_url}|{d.version}"]
        actions = []
        for lv in d.levels:
            actions.append(
                {
                    "id": lv.id,
                    "title": lv.title.en,
                    "description": f"Reached when the level's rule certainly holds: {lv.when}",
                    "code": [{"coding": [{"system": TS_LEVEL, "code": lv.scale.value}]}],
                    "condition": [
                        {
                            "kind": "applicability",
                            "expression": {"language": CQL_IDENTIFIER, "expression": level_name(lv.id, CERTAIN)},
                        }
                    ],
                }
            )
        r["action"] = actions
        return r

    # --- terminology ------------------------------------------------------------------------------------
    def _code_system(
        self, rid: str, url: str, version: str, name: str, title: str, concepts: list[dict[str, Any]], **extra: Any
    ) -> dict[str, Any]:
        r = self._header("CodeSystem", rid, url, version, name, title)
        r["status"] = "active" if self.status == "active" else self.status
        r["caseSensitive"] = True
        r.update(extra)
        r.setdefault("content", "complete")
        r["count"] = len(concepts)
        r["concept"] = concepts
        return r

    def code_systems(self) -> list[dict[str, Any]]:
        d, dic, urls = self.d, self.dictionary, self.urls
        out = [
            self._code_system(
                f"{dic.id}-{dic.version}",
                urls.dictionary_fields(dic.id),
                dic.version,
                lib_name(dic.id) + "Fields",
                f"{dic.title.en}: questions (field ids)" if hasattr(dic, "title") else "Questions",
                [{"code": f.id, "display": f.label.en, "definition": f.question.en} for f in dic.fields],
            )
        ]
        for fid in self.choice_fields():
            fd = dic.by_id[fid]
            out.append(
                self._code_system(
                    f"{dic.id}-{fid}-{dic.version}",
                    urls.field_values(dic.id, fid),
                    dic.version,
                    lib_name(f"{dic.id}-{fid}") + "Answers",
                    f"Answers to '{fd.label.en}'",
                    [{"code": v.code, "display": v.label.en} for v in fd.values or ()],
                )
            )
        out.append(
            self._code_system(
                f"{d.id}-indicators-{d.version}",
                urls.indicators,
                d.version,
                lib_name(d.id) + "Indicators",
                f"{d.title.en}: indicators",
                [
                    {
                        "code": ind.id,
                        "display": ind.text.en,
                        "property": [
                            {"code": "dimension", "valueCode": ind.dimension},
                            *([{"code": "strength", "valueCode": ind.strength.value}] if ind.strength else []),
                            *([{"code": "points", "valueInteger": ind.weight_points}] if ind.weight_points else []),
                            *([{"code": "red-flag", "valueBoolean": True}] if ind.red_flag else []),
                        ],
                    }
                    for ind in d.indicators
                ],
                property=[
                    {"code": "dimension", "description": "the dimension the indicator counts in", "type": "code"},
                    {"code": "strength", "description": "strong, medium or weak", "type": "code"},
                    {"code": "points", "description": "points it adds when met (absent: none)", "type": "integer"},
                    {
                        "code": "red-flag",
                        "description": "true: met means immediate danger (absent: not a red flag)",
                        "type": "boolean",
                    },
                ],
            )
        )
        out.append(
            self._code_system(
                f"{d.id}-dimensions-{d.version}",
                urls.dimensions,
                d.version,
                lib_name(d.id) + "Dimensions",
                f"{d.title.en}: dimensions",
                [{"code": dim.id, "display": dim.title.en} for dim in d.dimensions],
            )
        )
        out.append(
            self._code_system(
                f"{d.id}-levels-{d.version}",
                self.levels_url,
                d.version,
                lib_name(d.id) + "Levels",
                f"{d.title.en}: levels",
                [
                    {
                        "code": lv.id,
                        "display": lv.title.en,
                        "definition": lv.derivation,
                        "property": [{"code": "scale", "valueCode": lv.scale.value}],
                    }
                    for lv in d.levels
                ],
                property=[
                    {"code": "scale", "description": "the step of the engine-wide scale", "type": "code"},
                ],
            )
        )
        scale = self._code_system(
            "trafficscreen-level",
            TS_LEVEL,
            __version__,
            "TrafficscreenLevel",
            "Engine-wide level scale",
            [
                {
                    "code": lv.value,
                    "display": lv.value,
                    "definition": "no indicators identified among the questions answered"
                    if lv.value == "none"
                    else f"the set's level on the '{lv.value}' step",
                }
                for lv in LEVELS_IN_ORDER
            ],
        )
        scale["status"] = "active"
        scale["experimental"] = False
        own = self._code_system(
            "trafficscreen-codes",
            TS_CODES,
            __version__,
            "TrafficscreenCodes",
            "trafficscreen codes (the part this package uses)",
            [{"code": NONE_OF_THESE, "display": "None of these", "definition": "a known empty set of choices"}],
            content="fragment",
        )
        own["status"] = "active"
        own["experimental"] = False
        return [*out, scale, own]

    def choice_fields(self) -> list[str]:
        from ..fhir.questionnaire import questionnaire_fields

        return [
            f for f in questionnaire_fields(self.cs) if self.dictionary.by_id[f].type in (FieldType.ENUM, FieldType.SET)
        ]

    def value_sets(self) -> list[dict[str, Any]]:
        dic, urls = self.dictionary, self.urls
        out = []
        for fid in self.choice_fields():
            fd = dic.by_id[fid]
            vs_name = f"{dic.id}-{fid.replace('_', '-')}"
            r = self._header(
                "ValueSet",
                f"{dic.id}-{fid}-{dic.version}",
                urls.url("ValueSet", vs_name),
                dic.version,
                lib_name(f"{dic.id}-{fid}") + "Answers",
                f"Answers to '{fd.label.en}'",
            )
            include: list[dict[str, Any]] = [{"system": urls.field_values(dic.id, fid), "version": dic.version}]
            if fd.type is FieldType.SET:
                include.append({"system": TS_CODES, "concept": [{"code": NONE_OF_THESE, "display": "None of these"}]})
            r["compose"] = {"include": include}
            out.append(r)
        return out

    # --- test cases ----------------------------------------------------------------------------------
    def input_parameters(self, answers: Mapping[str, Any]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for name in self.cs.used_fields:
            value = answers.get(name)
            if value is None:
                continue
            fd = self.dictionary.by_id[name]
            key = _FHIR_TYPES[fd.type][1]
            if fd.type is FieldType.SET:
                codes = list(value) or [NONE_OF_THESE]
                out.extend({"name": name, key: str(c)} for c in codes)
            else:
                out.append({"name": name, key: value.isoformat() if hasattr(value, "isoformat") else value})
        return out

    def test_case(self, k: int, case: TestCase) -> dict[str, Any]:
        from ..model.encounter import check_answers

        cs = self.cs
        try:
            check_answers(dict(case.answers), cs.dictionary)
        except TrafficscreenError as exc:
            raise PackageError(f"test case {case.name}: {exc.message}") from None
        lib = self.lib
        types = {st.name: st.type for st in lib.statements}
        expected = expected_outputs(cs, case.answers)
        raw = {f: case.answers[f] for f in cs.used_fields if case.answers.get(f) is not None}
        rid = _id(f"{self.ref_id}-test-{k:04d}")
        inputs = {"resourceType": "Parameters", "id": f"{rid}-in"[:64], "parameter": self.input_parameters(raw)}
        outputs = {
            "resourceType": "Parameters",
            "id": f"{rid}-out"[:64],
            "parameter": [
                {"name": name, _OUT_TYPES[types[name]][1]: value}
                for name, value in zip(lib.outputs, expected, strict=True)
            ],
        }
        base = self.urls.url("Bundle", rid) if self.urls.sep == "/" else None
        bundle: dict[str, Any] = {
            "resourceType": "Bundle",
            "id": rid,
            "identifier": {"system": TEST_CASE_SYSTEM, "value": f"{cs.id}@{cs.version}:{case.name}"},
            "type": "collection",
            "entry": [
                {
                    "fullUrl": f"{base}/Parameters/{inputs['id']}" if base else f"urn:uuid:{_uuid(rid, 'in')}",
                    "resource": inputs,
                },
                {
                    "fullUrl": f"{base}/Parameters/{outputs['id']}" if base else f"urn:uuid:{_uuid(rid, 'out')}",
                    "resource": outputs,
                },
            ],
        }
        return bundle


def _uuid(key: str, role: str) -> str:
    from ..fhir._common import derive_uuid

    return derive_uuid(key, role)


def lib_name(ident: str) -> str:
    """A computer-friendly name (``[A-Z][A-Za-z0-9_]*``) from a kebab or snake case id."""
    name = "".join(p[:1].upper() + p[1:] for p in re.split(r"[^A-Za-z0-9]+", ident) if p)
    return name if name[:1].isalpha() and name[:1].isupper() else f"T{name}"


@dataclass(frozen=True)
class Package:
    """A package in memory: ``files`` maps a path inside ``package/`` to its JSON content."""

    name: str
    version: str
    files: dict[str, Any]

    @property
    def tgz_name(self) -> str:
        return f"{self.name}-{self.version}.tgz"


def build_package(cs: CompiledSet, cases: Sequence[TestCase] = (), lang: str = "en") -> Package:
    """Every resource of the set's package (see the module docstring). Test cases are the set's indicator
    examples followed by ``cases``."""
    from ..fhir.questionnaire import questionnaire

    b = _Builder(cs)
    resources: list[dict[str, Any]] = [b.plan_definition(), b.library(), questionnaire(cs, "R4B", lang)]
    resources += b.code_systems()
    resources += b.value_sets()
    files: dict[str, Any] = {}
    index = []
    for r in resources:
        fname = f"{r['resourceType']}-{r['id']}.json"
        if fname in files:  # pragma: no cover - ids are derived from distinct names
            raise PackageError(f"two resources would be written to {fname}")
        files[fname] = r
        index.append(
            {
                "filename": fname,
                "resourceType": r["resourceType"],
                "id": r["id"],
                "url": r["url"],
                "version": r["version"],
            }
        )
    all_cases = [*indicator_example_cases(cs), *cases]
    for k, case in enumerate(all_cases, 1):
        bundle = b.test_case(k, case)
        files[f"tests/Bundle-{bundle['id']}.json"] = bundle
    name = f"trafficscreen.{cs.id}"
    manifest = {
        "name": name,
        "version": cs.version,
        "title": cs.definition.title.en,
        "description": (
            f"FHIR R4 knowledge package of the trafficscreen indicator set {cs.id}@{cs.version}: PlanDefinition, "
            "Library (CQL and ELM), CodeSystems, ValueSets, Questionnaire and test cases (package/tests)."
        ),
        "author": "trafficscreen",
        "fhirVersions": [FHIR_VERSION],
        "dependencies": {"hl7.fhir.r4.core": FHIR_VERSION},
        "canonical": b.urls.prefix,
        "jurisdiction": "http://unstats.un.org/unsd/methods/m49/m49.htm#001",
    }
    files["package.json"] = manifest
    files[".index.json"] = {"index-version": 1, "files": index}
    return Package(name, cs.version, files)


def _dump(data: Any) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write_package(cs: CompiledSet, out_dir: str | Path, tgz: bool = False, *, cases: Iterable[TestCase] = ()) -> Path:
    """Write the set's package to ``out_dir/package/`` (which must not exist or be empty) and, with
    ``tgz``, also ``out_dir/<name>-<version>.tgz`` (the same files under ``package/``). Returns the path
    of the folder, or of the archive when ``tgz``."""
    out = Path(out_dir)
    folder = out / "package"
    if out.exists() and not out.is_dir():
        raise PackageError(f"output: {out} is not a folder")
    if folder.exists() and any(folder.iterdir()):
        raise PackageError(f"output: {folder} already holds files; choose an empty folder")
    pkg = build_package(cs, list(cases))
    for rel, data in pkg.files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_dump(data))
    if not tgz:
        return folder
    archive = out / pkg.tgz_name
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for rel in sorted(pkg.files):
            content = _dump(pkg.files[rel])
            info = tarfile.TarInfo(f"package/{rel}")
            info.size = len(content)
            info.mode = 0o644
            info.mtime = 0
            tar.addfile(info, io.BytesIO(content))
    # gzip's header would carry the time of writing; without it the same set gives the same bytes
    archive.write_bytes(gzip.compress(buf.getvalue(), mtime=0))
    return archive


__all__ = [
    "HIGHEST_POSSIBLE",
    "LEVEL_REACHED",
    "Package",
    "PackageError",
    "TestCase",
    "build_package",
    "indicator_example_cases",
    "vignette_cases",
    "write_package",
]
