"""Referral content: jurisdiction packs, a deployer's site file, and the guidance message catalogues.

A **jurisdiction pack** (``indicators/referral/<CODE>/<version>.yaml``, ``kind: referral-pack``) holds the
contacts and local steps of one legal system; a **site file** (``kind: site``) written by the deployer adds
local contacts (the hospital's safeguarding lead, the local child-protection office) and may replace a
pack's contact or step with the same id; a **message catalogue** (``kind: referral-messages``) holds the
words of the guidance in one language.

Every contact and step says where it comes from (``source``), when it was last checked against that
source (``checked``) and whether the number or rule was confirmed there (``verified``).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Discriminator, Field, Tag, model_validator

from .common import LANGUAGES, Ident, Level, SemVer, Slug, Strict
from .indicator_set import ChangelogEntry

_PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]*(?:\s*(?:ext\.?|x)\s*[0-9]+)?$")
_CODE = re.compile(r"^[A-Z]{2}(?:-[A-Z0-9]{2,4})*$")
_KEY = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*$")


def _check_phone(value: str) -> str:
    if not _PHONE.fullmatch(value) or len(value) > 40:
        raise ValueError(
            "a phone number is digits with optional +, spaces, dots, dashes, brackets and 'ext 123'; put words in 'how'"
        )
    return value


def _code_before(value: object) -> object:
    if value is False:
        raise ValueError('write the code in quotes ("NO"): YAML reads a bare NO as false')
    return value


def _check_code(value: str) -> str:
    if not _CODE.fullmatch(value):
        raise ValueError(
            "a jurisdiction code is an upper-case ISO 3166 country code, optionally with "
            "parts after '-' (e.g. NO, GB-ENG-WLS)"
        )
    return value


def _check_url(value: str) -> str:
    if not value.startswith(("https://", "http://")) or any(c.isspace() or c in "<>\"'`\\" for c in value):
        raise ValueError("a url starts with https:// (or http://) and holds no spaces, quotes or <>")
    return value


Phone = Annotated[str, AfterValidator(_check_phone)]
JurisdictionCode = Annotated[str, BeforeValidator(_code_before), AfterValidator(_check_code)]
Url = Annotated[str, AfterValidator(_check_url)]


class LangText(Strict):
    """A text in one or more of the supported languages."""

    en: str | None = Field(default=None, min_length=1)
    pt: str | None = Field(default=None, min_length=1)
    nb: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one(self) -> LangText:
        if not any(getattr(self, lang) for lang in LANGUAGES):
            raise ValueError("give the text in at least one language (en, pt or nb)")
        return self

    def missing(self) -> list[str]:
        return [lang for lang in LANGUAGES if not getattr(self, lang)]


def _text_kind(value: object) -> str:
    return "[text]" if isinstance(value, str) else "[texts]"


# The tags are in brackets so that error locations (which drop bracketed parts) name only real keys.
Text = Annotated[
    Annotated[str, Tag("[text]")] | Annotated[LangText, Tag("[texts]")],
    Discriminator(_text_kind),
]
"""Plain text (the same in every language, e.g. a proper name) or a text per language."""


def text_in(text: Text | None, lang: str) -> str:
    """The text in ``lang``; falls back to English, then to any language given. ``None`` gives ''."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    value: str | None = getattr(text, lang, None) or text.en
    if value:
        return value
    return next(v for v in (text.pt, text.nb) if v)


def text_missing(text: Text | None) -> list[str]:
    """Languages a text is not given in (a plain string counts as given in all)."""
    if text is None or isinstance(text, str):
        return []
    return text.missing()


