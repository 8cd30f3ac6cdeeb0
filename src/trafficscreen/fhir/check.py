"""Checks beyond structure.

fhir.resources checks the shape of a resource (element names, types, cardinality) but not codes or
invariants: it accepts ``RiskAssessment.status = "banana"``, a transaction entry without ``request``,
and a resource of one FHIR version inside a Bundle of another. :func:`check_bundle` checks those things
for the resources this library writes; :func:`validate_bundle` runs both.

Problems name the place (``entry[2].resource.status``) and the rule, never the value found.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ._common import (
    ACT_CODE,
    CONFIDENTIALITY,
    FLAG_CATEGORY,
    OBSERVATION_CATEGORY,
    RISK_PROBABILITY,
    SENSITIVITY_CODES,
    FhirVersion,
    check_version,
)
from .errors import FhirNotInstalledError, FhirValidationError

OBSERVATION_STATUS = frozenset(
    {"registered", "preliminary", "final", "amended", "corrected", "cancelled", "entered-in-error", "unknown"}
)
FLAG_STATUS = frozenset({"active", "inactive", "entered-in-error"})
QR_STATUS = frozenset({"in-progress", "completed", "amended", "entered-in-error", "stopped"})
PUBLICATION_STATUS = frozenset({"draft", "active", "retired", "unknown"})
BUNDLE_TYPES: dict[FhirVersion, frozenset[str]] = {
    "R4B": frozenset(
        {
            "document",
            "message",
            "transaction",
            "transaction-response",
            "batch",
            "batch-response",
            "history",
            "searchset",
            "collection",
        }
    ),
    "R5": frozenset(
        {
            "document",
            "message",
            "transaction",
            "transaction-response",
            "batch",
            "batch-response",
            "history",
            "searchset",
            "collection",
            "subscription-notification",
        }
    ),
}
HTTP_VERBS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"})
OBSERVATION_CATEGORIES = frozenset(
    {"social-history", "vital-signs", "imaging", "laboratory", "procedure", "survey", "exam", "therapy", "activity"}
)
FLAG_CATEGORIES = frozenset(
    {"diet", "drug", "lab", "admin", "contact", "clinical", "behavioral", "research", "advance-directive", "safety"}
)
RISK_CODES = frozenset({"negligible", "low", "moderate", "high", "certain"})
NEVER_WRITTEN_RISK = frozenset({"negligible", "low", "certain"})
"""Risk codes this library never writes: the first two would read as a negative finding, the last as a
confirmed one."""
ITEM_TYPES: dict[FhirVersion, frozenset[str]] = {
    "R4B": frozenset(
        {
            "group",
            "display",
            "boolean",
            "decimal",
            "integer",
            "date",
            "dateTime",
            "time",
            "string",
            "text",
            "url",
            "choice",
            "open-choice",
            "attachment",
            "reference",
            "quantity",
        }
    ),
    "R5": frozenset(
        {
            "group",
            "display",
            "question",
            "boolean",
            "decimal",
            "integer",
            "date",
            "dateTime",
            "time",
            "string",
            "text",
            "url",
            "coding",
            "attachment",
            "reference",
            "quantity",
        }
    ),
}
ENABLE_WHEN_OPERATORS = frozenset({"exists", "=", "!=", ">", "<", ">=", "<="})
ENABLE_BEHAVIOR = frozenset({"all", "any"})
ANSWER_CONSTRAINT = frozenset({"optionsOnly", "optionsOrType", "optionsOrString"})
CONFIDENTIALITY_CODES = frozenset({"U", "L", "M", "N", "R", "V"})

ONLY_IN: dict[FhirVersion, dict[str, frozenset[str]]] = {
    # elements of the resources written here that exist in one version only
    "R4B": {
        "RiskAssessment": frozenset({"reasonCode", "reasonReference"}),
    },
    "R5": {
        "RiskAssessment": frozenset({"reason"}),
        "Observation": frozenset(
            {
                "instantiatesCanonical",
                "instantiatesReference",
                "triggeredBy",
                "bodyStructure",
                "valueAttachment",
                "valueReference",
            }
        ),
        "Questionnaire": frozenset({"versionAlgorithmString", "versionAlgorithmCoding", "copyrightLabel"}),
        "Bundle": frozenset({"issues"}),
    },
}
ONLY_IN_ITEM: dict[FhirVersion, frozenset[str]] = {
    "R4B": frozenset(),
    "R5": frozenset({"answerConstraint", "disabledDisplay"}),
}
_URN_UUID = re.compile(r"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _codings(cc: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(cc, Mapping):
        for c in cc.get("coding") or ():
            if isinstance(c, Mapping):
                yield c


def _references(node: Any) -> Iterator[str]:
    """Every ``reference`` text anywhere inside ``node``."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Mapping):
            for k, v in n.items():
                if k == "reference" and isinstance(v, str):
                    yield v
                elif isinstance(v, (Mapping, list)):
                    stack.append(v)
        elif isinstance(n, list):
            stack.extend(n)


