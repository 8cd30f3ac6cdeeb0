"""Referral guidance: what a nurse does next, safely, in their own country and language.

:func:`render_guidance` turns a :class:`~trafficscreen.ScreeningResult` into a sheet that says, for the
level reached, what it means in plain words, what to do now, whom to contact and how (in order), what to
record and who may see it, and which questions are still worth asking. It reads only the result, a
jurisdiction pack, an optional site file and a message catalogue: it never re-evaluates a rule.

The sheet carries no patient data: not the encounter id, not an answer. A caller who wants a label on a
printed sheet passes ``patient_label`` on purpose.

Templates run in a Jinja2 sandbox (:mod:`trafficscreen.render.sandbox`); Jinja2 is imported only when
guidance is rendered.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .._version import __version__
from ..errors import SchemaError
from ..model.common import Level
from ..model.referral import Contact, ReferralPack, SiteFile, SiteSlot, text_in
from ..model.result import ScreeningResult
from .text import unaskable_groups

if TYPE_CHECKING:
    from .sandbox import GuidanceSandbox

Format = Literal["text", "markdown", "html"]
FORMATS: tuple[str, ...] = ("text", "markdown", "html")
TEMPLATE_NAMES: dict[str, str] = {
    "text": "guidance.txt.j2",
    "markdown": "guidance.md.j2",
    "html": "guidance.html.j2",
}
MAX_QUESTIONS: dict[str, int] = {"text": 12, "markdown": 12, "html": 5}
"""Questions listed by default; the HTML sheet lists fewer so it prints on one page."""
MAX_REASONS: dict[str, int] = {"text": 8, "markdown": 8, "html": 3}
MAX_LABEL = 80

_ASKED_OF_ORDER = ("child", "companion", "clinician", "record")

# Control characters (C0 but tab and newline, C1) and bidirectional overrides, which can hide or
# reorder text in a terminal or a browser.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~&!])")
_MD_LEADING = re.compile(r"^(\s*)([-+=]|\d+[.)])")


def _clean(text: str) -> str:
    return _CONTROLS.sub("", unicodedata.normalize("NFC", text))


def _md(text: str) -> str:
    """Escape text for Markdown: no markup, links, HTML or list/heading syntax can come through."""
    text = _clean(text).replace("\r", " ").replace("\n", " ")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return _MD_LEADING.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


_ESCAPERS: dict[str, Callable[[str], str]] = {"text": _clean, "markdown": _md, "html": _clean}


def _tel(phone: str) -> str:
    head = phone.split("ext")[0].split("x")[0]
    return "".join(ch for ch in head if ch.isdigit() or ch == "+")


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or url
    return host[4:] if host.startswith("www.") else host


def _check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise SchemaError(f"guidance format '{fmt[:20]}' is not one of {', '.join(FORMATS)}")
    return fmt


@lru_cache(maxsize=16)
def _environment(templates: str | None) -> GuidanceSandbox:
    from .sandbox import make_environment

    return make_environment(Path(templates) if templates is not None else None)


def _messages(lang: str, esc: Callable[[str], str], messages_dir: Path | None) -> dict[str, str]:
    from ..content.referral import load_messages

    return {k: esc(v) for k, v in load_messages(lang, messages_dir).items()}


def build_context(
    result: ScreeningResult,
    *,
    lang: str,
    pack: ReferralPack,
    site: SiteFile | None = None,
    format: str = "text",
    patient_label: str | None = None,
    max_questions: int | None = None,
    messages_dir: Path | None = None,
) -> dict[str, Any]:
    """The plain data a guidance template is given: ``m`` (the words, by key) and ``g`` (this sheet).

    Every string is already cleaned of control characters, and escaped for Markdown when ``format`` is
    ``markdown`` (HTML is escaped by the template engine). URLs and phone links are checked when the
    pack or site file is loaded.
    """
    from ..content.referral import fill, merge

    fmt = _check_format(format)
    esc = _ESCAPERS[fmt]
    raw = _messages(lang, lambda s: s, messages_dir)
    m = {k: esc(v) for k, v in raw.items()}

    def say(key: str, **values: str) -> str:
        return esc(fill(raw[key], **values))

    routes = merge(pack, site)
    level = result.level
    lvl = level.value

    def contact_view(item: Contact | SiteSlot) -> dict[str, Any]:
        if isinstance(item, SiteSlot):
            return {
                "configured": False,
                "id": item.id,
                "name": esc(text_in(item.name, lang)),
                "why": esc(text_in(item.why, lang)),
            }
        return {
            "configured": True,
            "id": item.id,
            "local": item.id in routes.local_ids,
            "name": esc(text_in(item.name, lang)),
            "role": esc(text_in(item.role, lang)),
            "how": esc(text_in(item.how, lang)),
            "phone": esc(item.phone or ""),
            "tel": _tel(item.phone or ""),
            "sms": esc(item.sms or ""),
            "url": item.url or "",
            "host": esc(_host(item.url)) if item.url else "",
            "email": esc(item.email or ""),
            "hours": esc(text_in(item.hours, lang)),
            "source": esc(item.source),
            "checked": item.checked.isoformat(),
            "verified": item.verified,
            "note": esc(text_in(item.note, lang)),
        }

    contacts = [contact_view(c) for c in routes.contacts_at(level)]
    steps = [
        {
            "text": esc(text_in(s.text, lang)),
            "verified": s.verified,
            "source": esc(s.source),
            "checked": s.checked.isoformat(),
            "local": s.id in routes.local_ids,
        }
        for s in routes.steps_at(level)
    ]

    limit = MAX_QUESTIONS[fmt] if max_questions is None else max(0, max_questions)
    shown = result.ask_next[:limit]
    groups = []
    for who in _ASKED_OF_ORDER:
        items = [{"text": esc(q.question), "red_flag": q.red_flag} for q in shown if q.asked_of.value == who]
        if items:
            groups.append({"who": who, "heading": m[f"ask.{who}"], "items": items})

    flagged = {i.id: i for i in result.indicators}
    red_flags = [esc(flagged[r].text) for r in result.red_flags if r in flagged]
    reasons = [esc(r) for r in result.reasons[: MAX_REASONS[fmt]]]
    rises = result.highest_possible.rank > level.rank
    label = None
    if patient_label is not None:
        label = esc(_clean(patient_label).strip()[:MAX_LABEL]) or None

    g: dict[str, Any] = {
        "lang": lang,
        "format": fmt,
        "level": lvl,
        "rank": level.rank,
        "none": level is Level.NONE,
        "urgent": level is Level.URGENT,
        "patient_label": label,
        "heading": m[f"level.{lvl}.heading"],
        "meaning": m[f"level.{lvl}.meaning"],
        "set_level_title": esc(result.level_title),
        "could_rise": say("rise", level=raw[f"level.{result.highest_possible.value}.heading"]) if rises else "",
        "answered": say("answered", answered=str(result.completeness.answered), total=str(result.completeness.total)),
        "reasons": reasons,
        "reasons_more": _more(say, len(result.reasons) - len(reasons)),
        "red_flags": red_flags,
        "forms": [esc(f.label) for f in result.forms],
        "actions": [m[k] for k in _action_keys(level)],
        "steps": steps,
        "contacts": contacts,
        "emergency": esc(pack.emergency),
        "emergency_tel": _tel(pack.emergency),
        "record": [m[k] for k in ("rec.essential", "rec.portal", "rec.codes", "rec.sheet")],
        "questions": groups,
        "questions_more": _more(say, len(result.ask_next) - len(shown)),
        "no_questions": not result.ask_next,
        "cannot_ask": [
            {"title": esc(c.title), "n": len(c.fields), "reasons": [esc(r) for r in reasons]}
            for c, reasons in unaskable_groups(result)
        ],
        "jurisdiction": esc(text_in(pack.title, lang)),
        "pack": esc(pack.ref),
        "pack_verified": pack.verified,
        "pack_note": esc(text_in(pack.note, lang)),
        "site": esc(text_in(site.name, lang)) if site is not None else "",
        "set": esc(f"{result.set.id} {result.set.version}"),
        "set_title": esc(result.set.title),
        "engine": esc(__version__),
        "notice": esc(result.notice),
        "warnings": [esc(w) for w in result.warnings],
    }
    g["about"] = say("about.sources", pack=pack.ref, set=f"{result.set.id} {result.set.version}", version=__version__)
    return {"m": m, "g": g}


def _more(say: Callable[..., str], n: int) -> str:
    return say("more", n=str(n)) if n > 0 else ""


def _action_keys(level: Level) -> list[str]:
    """The safe-practice steps for each level, as message keys, most urgent first."""
    if level is Level.NONE:
        return ["do.none.remains", "do.none.alone", "do.interpreter", "do.age", "do.none.lead"]
    first = {
        Level.CONCERN: ["do.concern.lead"],
        Level.REFER: ["do.refer.now"],
        Level.URGENT: ["do.urgent.danger", "do.urgent.stay"],
    }[level]
    return [*first, "do.separate", "do.interpreter", "do.no_confront", "do.age", "do.ask"]


def render_guidance(
    result: ScreeningResult,
    *,
    jurisdiction: str | ReferralPack,
    lang: str | None = None,
    site: str | Path | SiteFile | None = None,
    format: Format | str = "text",
    templates: str | Path | None = None,
    patient_label: str | None = None,
    max_questions: int | None = None,
) -> str:
    """Referral guidance for ``result`` in ``format`` (``text``, ``markdown`` or ``html``).

    ``jurisdiction`` is a pack code or alias (``NO``, ``PT``, ``US``, ``GB``), ``CODE@version``, a path to
    a pack file, or a loaded :class:`ReferralPack`. ``lang`` defaults to the result's language; the
    result's own texts (reasons, questions) stay in the language it was screened in. ``site`` is a
    deployer's site file (path or loaded). ``templates`` is a folder of the deployer's own templates
    (``guidance.txt.j2``, ``guidance.md.j2``, ``guidance.html.j2``; a missing one falls back to the
    shipped one). ``patient_label`` is printed on the sheet only when passed. Raises
    :class:`~trafficscreen.errors.TemplateError` for a broken or hostile template.
    """
    from ..content.referral import load_pack, load_site
    from ..messages import check_lang
    from .sandbox import render

    fmt = _check_format(str(format))
    language = check_lang(lang if lang is not None else result.lang)
    pack = jurisdiction if isinstance(jurisdiction, ReferralPack) else load_pack(jurisdiction)
    site_file = site if isinstance(site, SiteFile) or site is None else load_site(site)
    context = build_context(
        result,
        lang=language,
        pack=pack,
        site=site_file,
        format=fmt,
        patient_label=patient_label,
        max_questions=max_questions,
    )
    env = _environment(str(Path(templates).resolve()) if templates is not None else None)
    return render(env, TEMPLATE_NAMES[fmt], context)


__all__ = ["FORMATS", "build_context", "render_guidance"]
