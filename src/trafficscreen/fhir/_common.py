"""Shared pieces of the FHIR part: versions, code systems, URLs derived from a set, security labels,
deterministic ids, references and translations of texts (the part's own words are ``fhir.*`` in
:mod:`trafficscreen.messages`).

Nothing here imports fhir.resources: the output is built as plain JSON-shaped dicts.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from ..model.common import LANGUAGES
from .errors import FhirExportError

FhirVersion = Literal["R4B", "R5"]
FHIR_VERSIONS: tuple[FhirVersion, ...] = ("R4B", "R5")

# --- code systems and extensions published by HL7 ---------------------------------------------------
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
RISK_PROBABILITY = "http://terminology.hl7.org/CodeSystem/risk-probability"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
DATA_ABSENT_REASON = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
EXT_DATA_ABSENT_REASON = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
EXT_TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
EXT_MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
EXT_MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
EXT_FLAG_DETAIL = "http://hl7.org/fhir/StructureDefinition/flag-detail"
EXT_OPTION_EXCLUSIVE = "http://hl7.org/fhir/StructureDefinition/questionnaire-optionExclusive"
URI_IDENTIFIER = "urn:ietf:rfc:3986"

# --- linkIds of the Questionnaire's items that are not fields (written and read back) -----------
GROUP_PREFIX = "group-"
"""linkIds of the groups (one per respondent); field ids never hold a '-', so they cannot collide."""
INTRO_LINK_ID = "intro"
"""linkId of the display item at the top of the questionnaire."""

# --- this project's own code systems ----------------------------------------------------------------
TS_BASE = "https://trafficscreen.org/fhir"
TS_CODES = f"{TS_BASE}/CodeSystem/trafficscreen"
"""Codes for what the screen produces: the screen itself, the summary's parts, the flag."""
NONE_OF_THESE = "none-of-these"
"""Code (in TS_CODES) of the answer option that says 'none of these' for a set field: a known empty
list, which an unanswered question (unknown) is not."""
TS_LEVEL = f"{TS_BASE}/CodeSystem/level"
"""The engine-wide level scale: none, concern, refer, urgent."""
TS_STRENGTH = f"{TS_BASE}/CodeSystem/strength"
TS_INDICATOR_SET = f"{TS_BASE}/CodeSystem/indicator-set"
"""Codes are set ids; Coding.version carries the set's version."""

SENSITIVITY_CODES = {
    "SDV": "sexual assault, abuse, or domestic violence information sensitivity",
    "ADOL": "adolescent information sensitivity",
}
RESTRICTED = {"system": CONFIDENTIALITY, "code": "R", "display": "restricted"}


def security_labels(adolescent: bool) -> list[dict[str, str]]:
    """``meta.security`` for every resource this part writes: restricted, and the sensitivity codes."""
    labels = [dict(RESTRICTED), {"system": ACT_CODE, "code": "SDV", "display": SENSITIVITY_CODES["SDV"]}]
    if adolescent:
        labels.append({"system": ACT_CODE, "code": "ADOL", "display": SENSITIVITY_CODES["ADOL"]})
    return labels


def check_version(fhir_version: str) -> FhirVersion:
    """Normalise ``R4B``/``R5`` (any case); refuse anything else with a one-line reason."""
    v = str(fhir_version).upper() if isinstance(fhir_version, str) else ""
    if v == "R4B":
        return "R4B"
    if v == "R5":
        return "R5"
    if v in ("R4", "4.0", "4.0.1"):
        raise FhirExportError(
            "FHIR R4 is not offered as such: use R4B, whose JSON for the resources written here is also "
            "valid R4 (see docs/fhir.md)"
        )
    raise FhirExportError("fhir_version must be 'R4B' or 'R5'")


# --- URLs derived from a set ------------------------------------------------------------------------
_PLAN_DEFINITION = re.compile(r"^(https?://\S+?)/PlanDefinition/([A-Za-z0-9\-.]{1,64})$")


