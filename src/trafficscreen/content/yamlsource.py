"""Read YAML safely and remember where every value came from.

Only the safe subset of YAML is read (PyYAML's ``SafeLoader`` resolver and scanner). On top of that the
reader refuses what a hand-written content file never needs and an attacker might send: duplicated keys
(which YAML would silently overwrite), aliases (which can expand exponentially), documents larger than
:data:`MAX_BYTES`, nesting deeper than :data:`MAX_DEPTH`, and more than one document per file. Values
that would only break later are refused here too, at their line and column: a calendar-invalid date
(``2026-02-30``), a non-finite number (``.inf``, ``.nan``, ``1.0e999``; generated code has no name for
them) and an integer longer than :data:`MAX_INT_DIGITS` digits (which Python cannot turn back into text).

The result is plain Python data plus a :class:`Positions` map from a path of keys and indexes to the
line and column of the node, so that a later validation error can say ``file:line:column``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from ..errors import Location, YAMLSyntaxError

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


def _event_parser(text: str) -> Any:
    """libyaml's C parser when PyYAML was built with it (about 20 times faster), else the Python one."""
    if getattr(yaml, "__with_libyaml__", False):
        from yaml._yaml import CParser

        return CParser(text)

    class _PyParser(Reader, Scanner, Parser):
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)

    return _PyParser(text)


def _pos(mark: Any) -> tuple[int, int]:
    """1-based (line, column) of a parser mark."""
    return mark.line + 1, mark.column + 1


def _loc(source: str, mark: Any) -> Location:
    return Location(source, mark.line + 1, mark.column + 1)


def _mark_location(source: str, exc: yaml.MarkedYAMLError) -> Location:
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return Location(source)
    return _loc(source, mark)


def _describe(exc: yaml.MarkedYAMLError) -> str:
    problem = exc.problem or "invalid YAML"
    if exc.context:
        return f"{problem} ({exc.context})"
    return problem


MAX_INT_DIGITS = 4000
"""Longest integer accepted, in decimal digits. Python refuses to convert more than 4,300 to or from text,
so a longer one (easily written in hex or base 60) would break every later ``str()`` of the data."""

_INT_LIMIT = 10**MAX_INT_DIGITS
_NOT_FINITE = "not a finite number (.inf, .nan and numbers beyond about 1.8e308 are not allowed)"


def _shown(text: str, limit: int = 60) -> str:
    """Content text (a key, a tag) made safe for a one-line message: printable and at most ``limit`` long."""
    clean = "".join(ch if ch.isprintable() else "?" for ch in text[: limit + 1])
    return clean if len(clean) <= limit else clean[:limit] + "..."


def _short(tag: str) -> str:
    """``!!int`` for ``tag:yaml.org,2002:int``, as the tag is written."""
    return _shown("!!" + tag[len(_STD) :] if tag.startswith(_STD) else tag)


def _unreadable(tag: str, exc: Exception) -> str:
    kind = tag.rsplit(":", 1)[-1]
    if kind == "timestamp":
        detail = f" ({exc})" if isinstance(exc, ValueError) and len(str(exc)) < 80 else ""
        return f"not a valid date or time{detail}"
    if kind == "int":
        if "digits" in str(exc):
            return f"integer with more than {MAX_INT_DIGITS} digits is not allowed"
        return "not a readable integer"
    if kind == "float" and isinstance(exc, OverflowError):
        return _NOT_FINITE
    if kind in ("float", "bool", "null", "binary"):
        return f"not a readable {kind} value"
    return f"not a readable value for the tag {tag}"


def _checked_number(value: Any, source: str, mark: Any) -> Any:
    """Refuse what no content file needs and generated code cannot hold: .inf, .nan, huge integers."""
    if isinstance(value, float) and not math.isfinite(value):
        raise YAMLSyntaxError(_NOT_FINITE, _loc(source, mark))
    if isinstance(value, int) and not isinstance(value, bool) and not -_INT_LIMIT < value < _INT_LIMIT:
        raise YAMLSyntaxError(f"integer with more than {MAX_INT_DIGITS} digits is not allowed", _loc(source, mark))
    return value


_STD = "tag:yaml.org,2002:"
_SCALAR_TAGS = frozenset(f"{_STD}{kind}" for kind in ("str", "int", "float", "bool", "null", "timestamp"))
"""Tags a scalar may have, written or resolved: plain data, nothing that builds an object or bytes."""