def check_security(resource: Mapping[str, Any], where: str) -> list[str]:
    """The labels every resource written here carries: one confidentiality code, R or stricter, and at
    least one v3-ActCode sensitivity code."""
    problems: list[str] = []
    meta = resource.get("meta")
    security = meta.get("security") if isinstance(meta, Mapping) else None
    if not isinstance(security, list) or not security:
        return [f"{where}.meta.security: missing (every resource needs its confidentiality labels)"]
    conf = [c for c in security if isinstance(c, Mapping) and c.get("system") == CONFIDENTIALITY]
    sens = [c for c in security if isinstance(c, Mapping) and c.get("system") == ACT_CODE]
    if len(conf) != 1:
        problems.append(f"{where}.meta.security: needs exactly one v3-Confidentiality code")
    elif conf[0].get("code") not in ("R", "V"):
        problems.append(f"{where}.meta.security: confidentiality must be R (restricted) or V")
    for c in conf:
        if c.get("code") not in CONFIDENTIALITY_CODES:
            problems.append(f"{where}.meta.security: not a v3-Confidentiality code")
    if not any(c.get("code") in SENSITIVITY_CODES for c in sens):
        problems.append(f"{where}.meta.security: needs a v3-ActCode sensitivity code ({', '.join(SENSITIVITY_CODES)})")
    return problems


def _check_items(items: Any, version: FhirVersion, where: str, problems: list[str]) -> None:
    if not isinstance(items, list):
        return
    for k, item in enumerate(items):
        here = f"{where}.item[{k}]"
        if not isinstance(item, Mapping):
            problems.append(f"{here}: not an object")
            continue
        problems.extend(_item_problems(item, version, here))
        _check_items(item.get("item"), version, here, problems)


def _item_problems(item: Mapping[str, Any], version: FhirVersion, here: str) -> Iterator[str]:
    """One Questionnaire item's own problems, its children aside."""
    if item.get("type") not in ITEM_TYPES[version]:
        yield f"{here}.type: not a Questionnaire item type in {version}"
    for name in ONLY_IN_ITEM["R5" if version == "R4B" else "R4B"]:
        if name in item:
            yield f"{here}.{name}: not an element in {version}"
    for e, cond in enumerate(item.get("enableWhen") or ()):
        yield from _enable_when_problems(cond, f"{here}.enableWhen[{e}]")
    if "enableBehavior" in item and item["enableBehavior"] not in ENABLE_BEHAVIOR:
        yield f"{here}.enableBehavior: must be all or any"
    if len(item.get("enableWhen") or ()) > 1 and "enableBehavior" not in item:
        yield f"{here}.enableBehavior: required when there is more than one enableWhen (que-12)"
    if "answerConstraint" in item and item["answerConstraint"] not in ANSWER_CONSTRAINT:
        yield f"{here}.answerConstraint: not an answer constraint code"


def _enable_when_problems(cond: Any, here: str) -> Iterator[str]:
    if not isinstance(cond, Mapping) or cond.get("operator") not in ENABLE_WHEN_OPERATORS:
        yield f"{here}.operator: not a QuestionnaireItemOperator code"
        return
    answers = [k for k in cond if k.startswith("answer") and not k.startswith("answer_")]
    if len(answers) != 1:
        yield f"{here}: needs exactly one answer[x]"
    elif cond["operator"] == "exists" and not isinstance(cond.get("answerBoolean"), bool):
        yield f"{here}: 'exists' takes answerBoolean (que-7)"
    if not isinstance(cond.get("question"), str):
        yield f"{here}.question: required"


