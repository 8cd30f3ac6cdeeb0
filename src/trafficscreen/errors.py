"""Exceptions raised by trafficscreen: every public one is defined here, and drawn below.

Every error names *what* is wrong and *where* (a file, line and column for YAML, a field id for an
encounter) and never carries a patient's answer. Each class has a stable ``code`` (shown after the
name); the server's JSON error bodies carry it, so a client can branch on the code rather than on
wording that may change. The hierarchy::

    TrafficscreenError                    error
    ├── ContentError                      content.invalid
    │   ├── YAMLSyntaxError               content.yaml_syntax
    │   ├── SchemaError                   content.schema
    │   ├── ConditionError                content.condition
    │   │   ├── ConditionSyntaxError      content.condition_syntax  (also a ValueError)
    │   │   └── ConditionTypeError        content.condition_type    (also a ValueError)
    │   └── TemplateError                 content.template
    │       └── TemplateLimitError        content.template_limit
    ├── SetNotFoundError                  set.not_found
    ├── DraftSetError                     set.draft
    ├── EncounterError                    encounter.invalid
    │   ├── JSONInputError                encounter.json_refused
    │   ├── CohortError                   cohort.invalid
    │   └── ResultFileError               result_file.invalid
    ├── UnsupportedLanguageError          language.unsupported
    ├── MissingExtraError                 extra.missing         (also an ImportError)
    ├── FhirError                         fhir.error
    │   ├── FhirNotInstalledError         fhir.not_installed    (also a MissingExtraError)
    │   ├── FhirExportError               fhir.export
    │   ├── FhirValidationError           fhir.invalid
    │   ├── QuestionnaireResponseError    fhir.questionnaire_response  (also an EncounterError)
    │   └── NextQuestionError             fhir.next_question
    ├── SqlError                          sql.invalid
    ├── PackageError                      cql.package
    ├── ServerConfigError                 server.config
    └── ReplayStoreError                  server.replay_store

A class is drawn under its first base; "also" names its other one (ConditionSyntaxError and
ConditionTypeError stay ValueErrors, as they were before they joined the tree).

What each one means:

- ContentError: an indicator set, dictionary or other shipped/authored YAML is unusable; YAMLSyntaxError:
  not YAML, a duplicated key, too large, too deep, an alias; SchemaError: a key or value the format does
  not allow; ConditionError: a condition that does not parse or does not type-check, located in its file;
  ConditionSyntaxError and ConditionTypeError: the same for a bare condition text (from
  ``parse_condition`` and ``TypeChecker``), with ``pos``, the 1-based offset in the text; TemplateError: a
  guidance template that is broken or reaches outside its sandbox; TemplateLimitError: one that computes
  too much (too large a value or output, too many loop turns or calls).
- SetNotFoundError: no set, dictionary or referral pack under that id or version, or no such path.
- DraftSetError: a draft or retired set where only active sets are allowed (``allow_draft=True`` opts in).
- EncounterError: an encounter that does not fit the set's data dictionary; JSONInputError: JSON this
  library refuses to read (a duplicated key, an integer of more than 4,300 digits, a lone surrogate, an
  input too large or not a file); CohortError: a cohort (file, columns, mapping, label or rows) that
  cannot be scored; ResultFileError: a screening result file that cannot be read back;
  QuestionnaireResponseError: a FHIR response that does not fit the set's questionnaire.
- UnsupportedLanguageError: a language the content is not written in.
- MissingExtraError: an optional extra (``research``, ``scale``, ``fhir``, ``server``, ``postgres``) is
  needed and not installed.
- FhirError: anything the FHIR part refuses: an export it cannot make valid, output a validator rejects,
  a ``$next-question`` request it cannot answer.
- SqlError: a query that cannot be built as asked (an unknown dialect, a bad table or column name).
- PackageError: a FHIR knowledge package (CQL) that cannot be written as asked (an output folder in the
  way, a bad test case).
- ServerConfigError: a server setting that cannot be used; ReplayStoreError: the replay store of the
  CDS Hooks service cannot be read or written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

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
    """Base class of every error this library raises on purpose.

    ``code`` is stable across releases (a client may branch on it); the message may be reworded.
    """

    code: ClassVar[str] = "error"

    def __init__(self, message: str, location: Location | None = None) -> None:
        self.message = message
        self.location = location
        super().__init__(f"{location}: {message}" if location else message)


class ContentError(TrafficscreenError):
    """An indicator set, data dictionary or other content file cannot be used."""

    code = "content.invalid"


class YAMLSyntaxError(ContentError):
    """The file is not YAML this library accepts (syntax, duplicate keys, size, depth, aliases)."""

    code = "content.yaml_syntax"


class SchemaError(ContentError):
    """A key or value that the content format does not allow."""

    code = "content.schema"


class ConditionError(ContentError):
    """A condition that does not parse, names an unknown field, or compares values of the wrong type."""

    code = "content.condition"


class ConditionSyntaxError(ConditionError, ValueError):
    """A condition text that is not in the condition language (:func:`~trafficscreen.expr.parse_condition`).
    ``message`` says why and ``pos`` is the 1-based character offset in the text; the loader reports it as
    a :class:`ConditionError` located in its file. Also a :class:`ValueError`, as it always was."""

    code = "content.condition_syntax"

    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.pos = pos


class ConditionTypeError(ConditionError, ValueError):
    """A condition that parses but misuses a name or a value in its scope
    (:class:`~trafficscreen.expr.TypeChecker`): an unknown field, a value of the wrong type, a code the
    field does not have. ``message`` and ``pos`` as in :class:`ConditionSyntaxError`; also a
    :class:`ValueError`."""

    code = "content.condition_type"

    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.pos = pos


class TemplateError(ContentError):
    """A guidance template that does not parse, uses a name it was not given, or reaches for Python
    internals (``__class__``, ``__globals__``, ``mro`` and the like), which the sandbox refuses."""

    code = "content.template"


class TemplateLimitError(TemplateError):
    """A guidance template that computes more than the sandbox allows: a value or an output too large,
    too many loop turns or calls. Deployers' templates are untrusted; the limits keep one from
    exhausting memory or time."""

    code = "content.template_limit"


class SetNotFoundError(TrafficscreenError):
    """No indicator set, dictionary or referral pack with that id, version or path."""

    code = "set.not_found"


class DraftSetError(TrafficscreenError):
    """A draft or retired set was asked for where only active sets may be used."""

    code = "set.draft"


class EncounterError(TrafficscreenError):
    """An encounter does not fit the data dictionary: an unknown field, or an answer of the wrong type.

    The message names the field, never the answer it carried. ``problems`` lists every problem found
    (the message shows the first), each worded the same way.
    """

    code = "encounter.invalid"

    def __init__(
        self, message: str, location: Location | None = None, *, problems: Sequence[str] | None = None
    ) -> None:
        super().__init__(message, location)
        self.problems: list[str] = list(problems) if problems else [message]


class JSONInputError(EncounterError):
    """JSON input this library refuses to read: an object naming the same key twice (the last would
    silently win), an integer of more than 4,300 digits, a lone surrogate (not Unicode), an input larger
    than the limit or a path that is not a regular file. The message names the key, never a value."""

    code = "encounter.json_refused"


class CohortError(EncounterError):
    """A cohort that cannot be scored: a file, column mapping or label column that cannot be used as a
    whole, or rows that do not fit the data dictionary. An :class:`EncounterError` (a cohort is many
    encounters), so code that caught that still catches this."""

    code = "cohort.invalid"


class ResultFileError(EncounterError):
    """A screening result file (``trafficscreen guidance`` reads one) that is not valid JSON or not a
    result this version can read. An :class:`EncounterError` for the callers that caught that."""

    code = "result_file.invalid"


class UnsupportedLanguageError(TrafficscreenError):
    """A language the content is not written in."""

    code = "language.unsupported"


class MissingExtraError(TrafficscreenError, ImportError):
    """An optional extra is needed for this and is not installed: ``extra`` names it (``research``,
    ``scale``, ``fhir``, ``server``, ``postgres``), ``module`` the package found missing.

    Also an :class:`ImportError`, since that is what a missing package is to Python callers.
    """

    code = "extra.missing"

    def __init__(self, extra: str, module: str | None = None, *, needed_for: str = "this") -> None:
        self.extra = extra
        self.module = module
        what = f"{module}; install the {extra} extra" if module is not None else f"the {extra} extra"
        super().__init__(f"{needed_for} needs {what}: pip install 'trafficscreen[{extra}]'")


class FhirError(TrafficscreenError):
    """Something the FHIR part refuses to do."""

    code = "fhir.error"


class FhirNotInstalledError(FhirError, MissingExtraError):
    """The optional ``fhir.resources`` package is needed (to validate) and is not installed."""

    code = "fhir.not_installed"

    def __init__(self) -> None:
        MissingExtraError.__init__(self, "fhir", "fhir.resources", needed_for="validating FHIR resources")


class FhirExportError(FhirError):
    """Arguments to :func:`~trafficscreen.fhir.to_fhir` that cannot make a valid Bundle."""

    code = "fhir.export"


class FhirValidationError(FhirError):
    """Output rejected by fhir.resources or by :func:`~trafficscreen.fhir.check_bundle`; ``problems``
    lists every rejection."""

    code = "fhir.invalid"

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems: list[str] = problems or [message]


class QuestionnaireResponseError(FhirError, EncounterError):
    """A QuestionnaireResponse that is not a response to this set's questionnaire, or holds an answer of
    the wrong type. The message names the linkId, never the answer."""

    code = "fhir.questionnaire_response"


class NextQuestionError(FhirError):
    """A ``$next-question`` request this service cannot answer; ``status`` is the HTTP status (400 for a
    request of the wrong shape, 422 for a response that does not fit the set's questionnaire)."""

    code = "fhir.next_question"

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class SqlError(TrafficscreenError):
    """A query that cannot be built as asked: an unknown dialect, a bad table or column name, a clash
    between a kept column and an output column."""

    code = "sql.invalid"


class PackageError(TrafficscreenError):
    """A knowledge package that cannot be written as asked (an output folder in the way, a bad test case)."""

    code = "cql.package"


class ServerConfigError(TrafficscreenError):
    """A server setting that cannot be used (a missing key file, an unsafe frame-ancestors source...)."""

    code = "server.config"


class ReplayStoreError(TrafficscreenError):
    """The replay store cannot be used right now (a database that went away). A hook call is then
    refused with HTTP 503: a token that cannot be checked for replay is not accepted."""

    code = "server.replay_store"
