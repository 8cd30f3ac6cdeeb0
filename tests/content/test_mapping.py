"""Column mapping files: field id -> column name, with errors that say file, line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from trafficscreen.content.mapping import ColumnMapping, as_mapping, load_mapping
from trafficscreen.core.compiled import CompiledSet
from trafficscreen.errors import SchemaError, SetNotFoundError, YAMLSyntaxError


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "columns.yaml"
    p.write_text(text)
    return p


def test_a_mapping_file_names_columns_and_the_id(tmp_path: Path, mini: CompiledSet) -> None:
    m = load_mapping(_write(tmp_path, "# warehouse names\nid: encounter_ref\nage_years: 'Patient Age'\n"))
    assert m.column("age_years") == "Patient Age"
    assert m.column("deceived") == "deceived"  # unlisted fields keep their own name
    assert m.id_column(mini.dictionary) == "encounter_ref"
    m.check(mini.dictionary)


def test_mistakes_are_located(tmp_path: Path, mini: CompiledSet) -> None:
    m = load_mapping(_write(tmp_path, "age_years: age\ndecieved: q1\n"))
    with pytest.raises(SchemaError, match=r"columns.yaml:2:1: .*'decieved'.*did you mean 'deceived'"):
        m.check(mini.dictionary)
    with pytest.raises(SchemaError, match=r"columns.yaml:2:.*column 'q1' is mapped to both 'age_years' and"):
        load_mapping(_write(tmp_path, "age_years: q1\ndeceived: q1\n"))
    with pytest.raises(SchemaError, match="non-empty name"):
        load_mapping(_write(tmp_path, "age_years: 12\n"))
    with pytest.raises(SchemaError, match="a YAML mapping of field ids to column names"):
        load_mapping(_write(tmp_path, "- age_years\n"))
    with pytest.raises(YAMLSyntaxError, match="duplicate"):
        load_mapping(_write(tmp_path, "age_years: a\nage_years: b\n"))
    with pytest.raises(SetNotFoundError, match="no such file"):
        load_mapping(tmp_path / "missing.yaml")


def test_a_plain_dict_or_none_is_accepted() -> None:
    assert as_mapping(None).columns == {}
    assert as_mapping({"age_years": "age"}).column("age_years") == "age"
    m = ColumnMapping({"x": "y"})
    assert as_mapping(m) is m
