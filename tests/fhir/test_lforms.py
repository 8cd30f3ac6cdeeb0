"""The generated Questionnaire in a form renderer we did not write: NLM's LHC-Forms (npm ``lforms``,
installed under tools/cql by scripts/setup.d/45-cql.sh), in Debian's Chromium driven by Playwright.

* For every shipped example encounter, LHC-Forms loads the Questionnaire with the encounter's answers
  (through its own QuestionnaireResponse import), and the QuestionnaireResponse it writes back, screened
  through ``encounter_from_questionnaire_response``, gives the same result as the JSON encounter.
* ``enableWhen`` behaves there as intended: questions that do not apply are not shown, appear when the
  answers make them apply (typed and clicked in the form), and their answers are left out of the
  response while they do not apply.

The page and LHC-Forms' files are served to the browser from disk by Playwright (no network, no port).
These tests fail, never skip, when Chromium or LHC-Forms is missing.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright

from fhir_support import EXAMPLE_ENCOUNTERS, default_screener, default_set, enabled, example, fill, questions
from paths import ROOT
from trafficscreen.fhir import encounter_from_questionnaire_response, questionnaire

pytestmark = [pytest.mark.browser, pytest.mark.cql]

LFORMS = ROOT / "tools" / "cql" / "node_modules" / "lforms" / "dist" / "lforms"
SETUP = "bash scripts/setup.d/45-cql.sh"
CHROMIUM = "/usr/bin/chromium"
ORIGIN = "http://lforms.test"
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>LHC-Forms</title>
<link rel="stylesheet" href="/lforms/webcomponent/styles.css">
<script src="/lforms/webcomponent/assets/lib/zone.min.js"></script>
<script src="/lforms/webcomponent/runtime.js" type="module"></script>
<script src="/lforms/webcomponent/polyfills.js" type="module"></script>
<script src="/lforms/webcomponent/main.js" type="module"></script>
</head><body><div id="form"></div></body></html>"""


def serve(route: Route) -> None:
    path = route.request.url[len(ORIGIN) :].split("?", 1)[0]
    if path == "/":
        route.fulfill(body=PAGE, content_type="text/html")
        return
    file = (LFORMS / path.removeprefix("/lforms/")).resolve()
    if path.startswith("/lforms/") and file.is_relative_to(LFORMS.resolve()) and file.is_file():
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        route.fulfill(body=file.read_bytes(), content_type=kind)
        return
    route.fulfill(status=404, body="")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not (LFORMS / "webcomponent" / "main.js").is_file():
        pytest.fail(f"LHC-Forms is not installed under {LFORMS}; run `{SETUP}` (make test does)")
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed; run `bash scripts/setup.d/20-chromium.sh` (make test does)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    context.route(f"{ORIGIN}/**", serve)
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.goto(f"{ORIGIN}/")
    pg.wait_for_function("() => !!(window.LForms && LForms.Util && LForms.Util.addFormToPage)")
    # the FHIR support file extends LForms, so it loads once the web component has defined it
    pg.add_script_tag(url=f"{ORIGIN}/lforms/fhir/R4/lformsFHIR.min.js")
    pg.wait_for_function("() => !!(LForms.FHIR && LForms.FHIR.R4)")
    yield pg
    context.close()
    assert errors == []


def render(page: Page, q: dict[str, Any], qr: dict[str, Any] | None = None) -> None:
    page.evaluate(
        """async ([q, qr]) => {
            let form = LForms.Util.convertFHIRQuestionnaireToLForms(q, 'R4');
            if (qr) form = LForms.Util.mergeFHIRDataIntoLForms('QuestionnaireResponse', qr, form, 'R4');
            await LForms.Util.addFormToPage(form, 'form', {fhirVersion: 'R4'});
        }""",
        [q, qr],
    )
    page.wait_for_selector("lhc-item")


def response(page: Page) -> dict[str, Any]:
    qr: dict[str, Any] = page.evaluate(
        "() => LForms.Util.getFormFHIRData('QuestionnaireResponse', 'R4', document.getElementById('form'))"
    )
    return qr


def shown(page: Page, link_id: str) -> bool:
    return page.locator(f"[id='item-{link_id}/1/1']").count() > 0


def answered(qr: dict[str, Any]) -> set[str]:
    out: set[str] = set()
    stack = list(qr.get("item", []))
    while stack:
        item = stack.pop()
        if item.get("answer"):
            out.add(item["linkId"])
        stack.extend(item.get("item", []))
    return out


