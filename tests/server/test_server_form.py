"""The triage interview: age and who is present first, then only the next few questions that matter, a
"cannot ask" that is never "no", the result when settled or asked for; accessible, in three languages, and
read back right. Plain HTTP here; tests/server/test_server_browser.py drives the same pages in Chromium."""

from __future__ import annotations

import html as html_lib
import random
import re
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

import pytest
from starlette.testclient import TestClient

from fhir_support import default_screener
from levels import answers_reaching
from paths import ROOT
from server_support import WORDS, client
from trafficscreen.messages import msg
from trafficscreen.model.common import LANGUAGES, Level
from trafficscreen.model.dictionary import FieldDef, FieldType, Respondent
from trafficscreen.server import ServerConfig
from trafficscreen.server.form import CANNOT_ASK, NEXT_SHOWN, NONE_OF_THESE, START_FIELDS, FormBuilder, markdown_to_html


class Page(HTMLParser):
    """The parts of a page the tests look at: inputs (with the question they belong to), labels,
    fieldsets and their legends, the questions shown, autofocus, and the result's level."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.html = html
        self.inputs: list[dict[str, str]] = []
        self.labels: dict[str, str] = {}
        self.fieldsets: list[dict[str, Any]] = []
        self.questions: list[dict[str, str]] = []
        self.buttons: list[dict[str, str]] = []
        self.autofocus: list[dict[str, str]] = []
        self._stack: list[dict[str, Any]] = []
        self._label: str | None = None
        self._legend: dict[str, Any] | None = None
        self.html_lang = ""
        self.feed(html)
        m = re.search(r'class="result level-(\w+)"', html)
        self.level = m.group(1) if m else None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        a["tag"] = tag
        if tag == "html":
            self.html_lang = a.get("lang", "")
        if "autofocus" in a:
            self.autofocus.append(a)
        if tag in ("input", "select"):
            a["question"] = next(
                (f["data"].get("data-field", "") for f in reversed(self._stack) if "data-question" in f["data"]), ""
            )
            self.inputs.append(a)
        if tag == "button":
            self.buttons.append(a)
        if tag == "label":
            self._label = a.get("for", "")
            self.labels[self._label] = ""
        if tag == "fieldset":
            fs = {"id": a.get("id", ""), "class": a.get("class", ""), "legend": "", "data": a}
            self.fieldsets.append(fs)
            self._stack.append(fs)
            if "data-question" in a:
                self.questions.append(a)
        if tag == "legend" and self._stack:
            self._legend = self._stack[-1]

    def handle_endtag(self, tag: str) -> None:
        if tag == "fieldset" and self._stack:
            self._stack.pop()
        if tag == "label":
            self._label = None
        if tag == "legend":
            self._legend = None

    def handle_data(self, data: str) -> None:
        if self._label is not None:
            self.labels[self._label] += data
        if self._legend is not None:
            self._legend["legend"] += data

    @property
    def shown(self) -> list[str]:
        return [q["data-field"] for q in self.questions]

    @property
    def state(self) -> list[tuple[str, str]]:
        """The hidden inputs: the answers carried, the questions skipped, the language."""
        return [(i["name"], i["value"]) for i in self.inputs if i.get("type") == "hidden"]

    def text(self) -> str:
        return html_lib.unescape(re.sub(r"<[^>]+>", " ", self.html))


@pytest.fixture(scope="module")
def app() -> Iterator[TestClient]:
    with client(ServerConfig()) as c:
        yield c


def post_form(app: TestClient, pairs: list[tuple[str, str]]) -> Any:
    return app.post("/form", content=urlencode(pairs), headers={"content-type": "application/x-www-form-urlencoded"})


def field(fid: str) -> FieldDef:
    return default_screener().set.dictionary.by_id[fid]


def encode(fid: str, value: Any) -> list[tuple[str, str]]:
    """Form pairs for an answer, as the browser sends them (CANNOT_ASK for "cannot ask")."""
    fd = field(fid)
    if value == CANNOT_ASK:
        return [(fid, CANNOT_ASK)]
    if fd.type is FieldType.BOOLEAN:
        return [(fid, "yes" if value else "no")]
    if fd.type is FieldType.SET:
        return [(fid, v) for v in value] if value else [(fid, NONE_OF_THESE)]
    return [(fid, str(value))]


def _form(answers: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    pairs = [("lang", lang)]
    for fid, value in answers.items():
        pairs += encode(fid, value)
    return pairs


Policy = Callable[[FieldDef], Any]
"""The nurse: the answer to a question shown (None leaves it blank, CANNOT_ASK is "cannot ask")."""


def plain(fd: FieldDef) -> Any:
    """No to every yes/no question, "none of these", the first listed answer, the minimum."""
    if fd.type is FieldType.BOOLEAN:
        return False
    if fd.type is FieldType.SET:
        return []
    if fd.type is FieldType.ENUM:
        return (fd.values or ())[0].code
    return int(fd.min or 0)


def run_interview(
    app: TestClient, start: dict[str, Any], nurse: Policy, lang: str = "en", stop_after: int = 60
) -> tuple[list[Page], list[list[str]]]:
    """Answer the opening page with ``start`` and then every question shown with ``nurse``, one POST per
    step, until the page shows the result with no question left (or ``stop_after`` steps). Returns the
    pages seen (the opening page first) and the questions answered at each step."""
    page = Page(app.get(f"/form?lang={lang}").text)
    pages, asked = [page], []
    for _ in range(stop_after):
        pairs = list(page.state)
        answered = []
        for fid in page.shown:
            value = start.get(fid) if len(pages) == 1 else nurse(field(fid))
            if value is not None:
                pairs += encode(fid, value)
                answered.append(fid)
        asked.append(answered)
        r = post_form(app, [*pairs, ("_action", "next")])
        assert r.status_code == 200, r.text[:2000]
        page = Page(r.text)
        pages.append(page)
        if not page.shown:
            assert page.level is not None, "a page without questions shows the result"
            return pages, asked
    raise AssertionError("the interview did not end")


# --- the opening page ---------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_interview_opens_with_age_and_who_is_present_fully_labelled(app: TestClient, lang: str) -> None:
    r = app.get(f"/form?lang={lang}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = Page(r.text)
    assert page.html_lang == lang
    cs = default_screener().set
    expected = [f for f in START_FIELDS if f in cs.dictionary.by_id]
    assert page.shown == expected  # age first, then the companion, seen alone, language, interpreter
    assert {"child_seen_alone", "professional_interpreter_present"} <= set(page.shown)  # though no indicator reads them
    words = WORDS[lang]
    visible = [i for i in page.inputs if i.get("type") != "hidden"]
    for i in visible:  # a label on every input, ids unique
        assert page.labels.get(i["id"], "").strip(), i
    assert len({i["id"] for i in visible}) == len(visible)
    for q in page.questions:  # a fieldset whose legend says who answers, then the question
        fd = field(q["data-field"])
        fs = next(f for f in page.fieldsets if f["id"] == f"f-{fd.id}")
        legend = " ".join(fs["legend"].split())
        assert legend.startswith(words[f"group.{fd.asked_of.value}"])
        assert " ".join(fd.question.get(lang).split()) in legend
        mine = [i for i in visible if i["question"] == fd.id]
        assert all(i["name"] == fd.id for i in mine)
        cannot = [i for i in mine if i.get("value") == CANNOT_ASK or i["tag"] == "select"]
        assert cannot, f"{fd.id} has a 'cannot ask' choice"
        if fd.type is FieldType.BOOLEAN:  # yes, no, cannot ask; nothing chosen yet
            assert [page.labels[i["id"]] for i in mine] == [words["yes"], words["no"], words["cannot_ask"]]
            assert not any("checked" in i for i in mine)
        elif fd.type is FieldType.ENUM:
            assert f'value="{CANNOT_ASK}">{html_lib.escape(words["cannot_ask"])}</option>' in r.text
        elif fd.type is FieldType.INTEGER:
            assert [i["type"] for i in mine] == ["number", "checkbox"] and mine[0]["step"] == "1"
            assert page.labels[mine[1]["id"]] == words["cannot_ask"]
    # the first question gets the focus, and the default button (Enter) is "next"
    assert [a.get("id") for a in page.autofocus] == [f"f-{expected[0]}-value"]
    assert [b.get("value") for b in page.buttons] == ["next", "result"]
    assert words["confidential"] in r.text and words["intro"].split(".")[0] in html_lib.unescape(r.text)
    assert 'id="result"' not in r.text


def test_form_works_without_javascript(app: TestClient) -> None:
    html = app.get("/form").text
    assert re.search(r'<form id="screen-form" method="post" action="form"', html)
    # relative links only, so the form also works behind a proxy that serves it under a path prefix
    assert re.search(r"""(href|action|data-api)="/""", html) is None
    assert re.search(r'<button type="submit" id="next" name="_action" value="next">', html)
    assert html.count("<script>") == 1 and "onclick" not in html and "onchange" not in html
    assert 'autocomplete="off"' in html and " autofocus" in html


