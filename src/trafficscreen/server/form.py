"""The triage form: an interview that asks only what can change the level, of someone who can answer it.

``GET /form`` opens the interview with the facts that decide who can be asked: the child's age, who came
with the child, whether the child is seen alone, and the child's language or a professional interpreter
(the fields the dictionary's ask rules read, plus the companion). Each ``POST /form`` screens everything
answered so far and shows the next few questions of the engine's own ``ask_next`` (never recomputed
here), says plainly when no further answer can change the level (``settled``) or when nothing that could
is askable now, and shows the result and guidance when the nurse stops or the level is settled.

The interview's state travels in the page, not on the server: answers already given are hidden inputs
(named as the fields, read back exactly like visible ones), and the questions the nurse could not ask are
``_skip`` hidden inputs. Every question has a *cannot ask* choice (value ``__cannot__``) that is never
*no*: the answer is not sent, the fact stays unknown, and the question is not shown again in this
interview. A given answer can be changed (``_change``). Each step is an ordinary form POST, so the page
works without JavaScript; the script only keeps the level bar current and the focus on the first new
question. Every question is a ``fieldset`` whose legend is who answers and the question, every input has a
label, and the first new question carries ``autofocus``.

Pages are rendered by Jinja2 in a sandbox with autoescaping and ``StrictUndefined``.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..messages import msg
from ..model.dictionary import FieldDef, FieldType
from ..model.result import Question, ScreeningResult

if TYPE_CHECKING:
    from jinja2 import Environment

    from ..core.compiled import CompiledSet

HERE = Path(__file__).resolve().parent
NONE_OF_THESE = "__none__"
CANNOT_ASK = "__cannot__"
"""The value of every question's *cannot ask* choice: the answer is left out (unknown), never *no*."""
SKIP = "_skip"
"""Hidden input naming a field the nurse could not ask; it is not shown again in this interview."""
CHANGE = "_change"
"""Submit button naming a given answer to change: the question is shown again with its answer."""
ACTION = "_action"
"""Submit button: ``next`` (the default button) or ``result`` (stop and show the result and guidance)."""
NEXT_SHOWN = 4
"""Questions of the engine's ``ask_next`` shown at once."""
START_FIELDS = (
    "age_years",
    "companion_relationship",
    "child_seen_alone",
    "child_speaks_local_language",
    "professional_interpreter_present",
)
"""Asked first, when the dictionary has them; the fields the dictionary's ask rules read come first too."""
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
    asked_of: str
    who: str
    hint: str = ""
    min: str = ""
    max: str = ""
    step: str = ""
    options: list[dict[str, Any]] = field(default_factory=list)
    value: str = ""
    cannot: bool = False
    error: str = ""
    focus: bool = False


