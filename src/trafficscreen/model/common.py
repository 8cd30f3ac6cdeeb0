"""Types shared by the content models: languages, localised text, versions, the engine's level scale."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

LANGUAGES: tuple[str, ...] = ("en", "pt", "nb")
"""Languages content is written in: English, European Portuguese, Norwegian Bokmål. English is required."""

_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
_IDENT = re.compile(r"^[a-z][a-z0-9_]*$")
_SLUG = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")


def _check_semver(value: str) -> str:
    if not _SEMVER.match(value):
        raise ValueError("is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.0.0)")
    return value


def _check_ident(value: str) -> str:
    if not _IDENT.match(value):
        raise ValueError("must be lower-case letters, digits and '_', starting with a letter")
    return value


def _check_slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError("must be lower-case letters, digits and '-', starting with a letter")
    return value


SemVer = Annotated[str, AfterValidator(_check_semver), Field(examples=["1.0.0"])]
Ident = Annotated[str, AfterValidator(_check_ident)]
Slug = Annotated[str, AfterValidator(_check_slug)]


def semver_key(version: str) -> tuple[int, int, int, int, str]:
    """Sort key for semantic versions: release after its pre-releases."""
    m = _SEMVER.match(version)
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