# --- the interview ------------------------------------------------------------------------------------


def test_an_infant_is_never_asked_anything_addressed_to_the_child(app: TestClient) -> None:
    start = {"age_years": 1, "companion_relationship": "unrelated_adult", "child_seen_alone": False}
    pages, _ = run_interview(app, start, plain)
    shown = [f for page in pages for f in page.shown]
    assert shown and all(field(f).asked_of is not Respondent.CHILD for f in shown)
    assert all(len(page.shown) <= NEXT_SHOWN for page in pages[1:])
    last = pages[-1]
    assert last.level == "none" and 'id="result-heading"' in last.html
    words = WORDS["en"]
    # nothing that could change the level can be asked now: said plainly, with what to do instead
    text = last.text()
    assert words["exhausted"] in text and words["cannot.heading"] in text
    result = default_screener().screen({"answers": FormBuilder(default_screener().set).read(last.state, "en").answers})
    reasons = [r for c in result.cannot_ask for r in c.reasons]
    assert reasons and all(" ".join(r.split()) in " ".join(text.split()) for r in reasons)
    assert any("under 8" in r for r in reasons)
    # and with random answers, "cannot ask" and blanks: still never a question to the child
    rng = random.Random(12)

    def anything(fd: FieldDef) -> Any:
        roll = rng.random()
        if roll < 0.15:
            return CANNOT_ASK
        if roll < 0.3:
            return None
        if fd.type is FieldType.BOOLEAN:
            return rng.random() < 0.3
        return plain(fd)

    for age in (0, 1, 3, 7):
        pages, _ = run_interview(
            app, {"age_years": age, "child_seen_alone": True, "child_speaks_local_language": True}, anything
        )
        assert all(field(f).asked_of is not Respondent.CHILD for page in pages for f in page.shown)


