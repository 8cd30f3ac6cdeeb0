"""Referral routes: load jurisdiction packs, site files and message catalogues, and merge them.

Shipped content::

    indicators/referral/<CODE>/<version>.yaml     one jurisdiction's pack (kind: referral-pack)
    indicators/referral/messages/<lang>.yaml      the guidance's words in one language (kind: referral-messages)

A pack is found by its code or one of its aliases (``GB`` selects ``GB-ENG-WLS``), case-insensitive,
optionally with ``@version``; or by a path to a YAML file. The newest version is used unless one is named.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import Location, SchemaError, SetNotFoundError, UnsupportedLanguageError
from ..model.common import LANGUAGES, Level
from ..model.referral import (
    Contact,
    MessageCatalogue,
    ReferralPack,
    SiteFile,
    SiteSlot,
    Step,
    Text,
    text_missing,
)
from .loader import Document, content_root, read_document, validate_model, versions_in
from .yamlsource import Positions

MESSAGES_FOLDER = "messages"
STALE_AFTER_DAYS = 365
"""A contact or step checked longer ago than this draws a warning from ``validate``."""

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def referral_root() -> Path:
    """Folder holding the shipped jurisdiction packs and message catalogues."""
    return content_root() / "referral"


# --- caching by file identity: content files are small, but guidance may be rendered per request ---

_CACHE: dict[tuple[str, str, int, int], Any] = {}
_CACHE_LIMIT = 256


def _cached(kind: str, path: Path, build: Any) -> Any:
    try:
        st = path.stat()
    except OSError:
        return build()
    key = (kind, str(path.resolve()), st.st_mtime_ns, st.st_size)
    hit = _CACHE.get(key)
    if hit is None:
        hit = build()
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.clear()
        _CACHE[key] = hit
    return hit


# --- packs --------------------------------------------------------------------------------------------


def shipped_packs() -> list[tuple[str, str, Path]]:
    """(code, version, path) of every shipped jurisdiction pack, sorted."""
    root = referral_root()
    out: list[tuple[str, str, Path]] = []
    if root.is_dir():
        for d in sorted(p for p in root.iterdir() if p.is_dir() and p.name != MESSAGES_FOLDER):
            for v, p in versions_in(d):
                out.append((d.name, v, p))
    return out


def _looks_like_path(ref: str) -> bool:
    return "/" in ref or "\\" in ref or ref.endswith((".yaml", ".yml"))


def find_pack(ref: str) -> Path:
    """Path of the pack named by ``CODE``, ``ALIAS``, ``CODE@version`` or a file path."""
    if _looks_like_path(ref):
        p = Path(ref)
        if not p.exists():
            raise SetNotFoundError("no such file", Location(ref))
        return p
    code, _, version = ref.partition("@")
    wanted = code.strip().upper()
    packs = shipped_packs()
    codes = sorted({c for c, _v, _p in packs})
    folder: str | None = wanted if wanted in codes else None
    if folder is None:  # an alias: read the newest version of each pack
        for c in codes:
            newest = [p for cc, _v, p in packs if cc == c][-1]
            if wanted in load_pack(newest).aliases:
                folder = c
                break
    if folder is None:
        shown = wanted if re.fullmatch(r"[A-Z0-9-]{1,20}", wanted) else "<unreadable>"
        raise SetNotFoundError(f"no referral pack for jurisdiction '{shown}'; packs: {', '.join(codes) or 'none'}")
    versions = [(v, p) for c, v, p in packs if c == folder]
    if not version:
        return versions[-1][1]
    for v, p in versions:
        if v == version:
            return p
    raise SetNotFoundError(
        f"referral pack '{folder}' has no version {version[:20]}; versions: {', '.join(v for v, _ in versions)}"
    )


def _check_unique(items: Sequence[Contact | Step | SiteSlot], doc: Document, key: str) -> None:
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item.id in seen:
            raise SchemaError(f"duplicated {key[:-1]} id '{item.id}'", doc.positions.locate((key, i, "id")))
        seen.add(item.id)


def _check_translated(pack: ReferralPack, positions: Positions) -> None:
    """Every text of a shipped pack is given in every language: the sheet must read in the nurse's own."""

    def check(text: Text | None, path: tuple[str | int, ...]) -> None:
        missing = text_missing(text)
        if missing:
            raise SchemaError(
                f"{'.'.join(str(p) for p in path)}: no {', '.join(missing)} text "
                "(give every language, or a plain string for a proper name)",
                positions.locate(path),
            )

    check(pack.title, ("title",))
    check(pack.note, ("note",))
    for i, c in enumerate(pack.contacts):
        for name in ("name", "role", "how", "hours", "note"):
            check(getattr(c, name), ("contacts", i, name))
    for i, s in enumerate(pack.steps):
        check(s.text, ("steps", i, "text"))
        check(s.note, ("steps", i, "note"))
    for i, slot in enumerate(pack.site_slots):
        check(slot.name, ("site_slots", i, "name"))
        check(slot.why, ("site_slots", i, "why"))


