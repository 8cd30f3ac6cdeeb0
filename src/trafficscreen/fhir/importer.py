"""A QuestionnaireResponse (to a questionnaire made by :func:`~trafficscreen.fhir.questionnaire`) back to
an encounter ``{"id": ..., "answers": {...}}``.

Every problem is one line naming the linkId and what kind of answer was expected, never the answer.
This module does not need fhir.resources.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import Location, SetNotFoundError
from ..model.dictionary import FieldDef, FieldType
from ._common import GROUP_PREFIX, INTRO_LINK_ID, NONE_OF_THESE, TS_CODES, set_id_from_questionnaire_url, set_urls
from .errors import QuestionnaireResponseError

if TYPE_CHECKING:
    from ..core.compiled import CompiledSet

QR_STATUSES = frozenset({"in-progress", "completed", "amended", "entered-in-error", "stopped"})
MAX_DEPTH = 8
MAX_ITEMS = 2000

_VALUE_KEYS = {
    FieldType.BOOLEAN: ("valueBoolean",),
    FieldType.INTEGER: ("valueInteger",),
    FieldType.NUMBER: ("valueDecimal", "valueInteger"),
    FieldType.DATE: ("valueDate",),
    FieldType.ENUM: ("valueCoding",),
    FieldType.SET: ("valueCoding",),
}
_FULL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _name(link_id: Any) -> str:
    """A linkId fit to appear in a message: structural names only, never free text, at most 40
    characters of it."""
    if isinstance(link_id, str) and re.fullmatch(r"[A-Za-z][A-Za-z0-9_\-.]*", link_id):
        return link_id if len(link_id) <= 40 else link_id[:40] + "..."
    return "<unreadable>"


def questionnaire_canonical(qr: Mapping[str, Any]) -> tuple[str, str | None] | None:
    """(url, version) of the questionnaire a response answers, or None when it names none."""
    q = qr.get("questionnaire")
    if not isinstance(q, str) or not q:
        return None
    url, sep, version = q.partition("|")
    return url, (version if sep else None)


def check_questionnaire_reference(
    qr: Mapping[str, Any], expected_url: str, expected_version: str, source: str = "QuestionnaireResponse"
) -> None:
    """Refuse a response to another questionnaire, or to another version of this one."""
    where = Location(source)
    canonical = questionnaire_canonical(qr)
    if canonical is None:
        raise QuestionnaireResponseError(
            f"names no questionnaire ('questionnaire' should be {expected_url}|{expected_version})", where
        )
    url, version = canonical
    if url != expected_url:
        raise QuestionnaireResponseError(
            f"is a response to another questionnaire; this set's questionnaire is {expected_url}", where
        )
    if version is None:
        raise QuestionnaireResponseError(
            f"names the questionnaire without a version; expected {expected_url}|{expected_version}", where
        )
    if version != expected_version:
        raise QuestionnaireResponseError(
            f"answers another version of the questionnaire; this set is version {expected_version}", where
        )


def set_ref_of(qr: Mapping[str, Any]) -> str | None:
    """``id@version`` of the shipped set a response's questionnaire was made from, when it says."""
    canonical = questionnaire_canonical(qr)
    if canonical is None or canonical[1] is None:
        return None
    set_id = set_id_from_questionnaire_url(canonical[0])
    if set_id is None or not re.fullmatch(r"[0-9A-Za-z.+\-]{1,64}", canonical[1]):
        return None
    return f"{set_id}@{canonical[1]}"


