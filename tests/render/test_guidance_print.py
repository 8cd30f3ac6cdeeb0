"""The HTML referral sheet printed by a real headless Chromium: one page, A4 and Letter, not blank.

Chromium comes from Debian's ``chromium`` package, installed by ``scripts/setup.d/20-chromium.sh`` (run by
``make test``). The PDFs and a screenshot are kept under ``test-artifacts/guidance/`` for people to look at.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
from pypdf import PdfReader

from levels import answers_reaching
from paths import ROOT
from trafficscreen import render_guidance
from trafficscreen.content.loader import load_set
from trafficscreen.content.referral import load_messages
from trafficscreen.core.engine import DEFAULT_SET, Screener
from trafficscreen.model.common import Level

ARTIFACTS = ROOT / "test-artifacts" / "guidance"
COUNTRIES = [("GB", "en"), ("NO", "nb"), ("PT", "pt"), ("US", "en")]
A4 = (595, 842)  # points
LETTER = (612, 792)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("chromium is not installed: run `bash scripts/test-setup.sh` (make test does)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return found


@pytest.fixture(scope="module")
def screener() -> Screener:
    return Screener(load_set(DEFAULT_SET))


def chrome(chromium: str, tmp_path: Path, *args: str) -> None:
    profile = tmp_path / "profile"
    shutil.rmtree(profile, ignore_errors=True)  # a fresh profile for every run
    proc = subprocess.run(
        [chromium, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]


def print_pdf(chromium: str, page: str, name: str, tmp_path: Path) -> PdfReader:
    html_file = ARTIFACTS / f"{name}.html"
    pdf_file = ARTIFACTS / f"{name}.pdf"
    html_file.write_text(page, encoding="utf-8")
    pdf_file.unlink(missing_ok=True)
    chrome(chromium, tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf_file}", html_file.as_uri())
    assert pdf_file.stat().st_size > 5000
    return PdfReader(pdf_file)


def one_page_of(reader: PdfReader, size: tuple[int, int]) -> str:
    assert len(reader.pages) == 1, f"{len(reader.pages)} pages"
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == size
    text = unicodedata.normalize("NFKC", reader.pages[0].extract_text() or "")  # ligatures such as "ﬁ"
    return " ".join(text.split())


@pytest.mark.parametrize("level", [Level.REFER, Level.URGENT], ids=lambda lv: lv.value)
@pytest.mark.parametrize(("code", "lang"), COUNTRIES)
def test_sheet_prints_on_one_a4_page(
    chromium: str, screener: Screener, tmp_path: Path, code: str, lang: str, level: Level
) -> None:
    result = screener.screen({"answers": answers_reaching(screener, level)}, lang=lang)
    assert result.level is level
    page = render_guidance(result, jurisdiction=code, lang=lang, format="html")
    text = one_page_of(print_pdf(chromium, page, f"{code}-{lang}-{level.value}-a4", tmp_path), A4)
    msgs = load_messages(lang)
    for key in ("h.now", "h.contacts", "h.record", "h.ask"):
        assert " ".join(msgs[key].split()[:2]) in text, key  # every section made it onto the page
    assert "Confid" in text or "Fortrolig" in text


@pytest.mark.parametrize(("code", "lang"), COUNTRIES)
def test_sheet_also_fits_letter(chromium: str, screener: Screener, tmp_path: Path, code: str, lang: str) -> None:
    result = screener.screen({"answers": answers_reaching(screener, Level.REFER)}, lang=lang)
    page = render_guidance(result, jurisdiction=code, lang=lang, format="html")
    assert "@page { size: A4;" in page
    letter = page.replace("@page { size: A4;", "@page { size: letter;", 1)
    one_page_of(print_pdf(chromium, letter, f"{code}-{lang}-refer-letter", tmp_path), LETTER)


def test_example_sheet_with_site_file_prints_and_screenshots(chromium: str, screener: Screener, tmp_path: Path) -> None:
    data = json.loads((ROOT / "examples" / "encounters" / "referral-urgent.json").read_text(encoding="utf-8"))
    result = screener.screen(data)
    page = render_guidance(result, jurisdiction="GB", site=ROOT / "examples" / "site-example.yaml", format="html")
    text = one_page_of(print_pdf(chromium, page, "GB-en-example-site-a4", tmp_path), A4)
    assert "020 7946 0123" in text and "999" in text
    shot = ARTIFACTS / "GB-en-example-site.png"
    shot.unlink(missing_ok=True)
    chrome(
        chromium,
        tmp_path,
        "--hide-scrollbars",
        "--window-size=900,1300",
        f"--screenshot={shot}",
        (ARTIFACTS / "GB-en-example-site-a4.html").as_uri(),
    )
    data_png = shot.read_bytes()
    assert data_png[:8] == b"\x89PNG\r\n\x1a\n" and len(data_png) > 20_000  # a blank page compresses to ~5 KB