def check_resource(resource: Any, fhir_version: str, where: str = "resource", *, labels: bool = True) -> list[str]:
    """Value-set and invariant problems of one resource written by this library (empty when none)."""
    version = check_version(fhir_version)
    if not isinstance(resource, Mapping) or not isinstance(resource.get("resourceType"), str):
        return [f"{where}: not a resource (no resourceType)"]
    rtype = resource["resourceType"]
    problems: list[str] = []
    if labels:
        problems.extend(check_security(resource, where))
    other: FhirVersion = "R5" if version == "R4B" else "R4B"
    problems.extend(
        f"{where}.{name}: an element of {other}, not of {version}"
        for name in ONLY_IN[other].get(rtype, ())
        if name in resource
    )
    check = _RESOURCE_CHECKS.get(rtype)
    if check is not None:
        problems.extend(check(resource, version, where))
    return problems


def _coded(resource: Mapping[str, Any], system: str, codes: Any, message: str) -> Iterator[str]:
    """``message`` for every category coding of ``system`` whose code is not in ``codes``."""
    for cat in resource.get("category") or ():
        for c in _codings(cat):
            if c.get("system") == system and c.get("code") not in codes:
                yield message


def _required(resource: Mapping[str, Any], where: str, *keys: str) -> Iterator[str]:
    yield from (f"{where}.{key}: required" for key in keys if key not in resource)


def _observation(r: Mapping[str, Any], version: FhirVersion, where: str) -> Iterator[str]:
    if r.get("status") not in OBSERVATION_STATUS:
        yield f"{where}.status: not an ObservationStatus code"
    yield from _required(r, where, "code")
    yield from _coded(
        r, OBSERVATION_CATEGORY, OBSERVATION_CATEGORIES, f"{where}.category: not an observation-category code"
    )


def _risk_assessment(r: Mapping[str, Any], version: FhirVersion, where: str) -> Iterator[str]:
    if r.get("status") not in OBSERVATION_STATUS:
        yield f"{where}.status: not an ObservationStatus code"
    yield from _required(r, where, "subject")
    for p, pred in enumerate(r.get("prediction") or ()):
        for c in _codings(pred.get("qualitativeRisk") if isinstance(pred, Mapping) else None):
            if c.get("system") != RISK_PROBABILITY:
                continue
            if c.get("code") not in RISK_CODES:
                yield f"{where}.prediction[{p}].qualitativeRisk: not a risk-probability code"
            elif c.get("code") in NEVER_WRITTEN_RISK:
                yield (
                    f"{where}.prediction[{p}].qualitativeRisk: this code would read as a negative or "
                    "confirmed finding; a screen gives neither"
                )


def _flag(r: Mapping[str, Any], version: FhirVersion, where: str) -> Iterator[str]:
    if r.get("status") not in FLAG_STATUS:
        yield f"{where}.status: not a FlagStatus code"
    yield from _required(r, where, "subject", "code")
    yield from _coded(r, FLAG_CATEGORY, FLAG_CATEGORIES, f"{where}.category: not a flag-category code")


def _questionnaire_response(r: Mapping[str, Any], version: FhirVersion, where: str) -> Iterator[str]:
    if r.get("status") not in QR_STATUS:
        yield f"{where}.status: not a QuestionnaireResponseStatus code"
    if version == "R5" and not r.get("questionnaire"):
        yield f"{where}.questionnaire: required in R5"
    ident = r.get("identifier")
    if ident is not None and isinstance(ident, list) != (version == "R5"):
        yield f"{where}.identifier: a list in R5, a single Identifier in R4B"


