"""Every kind of bad content gives one clear, located line and a typed exception."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from conftest import MINI_SET, replace_in
from trafficscreen.content.loader import load_dictionary, load_set, shipped_sets
from trafficscreen.core.compiled import CompiledSet
from trafficscreen.errors import (
    ConditionError,
    ContentError,
    DraftSetError,
    SchemaError,
    SetNotFoundError,
    YAMLSyntaxError,
)


def set_path(content: Path) -> Path:
    return content / "sets" / "mini" / "1.0.0.yaml"


def load_error(path: Path) -> ContentError | SetNotFoundError:
    with pytest.raises((ContentError, SetNotFoundError)) as info:
        load_set(path)
    err = info.value
    assert "\n" not in str(err)
    assert isinstance(err, (ContentError, SetNotFoundError))  # mypy joins the pair to their common base
    return err


def test_mini_set_loads(mini: CompiledSet) -> None:
    assert mini.ref == "mini@1.0.0"
    assert mini.used_fields == ("deceived", "accompanied_by", "age_years", "long_hours", "work_types", "lives_at_work")
    assert len(mini.sha256) == 64


@pytest.mark.parametrize(
    ("old", "new", "exc", "where", "fragment"),
    [
        (
            "  - id: with_employer",
            "  - id: deceived_job",
            SchemaError,
            ":32:9",
            "duplicated indicator id 'deceived_job'",
        ),
        (
            "    when: deceived\n",
            "    when: deceivd\n",
            ConditionError,
            ":25:11",
            "'deceivd' is not a field in the data dictionary; did you mean 'deceived'?",
        ),
        (
            'accompanied_by == "employer"',
            "accompanied_by == 3",
            ConditionError,
            ":36:29",
            "cannot compare a choice with a number",
        ),
        (
            'accompanied_by == "employer"',
            'accompanied_by == "boss"',
            ConditionError,
            ":36:29",
            "'boss' is not a value of 'accompanied_by'",
        ),
        ("    when: deceived\n", "    when: deceived and\n", ConditionError, ":25:", "syntax error"),
        (
            'when: "recruitment and exploitation"',
            'when: "recruitment and exploitaton"',
            ConditionError,
            ":18:",
            "'exploitaton' is not a name a rule can use; did you mean 'exploitation'?",
        ),
        ("version: 1.0.0\nstatus", "version: '1.0'\nstatus", SchemaError, ":3:10", "not a semantic version"),
        ("status: active\n", "status: active\nstatus: draft\n", YAMLSyntaxError, ":5:1", "duplicated key 'status'"),
        (
            "    dimension: recruitment\n    strength: strong",
            "    dimension: recruitment\n    strenght: strong",
            SchemaError,
            ":23:5",
            "unknown key 'strenght'",
        ),
        (
            "    strength: strong\n    forms: [labour]\n    when: deceived",
            "    strength: mighty\n    forms: [labour]\n    when: deceived",
            SchemaError,
            ":23:15",
            "strength",
        ),
        (
            "    dimension: recruitment\n    strength: strong",
            "    dimension: recruiting\n    strength: strong",
            SchemaError,
            ":22:16",
            "unknown dimension 'recruiting'",
        ),
        (
            'source: {source: ilo, locator: "x", verified: false}\n    examples:\n      met: [{deceived: true}]',
            'source: {source: who, locator: "x", verified: false}\n    examples:\n      met: [{deceived: true}]',
            SchemaError,
            ":27:22",
            "unknown source 'who'",
        ),
        ("  - {id: urgent, scale: urgent", "  - {id: urgent, scale: concern", SchemaError, ":19:", "lowest first"),
        ("changes: [first]", "changes: []", SchemaError, ":9:", "changes"),
        ("dictionary: mini@1.0.0", "dictionary: mini@2.0.0", SetNotFoundError, "", "no data dictionary 'mini@2.0.0'"),
    ],
)
def test_bad_set_content(content: Path, old: str, new: str, exc: type[Exception], where: str, fragment: str) -> None:
    path = set_path(content)
    replace_in(path, old, new)
    err = load_error(path)
    assert isinstance(err, exc)
    assert fragment in str(err)
    if where:
        assert f"{path}{where}" in str(err), str(err)


def test_level_rule_naming_unknown_dimension_points_at_the_name(content: Path) -> None:
    path = set_path(content)
    replace_in(path, 'when: "red_flag"', 'when: "red_flag or coercion"')
    err = load_error(path)
    assert str(err).startswith(f"{path}:19:")
    assert "'coercion' is not a name a rule can use" in str(err)


def test_malformed_yaml(content: Path) -> None:
    path = set_path(content)
    replace_in(path, "title: {en: Mini set}", "title: {en: Mini set")
    err = load_error(path)
    assert isinstance(err, YAMLSyntaxError)
    assert str(err).startswith(f"{path}:6:")


def test_empty_file_and_missing_path(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert "file is empty" in str(load_error(empty))
    with pytest.raises(SetNotFoundError, match="no such file"):
        load_set(tmp_path / "nope.yaml")
    with pytest.raises(SetNotFoundError, match="no indicator set 'nope'"):
        load_set("nope")


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    p = tmp_path / "list.yaml"
    p.write_text("- a\n- b\n")
    assert "mapping" in str(load_error(p))


def test_file_name_must_match_id_and_version_inside_a_registry(content: Path) -> None:
    wrong = content / "sets" / "mini" / "1.0.1.yaml"
    set_path(content).rename(wrong)
    assert "must be mini/1.0.0.yaml" in str(load_error(wrong))


def test_dictionary_problems(content: Path) -> None:
    d = content / "dictionaries" / "mini" / "1.0.0.yaml"
    replace_in(d, "  - id: deceived\n", "  - id: age_years\n")
    with pytest.raises(SchemaError, match="duplicated field id 'age_years'") as info:
        load_dictionary(d)
    assert str(info.value).startswith(f"{d}:13:")


def test_dictionary_field_shape(content: Path) -> None:
    d = content / "dictionaries" / "mini" / "1.0.0.yaml"
    replace_in(d, "    type: integer\n", "    type: boolean\n")
    with pytest.raises(SchemaError, match="min/max apply only") as info:
        load_dictionary(d)
    assert str(info.value).startswith(f"{d}:6:5:")


def test_draft_sets_need_an_explicit_ask(content: Path) -> None:
    path = set_path(content)
    replace_in(path, "status: active", "status: draft")
    cs = load_set(path)  # a path is explicit
    assert cs.definition.status.value == "draft"
    from trafficscreen.core.engine import Screener

    with pytest.raises(DraftSetError):
        Screener(cs)
    assert Screener(cs, allow_draft=True).screen({"answers": {}}).warnings


def test_sha256_changes_with_any_byte(content: Path) -> None:
    path = set_path(content)
    before = load_set(path).sha256
    replace_in(path, "description: {en: test}", "description: {en: test.}")
    assert load_set(path).sha256 != before
    assert load_set(MINI_SET).sha256 == before


def test_shipped_sets_all_load() -> None:
    for ident, version, _path in shipped_sets():
        cs = load_set(f"{ident}@{version}")
        assert cs.ref == f"{ident}@{version}"


def test_a_set_named_by_id_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Finding the newest active version reads its status; loading reuses that read instead of
    parsing the same file again (one read for the set, one for its dictionary)."""
    from trafficscreen.content import loader, yamlsource

    reads: list[str] = []
    real = yamlsource.read_source

    def counting(path: Path) -> tuple[str, bytes]:
        reads.append(path.name)
        return real(path)

    monkeypatch.setattr(loader, "read_source", counting)
    cs = load_set("paediatric-default")
    assert len(reads) == 2, reads
    assert cs.path is not None
    assert cs.sha256 == hashlib.sha256(cs.path.read_bytes()).hexdigest()
