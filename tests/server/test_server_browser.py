"""End to end in a real browser: Debian's Chromium, headless, driven by Playwright, against
``trafficscreen serve`` on 127.0.0.1: whole interviews with the mouse, with the keyboard only, and with
JavaScript off. Screenshots go to test-artifacts/ (not kept in git)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from fhir_support import default_screener
from paths import ROOT
from server_support import WORDS
from trafficscreen.content.referral import load_messages
from trafficscreen.messages import msg
from trafficscreen.model.dictionary import FieldDef, FieldType, Respondent
from trafficscreen.server.form import CANNOT_ASK, NONE_OF_THESE

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "trafficscreen.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--lang",
            "nb",
            "--jurisdiction",
            "NO",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1) as r:
                if r.status == 200:
                    break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(
                    "the server did not start:\n" + (proc.stdout.read() if proc.stdout else "")
                ) from None
            time.sleep(0.1)
    yield base
    proc.terminate()
    try:
        out, _ = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    assert "Traceback" not in out
    assert "GET /form 200" in out and "POST /form 200" in out  # the access log, with no query string
    served = out.split("Uvicorn running")[-1]
    assert "lang=nb" not in served
    for fid in ("age_years", "child_seen_alone", "under_threat_now", "_skip", CANNOT_ASK):  # nor any answer
        assert fid not in served


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="nb-NO")
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    problems: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    pg.on("console", watch)
    yield pg
    context.close()
    assert problems == [], problems  # no CSP violation, no script error


def shot(page: Page, name: str, selector: str | None = None) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    if selector:
        page.locator(selector).screenshot(path=str(path))
    else:
        page.screenshot(path=str(path))
    return path


Nurse = Callable[[FieldDef], Any]
"""The answer to a question shown: None leaves it blank, CANNOT_ASK is "cannot ask"."""


def field(fid: str) -> FieldDef:
    return default_screener().set.dictionary.by_id[fid]


def plain(fd: FieldDef) -> Any:
    """No, none of these, the first listed answer, the smallest number."""
    if fd.type is FieldType.BOOLEAN:
        return False
    if fd.type is FieldType.SET:
        return []
    if fd.type is FieldType.ENUM:
        return (fd.values or ())[0].code
    return int(fd.min or 0)


def shown(page: Page) -> list[str]:
    return [q.get_attribute("data-field") or "" for q in page.locator("[data-question]").all()]


def answer_with_mouse(page: Page, fid: str, value: Any) -> None:
    fd = field(fid)
    if value is None:
        return
    if fd.type is FieldType.BOOLEAN:
        page.check(f"#f-{fid}-{'cannot' if value == CANNOT_ASK else ('yes' if value else 'no')}")
    elif fd.type is FieldType.SET:
        for code in ["cannot"] if value == CANNOT_ASK else (value or [NONE_OF_THESE]):
            page.check(f"#f-{fid}-{code}")
    elif fd.type is FieldType.ENUM:
        page.select_option(f"#f-{fid}-value", str(value))
    elif value == CANNOT_ASK:
        page.check(f"#f-{fid}-cannot")
    else:
        page.fill(f"#f-{fid}-value", str(value))


def interview(
    page: Page, start: dict[str, Any], nurse: Nurse, *, steps: int | None = None, seen: list[list[str]] | None = None
) -> int:
    """Answer the opening page with ``start`` and each later page with ``nurse``, pressing "next", until the
    page shows the result with no question left (or, with ``steps``, after that many pages). Returns the
    number of pages submitted. The first question shown has the focus on every page."""
    for step in range(steps or 30):
        fields = shown(page)
        if seen is not None:
            seen.append(fields)
        if not fields:
            assert page.locator("#result").is_visible()
            return step
        focused = page.locator(":focus").get_attribute("id") or ""
        assert focused.startswith(f"f-{fields[0]}-"), (focused, fields[0])
        for fid in fields:
            answer_with_mouse(page, fid, start.get(fid) if step == 0 else nurse(field(fid)))
        with page.expect_navigation():
            page.locator("#next").click()
    assert steps is not None, "the interview did not end"
    return steps


def test_an_infant_is_never_shown_a_question_to_the_child(server: str, page: Page) -> None:
    page.goto(f"{server}/form?lang=nb")
    assert page.locator("html").get_attribute("lang") == "nb"
    assert page.locator("h1").inner_text() == "Screening for menneskehandel med barn"
    shot(page, "form-nb-start")
    seen: list[list[str]] = []
    steps = interview(
        page, {"age_years": 1, "companion_relationship": "parent", "child_seen_alone": False}, plain, seen=seen
    )
    assert steps > 2
    asked_of = [field(f).asked_of for fields in seen for f in fields]
    assert asked_of and Respondent.CHILD not in asked_of
    result = page.locator("#result")
    assert "level-none" in (result.get_attribute("class") or "")
    assert WORDS["nb"]["exhausted"] in result.inner_text()  # nothing that could change the level is askable
    cannot = page.locator("section.cannot").inner_text()
    assert "Barnet er under 8 år" in cannot  # what to do instead, from the dictionary's ask rule
    assert load_messages("nb")["title"] in page.locator("#result .guidance").inner_text()
    shot(page, "form-nb-infant-result")


COERCION = {
    "cannot_leave": True,
    "under_threat_now": True,
    "threatened_with_violence_now": True,
    "confined_or_watched": True,
}


def test_a_teenager_who_discloses_coercion_reaches_urgent_in_a_few_steps(server: str, page: Page) -> None:
    page.goto(f"{server}/form?lang=pt")
    start = {
        "age_years": 15,
        "companion_relationship": "unrelated_adult",
        "child_seen_alone": True,
        "child_speaks_local_language": True,
    }
    live_checked = False

    def teenager(fd: FieldDef) -> Any:
        nonlocal live_checked
        if fd.id == "under_threat_now":  # the level bar follows the answers before they are sent
            answer_with_mouse(page, fd.id, True)
            page.wait_for_function(
                "(t) => document.getElementById('live-level').textContent === t", arg=msg("pt", "level.urgent")
            )
            assert page.locator("#live-note").inner_text() == WORDS["pt"]["settled"]
            shot(page, "form-pt-live-urgent")
            live_checked = True
        return COERCION.get(fd.id, plain(fd))

    seen: list[list[str]] = []
    steps = interview(page, start, teenager, seen=seen)
    questions = sum(len(s) for s in seen)
    full = len(default_screener().set.used_fields)
    assert live_checked and steps < full and questions < full / 3, (steps, questions, full)
    assert steps <= 5
    result = page.locator("#result")
    assert result.locator(".level").inner_text() == msg("pt", "level.urgent")
    assert WORDS["pt"]["settled"] in result.inner_text()
    assert page.locator("#result-heading").evaluate("e => e === document.activeElement")
    assert load_messages("pt")["title"] in page.locator("#result .guidance").inner_text()
    shot(page, "form-pt-teen-urgent", "#result")


def test_works_without_javascript(server: str, browser: Browser) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{server}/form?lang=pt")
    assert page.locator("#next").inner_text() == WORDS["pt"]["next"]
    first = shown(page)[0]
    assert page.locator(":focus").get_attribute("id") == f"f-{first}-value"  # autofocus, no script needed
    skipped: list[str] = []

    def nurse(fd: FieldDef) -> Any:
        if not skipped and fd.type is FieldType.BOOLEAN:
            skipped.append(fd.id)
            return CANNOT_ASK
        return plain(fd)

    seen: list[list[str]] = []
    start = {"age_years": 9, "child_seen_alone": True, "child_speaks_local_language": True}
    interview(page, start, nurse, steps=3, seen=seen)
    assert page.locator("#live-level").inner_text() == msg("pt", "level.none")  # rendered by the server
    assert skipped and all(skipped[0] not in fields for fields in [*seen[2:], shown(page)])
    assert WORDS["pt"]["skipped.value"] in page.locator("section.review").inner_text()
    with page.expect_navigation():
        page.locator("#stop").click()  # stop at any point: the result and the guidance
    result = page.locator("#result")
    assert result.is_visible() and result.locator(".level").inner_text() == msg("pt", "level.none")
    assert load_messages("pt")["title"] in page.locator("#result .guidance").inner_text()
    assert page.locator(":focus").get_attribute("id") == "result-heading"
    shot(page, "form-pt-nojs-result", "#result")
    context.close()


def _active(page: Page) -> dict[str, Any]:
    value: dict[str, Any] = page.evaluate(
        "() => { const e = document.activeElement; const q = e.closest('[data-question]');"
        " return {tag: e.tagName, id: e.id || '', name: e.name || '', type: e.type || '', value: e.value || '',"
        " field: q ? q.dataset.field : '', options: e.tagName === 'SELECT' ? [...e.options].map(o => o.value) : [],"
        " outline: getComputedStyle(e).outlineStyle}; }"
    )
    return value


def answer_with_keys(page: Page, start: dict[str, Any], nurse: Nurse, first: bool) -> list[str]:
    """Answer the questions shown with the keyboard alone, from the focused first question to the "next"
    button (Tab between questions, Space and arrow keys within one, typing in a number)."""
    acted: set[str] = set()
    order: list[str] = []
    for _ in range(100):
        el = _active(page)
        if el["tag"] == "BUTTON":
            assert el["id"] == "next", "every question comes before the buttons in the tab order"
            return order
        fid = el["field"]
        assert fid, f"focus left the questions: {el}"
        if fid not in order:
            order.append(fid)
        value = start.get(fid) if first else nurse(field(fid))
        if value is None:
            pass
        elif el["type"] == "radio":
            if fid not in acted:  # focus enters a group with nothing chosen on its first radio, "yes"
                assert el["value"] == "yes"
                page.keyboard.press("Space" if value is True else "ArrowDown")
                if value == CANNOT_ASK:
                    page.keyboard.press("ArrowDown")
                chosen = _active(page)
                assert chosen["value"] == ("yes" if value is True else "no" if value is False else CANNOT_ASK)
        elif el["type"] == "checkbox":
            if value == CANNOT_ASK:
                wanted = [CANNOT_ASK]
            else:  # a number's own box is "cannot ask"
                wanted = (value or [NONE_OF_THESE]) if field(fid).type is FieldType.SET else []
            if el["value"] in wanted:
                page.keyboard.press("Space")
        elif el["tag"] == "SELECT" and fid not in acted:
            for _ in range(el["options"].index(CANNOT_ASK if value == CANNOT_ASK else str(value))):
                page.keyboard.press("ArrowDown")
        elif el["type"] == "number" and fid not in acted and value != CANNOT_ASK:
            page.keyboard.type(str(value))
        acted.add(fid)
        page.keyboard.press("Tab")
        assert _active(page)["outline"] != "none", "the focus is visible"
    raise AssertionError("never reached the 'next' button by Tab")


def test_keyboard_only(server: str, page: Page) -> None:
    page.goto(f"{server}/form?lang=nb")
    start = {
        "age_years": 13,
        "companion_relationship": "other_relative",
        "child_seen_alone": True,
        "child_speaks_local_language": False,
        "professional_interpreter_present": True,
    }
    cannot: list[str] = []

    def nurse(fd: FieldDef) -> Any:
        if fd.asked_of is Respondent.CHILD and (not cannot or cannot == [fd.id]):
            cannot[:] = [fd.id]
            return CANNOT_ASK
        return plain(fd)

    seen: list[list[str]] = []
    for step in range(3):
        fields = shown(page)
        seen.append(fields)
        assert answer_with_keys(page, start, nurse, first=step == 0) == fields
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert (_active(page)["field"] or "") == shown(page)[0], "the first new question has the focus"
    assert cannot and all(cannot[0] not in fields for fields in seen[2:]) and cannot[0] not in shown(page)
    assert any(field(f).asked_of is Respondent.CHILD for f in seen[1])  # 13, alone, with an interpreter
    # stop here with the keyboard: Tab past the questions to the stop button
    for _ in range(100):
        page.keyboard.press("Tab")
        if _active(page)["id"] == "stop":
            break
    else:
        raise AssertionError("never reached the stop button by Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert _active(page)["id"] == "result-heading"
    assert page.locator("#result .guidance").inner_text().startswith("Henvisningsveiledning")
    assert WORDS["nb"]["skipped.value"] in page.locator("section.review").inner_text()
    shot(page, "form-nb-keyboard-result")
