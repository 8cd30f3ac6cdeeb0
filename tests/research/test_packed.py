"""Packed cohorts: checked once, read back exactly, scored as the plain input is, never trusted blindly."""

from __future__ import annotations

import json
import random
from pathlib import Path

import polars as pl
import pytest

from conftest import MINI_SET
from paths import ROOT
from research_helpers import frame_of, random_answers
from trafficscreen.cli import main
from trafficscreen.content.loader import load_set
from trafficscreen.core.compiled import CompiledSet
from trafficscreen.core.engine import DEFAULT_SET
from trafficscreen.errors import EncounterError
from trafficscreen.research import score_file, score_frame
from trafficscreen.research.batch import CohortInput
from trafficscreen.research.frames import ROW, CohortError
from trafficscreen.research.packed import PACKED_KEY, pack, packed_layout, read_packed, score_packed, write_packed
from trafficscreen.research.scoring import check

N = 10_000


@pytest.fixture(scope="module")
def default() -> CompiledSet:
    return load_set(DEFAULT_SET)


@pytest.fixture(scope="module")
def cohort(default: CompiledSet) -> pl.DataFrame:
    rng = random.Random(20261123)
    df = frame_of(default, [random_answers(default, rng) for _ in range(N)])
    return df.with_columns(pl.Series("label", [rng.random() < 0.1 for _ in range(N)]))


