"""Read YAML safely and remember where every value came from.

Only the safe subset of YAML is read (PyYAML's ``SafeLoader`` resolver and scanner). On top of that the
reader refuses what a hand-written content file never needs and an attacker might send: duplicated keys
(which YAML would silently overwrite), aliases (which can expand exponentially), documents larger than
:data:`MAX_BYTES`, nesting deeper than :data:`MAX_DEPTH`, and more than one document per file.

The result is plain Python data plus a :class:`Positions` map from a path of keys and indexes to the
line and column of the node, so that a later validation error can say ``file:line:column``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from .errors import Location, YAMLSyntaxError

MAX_BYTES = 2 * 1024 * 1024
"""Largest content file accepted. The biggest shipped set is a small fraction of this."""

MAX_DEPTH = 32
"""Deepest nesting of mappings and sequences accepted."""

PathKey = tuple[str | int, ...]


@dataclass
class Positions:
    """Line and column (both from 1) of every node, by its path from the document root."""

    source: str
    marks: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    # for one-line scalars: the column of the scalar's first character of content
    inline: dict[PathKey, int] = field(default_factory=dict)
    # where each mapping key itself is written (for "unknown key" errors)
    keys: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def locate_key(self, path: Iterable[str | int]) -> Location:
        mark = self.keys.get(tuple(path))
        if mark is None:
            return self.locate(path)
        return Location(self.source, mark[0], mark[1])

    def locate_in(self, path: Iterable[str | int], offset: int) -> Location:
        """The location of character ``offset`` (from 1) inside the scalar at ``path``."""
        key = tuple(path)
        start = self.inline.get(key)
        if start is None:
            return self.locate(key)
        line = self.marks[key][0]
        return Location(self.source, line, start + offset - 1)

    def locate(self, path: Iterable[str | int]) -> Location:
        """The location of the deepest node on ``path`` that exists (pydantic paths may overshoot)."""
        key = tuple(path)
        while key:
            mark = self.marks.get(key)
            if mark is not None:
                return Location(self.source, mark[0], mark[1])
            key = key[:-1]
        mark = self.marks.get(())
        if mark is not None:
            return Location(self.source, mark[0], mark[1])
        return Location(self.source)


class _BoundedLoader(Reader, Scanner, Parser, Composer, SafeConstructor, Resolver):
    """A SafeLoader that also refuses aliases and deep nesting while composing nodes."""

    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if self.check_event(AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in content files", event.start_mark
            )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                event = self.peek_event()  # type: ignore[no-untyped-call]
                raise yaml.composer.ComposerError(
                    None, None, f"nesting deeper than {MAX_DEPTH} levels is not allowed", event.start_mark
                )
            node: Node | None = super().compose_node(parent, index)
            assert node is not None
            return node
        finally:
            self._depth -= 1


def _mark_location(source: str, exc: yaml.MarkedYAMLError) -> Location:
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return Location(source)
    return Location(source, mark.line + 1, mark.column + 1)


def _describe(exc: yaml.MarkedYAMLError) -> str:
    problem = exc.problem or "invalid YAML"
    if exc.context and "aliases" not in problem and "nesting" not in problem:
        return f"{problem} ({exc.context})"
    return problem


class _Builder:
    """Turns a composed node tree into Python data, refusing duplicate keys and recording positions."""

    def __init__(self, source: str) -> None:
        self.positions = Positions(source)
        self._constructor = SafeConstructor()

    def build(self, node: Node, path: PathKey) -> Any:
        self.positions.marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise YAMLSyntaxError(
                        "merge keys (<<) are not allowed in content files",
                        Location(self.positions.source, key_node.start_mark.line + 1,
                                 key_node.start_mark.column + 1),
                    )
                key = self._scalar(key_node)
                if not isinstance(key, (str, int, bool, float)) or isinstance(key_node, (MappingNode,
                                                                                         SequenceNode)):
                    raise YAMLSyntaxError(
                        "mapping keys must be plain scalars",
                        Location(self.positions.source, key_node.start_mark.line + 1,
                                 key_node.start_mark.column + 1),
                    )
                key = str(key) if not isinstance(key, str) else key
                if key in result:
                    raise YAMLSyntaxError(
                        f"duplicated key '{key}'",
                        Location(self.positions.source, key_node.start_mark.line + 1,
                                 key_node.start_mark.column + 1),
                    )
                self.positions.keys[(*path, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                result[key] = self.build(value_node, (*path, key))
            return result
        if isinstance(node, SequenceNode):
            return [self.build(child, (*path, i)) for i, child in enumerate(node.value)]
        if isinstance(node, ScalarNode) and node.start_mark.line == node.end_mark.line:
            quoted = 1 if node.style in ("'", '"') else 0
            if node.style in (None, "'", '"'):
                self.positions.inline[path] = node.start_mark.column + 1 + quoted
        return self._scalar(node)

    def _scalar(self, node: Node) -> Any:
        if not isinstance(node, ScalarNode):
            return None
        try:
            return self._constructor.construct_object(node, deep=False)
        except yaml.constructor.ConstructorError as exc:
            raise YAMLSyntaxError(
                _describe(exc), _mark_location(self.positions.source, exc)
            ) from None


def parse_yaml(text: str, source: str) -> tuple[Any, Positions]:
    """Parse one YAML document from ``text``; ``source`` names it in error messages."""
    if len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        raise YAMLSyntaxError(f"file is larger than {MAX_BYTES // (1024 * 1024)} MB", Location(source))
    if not text.strip():
        raise YAMLSyntaxError("file is empty", Location(source))
    loader = _BoundedLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        raise YAMLSyntaxError(_describe(exc), _mark_location(source, exc)) from None
    except yaml.YAMLError as exc:  # unmarked reader errors, e.g. a control character
        raise YAMLSyntaxError(f"not readable as YAML: {type(exc).__name__}", Location(source)) from None
    except RecursionError:
        raise YAMLSyntaxError("nesting is too deep", Location(source)) from None
    finally:
        loader.dispose()
    if node is None:
        raise YAMLSyntaxError("file holds no YAML document", Location(source))
    builder = _Builder(source)
    return builder.build(node, ()), builder.positions


def read_yaml(path: Path) -> tuple[Any, Positions]:
    """Read and parse a YAML file, with clear errors for a missing, unreadable or oversized file."""
    source = str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        from .errors import SetNotFoundError

        raise SetNotFoundError("no such file", Location(source)) from None
    except OSError as exc:
        raise YAMLSyntaxError(f"cannot read file ({exc.strerror})", Location(source)) from None
    if path.is_dir():
        raise YAMLSyntaxError("is a directory, not a file", Location(source))
    if size > MAX_BYTES:
        raise YAMLSyntaxError(f"file is larger than {MAX_BYTES // (1024 * 1024)} MB", Location(source))
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise YAMLSyntaxError(f"cannot read file ({exc.strerror})", Location(source)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YAMLSyntaxError(f"not UTF-8 text (byte offset {exc.start})", Location(source)) from None
    return parse_yaml(text, source)
