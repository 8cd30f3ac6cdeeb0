"""Types shared by the content models: languages, localised text, versions, the engine's level scale."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

LANGUAGES: tuple[str, ...] = ("en", "pt", "nb")
"""Languages content is written in: English, European Portuguese, Norwegian Bokmål. English is required."""

# Full matches only (re.fullmatch): with re.match and "$", "abc\n" would pass, as "$" also matches
# before a final newline. Generated code's safety rests on ids matching these patterns exactly.
_SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?"
)
_IDENT = re.compile(r"[a-z][a-z0-9_]*")
_SLUG = re.compile(r"[a-z][a-z0-9-]*[a-z0-9]")


def _check_semver(value: str) -> str:
    if not _SEMVER.fullmatch(value):
        raise ValueError("is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.0.0)")
    return value


def _check_ident(value: str) -> str:
    if not _IDENT.fullmatch(value):
        raise ValueError("must be lower-case letters, digits and '_', starting with a letter")
    return value


def _check_slug(value: str) -> str:
    if not _SLUG.fullmatch(value):
        raise ValueError("must be lower-case letters, digits and '-', starting with a letter")
    return value


def _check_finite_int(value: object) -> object:
    """An integer too large for a float would otherwise be reported as "not a valid number"."""
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            float(value)
        except OverflowError:
            raise ValueError("must be a finite number (this one is too large)") from None
    return value


SemVer = Annotated[str, AfterValidator(_check_semver), Field(examples=["1.0.0"])]
Ident = Annotated[str, AfterValidator(_check_ident)]
Slug = Annotated[str, AfterValidator(_check_slug)]
Finite = Annotated[float, BeforeValidator(_check_finite_int), Field(allow_inf_nan=False)]
"""A float that is a number: no ``inf`` or ``nan`` (as YAML ``.inf``, or text such as ``'nan'``), which
generated code would have no literal for and which would silently disable a range check."""


def semver_key(version: str) -> tuple[int, int, int, int, str]:
    """Sort key for semantic versions: release after its pre-releases."""
    m = _SEMVER.fullmatch(version)
    if not m:
        raise ValueError(f"not a semantic version: {version!r}")
    major, minor, patch, pre = int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4)
    return (major, minor, patch, 0 if pre else 1, pre or "")


class Strict(BaseModel):
    """Base of every content model: unknown keys are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


class LocalText(Strict):
    """A text in each supported language. English is required; a missing translation is reported by
    ``validate`` and falls back to English when rendered."""

    en: str = Field(min_length=1)
    pt: str | None = None
    nb: str | None = None

    def get(self, lang: str) -> str:
        value: str | None = getattr(self, lang, None)
        return value if value else self.en

    def missing(self) -> list[str]:
        return [lang for lang in LANGUAGES if not getattr(self, lang)]


class Level(StrEnum):
    """The engine-wide scale every set's levels map onto, lowest first."""

    NONE = "none"
    CONCERN = "concern"
    REFER = "refer"
    URGENT = "urgent"

    @property
    def rank(self) -> int:
        return _LEVEL_RANK[self]


_LEVEL_RANK = {Level.NONE: 0, Level.CONCERN: 1, Level.REFER: 2, Level.URGENT: 3}
LEVELS_IN_ORDER: tuple[Level, ...] = (Level.NONE, Level.CONCERN, Level.REFER, Level.URGENT)


class Form(StrEnum):
    """Forms of exploitation an indicator can point to (EAP 2018 statement's list, grouped)."""

    SEXUAL = "sexual_exploitation"
    LABOUR = "labour"
    DOMESTIC_SERVITUDE = "domestic_servitude"
    BEGGING = "begging"
    CRIMINALITY = "forced_criminality"
    FORCED_MARRIAGE = "forced_marriage"
    ILLEGAL_ADOPTION = "illegal_adoption"
    ORGAN_REMOVAL = "organ_removal"
    ARMED_GROUPS = "armed_groups"