COERCION = {
    "cannot_leave": True,
    "under_threat_now": True,
    "threatened_with_violence_now": True,
    "confined_or_watched": True,
}


def test_a_teenager_who_discloses_coercion_reaches_urgent_in_a_few_steps(app: TestClient) -> None:
    start = {
        "age_years": 15,
        "companion_relationship": "unrelated_adult",
        "child_seen_alone": True,
        "child_speaks_local_language": True,
    }

    def teenager(fd: FieldDef) -> Any:
        return COERCION.get(fd.id, plain(fd))

    pages, asked = run_interview(app, start, teenager)
    last = pages[-1]
    assert last.level == "urgent"
    assert WORDS["en"]["settled"] in last.text()  # no further answer can change the level
    steps = len(asked)  # POSTs, the opening page's included
    questions = sum(len(a) for a in asked)
    full = len(default_screener().set.used_fields)
    assert steps < full and questions < full / 3, (steps, questions, full)
    assert steps <= 5
    assert msg("en", "level.urgent") in last.text()
    from trafficscreen.content.referral import load_messages

    assert load_messages("en")["title"] in last.text()  # the guidance comes with the settled result


def test_cannot_ask_leaves_the_fact_unknown_and_is_not_asked_again(app: TestClient) -> None:
    start = [("lang", "en"), ("age_years", "14"), ("child_seen_alone", "yes"), ("child_speaks_local_language", "yes")]
    page = Page(post_form(app, [*start, ("_action", "next")]).text)
    skipped = page.shown[0]
    assert field(skipped).type is FieldType.BOOLEAN
    page = Page(post_form(app, [*page.state, (skipped, CANNOT_ASK), ("_action", "next")]).text)
    assert skipped not in page.shown
    assert ("_skip", skipped) in page.state and skipped not in {n for n, _ in page.state if n != "_skip"}
    assert "Cannot ask: stays unknown" in page.text()
    for _ in range(6):  # go on answering no; the question never comes back
        pairs = list(page.state)
        for fid in page.shown:
            pairs += encode(fid, plain(field(fid)))
        page = Page(post_form(app, [*pairs, ("_action", "next")]).text)
        assert skipped not in page.shown and ("_skip", skipped) in page.state
    page = Page(post_form(app, [*page.state, ("_action", "result")]).text)  # stop: result and guidance
    assert page.level is not None and WORDS["en"]["guidance"] in page.html
    answers = FormBuilder(default_screener().set).read(page.state, "en").answers
    assert skipped not in answers  # unknown, never false
    result = default_screener().screen({"answers": answers})
    assert skipped in {q.field for q in result.ask_next}  # still unknown, so still worth asking some day
    first = next(q for q in result.ask_next if q.could_lead_to is not None)
    lead = msg("en", "text.could_lead_to", level=msg("en", f"scale.{first.could_lead_to.value}"))  # type: ignore[union-attr]
    assert lead in page.text()  # each question says what an answer could change
    assert result.completeness.answered == len(set(answers) & set(default_screener().set.used_fields))
    assert (
        msg("en", "text.answered", answered=str(result.completeness.answered), total=str(result.completeness.total))
        in page.text()
    )
    # a number or a multiple choice can be "cannot ask" too; with an answer as well it is an error
    r = post_form(app, [("lang", "en"), ("age_years", CANNOT_ASK), ("_action", "next")])
    page = Page(r.text)
    assert "age_years" not in page.shown and ("_skip", "age_years") in page.state
    assert page.shown and all(field(f).asked_of is not Respondent.CHILD for f in page.shown)
    r = post_form(app, [("lang", "nb"), ("age_years", "12"), ("age_years", CANNOT_ASK)])
    assert r.status_code == 422 and WORDS["nb"]["err.cannot_and_answer"] in html_lib.unescape(r.text)


