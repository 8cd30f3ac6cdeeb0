"""The indicator-set format: a versioned, sourced, testable list of indicators with their rules."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, model_validator

from .common import Form, Ident, Level, LocalText, SemVer, Slug, Strict

_DICTIONARY_REF = re.compile(r"^[a-z][a-z0-9-]*@\S+$")


def _check_dictionary_ref(value: str) -> str:
    """``id@version`` as a full match. pydantic's ``pattern`` (Rust regex, where ``$`` is the end of the
    text) already refuses a final newline; this check does not depend on which engine runs the pattern."""
    if not _DICTIONARY_REF.fullmatch(value):
        raise ValueError("must be a dictionary id@version, e.g. paediatric-encounter@1.0.0")
    return value


class Status(StrEnum):
    """Lifecycle of a set. Only ``active`` sets are used for clinical screening without an explicit ask."""

    DRAFT = "draft"
    ACTIVE = "active"
    RETIRED = "retired"


class Strength(StrEnum):
    """ILO/EC 2009 grading of an indicator."""

    STRONG = "strong"
    MEDIUM = "medium"
    WEAK = "weak"


class Source(Strict):
    """A publication the set draws on."""

    id: Ident
    citation: str = Field(min_length=1)
    url: str | None = None
    doi: str | None = None
    verified: bool = Field(description="True when the set's authors read this source itself.")
    note: str | None = None


class SourceRef(Strict):
    """Where an indicator (or a rule) comes from, and whether that was checked against the source."""

    source: Ident = Field(description="id of an entry in the set's `sources`")
    locator: str = Field(min_length=1, description="where in the source: list, dimension, page, table")
    verified: bool = Field(description="True only when the wording and grading were checked in the source")
    note: str | None = None


class ChangelogEntry(Strict):
    version: SemVer
    date: date
    changes: tuple[str, ...] = Field(min_length=1)


class Dimension(Strict):
    """A group of indicators (an ILO dimension) whose presence is decided by a rule over counts."""

    id: Ident
    title: LocalText
    present_when: str | None = Field(
        default=None,
        description="rule over strong, medium, weak, points and met counts; defaults to the set's `dimension_rule`",
    )
    role: Literal["recruitment", "exploitation", "coercion", "vulnerability", "other"] = "other"


class LevelRule(Strict):
    """One level of the set and the rule that reaches it. Levels are listed lowest first."""

    id: Ident
    scale: Literal[Level.CONCERN, Level.REFER, Level.URGENT]
    title: LocalText
    when: str = Field(description="rule over dimension ids, red_flag, points, strong, medium, weak, met")
    derivation: str = Field(min_length=1, description="how this rule follows from the set's sources")
    source: SourceRef | None = None


class Examples(Strict):
    """Small answer sets that must meet the indicator, must not, and must leave it unknown."""

    met: tuple[dict[str, Any], ...] = ()
    not_met: tuple[dict[str, Any], ...] = ()
    unknown: tuple[dict[str, Any], ...] = ()


class Indicator(Strict):
    id: Ident = Field(description="stable id; never reused for a different meaning")
    dimension: Ident
    strength: Strength | None = None
    points: int | None = Field(default=None, ge=0, le=100)
    forms: tuple[Form, ...] = Field(min_length=1)
    red_flag: bool = False
    when: str
    text: LocalText
    source: SourceRef
    examples: Examples = Examples()

    @model_validator(mode="after")
    def _weight(self) -> Indicator:
        if self.strength is None and self.points is None:
            raise ValueError(f"indicator '{self.id}' needs a strength or points")
        return self

    @property
    def weight_points(self) -> int:
        return self.points if self.points is not None else 1


class IndicatorSet(Strict):
    """A versioned indicator set (``indicators/sets/<id>/<version>.yaml``)."""

    kind: Literal["indicator-set"] = "indicator-set"
    id: Slug
    version: SemVer
    status: Status
    title: LocalText
    description: LocalText
    canonical_url: str | None = Field(default=None, description="URL naming this set, e.g. in FHIR")
    dictionary: Annotated[str, AfterValidator(_check_dictionary_ref)] = Field(
        pattern=_DICTIONARY_REF.pattern, description="dictionary id@version"
    )
    changelog: tuple[ChangelogEntry, ...] = Field(min_length=1)
    sources: tuple[Source, ...] = Field(min_length=1)
    dimension_rule: str | None = Field(
        default=None, description="default `present_when` for dimensions that do not give their own"
    )
    dimension_rule_source: SourceRef | None = None
    dimensions: tuple[Dimension, ...] = Field(min_length=1)
    levels: tuple[LevelRule, ...] = Field(min_length=1)
    indicators: tuple[Indicator, ...] = Field(min_length=1)
    accuracy: dict[str, Any] | None = Field(
        default=None, description="published accuracy of the instrument, for research sets"
    )

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"

    @property
    def dictionary_id(self) -> str:
        return self.dictionary.split("@", 1)[0]

    @property
    def dictionary_version(self) -> str:
        return self.dictionary.split("@", 1)[1]
