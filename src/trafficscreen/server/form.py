"""The triage form: HTML generated from the set's data dictionary, and the answers it posts back.

The form asks exactly the fields the set's indicators read, grouped by who answers (record, clinician,
companion, child), in dictionary order. Every yes/no question has three radio buttons, *yes*, *no* and
*not asked*, with *not asked* chosen at first: an unanswered question is unknown, never *no*. Enum fields
are selects whose first option is *not asked*; set fields are checkbox groups with a *none of these*
box (nothing ticked is unknown; *none of these* is an answer). Every group is a fieldset with a legend,
every input has a label, and the page works with the keyboard alone and without JavaScript; a small
inline script, allowed by its hash in the Content-Security-Policy, updates the level as answers change.

Pages are rendered by Jinja2 in a sandbox with autoescaping and ``StrictUndefined``.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..messages import msg
from ..model.dictionary import FieldDef, FieldType, Respondent
from ..model.result import ScreeningResult
from .words import word

if TYPE_CHECKING:
    from jinja2 import Environment

    from ..compiled import CompiledSet

HERE = Path(__file__).resolve().parent
GROUP_ORDER: tuple[Respondent, ...] = (Respondent.RECORD, Respondent.CLINICIAN, Respondent.COMPANION,
                                       Respondent.CHILD)
NONE_OF_THESE = "__none__"
ASK_NEXT_SHOWN = 8
"""Questions listed at once on the result; the rest are behind a disclosure (a ``details`` element)."""
MAX_FIELDS = 2000
"""Most form fields read from one submission."""
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def csp_hash(text: str) -> str:
    """The CSP source allowing an inline ``<style>`` or ``<script>`` with exactly ``text``."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


@dataclass(frozen=True)
class Assets:
    """The page's inline style and script, read once, and the CSP that allows exactly them."""

    css: str
    js: str

    @classmethod
    def load(cls) -> Assets:
        return cls((HERE / "static" / "form.css").read_text("utf-8"), (HERE / "static" / "form.js").read_text("utf-8"))

    def csp(self, frame_ancestors: Sequence[str]) -> str:
        return (
            f"default-src 'none'; style-src {csp_hash(self.css)}; script-src {csp_hash(self.js)}; "
            f"connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "
            f"frame-ancestors {' '.join(frame_ancestors)}"
        )


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


@dataclass
class FieldView:
    """One question as the template shows it."""

    id: str
    type: str
    question: str
    label: str
    sensitive: bool
    hint: str = ""
    min: str = ""
    max: str = ""
    step: str = ""
    options: list[dict[str, Any]] = field(default_factory=list)
    value: str = ""
    error: str = ""