def as_the_form_holds_it(q: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    """The answers a form keeps: those of questions its enableWhen shows, judged on the answers kept
    (our reading of FHIR enableWhen, fhir_support.enabled, repeated until nothing more is dropped)."""
    items = {i["linkId"]: i for i in questions(q)}
    kept = {k: v for k, v in answers.items() if k in items and v is not None}
    while True:
        now = {k: v for k, v in kept.items() if enabled(items[k], kept)}
        if now == kept:
            return kept
        kept = now


@pytest.mark.parametrize("path", EXAMPLE_ENCOUNTERS, ids=[p.stem for p in EXAMPLE_ENCOUNTERS])
def test_a_response_written_by_lhc_forms_screens_like_the_encounter(page: Page, path: Path) -> None:
    """LHC-Forms keeps exactly the answers our enableWhen reading keeps, and its response screens like
    the JSON encounter as the form holds it. (The shipped example encounters also answer questions the
    form does not show for them, e.g. schooling questions with no answer to 'seen alone'; a form cannot
    hold those answers, so they are not part of the comparison.)"""
    cs = default_set()
    q = questionnaire(cs, "R4B", "en")
    enc = example(path)
    render(page, q, fill(q, enc["answers"]))
    qr = response(page)
    assert qr["resourceType"] == "QuestionnaireResponse"
    assert qr["questionnaire"] == f"{q['url']}|{q['version']}"
    held = as_the_form_holds_it(q, enc["answers"])
    assert answered(qr) == set(held)
    screener = default_screener()
    want = screener.screen({"id": enc.get("id"), "answers": held})
    got = screener.screen(encounter_from_questionnaire_response(qr, cs))
    assert got.level == want.level
    assert got.highest_possible == want.highest_possible
    assert [i.status for i in got.indicators] == [i.status for i in want.indicators]
    assert [d.status for d in got.dimensions] == [d.status for d in want.dimensions]
    assert got.red_flags == want.red_flags
    if held == {k: v for k, v in enc["answers"].items() if v is not None}:
        assert got.level == screener.screen(enc).level


def test_lhc_forms_keeps_every_answer_of_a_form_consistent_encounter(page: Page) -> None:
    """An encounter a clinician could have entered in the form (every answered question shown) comes
    back from LHC-Forms whole and screens exactly like the JSON encounter."""
    cs = default_set()
    q = questionnaire(cs, "R4B", "en")
    enc = example(EXAMPLE_ENCOUNTERS[0])
    answers = {**enc["answers"], "child_seen_alone": True}
    held = as_the_form_holds_it(q, answers)
    assert len(held) > len(as_the_form_holds_it(q, enc["answers"]))  # seen alone: more questions apply
    render(page, q, fill(q, held))
    qr = response(page)
    assert answered(qr) == set(held)
    screener = default_screener()
    got = screener.screen(encounter_from_questionnaire_response(qr, cs))
    want = screener.screen({"answers": held})
    assert got.level == want.level and got.highest_possible == want.highest_possible
    assert [i.status for i in got.indicators] == [i.status for i in want.indicators]


def test_enable_when_hides_what_does_not_apply_and_shows_it_when_it_does(page: Page) -> None:
    q = questionnaire(default_set(), "R4B", "en")
    render(page, q)
    # asked of a child seen alone and aged 8 or more: hidden while neither is known
    assert shown(page, "age_years")
    assert not shown(page, "kept_from_school")
    assert shown(page, "birth_not_registered")  # for a child under 6, or of unknown age
    page.locator("[id='age_years/1/1']").fill("12")
    page.locator("[id='age_years/1/1']").press("Tab")
    page.keyboard.press("Escape")  # the next field, a list, opens its drop-down on focus: close it
    page.locator("[id='child_seen_alone/1/1|true']").click()
    page.wait_for_selector("[id='item-kept_from_school/1/1']")
    assert shown(page, "kept_from_school")
    assert not shown(page, "birth_not_registered")  # no longer applies at 12
    page.locator("[id='kept_from_school/1/1|true']").click()
    assert {"age_years", "child_seen_alone", "kept_from_school"} <= answered(response(page))
    # seen with the companion after all: the school questions no longer apply, and their answer goes
    page.locator("[id='child_seen_alone/1/1|false']").click()
    page.wait_for_selector("[id='item-kept_from_school/1/1']", state="detached")
    assert "kept_from_school" not in answered(response(page))


def test_answers_to_questions_that_do_not_apply_are_left_out(page: Page) -> None:
    """A response holding an answer to a question that does not apply (a 5-year-old's schooling) is
    loaded; LHC-Forms hides that question and writes no answer for it."""
    cs = default_set()
    q = questionnaire(cs, "R4B", "en")
    given = {"age_years": 5, "child_seen_alone": True, "kept_from_school": True, "birth_not_registered": True}
    render(page, q, fill(q, given))
    assert not shown(page, "kept_from_school")
    assert shown(page, "birth_not_registered")
    assert answered(response(page)) == {"age_years", "child_seen_alone", "birth_not_registered"}
