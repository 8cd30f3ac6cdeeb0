"""The change table: every difference between two versions of a set, with the bump it needs on its own.

Each comparison below says what it compares and which bump a difference there needs; the impact
analysis (:mod:`.impact`) may later raise some of these to *major*, and :class:`Tracked` records which
changes it may raise.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ...model.common import LANGUAGES, LocalText
from ...model.indicator_set import Dimension, Indicator, IndicatorSet, LevelRule
from .conditions import dimension_rule, implies, parse_or_none, same_meaning
from .versions import Bump, bump_rank

SET = "set"

_SET_SOURCE_ATTRS = ("citation", "url", "doi", "verified", "note")
"""A set's sources: any difference in these is a patch."""
_INDICATOR_SOURCE_ATTRS = ("source", "locator", "note", "verified")
"""An indicator's source reference: any difference in these is a patch."""
_CONTRIBUTION_ATTRS = ("strength", "points", "dimension")
"""What a met indicator adds to the counts and dimensions: a difference is minor unless it can lower a level."""


@dataclass(frozen=True)
class Change:
    """One difference. ``subject`` names what changed (``indicator 'x'``, ``dimension 'y'``, ``level 'z'``
    or ``set``), ``attribute`` which part of it, and ``bump`` the smallest version bump it needs."""

    subject: str
    attribute: str
    before: str | None
    after: str | None
    bump: Bump
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "attribute": self.attribute,
            "before": self.before,
            "after": self.after,
            "bump": self.bump,
            "note": self.note,
        }


@dataclass(frozen=True)
class SetDiff:
    """Differences between two versions of a set, and the version bump they need."""

    old: str
    new: str
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]
    """ids of indicators in both versions with at least one change"""
    changes: tuple[Change, ...]
    required_bump: Bump
    reasons: tuple[str, ...] = field(default=())
    """why the bump is major, when it is: each way a level can fall or an id disappears"""
    actual_bump: Bump | None = None

    @property
    def ok(self) -> bool:
        """True when the new version number is at least the bump the changes need."""
        return bump_rank(self.actual_bump) >= bump_rank(self.required_bump)

    def of(self, subject: str) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.subject == subject)

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": self.old,
            "new": self.new,
            "required_bump": self.required_bump,
            "actual_bump": self.actual_bump,
            "ok": self.ok,
            "reasons": list(self.reasons),
            "indicators": {"added": list(self.added), "removed": list(self.removed), "changed": list(self.changed)},
            "changes": [c.to_dict() for c in self.changes],
        }


def _plain(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, (list, tuple)):
        return ", ".join(str(getattr(x, "value", x)) for x in v)
    return str(getattr(v, "value", v))


def _src(ref: Any) -> str | None:
    if ref is None:
        return None
    return f"{ref.source}: {ref.locator}" + ("" if ref.verified else " (not verified)")


class ChangeList:
    """The changes found so far, and the reasons any of them is major."""

    def __init__(self) -> None:
        self.changes: list[Change] = []
        self.reasons: list[str] = []

    def add(self, subject: str, attribute: str, before: Any, after: Any, bump: Bump, note: str = "") -> int:
        self.changes.append(Change(subject, attribute, _plain(before), _plain(after), bump, note))
        return len(self.changes) - 1

    def extend(self, items: Iterable[Change]) -> None:
        self.changes.extend(items)

    def major(self, indexes: Iterable[int], reason: str) -> None:
        for i in indexes:
            c = self.changes[i]
            note = f"{c.note}; {reason}" if c.note else reason
            self.changes[i] = Change(c.subject, c.attribute, c.before, c.after, "major", note)
        if reason not in self.reasons:
            self.reasons.append(reason)

    def attributes(self, subject: str, prefix: str, x: Any, y: Any, attrs: Iterable[str], bump: Bump) -> None:
        """One change per attribute of ``attrs`` that differs between ``x`` and ``y``."""
        for attr in attrs:
            if getattr(x, attr) != getattr(y, attr):
                self.add(subject, f"{prefix}{attr}", getattr(x, attr), getattr(y, attr), bump)


@dataclass
class Tracked:
    """Where the changes that can raise a result sit in the list (indexes), for the impact analysis."""

    widened: dict[str, int] = field(default_factory=dict)
    """indicator id -> its condition change, a widening of the old condition"""
    contribution: dict[str, list[int]] = field(default_factory=dict)
    """indicator id -> its strength, points, dimension and red-flag changes"""
    added_at: dict[str, int] = field(default_factory=dict)
    """added indicator id -> its 'added' change"""
    dim_rule_change: dict[str, int] = field(default_factory=dict)
    """dimension id -> its rule change"""
    level_change: list[int] = field(default_factory=list)
    """level added, or its scale or rule changed"""
    added_dims: list[str] = field(default_factory=list)

    def raises_anything(self) -> bool:
        return bool(self.widened or self.added_at or self.contribution or self.dim_rule_change or self.added_dims)


