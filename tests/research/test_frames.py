"""Reading cohort files, column mappings, and rejecting rows that do not fit the dictionary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from trafficscreen.core.compiled import CompiledSet
from trafficscreen.errors import SchemaError, YAMLSyntaxError
from trafficscreen.research.frames import CohortError, read_mapping, read_table, write_table
from trafficscreen.research.scoring import check

CSV = (
    "id,age_years,deceived,long_hours,accompanied_by,work_types,lives_at_work\n"
    "a,12,true,1,employer,domestic|street,\n"
    'b,12.5,Joana,,boss,"[""domestic""]",FALSE\n'
    "c,30,,0,,[],\n"
    'd,,,,,"domestic, street, domestic",\n'
    "e,11,,,parent,farm,TRUE\n"
)


def _checked(tmp_path: Path, mini: CompiledSet, text: str = CSV) -> Any:
    p = tmp_path / "cohort.csv"
    p.write_text(text)
    return check(read_table(p), mini)


def test_csv_cells_are_read_and_bad_rows_rejected_by_field(tmp_path: Path, mini: CompiledSet) -> None:
    c = _checked(tmp_path, mini)
    assert c.frame.get_column("row").to_list() == [1, 4]
    rejects = c.rejects.rows()
    assert rejects == [
        (2, "accompanied_by", "field 'accompanied_by': the answer is not one of its choices (employer, parent)"),
        (2, "age_years", "field 'age_years': expected a whole number, got a fraction"),
        (2, "deceived", "field 'deceived': expected true or false, got text"),
        (3, "age_years", "field 'age_years': above the largest allowed value (25)"),
        (
            5,
            "work_types",
            "field 'work_types': the list holds an answer that is not one of its choices (domestic, street)",
        ),
    ]
    assert c.n_rejected == 3
    text = c.rejects.write_csv()
    for value in ("Joana", "boss", "12.5", "farm", "30"):
        assert value not in text  # reasons name fields, never values


def test_unknowns_and_sets_from_text(tmp_path: Path, mini: CompiledSet) -> None:
    row_a, row_d = _checked(tmp_path, mini).answers().rows(named=True)
    assert row_a["deceived"] is True and row_a["long_hours"] is True and row_a["lives_at_work"] is None
    assert row_a["work_types"] == 0b11  # domestic and street, bits in dictionary order
    assert row_d["work_types"] == 0b11  # repeated value counted once
    assert row_d["age_years"] is None and row_d["deceived"] is None


def test_jsonl_flat_and_encounter_shaped(tmp_path: Path, mini: CompiledSet) -> None:
    p = tmp_path / "c.jsonl"
    lines = [
        {"id": "a", "answers": {"deceived": True, "work_types": ["street"], "age_years": 14}},
        {"id": "b", "answers": {"deceived": "yes", "work_types": "street", "age_years": 14}},
        {"id": "c", "answers": {}},
    ]
    p.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    c = check(read_table(p), mini)
    assert c.frame.get_column("id").to_list() == ["a", "c"]
    assert c.rejects.rows() == [(2, "deceived", "field 'deceived': expected true or false, got text")]


def test_parquet_typed_columns_are_checked(tmp_path: Path, mini: CompiledSet) -> None:
    df = pl.DataFrame(
        {
            "age_years": [3, -1, None],
            "accompanied_by": ["parent", "nanny", None],
            "work_types": [["street", "domestic"], [], None],
            "deceived": [1, 2, 0],
        }
    )
    p = tmp_path / "c.parquet"
    write_table(df, p)
    c = check(read_table(p), mini)
    assert c.frame.get_column("row").to_list() == [1, 3]
    assert {(r[0], r[1]) for r in c.rejects.rows()} == {(2, "age_years"), (2, "accompanied_by"), (2, "deceived")}
    assert c.answers().get_column("deceived").to_list() == [True, False]


def test_column_mapping_renames_and_reasons_name_the_column(tmp_path: Path, mini: CompiledSet) -> None:
    mapping = tmp_path / "map.yaml"
    mapping.write_text("deceived: q1_lied_to\nage_years: age\nid: ref\n")
    df = pl.DataFrame({"ref": ["x", "y"], "q1_lied_to": ["true", "maybe"], "age": [10, 11]})
    c = check(df, mini, mapping=read_mapping(mapping))
    assert c.frame.get_column("id").to_list() == ["x"]
    assert c.answers().get_column("deceived").to_list() == [True]
    assert c.rejects.get_column("reason").to_list() == [
        "field 'deceived' (column 'q1_lied_to'): expected true or false, got text"
    ]


def test_bad_mappings_and_files(tmp_path: Path, mini: CompiledSet) -> None:
    m = tmp_path / "m.yaml"
    m.write_text("decieved: q1\n")
    with pytest.raises(CohortError, match="did you mean 'deceived'"):
        check(pl.DataFrame({"q1": [True]}), mini, mapping=read_mapping(m))
    m.write_text("deceived: nowhere\n")
    with pytest.raises(CohortError, match="which the input lacks"):
        check(pl.DataFrame({"q1": [True]}), mini, mapping=read_mapping(m))
    m.write_text("deceived: [q1]\n")
    with pytest.raises(SchemaError, match=r"m\.yaml:1:11: the column for 'deceived' must be a non-empty name"):
        read_mapping(m)
    m.write_text("a: b\na: c\n")
    with pytest.raises(YAMLSyntaxError):
        read_mapping(m)
    with pytest.raises(CohortError, match=r"unsupported file type '\.xlsx'"):
        read_table(tmp_path / "cohort.xlsx")
    with pytest.raises(CohortError, match="no such file"):
        read_table(tmp_path / "missing.csv")
    broken = tmp_path / "broken.parquet"
    broken.write_text("Maria Silva, 2014-03-02, not a parquet file")
    with pytest.raises(CohortError, match="cannot be read as PARQUET") as exc:
        read_table(broken)
    assert "Maria" not in str(exc.value)


def test_csv_writer_joins_sets(tmp_path: Path) -> None:
    p = tmp_path / "o.csv"
    write_table(pl.DataFrame({"s": [["a", "b"], [], None]}), p)
    assert p.read_text().splitlines() == ["s", "a|b", "[]", ""]
