"""The data dictionary: the catalogue of encounter fields that conditions may name."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from functools import cached_property
from typing import Any, Literal

from pydantic import Field, model_validator

from .common import Finite, Ident, LocalText, SemVer, Slug, Strict
from .indicator_set import ChangelogEntry


class FieldType(StrEnum):
    BOOLEAN = "boolean"
    INTEGER = "integer"
    NUMBER = "number"
    ENUM = "enum"
    SET = "set"
    DATE = "date"


class Respondent(StrEnum):
    """Who answers a question. It decides how the question is worded and how a form groups it."""

    CHILD = "child"
    COMPANION = "companion"
    CLINICIAN = "clinician"
    RECORD = "record"


class EnumValue(Strict):
    code: Ident
    label: LocalText


class FieldDef(Strict):
    """One encounter field: its type, allowed values and the question that collects it."""

    id: Ident
    type: FieldType
    label: LocalText
    question: LocalText
    asked_of: Respondent
    min: Finite | None = None
    max: Finite | None = None
    values: tuple[EnumValue, ...] | None = None
    sensitive: bool = Field(
        default=False,
        description="True where the answer is itself sensitive (e.g. sexual history); renderers take care.",
    )
    askable_when: Ident | None = Field(
        default=None, description="id of an ask rule of the dictionary; without one the question is always askable"
    )

    @model_validator(mode="after")
    def _check_shape(self) -> FieldDef:
        numeric = self.type in (FieldType.INTEGER, FieldType.NUMBER)
        choice = self.type in (FieldType.ENUM, FieldType.SET)
        if (self.min is not None or self.max is not None) and not numeric:
            raise ValueError(f"field '{self.id}': min/max apply only to integer and number fields")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"field '{self.id}': min is greater than max")
        if choice and not self.values:
            raise ValueError(f"field '{self.id}': an {self.type.value} field needs a list of values")
        if self.values is not None and not choice:
            raise ValueError(f"field '{self.id}': values apply only to enum and set fields")
        if self.values:
            codes = [v.code for v in self.values]
            dupes = sorted({c for c in codes if codes.count(c) > 1})
            if dupes:
                raise ValueError(f"field '{self.id}': duplicated value codes {dupes}")
        return self

    @cached_property
    def codes(self) -> frozenset[str]:
        return frozenset(v.code for v in self.values or ())


class AskRequirement(Strict):
    """One condition a question needs before it can be asked, and what staff are told when it fails."""

    when: str = Field(description="condition over record or clinician fields, e.g. 'age_years >= 8'")
    otherwise: LocalText = Field(description="plain words shown when the condition is false: why, and what to do")


class AskExamples(Strict):
    """Small answer sets under which the rule must make a question askable, not askable, or leave it open."""

    askable: tuple[dict[str, Any], ...] = ()
    not_askable: tuple[dict[str, Any], ...] = ()
    unknown: tuple[dict[str, Any], ...] = ()


class AskRule(Strict):
    """Who can be asked: a question that names this rule is askable only when every requirement holds.

    Not askable never means "no": the fact stays unknown and the highest possible level stays honest.
    """

    id: Ident
    title: LocalText
    requires: tuple[AskRequirement, ...] = Field(min_length=1)
    basis: str = Field(min_length=1, description="where each threshold comes from, or that it is a project choice")
    examples: AskExamples = AskExamples()


class DataDictionary(Strict):
    """A versioned catalogue of encounter fields (``indicators/dictionaries/<id>/<version>.yaml``)."""

    kind: Literal["dictionary"] = "dictionary"
    id: Slug
    version: SemVer
    title: LocalText
    description: LocalText | None = None
    released: date | None = None
    changelog: tuple[ChangelogEntry, ...] = Field(
        default=(), description="what changed in each version, newest last; required from 2.0.0 on by the content tests"
    )
    ask_rules: tuple[AskRule, ...] = Field(
        default=(), description="who can be asked what, and when (questions name a rule in askable_when)"
    )
    fields: tuple[FieldDef, ...] = Field(min_length=1)

    @cached_property
    def ask_rule_by_id(self) -> dict[str, AskRule]:
        return {r.id: r for r in self.ask_rules}

    @cached_property
    def by_id(self) -> dict[str, FieldDef]:
        return {f.id: f for f in self.fields}

    @cached_property
    def boolean_fields(self) -> frozenset[str]:
        return frozenset(f.id for f in self.fields if f.type is FieldType.BOOLEAN)

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"