@pytest.fixture(scope="module")
def packed_file(cohort: pl.DataFrame, default: CompiledSet, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("packed") / "cohort.parquet"
    write_packed(pack(cohort, default), path)
    return path


def test_the_packed_file_reads_back_every_answer(cohort: pl.DataFrame, default: CompiledSet, packed_file: Path) -> None:
    every = list(default.dictionary.by_id)
    plain = check(cohort, default, fields=[f for f in every if f in cohort.columns]).answers()
    back = read_packed(packed_file, default, fields=every).answers()
    assert back.select(plain.columns).equals(plain)
    yes_no = next(f for f in default.used_fields if default.dictionary.by_id[f].type.value == "boolean")
    assert set(pl.read_parquet_schema(packed_file)) >= {"id", "label", f"{yes_no}.yes", f"{yes_no}.no"}
    layout = packed_layout(packed_file)
    assert layout is not None and layout["dictionary"] == default.dictionary.ref
    assert layout["row_numbers"] == "implied" and ROW not in pl.read_parquet_schema(packed_file)


def test_scoring_a_packed_file_equals_scoring_the_plain_frame(
    cohort: pl.DataFrame, default: CompiledSet, packed_file: Path
) -> None:
    plain = score_frame(cohort, default, keep=["label"])
    fast = score_packed(packed_file, default, keep=["label"])
    assert fast.rejects.height == 0 and fast.n_input == N
    assert fast.scored.equals(plain)
    assert read_packed(packed_file, default).frame.height == N
    assert score_file(packed_file, default, keep=["label"]).equals(plain)
    # the sample is not one answer over and over
    assert plain.get_column("level").n_unique() >= 3


def test_a_set_reading_fewer_fields_reads_only_those(cohort: pl.DataFrame, packed_file: Path) -> None:
    labour = load_set("ilo-child-labour")
    assert len(labour.used_fields) < len(load_set(DEFAULT_SET).used_fields)
    assert set(read_packed(packed_file, labour).frame.columns) == {
        ROW,
        "id",
        *[c for f in labour.used_fields for c in (f"{f}.yes", f"{f}.no") if c in pl.read_parquet_schema(packed_file)],
        *[f for f in labour.used_fields if f in pl.read_parquet_schema(packed_file)],
    }
    assert score_packed(packed_file, labour).scored.equals(score_frame(cohort, labour))


def _rewrite(src: Path, dst: Path, frame: pl.DataFrame | None = None, meta: dict[str, object] | None = None) -> Path:
    layout = packed_layout(src)
    assert layout is not None
    (frame if frame is not None else pl.read_parquet(src)).write_parquet(
        dst, metadata={PACKED_KEY: json.dumps(meta if meta is not None else layout)}
    )
    return dst


def test_a_hand_edited_file_is_rejected_row_by_row(default: CompiledSet, packed_file: Path, tmp_path: Path) -> None:
    df = pl.read_parquet(packed_file)
    yes_no = next(f for f in default.used_fields if f"{f}.yes" in df.columns)
    choice = next(f for f in default.used_fields if default.dictionary.by_id[f].type.value == "enum")
    n_choices = len(default.dictionary.by_id[choice].values or ())
    edited = df.with_columns(
        pl.when(pl.int_range(pl.len()) == 4).then(True).otherwise(pl.col(f"{yes_no}.yes")).alias(f"{yes_no}.yes"),
        pl.when(pl.int_range(pl.len()) == 4).then(True).otherwise(pl.col(f"{yes_no}.no")).alias(f"{yes_no}.no"),
        pl.when(pl.int_range(pl.len()) == 9)
        .then(pl.lit(n_choices, dtype=df.schema[choice]))
        .otherwise(pl.col(choice))
        .alias(choice),
        pl.when(pl.int_range(pl.len()) == 9).then(99).otherwise(pl.col("age_years")).alias("age_years"),
    )
    bad = _rewrite(packed_file, tmp_path / "edited.parquet", edited)
    result = score_packed(bad, default)
    assert result.rejects.rows() == [
        (5, yes_no, f"field '{yes_no}': marked both yes and no"),
        (10, "age_years", "field 'age_years': above the largest allowed value (25)"),
        (10, choice, f"field '{choice}': the answer is not one of its choices"),
    ]
    assert result.scored.height == N - 2 and result.n_rejected == 2
    assert read_packed(bad, default).rejects.equals(result.rejects)
    with pytest.raises(EncounterError, match="2 row"):
        score_file(bad, default)


def test_a_file_packed_for_other_values_is_refused(default: CompiledSet, packed_file: Path, tmp_path: Path) -> None:
    layout = packed_layout(packed_file)
    assert layout is not None
    choice = next(f for f, e in layout["fields"].items() if e["type"] == "enum")
    changed = json.loads(json.dumps(layout))
    changed["fields"][choice]["values"] = list(reversed(changed["fields"][choice]["values"]))
    with pytest.raises(CohortError, match=f"field '{choice}' was packed with a different type or list of values"):
        score_packed(_rewrite(packed_file, tmp_path / "other.parquet", meta=changed), default)
    with pytest.raises(CohortError, match=r"packed for dictionary 'mini@1\.0\.0'"):
        score_packed(
            _rewrite(packed_file, tmp_path / "d.parquet", meta={**layout, "dictionary": "mini@1.0.0"}), default
        )
    with pytest.raises(CohortError, match="layout 99"):
        score_packed(_rewrite(packed_file, tmp_path / "l.parquet", meta={**layout, "layout": 99}), default)
    narrowed = pl.read_parquet(packed_file).with_columns(pl.col(choice).cast(pl.Int64))
    with pytest.raises(CohortError, match=f"column '{choice}' of a packed cohort should be UInt8, but is Int64"):
        score_packed(_rewrite(packed_file, tmp_path / "t.parquet", narrowed), default)
    damaged = tmp_path / "damaged.parquet"
    pl.read_parquet(packed_file).write_parquet(damaged, metadata={PACKED_KEY: "{not json"})
    with pytest.raises(CohortError, match="metadata of this file is damaged"):
        CohortInput(damaged)


def test_rows_rejected_when_packing_keep_their_row_numbers(mini: CompiledSet, tmp_path: Path) -> None:
    df = pl.DataFrame({"deceived": [True, None, False], "age_years": [10, 99, None], "note": ["a", "b", "c"]})
    checked = pack(df, mini, id_column=None)
    assert checked.rejects.rows() == [(2, "age_years", "field 'age_years': above the largest allowed value (25)")]
    path = tmp_path / "p.parquet"
    write_packed(checked, path)
    layout = packed_layout(path)
    assert layout is not None and layout["row_numbers"] == "column" and layout["rows_rejected"] == 1
    out = score_packed(path, mini, id_column=None, keep=["note"], keep_row=True).scored
    assert out.get_column(ROW).to_list() == [1, 3] and out.get_column("note").to_list() == ["a", "c"]
    assert out.get_column("indicator.deceived_job").to_list() == ["met", "not_met"]


def test_a_field_the_packed_file_lacks_is_unknown(mini: CompiledSet, tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    write_packed(pack(pl.DataFrame({"deceived": [True]}), mini), path)
    result = score_packed(path, mini)
    assert "long_hours" in result.missing_fields
    assert result.scored.get_column("indicator.hours").to_list() == ["unknown"]


def test_cli_pack_then_batch_evaluate_compare(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plain = tmp_path / "cohort.parquet"
    packed = tmp_path / "cohort.packed.parquet"
    assert (
        main(
            [
                "synth",
                "--n",
                "2000",
                "--prevalence",
                "0.2",
                "--seed",
                "3",
                "--set",
                DEFAULT_SET,
                "--out",
                str(plain),
                "--quiet",
            ]
        )
        == 0
    )
    assert main(["pack", str(plain), "--out", str(packed)]) == 0
    assert "packed 2,000 of 2,000 rows" in capsys.readouterr().err
    for src, name in ((plain, "a"), (packed, "b")):
        assert (
            main(
                [
                    "batch",
                    str(src),
                    "--set",
                    DEFAULT_SET,
                    "--out",
                    str(tmp_path / f"{name}.parquet"),
                    "--keep",
                    "label",
                    "--quiet",
                ]
            )
            == 0
        )
    assert pl.read_parquet(tmp_path / "a.parquet").equals(pl.read_parquet(tmp_path / "b.parquet"))
    reports = []
    for src in (plain, packed):
        assert main(["evaluate", str(src), "--set", DEFAULT_SET, "--label", "label", "--format", "json"]) == 0
        reports.append(json.loads(capsys.readouterr().out))
    assert reports[0] == reports[1] and reports[0]["synthetic"] is True
    comparisons = []
    for src in (plain, packed):
        assert (
            main(
                [
                    "compare",
                    str(src),
                    "--set",
                    "ilo-child-labour",
                    "--set",
                    DEFAULT_SET,
                    "--label",
                    "label",
                    "--format",
                    "json",
                ]
            )
            == 0
        )
        comparisons.append(json.loads(capsys.readouterr().out))
    assert comparisons[0] == comparisons[1] and len(comparisons[0]["paired_tests"]) == 6
    # a packed cohort is not scored output
    assert main(["evaluate", str(packed), "--label", "label"]) == 2
    assert "pass --set to score it" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--columns", "MAP"], "column mapping does not apply"),
        ([], None),
    ],
)
def test_cli_packed_input_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], fragment: str | None
) -> None:
    packed = tmp_path / "p.parquet"
    write_packed(pack(pl.DataFrame({"deceived": [True]}), load_set(MINI_SET)), packed)
    mapping = tmp_path / "map.yaml"
    mapping.write_text("deceived: q1\n")
    args = [a if a != "MAP" else str(mapping) for a in extra]
    code = main(["batch", str(packed), "--set", str(MINI_SET), "--out", str(tmp_path / "o.parquet"), *args])
    if fragment is None:
        assert code == 0
    else:
        assert code == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and fragment in err[0]