_IMPLICIT_FIRST = frozenset(ch for ch in Resolver.yaml_implicit_resolvers if ch is not None)
"""First characters of plain scalars that may resolve to something other than text."""


class _Frame:
    __slots__ = ("container", "is_map", "key", "key_path", "path")

    def __init__(self, container: dict[str, Any] | list[Any], path: PathKey) -> None:
        self.container: Any = container  # a dict when is_map, else a list (checked once, here)
        self.is_map = isinstance(container, dict)
        self.path = path
        self.key: str | None = None  # in a mapping, the key whose value comes next
        self.key_path: PathKey = ()  # and the path of that value


_TEXT_STYLES = frozenset(("'", '"', "|", ">"))
_INLINE_STYLES = {None: 0, "": 0, "'": 1, '"': 1}
"""Styles whose one-line scalars are located character by character, and the width of their quote."""


class _Builder:
    """Builds Python data from the parser's events without recursion.

    Working on events rather than a composed node tree lets the reader refuse aliases, merge keys,
    duplicated keys and deep nesting before any of them costs memory or stack. The loop dispatches on
    the event's exact class, most frequent first, and remembers what each distinct plain scalar text
    resolved to, because a content file repeats the same few (``true``, ``1``, a date) thousands of times.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.positions = Positions(source)
        self._resolver = Resolver()
        self._constructor = SafeConstructor()
        self._plain: dict[tuple[str, bool], Any] = {}

    def _scalar(self, ev: Any) -> Any:  # a ScalarEvent from the C or the Python parser
        tag = ev.tag
        if tag is None or tag == "!":
            # Most scalars are text: quoted or block style, or plain text whose first character no
            # implicit type (number, bool, null, date) can start with. Skip the resolver for those.
            value: str = ev.value
            if ev.style in _TEXT_STYLES or (value and value[0] not in _IMPLICIT_FIRST):
                return value
            memo = (value, bool(ev.implicit[0]))
            if memo in self._plain:
                return self._plain[memo]
            resolved = self._typed(self._resolver.resolve(ScalarNode, value, ev.implicit), ev)  # type: ignore[no-untyped-call]
            self._plain[memo] = resolved
            return resolved
        return self._typed(tag, ev)

    def _typed(self, tag: str, ev: Any) -> Any:
        """The value of a scalar whose tag is known, refused at its place if it is not plain data."""
        if tag == "tag:yaml.org,2002:merge":
            raise YAMLSyntaxError("merge keys (<<) are not allowed in content files", _loc(self.source, ev.start_mark))
        if tag not in _SCALAR_TAGS:  # e.g. !!binary, or !!set on a scalar, which builds an empty set
            raise YAMLSyntaxError(f"the tag {_short(tag)} is not allowed", _loc(self.source, ev.start_mark))
        node = ScalarNode(tag, ev.value, ev.start_mark, ev.end_mark, ev.style)
        try:
            value = self._constructor.construct_object(node, deep=False)
        except yaml.constructor.ConstructorError as exc:
            raise YAMLSyntaxError(_describe(exc), _mark_location(self.source, exc)) from None
        except Exception as exc:  # e.g. 2026-02-30, a 5,000-digit integer, !!bool maybe
            # The constructors call date(), int() and the like on the text; what they refuse is bad
            # content, reported at its place. The value itself is not repeated.
            raise YAMLSyntaxError(_unreadable(tag, exc), _loc(self.source, ev.start_mark)) from None
        return _checked_number(value, self.source, ev.start_mark)

    def _key(self, parent: _Frame, ev: Any) -> None:
        """Take ``ev`` as the next key of the mapping ``parent``."""
        if ev.__class__ is not ScalarEvent:
            raise YAMLSyntaxError("mapping keys must be plain scalars", _loc(self.source, ev.start_mark))
        key = self._scalar(ev)
        if key is None and ev.value == "":
            raise YAMLSyntaxError("mapping keys must be plain scalars", _loc(self.source, ev.start_mark))
        key = key if isinstance(key, str) else str(key)
        if key in parent.container:
            raise YAMLSyntaxError(f"duplicated key '{_shown(key)}'", _loc(self.source, ev.start_mark))
        parent.key, parent.key_path = key, (*parent.path, key)
        self.positions.keys[parent.key_path] = _pos(ev.start_mark)

    def _open(self, ev: Any, depth: int) -> dict[str, Any] | list[Any]:
        """The empty container a mapping or sequence start event begins, after its checks."""
        if ev.tag not in (None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"):
            raise YAMLSyntaxError(f"the tag {_short(ev.tag)} is not allowed", _loc(self.source, ev.start_mark))
        if depth >= MAX_DEPTH:
            raise YAMLSyntaxError(
                f"nesting deeper than {MAX_DEPTH} levels is not allowed", _loc(self.source, ev.start_mark)
            )
        return {} if ev.__class__ is MappingStartEvent else []

    def _other(self, ev: Any, documents: int) -> int:
        """Check an event that carries no value; returns the number of documents seen so far."""
        cls = ev.__class__
        if cls is DocumentStartEvent:
            if documents >= 1:
                raise YAMLSyntaxError(
                    "a content file holds one YAML document, not several", _loc(self.source, ev.start_mark)
                )
            return documents + 1
        if cls is AliasEvent:
            raise YAMLSyntaxError("aliases (*name) are not allowed in content files", _loc(self.source, ev.start_mark))
        return documents  # stream start, document end

    def build(self, parser: Any) -> Any:
        get_event = parser.get_event
        marks, inline = self.positions.marks, self.positions.inline
        stack: list[_Frame] = []
        root: Any = None
        have_root = False
        documents = 0
        while True:
            ev: Any = get_event()
            cls = ev.__class__
            if cls is MappingEndEvent or cls is SequenceEndEvent:
                done = stack.pop()
                if not stack:
                    root, have_root = done.container, True
                continue
            if cls is not ScalarEvent and cls is not MappingStartEvent and cls is not SequenceStartEvent:
                if cls is StreamEndEvent:
                    break
                documents = self._other(ev, documents)
                continue
            parent = stack[-1] if stack else None
            if parent is not None and parent.is_map and parent.key is None:
                self._key(parent, ev)
                continue
            # a value: a scalar, or the start of a mapping or sequence
            if parent is None:
                path: PathKey = ()
            elif parent.is_map:
                path = parent.key_path
            else:
                path = (*parent.path, len(parent.container))
            start = ev.start_mark
            marks[path] = (start.line + 1, start.column + 1)
            if cls is ScalarEvent:
                quote = _INLINE_STYLES.get(ev.style, -1)
                if quote >= 0 and start.line == ev.end_mark.line:
                    inline[path] = start.column + 1 + quote
                value: Any = self._scalar(ev)
            else:
                value = self._open(ev, len(stack))
            if parent is None:
                if cls is ScalarEvent:
                    root, have_root = value, True
            elif parent.is_map:
                parent.container[parent.key] = value
                parent.key = None
            else:
                parent.container.append(value)
            if cls is not ScalarEvent:
                stack.append(_Frame(value, path))
        if not have_root:
            raise YAMLSyntaxError("file holds no YAML document", Location(self.source))
        return root


def parse_yaml(text: str, source: str) -> tuple[Any, Positions]:
    """Parse one YAML document from ``text``; ``source`` names it in error messages."""
    if len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        raise YAMLSyntaxError(f"file is larger than {MAX_BYTES // (1024 * 1024)} MB", Location(source))
    if not text.strip():
        raise YAMLSyntaxError("file is empty", Location(source))
    parser = _event_parser(text)
    builder = _Builder(source)
    try:
        data = builder.build(parser)
    except yaml.MarkedYAMLError as exc:
        raise YAMLSyntaxError(_describe(exc), _mark_location(source, exc)) from None
    except yaml.YAMLError as exc:  # unmarked reader errors, e.g. a control character
        raise YAMLSyntaxError(f"not readable as YAML: {type(exc).__name__}", Location(source)) from None
    finally:
        dispose = getattr(parser, "dispose", None)
        if dispose is not None:
            dispose()
    return data, builder.positions


def read_source(path: Path) -> tuple[str, bytes]:
    """The text of a content file and its bytes (for a digest of exactly what was parsed), with clear
    errors for a missing, unreadable, oversized or non-UTF-8 file."""
    source = str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        from ..errors import SetNotFoundError

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
        return raw.decode("utf-8"), raw
    except UnicodeDecodeError as exc:
        raise YAMLSyntaxError(f"not UTF-8 text (byte offset {exc.start})", Location(source)) from None


def read_yaml(path: Path) -> tuple[Any, Positions]:
    """Read and parse a YAML file (see :func:`read_source` for the errors before parsing)."""
    text, _raw = read_source(path)
    return parse_yaml(text, str(path))