def read_pack(path: Path) -> tuple[ReferralPack, Document]:
    """Load and check one pack file, returning its document too (for positions)."""
    doc = read_document(path)
    pack = validate_model(ReferralPack, doc)
    _check_unique(pack.contacts, doc, "contacts")
    _check_unique(pack.steps, doc, "steps")
    _check_unique(pack.site_slots, doc, "site_slots")
    clash = {c.id for c in pack.contacts} & {s.id for s in pack.site_slots}
    if clash:
        raise SchemaError(
            f"'{sorted(clash)[0]}' is both a contact and a site slot", doc.positions.locate(("site_slots",))
        )
    _check_translated(pack, doc.positions)
    p = path.resolve()
    if p.parent.parent.name == "referral" and (p.parent.name != pack.jurisdiction or p.stem != pack.version):
        raise SchemaError(
            f"file is at {p.parent.name}/{p.name} but declares {pack.jurisdiction} {pack.version}; "
            f"it must be {pack.jurisdiction}/{pack.version}.yaml",
            doc.positions.locate(("version",)),
        )
    return pack, doc


def load_pack(ref_or_path: str | Path) -> ReferralPack:
    """Load a jurisdiction pack by code, alias, ``CODE@version`` or path."""
    path = ref_or_path if isinstance(ref_or_path, Path) else find_pack(ref_or_path)
    pack: ReferralPack = _cached("pack", path, lambda: read_pack(path)[0])
    return pack


# --- site files ---------------------------------------------------------------------------------------


def read_site(path: Path) -> tuple[SiteFile, Document]:
    doc = read_document(path)
    site = validate_model(SiteFile, doc)
    _check_unique(site.contacts, doc, "contacts")
    _check_unique(site.steps, doc, "steps")
    return site, doc


def load_site(path: str | Path) -> SiteFile:
    """Load a deployer's site file (``kind: site``)."""
    p = Path(path)
    site: SiteFile = _cached("site", p, lambda: read_site(p)[0])
    return site


# --- message catalogues -------------------------------------------------------------------------------


def messages_folder() -> Path:
    return referral_root() / MESSAGES_FOLDER


def read_catalogue(path: Path) -> tuple[MessageCatalogue, Document]:
    doc = read_document(path)
    cat = validate_model(MessageCatalogue, doc)
    if path.stem in LANGUAGES and path.stem != cat.lang:
        raise SchemaError(f"file is {path.name} but declares lang '{cat.lang}'", doc.positions.locate(("lang",)))
    return cat, doc