def test_cli_pack_refuses_other_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "c.csv"
    src.write_text("deceived\ntrue\n")
    assert main(["pack", str(src), "--set", str(MINI_SET), "--out", str(tmp_path / "p.csv")]) == 2
    assert "a packed cohort is a Parquet file" in capsys.readouterr().err
    same = tmp_path / "same.parquet"
    pl.DataFrame({"deceived": [True]}).write_parquet(same)
    assert main(["pack", str(same), "--set", str(MINI_SET), "--out", str(same)]) == 2
    assert "not over its source" in capsys.readouterr().err


def test_levels_only_leaves_out_the_status_columns(tmp_path: Path, mini: CompiledSet) -> None:
    df = pl.DataFrame({"id": ["a", "b"], "deceived": [True, None], "long_hours": [True, False]})
    plain = tmp_path / "plain.parquet"
    df.write_parquet(plain)
    packed = tmp_path / "packed.parquet"
    write_packed(pack(df, mini), packed)
    outs = []
    for src, name in ((plain, "a"), (packed, "b")):
        assert (
            main(
                [
                    "batch",
                    str(src),
                    "--set",
                    str(MINI_SET),
                    "--out",
                    str(tmp_path / f"{name}.parquet"),
                    "--levels-only",
                    "--quiet",
                ]
            )
            == 0
        )
        outs.append(pl.read_parquet(tmp_path / f"{name}.parquet"))
    assert outs[0].equals(outs[1])
    assert outs[0].columns == ["id", "level", "highest_possible", "answered", "set_id", "set_version", "set_sha256"]
    full = score_frame(df, mini)
    assert outs[0].get_column("level").cast(pl.String).to_list() == full.get_column("level").cast(pl.String).to_list()


