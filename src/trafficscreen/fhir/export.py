"""A screening result as a FHIR Bundle (R4B or R5): RiskAssessment, Observations, Flag, and the
QuestionnaireResponse the answers came from.

The Bundle is built as plain JSON-shaped dicts, which is many times faster than building fhir.resources
objects; ``validate=True`` (and the test suite) checks it with fhir.resources and :func:`check_bundle`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from ..messages import msg
from ..model.common import Level
from ..model.result import IndicatorOutcome, IndicatorStatus, ScreeningResult
from ._common import (
    CONFIDENTIALITY,
    EXT_FLAG_DETAIL,
    FLAG_CATEGORY,
    OBSERVATION_CATEGORY,
    RISK_PROBABILITY,
    TS_CODES,
    TS_INDICATOR_SET,
    TS_LEVEL,
    TS_STRENGTH,
    URI_IDENTIFIER,
    FhirVersion,
    absent_reference,
    check_version,
    format_instant,
    make_reference,
    reference_key,
    security_labels,
    set_urls,
    uuid_maker,
)
from .errors import FhirExportError

QUALITATIVE_RISK: dict[Level, tuple[str, str] | None] = {
    Level.NONE: None,
    Level.CONCERN: ("moderate", "Moderate likelihood"),
    Level.REFER: ("high", "High likelihood"),
    Level.URGENT: ("high", "High likelihood"),
}
"""``RiskAssessment.prediction.qualitativeRisk`` per level (risk-probability code system).

``none`` has no qualitative risk at all: "no indicators among the questions answered" is not a low or
negligible likelihood, and a code saying so would read as a negative finding. ``certain`` is never
used: a screen indicates, it never establishes, that a child is trafficked.
"""

FLAG_FROM = Level.REFER
"""Lowest level that writes a Flag."""

_MET = IndicatorStatus.MET
_URGENT = Level.URGENT
_SURVEY = {"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}
_SAFETY = {"coding": [{"system": FLAG_CATEGORY, "code": "safety", "display": "Safety"}]}


def _cc(system: str, code: str, display: str, version: str | None = None, txt: str | None = None) -> dict[str, Any]:
    coding: dict[str, Any] = {"system": system}
    if version is not None:
        coding["version"] = version
    coding["code"] = code
    coding["display"] = display
    return {"coding": [coding], "text": txt if txt is not None else display}


def result_digest(result: ScreeningResult) -> str:
    """What a result says, independent of its language: set, level, completeness and every indicator's
    status. Two results with the same digest make the same resources (apart from language)."""
    s = result.set
    c = result.completeness
    parts = [
        s.id,
        s.version,
        s.sha256,
        result.level._value_,
        result.highest_possible._value_,
        f"{c.answered}/{c.total}",
    ]
    parts.extend([i.status._value_ for i in result.indicators])  # in set order, which the sha256 fixes
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _prepare_qr(
    qr: Mapping[str, Any],
    result: ScreeningResult,
    subject: dict[str, Any] | None,
    encounter: dict[str, Any] | None,
) -> tuple[dict[str, Any], dict[str, Any] | None, dict[str, Any] | None]:
    from .importer import check_questionnaire_reference

    if not isinstance(qr, Mapping) or qr.get("resourceType") != "QuestionnaireResponse":
        raise FhirExportError("questionnaire_response: expected a QuestionnaireResponse resource (JSON object)")
    check_questionnaire_reference(
        qr,
        set_urls(result.set.id, result.set.canonical_url).questionnaire,
        result.set.version,
        "questionnaire_response",
    )
    try:
        copy: dict[str, Any] = json.loads(json.dumps(qr))
    except (TypeError, ValueError):
        raise FhirExportError("questionnaire_response: not JSON-shaped data") from None
    for element, kind, given in (("subject", "Patient", subject), ("encounter", "Encounter", encounter)):
        own = copy.get(element)
        if own is None:
            continue
        own_ref = make_reference(own, kind, f"questionnaire_response.{element}")
        if given is not None and reference_key(own_ref) != reference_key(given):
            name = "patient" if kind == "Patient" else "encounter"
            raise FhirExportError(f"questionnaire_response.{element} and {name} name different {kind} resources")
        if given is None:
            if element == "subject":
                subject = own_ref
            else:
                encounter = own_ref
    return copy, subject, encounter


def _merge_security(meta: Any, labels: list[dict[str, str]]) -> dict[str, Any]:
    """The caller's ``meta`` with our labels added: confidentiality R (or a V already there, which is
    stricter) first, then the caller's other labels, then our sensitivity codes not yet present."""
    out: dict[str, Any] = dict(meta) if isinstance(meta, Mapping) else {}
    security = out.get("security")
    existing = [dict(c) for c in security if isinstance(c, Mapping)] if isinstance(security, list) else []
    very = [c for c in existing if c.get("system") == CONFIDENTIALITY and c.get("code") == "V"]
    others = [c for c in existing if c.get("system") != CONFIDENTIALITY]
    have = {(c.get("system"), c.get("code")) for c in others}
    others += [dict(lb) for lb in labels[1:] if (lb["system"], lb["code"]) not in have]
    out["security"] = (very[:1] or [dict(labels[0])]) + others
    return out


