"""The research commands end to end: synth, batch, evaluate, compare."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from cli_support import run_cli
from conftest import MINI_SET
from paths import ROOT
from trafficscreen.cli import main
from trafficscreen.cli.research import Progress
from trafficscreen.research.evaluate import SYNTHETIC_WARNING


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(list(args))


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("study") / "cohort.parquet"
    assert (
        main(
            [
                "synth",
                "--n",
                "3000",
                "--prevalence",
                "0.2",
                "--seed",
                "1",
                "--set",
                str(MINI_SET),
                "--out",
                str(out),
                "--quiet",
            ]
        )
        == 0
    )
    return out


@pytest.mark.parametrize("ext", ["parquet", "csv", "jsonl"])
def test_batch_writes_scores_in_each_format(cohort: Path, tmp_path: Path, ext: str) -> None:
    src = tmp_path / f"in.{ext}"
    assert (
        main(
            [
                "synth",
                "--n",
                "300",
                "--prevalence",
                "0.2",
                "--seed",
                "2",
                "--set",
                str(MINI_SET),
                "--out",
                str(src),
                "--quiet",
            ]
        )
        == 0
    )
    out = tmp_path / f"scored.{ext}"
    proc = run("batch", str(src), "--set", str(MINI_SET), "--out", str(out), "--keep", "label")
    assert proc.returncode == 0, proc.stderr
    assert "scored 300 of 300 rows" in proc.stderr
    assert "[" not in proc.stderr  # no progress bar when standard error is not a terminal
    df = pl.read_parquet(out) if ext == "parquet" else pl.read_csv(out) if ext == "csv" else pl.read_ndjson(out)
    assert df.height == 300
    assert {"id", "label", "synthetic", "level", "highest_possible", "indicator.deceived_job"} <= set(df.columns)
    assert not (tmp_path / "scored.rejects.csv").exists()


def test_batch_reports_rejects_and_keeps_going(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("id,deceived,age_years\na,true,12\nb,Joana,12\nc,false,99\nd,,\n")
    out = tmp_path / "out.csv"
    proc = run("batch", str(src), "--set", str(MINI_SET), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "2 row(s) rejected" in proc.stderr
    assert pl.read_csv(out).get_column("id").to_list() == ["a", "d"]
    rejects = (tmp_path / "out.rejects.csv").read_text()
    assert rejects.splitlines() == [
        "row,field,reason",
        "2,deceived,\"field 'deceived': expected true or false, got text\"",
        "3,age_years,field 'age_years': above the largest allowed value (25)",
    ]
    assert "Joana" not in proc.stderr + rejects
    assert run("batch", str(src), "--set", str(MINI_SET), "--out", str(out), "--strict").returncode == 1


def test_batch_with_a_column_mapping(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("patient,lied,hrs\np1,1,\np2,0,1\n")
    cols = tmp_path / "cols.yaml"
    cols.write_text("id: patient\ndeceived: lied\nlong_hours: hrs\n")
    out = tmp_path / "out.parquet"
    assert main(["batch", str(src), "--set", str(MINI_SET), "--out", str(out), "--columns", str(cols), "--quiet"]) == 0
    df = pl.read_parquet(out)
    assert df.get_column("id").to_list() == ["p1", "p2"]
    assert df.get_column("indicator.deceived_job").cast(pl.String).to_list() == ["met", "not_met"]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["batch", "missing.parquet", "--set", str(MINI_SET), "--out", "x.parquet"], "missing.parquet: no such file"),
        (["batch", "x.parquet", "--set", str(MINI_SET), "--out", "x.xlsx"], "unsupported file type '.xlsx'"),
        (["evaluate", "--counts", "1", "2", "3", "-4"], "must not be negative"),
        (["evaluate"], "give --counts TP FN FP TN"),
        (
            ["synth", "--n", "0", "--prevalence", "0.1", "--seed", "1", "--set", str(MINI_SET), "--out", "x.csv"],
            "--n must be at least 1",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], fragment: str) -> None:
    proc = run_cli(args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0]
    assert "Traceback" not in proc.stderr


def test_evaluate_counts_reproduces_the_published_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", "--counts", "23", "2", "22", "61", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    t = out["thresholds"][0]
    assert [round(100 * t[k]["value"]) for k in ("sensitivity", "specificity", "ppv", "npv")] == [92, 73, 51, 97]
    assert t["sensitivity"]["method"] == "exact"
    assert main(["evaluate", "--counts", "23", "2", "22", "61", "--ci", "wald", "--format", "csv"]) == 0
    csv_text = capsys.readouterr().out
    assert csv_text.startswith("synthetic,section,item,statistic,value,low,high,method")
    assert ",wald" in csv_text


def test_evaluate_scored_and_raw_with_roc(cohort: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scored = tmp_path / "scored.parquet"
    assert main(["batch", str(cohort), "--set", str(MINI_SET), "--out", str(scored), "--keep", "label", "--quiet"]) == 0
    roc = tmp_path / "roc.svg"
    assert main(["evaluate", str(scored), "--label", "label", "--roc", str(roc)]) == 0
    table = capsys.readouterr().out
    assert table.startswith(SYNTHETIC_WARNING)
    assert "concern and above" in table and "AUC" in table and "deceived_job" in table
    svg = roc.read_text()
    assert svg.startswith("<svg") and "SYNTHETIC DATA" in svg and svg.count("<circle") == 3
    # raw data scored on the fly gives the same figures
    assert main(["evaluate", str(scored), "--label", "label", "--format", "json"]) == 0
    from_scored = json.loads(capsys.readouterr().out)
    assert main(["evaluate", str(cohort), "--set", str(MINI_SET), "--label", "label", "--format", "json"]) == 0
    from_raw = json.loads(capsys.readouterr().out)
    assert from_raw["thresholds"] == from_scored["thresholds"]
    assert from_raw["synthetic"] is True and from_raw["warning"] == SYNTHETIC_WARNING


def test_compare_two_versions(cohort: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    roc = tmp_path / "cmp.svg"
    other = ROOT / "tests" / "data" / "sets" / "mini" / "1.0.0.yaml"
    shutil_copy = tmp_path / "sets" / "mini"
    shutil_copy.mkdir(parents=True)
    (tmp_path / "dictionaries").mkdir()
    (tmp_path / "dictionaries" / "mini").symlink_to(ROOT / "tests" / "data" / "dictionaries" / "mini")
    text = (
        other.read_text()
        .replace("version: 1.0.0\nstatus", "version: 1.1.0\nstatus")
        .replace("  - {version: 1.0.0,", "  - {version: 1.1.0, date: 2026-11-24, changes: [x]}\n  - {version: 1.0.0,")
        .replace('"recruitment or exploitation or strong >= 1"', '"recruitment or exploitation"')
    )
    (shutil_copy / "1.1.0.yaml").write_text(text)
    assert (
        main(
            [
                "compare",
                str(cohort),
                "--set",
                str(MINI_SET),
                "--set",
                str(shutil_copy / "1.1.0.yaml"),
                "--label",
                "label",
                "--roc",
                str(roc),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert out.startswith(SYNTHETIC_WARNING)
    assert "mini@1.0.0" in out and "mini@1.1.0" in out and "sensitivity: mini@1.0.0 − mini@1.1.0" in out
    assert roc.read_text().count("<polyline") == 2
    assert (
        main(
            [
                "compare",
                str(cohort),
                "--set",
                str(MINI_SET),
                "--set",
                str(shutil_copy / "1.1.0.yaml"),
                "--label",
                "label",
                "--format",
                "json",
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["synthetic"] and len(data["paired_tests"]) == 6


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal() -> None:
    quiet = io.StringIO()
    p = Progress(100, "scoring", quiet)
    p(50)
    p.close()
    assert quiet.getvalue() == ""
    tty = _Tty()
    p = Progress(100, "scoring", tty)
    p(50)
    p(100)
    p.close()
    assert "\rscoring [" in tty.getvalue() and "100/100 rows" in tty.getvalue() and tty.getvalue().endswith("\n")


def test_importing_the_commands_does_not_import_polars() -> None:
    code = (
        "import sys, trafficscreen, trafficscreen.research, trafficscreen.cli.research; "
        "print('polars' in sys.modules, 'numpy' in sys.modules)"
    )
    proc = subprocess.run([sys.executable, "-c", code], text=True, capture_output=True, check=True)
    assert proc.stdout.strip() == "False False"
