from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from paths import ROOT
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


def _reference_positions(text: str) -> tuple[dict[Any, Any], dict[Any, Any], dict[Any, Any]]:
    """Marks, inline starts and key marks worked out from PyYAML's own composed node tree."""
    import yaml

    marks: dict[Any, Any] = {}
    inline: dict[Any, Any] = {}
    keys: dict[Any, Any] = {}
    stack: list[tuple[Any, tuple[Any, ...]]] = [(yaml.compose(text, Loader=yaml.CSafeLoader), ())]
    while stack:
        node, path = stack.pop()
        start = node.start_mark
        marks[path] = (start.line + 1, start.column + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = (*path, key.value)
                keys[child] = (key.start_mark.line + 1, key.start_mark.column + 1)
                stack.append((value, child))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*path, i)) for i, item in enumerate(node.value))
        elif node.style in (None, "", "'", '"') and start.line == node.end_mark.line:
            inline[path] = start.column + 1 + (1 if node.style in ("'", '"') else 0)
    return marks, inline, keys


SHIPPED_YAML = sorted((ROOT / "indicators").rglob("*.yaml"))


@pytest.mark.parametrize("path", SHIPPED_YAML, ids=lambda p: str(p.relative_to(ROOT / "indicators")))
def test_every_shipped_file_reads_as_pyyaml_reads_it(path: Path) -> None:
    """The event reader is an independent implementation: on every shipped content file its data equal
    PyYAML's safe loader's and every recorded position equals the node's own mark."""
    import yaml

    text = path.read_text(encoding="utf-8")
    data, pos = parse_yaml(text, str(path))
    assert data == yaml.load(text, Loader=yaml.CSafeLoader)
    marks, inline, keys = _reference_positions(text)
    assert pos.marks == marks
    assert pos.inline == inline
    assert pos.keys == keys


@pytest.mark.parametrize("text", ["a: [yes, no, 1, 1.5, ~, 2026-01-02, '1', x]\nb: yes\nc: [yes, 7]\n"])
def test_repeated_plain_scalars_keep_their_types(text: str) -> None:
    """Plain scalars are resolved once per distinct text; quoted ones stay text."""
    import yaml

    data, _ = parse_yaml(text, "f.yaml")
    assert data == yaml.load(text, Loader=yaml.CSafeLoader)
    assert data["a"][6] == "1" and data["c"] == [True, 7]


def test_a_bad_value_is_refused_at_each_place_even_when_repeated() -> None:
    """A value refused once is refused again at its own place: no memo of a failure hides the second."""
    with pytest.raises(YAMLSyntaxError, match=r"f\.yaml:1:4: not a valid date"):
        parse_yaml("a: 2026-02-30\n", "f.yaml")
    with pytest.raises(YAMLSyntaxError, match=r"f\.yaml:2:4: not a valid date"):
        parse_yaml("a: x\nb: 2026-02-30\nc: 2026-02-30\n", "f.yaml")


def test_positions_match_pyyaml_in_every_scalar_style() -> None:
    text = (
        "plain: a and b\nsingle: 'a and b'\ndouble: \"a and b\"\n"
        "block: |\n  a and b\nfolded: >\n  a and b\nflow: {x: 'q', y: [1, \"r\"]}\n"
        "seq:\n  - 'one'\n  - two\n  - key: \"v\"\nmulti: 'a\n  b'\n"
    )
    _, pos = parse_yaml(text, "f.yaml")
    marks, inline, keys = _reference_positions(text)
    assert (pos.marks, pos.inline, pos.keys) == (marks, inline, keys)
