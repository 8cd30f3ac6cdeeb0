"""``trafficscreen screen --guidance`` and ``trafficscreen guidance``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_support import run_cli
from conftest import MINI_SET
from paths import ROOT
from trafficscreen.cli import main
from trafficscreen.content.referral import load_messages

URGENT = ROOT / "examples" / "encounters" / "referral-urgent.json"
SITE = ROOT / "examples" / "site-example.yaml"


run = run_cli


@pytest.mark.parametrize(
    ("code", "lang", "emergency"), [("NO", "nb", "112"), ("PT", "pt", "112"), ("GB", "en", "999"), ("US", "en", "911")]
)
def test_screen_example_prints_a_sheet_per_country(
    code: str, lang: str, emergency: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["screen", str(URGENT), "--guidance", "--jurisdiction", code, "--lang", lang, "--format", "html"]) == 0
    page = capsys.readouterr().out
    msgs = load_messages(lang)
    assert page.startswith("<!DOCTYPE html>") and f'<html lang="{lang}">' in page
    assert msgs["level.urgent.heading"] in page
    assert f'href="tel:{emergency}">{emergency}</a>' in page
    assert "example-referral-urgent" not in page  # the encounter id stays out of the sheet


def test_screen_guidance_text_and_markdown_with_site(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["screen", str(URGENT), "--guidance", "--jurisdiction", "GB", "--site", str(SITE)]) == 0
    text = capsys.readouterr().out
    assert "WHOM TO CONTACT" not in text and "== Whom to contact, in this order ==" in text
    assert "020 7946 0123" in text
    assert main(["screen", str(URGENT), "--guidance", "--jurisdiction", "US", "--format", "markdown"]) == 0
    md = capsys.readouterr().out
    assert md.startswith("## Referral guidance") and "**1-888-373-7888**" in md


def test_guidance_command_from_a_saved_result(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["screen", str(URGENT), "--format", "json", "--lang", "pt"]) == 0
    saved = tmp_path / "result.json"
    saved.write_text(capsys.readouterr().out, encoding="utf-8")
    out = tmp_path / "sheet.html"
    assert main(["guidance", str(saved), "--jurisdiction", "pt", "--format", "html", "--out", str(out)]) == 0
    assert capsys.readouterr().out == ""
    page = out.read_text(encoding="utf-8")
    assert '<html lang="pt">' in page and "964 608 288" in page  # language taken from the result
    assert main(["guidance", str(saved), "--jurisdiction", "NO", "--lang", "nb", "--patient-label", "Seng 3"]) == 0
    text = capsys.readouterr().out
    assert "Pasient: Seng 3" in text and "Hva du gjør nå" in text
    proc = run(["guidance", "-", "--jurisdiction", "US"], stdin=saved.read_text(encoding="utf-8"))
    assert proc.returncode == 0 and "National Human Trafficking Hotline" in proc.stdout


def test_json_and_text_output_are_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["screen", str(URGENT), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["level"] == "urgent"
    assert main(["screen", str(URGENT)]) == 0
    assert "Level: URGENT" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["screen", str(URGENT), "--format", "html"], "--format html is for referral guidance"),
        (["screen", str(URGENT), "--guidance"], "--guidance needs --jurisdiction"),
        (
            ["screen", str(URGENT), "--guidance", "--jurisdiction", "NO", "--format", "json"],
            "--guidance prints text, markdown or html, not json",
        ),
        (["screen", str(URGENT), "--jurisdiction", "NO"], "need --guidance"),
        (["screen", str(URGENT), "--guidance", "--jurisdiction", "SE"], "no referral pack for jurisdiction 'SE'"),
        (
            ["screen", str(URGENT), "--guidance", "--jurisdiction", "NO", "--site", "missing.yaml"],
            "missing.yaml: no such file",
        ),
        (
            ["screen", str(URGENT), "--guidance", "--jurisdiction", "NO", "--site", str(SITE)],
            "is for jurisdiction GB, not NO",
        ),
        (["guidance", str(URGENT), "--jurisdiction", "NO"], "not a screening result"),
        (["guidance", "nothing.json", "--jurisdiction", "NO"], "nothing.json: no such file"),
        (["guidance", str(SITE), "--jurisdiction", "NO"], "not valid JSON"),
    ],
)
def test_bad_guidance_input_exits_2_with_one_line(args: list[str], fragment: str) -> None:
    proc = run(args)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_hostile_templates_exit_2(tmp_path: Path) -> None:
    (tmp_path / "guidance.html.j2").write_text("{{ g.__class__.__mro__ }}\n", encoding="utf-8")
    enc = tmp_path / "enc.json"
    enc.write_text(json.dumps({"answers": {"deceived": True}}), encoding="utf-8")
    proc = run(
        [
            "screen",
            str(enc),
            "--set",
            str(MINI_SET),
            "--guidance",
            "--jurisdiction",
            "US",
            "--format",
            "html",
            "--templates",
            str(tmp_path),
        ]
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "guidance.html.j2:1: template reads the attribute" in proc.stderr


@pytest.mark.parametrize("what", ["site", "referral-pack"])
def test_schemas_are_published(what: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", what]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["$id"].endswith(f"/{what}.json")
    contact = schema["$defs"]["Contact"]
    assert {"source", "checked", "verified"} <= set(contact["required"])
    assert contact["additionalProperties"] is False


def test_a_result_naming_a_key_twice_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The last 'level' would otherwise win silently: a sheet for another level than the screen's."""
    path = tmp_path / "result.json"
    path.write_text('{"level": "none", "level": "urgent"}', encoding="utf-8")
    assert main(["guidance", str(path), "--jurisdiction", "NO"]) == 2
    err = capsys.readouterr().err
    assert "duplicate key 'level'" in err and len(err.strip().splitlines()) == 1


def test_a_result_that_is_not_a_regular_file_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["guidance", "/dev/zero", "--jurisdiction", "NO"]) == 2
    assert "not a regular file" in capsys.readouterr().err