class FormBuilder:
    """Builds the form's views for one set, and reads submitted answers back."""

    def __init__(self, compiled: CompiledSet) -> None:
        self.set = compiled
        used = set(compiled.used_fields)
        self.fields: dict[Respondent, list[FieldDef]] = {who: [] for who in GROUP_ORDER}
        for fd in compiled.dictionary.fields:
            if fd.id in used:
                self.fields[fd.asked_of].append(fd)
        self.by_id = {fd.id: fd for group in self.fields.values() for fd in group}

    # --- reading a submission -----------------------------------------------------------------------

    def parse(
        self, pairs: Sequence[tuple[str, str]], lang: str
    ) -> tuple[dict[str, Any], dict[str, str], dict[str, list[str]]]:
        """(answers, errors by field, raw values by field) from form-encoded ``pairs``.

        Answers are JSON-shaped, as an encounter's; a field left blank or at *not asked* is left out
        (unknown). Errors name what is wrong in ``lang``, never repeat the value."""
        raw: dict[str, list[str]] = {}
        for key, value in pairs[:MAX_FIELDS]:
            if key in self.by_id:
                raw.setdefault(key, []).append(value.strip())
        answers: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for fid, values in raw.items():
            fd = self.by_id[fid]
            try:
                value = self._value(fd, values, lang)
            except ValueError as exc:
                errors[fid] = str(exc)
                continue
            if value is not None:
                answers[fid] = value
        return answers, errors, raw

    def _value(self, fd: FieldDef, values: list[str], lang: str) -> Any:
        t = fd.type
        if t is FieldType.SET:
            chosen = [v for v in values if v]
            if NONE_OF_THESE in chosen:
                if len(chosen) > 1:
                    raise ValueError(word(lang, "err.none_and_some"))
                return []
            if any(v not in fd.codes for v in chosen):
                raise ValueError(word(lang, "err.choice"))
            return sorted(set(chosen)) if chosen else None
        value = values[-1] if values else ""
        if value == "":
            return None
        if t is FieldType.BOOLEAN:
            if value not in ("yes", "no"):
                raise ValueError(word(lang, "err.choice"))
            return value == "yes"
        if t is FieldType.ENUM:
            if value not in fd.codes:
                raise ValueError(word(lang, "err.choice"))
            return value
        if t in (FieldType.INTEGER, FieldType.NUMBER):
            if len(value) > 40 or not _NUMBER.match(value):
                raise ValueError(word(lang, "err.number"))
            number = float(value)
            if not math.isfinite(number):
                raise ValueError(word(lang, "err.number"))
            if t is FieldType.INTEGER and not number.is_integer():
                raise ValueError(word(lang, "err.whole"))
            if (fd.min is not None and number < fd.min) or (fd.max is not None and number > fd.max):
                raise ValueError(word(lang, "err.range", min=_fmt(fd.min), max=_fmt(fd.max)))
            return int(number) if t is FieldType.INTEGER else number
        if t is FieldType.DATE:
            try:
                date.fromisoformat(value)
            except ValueError:
                raise ValueError(word(lang, "err.date")) from None
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                raise ValueError(word(lang, "err.date"))
            return value
        raise ValueError(word(lang, "err.choice"))  # pragma: no cover

    # --- views --------------------------------------------------------------------------------------

    def groups(self, lang: str, raw: Mapping[str, list[str]] | None = None,
               errors: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        raw = raw or {}
        errors = errors or {}
        out = []
        for who in GROUP_ORDER:
            views = [self._view(fd, lang, raw.get(fd.id, []), errors.get(fd.id, "")) for fd in self.fields[who]]
            if views:
                out.append({"who": who.value, "heading": word(lang, f"group.{who.value}"), "fields": views})
        return out

    def _view(self, fd: FieldDef, lang: str, values: list[str], error: str) -> FieldView:
        v = FieldView(id=fd.id, type=fd.type.value, question=fd.question.get(lang), label=fd.label.get(lang),
                      sensitive=fd.sensitive, error=error)
        current = values[-1] if values else ""
        if fd.type is FieldType.BOOLEAN:
            chosen = current if current in ("yes", "no") else ""
            v.options = [
                {"value": "yes", "label": word(lang, "yes"), "checked": chosen == "yes"},
                {"value": "no", "label": word(lang, "no"), "checked": chosen == "no"},
                {"value": "", "label": word(lang, "not_asked"), "checked": chosen == ""},
            ]
        elif fd.type in (FieldType.ENUM, FieldType.SET):
            chosen_set = set(values) if fd.type is FieldType.SET else {current}
            v.options = [
                {"value": ev.code, "label": ev.label.get(lang), "checked": ev.code in chosen_set}
                for ev in fd.values or ()
            ]
            if fd.type is FieldType.SET:
                v.options.append({"value": NONE_OF_THESE, "label": word(lang, "none_of_these"),
                                  "checked": NONE_OF_THESE in chosen_set})
        elif fd.type in (FieldType.INTEGER, FieldType.NUMBER):
            v.min, v.max = _fmt(fd.min), _fmt(fd.max)
            v.step = "1" if fd.type is FieldType.INTEGER else "any"
            if fd.min is not None and fd.max is not None:
                v.hint = word(lang, "range", min=v.min, max=v.max)
            v.value = current[:40]
        else:
            v.value = current[:10]
        return v


class PageRenderer:
    """Renders the form page (and its result) with the sandboxed template."""

    def __init__(self, builder: FormBuilder, assets: Assets, *, dev_mode: bool) -> None:
        self.builder = builder
        self.assets = assets
        self.dev_mode = dev_mode

    @cached_property
    def env(self) -> Environment:
        from jinja2 import FileSystemLoader, StrictUndefined
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        env = ImmutableSandboxedEnvironment(
            loader=FileSystemLoader(str(HERE / "templates")), autoescape=True, undefined=StrictUndefined,
            trim_blocks=True, lstrip_blocks=True,
        )
        env.globals.clear()
        return env

    def page(
        self,
        lang: str,
        *,
        raw: Mapping[str, list[str]] | None = None,
        errors: Mapping[str, str] | None = None,
        result: ScreeningResult | None = None,
        guidance_html: str = "",
    ) -> str:
        from markupsafe import Markup

        from ..model.common import LANGUAGES

        errors = errors or {}
        view: dict[str, Any] = {
            "lang": lang,
            "w": {k: word(lang, k) for k in (
                "title", "confidential", "intro", "language", "submit", "clear", "result", "set_level", "why",
                "ask_next", "ask_next.none", "guidance", "live", "live.hint", "errors", "dev", "sensitive",
                "not_asked")},
            "levels": {lv: msg(lang, f"level.{lv}") for lv in ("none", "concern", "refer", "urgent")},
            "languages": [{"code": code, "name": _LANGUAGE_NAMES[code], "current": code == lang}
                          for code in LANGUAGES],
            "css": Markup(self.assets.css),
            "js": Markup(self.assets.js),
            "dev": self.dev_mode,
            "groups": self.builder.groups(lang, raw, errors),
            "errors": [{"id": fid, "label": self.builder.by_id[fid].label.get(lang), "message": m}
                       for fid, m in errors.items()],
            "result": _result_view(result, lang) if result is not None else None,
            "guidance": Markup(guidance_html),
        }
        return self.env.get_template("form.html.j2").render(view)


_LANGUAGE_NAMES = {"en": "English", "pt": "Português", "nb": "Norsk bokmål"}


def _result_view(result: ScreeningResult, lang: str) -> dict[str, Any]:
    questions = [{"question": q.question, "red_flag": q.red_flag, "who": word(lang, f"group.{q.asked_of.value}")}
                 for q in result.ask_next]
    return {
        "level": result.level.value,
        "level_text": msg(lang, f"level.{result.level.value}"),
        "set_level": result.level_title,
        "answered": msg(lang, "text.answered", answered=str(result.completeness.answered),
                        total=str(result.completeness.total)),
        "reasons": list(result.reasons),
        "ask_next": questions[:ASK_NEXT_SHOWN],
        "ask_next_more": questions[ASK_NEXT_SHOWN:],
        "ask_next_more_label": word(lang, "ask_next.more", n=str(len(questions) - ASK_NEXT_SHOWN)),
        "red_flags": msg(lang, "text.red_flags"),
        "notice": result.notice,
        "warnings": list(result.warnings),
    }


def markdown_to_html(text: str) -> str:
    """Render trusted-template Markdown (the guidance) to HTML with raw HTML disabled: any ``<`` in the
    text comes out escaped, and only http(s), mailto and tel links are kept."""
    rendered: str = _markdown().render(text)
    return rendered


@lru_cache(maxsize=1)
def _markdown() -> Any:
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.validateLink = _safe_link  # type: ignore[method-assign]
    return md


def _safe_link(url: str) -> bool:
    return url.lower().startswith(("https://", "http://", "mailto:", "tel:"))