@dataclass
class Submission:
    """What one POST of the form says: the answers (given before and now), the questions that could not
    be asked, errors by field (never repeating the value), and what the nurse pressed."""

    answers: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    raw: dict[str, list[str]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    change: str = ""
    action: str = "next"


@dataclass
class Step:
    """What the next page shows: the questions (field ids, in order), the answers carried in hidden
    inputs, and whether the interview is still asking, settled, or has nothing askable left."""

    submission: Submission
    questions: list[str]
    carried: list[str]
    state: str  # "start", "asking", "settled" or "exhausted"
    show_result: bool

    @property
    def status(self) -> int:
        return 422 if self.submission.errors else 200


class FormBuilder:
    """Reads the form's submissions and plans each step of the interview for one set."""

    def __init__(self, compiled: CompiledSet) -> None:
        self.set = compiled
        dictionary = compiled.dictionary
        gates = {f for rule in compiled.ask_rules.values() for f in rule.reads}
        wanted = set(compiled.used_fields) | gates | set(START_FIELDS)
        self.by_id: dict[str, FieldDef] = {fd.id: fd for fd in dictionary.fields if fd.id in wanted}
        order = {fid: n for n, fid in enumerate(START_FIELDS)}
        first = [fid for fid in self.by_id if fid in order or fid in gates]
        self.start: list[str] = sorted(first, key=lambda f: (order.get(f, len(order)), list(self.by_id).index(f)))

    # --- reading a submission -----------------------------------------------------------------------

    def read(self, pairs: Sequence[tuple[str, str]], lang: str) -> Submission:
        """The :class:`Submission` in form-encoded ``pairs``. A field left blank is left out (unknown); a
        field at *cannot ask* is left out and listed as skipped; an answer given clears its skip."""
        sub = Submission()
        for key, value in pairs[:MAX_FIELDS]:
            if key in self.by_id:
                sub.raw.setdefault(key, []).append(value.strip())
            elif key == SKIP and value in self.by_id and value not in sub.skipped:
                sub.skipped.append(value)
            elif key == CHANGE and value in self.by_id:
                sub.change = value
            elif key == ACTION and value == "result":
                sub.action = "result"
        for fid, values in sub.raw.items():
            fd = self.by_id[fid]
            if CANNOT_ASK in values:
                if any(v not in ("", CANNOT_ASK) for v in values):
                    sub.errors[fid] = msg(lang, "server.err.cannot_and_answer")
                elif fid not in sub.skipped:
                    sub.skipped.append(fid)
                continue
            try:
                value = self._value(fd, values, lang)
            except ValueError as exc:
                sub.errors[fid] = str(exc)
                continue
            if value is not None:
                sub.answers[fid] = value
        sub.skipped = [f for f in sub.skipped if f not in sub.answers and f not in sub.errors and f != sub.change]
        return sub

    def parse(
        self, pairs: Sequence[tuple[str, str]], lang: str
    ) -> tuple[dict[str, Any], dict[str, str], dict[str, list[str]]]:
        """(answers, errors by field, raw values by field) from form-encoded ``pairs`` (see :meth:`read`)."""
        sub = self.read(pairs, lang)
        return sub.answers, sub.errors, sub.raw

    def _value(self, fd: FieldDef, values: list[str], lang: str) -> Any:
        t = fd.type
        if t is FieldType.SET:
            chosen = [v for v in values if v]
            if NONE_OF_THESE in chosen:
                if len(chosen) > 1:
                    raise ValueError(msg(lang, "server.err.none_and_some"))
                return []
            if any(v not in fd.codes for v in chosen):
                raise ValueError(msg(lang, "server.err.choice"))
            return sorted(set(chosen)) if chosen else None
        value = values[-1] if values else ""
        if value == "":
            return None
        if t is FieldType.BOOLEAN:
            if value not in ("yes", "no"):
                raise ValueError(msg(lang, "server.err.choice"))
            return value == "yes"
        if t is FieldType.ENUM:
            if value not in fd.codes:
                raise ValueError(msg(lang, "server.err.choice"))
            return value
        if t in (FieldType.INTEGER, FieldType.NUMBER):
            if len(value) > 40 or not _NUMBER.match(value):
                raise ValueError(msg(lang, "server.err.number"))
            number = float(value)
            if not math.isfinite(number):
                raise ValueError(msg(lang, "server.err.number"))
            if t is FieldType.INTEGER and not number.is_integer():
                raise ValueError(msg(lang, "server.err.whole"))
            if (fd.min is not None and number < fd.min) or (fd.max is not None and number > fd.max):
                raise ValueError(msg(lang, "server.err.range", min=_fmt(fd.min), max=_fmt(fd.max)))
            return int(number) if t is FieldType.INTEGER else number
        if t is FieldType.DATE:
            try:
                date.fromisoformat(value)
            except ValueError:
                raise ValueError(msg(lang, "server.err.date")) from None
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                raise ValueError(msg(lang, "server.err.date"))
            return value
        raise ValueError(msg(lang, "server.err.choice"))  # pragma: no cover

    # --- planning a step ----------------------------------------------------------------------------

    def first_step(self) -> Step:
        """The opening page: the facts that decide who can be asked."""
        return Step(Submission(), list(self.start), [], "start", show_result=False)

    def step(self, sub: Submission, result: ScreeningResult) -> Step:
        """The page after ``sub`` was screened to ``result``: a changed question and questions with errors
        first, then the next :data:`NEXT_SHOWN` of the engine's ``ask_next`` that were neither answered nor
        skipped; the result when the nurse asked for it, or when the level is settled, or when no question
        that could change it is left to ask."""
        done = set(sub.answers) | set(sub.skipped)
        candidates = [q.field for q in result.ask_next if q.field in self.by_id and q.field not in done]
        first = ([sub.change] if sub.change else []) + [f for f in sub.errors if f != sub.change]
        if result.settled:
            state = "settled"
        elif not [f for f in candidates if f not in first]:
            state = "exhausted"
        else:
            state = "asking"
        questions = first + ([f for f in candidates if f not in first][:NEXT_SHOWN] if state == "asking" else [])
        show_result = not sub.errors and (sub.action == "result" or (state != "asking" and not first))
        carried = [f for f in sub.answers if f not in questions]
        return Step(sub, questions, carried, state, show_result)

    # --- views --------------------------------------------------------------------------------------

    def question(self, fid: str, lang: str, values: list[str], error: str = "") -> FieldView:
        fd = self.by_id[fid]
        v = FieldView(
            id=fd.id,
            type=fd.type.value,
            question=fd.question.get(lang),
            label=fd.label.get(lang),
            sensitive=fd.sensitive,
            asked_of=fd.asked_of.value,
            who=msg(lang, f"server.group.{fd.asked_of.value}"),
            error=error,
        )
        current = values[-1] if values else ""
        if fd.type is FieldType.BOOLEAN:
            v.options = [
                {"value": "yes", "label": msg(lang, "server.yes"), "checked": current == "yes"},
                {"value": "no", "label": msg(lang, "server.no"), "checked": current == "no"},
                {"value": CANNOT_ASK, "label": msg(lang, "server.cannot_ask"), "checked": current == CANNOT_ASK},
            ]
        elif fd.type in (FieldType.ENUM, FieldType.SET):
            chosen = set(values) if fd.type is FieldType.SET else {current}
            v.options = [
                {"value": ev.code, "label": ev.label.get(lang), "checked": ev.code in chosen} for ev in fd.values or ()
            ]
            if fd.type is FieldType.SET:
                v.options.append(
                    {
                        "value": NONE_OF_THESE,
                        "label": msg(lang, "server.none_of_these"),
                        "checked": NONE_OF_THESE in chosen,
                    }
                )
            v.options.append(
                {"value": CANNOT_ASK, "label": msg(lang, "server.cannot_ask"), "checked": CANNOT_ASK in chosen}
            )
        else:
            if fd.type in (FieldType.INTEGER, FieldType.NUMBER):
                v.min, v.max = _fmt(fd.min), _fmt(fd.max)
                v.step = "1" if fd.type is FieldType.INTEGER else "any"
                if fd.min is not None and fd.max is not None:
                    v.hint = msg(lang, "server.range", min=v.min, max=v.max)
                v.value = next((x for x in reversed(values) if x != CANNOT_ASK), "")[:40]
            else:
                v.value = next((x for x in reversed(values) if x != CANNOT_ASK), "")[:10]
            v.cannot = CANNOT_ASK in values
        return v

    def hidden(self, fid: str, value: Any) -> list[str]:
        """The form values that carry ``value`` of ``fid`` to the next step (read back as the same answer)."""
        fd = self.by_id[fid]
        if fd.type is FieldType.BOOLEAN:
            return ["yes" if value else "no"]
        if fd.type is FieldType.SET:
            return [str(v) for v in value] or [NONE_OF_THESE]
        if fd.type is FieldType.NUMBER:
            return [repr(float(value))]
        return [str(value)]

    def answer_text(self, fid: str, value: Any, lang: str) -> str:
        """A given answer in words, for the review list."""
        fd = self.by_id[fid]
        if fd.type is FieldType.BOOLEAN:
            return msg(lang, "server.yes" if value else "server.no")
        labels = {ev.code: ev.label.get(lang) for ev in fd.values or ()}
        if fd.type is FieldType.ENUM:
            return labels.get(str(value), str(value))
        if fd.type is FieldType.SET:
            return "; ".join(labels.get(str(v), str(v)) for v in value) or msg(lang, "server.none_of_these")
        if fd.type in (FieldType.INTEGER, FieldType.NUMBER):
            return _fmt(float(value))
        return str(value)


class PageRenderer:
    """Renders the interview's pages (and the result) with the sandboxed template."""

    def __init__(self, builder: FormBuilder, assets: Assets, *, dev_mode: bool) -> None:
        self.builder = builder
        self.assets = assets
        self.dev_mode = dev_mode

    @cached_property
    def env(self) -> Environment:
        from jinja2 import FileSystemLoader, StrictUndefined
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        env = ImmutableSandboxedEnvironment(
            loader=FileSystemLoader(str(HERE / "templates")),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.globals.clear()
        return env

    def page(
        self,
        lang: str,
        *,
        step: Step | None = None,
        result: ScreeningResult | None = None,
        guidance_html: str = "",
    ) -> str:
        """The opening page (no ``step``, no ``result``), a step of the interview, or (``result`` without a
        ``step``) the result of no answers."""
        from markupsafe import Markup

        from ..model.common import LANGUAGES

        b = self.builder
        if step is None:
            step = b.first_step() if result is None else Step(Submission(action="result"), [], [], "asking", True)
        sub = step.submission
        show_result = step.show_result and result is not None
        questions = [b.question(fid, lang, sub.raw.get(fid, []), sub.errors.get(fid, "")) for fid in step.questions]
        if questions and not show_result and not sub.errors:
            questions[0].focus = True
        levels = {lv: msg(lang, f"level.{lv}") for lv in ("none", "concern", "refer", "urgent")}
        status: dict[str, Any] | None = None
        if result is not None and (questions or not show_result):
            if step.state == "settled":
                note = msg(lang, "server.settled")
            elif step.state == "exhausted":
                note = msg(lang, "server.exhausted")
            else:
                note = msg(lang, "server.live.rise", level=levels[result.highest_possible.value])
            status = {
                "level": result.level.value,
                "level_text": levels[result.level.value],
                "note": note,
                "settled": step.state in ("settled", "exhausted"),
                "answered": msg(
                    lang,
                    "text.answered",
                    answered=str(result.completeness.answered),
                    total=str(result.completeness.total),
                ),
            }
        view: dict[str, Any] = {
            "lang": lang,
            "w": {
                k: msg(lang, f"server.{k}")
                for k in (
                    "title",
                    "confidential",
                    "intro",
                    "language",
                    "result",
                    "set_level",
                    "why",
                    "ask_next",
                    "ask_next.none",
                    "guidance",
                    "live",
                    "errors",
                    "dev",
                    "sensitive",
                    "choose",
                    "next",
                    "stop",
                    "answers",
                    "answers.hint",
                    "change",
                    "skipped.value",
                    "cannot.heading",
                    "cannot.intro",
                    "language.switch",
                    "clear",
                    "settled",
                    "live.rise",
                    "cannot_ask",
                )
            },
            "levels": levels,
            "languages": [{"code": code, "name": _LANGUAGE_NAMES[code], "current": code == lang} for code in LANGUAGES],
            "css": Markup(self.assets.css),
            "js": Markup(self.assets.js),
            "dev": self.dev_mode,
            "started": step.state != "start",
            "step_heading": msg(lang, "server.step.start" if step.state == "start" else "server.step.next"),
            "step_hint": msg(lang, "server.step.start.hint" if step.state == "start" else "server.step.next.hint"),
            "questions": questions,
            "carried": [
                {"name": fid, "value": value, "type": b.by_id[fid].type.value}
                for fid in step.carried
                for value in b.hidden(fid, sub.answers[fid])
            ],
            "skipped": [{"id": fid, "label": b.by_id[fid].label.get(lang)} for fid in sub.skipped],
            "review": [
                {"id": fid, "label": b.by_id[fid].label.get(lang), "answer": b.answer_text(fid, sub.answers[fid], lang)}
                for fid in step.carried
            ],
            "errors": [
                {"id": fid, "label": b.by_id[fid].label.get(lang), "message": m} for fid, m in sub.errors.items()
            ],
            "status": status,
            "cannot": [{"title": c.title, "reasons": list(c.reasons)} for c in result.cannot_ask]
            if result is not None
            else [],
            "result": _result_view(result, lang) if show_result and result is not None else None,
            "state_note": _state_note(step.state, lang),
            "guidance": Markup(guidance_html),
        }
        return self.env.get_template("form.html.j2").render(view)


def _state_note(state: str, lang: str) -> str:
    return msg(lang, f"server.{state}") if state in ("settled", "exhausted") else ""


_LANGUAGE_NAMES = {"en": "English", "pt": "Português", "nb": "Norsk bokmål"}


def _could_lead_to(q: Question, lang: str) -> str:
    """'could lead to refer', in the engine-wide scale's words; empty for the facts asked first."""
    if q.could_lead_to is None:
        return ""
    return msg(lang, "text.could_lead_to", level=msg(lang, f"scale.{q.could_lead_to.value}"))


def _result_view(result: ScreeningResult, lang: str) -> dict[str, Any]:
    questions = [
        {
            "question": q.question,
            "red_flag": q.red_flag,
            "who": msg(lang, f"server.group.{q.asked_of.value}"),
            "lead": _could_lead_to(q, lang),
        }
        for q in result.ask_next
    ]
    return {
        "level": result.level.value,
        "level_text": msg(lang, f"level.{result.level.value}"),
        "set_level": result.level_title,
        "answered": msg(
            lang, "text.answered", answered=str(result.completeness.answered), total=str(result.completeness.total)
        ),
        "reasons": list(result.reasons),
        "ask_next": questions[:ASK_NEXT_SHOWN],
        "ask_next_more": questions[ASK_NEXT_SHOWN:],
        "ask_next_more_label": msg(lang, "server.ask_next.more", n=str(len(questions) - ASK_NEXT_SHOWN)),
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
