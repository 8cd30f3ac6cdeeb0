"""The triage form: built from the set's dictionary, accessible, in three languages, and read back right."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from starlette.testclient import TestClient

from fhir_support import default_screener
from levels import answers_reaching
from server_support import client
from trafficscreen.model.common import LANGUAGES, Level
from trafficscreen.model.dictionary import FieldType
from trafficscreen.server import ServerConfig
from trafficscreen.server.form import NONE_OF_THESE, FormBuilder, markdown_to_html
from trafficscreen.server.words import WORDS


class Page(HTMLParser):
    """The parts of a page the tests look at: inputs, labels, fieldsets and their legends."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.inputs: list[dict[str, str]] = []
        self.labels: dict[str, str] = {}
        self.fieldsets: list[dict[str, Any]] = []
        self._stack: list[dict[str, Any]] = []
        self._label: str | None = None
        self._legend: dict[str, Any] | None = None
        self.html_lang = ""
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.html_lang = a.get("lang", "")
        if tag in ("input", "select"):
            a["tag"] = tag
            a["fieldset"] = self._stack[-1]["id"] if self._stack else ""
            a["group"] = self._stack[0]["class"] if self._stack else ""
            self.inputs.append(a)
        if tag == "label":
            self._label = a.get("for", "")
            self.labels[self._label] = ""
        if tag == "fieldset":
            fs = {"id": a.get("id", ""), "class": a.get("class", ""), "legend": "", "data": a}
            self.fieldsets.append(fs)
            self._stack.append(fs)
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


@pytest.fixture(scope="module")
def app() -> Iterator[TestClient]:
    with client(ServerConfig()) as c:
        yield c