def encounter_from_questionnaire_response(
    qr: Mapping[str, Any],
    indicator_set: CompiledSet | str | None = None,
    *,
    source: str = "QuestionnaireResponse",
) -> dict[str, Any]:
    """Map a QuestionnaireResponse back to an encounter dict for :meth:`Screener.screen`.

    ``indicator_set`` is the set whose questionnaire was answered (a CompiledSet or a ref); by default
    it is found from the response's ``questionnaire`` (``.../Questionnaire/<set id>|<version>``). A
    response to another questionnaire or version, an unknown linkId, an answer of the wrong type or a
    code that is not one of the choices raises :class:`QuestionnaireResponseError`. Unanswered questions
    are left out: they are unknown, not 'no'. The encounter's id is the response's ``id``, if any.
    """
    from ..content.loader import load_set
    from ..core.compiled import CompiledSet

    where = Location(source)
    if not isinstance(qr, Mapping) or qr.get("resourceType") != "QuestionnaireResponse":
        raise QuestionnaireResponseError("expected a QuestionnaireResponse resource (a JSON object)", where)
    status = qr.get("status")
    if not isinstance(status, str) or status not in QR_STATUSES:
        raise QuestionnaireResponseError("'status' must be one of " + ", ".join(sorted(QR_STATUSES)), where)
    if status == "entered-in-error":
        raise QuestionnaireResponseError("the response is marked entered-in-error; it cannot be screened", where)

    if indicator_set is None:
        ref = set_ref_of(qr)
        if ref is None:
            raise QuestionnaireResponseError(
                "names no questionnaire made from an indicator set ('questionnaire' should be "
                "<base>/Questionnaire/<set id>|<version>)",
                where,
            )
        try:
            cs = load_set(ref)
        except SetNotFoundError:
            raise QuestionnaireResponseError(
                "answers a questionnaire whose indicator set (or version) is not available here", where
            ) from None
    elif isinstance(indicator_set, CompiledSet):
        cs = indicator_set
    else:
        cs = load_set(indicator_set, allow_draft=True)
    d = cs.definition
    check_questionnaire_reference(qr, set_urls(d.id, d.canonical_url).questionnaire, d.version, source)

    from .questionnaire import questionnaire_fields  # imported here: the Questionnaire is built only when needed

    # the questionnaire's items: every field an indicator reads, and who is present (read by ask rules)
    fields = {f: cs.dictionary.by_id[f] for f in questionnaire_fields(cs)}
    values_system = set_urls(d.id, d.canonical_url)
    answers: dict[str, Any] = {}
    seen: set[str] = set()
    count = 0

    def walk(items: Any, depth: int) -> None:
        nonlocal count
        if items is None:
            return
        if not isinstance(items, list):
            raise QuestionnaireResponseError("'item' must be a list", where)
        if depth > MAX_DEPTH:
            raise QuestionnaireResponseError(f"items nested deeper than {MAX_DEPTH} levels", where)
        for item in items:
            count += 1
            if count > MAX_ITEMS:
                raise QuestionnaireResponseError(f"more than {MAX_ITEMS} items", where)
            if not isinstance(item, Mapping):
                raise QuestionnaireResponseError("each item must be an object with a 'linkId'", where)
            link_id = item.get("linkId")
            if not isinstance(link_id, str):
                raise QuestionnaireResponseError("an item has no text 'linkId'", where)
            if link_id in seen:
                raise QuestionnaireResponseError(f"linkId '{_name(link_id)}' appears more than once", where)
            seen.add(link_id)
            fd = fields.get(link_id)
            if fd is None:
                if link_id.startswith(GROUP_PREFIX) or link_id == INTRO_LINK_ID:
                    if item.get("answer"):
                        raise QuestionnaireResponseError(f"linkId '{_name(link_id)}' takes no answer", where)
                    walk(item.get("item"), depth + 1)
                    continue
                raise QuestionnaireResponseError(
                    f"linkId '{_name(link_id)}' is not a question of this set's questionnaire ({d.ref})", where
                )
            if item.get("item"):
                raise QuestionnaireResponseError(f"linkId '{_name(link_id)}' is a question and holds no items", where)
            value = _answer(fd, item.get("answer"), values_system.field_values(cs.dictionary.id, fd.id), where)
            if value is not None:
                answers[link_id] = value

    walk(qr.get("item"), 0)
    enc_id = qr.get("id")
    return {"id": enc_id if isinstance(enc_id, str) else None, "answers": answers}