def test_the_sql_engines_refuse_a_packed_cohort(
    tmp_path: Path, mini: CompiledSet, capsys: pytest.CaptureFixture[str]
) -> None:
    packed = tmp_path / "packed.parquet"
    write_packed(pack(pl.DataFrame({"deceived": [True]}), mini), packed)
    out = str(tmp_path / "o.parquet")
    assert main(["batch", str(packed), "--set", str(MINI_SET), "--out", out, "--engine", "duckdb"]) == 2
    assert "a packed cohort is read by the columnar engine" in capsys.readouterr().err
    plain = tmp_path / "plain.parquet"
    pl.DataFrame({"deceived": [True]}).write_parquet(plain)
    assert main(["batch", str(plain), "--set", str(MINI_SET), "--out", out, "--engine", "duckdb", "--levels-only"]) == 2
    assert "--levels-only applies to the columnar engine" in capsys.readouterr().err


def test_packing_through_a_column_mapping_names_the_input_column(tmp_path: Path) -> None:
    root = ROOT / "examples" / "research"
    out = tmp_path / "example.packed.parquet"
    assert (
        main(["pack", str(root / "cohort.csv"), "--columns", str(root / "columns.yaml"), "--out", str(out), "--quiet"])
        == 0
    )
    rejects = pl.read_csv(tmp_path / "example.packed.rejects.csv")
    assert rejects.get_column("reason").to_list() == [
        "field 'works_long_hours' (column 'q_long_days'): expected true or false, got text",
        "field 'age_years' (column 'age'): above the largest allowed value (25)",
    ]
    plain = tmp_path / "plain.csv"
    packed = tmp_path / "packed.csv"
    assert (
        main(
            [
                "batch",
                str(root / "cohort.csv"),
                "--columns",
                str(root / "columns.yaml"),
                "--set",
                DEFAULT_SET,
                "--keep",
                "outcome",
                "--out",
                str(plain),
                "--quiet",
            ]
        )
        == 0
    )
    assert main(["batch", str(out), "--set", DEFAULT_SET, "--keep", "outcome", "--out", str(packed), "--quiet"]) == 0
    assert plain.read_text() == packed.read_text()


def test_a_column_named_like_an_encoded_column_is_refused(mini: CompiledSet, tmp_path: Path) -> None:
    df = pl.DataFrame({"deceived": [True], "deceived.yes": ["x"]})
    with pytest.raises(CohortError, match=r"column 'deceived\.yes' has the name of a column the encoding uses"):
        pack(df, mini)
    with pytest.raises(CohortError, match=r"column 'deceived\.yes' has the name"):
        score_frame(df, mini, keep=["deceived.yes"])
    path = tmp_path / "p.parquet"
    write_packed(pack(pl.DataFrame({"deceived": [True]}), mini), path)
    with pytest.raises(CohortError, match=r"column 'deceived' is a field of mini@1\.0\.0 and cannot also be kept"):
        score_packed(path, mini, keep=["deceived"])
    with pytest.raises(CohortError, match="a column named 'row'"):
        pack(pl.DataFrame({"deceived": [True], "row": [1]}), mini)


def test_rows_stay_when_a_set_reads_no_column_of_the_file(mini: CompiledSet, tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    write_packed(pack(pl.DataFrame({"note": ["a", "b", "c"]}), mini), path)
    result = score_packed(path, mini, id_column=None, keep_row=True)
    assert result.scored.get_column(ROW).to_list() == [1, 2, 3]
    assert result.scored.get_column("level").cast(pl.String).to_list() == ["none"] * 3
    assert result.scored.get_column("highest_possible").cast(pl.String).to_list() == ["urgent"] * 3


def test_scoring_in_chunks_gives_the_same_result_and_reports_progress(
    default: CompiledSet, packed_file: Path, tmp_path: Path
) -> None:
    whole = score_packed(packed_file, default, keep=["label"])
    seen: list[int] = []
    chunked = score_packed(packed_file, default, keep=["label"], chunk_rows=3000, progress=seen.append)
    assert seen == [3000, 6000, 9000, 10_000]
    assert chunked.scored.equals(whole.scored) and chunked.n_input == N
    # a bad row in the third chunk is reported with its own row number
    df = pl.read_parquet(packed_file)
    yes_no = next(f for f in default.used_fields if f"{f}.yes" in df.columns)
    edited = df.with_columns(
        *[
            pl.when(pl.int_range(pl.len()) == 7000).then(True).otherwise(pl.col(c)).alias(c)
            for c in (f"{yes_no}.yes", f"{yes_no}.no")
        ]
    )
    bad = _rewrite(packed_file, tmp_path / "edited.parquet", edited)
    result = score_packed(bad, default, chunk_rows=3000)
    assert result.rejects.rows() == [(7001, yes_no, f"field '{yes_no}': marked both yes and no")]
    assert result.scored.height == N - 1