def test_an_answer_can_be_reviewed_and_changed(app: TestClient) -> None:
    r = post_form(
        app,
        [
            ("lang", "pt"),
            ("age_years", "15"),
            ("child_seen_alone", "no"),
            ("child_speaks_local_language", "yes"),
            ("_action", "next"),
        ],
    )
    page = Page(r.text)
    assert all(field(f).asked_of is not Respondent.CHILD for f in page.shown)  # not alone: not the child
    assert WORDS["pt"]["cannot.heading"] in page.text()
    assert ("child_seen_alone", "no") in page.state
    changes = [b for b in page.buttons if b.get("name") == "_change"]
    assert {b["value"] for b in changes} == {"age_years", "child_seen_alone", "child_speaks_local_language"}
    page = Page(post_form(app, [*page.state, ("_change", "child_seen_alone")]).text)
    assert page.shown[0] == "child_seen_alone"
    assert [a.get("id") for a in page.autofocus] == ["f-child_seen_alone-yes"]
    assert "child_seen_alone" not in {n for n, _ in page.state}  # shown with its answer, not carried
    chosen = [i for i in page.inputs if i["name"] == "child_seen_alone" and "checked" in i]
    assert [c["value"] for c in chosen] == ["no"]
    pairs = [p for p in page.state] + [("child_seen_alone", "yes"), ("_action", "next")]
    page = Page(post_form(app, pairs).text)
    assert any(field(f).asked_of is Respondent.CHILD for f in page.shown)  # now the child can be asked
    assert WORDS["pt"]["cannot.heading"] not in page.text()
    # switching language keeps the answers
    page = Page(post_form(app, [("lang", "nb"), *page.state]).text)
    assert page.html_lang == "nb" and ("child_seen_alone", "yes") in page.state


