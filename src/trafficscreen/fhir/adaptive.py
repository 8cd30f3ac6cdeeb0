"""HL7 SDC adaptive questionnaires: ``Questionnaire/$next-question`` for a set's generated Questionnaire.

The client sends the answers so far as a QuestionnaireResponse; the service screens them and sends the
same response back with the next few questions added, chosen by the engine's own ``ask_next`` — never
recomputed here. Following SDC (Adaptive Forms page; OperationDefinition ``Questionnaire-next-question``;
profiles ``sdc-questionnaireresponse-adapt`` and ``sdc-questionnaire-adapt``):

* the response carries the questions asked so far as a **contained Questionnaire** (``questionnaire:
  "#q"``), marked with the ``questionnaireAdaptive`` extension, without a ``url`` and with ``derivedFrom``
  naming the set's Questionnaire (``url|version``); each call **appends** the next questions to it;
* the input is the ``questionnaire-response`` parameter of a ``Parameters`` resource, or the response
  itself as the body (FHIR R4 Operations: an operation with one resource input may be called that way);
  the output is the response itself (the operation's only output, ``return``, is a resource, so the
  Parameters wrapper is not used);
* when the interview is over, ``status`` is ``completed``.

It is over when the level is **settled** (no missing answer can change it), when no question that could
change it can be asked of anyone present now (``ask_next`` is empty), or when every such question has
been offered: a question offered and left unanswered counts as skipped (unknown, never "no") and is not
offered again. Then no item is added; a display item (``adaptive-status``) says why in plain words, and
the extension ``next-question-finished`` says it as a code (``settled``, ``nothing-askable``,
``all-offered``). The questions no one present can ask (``result.cannot_ask``) are shown as display items
(``adaptive-cannot-ask-<rule>``) with the dictionary's reasons and what to do instead; they are rebuilt on
every call.

Answers are read with :func:`~trafficscreen.fhir.importer.encounter_from_questionnaire_response`, except
the answers to questions about who is present that only an ask rule reads (``child_seen_alone``), which
that reader does not know and which are read here with its own answer checks. Errors name the element or
linkId, never an answer.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import EncounterError, Location
from ..messages import msg
from ..model.common import LANGUAGES, Level
from ._common import GROUP_PREFIX, INTRO_LINK_ID, TS_BASE, check_version, security_labels, set_urls
from .errors import NextQuestionError, QuestionnaireResponseError
from .importer import (
    MAX_DEPTH,
    MAX_ITEMS,
    _answer,
    _name,
    check_questionnaire_reference,
    encounter_from_questionnaire_response,
)
from .questionnaire import questionnaire, questionnaire_fields

if TYPE_CHECKING:
    from ..core.engine import Screener
    from ..model.result import ScreeningResult

SDC = "http://hl7.org/fhir/uv/sdc/StructureDefinition"
EXT_ADAPTIVE = f"{SDC}/sdc-questionnaire-questionnaireAdaptive"
PROFILE_ADAPTIVE_RESPONSE = f"{SDC}/sdc-questionnaireresponse-adapt"
PROFILE_ADAPTIVE_QUESTIONNAIRE = f"{SDC}/sdc-questionnaire-adapt"
EXT_FINISHED = f"{TS_BASE}/StructureDefinition/next-question-finished"
"""Extension on a completed response: why no further question was added (a code, below)."""
FINISHED_CODES = ("settled", "nothing-askable", "all-offered")

PARAMETER_NAMES = ("questionnaire-response", "questionnaireResponse")
"""The input parameter: SDC names it ``questionnaire-response``; ``questionnaireResponse`` is accepted too."""
DISPLAY_PREFIX = "adaptive-"
"""linkIds of the display items this operation writes; field ids never hold a '-', so they cannot collide."""
STATUS_LINK_ID = f"{DISPLAY_PREFIX}status"
CANNOT_ASK_PREFIX = f"{DISPLAY_PREFIX}cannot-ask-"
CONTAINED_ID = "q"
DEFAULT_COUNT = 3
MAX_COUNT = 20

_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


def operation_outcome(message: str, status: int = 400) -> dict[str, Any]:
    """The OperationOutcome for an error: one issue, ``error``, with the message as diagnostics."""
    code = {400: "invalid", 413: "too-costly", 415: "not-supported", 422: "processing"}.get(status, "exception")
    return {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": code, "diagnostics": message}]}


class _Language:
    """The parts of the adaptive Questionnaire that depend only on the set and the language."""

    def __init__(self, screener: Screener, version: str, lang: str) -> None:
        cs = screener.set
        full = questionnaire(cs, version, lang)
        self.items: dict[str, dict[str, Any]] = {}
        for group in full["item"]:
            for item in group.get("item", ()):
                # enableWhen is left out: the service decides what is asked, and the questions an
                # enableWhen names may not be in the adaptive Questionnaire
                template: dict[str, Any] = {}
                for key, value in item.items():
                    if key not in ("enableWhen", "enableBehavior"):
                        template[key] = value
                    if key == "linkId":  # who answers: the adaptive form lists questions in the order asked
                        template["prefix"] = msg(lang, f"fhir.adaptive.{cs.dictionary.by_id[value].asked_of.value}")
                self.items[item["linkId"]] = template
        head = ("language", "version", "name", "title", "_title", "status", "experimental")
        self.head: dict[str, Any] = {k: full[k] for k in head if k in full}
        self.levels: dict[Level, str] = {lv.scale: lv.title.get(lang) for lv in cs.definition.levels}
        self.levels[Level.NONE] = msg(lang, "level.none")
        self.lang = lang


class AdaptiveQuestionnaire:
    """``$next-question`` for one set, screened by ``screener``; immutable and safe to share between
    threads.

    >>> adaptive = AdaptiveQuestionnaire(Screener(load_set("paediatric-default")))     # doctest: +SKIP
    >>> response = adaptive.next_question({"resourceType": "QuestionnaireResponse", ...})  # doctest: +SKIP
    """

    def __init__(self, screener: Screener, fhir_version: str = "R4B", *, count: int = DEFAULT_COUNT) -> None:
        self.screener = screener
        cs = screener.set
        d = cs.definition
        self.version = check_version(fhir_version)
        self.url = set_urls(d.id, d.canonical_url).questionnaire
        self.set_version = d.version
        self.canonical = f"{self.url}|{d.version}"
        self.count = _count(count)
        self.fields = questionnaire_fields(cs)
        used = set(cs.used_fields)
        self.presence = {f: cs.dictionary.by_id[f] for f in self.fields if f not in used}
        """Fields only an ask rule reads: the importer does not know them, so they are read here."""
        self._systems = {f: set_urls(d.id, d.canonical_url).field_values(cs.dictionary.id, f) for f in self.presence}
        self._langs = {lang: _Language(screener, self.version, lang) for lang in LANGUAGES}

    # --- the operation ----------------------------------------------------------------------------

    def next_question(
        self, body: Mapping[str, Any], *, lang: str | None = None, count: int | str | None = None
    ) -> dict[str, Any]:
        """The response in ``body`` (a Parameters resource or the QuestionnaireResponse itself) with its
        next questions added, as a new JSON-shaped dict; raises :class:`NextQuestionError`."""
        lang = self._lang(lang)
        n = self.count if count is None else _count(count)
        qr = _unwrap(body)
        try:
            given: dict[str, Any] = json.loads(json.dumps(qr))
        except (TypeError, ValueError, RecursionError):
            raise NextQuestionError("the QuestionnaireResponse is not JSON-shaped data") from None
        cid, contained, shown = self._contained(given)
        answers, answered_items = self._answers(given)
        try:
            result = self.screener.screen({"answers": answers}, lang=lang)
        except EncounterError as exc:
            raise NextQuestionError(str(exc), 422) from None

        for f in answered_items:
            if f not in shown:
                shown.append(f)
        parts = self._langs[lang]
        finished: str | None = None
        new: list[str] = []
        if result.settled:
            finished = "settled"
        else:
            offered = set(shown)
            # the engine's own order; a field outside the questionnaire could not be shown, so it is skipped
            new = [q.field for q in result.ask_next if q.field not in offered and q.field in parts.items][:n]
            if not new:
                finished = "all-offered" if result.ask_next else "nothing-askable"

        items = [copy.deepcopy(parts.items[f]) for f in [*shown, *new]]
        items.extend(self._cannot_ask(result))
        if finished is not None:
            items.append({"linkId": STATUS_LINK_ID, "text": self._why(finished, result, parts), "type": "display"})
        adaptive: dict[str, Any] = {
            "resourceType": "Questionnaire",
            "id": cid,
            "meta": {"profile": [PROFILE_ADAPTIVE_QUESTIONNAIRE], "security": security_labels(False)},
            "extension": [{"url": EXT_ADAPTIVE, "valueBoolean": True}],
            **copy.deepcopy(parts.head),
            "derivedFrom": [self.canonical],
            "subjectType": ["Patient"],
        }
        if items:
            adaptive["item"] = items
        return self._response(given, adaptive, contained, answered_items, shown, finished)

    # --- steps ------------------------------------------------------------------------------------

    def _lang(self, lang: str | None) -> str:
        if lang is None:
            return self.screener.lang
        if lang not in LANGUAGES:
            raise NextQuestionError(f"language not supported; choose one of {', '.join(LANGUAGES)}")
        return lang

    def _contained(self, qr: dict[str, Any]) -> tuple[str, list[Any], list[str]]:
        """(id of the adaptive Questionnaire, the other contained resources, the questions it has shown),
        after checking that it derives from this set's Questionnaire."""
        contained = qr.get("contained", [])
        if not isinstance(contained, list):
            raise NextQuestionError("'contained' must be a list of resources")
        ref = qr.get("questionnaire")
        if not (isinstance(ref, str) and ref.startswith("#")):
            # a first call may name the set's Questionnaire itself; the answer then contains one
            _check_reference(ref, self.url, self.set_version)
            return CONTAINED_ID, contained, []
        cid = ref[1:]
        found = [r for r in contained if isinstance(r, Mapping) and r.get("id") == cid]
        if len(found) != 1 or found[0].get("resourceType") != "Questionnaire" or not _FHIR_ID.match(cid):
            raise NextQuestionError("'questionnaire' must name one contained Questionnaire ('#' and its id)")
        adaptive = found[0]
        derived = adaptive.get("derivedFrom")
        if not (isinstance(derived, list) and len(derived) == 1 and isinstance(derived[0], str)):
            raise NextQuestionError(
                f"the contained Questionnaire must name the questionnaire it derives from in 'derivedFrom' "
                f"({self.canonical})",
                422,
            )
        _check_reference(derived[0], self.url, self.set_version)
        shown: list[str] = []
        questions = set(self.fields)
        for link_id, _item in _walk(adaptive.get("item"), "the contained Questionnaire"):
            if link_id in questions:
                if link_id not in shown:
                    shown.append(link_id)
            elif not _ours(link_id):
                raise NextQuestionError(
                    f"the contained Questionnaire holds linkId '{_name(link_id)}', which is not a question of "
                    f"this set's questionnaire",
                    422,
                )
        return cid, [r for r in contained if r is not adaptive], shown

    def _answers(self, qr: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Mapping[str, Any]]]:
        """The answers of the response, and its answered items by linkId (in the order given)."""
        where = Location("QuestionnaireResponse")
        kept, presence = _split(qr.get("item"), set(self.presence))
        readable = {
            "resourceType": "QuestionnaireResponse",
            "status": qr.get("status"),
            "questionnaire": self.canonical,
            "item": kept,
        }
        try:
            answers: dict[str, Any] = encounter_from_questionnaire_response(readable, self.screener.set)["answers"]
            seen: set[str] = set()
            for item in presence:
                link_id = item["linkId"]
                if link_id in seen:
                    raise QuestionnaireResponseError(f"linkId '{link_id}' appears more than once", where)
                seen.add(link_id)
                if item.get("item"):
                    raise QuestionnaireResponseError(f"linkId '{link_id}' is a question and holds no items", where)
                value = _answer(self.presence[link_id], item.get("answer"), self._systems[link_id], where)
                if value is not None:
                    answers[link_id] = value
        except QuestionnaireResponseError as exc:
            raise NextQuestionError(str(exc), 422) from None
        answered: dict[str, Mapping[str, Any]] = {}
        for link_id, item in _walk(qr.get("item"), "the QuestionnaireResponse"):
            if link_id in answers and link_id not in answered:
                answered[link_id] = item
        return answers, answered

    def _cannot_ask(self, result: ScreeningResult) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        seen: set[str] = set()
        for c in result.cannot_ask:
            link_id = f"{CANNOT_ASK_PREFIX}{c.rule}"
            while link_id in seen:
                link_id += "-"
            seen.add(link_id)
            out.append({"linkId": link_id, "text": f"{c.title}: {' '.join(c.reasons)}", "type": "display"})
        return out

    @staticmethod
    def _why(finished: str, result: ScreeningResult, parts: _Language) -> str:
        return msg(
            parts.lang,
            f"fhir.adaptive.{finished}",
            level=parts.levels[result.level],
            highest=parts.levels[result.highest_possible],
        )

    def _response(
        self,
        given: dict[str, Any],
        adaptive: dict[str, Any],
        contained: list[Any],
        answered: dict[str, Mapping[str, Any]],
        shown: list[str],
        finished: str | None,
    ) -> dict[str, Any]:
        from .export import _merge_security

        meta = _merge_security(given.get("meta"), security_labels(False))
        if "subject" in given and "authored" in given:  # what the SDC profile requires besides our part
            given_profiles = meta.get("profile")
            profiles: list[Any] = given_profiles if isinstance(given_profiles, list) else []
            if PROFILE_ADAPTIVE_RESPONSE not in profiles:
                profiles = [*profiles, PROFILE_ADAPTIVE_RESPONSE]
            meta["profile"] = profiles
        own = given.get("extension", [])
        if not isinstance(own, list):
            raise NextQuestionError("'extension' must be a list")
        extensions = [e for e in own if not (isinstance(e, Mapping) and e.get("url") == EXT_FINISHED)]
        if finished is not None:
            extensions.append({"url": EXT_FINISHED, "valueCode": finished})
        out: dict[str, Any] = {"resourceType": "QuestionnaireResponse"}
        if "id" in given:
            out["id"] = given["id"]
        out["meta"] = meta
        out["contained"] = [adaptive, *contained]
        if extensions:
            out["extension"] = extensions
        for key, value in given.items():
            if key not in ("resourceType", "id", "meta", "contained", "extension", "questionnaire", "status", "item"):
                out[key] = value
        out["questionnaire"] = f"#{adaptive['id']}"
        out["status"] = "completed" if finished is not None else "in-progress"
        items = [answered[f] for f in shown if f in answered]  # flat, in the adaptive Questionnaire's order
        if items:
            out["item"] = items
        return out