class Contact(Strict):
    """Someone to contact, and how. Shown at the levels listed, in ``order`` (lowest first)."""

    id: Ident = Field(description="stable id; a site file entry with the same id replaces this one")
    order: int = Field(ge=0, le=10_000, description="position in the list of contacts, lowest first")
    levels: tuple[Level, ...] = Field(min_length=1, description="levels at which the contact is listed")
    name: Text
    role: Text = Field(description="what they do and when to contact them")
    how: Text | None = Field(default=None, description="how to contact them and what to say")
    phone: Phone | None = None
    sms: str | None = Field(default=None, pattern=r"^[0-9A-Za-z +-]{2,20}$", description="number to text")
    url: Url | None = None
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    hours: Text | None = None
    source: str = Field(min_length=3, description="citation or url the number or rule was taken from")
    checked: date = Field(description="date the entry was last compared with its source")
    verified: bool = Field(
        description="true only when the number itself was confirmed on the live "
        "service or official page on the `checked` date"
    )
    note: Text | None = None

    @model_validator(mode="after")
    def _reachable(self) -> Contact:
        if not (self.phone or self.sms or self.url or self.email or self.how):
            raise ValueError(f"contact '{self.id}' needs a way to reach it: phone, sms, url, email or how")
        return self


class Step(Strict):
    """A step the law or local procedure requires, shown at the levels listed."""

    id: Ident
    order: int = Field(default=100, ge=0, le=10_000)
    levels: tuple[Level, ...] = Field(min_length=1)
    text: Text
    source: str = Field(min_length=3)
    checked: date
    verified: bool
    note: Text | None = None


class SiteSlot(Strict):
    """A contact every deployment needs but only the deployer can fill in (e.g. a state's child
    protective services in the US). Shown as 'not configured' until a site file gives a contact with
    this id."""

    id: Ident
    order: int = Field(ge=0, le=10_000)
    levels: tuple[Level, ...] = Field(min_length=1)
    name: Text
    why: Text = Field(description="what to add and why it cannot ship in the pack")


class ReferralPack(Strict):
    """A jurisdiction's referral routes (``indicators/referral/<CODE>/<version>.yaml``)."""

    kind: Literal["referral-pack"]
    jurisdiction: JurisdictionCode
    aliases: tuple[JurisdictionCode, ...] = Field(default=(), description="other codes that select it")
    version: SemVer
    title: Text
    emergency: Phone = Field(description="the emergency number, repeated at the top of an urgent sheet")
    verified: bool = Field(description="true only when every contact was confirmed on its live source")
    note: Text = Field(description="how sure the pack is, shown on every sheet")
    changelog: tuple[ChangelogEntry, ...] = Field(min_length=1)
    steps: tuple[Step, ...] = ()
    contacts: tuple[Contact, ...] = Field(min_length=1)
    site_slots: tuple[SiteSlot, ...] = ()

    @property
    def ref(self) -> str:
        return f"{self.jurisdiction}@{self.version}"


class SiteFile(Strict):
    """A deployer's local contacts and steps, added to one jurisdiction's pack."""

    kind: Literal["site"]
    id: Slug
    name: Text = Field(description="the hospital, clinic or service")
    jurisdiction: JurisdictionCode = Field(description="the pack this file extends (its code or an alias)")
    contacts: tuple[Contact, ...] = Field(default=(), description="added, or replacing a pack contact with the same id")
    steps: tuple[Step, ...] = Field(default=(), description="added, or replacing a pack step with the same id")


def _check_keys(value: dict[str, str]) -> dict[str, str]:
    for key, text in value.items():
        if not _KEY.fullmatch(key):
            raise ValueError(f"message key '{key[:60]}' must be lower-case words joined by '.' or '_'")
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"message '{key}' is empty")
    return value


class MessageCatalogue(Strict):
    """The words of the guidance in one language (``indicators/referral/messages/<lang>.yaml``)."""

    kind: Literal["referral-messages"]
    lang: Literal["en", "pt", "nb"]
    messages: Annotated[dict[str, str], AfterValidator(_check_keys)] = Field(min_length=1)


__all__ = [
    "Contact",
    "LangText",
    "MessageCatalogue",
    "ReferralPack",
    "SiteFile",
    "SiteSlot",
    "Step",
    "Text",
    "text_in",
    "text_missing",
]
