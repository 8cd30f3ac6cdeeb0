"""Regression tests for the YAML and content-loading defects of the hardening review (issue 17).

One test (or one parametrised group) per reported defect: D08, D11, D12, D13 and D17. Each failed on
the code before its fix; each checks the rule every content error follows: a typed exception whose
message is one line naming the file, line and column.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import replace_in
from paths import DATA
from trafficscreen.authoring.validate import validate_paths
from trafficscreen.cli import main
from trafficscreen.content import loader
from trafficscreen.content.loader import find_set, load_dictionary, load_set
from trafficscreen.content.mapping import load_mapping
from trafficscreen.content.referral import read_site
from trafficscreen.content.yamlsource import parse_yaml
from trafficscreen.errors import ConditionError, ContentError, SchemaError, YAMLSyntaxError
from trafficscreen.expr.parser import MAX_CONDITION_DEPTH, ConditionSyntaxError, parse_condition
from trafficscreen.model.common import _check_ident, _check_semver, _check_slug


def set_path(content: Path) -> Path:
    return content / "sets" / "mini" / "1.0.0.yaml"


def dict_path(content: Path) -> Path:
    return content / "dictionaries" / "mini" / "1.0.0.yaml"


def one_line(err: BaseException) -> str:
    message = str(err)
    assert "\n" not in message
    assert "Traceback" not in message
    return message


# --- D08: calendar-invalid dates and integers over 4,300 digits -------------------------------------


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        ("a: 2026-02-30\n", "f.yaml:1:4", "not a valid date"),
        ("a: 2026-13-01\n", "f.yaml:1:4", "not a valid date"),
        ("a: [1, 2026-00-10]\n", "f.yaml:1:8", "not a valid date"),
        ("a: 2026-02-30 10:00:00\n", "f.yaml:1:4", "not a valid date"),
        ("a: 2026-01-01T25:00:00Z\n", "f.yaml:1:4", "not a valid date"),
        ("2026-02-30: x\n", "f.yaml:1:1", "not a valid date"),
        ("a:\n  b: " + "9" * 5000 + "\n", "f.yaml:2:6", "integer"),
        ("a: -" + "1" * 4400 + "\n", "f.yaml:1:4", "integer"),
        ("a: 0x" + "f" * 4000 + "\n", "f.yaml:1:4", "integer"),  # int() reads it; str() would not
        ("a: 1" + ":59" * 3000 + "\n", "f.yaml:1:4", "integer"),  # YAML 1.1 base 60
        ("0x" + "f" * 4000 + ": x\n", "f.yaml:1:1", "integer"),  # as a key, which becomes text
    ],
)
def test_d08_bad_date_or_huge_integer_is_a_located_error(text: str, where: str, what: str) -> None:
    with pytest.raises(YAMLSyntaxError) as info:
        parse_yaml(text, "f.yaml")
    message = one_line(info.value)
    assert message.startswith(where + ": "), message
    assert what in message
    assert len(message) < 200  # the offending value is not echoed


def test_d08_good_dates_and_big_but_sane_integers_still_read() -> None:
    data, _ = parse_yaml("a: 2024-02-29\nb: " + "9" * 300 + "\nc: 0x1f\nd: 1:30\n", "f.yaml")
    assert str(data["a"]) == "2024-02-29"
    assert data["b"] == int("9" * 300)
    assert data["c"] == 31
    assert data["d"] == 90


@pytest.mark.parametrize("bad", ["2026-02-30", "2026-13-01", "9" * 4400])
def test_d08_every_reader_reports_it_cleanly(
    tmp_path: Path, content: Path, bad: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # an indicator set
    path = set_path(content)
    replace_in(path, "date: 2026-11-23", f"date: {bad}")
    with pytest.raises(YAMLSyntaxError) as info:
        load_set(path)
    assert one_line(info.value).startswith(f"{path}:9:")
    # validate reports it as an error line, it does not crash
    issues = validate_paths([path])
    assert [i.severity for i in issues] == ["error"]
    assert str(issues[0].location).startswith(f"{path}:9:")
    assert main(["validate", str(path)]) == 2
    assert "Traceback" not in capsys.readouterr().err
    # the CLI's loading path exits 2 with one line
    enc = tmp_path / "enc.json"
    enc.write_text('{"answers": {}}')
    assert main(["screen", str(enc), "--set", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{path}:9:" in err
    # a site file (screen --guidance, serve)
    site = tmp_path / "site.yaml"
    site.write_text(f"kind: site\ncontacts:\n  - id: x\n    checked: {bad}\n")
    with pytest.raises(YAMLSyntaxError) as info:
        read_site(site)
    assert one_line(info.value).startswith(f"{site}:4:14: ")
    # a column mapping
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(f"age_years: {bad}\n")
    with pytest.raises(YAMLSyntaxError) as info:
        load_mapping(mapping)
    assert one_line(info.value).startswith(f"{mapping}:1:12: ")


# --- D11: non-finite numbers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("a: .inf\n", "f.yaml:1:4"),
        ("a: -.inf\n", "f.yaml:1:4"),
        ("a: +.Inf\n", "f.yaml:1:4"),
        ("a: .nan\n", "f.yaml:1:4"),
        ("a:\n  - .NaN\n", "f.yaml:2:5"),
        ("a: 1.0e+999\n", "f.yaml:1:4"),
        ("a: -1.5e+400\n", "f.yaml:1:4"),
        ("a: 1" + ":59" * 200 + ".5\n", "f.yaml:1:4"),  # base 60
        (".inf: x\n", "f.yaml:1:1"),
    ],
)
def test_d11_non_finite_yaml_numbers_are_refused(text: str, where: str) -> None:
    with pytest.raises(YAMLSyntaxError, match="not a finite number") as info:
        parse_yaml(text, "f.yaml")
    assert one_line(info.value).startswith(where + ": ")


def test_d11_text_that_looks_non_finite_stays_text() -> None:
    data, _ = parse_yaml("a: '.inf'\nb: nan\nc: 1e999\nd: 1.5e+300\n", "f.yaml")
    assert data == {"a": ".inf", "b": "nan", "c": "1e999", "d": 1.5e300}


@pytest.mark.parametrize("number", ["1e999", "-1e999", "1E400", "1e999 * 0", "0.5e309"])
def test_d11_non_finite_constant_in_a_condition_is_refused(content: Path, number: str) -> None:
    with pytest.raises(ConditionSyntaxError, match="not a finite number"):
        parse_condition(f"age_years < {number}")
    path = set_path(content)
    replace_in(path, "when: deceived\n", f"when: age_years < {number}\n")
    with pytest.raises(ConditionError, match="not a finite number") as info:
        load_set(path)
    # the column points at the number inside the condition
    column = 23 if number[0] != "-" else 24
    assert one_line(info.value).startswith(f"{path}:25:{column}: ")


@pytest.mark.parametrize(
    "bound", [".inf", "-.inf", ".nan", "'nan'", "'inf'", "'-Infinity'", "1.0e+999", "0x" + "f" * 300]
)
def test_d11_non_finite_dictionary_bound_is_refused(content: Path, bound: str) -> None:
    path = dict_path(content)
    replace_in(path, "    max: 25\n", f"    max: {bound}\n")
    with pytest.raises(ContentError) as info:
        load_dictionary(path)
    assert one_line(info.value).startswith(f"{path}:9:10: ")
    assert "finite" in str(info.value)


def test_d11_finite_condition_constants_still_compile(content: Path) -> None:
    path = set_path(content)
    replace_in(path, "when: deceived\n", "when: age_years < 1.5e300 and age_years > -1e-300\n")
    cs = load_set(path)
    assert cs.run({"age_years": 3})[0][0] is True


# --- D12: condition nesting depth -------------------------------------------------------------------

DEEP = [
    "not " * 200 + "deceived",  # the reported one: 806 characters, under the length limit
    "(" * 150 + "deceived" + " and long_hours)" * 150,
    "age_years" + " + 1" * 300 + " > 3",
    "age_years" + " - 1" * 900 + " > 3",
]


@pytest.mark.parametrize("text", DEEP, ids=["not", "and", "plus", "minus"])
def test_d12_deep_condition_is_a_clear_located_error(content: Path, text: str) -> None:
    assert len(text) <= 4000
    with pytest.raises(ConditionSyntaxError, match=f"nested deeper than {MAX_CONDITION_DEPTH} levels"):
        parse_condition(text)
    path = set_path(content)
    replace_in(path, "when: deceived\n", f"when: {text}\n")
    with pytest.raises(ConditionError, match="nested deeper than") as info:
        load_set(path)
    assert one_line(info.value).startswith(f"{path}:25:")
    issues = validate_paths([path])
    assert [i.severity for i in issues] == ["error"]
    assert "nested deeper than" in issues[0].message


SHAPES: dict[str, Callable[[int], str]] = {
    "not": lambda n: "not " * (n - 1) + "deceived",
    "not-nullable": lambda n: "not " * (n - 2) + "(deceived and long_hours)",
    "and": lambda n: "(" * (n - 2) + "deceived" + " and not long_hours)" * (n - 2),
    "chain": lambda n: "not " * (n - 3) + "1 < age_years < 9",
    "or": lambda n: "(" * (n - 1) + "deceived" + " or long_hours)" * (n - 1),
    "plus": lambda n: "age_years" + " + 1" * (n - 2) + " > 3",
    "in": lambda n: "not " * (n - 2) + '"domestic" in work_types',
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_d12_condition_at_the_depth_limit_loads_and_runs(content: Path, shape: str) -> None:
    text = SHAPES[shape](MAX_CONDITION_DEPTH)
    parse_condition(text)
    with pytest.raises(ConditionSyntaxError, match="nested deeper"):
        parse_condition(SHAPES[shape](MAX_CONDITION_DEPTH + 1))
    path = set_path(content)
    replace_in(path, "when: deceived\n", f"when: {text}\n")
    cs = load_set(path)
    cs.run({"deceived": True, "long_hours": False, "age_years": 3, "work_types": ["street"]})
    cs.run({})


def test_d12_sql_compiles_conditions_at_the_depth_limit(content: Path) -> None:
    pytest.importorskip("sqlglot")
    from trafficscreen.sql.compiler import to_sql

    path = set_path(content)
    text = " and ".join(f"({make(MAX_CONDITION_DEPTH - 1)})" for make in SHAPES.values())
    replace_in(path, "when: deceived\n", f"when: {text}\n")
    for dialect in ("duckdb", "postgres", "spark"):
        assert to_sql(load_set(path), dialect)


# --- D13: id and slug patterns are full matches -----------------------------------------------------


@pytest.mark.parametrize("check", [_check_ident, _check_slug, _check_semver])
@pytest.mark.parametrize("tail", ["\n", "\r\n", " ", "\n\n"])
def test_d13_patterns_refuse_a_trailing_newline(check: Callable[[str], str], tail: str) -> None:
    good = "1.0.0" if check is _check_semver else "abc"
    assert check(good) == good
    with pytest.raises(ValueError):
        check(good + tail)


@pytest.mark.parametrize(
    ("file", "old", "new", "where"),
    [
        ("dict", "  - id: deceived\n", '  - id: "deceived\\n"\n', ":13:9: "),
        ("set", "id: mini\n", 'id: "mini\\n"\n', ":2:5: "),
        ("set", "version: 1.0.0\n", 'version: "1.0.0\\n"\n', ":3:10: "),
        ("set", "  - id: deceived_job\n", '  - id: "deceived_job\\n"\n', ":21:9: "),
        ("set", "dictionary: mini@1.0.0\n", 'dictionary: "mini@1.0.0\\n"\n', ":7:13: "),
    ],
)
def test_d13_ids_ending_in_a_newline_are_refused(content: Path, file: str, old: str, new: str, where: str) -> None:
    path = dict_path(content) if file == "dict" else set_path(content)
    replace_in(path, old, new)
    with pytest.raises(SchemaError) as info:
        load_set(set_path(content)) if file == "set" else load_dictionary(path)
    assert one_line(info.value).startswith(f"{path}{where}"), str(info.value)


def test_d13_dictionary_reference_is_checked_whatever_the_regex_engine() -> None:
    from trafficscreen.model.indicator_set import _check_dictionary_ref

    assert _check_dictionary_ref("mini@1.0.0") == "mini@1.0.0"
    for bad in ("mini@1.0.0\n", "mini@1.0.0 ", "Mini@1.0.0", "mini@", "mini@1.0.0\nx"):
        with pytest.raises(ValueError):
            _check_dictionary_ref(bad)


# --- D17: the registry reads status as the loader does ----------------------------------------------


def _registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, newer_status: str) -> Path:
    root = tmp_path / "registry"
    shutil.copytree(DATA, root)
    newer = root / "sets" / "mini" / "1.1.0.yaml"
    text = set_path(root).read_text(encoding="utf-8")
    text = text.replace("version: 1.0.0\n", "version: 1.1.0\n", 1)
    text = text.replace(
        "  - {version: 1.0.0,", "  - {version: 1.1.0, date: 2026-11-24, changes: [second]}\n  - {version: 1.0.0,", 1
    )
    text = text.replace("status: active\n", newer_status, 1)
    newer.write_text(text, encoding="utf-8")
    monkeypatch.setattr(loader, "content_root", lambda: root)
    return newer


@pytest.mark.parametrize(
    "status",
    [
        "status: active  # reviewed 2026-11-24\n",
        "status: active # x\n",
        "status: 'active'  # quoted\n",
        "status:   active\t# tab\n",
        "status: !!str active\n",
        "status: >-\n  active\n",
    ],
)
def test_d17_status_with_a_trailing_comment_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, status: str
) -> None:
    newer = _registry(tmp_path, monkeypatch, status)
    assert find_set("mini") == newer
    cs = load_set("mini")
    assert cs.definition.version == "1.1.0"
    assert cs.definition.status.value == "active"


def test_d17_status_written_late_or_in_flow_style_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    newer = _registry(tmp_path, monkeypatch, "")
    newer.write_text(newer.read_text(encoding="utf-8") + "status: active  # at the end\n", encoding="utf-8")
    assert find_set("mini") == newer


def test_d17_a_newer_draft_with_a_comment_is_still_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    newer = _registry(tmp_path, monkeypatch, "status: draft  # not yet\n")
    assert find_set("mini") == set_path(newer.parent.parent.parent)
    assert find_set("mini", allow_draft=True) == newer


def test_d17_a_broken_newer_version_is_reported_not_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    newer = _registry(tmp_path, monkeypatch, "status: active\nstatus: draft\n")
    with pytest.raises(YAMLSyntaxError, match="duplicated key 'status'") as info:
        find_set("mini")
    assert one_line(info.value).startswith(f"{newer}:")


def test_d17_sets_command_shows_the_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _registry(tmp_path, monkeypatch, "status: active  # reviewed\n")
    assert main(["sets"]) == 0
    assert "mini@1.1.0\tactive\n" in capsys.readouterr().out


def test_d17_validate_reads_kind_with_a_trailing_comment(content: Path) -> None:
    path = set_path(content)
    replace_in(path, "kind: indicator-set\n", "kind: indicator-set  # a set\n")
    assert [i for i in validate_paths([path]) if i.severity == "error"] == []