# --- helpers ----------------------------------------------------------------------------------------


def _count(value: int | str) -> int:
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,3}", value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_COUNT:
        raise NextQuestionError(f"count must be a whole number from 1 to {MAX_COUNT}")
    return value


def _check_reference(canonical: Any, url: str, version: str) -> None:
    try:
        check_questionnaire_reference({"questionnaire": canonical}, url, version)
    except QuestionnaireResponseError as exc:
        raise NextQuestionError(str(exc), 422) from None


def _unwrap(body: Any) -> Mapping[str, Any]:
    """The QuestionnaireResponse of a request body: a Parameters resource with one
    ``questionnaire-response`` parameter, or the response itself."""
    if not isinstance(body, Mapping):
        raise NextQuestionError("expected a Parameters or QuestionnaireResponse resource (a JSON object)")
    rtype = body.get("resourceType")
    if rtype == "QuestionnaireResponse":
        return body
    if rtype != "Parameters":
        raise NextQuestionError(f"expected a Parameters or QuestionnaireResponse resource, not {_name(rtype)}")
    params = body.get("parameter")
    if not isinstance(params, list) or not all(isinstance(p, Mapping) for p in params):
        raise NextQuestionError("Parameters.parameter must be a list of parameters")
    for p in params:
        if p.get("name") not in PARAMETER_NAMES:
            raise NextQuestionError(
                f"unknown parameter '{_name(p.get('name'))}'; $next-question takes one 'questionnaire-response'"
            )
    if len(params) != 1:
        raise NextQuestionError("$next-question takes exactly one 'questionnaire-response' parameter")
    resource = params[0].get("resource")
    if not isinstance(resource, Mapping) or resource.get("resourceType") != "QuestionnaireResponse":
        raise NextQuestionError("the 'questionnaire-response' parameter must hold a QuestionnaireResponse resource")
    return resource


