from __future__ import annotations

from pathlib import Path

import pytest

from trafficscreen.content.yamlsource import MAX_BYTES, MAX_DEPTH, parse_yaml, read_yaml
from trafficscreen.errors import SetNotFoundError, YAMLSyntaxError


def test_positions_of_nested_values() -> None:
    data, pos = parse_yaml("a: 1\nb:\n  - x: 2\n    y: 'z'\n", "f.yaml")
    assert data == {"a": 1, "b": [{"x": 2, "y": "z"}]}
    assert str(pos.locate(("b", 0, "y"))) == "f.yaml:4:8"
    # a path deeper than the document falls back to the deepest node that exists
    assert str(pos.locate(("b", 0, "y", "nope"))) == "f.yaml:4:8"


def test_offset_inside_a_one_line_scalar() -> None:
    _, pos = parse_yaml('when: "a and b"\nplain: a and b\n', "f.yaml")
    assert str(pos.locate_in(("when",), 7)) == "f.yaml:1:14"
    assert str(pos.locate_in(("plain",), 7)) == "f.yaml:2:14"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: [1, 2\n", "f.yaml:2:1"),
        ("a: 1\na: 2\n", "f.yaml:2:1: duplicated key 'a'"),
        ("a: &x 1\nb: *x\n", "f.yaml:2:4: aliases"),
        ("a: 1\n---\nb: 2\n", "f.yaml:2:1"),
        ("", "f.yaml: file is empty"),
        ("   \n", "f.yaml: file is empty"),
        ("a: !!python/object:os.system 1\n", "f.yaml:1:4"),
        ("<<: {a: 1}\n", "merge keys"),
        ("? [a, b]\n: 1\n", "mapping keys must be plain scalars"),
    ],
)
def test_bad_yaml_is_one_located_line(text: str, expected: str) -> None:
    with pytest.raises(YAMLSyntaxError) as info:
        parse_yaml(text, "f.yaml")
    message = str(info.value)
    assert expected in message
    assert "\n" not in message


def test_deep_nesting_is_refused_cleanly() -> None:
    deep = "a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n"
    with pytest.raises(YAMLSyntaxError, match="nesting deeper"):
        parse_yaml(deep, "f.yaml")
    very_deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(YAMLSyntaxError):
        parse_yaml(very_deep, "f.yaml")


def test_oversized_file_is_refused_before_parsing(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("a: '" + "x" * (MAX_BYTES + 10) + "'\n")
    with pytest.raises(YAMLSyntaxError, match="larger than"):
        read_yaml(big)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(SetNotFoundError, match="no such file"):
        read_yaml(tmp_path / "nope.yaml")
    with pytest.raises(YAMLSyntaxError, match="directory"):
        read_yaml(tmp_path)


def test_non_utf8_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "latin1.yaml"
    p.write_bytes("a: 'caf\xe9'\n".encode("latin-1"))
    with pytest.raises(YAMLSyntaxError, match="not UTF-8"):
        read_yaml(p)


def test_pure_python_parser_gives_the_same_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    """PyYAML without libyaml must read content the same way, errors included."""
    import yaml

    text = "a: 1\nb:\n  - {x: [1, 2], y: 'z'}\n  - when: \"a and b\"\n"
    fast = parse_yaml(text, "f.yaml")
    assert yaml.__with_libyaml__, "PyYAML here should have libyaml; the fast path is what ships"
    monkeypatch.setattr(yaml, "__with_libyaml__", False)
    slow = parse_yaml(text, "f.yaml")
    assert fast[0] == slow[0]
    assert fast[1].marks == slow[1].marks and fast[1].inline == slow[1].inline
    with pytest.raises(YAMLSyntaxError, match=r"f\.yaml:2:1: duplicated key 'a'"):
        parse_yaml("a: 1\na: 2\n", "f.yaml")
    with pytest.raises(YAMLSyntaxError, match="nesting deeper"):
        parse_yaml("[" * 1000 + "]" * 1000, "f.yaml")