@dataclass(frozen=True)
class SetUrls:
    """Canonical URLs of what belongs to one set: its questionnaire and its code systems.

    A set's ``canonical_url`` written the FHIR way, ``{base}/PlanDefinition/{id}``, gives
    ``{base}/Questionnaire/{id}``, ``{base}/CodeSystem/{id}-indicators`` and so on. Any other http(s)
    canonical URL is used as a prefix (``{canonical}/Questionnaire/{id}``); a set without one gets
    ``urn:trafficscreen:Questionnaire:{id}`` and the like, which name it without claiming a web address.
    """

    set_id: str
    canonical: str
    prefix: str
    sep: str

    def url(self, kind: str, name: str) -> str:
        return f"{self.prefix}{self.sep}{kind}{self.sep}{name}"

    @property
    def questionnaire(self) -> str:
        return self.url("Questionnaire", self.set_id)

    @property
    def indicators(self) -> str:
        return self.url("CodeSystem", f"{self.set_id}-indicators")

    @property
    def dimensions(self) -> str:
        return self.url("CodeSystem", f"{self.set_id}-dimensions")

    def dictionary_fields(self, dictionary_id: str) -> str:
        return self.url("CodeSystem", dictionary_id)

    def field_values(self, dictionary_id: str, field_id: str) -> str:
        return self.url("CodeSystem", f"{dictionary_id}-{field_id.replace('_', '-')}")


def set_urls(set_id: str, canonical_url: str | None) -> SetUrls:
    if canonical_url:
        m = _PLAN_DEFINITION.fullmatch(canonical_url)
        if m:
            return SetUrls(set_id, canonical_url, m.group(1), "/")
        if canonical_url.startswith(("http://", "https://")):
            return SetUrls(set_id, canonical_url, canonical_url.rstrip("/"), "/")
        return SetUrls(set_id, canonical_url, canonical_url.rstrip(":"), ":")
    return SetUrls(set_id, f"urn:trafficscreen:PlanDefinition:{set_id}", "urn:trafficscreen", ":")


def set_id_from_questionnaire_url(url: str) -> str | None:
    """The set id at the end of a questionnaire URL made by :class:`SetUrls`, or None."""
    for sep in ("/", ":"):
        marker = f"{sep}Questionnaire{sep}"
        if marker in url:
            tail = url.rsplit(marker, 1)[1]
            if re.fullmatch(r"[a-z][a-z0-9-]*[a-z0-9]", tail):
                return tail
    return None


# --- ids ---------------------------------------------------------------------------------------------
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, TS_BASE)


def uuid_maker(key: str) -> Callable[[str], str]:
    """A function of ``role`` giving ``str(uuid.uuid5(namespace, key + "\\x1f" + role))``: a name-based
    UUID (version 5), so the same key and role always give the same id. The hash of the common prefix is
    computed once, which makes each id a few times cheaper than calling :func:`uuid.uuid5`."""
    prefix = hashlib.sha1(_NAMESPACE.bytes + key.encode() + b"\x1f", usedforsecurity=False)

    def make(role: str) -> str:
        h = prefix.copy()
        h.update(role.encode())
        b = bytearray(h.digest()[:16])
        b[6] = (b[6] & 0x0F) | 0x50  # version 5
        b[8] = (b[8] & 0x3F) | 0x80  # RFC 4122 variant
        x = b.hex()
        return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"

    return make


def derive_uuid(key: str, role: str) -> str:
    """A name-based UUID: the same key and role always give the same id."""
    return str(uuid.uuid5(_NAMESPACE, f"{key}\x1f{role}"))


