"""Referral guidance: every level × jurisdiction × language × format says what the nurse needs, from
the result alone, and carries no patient data unless a label is passed on purpose."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment

from conftest import MINI_SET
from levels import answers_reaching
from paths import ROOT
from trafficscreen import ScreeningResult, render_guidance
from trafficscreen.content.loader import load_set
from trafficscreen.content.referral import load_messages, load_pack, merge
from trafficscreen.core.engine import DEFAULT_SET, Screener
from trafficscreen.errors import SchemaError, SetNotFoundError, UnsupportedLanguageError
from trafficscreen.model.common import LANGUAGES, Level
from trafficscreen.model.referral import Contact, SiteSlot, text_in
from trafficscreen.render.guidance import FORMATS, MAX_QUESTIONS, build_context
from trafficscreen.render.sandbox import GuidanceSandbox, make_environment

EXAMPLES = ROOT / "examples"
JURISDICTIONS = ("GB", "NO", "PT", "US")
SETS = {"mini": str(MINI_SET), "shipped": DEFAULT_SET}
PATIENT_ID = "MRN-447190 Joana Ferreira 2014-03-02"
PATIENT_PARTS = ("447190", "Joana", "Ferreira", "2014-03-02")
NOT_NEGATIVE = {
    "en": ("negative", "not a negative result"),
    "pt": ("negativo", "não é um resultado negativo"),
    "nb": ("negativt", "ikke et negativt resultat"),
}


@pytest.fixture(scope="module")
def screeners() -> dict[str, Screener]:
    return {name: Screener(load_set(ref)) for name, ref in SETS.items()}


@pytest.fixture(scope="module")
def results(screeners: dict[str, Screener]) -> dict[tuple[str, Level, str], ScreeningResult]:
    out: dict[tuple[str, Level, str], ScreeningResult] = {}
    for name, screener in screeners.items():
        for level in Level:
            answers = answers_reaching(screener, level)
            for lang in LANGUAGES:
                out[name, level, lang] = screener.screen({"id": PATIENT_ID, "answers": answers}, lang=lang)
    return out


def plain(out: str, fmt: str) -> str:
    """What a reader sees: tags and escapes removed, whitespace (line wrapping) collapsed."""
    if fmt == "html":
        out = html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"(?s)<style.*?</style>", " ", out)))
    elif fmt == "markdown":
        out = re.sub(r"\\([\\`*_\[\]<>|#~&!+=.)-])", r"\1", out)
    return " ".join(out.split())


def sees(text: str, haystack: str) -> bool:
    return " ".join(text.split()) in haystack


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("code", JURISDICTIONS)
@pytest.mark.parametrize("level", list(Level), ids=lambda lv: lv.value)
@pytest.mark.parametrize("set_name", SETS)
def test_guidance_for_each_level_jurisdiction_and_language(
    results: dict[tuple[str, Level, str], ScreeningResult], set_name: str, level: Level, code: str, lang: str
) -> None:
    result = results[set_name, level, lang]
    assert result.level is level  # the engine reached it from the derived answers
    msgs = load_messages(lang)
    pack = load_pack(code)
    routes = merge(pack, None)
    for fmt in FORMATS:
        out = render_guidance(result, jurisdiction=code, lang=lang, format=fmt)
        seen = plain(out, fmt)
        # what it means, in plain words
        assert sees(msgs[f"level.{level.value}.heading"], seen), fmt
        assert sees(msgs[f"level.{level.value}.meaning"], seen), fmt
        # what to do now: safe practice for every level that found something
        assert sees(msgs["do.interpreter"], seen)
        if level is Level.NONE:
            assert sees(msgs["do.none.alone"], seen) and sees(msgs["do.none.remains"], seen)
            assert not sees(msgs["do.no_confront"], seen)
        else:
            for key in ("do.separate", "do.no_confront", "do.age", "do.ask"):
                assert sees(msgs[key], seen), (fmt, key)
        for step in routes.steps_at(level):
            assert sees(text_in(step.text, lang), seen), (fmt, step.id)
        # whom to contact, in order, with the numbers exactly as in the pack
        start = seen.index(" ".join(msgs["h.contacts"].split()))
        positions = []
        for item in routes.contacts_at(level):
            name = text_in(item.name, lang)
            assert sees(name, seen[start:]), (fmt, item.id)
            positions.append(seen.index(" ".join(name.split()), start))
            if isinstance(item, Contact) and item.phone:
                assert sees(item.phone, seen), (fmt, item.id)
            if isinstance(item, SiteSlot):
                assert sees(msgs["contact.not_configured"], seen)
        assert positions == sorted(positions), f"{fmt}: contacts out of order"
        if level is Level.URGENT:
            assert sees(f"{msgs['banner.emergency']} {pack.emergency}", seen), fmt
        # what to record and who may see it
        assert sees(msgs["rec.portal"], seen) and sees(msgs["rec.codes"], seen)
        # the questions still worth asking, grouped by who is asked
        for q in result.ask_next[: MAX_QUESTIONS[fmt]]:
            assert sees(q.question, seen), (fmt, q.field)
            assert sees(msgs[f"ask.{q.asked_of.value}"], seen)
        if not result.ask_next:
            assert sees(msgs["ask.none"], seen)
        # 'none' never reads as negative
        word, allowed = NOT_NEGATIVE[lang]
        assert seen.lower().count(word) == seen.lower().count(allowed), fmt
        # no patient data: not the encounter id nor any part of it
        for part in (PATIENT_ID, *PATIENT_PARTS):
            assert part not in out, (fmt, part)


def test_none_says_no_indicators_among_the_questions_answered(
    results: dict[tuple[str, Level, str], ScreeningResult],
) -> None:
    out = render_guidance(results["shipped", Level.NONE, "en"], jurisdiction="GB")
    assert "No indicators identified among the questions answered" in out
    assert "not a negative result" in out
    assert "If you are still worried" in out


def test_renderer_uses_only_the_result(results: dict[tuple[str, Level, str], ScreeningResult]) -> None:
    # a result edited by hand is rendered as it says: nothing is re-evaluated
    result = results["mini", Level.NONE, "en"]
    edited = ScreeningResult.model_validate({**json.loads(result.model_dump_json()), "level": "urgent"})
    out = render_guidance(edited, jurisdiction="US")
    assert "Urgent: act now to keep the child safe" in out
    assert "Child in immediate danger? Call 911" in out


def test_patient_label_only_when_passed_and_escaped(results: dict[tuple[str, Level, str], ScreeningResult]) -> None:
    result = results["mini", Level.REFER, "en"]
    label = "Bed 4 <b>J.F.</b> \x1b[31m"
    page = render_guidance(result, jurisdiction="GB", format="html", patient_label=label)
    assert "Bed 4 &lt;b&gt;J.F.&lt;/b&gt;" in page and "\x1b" not in page
    md = render_guidance(result, jurisdiction="GB", format="markdown", patient_label=label)
    assert "Bed 4 \\<b\\>J.F.\\</b\\>" in md
    text = render_guidance(result, jurisdiction="GB", patient_label="Bed 4")
    assert "Patient: Bed 4" in text
    assert "Patient:" not in render_guidance(result, jurisdiction="GB")


def test_example_encounter_leaks_nothing_it_carried(screeners: dict[str, Screener]) -> None:
    data = json.loads((EXAMPLES / "encounters" / "referral-urgent.json").read_text())
    data["id"] = PATIENT_ID
    result = screeners["shipped"].screen(data)
    assert result.encounter_id == PATIENT_ID  # the result keeps it, for the caller
    for code in JURISDICTIONS:
        for fmt in FORMATS:
            out = render_guidance(result, jurisdiction=code, format=fmt, site=None)
            for part in (PATIENT_ID, *PATIENT_PARTS):
                assert part not in out, (code, fmt, part)


def test_site_file_adds_local_contacts_and_replaces_by_id(
    results: dict[tuple[str, Level, str], ScreeningResult],
) -> None:
    result = results["shipped", Level.REFER, "en"]
    site = EXAMPLES / "site-example.yaml"
    out = plain(render_guidance(result, jurisdiction="GB", site=site), "text")
    assert "020 7946 0123" in out and "020 7946 0456" in out
    assert "Not configured" not in out  # both of the pack's slots are filled
    assert "call the safeguarding team and follow the hospital's child protection procedure" in out
    assert "through your local child safeguarding procedure" not in out  # the pack's step was replaced
    order = [out.index(s) for s in ("Phone: 999", "020 7946 0123", "020 7946 0456", "08000 121 700")]
    assert order == sorted(order)
    with pytest.raises(SchemaError, match="is for jurisdiction GB, not NO"):
        render_guidance(result, jurisdiction="NO", site=site)


def test_markdown_and_html_escape_content(
    results: dict[tuple[str, Level, str], ScreeningResult],
    tmp_path: Path,
) -> None:
    site = tmp_path / "site.yaml"
    site.write_text(
        "kind: site\nid: evil-site\nname: 'Ward [7](javascript:alert(1)) <script>x</script>'\njurisdiction: US\n"
        "contacts:\n  - {id: cps, order: 30, levels: [refer], name: '*CPS* <img src=x onerror=alert(1)>',\n"
        "     role: '# heading | cell', phone: '555 0100', source: 'county list', checked: 2026-01-02,"
        " verified: true}\n",
        encoding="utf-8",
    )
    result = results["mini", Level.REFER, "en"]
    md = render_guidance(result, jurisdiction="US", site=site, format="markdown")
    for raw in (r"(?<!\\)<script>", r"(?<!\\)<img", r"(?<!\\)\]\(javascript"):
        assert not re.search(raw, md), raw
    assert "\\*CPS\\*" in md and "\\# heading \\| cell" in md
    page = render_guidance(result, jurisdiction="US", site=site, format="html")
    assert "<script>" not in page and "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_html_sheet_is_standalone(results: dict[tuple[str, Level, str], ScreeningResult]) -> None:
    page = render_guidance(results["shipped", Level.URGENT, "nb"], jurisdiction="NO", format="html")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="nb">' in page
    assert "@page { size: A4" in page
    for banned in ("<script", "<link", "<img", "<iframe", "@import", "url(", "src=", "@font-face"):
        assert banned not in page, banned
    assert "default-src 'none'" in page  # nothing external can load even if a link slips in
    assert 'href="tel:112"' in page


def test_questions_are_capped_with_a_count(results: dict[tuple[str, Level, str], ScreeningResult]) -> None:
    result = results["shipped", Level.NONE, "en"]
    assert len(result.ask_next) > MAX_QUESTIONS["html"]
    out = render_guidance(result, jurisdiction="GB", format="text", max_questions=3)
    assert f"and {len(result.ask_next) - 3} more in the screening result" in out
    for q in result.ask_next[3:]:
        assert q.question not in out


def test_lang_defaults_to_the_result_and_bad_input_is_typed(
    results: dict[tuple[str, Level, str], ScreeningResult],
) -> None:
    result = results["mini", Level.CONCERN, "pt"]
    assert "O que fazer agora" in render_guidance(result, jurisdiction="PT")
    with pytest.raises(UnsupportedLanguageError):
        render_guidance(result, jurisdiction="PT", lang="fr")
    with pytest.raises(SetNotFoundError, match="no referral pack for jurisdiction 'XX'"):
        render_guidance(result, jurisdiction="XX")
    with pytest.raises(SchemaError, match="guidance format 'pdf'"):
        render_guidance(result, jurisdiction="PT", format="pdf")


def _message_keys_in_templates() -> set[str]:
    env = SandboxedEnvironment()
    folder = ROOT / "src" / "trafficscreen" / "render" / "templates"
    keys: set[str] = set()
    for path in folder.glob("*.j2"):
        tree = env.parse(path.read_text(encoding="utf-8"))
        for node in tree.find_all(nodes.Getitem):
            if isinstance(node.node, nodes.Name) and node.node.name == "m" and isinstance(node.arg, nodes.Const):
                keys.add(node.arg.value)
    return keys


def test_every_key_the_templates_and_renderer_use_is_in_every_catalogue(
    results: dict[tuple[str, Level, str], ScreeningResult],
) -> None:
    used = _message_keys_in_templates()
    assert {"title", "h.now", "h.contacts", "h.record", "h.ask"} <= used
    # keys the renderer looks up for every level
    for level in Level:
        ctx: dict[str, Any] = build_context(results["mini", level, "en"], lang="en", pack=load_pack("GB"))
        assert ctx["g"]["actions"]
    catalogues = {lang: load_messages(lang) for lang in LANGUAGES}
    for lang, msgs in catalogues.items():
        assert used <= set(msgs), f"{lang}: missing {sorted(used - set(msgs))}"
        assert set(msgs) == set(catalogues["en"]), lang


def test_one_sandbox_per_template_folder() -> None:
    env = make_environment(None)
    assert isinstance(env, GuidanceSandbox)
    assert env.undefined.__name__ == "StrictUndefined"
    assert env.globals == {}
    # jinja2 types autoescape as bool or a function of the template name; the sandbox sets a function
    autoescape = cast("Callable[[str | None], bool]", env.autoescape)
    assert autoescape("guidance.html.j2") is True
    assert autoescape("guidance.txt.j2") is False