def to_fhir(
    result: ScreeningResult,
    fhir_version: str = "R4B",
    *,
    patient: str | Mapping[str, Any] | None = None,
    encounter: str | Mapping[str, Any] | None = None,
    transaction: bool = False,
    questionnaire_response: Mapping[str, Any] | None = None,
    issued: datetime | str | None = None,
    id_seed: str | None = None,
    adolescent: bool = False,
    validate: bool = False,
) -> dict[str, Any]:
    """Write ``result`` as a FHIR Bundle (a JSON-shaped dict).

    - ``fhir_version``: ``"R4B"`` (default; most EHRs speak R4, which R4B matches for these resources)
      or ``"R5"``.
    - ``patient`` / ``encounter``: ``"Patient/123"``, an absolute URL, ``"SYSTEM|VALUE"`` for a logical
      reference by identifier, or a Reference object. Nothing about the patient is invented: without a
      patient, a collection Bundle marks the required ``subject`` of RiskAssessment and Flag as absent
      (data-absent-reason), and a transaction is refused.
    - ``transaction``: a transaction Bundle (conditional creates on each resource's identifier, so sending
      the same Bundle twice stores it once) instead of a collection.
    - ``questionnaire_response``: the response the answers came from; it is included (with the security
      labels added) and the Observations are ``derivedFrom`` it.
    - ``issued``: the time written on the resources (a timezone-aware datetime or an ISO text with
      seconds and zone). Without it no time is written, so the output depends on the inputs alone.
    - ``id_seed``: text mixed into the ids; pass a secret per encounter to make ids unguessable.
    - ``adolescent``: add the ADOL sensitivity label (information an adolescent may keep from parents).
    - ``validate``: check the Bundle with fhir.resources and :func:`check_bundle`, raising
      :class:`FhirValidationError` (needs ``trafficscreen[fhir]``).

    The same arguments always give the same Bundle.
    """
    version: FhirVersion = check_version(fhir_version)
    if not isinstance(result, ScreeningResult):
        raise FhirExportError("result must be a ScreeningResult (from Screener.screen or trafficscreen.screen)")
    subject = make_reference(patient, "Patient", "patient")
    enc_ref = make_reference(encounter, "Encounter", "encounter")
    qr: dict[str, Any] | None = None
    if questionnaire_response is not None:
        qr, subject, enc_ref = _prepare_qr(questionnaire_response, result, subject, enc_ref)
    if transaction and subject is None:
        raise FhirExportError(
            "a transaction Bundle needs a patient: a server would store safeguarding data linked to no one"
        )
    if id_seed is not None and not isinstance(id_seed, str):
        raise FhirExportError("id_seed must be text")
    when = format_instant(issued)
    key = _id_key(result, version, subject, enc_ref, qr, when, id_seed, adolescent)
    b = _BundleBuilder(result, version, transaction, subject, enc_ref, when, uuid_maker(key), adolescent)
    if qr is not None:
        b.add_questionnaire_response(qr)
    members = b.add_indicator_observations()
    summary = b.add_summary(members)
    risk = b.add_risk_assessment(summary, members)
    # a Flag from refer upwards: worded discreetly, since flags show in banners others may see
    if result.level.rank >= FLAG_FROM.rank:
        b.add_flag(risk)
    bundle = b.bundle()
    if validate:
        from .check import validate_bundle

        validate_bundle(bundle, version)
    return bundle