def _text_changes(subject: str, what: str, a: LocalText | None, b: LocalText | None) -> Iterator[Change]:
    for lang in LANGUAGES:
        x = getattr(a, lang) if a is not None else None
        y = getattr(b, lang) if b is not None else None
        if x != y:
            note = "a patch only if the meaning is kept" if lang == "en" and x and y else ""
            yield Change(subject, f"{what}.{lang}", x, y, "patch", note)


# --- set-wide fields --------------------------------------------------------------------------------


def set_changes(a: IndicatorSet, b: IndicatorSet, out: ChangeList) -> None:
    if a.id != b.id:
        i = out.add(SET, "id", a.id, b.id, "major")
        out.major([i], f"the set id changed from '{a.id}' to '{b.id}'")
    out.extend(_text_changes(SET, "title", a.title, b.title))
    out.extend(_text_changes(SET, "description", a.description, b.description))
    if a.status != b.status:
        out.add(
            SET,
            "status",
            a.status,
            b.status,
            "minor",
            "decides whether the set is used without a version, and adds a warning to results",
        )
    if a.canonical_url != b.canonical_url:
        first = a.canonical_url is None
        i = out.add(SET, "canonical_url", a.canonical_url, b.canonical_url, "minor" if first else "major")
        if a.canonical_url is not None:
            out.major([i], "the canonical URL that names the set in FHIR changed or was removed")
    if a.dictionary != b.dictionary:
        _dictionary_change(a, b, out)
    _set_source_changes(a, b, out)
    if a.dimension_rule_source != b.dimension_rule_source:
        out.add(SET, "dimension_rule_source", _src(a.dimension_rule_source), _src(b.dimension_rule_source), "patch")
    if a.accuracy != b.accuracy:
        out.add(SET, "accuracy", a.accuracy and "given", b.accuracy and "given", "patch")


def _dictionary_change(a: IndicatorSet, b: IndicatorSet, out: ChangeList) -> None:
    if a.dictionary_id != b.dictionary_id:
        i = out.add(SET, "dictionary", a.dictionary, b.dictionary, "major")
        out.major([i], "the set reads a different data dictionary, so encounters name other fields")
    else:
        out.add(
            SET,
            "dictionary",
            a.dictionary,
            b.dictionary,
            "minor",
            "another dictionary version can change the questions and the answers accepted",
        )


def _set_source_changes(a: IndicatorSet, b: IndicatorSet, out: ChangeList) -> None:
    src_a, src_b = {s.id: s for s in a.sources}, {s.id: s for s in b.sources}
    for sid in sorted(src_a.keys() | src_b.keys()):
        sx, sy = src_a.get(sid), src_b.get(sid)
        if sx is None or sy is None:
            out.add(
                SET,
                f"source '{sid}'",
                sx and sx.citation,
                sy and sy.citation,
                "patch",
                "added" if sx is None else "removed",
            )
            continue
        out.attributes(SET, f"source '{sid}'.", sx, sy, _SET_SOURCE_ATTRS, "patch")


# --- indicators -------------------------------------------------------------------------------------