def _questionnaire(r: Mapping[str, Any], version: FhirVersion, where: str) -> Iterator[str]:
    if r.get("status") not in PUBLICATION_STATUS:
        yield f"{where}.status: not a PublicationStatus code"
    items: list[str] = []
    _check_items(r.get("item"), version, where, items)
    yield from items
    link_ids, questions = _link_ids_and_questions(r.get("item"))
    if len(set(link_ids)) != len(link_ids):
        yield f"{where}.item: linkIds must be unique (que-2)"
    if not set(questions) <= set(link_ids):
        yield f"{where}.item: an enableWhen names a question that is not in the questionnaire"


def _link_ids_and_questions(top: Any) -> tuple[list[str], list[str]]:
    """Every item's linkId, and every question an enableWhen names, at any depth."""
    link_ids: list[str] = []
    questions: list[str] = []
    stack = [top]
    while stack:
        items = stack.pop()
        for item in items if isinstance(items, list) else ():
            if isinstance(item, Mapping):
                link_ids.append(str(item.get("linkId")))
                questions.extend(str(c.get("question")) for c in item.get("enableWhen") or () if isinstance(c, Mapping))
                stack.append(item.get("item"))
    return link_ids, questions


_RESOURCE_CHECKS: dict[str, Callable[[Mapping[str, Any], FhirVersion, str], Iterator[str]]] = {
    "Observation": _observation,
    "RiskAssessment": _risk_assessment,
    "Flag": _flag,
    "QuestionnaireResponse": _questionnaire_response,
    "Questionnaire": _questionnaire,
}
"""The checks of each resource type this library writes, beyond the security labels and the elements
that belong to the other FHIR version."""


def check_bundle(bundle: Any, fhir_version: str) -> list[str]:
    """Problems (empty when none) that fhir.resources does not look for:

    - the Bundle type is a code of ``fhir_version``; a transaction or batch entry has a ``request`` with
      an HTTP verb and a URL, and other Bundles' entries have none;
    - every entry has a unique ``fullUrl``; every ``urn:uuid:`` reference resolves to an entry;
    - the Bundle and every resource in it carry the security labels (confidentiality R, a sensitivity code);
    - status and category codes are in their value sets, required elements are there, and no element or
      code belongs to the other FHIR version (one FHIR version per Bundle).
    """
    version = check_version(fhir_version)
    if not isinstance(bundle, Mapping) or bundle.get("resourceType") != "Bundle":
        return ["not a Bundle"]
    problems = _bundle_problems(bundle, version)
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        return [*problems, "Bundle.entry: must be a list"]
    full_urls: set[str] = set()
    for i, entry in enumerate(entries):
        problems.extend(_entry_problems(f"entry[{i}]", entry, bundle.get("type"), version, full_urls))
    problems.extend(_dangling_references(entries, full_urls))
    return problems


def _bundle_problems(bundle: Mapping[str, Any], version: FhirVersion) -> list[str]:
    """The Bundle's own type, labels and elements."""
    problems: list[str] = []
    if bundle.get("type") not in BUNDLE_TYPES[version]:
        problems.append(f"Bundle.type: not a BundleType code in {version}")
    problems.extend(check_security(bundle, "Bundle"))
    for name in ONLY_IN["R5" if version == "R4B" else "R4B"].get("Bundle", ()):
        if name in bundle:
            problems.append(f"Bundle.{name}: not an element in {version}")
    return problems


def _entry_problems(where: str, entry: Any, btype: Any, version: FhirVersion, full_urls: set[str]) -> list[str]:
    """One entry: its fullUrl (added to ``full_urls``), its request and its resource."""
    if not isinstance(entry, Mapping):
        return [f"{where}: not an object"]
    problems = _full_url_problems(where, entry.get("fullUrl"), full_urls)
    request = entry.get("request")
    resource = entry.get("resource")
    problems.extend(_request_problems(where, request, resource, btype))
    if (
        resource is None
        and btype in _NEEDS_REQUEST
        and isinstance(request, Mapping)
        and request.get("method") in ("GET", "HEAD", "DELETE")
    ):
        return problems  # a read or a delete carries no resource
    problems.extend(check_resource(resource, version, f"{where}.resource"))
    return problems


_NEEDS_REQUEST = ("transaction", "batch")
"""The Bundle types whose every entry has a ``request``."""


