"""Regression tests for the batch defects of issue 17 (D02-D07, D20-D22): one test (or a few) per defect."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest

from conftest import MINI_SET
from trafficscreen.cli import main
from trafficscreen.core.compiled import CompiledSet
from trafficscreen.core.engine import Screener
from trafficscreen.errors import EncounterError, TrafficscreenError
from trafficscreen.research.batch import CohortInput
from trafficscreen.research.frames import CohortError, read_table

duckdb = pytest.importorskip("duckdb")
from trafficscreen.sql.duck import score_duckdb  # noqa: E402

FULL = "id,age_years,deceived,long_hours,accompanied_by,work_types,lives_at_work\na,12,true,false,parent,[],\n"


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _duck_problems(path: Path, cs: CompiledSet) -> list[str]:
    with pytest.raises(EncounterError) as e:
        score_duckdb(path, cs).fetchall()
    return list(getattr(e.value, "problems", [str(e.value)]))


# --- D02: a set-of-choices cell of separators or quotes alone is not "none of these" -------------


@pytest.mark.parametrize("cell", ["|", '","', '""""""', '"[,]"', "' '", "[|]", '" , "'])
def test_d02_separator_only_set_cell_is_refused_in_both_engines(tmp_path: Path, mini: CompiledSet, cell: str) -> None:
    src = _csv(tmp_path / "c.csv", f"id,work_types,deceived\na,{cell},true\nb,[],true\nc,[ ],true\n")
    result = CohortInput(src).score(mini)
    assert result.rejects.rows() == [
        (1, "work_types", "field 'work_types': a list of choices with no choice in it (write [] for none of these)")
    ]
    assert result.scored.get_column("id").to_list() == ["b", "c"]  # brackets alone are still the empty set
    problems = _duck_problems(src, mini)
    assert problems == [
        "field 'work_types': 1 row(s): a list of choices with no choice in it (write [] for none of these)"
    ]


# --- D03: an interrupted write leaves the earlier output intact; exit 130 with one line ---------


def _interrupt_after_partial_write(monkeypatch: pytest.MonkeyPatch, cls: Any, name: str) -> None:
    def partial(self: Any, path: Any, *args: Any, **kwargs: Any) -> None:
        Path(path).write_bytes(b"PAR1 truncated")
        raise KeyboardInterrupt

    monkeypatch.setattr(cls, name, partial)


def test_d03_interrupted_batch_keeps_the_earlier_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    src = _csv(tmp_path / "c.csv", FULL)
    out = tmp_path / "out.parquet"
    assert main(["batch", str(src), "--set", str(MINI_SET), "--out", str(out), "--quiet"]) == 0
    before = out.read_bytes()
    capsys.readouterr()
    _interrupt_after_partial_write(monkeypatch, pl.DataFrame, "write_parquet")
    assert main(["batch", str(src), "--set", str(MINI_SET), "--out", str(out), "--quiet"]) == 130
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "interrupted" in err and "Traceback" not in err
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


def test_d03_interrupted_duckdb_batch_keeps_the_earlier_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import trafficscreen.cli.sql as sqlcmd

    src = _csv(tmp_path / "c.csv", FULL)
    out = tmp_path / "out.parquet"
    out.write_bytes(b"earlier good output")
    real = sqlcmd._write_duckdb

    def interrupted(con: Any, rel: Any, path: str, kind: str) -> int:
        Path(path).write_bytes(b"PAR1 truncated")
        raise duckdb.InterruptException("INTERRUPT Error: Interrupted!")

    monkeypatch.setattr(sqlcmd, "_write_duckdb", interrupted)
    code = main(["batch", str(src), "--set", str(MINI_SET), "--out", str(out), "--engine", "duckdb", "--quiet"])
    err = capsys.readouterr().err
    assert code == 130, err
    assert err.count("\n") == 1 and "interrupted" in err
    assert out.read_bytes() == b"earlier good output"
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []
    monkeypatch.setattr(sqlcmd, "_write_duckdb", real)
    assert main(["batch", str(src), "--set", str(MINI_SET), "--out", str(out), "--engine", "duckdb", "--quiet"]) == 0
    assert pl.read_parquet(out).height == 1


# --- D04: outputs that would overwrite the input or each other are refused -----------------------


@pytest.mark.parametrize("engine", ["columnar", "duckdb"])
def test_d04_out_over_input_and_rejects_over_out_are_refused(
    tmp_path: Path, engine: str, capsys: pytest.CaptureFixture[str]
) -> None:
    src = _csv(tmp_path / "c.csv", "id,deceived,long_hours\na,true,false\n")
    original = src.read_bytes()
    assert main(["batch", str(src), "--set", str(MINI_SET), "--out", str(src), "--engine", engine]) == 2
    assert "--out names the input file" in capsys.readouterr().err
    assert src.read_bytes() == original
    out = tmp_path / "out.csv"
    args = ["batch", str(src), "--set", str(MINI_SET), "--out", str(out), "--rejects", str(out)]
    if engine == "columnar":
        assert main(args) == 2
        assert "--rejects and --out name the same file" in capsys.readouterr().err
        assert main(["batch", str(src), "--set", str(MINI_SET), "--out", str(out), "--rejects", str(src)]) == 2
        assert src.read_bytes() == original
    assert not out.exists()


# --- D05: an explicit --rejects file from an earlier run does not survive a clean run -------------


def test_d05_explicit_rejects_file_is_rewritten_when_nothing_is_rejected(tmp_path: Path) -> None:
    bad = _csv(tmp_path / "bad.csv", "id,deceived\na,maybe\nb,true\n")
    good = _csv(tmp_path / "good.csv", "id,deceived\na,false\nb,true\n")
    rejects = tmp_path / "my-rejects.csv"
    out = tmp_path / "out.csv"
    assert (
        main(["batch", str(bad), "--set", str(MINI_SET), "--out", str(out), "--rejects", str(rejects), "--quiet"]) == 0
    )
    assert pl.read_csv(rejects).height == 1
    assert (
        main(["batch", str(good), "--set", str(MINI_SET), "--out", str(out), "--rejects", str(rejects), "--quiet"]) == 0
    )
    assert pl.read_csv(rejects).height == 0  # a header line only: nothing rejected in this run


# --- D06: one rule for column names, shared by the columnar and SQL engines -----------------------


def test_d06_engines_agree_on_column_name_case(tmp_path: Path, mini: CompiledSet) -> None:
    src = _csv(tmp_path / "c.csv", "id,Deceived,LONG_HOURS,lives_at_work\na,true,true,true\nb,false,false,\n")
    columnar = CohortInput(src).score(mini).scored.select("id", "level", "answered").rows()
    rel = score_duckdb(src, mini)
    duck = rel.select("id", "level", "answered").fetchall()
    assert [(i, str(lv), int(n)) for i, lv, n in duck] == [(i, str(lv), int(n)) for i, lv, n in columnar]
    # and both agree with the reference, which reads exactly the field ids
    screener = Screener(mini)
    assert [r[1] for r in columnar] == [
        screener.screen({"answers": {"lives_at_work": True}}).level.value,
        screener.screen({"answers": {}}).level.value,
    ]


def test_d06_columns_differing_only_in_case_are_refused_by_both_engines(tmp_path: Path, mini: CompiledSet) -> None:
    src = _csv(tmp_path / "c.csv", "id,Deceived,deceived\na,true,false\n")
    with pytest.raises(CohortError, match="differ only in case"):
        CohortInput(src)
    with pytest.raises(EncounterError, match="differ only in case"):
        score_duckdb(src, mini)
    pq = tmp_path / "c.parquet"
    pl.DataFrame({"DECEIVED": [True], "deceived": [False]}).write_parquet(pq)
    with pytest.raises(CohortError, match="differ only in case"):
        CohortInput(pq).score(mini)
    with pytest.raises(EncounterError, match="differ only in case"):
        score_duckdb(pq, mini)


# --- D07: no recognised field column is an error; few is a warning --------------------------------


def test_d07_no_field_column_is_an_error_in_every_research_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = _csv(tmp_path / "semi.csv", "id;deceived;long_hours;label\na;true;false;1\nb;false;false;0\n")
    out = tmp_path / "out.parquet"
    commands = [
        ["batch", str(src), "--set", str(MINI_SET), "--out", str(out)],
        ["batch", str(src), "--set", str(MINI_SET), "--out", str(out), "--engine", "duckdb"],
        ["pack", str(src), "--set", str(MINI_SET), "--out", str(tmp_path / "p.parquet")],
    ]
    for argv in commands:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert "none of the" in err and "--allow-no-fields" in err and err.count("\n") == 1
        assert not out.exists()
    assert main(["batch", str(src), "--set", str(MINI_SET), "--out", str(out), "--allow-no-fields", "--quiet"]) == 0
    assert "every answer is unknown" in capsys.readouterr().err
    labelled = _csv(tmp_path / "case.csv", "ID,DECEIVED,label\na,true,1\nb,false,0\n")
    for argv in (
        ["evaluate", str(labelled), "--set", str(MINI_SET), "--label", "label"],
        ["compare", str(labelled), "--set", str(MINI_SET), "--set", str(MINI_SET), "--label", "label"],
    ):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert "none of the" in err and "differs from field 'deceived' only in case" in err


def test_d07_a_low_share_of_fields_is_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _csv(tmp_path / "c.csv", "id,deceived,label\na,true,1\nb,false,0\nc,true,0\n")
    out = tmp_path / "out.csv"
    assert main(["batch", str(src), "--set", str(MINI_SET), "--out", str(out), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert err.startswith("warning: ") and "only 1 of the" in err
    assert main(["pack", str(src), "--set", str(MINI_SET), "--out", str(tmp_path / "p.parquet"), "--quiet"]) == 0
    assert "only 1 of the" in capsys.readouterr().err
    assert main(["evaluate", str(src), "--set", str(MINI_SET), "--label", "label", "--format", "json"]) == 0
    assert "only 1 of the" in capsys.readouterr().err


# --- D20: a ragged CSV row or malformed JSONL line is rejected alone, with its number -------------


def test_d20_ragged_csv_rows_are_rejected_alone(tmp_path: Path, mini: CompiledSet) -> None:
    src = _csv(tmp_path / "c.csv", "id,deceived,long_hours\na,true,true\nb,true\nc,false,false,extra\nd,true,false\n")
    result = CohortInput(src).score(mini)
    assert result.rejects.rows() == [
        (2, None, "line 3: 2 cell(s) where the header has 3"),
        (3, None, "line 4: 4 cell(s) where the header has 3"),
    ]
    assert result.scored.get_column("id").to_list() == ["a", "d"]
    with pytest.raises(EncounterError, match=r"row 2 \(line 3: 2 cell\(s\) where the header has 3\) \(and 1 more"):
        score_duckdb(src, mini)


def test_d20_malformed_jsonl_lines_are_rejected_alone(tmp_path: Path, mini: CompiledSet) -> None:
    src = tmp_path / "c.jsonl"
    src.write_text(
        '{"id": "a", "deceived": true}\n{"id": "b", "deceived": tru\n[1, 2]\n'
        '{"id": "d", "answers": {"deceived": false}}\n',
        encoding="utf-8",
    )
    result = CohortInput(src).score(mini)
    assert result.rejects.rows() == [(2, None, "line 2: not valid JSON"), (3, None, "line 3: not a JSON object")]
    assert result.scored.get_column("id").to_list() == ["a", "d"]
    with pytest.raises(EncounterError, match=r"row 2 \(line 2: not valid JSON\) \(and 1 more row"):
        score_duckdb(src, mini)


def test_d20_batch_cli_keeps_the_good_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _csv(tmp_path / "c.csv", "id,deceived,long_hours\na,true,true\nb,Maria Silva\n")
    out = tmp_path / "out.csv"
    assert main(["batch", str(src), "--set", str(MINI_SET), "--out", str(out)]) == 0
    assert pl.read_csv(out).height == 1
    report = (tmp_path / "out.rejects.csv").read_text(encoding="utf-8")
    assert "line 3: 2 cell(s) where the header has 3" in report and "Maria" not in report


# --- D21: a duplicated CSV header is refused ---------------------------------------------------------


def test_d21_duplicated_header_is_refused(
    tmp_path: Path, mini: CompiledSet, capsys: pytest.CaptureFixture[str]
) -> None:
    src = _csv(tmp_path / "c.csv", "id,deceived,long_hours,deceived\na,false,true,true\n")
    with pytest.raises(CohortError, match="column 'deceived' appears twice in the header"):
        read_table(src)
    with pytest.raises(EncounterError, match="column 'deceived' appears twice in the header"):
        score_duckdb(src, mini)
    assert main(["batch", str(src), "--set", str(MINI_SET), "--out", str(tmp_path / "o.csv")]) == 2
    assert "appears twice" in capsys.readouterr().err


# --- D22: NaN or Infinity in a whole-number field is "not finite", never "a fraction" ---------------


def test_d22_non_finite_integer_is_not_reported_as_a_fraction(tmp_path: Path, mini: CompiledSet) -> None:
    csv = _csv(tmp_path / "c.csv", "age_years\nNaN\nInfinity\n-inf\n3\n")
    assert _duck_problems(csv, mini) == ["field 'age_years': 3 row(s): expected a finite number"]
    src = tmp_path / "c.jsonl"
    src.write_text(
        '{"age_years": NaN}\n{"age_years": Infinity}\n{"age_years": "-inf"}\n{"age_years": 3}\n', encoding="utf-8"
    )
    result = CohortInput(src).score(mini)
    assert result.rejects.get_column("reason").to_list() == ["field 'age_years': expected a finite number"] * 3
    assert result.scored.height == 1


def test_errors_stay_typed_in_the_api(tmp_path: Path) -> None:
    src = _csv(tmp_path / "c.csv", "id,deceived,deceived\na,true,true\n")
    with pytest.raises(TrafficscreenError):
        CohortInput(src)


# --- D01 in cohorts: a JSON Lines row naming a field twice is rejected, never the last value winning ---


def test_d01_jsonl_row_naming_a_field_twice_is_rejected(tmp_path: Path, mini: CompiledSet) -> None:
    src = tmp_path / "c.jsonl"
    src.write_text(
        '{"id": "a", "deceived": true, "deceived": false}\n{"id": "b", "deceived": true}\n', encoding="utf-8"
    )
    result = CohortInput(src).score(mini)
    assert result.rejects.rows() == [
        (
            1,
            None,
            "line 1: duplicate key 'deceived' in a JSON object (JSON read here may name a key once; "
            "the last one would silently win)",
        )
    ]
    assert result.scored.get_column("id").to_list() == ["b"]
    with pytest.raises(EncounterError, match="duplicate key 'deceived'"):
        score_duckdb(src, mini)


def test_d07_score_frame_with_no_field_column_is_an_error(mini: CompiledSet) -> None:
    from trafficscreen.research import score_frame

    df = pl.DataFrame({"id": ["a"], "Deceived": [True]})  # a header in another case: no field recognised
    with pytest.raises(CohortError, match="none of the"):
        score_frame(df, mini)
    scored = score_frame(df, mini, allow_no_fields=True)
    assert scored.get_column("level").to_list() == ["none"]
