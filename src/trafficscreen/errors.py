"""Exceptions raised by trafficscreen.

Every error names *what* is wrong and *where* (a file, line and column for YAML, a field id for an
encounter) and never carries a patient's answer. The hierarchy::

    TrafficscreenError
    ├── ContentError              an indicator set, dictionary or other shipped/authored YAML is unusable
    │   ├── YAMLSyntaxError       not YAML, a duplicated key, too large, too deep, an alias
    │   ├── SchemaError           a key or value the format does not allow
    │   ├── ConditionError        a condition that does not parse or does not type-check
    │   └── TemplateError         a guidance template that is broken or reaches outside its sandbox
    ├── SetNotFoundError          no set, dictionary or referral pack under that id or version, or a
    │                             path that does not exist
    ├── DraftSetError             a draft or retired set asked for where only active sets are allowed
    ├── EncounterError            an encounter that does not fit the set's data dictionary
    └── UnsupportedLanguageError  a language the content is not written in
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Location:
    """Where in a source file a problem is. Lines and columns count from 1."""

    path: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.path
        if self.column is None:
            return f"{self.path}:{self.line}"
        return f"{self.path}:{self.line}:{self.column}"


class TrafficscreenError(Exception):
    """Base class of every error this library raises on purpose."""

    def __init__(self, message: str, location: Location | None = None) -> None:
        self.message = message
        self.location = location
        super().__init__(f"{location}: {message}" if location else message)


class ContentError(TrafficscreenError):
    """An indicator set, data dictionary or other content file cannot be used."""


class YAMLSyntaxError(ContentError):
    """The file is not YAML this library accepts (syntax, duplicate keys, size, depth, aliases)."""


class SchemaError(ContentError):
    """A key or value that the content format does not allow."""


class ConditionError(ContentError):
    """A condition that does not parse, names an unknown field, or compares values of the wrong type."""


class TemplateError(ContentError):
    """A guidance template that does not parse, uses a name it was not given, or reaches for Python
    internals (``__class__``, ``__globals__``, ``mro`` and the like), which the sandbox refuses."""


class SetNotFoundError(TrafficscreenError):
    """No indicator set, dictionary or referral pack with that id, version or path."""


class DraftSetError(TrafficscreenError):
    """A draft or retired set was asked for where only active sets may be used."""


class EncounterError(TrafficscreenError):
    """An encounter does not fit the data dictionary: an unknown field, or an answer of the wrong type.

    The message names the field, never the answer it carried.
    """


class UnsupportedLanguageError(TrafficscreenError):
    """A language the content is not written in."""
