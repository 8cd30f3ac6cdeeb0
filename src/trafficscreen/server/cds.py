"""CDS Hooks services: discovery, and one service each for ``patient-view`` and ``encounter-start``.

Both services screen the patient's latest QuestionnaireResponse to the set's questionnaire. The EHR
sends it as prefetch (``questionnaireResponse``); when it does not, the service reads it from the
EHR's FHIR server, but only from a server listed in the configuration and with the bearer token the
EHR granted. Without a response the answer is an info card that links to the triage form.

A card says the level, with the indicator mapped from the engine-wide scale:

============  ===========
level         indicator
============  ===========
``none``      ``info``
``concern``   ``info``
``refer``     ``warning``
``urgent``    ``critical``
============  ===========

Its ``detail`` is the referral guidance in Markdown; its ``source`` names the set and version; its
link opens the form. It carries nothing about the patient that the EHR did not send.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote, urlsplit

from ..messages import msg
from ..model.common import Level
from ..model.result import ScreeningResult
from .cds_models import SUMMARY_MAX, Card, CdsResponse, Discovery, Link, Service, Source, dump
from .config import ServerConfigError

PREFETCH_KEY = "questionnaireResponse"
Indicator = Literal["info", "warning", "critical"]
INDICATOR: dict[Level, Indicator] = {
    Level.NONE: "info",
    Level.CONCERN: "info",
    Level.REFER: "warning",
    Level.URGENT: "critical",
}
"""The card indicator for each level of the engine-wide scale."""

MAX_FHIR_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class HookService:
    id: str
    hook: str
    title: str
    description: str


SERVICES: tuple[HookService, ...] = (
    HookService(
        "trafficscreen-patient-view",
        "patient-view",
        "Child trafficking screen",
        "Screens the patient's latest triage QuestionnaireResponse for indicators of child trafficking and "
        "returns the level with referral guidance; links to the triage form when there is none.",
    ),
    HookService(
        "trafficscreen-encounter-start",
        "encounter-start",
        "Child trafficking screen at the start of an encounter",
        "Screens the patient's latest triage QuestionnaireResponse when an encounter starts and returns the "
        "level with referral guidance; links to the triage form when there is none.",
    ),
)
SERVICE_BY_ID = {s.id: s for s in SERVICES}


_QUESTIONNAIRE_URL = re.compile(
    r"https://[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~-]+)*"
)
_QUESTIONNAIRE_URN = re.compile(r"urn:trafficscreen:Questionnaire:[a-z][a-z0-9-]*")
_VERSION = re.compile(r"[0-9A-Za-z.+-]{1,64}")


def prefetch_query(questionnaire_url: str, questionnaire_version: str) -> str:
    """The prefetch template for the patient's latest response to the set's questionnaire.

    The questionnaire's URL comes from the set's ``canonical_url``, which is content: it must be an
    absolute https URL of a host and a plain path (or the ``urn:trafficscreen:`` name of a set without
    one), and its value is percent-encoded into the query, so no ``&``, ``#``, ``{{...}}`` or space in
    it can change the search the EHR runs. :class:`ServerConfigError` otherwise, when the server starts.
    """
    if not (_QUESTIONNAIRE_URL.fullmatch(questionnaire_url) or _QUESTIONNAIRE_URN.fullmatch(questionnaire_url)):
        raise ServerConfigError(
            "the set's canonical_url cannot be used in the CDS Hooks prefetch: it must be an absolute https "
            "URL of a host and a path (letters, digits, '.', '-', '_', '~'), with no query, fragment, user, "
            "space or braces"
        )
    if not _VERSION.fullmatch(questionnaire_version):
        raise ServerConfigError("the set's version cannot be used in the CDS Hooks prefetch")
    value = quote(f"{questionnaire_url}|{questionnaire_version}", safe=":/|")
    return (
        "QuestionnaireResponse?subject=Patient/{{context.patientId}}"
        f"&questionnaire={value}&_sort=-authored&_count=1"
    )


def discovery(questionnaire_url: str, questionnaire_version: str) -> dict[str, Any]:
    query = prefetch_query(questionnaire_url, questionnaire_version)
    doc = Discovery(
        services=[
            Service(
                hook=s.hook,
                title=s.title,
                description=s.description,
                id=s.id,
                prefetch={PREFETCH_KEY: query},
                usageRequirements="The EHR signs each call with its JWT. Results are confidential: show them "
                "only to clinical staff, never in a patient or guardian portal.",
            )
            for s in SERVICES
        ]
    )
    return dump(doc)


def indicator_for(level: Level) -> Indicator:
    return INDICATOR[level]


def _summary(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_MAX else text[: SUMMARY_MAX - 1].rstrip() + "…"


def source_label(result_set_title: str, set_id: str, version: str, lang: str) -> str:
    return msg(lang, "server.card.source", title=result_set_title, set=f"{set_id} {version}")


def result_card(
    result: ScreeningResult, *, guidance_md: str, form_url: str, lang: str, dev_banner: bool
) -> dict[str, Any]:
    """The card for a screening result."""
    detail = guidance_md.strip()
    if dev_banner:
        detail = f"**{msg(lang, 'server.dev')}**\n\n{detail}"
    card = Card(
        uuid=str(uuid.uuid4()),
        summary=_summary(msg(lang, f"level.{result.level.value}")),
        detail=detail,
        indicator=indicator_for(result.level),
        source=Source(label=source_label(result.set.title, result.set.id, result.set.version, lang)),
        links=[Link(label=msg(lang, "server.card.link"), url=form_url, type="absolute")],
    )
    return dump(card)


@dataclass(frozen=True)
class About:
    """What every card of one call says about its source and where the form is."""

    set_title: str
    set_id: str
    version: str
    form_url: str
    lang: str
    dev_banner: bool


def info_card(kind: str, about: About, problem: str = "") -> dict[str, Any]:
    """An info card for a patient with no usable response: ``kind`` is ``missing`` or ``unreadable``."""
    lang = about.lang
    if kind == "unreadable":
        detail = msg(lang, "server.card.detail.unreadable", problem=problem)
    else:
        detail = msg(lang, "server.card.detail.missing")
    if about.dev_banner:
        detail = f"**{msg(lang, 'server.dev')}**\n\n{detail}"
    card = Card(
        uuid=str(uuid.uuid4()),
        summary=_summary(msg(lang, f"server.card.summary.{kind}")),
        detail=detail,
        indicator="info",
        source=Source(label=source_label(about.set_title, about.set_id, about.version, lang)),
        links=[Link(label=msg(lang, "server.card.link"), url=about.form_url, type="absolute")],
    )
    return dump(card)


def response(cards: list[dict[str, Any]]) -> dict[str, Any]:
    return dump(CdsResponse.model_validate({"cards": cards}))


# --- finding the response ---------------------------------------------------------------------------


class NoResponse(Exception):
    """The EHR has no usable response; ``problem`` is empty when there is simply none."""

    def __init__(self, problem: str = "") -> None:
        self.problem = problem
        super().__init__(problem)


def response_from_prefetch(value: Any) -> Mapping[str, Any] | None:
    """The QuestionnaireResponse in a prefetch value: a search Bundle (latest first) or the resource
    itself. None when the Bundle is empty; :class:`NoResponse` when the value is something else."""
    if not isinstance(value, Mapping):
        raise NoResponse("the prefetched value is not a FHIR resource")
    rtype = value.get("resourceType")
    if rtype == "QuestionnaireResponse":
        return value
    if rtype != "Bundle":
        raise NoResponse("the prefetched value is neither a Bundle nor a QuestionnaireResponse")
    entries = value.get("entry") or []
    if not isinstance(entries, list):
        raise NoResponse("the prefetched Bundle's entry is not a list")
    for entry in entries:
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        if isinstance(resource, Mapping) and resource.get("resourceType") == "QuestionnaireResponse":
            search = entry.get("search")
            if isinstance(search, Mapping) and search.get("mode") not in (None, "match"):
                continue
            return resource
    return None


def check_subject(qr: Mapping[str, Any], patient_id: str) -> None:
    """Refuse a response whose subject is another patient (a response without a subject is accepted:
    the EHR's search selected it by subject)."""
    subject = qr.get("subject")
    if subject is None:
        return
    ref = subject.get("reference") if isinstance(subject, Mapping) else None
    if not isinstance(ref, str):
        raise NoResponse("the triage form's subject is not a reference")
    tail = ref.split("/_history/")[0]
    if tail not in (f"Patient/{patient_id}", patient_id) and not tail.endswith(f"/Patient/{patient_id}"):
        raise NoResponse("the triage form found belongs to another patient")


def fhir_server_allowed(server: str, allowed: tuple[str, ...]) -> bool:
    parts = urlsplit(server)
    if parts.scheme not in ("http", "https") or parts.query or parts.fragment or parts.username:
        return False
    return server.rstrip("/") in allowed


async def fetch_latest(
    server: str,
    token: str,
    patient_id: str,
    questionnaire: str,
    *,
    timeout: float,
    max_depth: int,
    parse: Callable[[bytes, int], Any],
) -> Mapping[str, Any] | None:
    """Search the EHR's FHIR server for the patient's latest response (GET, bearer token, no
    redirects, bounded size and time). :class:`NoResponse` when the server cannot be used."""
    import httpx

    url = server.rstrip("/") + "/QuestionnaireResponse"
    params = {"subject": f"Patient/{patient_id}", "questionnaire": questionnaire, "_sort": "-authored", "_count": "1"}
    headers = {"Accept": "application/fhir+json", "Authorization": f"Bearer {token}"}
    try:
        async with (
            httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False) as client,
            client.stream("GET", url, params=params, headers=headers) as reply,
        ):
            if reply.status_code != 200:
                raise NoResponse(f"the FHIR server answered HTTP {reply.status_code}")
            chunks: list[bytes] = []
            size = 0
            async for chunk in reply.aiter_bytes():
                size += len(chunk)
                if size > MAX_FHIR_BYTES:
                    raise NoResponse("the FHIR server's answer is too large")
                chunks.append(chunk)
    except httpx.HTTPError:
        raise NoResponse("the FHIR server could not be reached") from None
    try:
        bundle = parse(b"".join(chunks), max_depth)
    except Exception:
        raise NoResponse("the FHIR server's answer is not usable JSON") from None
    return response_from_prefetch(bundle)