def load_messages(lang: str, folder: Path | None = None) -> dict[str, str]:
    """The guidance's words in ``lang``, from ``folder`` (default: the shipped catalogues)."""
    if lang not in LANGUAGES:
        raise UnsupportedLanguageError(f"language '{lang[:20]}' is not supported; choose one of {', '.join(LANGUAGES)}")
    path = (folder or messages_folder()) / f"{lang}.yaml"
    if not path.is_file():
        raise SetNotFoundError(f"no guidance messages for language '{lang}'", Location(str(path)))
    messages: dict[str, str] = _cached("messages", path, lambda: dict(read_catalogue(path)[0].messages))
    return messages


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def fill(text: str, **values: str) -> str:
    """Replace ``{name}`` placeholders. Unlike ``str.format`` it reads no attributes or indexes."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


@dataclass(frozen=True)
class CatalogueProblem:
    severity: str
    location: Location
    message: str


def check_catalogue(path: Path, reference: Path | None = None) -> list[CatalogueProblem]:
    """Compare one catalogue with the English reference: every key present, no unknown key, the same
    placeholders. The reference is ``en.yaml`` beside the file, else the shipped English catalogue."""
    cat, doc = read_catalogue(path)
    if reference is None:
        beside = path.parent / "en.yaml"
        reference = beside if beside.is_file() else messages_folder() / "en.yaml"
    problems: list[CatalogueProblem] = []
    if reference.resolve() == path.resolve():
        return problems
    ref, _ref_doc = read_catalogue(reference)
    where = doc.positions.locate_key
    for key, text in ref.messages.items():
        if key not in cat.messages:
            problems.append(
                CatalogueProblem(
                    "error",
                    doc.positions.locate(("messages",)),
                    f"missing message '{key}' (present in {reference.name})",
                )
            )
        elif placeholders(cat.messages[key]) != placeholders(text):
            want = ", ".join(sorted("{" + p + "}" for p in placeholders(text))) or "none"
            problems.append(
                CatalogueProblem("error", where(("messages", key)), f"message '{key}' must use the placeholders {want}")
            )
    for key in cat.messages:
        if key not in ref.messages:
            problems.append(
                CatalogueProblem(
                    "error", where(("messages", key)), f"unknown message '{key}' (not in {reference.name})"
                )
            )
    return problems


# --- merging a pack with a site file -------------------------------------------------------------------


@dataclass(frozen=True)
class Routes:
    """A pack merged with an optional site file: what the guidance lists."""

    pack: ReferralPack
    site: SiteFile | None
    contacts: tuple[Contact, ...]
    steps: tuple[Step, ...]
    open_slots: tuple[SiteSlot, ...]
    local_ids: frozenset[str] = field(default_factory=frozenset)

    def contacts_at(self, level: Level) -> list[Contact | SiteSlot]:
        """Contacts and unfilled slots listed at ``level``, in order."""
        items: list[Contact | SiteSlot] = [c for c in self.contacts if level in c.levels]
        items += [s for s in self.open_slots if level in s.levels]
        return sorted(items, key=lambda x: x.order)

    def steps_at(self, level: Level) -> list[Step]:
        return [s for s in self.steps if level in s.levels]


def _codes(pack: ReferralPack) -> set[str]:
    return {pack.jurisdiction, *pack.aliases}


def merge(pack: ReferralPack, site: SiteFile | None) -> Routes:
    """The pack's contacts and steps, with the site's added or replacing those with the same id."""
    if site is None:
        return Routes(
            pack,
            None,
            tuple(sorted(pack.contacts, key=lambda c: c.order)),
            tuple(sorted(pack.steps, key=lambda s: s.order)),
            pack.site_slots,
        )
    if site.jurisdiction not in _codes(pack):
        raise SchemaError(f"site file '{site.id}' is for jurisdiction {site.jurisdiction}, not {pack.jurisdiction}")
    contacts = {c.id: c for c in pack.contacts}
    contacts.update({c.id: c for c in site.contacts})
    steps = {s.id: s for s in pack.steps}
    steps.update({s.id: s for s in site.steps})
    slots = tuple(s for s in pack.site_slots if s.id not in contacts)
    return Routes(
        pack,
        site,
        tuple(sorted(contacts.values(), key=lambda c: c.order)),
        tuple(sorted(steps.values(), key=lambda s: s.order)),
        slots,
        frozenset(c.id for c in site.contacts) | frozenset(s.id for s in site.steps),
    )


def stale(checked: date, today: date | None = None) -> bool:
    """True when ``checked`` is more than a year before ``today``."""
    return ((today or date.today()) - checked).days > STALE_AFTER_DAYS


__all__ = [
    "Routes",
    "check_catalogue",
    "fill",
    "find_pack",
    "load_messages",
    "load_pack",
    "load_site",
    "merge",
    "referral_root",
    "shipped_packs",
    "stale",
]