def _answer(fd: FieldDef, raw: Any, system: str, where: Location) -> Any:
    lid = fd.id
    if raw is None or raw == []:
        return None
    if not isinstance(raw, list):
        raise QuestionnaireResponseError(f"linkId '{lid}': 'answer' must be a list", where)
    if len(raw) > 1 and fd.type is not FieldType.SET:
        raise QuestionnaireResponseError(f"linkId '{lid}': one answer expected, got {len(raw)}", where)
    allowed = _VALUE_KEYS[fd.type]
    out: list[Any] = []
    for ans in raw:
        if not isinstance(ans, Mapping):
            raise QuestionnaireResponseError(f"linkId '{lid}': each answer must be an object", where)
        if ans.get("item"):
            raise QuestionnaireResponseError(f"linkId '{lid}': answers to this question hold no items", where)
        keys = [k for k in ans if k.startswith("value")]
        if len(keys) != 1:
            raise QuestionnaireResponseError(f"linkId '{lid}': each answer needs exactly one value[x]", where)
        key = keys[0]
        if key not in allowed:
            raise QuestionnaireResponseError(
                f"linkId '{lid}': expected {' or '.join(allowed)}, got {_name(key)}", where
            )
        v = ans[key]
        if fd.type is FieldType.BOOLEAN:
            if not isinstance(v, bool):
                raise QuestionnaireResponseError(f"linkId '{lid}': valueBoolean must be true or false", where)
        elif fd.type in (FieldType.INTEGER, FieldType.NUMBER):
            whole = key == "valueInteger"
            if isinstance(v, bool) or not isinstance(v, (int, float)) or (whole and isinstance(v, float)):
                raise QuestionnaireResponseError(f"linkId '{lid}': {key} must be a number", where)
        elif fd.type is FieldType.DATE:
            if not isinstance(v, str) or not _FULL_DATE.fullmatch(v):
                raise QuestionnaireResponseError(f"linkId '{lid}': valueDate must be a full date YYYY-MM-DD", where)
        else:
            if not isinstance(v, Mapping) or not isinstance(v.get("code"), str):
                raise QuestionnaireResponseError(f"linkId '{lid}': valueCoding needs a 'code'", where)
            if fd.type is FieldType.SET and v.get("system") == TS_CODES and v["code"] == NONE_OF_THESE:
                if len(raw) != 1:
                    raise QuestionnaireResponseError(
                        f"linkId '{lid}': 'none of these' cannot be given with other answers", where
                    )
                return []
            if v.get("system") != system:
                raise QuestionnaireResponseError(
                    f"linkId '{lid}': the coding is not from this question's code system ({system})", where
                )
            if v["code"] not in fd.codes:
                raise QuestionnaireResponseError(
                    f"linkId '{lid}': the answer is not one of its choices ({', '.join(sorted(fd.codes))})", where
                )
            v = v["code"]
        out.append(v)
    if fd.type is FieldType.SET:
        return list(dict.fromkeys(out))
    return out[0]


@dataclass(frozen=True)
class ResponseInput:
    """A QuestionnaireResponse read from a file or standard input, for the ``screen`` command."""

    data: Mapping[str, Any]
    source: str

    @property
    def set_ref(self) -> str | None:
        return set_ref_of(self.data)

    def encounter(self, indicator_set: CompiledSet) -> dict[str, Any]:
        return encounter_from_questionnaire_response(self.data, indicator_set, source=self.source)


def read_questionnaire_response(data: bytes | str, source: str) -> ResponseInput | None:
    """The response in ``data`` when it is a FHIR QuestionnaireResponse; None for anything else (an
    encounter, or input that is not JSON, which the encounter reader then reports)."""
    from ..errors import JSONInputError
    from ..model.encounter import strict_json_loads

    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if b'"resourceType"' not in raw:
        return None
    try:
        parsed = strict_json_loads(raw)
    except JSONInputError as exc:  # a duplicated key, a huge number, a lone surrogate: refused, never read
        raise QuestionnaireResponseError(exc.message, Location(source)) from None
    except (ValueError, RecursionError):
        return None
    if not isinstance(parsed, dict) or "resourceType" not in parsed:
        return None
    if parsed["resourceType"] != "QuestionnaireResponse":
        raise QuestionnaireResponseError(
            f"a FHIR {_name(parsed['resourceType'])} resource; expected an encounter or a QuestionnaireResponse",
            Location(source),
        )
    return ResponseInput(parsed, source)
