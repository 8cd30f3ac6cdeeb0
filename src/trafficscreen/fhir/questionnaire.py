"""An SDC-style FHIR Questionnaire (R4B or R5) generated from an indicator set.

It asks exactly the dictionary fields the set's indicators read, and who is present (below), grouped by
who answers, in dictionary order. Types follow the field types; enum and set fields list their codes as
answer options (``choice`` in R4B, ``coding`` in R5). No question is required: a missing answer is
unknown, not 'no'.

``enableWhen`` has two sources, and a question is hidden only for one of two reasons:

* **no indicator could use its answer** (derived from the set's own conditions): every indicator that
  reads it also requires an earlier question's answer that has been given and rules the indicator out.
  While that earlier question is unanswered, the question stays visible (:func:`derive_enable_when`);
* **it cannot be asked** (the dictionary's ask rules, ``askable_when``): a requirement that is a single
  comparison of one earlier record or clinician question (``age_years >= 8``, ``child_seen_alone``)
  becomes an ``enableWhen`` that holds only when that question is answered and passes, as the engine
  asks the question only when every requirement holds on the answers given (:func:`ask_enable_when`).
  A requirement enableWhen cannot express (``child_speaks_local_language or
  professional_interpreter_present``) is left out, so the question is shown more often than it can be
  asked, never less.

The fields an ask rule reads that no indicator reads (``child_seen_alone``,
``professional_interpreter_present``) are asked too, in their respondent's group, whenever a question of
the set names that rule (:func:`questionnaire_fields`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..expr.tree import And, Compare, Const, ConstList, In, Name, Node, Not
from ..messages import check_lang, msg
from ..model.common import LANGUAGES
from ..model.dictionary import FieldDef, FieldType
from ..model.indicator_set import Status
from ._common import (
    EXT_MAX_VALUE,
    EXT_MIN_VALUE,
    EXT_OPTION_EXCLUSIVE,
    GROUP_PREFIX,
    INTRO_LINK_ID,
    NONE_OF_THESE,
    TS_CODES,
    FhirVersion,
    check_version,
    set_urls,
    translations,
)

if TYPE_CHECKING:
    from ..core.compiled import CompiledSet

_STATUS = {Status.ACTIVE: "active", Status.DRAFT: "draft", Status.RETIRED: "retired"}
_NUMERIC_OPS = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "==": "=", "!=": "!="}


def item_type(fd: FieldDef, version: FhirVersion) -> str:
    """The Questionnaire item type of a dictionary field in ``version``."""
    return {
        FieldType.BOOLEAN: "boolean",
        FieldType.INTEGER: "integer",
        FieldType.NUMBER: "decimal",
        FieldType.DATE: "date",
        FieldType.ENUM: "choice" if version == "R4B" else "coding",
        FieldType.SET: "choice" if version == "R4B" else "coding",
    }[fd.type]


def _conjuncts(node: Node) -> tuple[Node, ...]:
    return node.operands if isinstance(node, And) else (node,)


def _guard(node: Node, fields: dict[str, FieldDef], values_system: Any) -> tuple[str, list[dict[str, Any]]] | None:
    """(field, enableWhen conditions) when ``node`` reads one field and is false only when that field is
    answered and fails; None for anything else."""

    def coding(fid: str, code: str) -> dict[str, Any]:
        return {"system": values_system(fid), "code": code}

    match node:
        case Name(id=f) if f in fields and fields[f].type is FieldType.BOOLEAN:
            return f, [{"question": f, "operator": "=", "answerBoolean": True}]
        case Not(operand=Name(id=f)) if f in fields and fields[f].type is FieldType.BOOLEAN:
            return f, [{"question": f, "operator": "=", "answerBoolean": False}]
        case Compare(op=op, left=Name(id=f), right=Const(value=v)) if f in fields:
            fd = fields[f]
            if fd.type is FieldType.ENUM and isinstance(v, str) and op in ("==", "!="):
                return f, [{"question": f, "operator": _NUMERIC_OPS[op], "answerCoding": coding(f, v)}]
            if fd.type is FieldType.BOOLEAN and isinstance(v, bool) and op == "==":
                return f, [{"question": f, "operator": "=", "answerBoolean": v}]
            if (
                fd.type in (FieldType.INTEGER, FieldType.NUMBER)
                and isinstance(v, (int, float))
                and not isinstance(v, bool)
            ):
                if fd.type is FieldType.INTEGER:
                    if isinstance(v, float) and not v.is_integer():
                        return None
                    return f, [{"question": f, "operator": _NUMERIC_OPS[op], "answerInteger": int(v)}]
                return f, [{"question": f, "operator": _NUMERIC_OPS[op], "answerDecimal": v}]
            return None
        case In(item=Name(id=f), container=ConstList(items=items), negate=False) if (
            f in fields and fields[f].type is FieldType.ENUM
        ):
            codes = [c.value for c in items if isinstance(c.value, str)]
            if len(codes) != len(items):
                return None
            return f, [{"question": f, "operator": "=", "answerCoding": coding(f, c)} for c in codes]
        case In(item=Const(value=v), container=Name(id=f), negate=False) if (
            f in fields and fields[f].type is FieldType.SET and isinstance(v, str)
        ):
            return f, [{"question": f, "operator": "=", "answerCoding": coding(f, v)}]
    return None


def derive_enable_when(cs: CompiledSet, order: list[str], values_system: Any) -> dict[str, list[dict[str, Any]]]:
    """enableWhen conditions per field, derived from the set's indicator conditions.

    Field B gets conditions only when *every* indicator reading B has a top-level ``and`` part that reads
    one earlier field A alone (``A``, ``not A``, ``A == 'x'``, ``A != 'x'``, ``A in [...]``, ``'x' in A``,
    ``A < 18``): when that part is false the indicator is false whatever B says. B is then shown when any
    such A is unanswered or passes its part (enableBehavior ``any``).
    """
    fields = {f: cs.dictionary.by_id[f] for f in cs.used_fields}
    position = {f: i for i, f in enumerate(order)}
    readers: dict[str, list[int]] = {}
    for i, fs in enumerate(cs.indicator_fields):
        for f in fs:
            readers.setdefault(f, []).append(i)
    out: dict[str, list[dict[str, Any]]] = {}
    for b, idx in readers.items():
        conditions: dict[str, dict[str, Any]] = {}
        for i in idx:
            tree = cs.checked.indicators[i][0]
            chosen = None
            for part in _conjuncts(tree):
                g = _guard(part, fields, values_system)
                if g is not None and g[0] != b and position[g[0]] < position[b]:
                    chosen = g
                    break
            if chosen is None:
                conditions = {}
                break
            a, conds = chosen
            for c in [{"question": a, "operator": "exists", "answerBoolean": False}, *conds]:
                conditions.setdefault(json.dumps(c, sort_keys=True), c)
        if conditions:
            out[b] = list(conditions.values())
    return out


def questionnaire_fields(cs: CompiledSet) -> tuple[str, ...]:
    """The fields the set's questionnaire asks, in dictionary order: every field an indicator reads, and
    every field an ask rule of those questions reads (who is present: ``child_seen_alone`` and the like),
    because the engine asks those first and needs their answers to decide what may be asked."""
    used = set(cs.used_fields)
    by_id = cs.dictionary.by_id
    rules = cs.ask_rules
    wanted = set(used)
    for f in cs.used_fields:
        rule = by_id[f].askable_when
        if rule is not None:
            wanted.update(rules[rule].reads)
    return tuple(fd.id for fd in cs.dictionary.fields if fd.id in wanted)


def ask_enable_when(
    cs: CompiledSet, order: list[str], values_system: Any
) -> dict[str, tuple[list[dict[str, Any]], list[str]]]:
    """Per question with an ask rule: (the enableWhen conditions its rule gives, the requirements left out).

    A requirement becomes one condition when it is a single comparison of one field asked earlier
    (``age_years >= 8`` gives ``age_years >= 8``; ``child_seen_alone`` gives ``child_seen_alone = true``).
    Every such condition must hold (``enableBehavior: all``), exactly as the engine requires every
    requirement to be true on the answers given: an unanswered field fails any operator but ``exists``,
    and the engine does not ask while a requirement is still open. Any other requirement (an ``or``, an
    ``in`` list of several codes, two fields) is listed as left out: leaving it out shows the question in
    more cases than it can be asked, never in fewer.
    """
    by_id = cs.dictionary.by_id
    fields = {f: by_id[f] for f in order}
    position = {f: i for i, f in enumerate(order)}
    rules = cs.ask_rules
    texts = {r.id: [req.when.strip() for req in r.requires] for r in cs.dictionary.ask_rules}
    out: dict[str, tuple[list[dict[str, Any]], list[str]]] = {}
    for b in order:
        rule_id = by_id[b].askable_when
        if rule_id is None or b not in cs.used_fields:
            continue
        conds: list[dict[str, Any]] = []
        left_out: list[str] = []
        for k, tree in enumerate(rules[rule_id].trees):
            g = _guard(tree, fields, values_system)
            if g is not None and len(g[1]) == 1 and position[g[0]] < position[b]:
                if g[1][0] not in conds:
                    conds.append(g[1][0])
            else:
                left_out.append(texts[rule_id][k])
        out[b] = (conds, left_out)
    return out


def combine_enable_when(
    derived: list[dict[str, Any]] | None, ask: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], str | None]:
    """One item's enableWhen and enableBehavior from its derived conditions (shown when *any* holds) and
    its ask-rule conditions (shown when *all* hold).

    Both must hold, and enableWhen has one behaviour per item, so they are combined only where that is
    exact: when the derived conditions read one field A (``A`` unanswered, or A passes one condition) and
    an ask condition also reads A with an operator other than ``exists``, A must be answered, so the
    "A unanswered" branch can never show the item and the pair is ``all`` of the ask conditions and A's
    one condition. Otherwise the ask conditions alone are kept: the item is then hidden only when it
    cannot be asked, and shown in some cases where no indicator could use the answer (safe, if longer).
    """
    if not ask:
        return (derived or []), ("any" if derived else None)
    conds = list(ask)
    if derived:
        guards = {c["question"] for c in derived if c["operator"] == "exists"}
        passes = [c for c in derived if c["operator"] != "exists"]
        answered = {c["question"] for c in ask if c["operator"] != "exists"}
        exact = len(guards) == 1 and guards <= answered and len(passes) == 1 and passes[0]["question"] in guards
        if exact and passes[0] not in conds:
            conds.append(passes[0])
    return conds, ("all" if len(conds) > 1 else None)


def _pascal(ident: str) -> str:
    name = "".join(p[:1].upper() + p[1:] for p in re.split(r"[^A-Za-z0-9]+", ident) if p)
    return name if name[:1].isalpha() else f"Q{name}"


def questionnaire(
    indicator_set: CompiledSet | str | Path,
    fhir_version: str = "R4B",
    lang: str = "en",
    *,
    enable_when: bool = True,
    allow_draft: bool = False,
) -> dict[str, Any]:
    """The set's Questionnaire as a JSON-shaped dict.

    Its ``url`` is derived from the set's canonical URL (``.../PlanDefinition/<id>`` gives
    ``.../Questionnaire/<id>``) and its ``version`` is the set's version, so a response names exactly
    the set it can be screened with. Texts are in ``lang``; the other languages the content is written in
    ride along in the standard translation extension on ``_text``.
    """
    from ..content.loader import load_set
    from ..core.compiled import CompiledSet

    version = check_version(fhir_version)
    lang = check_lang(lang)
    cs = indicator_set if isinstance(indicator_set, CompiledSet) else load_set(indicator_set, allow_draft=allow_draft)
    d = cs.definition
    dictionary = cs.dictionary
    urls = set_urls(d.id, d.canonical_url)

    def values_system(fid: str) -> str:
        return urls.field_values(dictionary.id, fid)

    def own_text(key: str) -> tuple[str, dict[str, Any] | None]:
        key = f"fhir.{key}"
        return msg(lang, key), translations({code: msg(code, key) for code in LANGUAGES}, lang)

    by_respondent: dict[str, list[str]] = {}
    for fid in questionnaire_fields(cs):
        by_respondent.setdefault(dictionary.by_id[fid].asked_of.value, []).append(fid)
    order = [fid for members in by_respondent.values() for fid in members]  # the order the form shows
    derived = derive_enable_when(cs, order, values_system) if enable_when else {}
    ask = ask_enable_when(cs, order, values_system) if enable_when else {}

    groups: dict[str, list[dict[str, Any]]] = {}
    for fid in order:
        fd = dictionary.by_id[fid]
        item: dict[str, Any] = {}
        ext: list[dict[str, Any]] = []
        if fd.type in (FieldType.INTEGER, FieldType.NUMBER):
            vkey = "valueInteger" if fd.type is FieldType.INTEGER else "valueDecimal"
            for url, bound in ((EXT_MIN_VALUE, fd.min), (EXT_MAX_VALUE, fd.max)):
                if bound is not None:
                    ext.append({"url": url, vkey: int(bound) if fd.type is FieldType.INTEGER else bound})
        if ext:
            item["extension"] = ext
        item["linkId"] = fid
        item["code"] = [
            {
                "system": urls.dictionary_fields(dictionary.id),
                "version": dictionary.version,
                "code": fid,
                "display": fd.label.en,
            }
        ]
        item["text"] = fd.question.get(lang)
        tr = translations(fd.question.model_dump(), lang)
        if tr:
            item["_text"] = tr
        item["type"] = item_type(fd, version)
        conds, behaviour = combine_enable_when(derived.get(fid), ask[fid][0] if fid in ask else [])
        if conds:
            item["enableWhen"] = conds
            if behaviour is not None:
                item["enableBehavior"] = behaviour
        if fd.type is FieldType.SET:
            item["repeats"] = True
        if fd.type in (FieldType.ENUM, FieldType.SET):
            if version == "R5":
                item["answerConstraint"] = "optionsOnly"
            options: list[dict[str, Any]] = []
            for v in fd.values or ():
                coding: dict[str, Any] = {"system": values_system(fid), "code": v.code, "display": v.label.get(lang)}
                dtr = translations(v.label.model_dump(), lang)
                if dtr:
                    coding["_display"] = dtr
                options.append({"valueCoding": coding})
            if fd.type is FieldType.SET:
                # 'none of these' is a known empty list; leaving the question unanswered is unknown
                none_text, none_tr = own_text("none_of_these")
                none: dict[str, Any] = {"system": TS_CODES, "code": NONE_OF_THESE, "display": none_text}
                if none_tr:
                    none["_display"] = none_tr
                options.append(
                    {"extension": [{"url": EXT_OPTION_EXCLUSIVE, "valueBoolean": True}], "valueCoding": none}
                )
            item["answerOption"] = options
        groups.setdefault(fd.asked_of.value, []).append(item)

    items: list[dict[str, Any]] = []
    intro_text, intro_tr = own_text("intro")
    intro: dict[str, Any] = {"linkId": INTRO_LINK_ID, "text": intro_text}
    if intro_tr:
        intro["_text"] = intro_tr
    intro["type"] = "display"
    items.append(intro)
    for respondent, members in groups.items():
        g_text, g_tr = own_text(f"group.{respondent}")
        group: dict[str, Any] = {"linkId": f"{GROUP_PREFIX}{respondent}", "text": g_text}
        if g_tr:
            group["_text"] = g_tr
        group["type"] = "group"
        group["item"] = members
        items.append(group)

    changed = next((c.date.isoformat() for c in d.changelog if c.version == d.version), None)
    q: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": re.sub(r"[^A-Za-z0-9\-.]", "-", f"{d.id}-{d.version}")[:64],
        "language": lang,
        "url": urls.questionnaire,
        "version": d.version,
        "name": _pascal(d.id),
        "title": d.title.get(lang),
    }
    ttr = translations(d.title.model_dump(), lang)
    if ttr:
        q["_title"] = ttr
    q["status"] = _STATUS[d.status]
    q["experimental"] = d.status is Status.DRAFT
    q["subjectType"] = ["Patient"]
    if changed:
        q["date"] = changed
    q["description"] = d.description.get(lang)
    dtr = translations(d.description.model_dump(), lang)
    if dtr:
        q["_description"] = dtr
    q["item"] = items
    return q