def test_state_that_is_not_the_form_s_own_is_ignored(app: TestClient) -> None:
    r = post_form(
        app, [("lang", "en"), ("_skip", "<script>"), ("_change", "not_a_field"), ("_action", "x"), ("age_years", "9")]
    )
    assert r.status_code == 200 and r.text.count("<script>") == 1 and "not_a_field" not in r.text
    page = Page(r.text)
    assert page.level is None and page.shown and ("age_years", "9") in page.state


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_step_page_is_labelled_in_each_language(app: TestClient, lang: str) -> None:
    start = {"age_years": 12, "child_seen_alone": True, "child_speaks_local_language": True}
    page = Page(app.get(f"/form?lang={lang}").text)
    page = Page(post_form(app, [*page.state, *_form(start, lang)[1:], ("_action", "next")]).text)
    assert page.html_lang == lang and page.shown
    words = WORDS[lang]
    for i in page.inputs:
        if i.get("type") != "hidden":
            assert page.labels.get(i["id"], "").strip(), i
    text = page.text()
    for key in ("step.next", "next", "stop", "answers", "change", "live", "language.switch"):
        assert words[key] in text, key
    assert next(a.get("id", "") for a in page.autofocus).startswith(f"f-{page.shown[0]}-")
    for fid in page.shown:
        assert " ".join(field(fid).question.get(lang).split()) in " ".join(text.split())


# --- the result ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("level", [Level.NONE, Level.REFER, Level.URGENT])
def test_stopping_shows_level_reasons_questions_and_guidance(app: TestClient, lang: str, level: Level) -> None:
    answers = answers_reaching(default_screener(), level)
    expected = default_screener().screen({"answers": answers}, lang=lang)
    r = post_form(app, [*_form(answers, lang), ("_action", "result")])
    assert r.status_code == 200
    html = r.text
    assert f'class="result level-{level.value}"' in html
    shown = html_lib.unescape(html)
    assert msg(lang, f"level.{level.value}") in shown
    for reason in expected.reasons:
        assert reason in shown
    for q in expected.ask_next:
        assert q.question in shown
    assert expected.notice in shown
    assert 'class="guidance"' in html and WORDS[lang]["guidance"] in html
    from trafficscreen.content.referral import load_messages

    assert load_messages(lang)["title"] in shown  # the guidance, in the form's language
    page = Page(html)  # the answers are kept, so the interview can go on
    assert FormBuilder(default_screener().set).read(page.state, lang).answers == answers
    assert [a.get("id") for a in page.autofocus] == ["result-heading"]
    assert (WORDS[lang]["settled"] in page.text()) == expected.settled


def test_form_and_api_agree(app: TestClient) -> None:
    for level in Level:
        answers = answers_reaching(default_screener(), level)
        api = app.post("/api/screen?lang=pt", json={"answers": answers}).json()
        assert api["level"] == level.value and api["lang"] == "pt"
        html = post_form(app, [*_form(answers, "pt"), ("_action", "result")]).text
        assert f'class="result level-{api["level"]}"' in html


def test_api_returns_the_same_json_as_the_cli(app: TestClient, tmp_path: Any) -> None:
    import json
    import subprocess
    import sys

    encounter = ROOT / "examples" / "encounters" / "labour-refer.json"
    cli = subprocess.run(
        [sys.executable, "-m", "trafficscreen.cli", "screen", str(encounter), "--format", "json", "--lang", "nb"],
        capture_output=True,
        text=True,
        check=True,
    )
    api = app.post("/api/screen?lang=nb", content=encounter.read_bytes(), headers={"content-type": "application/json"})
    assert api.status_code == 200
    assert api.json() == json.loads(cli.stdout)