def _full_url_problems(where: str, full_url: Any, full_urls: set[str]) -> list[str]:
    if not isinstance(full_url, str) or not full_url:
        return [f"{where}.fullUrl: missing"]
    if full_url in full_urls:
        return [f"{where}.fullUrl: the same fullUrl appears twice (bdl-7)"]
    full_urls.add(full_url)
    if full_url.startswith("urn:uuid:") and not _URN_UUID.fullmatch(full_url):
        return [f"{where}.fullUrl: not a well-formed urn:uuid"]
    return []


def _request_problems(where: str, request: Any, resource: Any, btype: Any) -> list[str]:
    if btype not in _NEEDS_REQUEST:
        if request is not None and btype not in ("history",):
            return [f"{where}.request: only transaction, batch and history Bundles have requests"]
        return []
    if not isinstance(request, Mapping):
        return [f"{where}.request: required in a {btype} Bundle (bdl-3)"]
    problems: list[str] = []
    if request.get("method") not in HTTP_VERBS:
        problems.append(f"{where}.request.method: not an HTTP verb code")
    if not isinstance(request.get("url"), str) or not request["url"]:
        problems.append(f"{where}.request.url: required")
    elif (
        request.get("method") == "POST"
        and isinstance(resource, Mapping)
        and request["url"] != resource.get("resourceType")
    ):
        problems.append(f"{where}.request.url: a POST goes to the resource's type")
    return problems


def _dangling_references(entries: list[Any], full_urls: set[str]) -> list[str]:
    """Entries whose resource holds a ``urn:uuid:`` reference to no entry of the Bundle."""
    return [
        f"entry[{i}].resource: a urn:uuid reference names no entry of this Bundle"
        for i, entry in enumerate(entries)
        if isinstance(entry, Mapping)
        for ref in _references(entry.get("resource"))
        if ref.startswith("urn:uuid:") and ref not in full_urls
    ]


def _model(rtype: str, version: FhirVersion) -> Any:
    try:
        if version == "R4B":
            from fhir.resources.R4B import get_fhir_model_class
        else:
            from fhir.resources import get_fhir_model_class
    except ImportError:
        raise FhirNotInstalledError() from None
    try:
        return get_fhir_model_class(rtype)
    except (KeyError, ValueError, ImportError, AttributeError):
        raise FhirValidationError(f"not a FHIR {version} resource type") from None


def structure_problems(resource: Mapping[str, Any], fhir_version: str) -> list[str]:
    """What fhir.resources finds wrong with the structure of ``resource`` (needs ``trafficscreen[fhir]``).
    Messages give the element path and the rule, never the input value."""
    from pydantic import ValidationError

    version = check_version(fhir_version)
    rtype = resource.get("resourceType") if isinstance(resource, Mapping) else None
    if not isinstance(rtype, str):
        return ["not a resource (no resourceType)"]
    model = _model(rtype, version)
    try:
        model.model_validate(resource)
    except ValidationError as exc:
        return [
            f"{rtype}." + ".".join(str(p) for p in e.get("loc", ())) + f": {e.get('msg', 'invalid')}"
            for e in exc.errors(include_url=False, include_input=False, include_context=False)
        ]
    except (ValueError, TypeError) as exc:  # fhir.resources raises some errors outside pydantic
        return [f"{rtype}: {type(exc).__name__}"]
    return []


def validate_bundle(bundle: Mapping[str, Any], fhir_version: str) -> None:
    """Check a Bundle with fhir.resources (structure) and :func:`check_bundle` (codes and invariants);
    raise :class:`FhirValidationError` listing every problem."""
    problems = structure_problems(bundle, fhir_version) + check_bundle(bundle, fhir_version)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise FhirValidationError(f"the Bundle is not valid {fhir_version}: {problems[0]}{more}", problems)


def validate_questionnaire(questionnaire: Mapping[str, Any], fhir_version: str) -> None:
    """Check a generated Questionnaire with fhir.resources and our code checks."""
    problems = structure_problems(questionnaire, fhir_version) + check_resource(
        questionnaire, fhir_version, "Questionnaire", labels=False
    )
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise FhirValidationError(f"the Questionnaire is not valid {fhir_version}: {problems[0]}{more}", problems)
