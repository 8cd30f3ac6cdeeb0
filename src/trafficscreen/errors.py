"""Exceptions raised by trafficscreen.

Every error names *what* is wrong and *where* (a file, line and column for YAML, a field id for an
encounter) and never carries a patient's answer. The hierarchy::

    TrafficscreenError
    ├── ContentError              an indicator set, dictionary or other shipped/authored YAML is unusable
    │   ├── YAMLSyntaxError       not YAML, a duplicated key, too large, too deep, an alias
    │   ├── SchemaError           a key or value the format does not allow
    │   ├── ConditionError        a condition that does not parse or does not type-check
    │   └── TemplateError         a guidance template that is broken or reaches outside its sandbox
    │       └── TemplateLimitError  a template that computes too much: too large a value or output,
    │                               too many loop turns or calls
    ├── SetNotFoundError          no set, dictionary or referral pack under that id or version, or a
    │                             path that does not exist
    ├── DraftSetError             a draft or retired set asked for where only active sets are allowed
    ├── EncounterError            an encounter that does not fit the set's data dictionary
    │   └── JSONInputError        JSON this library refuses to read: a duplicated key, an integer of
    │                             more than 4,300 digits, a lone surrogate, an input too large or not a file
    └── UnsupportedLanguageError  a language the content is not written in
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_SHOWN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SHOWN_NAME_CHARS = 40
"""Longest prefix of a caller's key that a message repeats."""


def shown_name(key: Any) -> str:
    """A key from the caller, fit to appear in a message: only a key matching the identifier pattern
    (ASCII letters, digits and ``_``) is repeated, and at most its first 40 characters; anything else is
    ``<unreadable>``. Keys are names, not answers, but a caller can put anything in one."""
    if isinstance(key, str) and _SHOWN_NAME.fullmatch(key):
        return key if len(key) <= SHOWN_NAME_CHARS else key[:SHOWN_NAME_CHARS] + "..."
    return "<unreadable>"


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


class TemplateLimitError(TemplateError):
    """A guidance template that computes more than the sandbox allows: a value or an output too large,
    too many loop turns or calls. Deployers' templates are untrusted; the limits keep one from
    exhausting memory or time."""


class SetNotFoundError(TrafficscreenError):
    """No indicator set, dictionary or referral pack with that id, version or path."""


class DraftSetError(TrafficscreenError):
    """A draft or retired set was asked for where only active sets may be used."""


class EncounterError(TrafficscreenError):
    """An encounter does not fit the data dictionary: an unknown field, or an answer of the wrong type.

    The message names the field, never the answer it carried.
    """


class JSONInputError(EncounterError):
    """JSON input this library refuses to read: an object naming the same key twice (the last would
    silently win), an integer of more than 4,300 digits, a lone surrogate (not Unicode), an input larger
    than the limit or a path that is not a regular file. The message names the key, never a value."""


class UnsupportedLanguageError(TrafficscreenError):
    """A language the content is not written in."""