def test_bad_answers_are_shown_next_to_their_field_without_a_result(app: TestClient) -> None:
    cs = default_screener().set
    number = next(f for f in cs.used_fields if cs.dictionary.by_id[f].type is FieldType.INTEGER)
    choices = next(f for f in cs.used_fields if cs.dictionary.by_id[f].type is FieldType.SET)
    some = sorted(cs.dictionary.by_id[choices].codes)[0]
    r = post_form(
        app, [("lang", "nb"), (number, "tolv"), (choices, some), (choices, NONE_OF_THESE), ("_action", "result")]
    )
    assert r.status_code == 422
    assert 'class="result' not in r.text
    assert f'<a href="#f-{number}">' in r.text and f'<a href="#f-{choices}">' in r.text
    shown = html_lib.unescape(r.text)
    assert WORDS["nb"]["err.number"] in shown and WORDS["nb"]["err.none_and_some"] in shown
    assert 'aria-invalid="true"' in r.text and "tolv" not in shown.split("<form")[0]
    page = Page(r.text)
    assert page.shown[:2] == [number, choices]  # asked again, first
    assert [a.get("class") for a in page.autofocus] == ["errors"]
    r = post_form(app, [("lang", "en"), (number, "999")])
    assert r.status_code == 422 and "enter a number from" in r.text


def test_reading_answers() -> None:
    builder = FormBuilder(default_screener().set)
    cs = default_screener().set
    boolean = next(f for f in cs.used_fields if cs.dictionary.by_id[f].type is FieldType.BOOLEAN)
    choices = next(f for f in cs.used_fields if cs.dictionary.by_id[f].type is FieldType.SET)
    enum = next(f for f in cs.used_fields if cs.dictionary.by_id[f].type is FieldType.ENUM)
    codes = sorted(cs.dictionary.by_id[choices].codes)
    answers, errors, _ = builder.parse(
        [(boolean, "no"), (choices, NONE_OF_THESE), (enum, ""), ("lang", "en"), ("not_a_field", "x")], "en"
    )
    assert answers == {boolean: False, choices: []} and errors == {}  # a blank stays unknown
    answers, errors, _ = builder.parse([(boolean, ""), (choices, codes[1]), (choices, codes[0])], "en")
    assert answers == {choices: sorted(codes[:2])}
    answers, errors, _ = builder.parse([(boolean, "maybe"), (enum, "<script>")], "en")
    assert set(errors) == {boolean, enum} and "<script>" not in " ".join(errors.values())
    sub = builder.read(
        [(boolean, CANNOT_ASK), (choices, CANNOT_ASK), (enum, CANNOT_ASK), ("_skip", "age_years"), ("age_years", "")],
        "en",
    )
    assert sub.answers == {} and sub.errors == {} and sub.skipped == ["age_years", boolean, choices, enum]
    sub = builder.read([("_skip", boolean), (boolean, "yes")], "en")  # an answer given clears the skip
    assert sub.answers == {boolean: True} and sub.skipped == []
    # answers carried to the next step read back the same
    full = answers_reaching(default_screener(), Level.URGENT) | {"age_years": 13, "child_seen_alone": True}
    pairs = [(fid, v) for fid, value in full.items() for v in builder.hidden(fid, value)]
    assert builder.read(pairs, "en").answers == full


def test_markdown_is_rendered_safely() -> None:
    html = markdown_to_html(
        "## Heading\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) "
        "<https://example.org> **bold** <img src=x onerror=alert(1)>"
    )
    assert "<h2>Heading</h2>" in html and "<strong>bold</strong>" in html
    assert "<script>" not in html and "<img" not in html
    assert 'href="javascript' not in html
    assert '<a href="https://example.org">' in html


def test_unknown_language(app: TestClient) -> None:
    r = app.get("/form?lang=de")
    assert r.status_code == 400 and "language" in r.json()["error"]
    assert app.get("/", follow_redirects=False).headers["location"] == "/form"


def test_every_word_is_in_every_language_with_the_same_placeholders() -> None:
    import string

    def holes(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    english = WORDS["en"]
    for lang in LANGUAGES:
        assert set(WORDS[lang]) == set(english), lang
        for key, text in WORDS[lang].items():
            assert text.strip() and holes(text) == holes(english[key]), (lang, key)
