"""The screening result: the JSON contract other tools rely on (``trafficscreen schema result``).

``RESULT_SCHEMA_VERSION`` changes with the contract: a new optional key is a minor change, a renamed,
removed or re-typed key a major one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    model_serializer,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from .common import Form, Level
from .dictionary import Respondent
from .indicator_set import Status, Strength

RESULT_SCHEMA_VERSION = "1.3.0"
"""1.3.0 added ``Question.could_lead_to``; 1.2.0 ``cannot_ask``, ``worth_recording`` and
``completeness.not_askable``; see CHANGELOG.md."""

_M = TypeVar("_M", bound=BaseModel)


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class IndicatorStatus(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"


class DimensionStatus(StrEnum):
    PRESENT = "present"
    ABSENT = "absent"
    UNKNOWN = "unknown"


class SetInfo(_Out):
    id: str
    version: str
    status: Status
    title: str
    sha256: str = Field(description="sha256 of the indicator-set file's bytes")
    dictionary: str = Field(description="dictionary id@version")
    dictionary_sha256: str
    canonical_url: str | None = None


class SourceInfo(_Out):
    source: str
    citation: str
    locator: str
    verified: bool
    url: str | None = None


class IndicatorOutcome(_Out):
    id: str
    status: IndicatorStatus
    text: str
    dimension: str
    strength: Strength | None
    points: int
    forms: list[Form]
    red_flag: bool
    fields: list[str] = Field(description="dictionary fields the indicator's condition reads")
    condition: str
    reason: str
    source: SourceInfo


class StrengthCounts(_Out):
    strong: int = 0
    medium: int = 0
    weak: int = 0
    points: int = 0


class DimensionOutcome(_Out):
    id: str
    title: str
    status: DimensionStatus
    met: StrengthCounts
    unknown: StrengthCounts = Field(description="indicators not yet known either way, by strength")
    rule: str
    reason: str


class Question(_Out):
    field: str
    question: str
    asked_of: Respondent
    indicators: list[str] = Field(description="indicators whose condition reads this field")
    red_flag: bool = Field(description="true when a red-flag indicator reads this field")
    could_lead_to: Level | None = Field(
        default=None,
        description="in ask_next: the highest level an answer to this question could still lead "
        "to, alone or with other answers (as the level rules show; null for the facts an ask rule reads, "
        "asked first, and in worth_recording)",
    )


class CannotAsk(_Out):
    """Questions whose answer could still matter but that no one present can be asked now.

    Their facts stay unknown, never "no": the highest possible level still counts them."""

    rule: str = Field(description="id of the dictionary's ask rule that is not met")
    title: str
    reasons: list[str] = Field(description="why, in plain words, and what to do instead (one per unmet requirement)")
    fields: list[str] = Field(description="dictionary fields that cannot be asked now, in question order")


class FormSuggestion(_Out):
    form: Form
    label: str
    indicators: list[str]


class Completeness(_Out):
    answered: int
    total: int = Field(description="fields the set's indicators read, less those that cannot be asked now")
    complete: bool
    not_askable: int = Field(
        default=0, description="unanswered fields left out of the total because no one present can be asked them"
    )


class ScreeningResult(_Out):
    """What one screening says. Every list is in a fixed order: set order for indicators and
    dimensions, priority order for questions."""

    schema_version: str = RESULT_SCHEMA_VERSION
    engine_version: str
    set: SetInfo
    encounter_id: str | None = None
    lang: str
    level: Level = Field(description="level reached on what is known")
    level_id: str | None = Field(description="the set's own id for the level reached (null for none)")
    level_title: str
    level_rule: str | None = Field(default=None, description="the set's rule for the level reached (null for none)")
    highest_possible: Level = Field(description="highest level the unanswered questions could still lead to")
    settled: bool = Field(description="true when no answer still missing could raise the level")
    completeness: Completeness
    summary: str
    reasons: list[str]
    red_flags: list[str] = Field(description="ids of red-flag indicators that are met")
    forms: list[FormSuggestion]
    ask_next: list[Question] = Field(
        description="unanswered questions worth asking now, in priority order; questions that no one present "
        "can answer are under cannot_ask, and the facts an ask rule reads (age, who is present) come first"
    )
    cannot_ask: list[CannotAsk] = Field(
        default_factory=list, description="questions that could still matter but cannot be asked of anyone present"
    )
    worth_recording: list[Question] = Field(
        default_factory=list,
        description="unanswered questions of indicators still unknown whose answer can no longer change the "
        "level, that someone present can answer: worth recording for a referral, not needed for the screen",
    )
    dimensions: list[DimensionOutcome]
    indicators: list[IndicatorOutcome]
    notice: str = Field(description="reminder that finding no indicators is not a negative finding")
    warnings: list[str] = Field(default_factory=list)

    # A plain screen needs only the level: the engine leaves the rest to be computed on first use, in three
    # groups — the bounds (highest_possible, settled), the details (indicators, dimensions, reasons, red
    # flags, forms, completeness) and the question lists (ask_next, cannot_ask, worth_recording), which
    # cost more than the rest of a screen.
    # Reading a field of a group computes that group; serialising, comparing, printing, iterating,
    # copying or pickling the result computes them all first. The computations are pure, so two threads doing
    # one at once store equal values.
    _pending: dict[str, Callable[[], dict[str, Any]]] | None = PrivateAttr(default=None)

    def _resolve(self, group: str | None = None) -> None:
        private = self.__pydantic_private__
        pending = private.get("_pending") if private else None
        if not pending:
            return
        for name in (group,) if group is not None else tuple(pending):
            fill = pending.get(name)
            if fill is not None:
                self.__dict__.update(fill())
                pending.pop(name, None)  # only after the values are in place: another thread may be reading
        if not pending:
            private["_pending"] = None  # type: ignore[index]  # as a result built whole: equal to it

    def __getattr__(self, name: str) -> Any:
        group = _LAZY.get(name)
        if group is not None:
            self._resolve(group)
            return self.__dict__[name]
        return super().__getattr__(name)  # type: ignore[misc]

    @model_serializer(mode="wrap")
    def _serialise(self, handler: SerializerFunctionWrapHandler) -> Any:
        self._resolve()
        return handler(self)

    @classmethod
    def __get_pydantic_json_schema__(cls, core: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        # the serialiser above only fills the lists in: the JSON schema is that of the fields
        plain = {k: v for k, v in core.items() if k != "serialization"}
        return handler(plain)

    def __eq__(self, other: object) -> bool:
        self._resolve()
        if isinstance(other, ScreeningResult):
            other._resolve()
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]  # lists inside: never hashable

    def __iter__(self) -> Iterator[tuple[str, Any]]:  # type: ignore[override]
        self._resolve()
        return super().__iter__()

    def __repr_args__(self) -> Any:
        self._resolve()
        return super().__repr_args__()

    def __getstate__(self) -> dict[Any, Any]:
        self._resolve()
        return super().__getstate__()

    def __copy__(self) -> ScreeningResult:
        self._resolve()
        return super().__copy__()

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> ScreeningResult:
        self._resolve()
        return super().__deepcopy__(memo)


QUESTION_FIELDS = ("ask_next", "cannot_ask", "worth_recording")
DETAIL_FIELDS = ("completeness", "reasons", "red_flags", "forms", "dimensions", "indicators")
BOUND_FIELDS = ("highest_possible", "settled")
_LAZY = {
    **dict.fromkeys(QUESTION_FIELDS, "questions"),
    **dict.fromkeys(DETAIL_FIELDS, "details"),
    **dict.fromkeys(BOUND_FIELDS, "bounds"),
}


_FIELDS_SET: dict[type[BaseModel], frozenset[str]] = {}
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def build_result(
    data: dict[str, object],
    bounds: Callable[[], dict[str, Any]],
    details: Callable[[], dict[str, Any]],
    questions: Callable[[], dict[str, Any]],
) -> ScreeningResult:
    """A :class:`ScreeningResult` whose fields ``bounds()`` (:data:`BOUND_FIELDS`), ``details()``
    (:data:`DETAIL_FIELDS`) and ``questions()`` (:data:`QUESTION_FIELDS`) compute on first use, each
    group at once (``data`` holds every other field)."""
    obj = build(ScreeningResult, data)
    # resolving everything goes in this order: the bounds last, since they reuse a run the others made
    _set_private(obj, {"_pending": {"details": details, "questions": questions, "bounds": bounds}})
    return obj


def build(cls: type[_M], data: dict[str, object]) -> _M:
    """Make a result model from values the engine computed itself, skipping validation.

    This is what ``model_construct`` does, minus its per-field bookkeeping, which costs more than the
    whole screening. ``data`` must hold every field with a value of the declared type; the test suite
    checks that results built this way equal the same results validated by pydantic.
    """
    fields_set = _FIELDS_SET.get(cls)
    if fields_set is None:
        fields_set = _FIELDS_SET.setdefault(cls, frozenset(cls.model_fields))
    obj = cls.__new__(cls)
    object.__setattr__(obj, "__dict__", data)
    _set_fields_set(obj, fields_set)
    _set_extra(obj, None)
    _set_private(obj, None)
    return obj