# --- references ------------------------------------------------------------------------------------
_ID = r"[A-Za-z0-9\-.]{1,64}"
_RELATIVE = re.compile(rf"^(?P<type>[A-Z][A-Za-z]+)/{_ID}(/_history/{_ID})?$")
_ABSOLUTE = re.compile(rf"^https?://[^\s|]+/(?P<type>[A-Z][A-Za-z]+)/{_ID}(/_history/{_ID})?$")
_URN_UUID = re.compile(r"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_REFERENCE_KEYS = frozenset({"reference", "type", "identifier", "display"})


def make_reference(value: str | Mapping[str, Any] | None, kind: str, what: str) -> dict[str, Any] | None:
    """A FHIR Reference to a resource of type ``kind`` from what the caller gave.

    Accepted: ``"Patient/123"``, an absolute URL ending in ``/Patient/123``, ``"SYSTEM|VALUE"`` (a
    logical reference by identifier), or a Reference object with ``reference``, ``identifier``, ``type``
    and ``display``. Errors name ``what`` (e.g. ``patient``), never the value given.
    """
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if "|" in text:
            system, _, ident_value = text.partition("|")
            if not system or not ident_value or "|" in ident_value or any(c.isspace() for c in system):
                raise FhirExportError(f"{what}: an identifier is written SYSTEM|VALUE, both parts present")
            return {"type": kind, "identifier": {"system": system, "value": ident_value}}
        m = _RELATIVE.fullmatch(text) or _ABSOLUTE.fullmatch(text)
        if not m:
            raise FhirExportError(
                f"{what}: expected a reference like {kind}/<id>, an absolute URL ending in {kind}/<id>, "
                "or an identifier SYSTEM|VALUE"
            )
        if m.group("type") != kind:
            raise FhirExportError(f"{what}: the reference must point to a {kind}")
        return {"reference": text}
    if isinstance(value, Mapping):
        unknown = [k for k in value if k not in _REFERENCE_KEYS]
        if unknown:
            raise FhirExportError(f"{what}: a Reference may hold reference, identifier, type and display only")
        out: dict[str, Any] = {}
        ref = value.get("reference")
        if ref is not None:
            checked = make_reference(ref, kind, what) if isinstance(ref, str) else None
            if checked is None or "reference" not in checked:
                raise FhirExportError(f"{what}: 'reference' must be text like {kind}/<id>")
            out["reference"] = checked["reference"]
        typ = value.get("type")
        if typ is not None and typ != kind:
            raise FhirExportError(f"{what}: the reference must point to a {kind}")
        ident = value.get("identifier")
        if ident is not None:
            if (
                not isinstance(ident, Mapping)
                or not isinstance(ident.get("value"), str)
                or not all(isinstance(ident.get(k), str) for k in ident if k in ("system", "value"))
                or any(k not in ("system", "value", "use") for k in ident)
            ):
                raise FhirExportError(f"{what}: 'identifier' must hold text 'system' and 'value'")
            out["identifier"] = dict(ident)
            out["type"] = kind
        display = value.get("display")
        if display is not None:
            if not isinstance(display, str):
                raise FhirExportError(f"{what}: 'display' must be text")
            out["display"] = display
        if "reference" not in out and "identifier" not in out:
            raise FhirExportError(f"{what}: a Reference needs 'reference' or 'identifier'")
        return out
    raise FhirExportError(f"{what}: expected text or a Reference object")


def absent_reference() -> dict[str, Any]:
    """A Reference that says, by the data-absent-reason extension, that it was not given."""
    return {"extension": [{"url": EXT_DATA_ABSENT_REASON, "valueCode": "unknown"}]}


def reference_key(ref: Mapping[str, Any] | None) -> str:
    """A stable text for a Reference, for comparing and for ids."""
    if not ref:
        return ""
    ident = ref.get("identifier") or {}
    return f"{ref.get('reference', '')}#{ident.get('system', '')}|{ident.get('value', '')}"


# --- time ------------------------------------------------------------------------------------------
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")


def format_instant(value: datetime | str | None, what: str = "issued") -> str | None:
    """An ISO 8601 date-time with seconds and a time zone, as FHIR ``instant`` needs, or None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise FhirExportError(f"{what}: a date-time needs a time zone (e.g. UTC)")
        text = value.isoformat(timespec="seconds")
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    if isinstance(value, str) and _DATETIME.fullmatch(value):
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise FhirExportError(f"{what}: not a real date and time") from None
        return value
    raise FhirExportError(f"{what}: expected a date-time like 2026-11-23T10:15:00Z, with seconds and a time zone")


# --- translations (the part's own words are fhir.* in the message catalogue, trafficscreen.messages) ----
def translations(texts: Mapping[str, str | None], primary: str) -> dict[str, Any] | None:
    """The ``_element`` object carrying the standard translation extension for every language other than
    ``primary`` that has a text of its own, or None when there is none. A language whose text is the one
    shown (as when ``primary`` has no translation and English stands in) is left out."""
    shown = texts.get(primary) or texts.get("en")
    ext = [
        {
            "url": EXT_TRANSLATION,
            "extension": [
                {"url": "lang", "valueCode": lang},
                {"url": "content", "valueString": t},
            ],
        }
        for lang in LANGUAGES
        if lang != primary and (t := texts.get(lang)) and t != shown
    ]
    return {"extension": ext} if ext else None
