from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest

from cli_support import run_cli
from conftest import MINI_SET, replace_in
from trafficscreen.cli import build_parser, main

run = run_cli


def write(tmp_path: Path, payload: object, name: str = "enc.json") -> Path:
    p = tmp_path / name
    p.write_text(payload if isinstance(payload, str) else json.dumps(payload))
    return p


def test_screen_json_and_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    enc = write(tmp_path, {"id": "e1", "answers": {"deceived": True, "lives_at_work": True}})
    assert main(["screen", str(enc), "--set", str(MINI_SET), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["level"] == "concern" and out["set"]["id"] == "mini"
    assert main(["screen", str(enc), "--set", str(MINI_SET)]) == 0
    text = capsys.readouterr().out
    assert "Level: CONCERN" in text
    assert "Ask next" in text
    assert "not a negative result" in text


def test_screen_reads_stdin() -> None:
    proc = run(
        ["screen", "-", "--set", str(MINI_SET), "--format", "json", "--lang", "pt"], stdin=json.dumps({"answers": {}})
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["lang"] == "pt"


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ('{"answers": {"deceived": tru}}', "enc.json:1:26: not valid JSON"),
        ("", "empty input"),
        ({"answers": {"deceived": "Joana Ferreira, 2014-03-02"}}, "field 'deceived': expected true or false"),
        ({"answers": {"nome": "Joana"}}, "'nome' is not a field of mini@1.0.0"),
    ],
)
def test_bad_encounters_exit_2_with_one_line(tmp_path: Path, payload: object, fragment: str) -> None:
    enc = write(tmp_path, payload)
    proc = run(["screen", str(enc), "--set", str(MINI_SET)])
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert fragment in lines[0]
    assert "Traceback" not in proc.stderr
    assert "Joana" not in proc.stderr and "2014" not in proc.stderr


def test_bad_set_and_paths_exit_2(tmp_path: Path, content: Path) -> None:
    enc = write(tmp_path, {"answers": {}})
    bad = content / "sets" / "mini" / "1.0.0.yaml"
    replace_in(bad, "    when: deceived\n", "    when: deceived or\n")
    for args, fragment in [
        (["screen", str(enc), "--set", str(bad)], f"{bad}:25:"),
        (["screen", str(tmp_path / "missing.json"), "--set", str(MINI_SET)], "missing.json: no such file"),
        (["screen", str(enc), "--set", "no-such-set"], "no indicator set 'no-such-set'"),
        (["screen", str(enc), "--set", str(MINI_SET), "--lang", "fr"], "language 'fr' is not supported"),
        (["screen", str(tmp_path), "--set", str(MINI_SET)], "is a directory"),
        (["validate", str(bad)], f"{bad}:25:"),
        (["frobnicate"], "invalid choice"),
    ]:
        proc = run(args)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert fragment in proc.stderr, (args, proc.stderr)
        assert "Traceback" not in proc.stderr


def test_validate_runs_examples(content: Path) -> None:
    good = run(["validate", str(content)])
    assert good.returncode == 0, good.stderr
    assert "0 error(s)" in good.stdout
    path = content / "sets" / "mini" / "1.0.0.yaml"
    replace_in(path, "      met: [{deceived: true}]", "      met: [{deceived: false}]")
    proc = run(["validate", str(path)])
    assert proc.returncode == 2
    assert "indicator 'deceived_job': this met example is not met" in proc.stderr
    replace_in(path, "      met: [{deceived: false}]", "      met: [{deceived: yes please}]")
    proc = run(["validate", str(path)])
    assert "field 'deceived': expected true or false" in proc.stderr


def test_validate_reports_missing_translations(content: Path) -> None:
    proc = run(["validate", str(content), "--strict"])
    assert proc.returncode == 1
    assert "no pt, nb translation" in proc.stdout


@pytest.mark.parametrize("what", ["dictionary", "indicator-set", "encounter", "result"])
def test_schema(what: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", what]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["$id"].endswith(f"/{what}.json")
    assert schema["type"] == "object"
    if what == "result":
        from trafficscreen.model.result import RESULT_SCHEMA_VERSION

        assert schema["version"] == RESULT_SCHEMA_VERSION
        assert {"level", "highest_possible", "indicators", "ask_next", "notice"} <= set(schema["properties"])
    if what == "indicator-set":
        assert schema["additionalProperties"] is False


def test_sets_lists_shipped_content(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sets", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert isinstance(rows, list)
    for row in rows:
        assert {"id", "version", "status", "default"} <= set(row)


# --- languages -------------------------------------------------------------------------------------


def _value(action: argparse.Action) -> list[str]:
    if action.nargs == 0:
        return []
    return [str(next(iter(action.choices)))] if action.choices else ["no-such-input.json"]


def _commands_taking_lang(
    parser: argparse.ArgumentParser | None = None, prefix: tuple[str, ...] = ()
) -> dict[str, list[str]]:
    """Every command (and sub-command) with a --lang option, with placeholders for its required arguments."""
    parser = parser or build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    found: dict[str, list[str]] = {}
    for name, sp in sub.choices.items():
        if any(isinstance(a, argparse._SubParsersAction) for a in sp._actions):
            found.update(_commands_taking_lang(sp, (*prefix, name)))
            continue
        if not any("--lang" in a.option_strings for a in sp._actions):
            continue
        argv = [*prefix, name]
        argv += [v for a in sp._actions if not a.option_strings for v in _value(a)]
        for a in sp._actions:
            if a.option_strings and a.required:
                argv += [a.option_strings[0], *_value(a)]
        for group in sp._mutually_exclusive_groups:
            if group.required:
                first = group._group_actions[0]
                argv += [first.option_strings[0], *_value(first)]
        found[" ".join(argv[: len(prefix) + 1])] = argv
    return found


def test_every_command_refuses_an_unsupported_language_first(capsys: pytest.CaptureFixture[str]) -> None:
    commands = _commands_taking_lang()
    assert "screen" in commands
    for name, argv in commands.items():
        assert main([*argv, "--lang", "fr"]) == 2, name
        err = capsys.readouterr().err
        assert err.strip().splitlines() == [
            "trafficscreen: error: language 'fr' is not supported; choose one of en, pt, nb"
        ], (name, err)


def test_screen_with_unsupported_language_exits_2(tmp_path: Path) -> None:
    enc = write(tmp_path, {"answers": {"deceived": True}})
    proc = run(["screen", str(enc), "--set", str(MINI_SET), "--lang", "fr"])
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == "trafficscreen: error: language 'fr' is not supported; choose one of en, pt, nb\n"
    odd = run(["screen", str(enc), "--set", str(MINI_SET), "--lang", "pt\nBR"])
    assert odd.returncode == 2 and len(odd.stderr.splitlines()) == 1 and "'pt\\nBR'" in odd.stderr


def _translate_all(path: Path) -> None:
    def add(m: re.Match[str]) -> str:
        raw = m.group(1).strip()
        en = json.loads(raw) if raw.startswith('"') else raw
        return f"{{en: {raw}, pt: {json.dumps('pt ' + en)}, nb: {json.dumps('nb ' + en)}}}"

    path.write_text(re.sub(r"\{en: ([^{}]+?)\}", add, path.read_text(encoding="utf-8")), encoding="utf-8")


def test_validate_strict_fails_on_any_missing_translation(content: Path) -> None:
    for path in content.rglob("*.yaml"):
        _translate_all(path)
    full = run(["validate", str(content), "--strict"])
    assert full.returncode == 0, full.stdout + full.stderr
    assert "0 error(s), 0 warning(s)" in full.stdout
    dictionary = content / "dictionaries" / "mini" / "1.0.0.yaml"
    replace_in(
        dictionary, 'label: {en: Street, pt: "pt Street", nb: "nb Street"}', 'label: {en: Street, pt: "pt Street"}'
    )
    lenient = run(["validate", str(content)])
    assert lenient.returncode == 0
    strict = run(["validate", str(content), "--strict"])
    assert strict.returncode == 1
    assert "field 'work_types' value 'street': no nb translation" in strict.stdout
    assert "0 error(s), 1 warning(s)" in strict.stdout
