from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import MINI_SET, replace_in
from trafficscreen.cli import main

ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "trafficscreen.cli", *args], input=stdin, text=True,
                          capture_output=True, cwd=ROOT, check=False)


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
    proc = run(["screen", "-", "--set", str(MINI_SET), "--format", "json", "--lang", "pt"],
               stdin=json.dumps({"answers": {}}))
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
        assert schema["version"] == "1.0.0"
        assert {"level", "highest_possible", "indicators", "ask_next", "notice"} <= set(schema["properties"])
    if what == "indicator-set":
        assert schema["additionalProperties"] is False


def test_sets_lists_shipped_content(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sets", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert isinstance(rows, list)
    for row in rows:
        assert {"id", "version", "status", "default"} <= set(row)