def _id_key(
    result: ScreeningResult,
    version: FhirVersion,
    subject: dict[str, Any] | None,
    enc_ref: dict[str, Any] | None,
    qr: dict[str, Any] | None,
    when: str | None,
    id_seed: str | None,
    adolescent: bool,
) -> str:
    """What the ids are derived from: every input that changes the Bundle, so the same arguments always
    give the same ids and different ones never share them."""
    seed = (
        id_seed
        if id_seed is not None
        else (reference_key(enc_ref) or (result.encounter_id or "") or (str(qr.get("id", "")) if qr else ""))
    )
    qr_digest = hashlib.sha256(json.dumps(qr, sort_keys=True).encode()).hexdigest() if qr else ""
    return "\x1f".join(
        (
            "trafficscreen-fhir-1",
            version,
            seed,
            reference_key(subject),
            reference_key(enc_ref),
            when or "",
            result.lang,
            "ADOL" if adolescent else "",
            result_digest(result),
            qr_digest,
        )
    )


def _ref(rid: str) -> dict[str, str]:
    return {"reference": f"urn:uuid:{rid}"}


class _BundleBuilder:
    """The resources of one Bundle, added in Bundle order; each ``add_*`` returns what later ones refer to."""

    def __init__(
        self,
        result: ScreeningResult,
        version: FhirVersion,
        transaction: bool,
        subject: dict[str, Any] | None,
        enc_ref: dict[str, Any] | None,
        when: str | None,
        make_id: Callable[[str], str],
        adolescent: bool,
    ) -> None:
        self.result = result
        self.version = version
        self.transaction = transaction
        self.subject = subject
        self.enc_ref = enc_ref
        self.when = when
        self.make_id = make_id
        self.lang = result.lang
        self.labels = security_labels(adolescent)
        self.status = "final" if result.settled else "preliminary"
        self.qr_ref: dict[str, str] | None = None
        self.entries: list[tuple[str, str, dict[str, Any]]] = []  # (resource type, uuid, resource)

    def new(self, rtype: str, role: str) -> tuple[str, dict[str, Any]]:
        rid = self.make_id(role)
        res: dict[str, Any] = {"resourceType": rtype}
        if not self.transaction:
            res["id"] = rid
        res["meta"] = {"security": [dict(lb) for lb in self.labels]}
        res["language"] = self.lang
        res["identifier"] = [{"system": URI_IDENTIFIER, "value": f"urn:uuid:{rid}"}]
        return rid, res

    def context(self, res: dict[str, Any], required: bool) -> None:
        if self.subject is not None:
            res["subject"] = dict(self.subject)
        elif required:
            res["subject"] = absent_reference()
        if self.enc_ref is not None:
            res["encounter"] = dict(self.enc_ref)

    def add_questionnaire_response(self, qr: dict[str, Any]) -> None:
        """The response the answers came from, labelled, identified and linked to the patient."""
        qid = self.make_id("questionnaire-response")
        qr["meta"] = _merge_security(qr.get("meta"), self.labels)
        if self.transaction:
            qr.pop("id", None)
        else:
            qr["id"] = qid
        if "subject" not in qr and self.subject is not None:
            qr["subject"] = dict(self.subject)
        if "encounter" not in qr and self.enc_ref is not None:
            qr["encounter"] = dict(self.enc_ref)
        if not qr.get("identifier"):
            ident = {"system": URI_IDENTIFIER, "value": f"urn:uuid:{qid}"}
            qr["identifier"] = ident if self.version == "R4B" else [ident]
        self.entries.append(("QuestionnaireResponse", qid, qr))
        self.qr_ref = _ref(qid)

    def add_indicator_observations(self) -> list[dict[str, str]]:
        """One Observation per met indicator; returns references to them."""
        words = _IndicatorWords(self.result)
        member_refs: list[dict[str, str]] = []
        for ind in self.result.indicators:
            if ind.status is not _MET:
                continue
            rid, obs = self.new("Observation", f"indicator:{ind.id}")
            obs["status"] = "final"
            obs["category"] = [_SURVEY]
            obs["code"] = _cc(words.indicators, ind.id, ind.text, words.version)
            self.context(obs, required=False)
            self.timestamp(obs)
            obs["valueBoolean"] = True
            obs["component"] = words.components(ind)
            if self.qr_ref is not None:
                obs["derivedFrom"] = [dict(self.qr_ref)]
            obs["note"] = [{"text": words.note(ind)}]
            self.entries.append(("Observation", rid, obs))
            member_refs.append(_ref(rid))
        return member_refs

    def timestamp(self, obs: dict[str, Any]) -> None:
        if self.when:
            obs["effectiveDateTime"] = self.when
            obs["issued"] = self.when

    def add_summary(self, member_refs: list[dict[str, str]]) -> str:
        """The summary Observation (level, highest possible, completeness); returns its uuid."""
        result, lang = self.result, self.lang
        sid, summary = self.new("Observation", "summary")
        summary["status"] = self.status
        summary["category"] = [_SURVEY]
        summary["code"] = _cc(
            TS_CODES, "screening-result", "Child trafficking indicator screen", txt=msg(lang, "fhir.screen")
        )
        self.context(summary, required=False)
        self.timestamp(summary)
        level = result.level._value_
        summary["valueCodeableConcept"] = _cc(TS_LEVEL, level, msg(lang, f"level.{level}"), txt=result.level_title)
        summary["note"] = [{"text": result.notice}]
        summary["component"] = _summary_components(result)
        if member_refs:
            summary["hasMember"] = member_refs
        if self.qr_ref is not None:
            summary["derivedFrom"] = [dict(self.qr_ref)]
        self.entries.append(("Observation", sid, summary))
        return sid

    def add_risk_assessment(self, summary_id: str, member_refs: list[dict[str, str]]) -> str:
        """The RiskAssessment, based on the Observations and the response; returns its uuid."""
        result, lang, s = self.result, self.lang, self.result.set
        urls = set_urls(s.id, s.canonical_url)
        aid, risk = self.new("RiskAssessment", "risk-assessment")
        risk["status"] = self.status
        risk["method"] = _cc(TS_INDICATOR_SET, s.id, s.title, s.version, txt=f"{urls.canonical}|{s.version}")
        risk["code"] = _cc(
            TS_CODES, "screening-result", "Child trafficking indicator screen", txt=msg(lang, "fhir.screen")
        )
        self.context(risk, required=True)
        if self.when:
            risk["occurrenceDateTime"] = self.when
        basis = [_ref(summary_id), *(dict(m) for m in member_refs)]
        if self.qr_ref is not None:
            basis.append(dict(self.qr_ref))
        risk["basis"] = basis
        prediction: dict[str, Any] = {"outcome": {"text": msg(lang, "fhir.outcome")}}
        qualitative = QUALITATIVE_RISK[result.level]
        if qualitative is not None:
            prediction["qualitativeRisk"] = _cc(
                RISK_PROBABILITY, qualitative[0], qualitative[1], txt=result.level_title
            )
        prediction["rationale"] = " ".join(result.reasons)
        risk["prediction"] = [prediction]
        risk["note"] = [{"text": result.notice}]
        self.entries.append(("RiskAssessment", aid, risk))
        return aid

    def add_flag(self, risk_id: str) -> None:
        """A safety Flag pointing at the RiskAssessment."""
        fid, flag = self.new("Flag", "flag")
        flag["status"] = "active"
        flag["category"] = [_SAFETY]
        urgent = self.result.level is _URGENT
        flag["code"] = _cc(
            TS_CODES,
            "urgent-safeguarding-review" if urgent else "safeguarding-review",
            "Urgent safeguarding review needed" if urgent else "Safeguarding review needed",
            txt=msg(self.lang, "fhir.flag.urgent" if urgent else "fhir.flag.refer"),
        )
        self.context(flag, required=True)
        if self.when:
            flag["period"] = {"start": self.when}
        flag["extension"] = [{"url": EXT_FLAG_DETAIL, "valueReference": _ref(risk_id)}]
        self.entries.append(("Flag", fid, flag))

    def bundle(self) -> dict[str, Any]:
        """The Bundle of every resource added, with a conditional create per entry in a transaction."""
        bundle_id = self.make_id("bundle-transaction" if self.transaction else "bundle-collection")
        bundle: dict[str, Any] = {
            "resourceType": "Bundle",
            "id": bundle_id,
            "meta": {"security": [dict(lb) for lb in self.labels]},
            "identifier": {"system": URI_IDENTIFIER, "value": f"urn:uuid:{bundle_id}"},
            "type": "transaction" if self.transaction else "collection",
        }
        if self.when:
            bundle["timestamp"] = self.when
        out_entries: list[dict[str, Any]] = []
        for rtype, rid, res in self.entries:
            entry: dict[str, Any] = {"fullUrl": f"urn:uuid:{rid}", "resource": res}
            if self.transaction:
                entry["request"] = {"method": "POST", "url": rtype, "ifNoneExist": _if_none_exist(res, self.version)}
            out_entries.append(entry)
        bundle["entry"] = out_entries
        return bundle