def _ours(link_id: str) -> bool:
    """A linkId of a display item or group this library writes (never a question)."""
    return link_id.startswith((DISPLAY_PREFIX, GROUP_PREFIX)) or link_id == INTRO_LINK_ID


def _walk(items: Any, what: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(linkId, item) of every item, depth first, within the importer's limits."""
    count = 0
    stack: list[tuple[Any, int]] = [(items, 0)]
    while stack:
        level, depth = stack.pop()
        if level is None:
            continue
        if not isinstance(level, list):
            raise NextQuestionError(f"'item' in {what} must be a list")
        if depth > MAX_DEPTH:
            raise NextQuestionError(f"items in {what} nested deeper than {MAX_DEPTH} levels")
        children: list[tuple[Any, int]] = []
        for item in level:
            count += 1
            if count > MAX_ITEMS:
                raise NextQuestionError(f"more than {MAX_ITEMS} items in {what}")
            if not isinstance(item, Mapping) or not isinstance(item.get("linkId"), str):
                raise NextQuestionError(f"each item in {what} must be an object with a text 'linkId'")
            yield item["linkId"], item
            children.append((item.get("item"), depth + 1))
        stack.extend(reversed(children))


def _split(items: Any, presence: set[str]) -> tuple[Any, list[Mapping[str, Any]]]:
    """The response's items without those only this module reads (who is present) and without the display
    items it writes, and the presence items taken out. Shapes it does not know are left to the importer."""
    taken: list[Mapping[str, Any]] = []

    def strip(level: Any, depth: int) -> Any:
        if not isinstance(level, list) or depth > MAX_DEPTH:
            return level
        kept: list[Any] = []
        for item in level:
            link_id = item.get("linkId") if isinstance(item, Mapping) else None
            if isinstance(link_id, str) and link_id in presence:
                taken.append(item)
                continue
            if isinstance(link_id, str) and link_id.startswith(DISPLAY_PREFIX):
                if item.get("answer"):
                    raise NextQuestionError(f"linkId '{_name(link_id)}' is a display item and takes no answer", 422)
                continue
            if isinstance(item, Mapping) and isinstance(item.get("item"), list):
                item = {**item, "item": strip(item["item"], depth + 1)}
            kept.append(item)
        return kept

    return strip(items, 0), taken


__all__ = [
    "DEFAULT_COUNT",
    "EXT_ADAPTIVE",
    "EXT_FINISHED",
    "FINISHED_CODES",
    "MAX_COUNT",
    "AdaptiveQuestionnaire",
    "NextQuestionError",
    "operation_outcome",
]