def indicator_changes(
    a: IndicatorSet, b: IndicatorSet, out: ChangeList, t: Tracked
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The indicators' changes; returns the ids added, removed and changed."""
    ia, ib = {i.id: i for i in a.indicators}, {i.id: i for i in b.indicators}
    added = tuple(i for i in ib if i not in ia)
    removed = tuple(i for i in ia if i not in ib)
    for iid in removed:
        k = out.add(f"indicator '{iid}'", "removed", ia[iid].text.en, None, "major")
        out.major([k], f"indicator '{iid}' was removed: results and integrations name indicators by id")
    for iid in added:
        t.added_at[iid] = out.add(f"indicator '{iid}'", "added", None, ib[iid].text.en, "minor")
    changed: list[str] = []
    for iid in (i for i in ib if i in ia):
        if _indicator_change(ia[iid], ib[iid], out, t):
            changed.append(iid)
    return added, removed, tuple(changed)


def _indicator_change(x: Indicator, y: Indicator, out: ChangeList, t: Tracked) -> bool:
    """The changes to one indicator in both versions; True when there is any."""
    subject = f"indicator '{x.id}'"
    before = len(out.changes)
    if x.when != y.when:
        _condition_change(subject, x, y, out, t)
    _contribution_changes(subject, x, y, out, t)
    if set(x.forms) != set(y.forms):
        out.add(subject, "forms", x.forms, y.forms, "minor", "changes the forms of exploitation a result suggests")
    out.extend(_text_changes(subject, "text", x.text, y.text))
    if x.source != y.source:
        out.attributes(subject, "source.", x.source, y.source, _INDICATOR_SOURCE_ATTRS, "patch")
    if x.examples != y.examples:
        out.add(subject, "examples", None, None, "patch")
    return len(out.changes) > before


def _condition_change(subject: str, x: Indicator, y: Indicator, out: ChangeList, t: Tracked) -> None:
    """Same meaning: patch; a widening (the old condition implies the new): minor; anything else: major."""
    tx, ty = parse_or_none(x.when), parse_or_none(y.when)
    if tx is not None and ty is not None and same_meaning(tx, ty):
        out.add(subject, "condition", x.when, y.when, "patch", "written differently, same meaning")
    elif tx is not None and ty is not None and implies(tx, ty):
        t.widened[x.id] = out.add(
            subject,
            "condition",
            x.when,
            y.when,
            "minor",
            "widened: the old condition implies the new one, so it can only turn 'not met' into 'met'",
        )
    else:
        k = out.add(subject, "condition", x.when, y.when, "major")
        out.major(
            [k],
            f"the condition of '{x.id}' changed and is not a widening of the old one: it can turn 'met' into 'not met'",
        )


def _contribution_changes(subject: str, x: Indicator, y: Indicator, out: ChangeList, t: Tracked) -> None:
    idx = [
        out.add(subject, attr, getattr(x, attr), getattr(y, attr), "minor")
        for attr in _CONTRIBUTION_ATTRS
        if getattr(x, attr) != getattr(y, attr)
    ]
    if x.red_flag != y.red_flag:
        k = out.add(subject, "red_flag", x.red_flag, y.red_flag, "minor")
        idx.append(k)
        if x.red_flag and not y.red_flag:
            out.major([k], f"'{x.id}' is no longer a red flag, so a level that rests on red_flag can fall")
    if idx:
        t.contribution[x.id] = idx


# --- dimensions -------------------------------------------------------------------------------------


def dimension_changes(a: IndicatorSet, b: IndicatorSet, out: ChangeList, t: Tracked) -> None:
    da, db = {d.id: d for d in a.dimensions}, {d.id: d for d in b.dimensions}
    for did in [d for d in da if d not in db]:  # in the old set's order
        k = out.add(f"dimension '{did}'", "removed", da[did].title.en, None, "major")
        out.major([k], f"dimension '{did}' was removed")
    t.added_dims = [did for did in db if did not in da]
    for did in t.added_dims:
        out.add(f"dimension '{did}'", "added", None, db[did].title.en, "minor")
    for did in (d for d in db if d in da):
        _dimension_change(a, b, da[did], db[did], out, t)


def _dimension_change(
    a: IndicatorSet, b: IndicatorSet, x: Dimension, y: Dimension, out: ChangeList, t: Tracked
) -> None:
    subject = f"dimension '{x.id}'"
    out.extend(_text_changes(subject, "title", x.title, y.title))
    if x.role != y.role:
        out.add(subject, "role", x.role, y.role, "minor")
    rx, ry = dimension_rule(a, x), dimension_rule(b, y)
    if rx != ry:
        tx, ty = parse_or_none(rx), parse_or_none(ry)
        same = tx is not None and ty is not None and same_meaning(tx, ty)
        t.dim_rule_change[x.id] = out.add(
            subject,
            "rule",
            rx,
            ry,
            "patch" if same else "minor",
            "written differently, same meaning" if same else "",
        )


# --- levels -----------------------------------------------------------------------------------------


def level_changes(a: IndicatorSet, b: IndicatorSet, out: ChangeList, t: Tracked) -> None:
    la, lb = {lv.id: lv for lv in a.levels}, {lv.id: lv for lv in b.levels}
    for lid in [lv for lv in la if lv not in lb]:  # in the old set's order
        k = out.add(f"level '{lid}'", "removed", la[lid].scale, None, "major")
        out.major([k], f"level '{lid}' was removed")
    for lid in (lv for lv in lb if lv not in la):
        t.level_change.append(out.add(f"level '{lid}'", "added", None, lb[lid].scale, "minor"))
    for lid in (lv for lv in lb if lv in la):
        _level_change(la[lid], lb[lid], out, t)


def _level_change(x: LevelRule, y: LevelRule, out: ChangeList, t: Tracked) -> None:
    subject = f"level '{x.id}'"
    out.extend(_text_changes(subject, "title", x.title, y.title))
    if x.scale != y.scale:
        t.level_change.append(out.add(subject, "scale", x.scale, y.scale, "minor"))
    if x.when != y.when:
        tx, ty = parse_or_none(x.when), parse_or_none(y.when)
        if tx is not None and ty is not None and same_meaning(tx, ty):
            out.add(subject, "rule", x.when, y.when, "patch", "written differently, same meaning")
        else:
            t.level_change.append(out.add(subject, "rule", x.when, y.when, "minor"))
    if x.derivation != y.derivation:
        out.add(subject, "derivation", x.derivation, y.derivation, "patch")
    if x.source != y.source:
        out.add(subject, "source", _src(x.source), _src(y.source), "patch")
