"""Plain-text rendering of a result, for a terminal or a message to a colleague."""

from __future__ import annotations

import textwrap

from ..messages import msg
from ..model.common import Level
from ..model.result import CannotAsk, IndicatorStatus, Question, ScreeningResult

WIDTH = 88
ASK_NEXT_SHOWN = 8


def _wrap(text: str, indent: str = "  ", bullet: str = "- ") -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent + bullet, subsequent_indent=indent + " " * len(bullet))


def render_text(result: ScreeningResult) -> str:
    """What a nurse wants to read: the level in plain words, why, what to ask next, and the reminder
    that finding nothing is not a negative result. Patient answers are not repeated."""
    lang = result.lang
    s = result.set
    lines: list[str] = []
    lines.append(f"{msg(lang, 'text.set')}: {s.title} ({s.id} {s.version}, {s.status.value})")
    for w in result.warnings:
        lines.append(f"!! {w}")
    lines.append("")
    lines.append(f"{msg(lang, 'text.level')}: {result.level.value.upper()} — {result.level_title}")
    if result.highest_possible is not result.level:
        lines.append(f"{msg(lang, 'text.could_rise')}: {result.highest_possible.value.upper()}")
    c = result.completeness
    lines.append(msg(lang, "text.answered", answered=str(c.answered), total=str(c.total)))
    lines.append("")
    lines.append(msg(lang, "text.why"))
    for r in result.reasons:
        lines.extend(_wrap(r))
    if result.red_flags:
        lines.append("")
        lines.append(msg(lang, "text.red_flags"))
        flagged = {i.id: i for i in result.indicators}
        for rid in result.red_flags:
            lines.extend(_wrap(flagged[rid].text))
    met = [i for i in result.indicators if i.status is IndicatorStatus.MET]
    if met:
        lines.append("")
        lines.append(msg(lang, "text.met"))
        dim_titles = {d.id: d.title for d in result.dimensions}
        for i in met:
            strength = msg(lang, f"strength.{i.strength.value}") if i.strength else f"{i.points} pt"
            verified = "" if i.source.verified else f"; {msg(lang, 'text.unverified')}"
            lines.extend(_wrap(f"[{strength}] {i.text} ({dim_titles.get(i.dimension, i.dimension)}{verified})"))
        lines.append("")
        lines.append(msg(lang, "text.sources"))
        cited: dict[str, str] = {}
        for i in met:
            cited.setdefault(i.source.source, i.source.citation)
        for citation in cited.values():
            lines.extend(_wrap(citation))
    if result.forms:
        lines.append("")
        lines.append(
            msg(lang, "text.forms") + ": " + ", ".join(f"{f.label} ({len(f.indicators)})" for f in result.forms)
        )
    if result.ask_next:
        lines.append("")
        lines.append(msg(lang, "text.ask_next"))
        for n, q in enumerate(result.ask_next[:ASK_NEXT_SHOWN], 1):
            lines.extend(_wrap(_question_line(q, lang), bullet=f"{n}. "))
        if len(result.ask_next) > ASK_NEXT_SHOWN:
            lines.append("  " + msg(lang, "text.more", n=str(len(result.ask_next) - ASK_NEXT_SHOWN)))
    if result.worth_recording:
        lines.append("")
        lines.extend(textwrap.wrap(msg(lang, "text.worth_recording", n=str(len(result.worth_recording))), WIDTH))
    if result.cannot_ask:
        lines.append("")
        lines.append(msg(lang, "text.cannot_ask"))
        for group, reasons in unaskable_groups(result):
            why = " ".join(reasons) or msg(lang, "text.same_reason")
            lines.extend(_wrap(f"{group.title} ({len(group.fields)}): {why}", bullet="- "))
    lines.append("")
    lines.extend(textwrap.wrap(result.notice, WIDTH))
    if result.level is Level.NONE:
        lines.insert(0, "")
    return "\n".join(lines).strip("\n") + "\n"


def unaskable_groups(result: ScreeningResult) -> list[tuple[CannotAsk, list[str]]]:
    """Each group of questions no one present can be asked, with the reasons not already given for an
    earlier group (two groups often share one, such as the child not being seen alone)."""
    said: set[str] = set()
    out = []
    for group in result.cannot_ask:
        reasons = [r for r in group.reasons if r not in said]
        said.update(reasons)
        out.append((group, reasons))
    return out


def _question_line(q: Question, lang: str) -> str:
    """``[who !] question (could lead to refer)``: who answers, a red flag, and what an answer could change
    (in the engine-wide scale's words)."""
    flag = " !" if q.red_flag else ""
    lead = ""
    if q.could_lead_to is not None:
        lead = " (" + msg(lang, "text.could_lead_to", level=msg(lang, f"scale.{q.could_lead_to.value}")) + ")"
    return f"[{q.asked_of.value}{flag}] {q.question}{lead}"