@pytest.mark.parametrize("lang", LANGUAGES)
def test_form_is_built_from_the_set_and_fully_labelled(app: TestClient, lang: str) -> None:
    r = app.get(f"/form?lang={lang}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = Page(r.text)
    assert page.html_lang == lang
    cs = default_screener().set
    visible = [i for i in page.inputs if i.get("type") != "hidden"]
    assert {i["name"] for i in visible} == set(cs.used_fields)  # exactly the fields the set reads
    for i in visible:  # a label on every input
        assert page.labels.get(i["id"], "").strip(), i
    ids = [i["id"] for i in visible]
    assert len(ids) == len(set(ids))
    words = WORDS[lang]
    for fid in cs.used_fields:
        fd = cs.dictionary.by_id[fid]
        mine = [i for i in visible if i["name"] == fid]
        if fd.type is FieldType.BOOLEAN:  # yes / no / not asked, not asked chosen
            assert [i["type"] for i in mine] == ["radio"] * 3
            assert [page.labels[i["id"]] for i in mine] == [words["yes"], words["no"], words["not_asked"]]
            assert [("checked" in i) for i in mine] == [False, False, True]
            assert mine[2]["value"] == ""
        elif fd.type is FieldType.SET:
            assert all(i["type"] == "checkbox" and "checked" not in i for i in mine)
            assert [i["value"] for i in mine] == [v.code for v in fd.values or ()] + [NONE_OF_THESE]
        elif fd.type is FieldType.ENUM:
            assert [i["tag"] for i in mine] == ["select"]
        elif fd.type is FieldType.INTEGER:
            assert mine[0]["type"] == "number" and mine[0]["step"] == "1"
        if fd.type in (FieldType.BOOLEAN, FieldType.SET):  # a fieldset whose legend is the question
            fs = next(f for f in page.fieldsets if f["id"] == f"f-{fid}")
            assert " ".join(fs["legend"].split()).startswith(" ".join(fd.question.get(lang).split()))
            assert all(i["fieldset"] == f"f-{fid}" for i in mine)
        else:
            assert " ".join(page.labels[f"f-{fid}"].split()).startswith(" ".join(fd.question.get(lang).split()))
        assert mine[0]["group"] == f"group group-{fd.asked_of.value}"
    groups = [f for f in page.fieldsets if f["class"].startswith("group ")]
    order = [g["class"].split("group-")[1] for g in groups]
    assert order == [w for w in ("record", "clinician", "companion", "child") if w in order]
    assert [" ".join(g["legend"].split()) for g in groups] == [words[f"group.{w}"] for w in order]
    assert words["confidential"] in r.text and words["intro"].split(".")[0] in r.text


def test_form_works_without_javascript(app: TestClient) -> None:
    html = app.get("/form").text
    assert re.search(r'<form id="screen-form" method="post" action="form"', html)
    # relative links only, so the form also works behind a proxy that serves it under a path prefix
    assert re.search(r"""(href|action|data-api)="/""", html) is None
    assert '<button type="submit">' in html
    assert 'id="live" class="live" hidden' in html  # the live level shows only when the script runs
    assert html.count("<script>") == 1 and "onclick" not in html and "onchange" not in html
    assert 'autocomplete="off"' in html


def post_form(app: TestClient, pairs: list[tuple[str, str]]) -> Any:
    from urllib.parse import urlencode

    return app.post("/form", content=urlencode(pairs),
                    headers={"content-type": "application/x-www-form-urlencoded"})


def _form(answers: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    cs = default_screener().set
    pairs = [("lang", lang)]
    for fid, value in answers.items():
        fd = cs.dictionary.by_id[fid]
        if fd.type is FieldType.BOOLEAN:
            pairs.append((fid, "yes" if value else "no"))
        elif fd.type is FieldType.SET:
            pairs.extend((fid, v) for v in value) if value else pairs.append((fid, NONE_OF_THESE))
        else:
            pairs.append((fid, str(value)))
    return pairs


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("level", [Level.NONE, Level.REFER, Level.URGENT])
def test_submitting_shows_level_reasons_questions_and_guidance(app: TestClient, lang: str, level: Level) -> None:
    answers = answers_reaching(default_screener(), level)
    expected = default_screener().screen({"answers": answers}, lang=lang)
    r = post_form(app, _form(answers, lang))
    assert r.status_code == 200
    html = r.text
    assert f'class="result level-{level.value}"' in html
    import html as html_lib

    from trafficscreen.messages import msg

    shown = html_lib.unescape(html)
    assert msg(lang, f"level.{level.value}") in shown
    for reason in expected.reasons:
        assert reason in shown
    for q in expected.ask_next:
        assert q.question in shown
    assert expected.notice in shown
    assert 'class="guidance"' in html and WORDS[lang]["guidance"] in html
    from trafficscreen.referral import load_messages

    assert load_messages(lang)["title"] in shown  # the guidance, in the form's language
    page = Page(html)  # the answers are kept, so the form can be completed and screened again
    for fid, value in answers.items():
        if isinstance(value, bool):
            chosen = [i for i in page.inputs if i["name"] == fid and "checked" in i]
            assert [c["value"] for c in chosen] == ["yes" if value else "no"]


def test_form_and_api_agree(app: TestClient) -> None:
    for level in Level:
        answers = answers_reaching(default_screener(), level)
        api = app.post("/api/screen?lang=pt", json={"answers": answers}).json()
        assert api["level"] == level.value and api["lang"] == "pt"
        html = post_form(app, _form(answers, "pt")).text
        assert f'class="result level-{api["level"]}"' in html


def test_api_returns_the_same_json_as_the_cli(app: TestClient, tmp_path: Any) -> None:
    import json
    import subprocess
    import sys
    from pathlib import Path

    encounter = Path(__file__).resolve().parent.parent / "examples" / "encounters" / "labour-refer.json"
    cli = subprocess.run([sys.executable, "-m", "trafficscreen.cli", "screen", str(encounter), "--format", "json",
                          "--lang", "nb"], capture_output=True, text=True, check=True)
    api = app.post("/api/screen?lang=nb", content=encounter.read_bytes(),
                   headers={"content-type": "application/json"})
    assert api.status_code == 200
    assert api.json() == json.loads(cli.stdout)


def test_bad_answers_are_shown_next_to_their_field_without_a_result(app: TestClient) -> None:
    cs = default_screener().set
    number = next(f for f in cs.used_fields if cs.dictionary.by_id[f].type is FieldType.INTEGER)
    choices = next(f for f in cs.used_fields if cs.dictionary.by_id[f].type is FieldType.SET)
    some = sorted(cs.dictionary.by_id[choices].codes)[0]
    r = post_form(app, [("lang", "nb"), (number, "tolv"), (choices, some), (choices, NONE_OF_THESE)])
    assert r.status_code == 422
    assert 'class="result' not in r.text
    assert f'<a href="#f-{number}">' in r.text and f'<a href="#f-{choices}">' in r.text
    import html

    shown = html.unescape(r.text)
    assert WORDS["nb"]["err.number"] in shown and WORDS["nb"]["err.none_and_some"] in shown
    assert 'aria-invalid="true"' in r.text
    r = post_form(app, [("lang", "en"), (number, "999")])
    assert r.status_code == 422 and "enter a number from" in r.text


def test_reading_answers() -> None:
    builder = FormBuilder(default_screener().set)
    cs = default_screener().set
    boolean = next(f for f in cs.used_fields if cs.dictionary.by_id[f].type is FieldType.BOOLEAN)
    choices = next(f for f in cs.used_fields if cs.dictionary.by_id[f].type is FieldType.SET)
    enum = next(f for f in cs.used_fields if cs.dictionary.by_id[f].type is FieldType.ENUM)
    codes = sorted(cs.dictionary.by_id[choices].codes)
    answers, errors, _ = builder.parse([(boolean, "no"), (choices, NONE_OF_THESE), (enum, ""), ("lang", "en"),
                                        ("not_a_field", "x")], "en")
    assert answers == {boolean: False, choices: []} and errors == {}  # not asked stays unknown
    answers, errors, _ = builder.parse([(boolean, ""), (choices, codes[1]), (choices, codes[0])], "en")
    assert answers == {choices: sorted(codes[:2])}
    answers, errors, _ = builder.parse([(boolean, "maybe"), (enum, "<script>")], "en")
    assert set(errors) == {boolean, enum} and "<script>" not in " ".join(errors.values())


def test_markdown_is_rendered_safely() -> None:
    html = markdown_to_html("## Heading\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) "
                            "<https://example.org> **bold** <img src=x onerror=alert(1)>")
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
