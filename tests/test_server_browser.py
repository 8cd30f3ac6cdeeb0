"""End to end in a real browser: Debian's Chromium, headless, driven by Playwright, against
``trafficscreen serve`` on 127.0.0.1. Screenshots go to test-artifacts/ (not kept in git)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from fhir_support import default_screener
from levels import answers_reaching
from trafficscreen.messages import msg
from trafficscreen.model.common import Level
from trafficscreen.model.dictionary import FieldType
from trafficscreen.referral import load_messages

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "trafficscreen.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--lang", "nb", "--jurisdiction", "NO"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
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
                raise AssertionError("the server did not start:\n" + (proc.stdout.read() if proc.stdout else "")) \
                    from None
            time.sleep(0.1)
    yield base
    proc.terminate()
    try:
        out, _ = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    assert "Traceback" not in out
    assert "GET /form 200" in out  # the access log, with no query string
    assert "lang=nb" not in out.split("Uvicorn running")[-1]


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


def _field_type(fid: str) -> FieldType:
    return default_screener().set.dictionary.by_id[fid].type


def test_fill_in_norwegian_submit_and_see_level_and_guidance(server: str, page: Page) -> None:
    answers = answers_reaching(default_screener(), Level.REFER)
    expected = default_screener().screen({"answers": answers}, lang="nb")
    page.goto(f"{server}/form?lang=nb")
    assert page.locator("html").get_attribute("lang") == "nb"
    assert page.locator("h1").inner_text() == "Screening for menneskehandel med barn"
    live = page.locator("#live-level")
    assert page.locator("#live").is_visible()  # the script runs under the page's CSP
    page.wait_for_function("document.getElementById('live-level').textContent.length > 0")
    assert live.inner_text() == msg("nb", "level.none")
    shot(page, "form-nb-top")
    for fid, value in answers.items():
        t = _field_type(fid)
        if t is FieldType.BOOLEAN:
            page.check(f"#f-{fid}-{'yes' if value else 'no'}")
        elif t is FieldType.SET:
            for code in value or ["__none__"]:
                page.check(f"#f-{fid}-{code}")
        elif t is FieldType.ENUM:
            page.select_option(f"#f-{fid}", value)
        else:
            page.fill(f"#f-{fid}", str(value))
    page.wait_for_function(
        "(t) => document.getElementById('live-level').textContent === t", arg=msg("nb", "level.refer"))
    shot(page, "form-nb-live-level", "#live")
    page.get_by_role("button", name="Screen og vis veiledning").click()
    page.wait_for_load_state()
    result = page.locator("#result")
    assert "level-refer" in (result.get_attribute("class") or "")
    assert result.locator(".level").inner_text() == msg("nb", "level.refer")
    text = result.inner_text()
    assert expected.reasons[0].split("'")[0] in text
    guidance = page.locator("#result .guidance")
    assert guidance.get_by_role("heading", name=load_messages("nb")["title"]).is_visible()
    assert "112" in guidance.inner_text()  # the Norwegian pack's emergency number
    shot(page, "form-nb-result", "#result")


def _keyboard_answers() -> tuple[dict[str, bool], Level]:
    """Yes/no answers only (the keyboard test walks radio groups), taken from answers that reach the top
    level; the engine says which level they reach."""
    full = answers_reaching(default_screener(), Level.URGENT)
    answers = {f: v for f, v in full.items() if _field_type(f) is FieldType.BOOLEAN}
    level = default_screener().screen({"answers": answers}).level
    assert level is not Level.NONE, "test set-up: the yes/no answers alone should reach a level"
    return answers, level


def _active(page: Page) -> dict[str, Any]:
    value: dict[str, Any] = page.evaluate(
        "() => { const e = document.activeElement; return {tag: e.tagName, name: e.name || '', "
        "type: e.type || '', value: e.value || '', checked: !!e.checked}; }")
    return value


def test_keyboard_only(server: str, page: Page) -> None:
    answers, level = _keyboard_answers()
    page.goto(f"{server}/form?lang=nb")
    page.wait_for_function("document.getElementById('live-level').textContent.length > 0")
    done: set[str] = set()
    for _ in range(600):
        page.keyboard.press("Tab")
        el = _active(page)
        name = el["name"]
        if el["type"] == "radio" and name in answers and name not in done:
            assert el["value"] == "" and el["checked"], "focus enters a yes/no group on 'not asked'"
            # the group's order is yes, no, not asked: arrow keys move the choice
            for _ in range(2 if answers[name] else 1):
                page.keyboard.press("ArrowUp")
            el = _active(page)
            assert el["value"] == ("yes" if answers[name] else "no") and el["checked"]
            done.add(name)
        elif el["tag"] == "BUTTON":
            assert done == set(answers), "every answer was reached by Tab before the submit button"
            page.keyboard.press("Enter")
            break
    else:
        raise AssertionError("never reached the submit button by Tab")
    page.wait_for_selector("#result")
    assert page.locator("#result .level").inner_text() == msg("nb", f"level.{level.value}")
    assert page.locator("#result .guidance").inner_text().startswith("Henvisningsveiledning")
    shot(page, "form-nb-keyboard-result")
    # a focused checkbox is ticked with Space
    page.goto(f"{server}/form?lang=nb")
    box = page.locator("input[type=checkbox]").first
    box.focus()
    page.keyboard.press("Space")
    assert box.is_checked()


def test_works_without_javascript(server: str, browser: Browser) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.goto(f"{server}/form?lang=pt")
    assert not page.locator("#live").is_visible()
    answers, level = _keyboard_answers()
    for fid, value in answers.items():
        page.check(f"#f-{fid}-{'yes' if value else 'no'}")
    page.get_by_role("button", name="Rastrear e mostrar orientação").click()
    page.wait_for_selector("#result")
    assert page.locator("#result .level").inner_text() == msg("pt", f"level.{level.value}")
    assert load_messages("pt")["title"] in page.locator("#result .guidance").inner_text()
    shot(page, "form-pt-nojs-result", "#result")
    context.close()
