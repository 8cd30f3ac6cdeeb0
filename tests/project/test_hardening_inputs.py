"""Issue 17, the input side: each defect of the red-team review has a regression test here.

D01 duplicate JSON keys, D09 huge JSON integers, D10 lone surrogates, D14 bounded suggestion work,
D16 bounded reads and non-regular files, D19 unknown keys echoed at any length, D22 a missing output
folder reported as unreadable input.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import MINI_SET
from trafficscreen.cli import main
from trafficscreen.content.loader import load_set
from trafficscreen.core.engine import Screener
from trafficscreen.errors import EncounterError, JSONInputError
from trafficscreen.fhir import questionnaire
from trafficscreen.model.encounter import MAX_ENCOUNTER_BYTES, check_answers, parse_encounter_json

DUPLICATE = '{"answers": {"works_long_hours": true, "works_long_hours": false}}'
HUGE_INT = '{"answers": {"age_years": ' + "1" * 5000 + "}}"
SURROGATE_ID = '{"id": "\\ud800", "answers": {"works_long_hours": true}}'


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str, *words: str) -> None:
    assert code == 2
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("trafficscreen: error: ")
    for w in words:
        assert w in err


def cli_in_subprocess(args: list[str], stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """The CLI in its own process with 1 GB of address space at most and a time limit, so that an
    unbounded read fails the test instead of the machine."""
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    code = "import sys; from trafficscreen.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *args], input=stdin, capture_output=True, timeout=120, preexec_fn=limit
    )


# --- D01: duplicate keys ------------------------------------------------------------------------------


def test_d01_duplicate_key_cli_refused_naming_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "enc.json"
    f.write_text(DUPLICATE, encoding="utf-8")
    code, out, err = run_cli(["screen", str(f)], capsys)
    assert_one_line_error(code, err, "works_long_hours", "duplicate", str(f))
    assert out == ""


def test_d01_duplicate_top_level_key_and_fhir_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "enc.json"
    f.write_text('{"answers": {}, "answers": {"works_long_hours": true}}', encoding="utf-8")
    code, _out, err = run_cli(["screen", str(f)], capsys)
    assert_one_line_error(code, err, "'answers'", "duplicate")
    code, _out, err = run_cli(["fhir", "export", str(f)], capsys)
    assert_one_line_error(code, err, "'answers'", "duplicate")


def test_d01_duplicate_key_python_api_given_text() -> None:
    with pytest.raises(JSONInputError, match="duplicate key 'works_long_hours'"):
        parse_encounter_json(DUPLICATE)
    with pytest.raises(JSONInputError, match="duplicate key 'works_long_hours'"):
        Screener(load_set("paediatric-default")).screen(DUPLICATE)
    assert issubclass(JSONInputError, EncounterError)
    # text without duplicates is screened as a dict would be
    screener = Screener(load_set("paediatric-default"))
    text = '{"answers": {"works_long_hours": true}}'
    assert screener.screen(text) == screener.screen(json.loads(text))


def test_d01_duplicate_key_in_a_questionnaire_response(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cs = load_set(MINI_SET)
    q = questionnaire(cs, "R4B", "en")
    qr = {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "questionnaire": f"{q['url']}|{q['version']}",
        "item": [],
    }
    text = json.dumps(qr)[:-1] + ', "status": "entered-in-error"}'
    f = tmp_path / "qr.json"
    f.write_text(text, encoding="utf-8")
    code, _out, err = run_cli(["screen", str(f), "--set", str(MINI_SET)], capsys)
    assert_one_line_error(code, err, "'status'", "duplicate")


# --- D09: a JSON integer over 4,300 digits ----------------------------------------------------------


def test_d09_huge_integer_cli_and_api(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "enc.json"
    f.write_text(HUGE_INT, encoding="utf-8")
    code, _out, err = run_cli(["screen", str(f)], capsys)
    assert_one_line_error(code, err, "digits")
    assert "1111" not in err
    with pytest.raises(JSONInputError, match="digits"):
        parse_encounter_json(HUGE_INT)


# --- D10: a lone surrogate -------------------------------------------------------------------------


def test_d10_lone_surrogate_in_the_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "enc.json"
    f.write_text(SURROGATE_ID, encoding="utf-8")
    for fmt in ("json", "text"):
        code, out, err = run_cli(["screen", str(f), "--format", fmt], capsys)
        assert_one_line_error(code, err, "'id'")
        assert out == ""
    with pytest.raises(EncounterError, match="'id'"):
        Screener(load_set("paediatric-default")).screen({"id": "\ud800", "answers": {}})


# --- D14: bounded suggestion work ------------------------------------------------------------------


def test_d14_suggestions_stop_after_the_first_few_unknown_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    import difflib

    calls = 0
    real = difflib.get_close_matches

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(difflib, "get_close_matches", counting)
    cs = load_set("paediatric-default")
    answers = {f"works_long_hourz{n}": True for n in range(2000)}
    with pytest.raises(EncounterError) as info:
        check_answers(answers, cs.dictionary)
    assert calls <= 3
    assert "2000" in info.value.message or "1999" in info.value.message


# --- D19: unknown keys echoed at most as a short prefix ---------------------------------------------


@pytest.mark.parametrize("where", ["top", "answers"])
def test_d19_long_unknown_keys_are_not_echoed(where: str) -> None:
    key = "a" * 50_000
    data: dict[str, Any] = {key: 1} if where == "top" else {"answers": {key: 1}}
    with pytest.raises(EncounterError) as info:
        Screener(load_set("paediatric-default")).screen(data)
    assert len(info.value.message) < 300
    assert "a" * 41 not in info.value.message


def test_d19_only_identifier_keys_are_echoed() -> None:
    screener = Screener(load_set("paediatric-default"))
    for key in ("naïve_key", "x\u202eevil", "works long hours", "a\nb"):
        with pytest.raises(EncounterError) as info:
            screener.screen({key: 1})
        assert key not in info.value.message and "<unreadable>" in info.value.message
        with pytest.raises(EncounterError) as info:
            screener.screen({"answers": {key: 1}})
        assert key not in info.value.message and "<unreadable>" in info.value.message
    with pytest.raises(EncounterError, match="'works_long_hourz'"):
        screener.screen({"answers": {"works_long_hourz": True}})


# --- D16: bounded reads, non-regular files -----------------------------------------------------------


@pytest.mark.parametrize("command", ["screen", "validate"])
def test_d16_dev_zero_is_refused(command: str) -> None:
    done = cli_in_subprocess([command, "/dev/zero"])
    assert done.returncode == 2, done.stderr[-500:]
    err = done.stderr.decode()
    assert "Traceback" not in err and "not a regular file" in err and "/dev/zero" in err


@pytest.mark.parametrize("command", ["screen", "validate"])
def test_d16_fifo_is_refused_without_waiting(command: str, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    done = cli_in_subprocess([command, str(fifo)])
    assert done.returncode == 2
    assert "not a regular file" in done.stderr.decode()


def test_d16_stdin_is_read_bounded(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    asked: list[int] = []

    class Endless(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, b: Any) -> int:
            b[:] = b" " * len(b)
            return len(b)

    class Buffer:
        def read(self, n: int = -1) -> bytes:
            asked.append(n)
            if n is None or n < 0:
                raise MemoryError("read the whole of an endless stream")
            return io.BufferedReader(Endless()).read(n)

    class Stdin:
        buffer = Buffer()

    monkeypatch.setattr(sys, "stdin", Stdin())
    code, _out, err = run_cli(["screen", "-"], capsys)
    assert_one_line_error(code, err, "<stdin>", "larger than")
    assert asked and all(0 <= n <= MAX_ENCOUNTER_BYTES + 1 for n in asked)


# --- D22: a missing output folder -------------------------------------------------------------------


def test_d22_missing_output_folder_is_named_as_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = tmp_path / "result.json"
    code, out, _err = run_cli(["screen", "examples/encounters/labour-refer.json", "--format", "json"], capsys)
    assert code == 0
    result.write_text(out, encoding="utf-8")
    target = tmp_path / "no-such-folder" / "guidance.txt"
    code, _out, err = run_cli(["guidance", str(result), "--jurisdiction", "GB", "--out", str(target)], capsys)
    assert_one_line_error(code, err, "error: output: no such folder", "no-such-folder")
    assert "cannot read" not in err


def test_d22_missing_output_folder_in_batch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("polars")
    src = tmp_path / "in.csv"
    src.write_text("age_years,works_long_hours\n12,true\n", encoding="utf-8")
    target = tmp_path / "no-such-folder" / "out.csv"
    code, _out, err = run_cli(["batch", str(src), "--set", "paediatric-default", "--out", str(target)], capsys)
    assert_one_line_error(code, err, "error: output: no such folder", "no-such-folder")
    assert "input: cannot read" not in err


# --- D15: deployers' templates have resource limits ----------------------------------------------------


def _macro_bomb(levels: int) -> str:
    out = "{% macro f0() %}.{% endmacro %}"
    for n in range(1, levels + 1):
        out += f"{{% macro f{n}() %}}{{{{ f{n - 1}() }}}}{{{{ f{n - 1}() }}}}{{% endmacro %}}"
    return out + f"{{{{ f{levels}() }}}}"


TEMPLATE_BOMBS = {
    "center": "{{ 'a'.center(50000000) }}",
    "ljust-filter": "{{ 'a'|center(50000000) }}",
    "printf-width": "{{ '%50000000s' % 'a' }}",
    "nested-loops": "{% for a in 'x' * 2000 %}{% for b in 'x' * 2000 %}{% endfor %}{% endfor %}",
    "doubling": "{% set a = 'x' * 10000 %}{% set b = a ~ a %}{% set c = b ~ b %}{% set d = c ~ c %}"
    "{% set e = d ~ d %}{% set f = e ~ e %}{% set g2 = f ~ f %}{% set h = g2 ~ g2 %}{{ h|length }}",
    "plus-doubling": "{% set a = 'x' * 10000 %}{% set b = a + a %}{% set c = b + b %}{% set d = c + c %}"
    "{% set e = d + d %}{% set f = e + e %}{% set g2 = f + f %}{% set h = g2 + g2 %}{{ h|length }}",
    "output": "{% set big = 'x' * 10000 %}{% for a in 'x' * 3000 %}{{ big }}{% endfor %}",
    "replace": "{% set a = 'x' * 10000 %}{{ a.replace('x', a)|length }}",
    "join": "{% set a = 'x' * 10000 %}{{ a.join(a)|length }}",
    "big-int": "{{ ((10 ** 64) ** 64) ** 64 }}",
    "macros": _macro_bomb(21),
}


@pytest.mark.parametrize("name", list(TEMPLATE_BOMBS))
def test_d15_template_resource_limits(name: str, tmp_path: Path) -> None:
    from trafficscreen import render_guidance
    from trafficscreen.errors import TemplateError, TemplateLimitError

    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "guidance.txt.j2").write_text(TEMPLATE_BOMBS[name] + "\n", encoding="utf-8")
    result = Screener(load_set(MINI_SET)).screen({"answers": {"deceived": True}})
    with pytest.raises(TemplateError) as info:
        render_guidance(result, jurisdiction="GB", templates=folder)
    assert isinstance(info.value, TemplateLimitError) or name == "big-int", info.value
    assert "\n" not in str(info.value) and len(str(info.value)) < 300
    # the limits are per render: the shipped templates still render afterwards
    assert render_guidance(result, jurisdiction="GB")


def test_nan_and_infinity_are_not_json_values(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """json.loads reads NaN and Infinity unless told otherwise; an encounter must not carry them."""
    for constant in ("NaN", "Infinity", "-Infinity"):
        enc = tmp_path / "enc.json"
        enc.write_text('{"answers": {"age_years": ' + constant + "}}", encoding="utf-8")
        assert main(["screen", str(enc)]) == 2
        err = capsys.readouterr().err
        assert "is not a JSON value" in err and len(err.strip().splitlines()) == 1