class _IndicatorWords:
    """What every indicator Observation of one result shares: code systems, component codes and words."""

    def __init__(self, result: ScreeningResult) -> None:
        lang, s = result.lang, result.set
        urls = set_urls(s.id, s.canonical_url)
        self.version = s.version
        self.indicators = urls.indicators
        self.dimensions = urls.dimensions
        self.dim_titles = {d.id: d.title for d in result.dimensions}
        self.unverified = msg(lang, "text.unverified")
        self.source_word = msg(lang, "text.source")
        self.comp_dimension = _cc(TS_CODES, "indicator-dimension", "Dimension", txt=msg(lang, "fhir.dimension"))
        self.comp_strength = _cc(TS_CODES, "indicator-strength", "Strength", txt=msg(lang, "fhir.strength"))
        self.comp_flag = _cc(TS_CODES, "red-flag", "Red flag", txt=msg(lang, "fhir.red_flag"))
        self.strength_text = {k: msg(lang, f"strength.{k}") for k in ("strong", "medium", "weak")}

    def components(self, ind: IndicatorOutcome) -> list[dict[str, Any]]:
        """Dimension, strength (when graded) and red flag."""
        title = self.dim_titles.get(ind.dimension, ind.dimension)
        components: list[dict[str, Any]] = [
            {
                "code": self.comp_dimension,
                "valueCodeableConcept": _cc(self.dimensions, ind.dimension, title, self.version),
            }
        ]
        if ind.strength is not None:
            strength = ind.strength._value_
            components.append(
                {
                    "code": self.comp_strength,
                    "valueCodeableConcept": _cc(TS_STRENGTH, strength, strength, txt=self.strength_text[strength]),
                }
            )
        components.append({"code": self.comp_flag, "valueBoolean": ind.red_flag})
        return components

    def note(self, ind: IndicatorOutcome) -> str:
        """The reason and the source, marked when the source is not verified."""
        src = ind.source
        note = f"{ind.reason}. {self.source_word}: {src.citation} ({src.locator})"
        return note if src.verified else f"{note}; {self.unverified}"


def _summary_components(result: ScreeningResult) -> list[dict[str, Any]]:
    lang = result.lang
    highest = result.highest_possible._value_
    return [
        {
            "code": _cc(
                TS_CODES, "highest-possible", "Highest level still possible", txt=msg(lang, "fhir.highest_possible")
            ),
            "valueCodeableConcept": _cc(TS_LEVEL, highest, msg(lang, f"level.{highest}")),
        },
        {
            "code": _cc(TS_CODES, "questions-answered", "Questions answered", txt=msg(lang, "fhir.answered")),
            "valueInteger": result.completeness.answered,
        },
        {
            "code": _cc(TS_CODES, "questions-used", "Questions the set uses", txt=msg(lang, "fhir.asked")),
            "valueInteger": result.completeness.total,
        },
        {
            "code": _cc(TS_CODES, "settled", "No missing answer could raise the level", txt=msg(lang, "fhir.settled")),
            "valueBoolean": result.settled,
        },
    ]


def _if_none_exist(res: Mapping[str, Any], version: FhirVersion) -> str:
    ident = res.get("identifier")
    if isinstance(ident, list):
        ident = ident[0] if ident else None
    if not isinstance(ident, Mapping) or not isinstance(ident.get("value"), str):  # pragma: no cover
        raise FhirExportError("a resource in a transaction needs an identifier")
    system = ident.get("system")
    value = quote(ident["value"], safe=":/-._~")
    return f"identifier={quote(system, safe=':/-._~')}|{value}" if isinstance(system, str) else f"identifier={value}"
