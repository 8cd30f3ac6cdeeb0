"""Compare two versions of an indicator set and work out the smallest version bump the change needs.

``diff_sets(old, new)`` lists indicators added, removed and changed (attribute by attribute), and changes
to dimensions, levels and set-wide fields. Each change carries the bump it needs on its own:

* **patch**: nothing a screen computes can change (translations, wording, sources, ``verified`` marks,
  examples, titles);
* **minor**: a result can change for some encounter, but no level can go down and no id disappears
  (a condition widened, an indicator or level added, a red flag added, a rule relaxed);
* **major**: an id that results and integrations rely on is removed or renamed, or some encounter can
  get a *lower* level under the new version than under the old one.

Whether a level can go down is decided, not guessed, wherever that is cheap to do exactly, and the
answer errs toward *major* wherever it is not:

1. An indicator's condition is compared as a syntax tree. The same tree (even written differently) is
   no change; a new condition that is implied by the old one (``old or x``, a longer ``in`` list, a
   looser bound) can only turn *not met* into *met*; any other rewrite is assumed able to do the
   opposite.
2. For each dimension, every combination of met indicators (old and new strengths, points and
   membership side by side) is enumerated, and the new rule must hold wherever the old one held.
3. The set-wide counts and the red flag that the new level rules read must not fall for any indicator.
4. The level rules are compared over every combination of dimension outcomes, red flag and counts they
   read: the new level must never be below the old one.
5. Steps 1 and 3 rely on the new rules being *monotone* (a rule never turns false because a count or a
   dimension went up); a rule that is not, e.g. ``not red_flag`` or ``medium == 2``, makes such
   changes major.

The analysis considers answers that rule indicators in or out; because the engine reads an unknown
indicator as "not yet met", the same holds for partly answered encounters.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product
from typing import Any, Literal

from .expr.interpret import evaluate
from .expr.parser import ConditionSyntaxError, parse_condition
from .expr.tree import And, Arith, Compare, Const, ConstList, In, IsKnown, Name, Node, Not, Or, names
from .model.common import LANGUAGES, LocalText, semver_key
from .model.indicator_set import Dimension, Indicator, IndicatorSet, LevelRule

Bump = Literal["patch", "minor", "major"]
BUMPS: tuple[Bump, ...] = ("patch", "minor", "major")
_RANK: dict[str, int] = {"patch": 1, "minor": 2, "major": 3}
_COUNTS = ("strong", "medium", "weak", "points", "met")
_MAX_STATES = 200_000
"""Above this many combinations a check is not run exhaustively and the change counts as major."""


def bump_rank(bump: Bump | None) -> int:
    """0 for no bump, then 1 patch, 2 minor, 3 major."""
    return _RANK[bump] if bump else 0


def version_bump(old: str, new: str) -> Bump | None:
    """The bump from ``old`` to ``new`` (semantic versions), or ``None`` when ``new`` is not later.

    Before 1.0.0 everything shifts one place, as semantic versioning allows breaking changes there:
    0.1.0 to 0.2.0 counts as major and 0.1.0 to 0.1.1 as minor. A pre-release (``2.0.0-rc.1``) counts
    as the release it leads to.
    """
    if semver_key(new) <= semver_key(old):
        return None
    a, b = semver_key(old)[:3], semver_key(new)[:3]
    if a == b:  # a pre-release and its release: no step between them
        return None
    if a[0] == 0 and b[0] == 0:
        return "major" if b[1] != a[1] else "minor"
    if b[0] != a[0]:
        return "major"
    return "minor" if b[1] != a[1] else "patch"


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


# --- condition trees: shape, implication, monotonicity ---------------------------------------------


def _parse(text: str | None) -> Node | None:
    if text is None:
        return None
    try:
        return parse_condition(text)
    except ConditionSyntaxError:
        return None


def _shape(node: Node) -> str:
    """A canonical text of ``node`` without positions: operands of ``and``, ``or``, ``+`` and ``*`` and the
    items of a list are sorted, so conditions that differ only in such order have the same shape."""
    match node:
        case Name(id=i):
            return f"n:{i}"
        case Const(value=v):
            return f"c:{type(v).__name__}:{v!r}"
        case ConstList(items=items):
            return "list[" + ",".join(sorted({_shape(c) for c in items})) + "]"
        case Not(operand=o):
            return f"not({_shape(o)})"
        case And(operands=ops):
            return "and(" + ",".join(sorted({_shape(o) for o in ops})) + ")"
        case Or(operands=ops):
            return "or(" + ",".join(sorted({_shape(o) for o in ops})) + ")"
        case Compare(op=op, left=a, right=b):
            return f"cmp{op}({_shape(a)},{_shape(b)})"
        case In(item=a, container=b, negate=neg):
            return f"{'notin' if neg else 'in'}({_shape(a)},{_shape(b)})"
        case IsKnown(name=n, negate=neg):
            return f"{'unknown' if neg else 'known'}({n.id})"
        case Arith(op="+" | "*" as op):
            return f"{op}(" + ",".join(sorted(_shape(t) for t in _terms(node, op))) + ")"
        case Arith(op=op, left=a, right=b):
            return f"{op}({_shape(a)},{_shape(b)})"
    raise TypeError(type(node).__name__)  # pragma: no cover


def _terms(node: Node, op: str) -> Iterator[Node]:
    """The operands of a chain of one commutative operator: ``a + (b + c)`` gives a, b, c."""
    if isinstance(node, Arith) and node.op == op:
        yield from _terms(node.left, op)
        yield from _terms(node.right, op)
    else:
        yield node


def same_meaning(a: Node, b: Node) -> bool:
    return _shape(a) == _shape(b)


def _bound(node: Node) -> tuple[str, str, float] | None:
    """``name op number`` as (name, op, number) for the order comparisons, else None."""
    if isinstance(node, Compare) and isinstance(node.left, Name) and isinstance(node.right, Const):
        v = node.right.value
        if isinstance(v, (int, float)) and not isinstance(v, bool) and node.op in ("<", "<=", ">", ">="):
            return node.left.id, node.op, float(v)
    return None


def implies(p: Node, q: Node) -> bool:
    """True only when ``p`` being true guarantees ``q`` is true (three-valued). False means "not shown"."""
    if same_meaning(p, q):
        return True
    if isinstance(q, Or) and any(implies(p, o) for o in q.operands):
        return True
    if isinstance(p, And) and any(implies(o, q) for o in p.operands):
        return True
    if isinstance(p, Or) and all(implies(o, q) for o in p.operands):
        return True
    if isinstance(q, And) and all(implies(p, o) for o in q.operands):
        return True
    if (
        isinstance(p, In)
        and isinstance(q, In)
        and not p.negate
        and not q.negate
        and isinstance(p.container, ConstList)
        and isinstance(q.container, ConstList)
        and _shape(p.item) == _shape(q.item)
    ):
        return {_shape(c) for c in p.container.items} <= {_shape(c) for c in q.container.items}
    bp, bq = _bound(p), _bound(q)
    if bp and bq and bp[0] == bq[0]:
        (_, op1, a), (_, op2, b) = bp, bq
        if op1 in ("<", "<=") and op2 in ("<", "<="):
            return a < b or (a == b and (op1 == "<" or op2 == "<="))
        if op1 in (">", ">=") and op2 in (">", ">="):
            return a > b or (a == b and (op1 == ">" or op2 == ">="))
    return False


def _polarity(node: Node, sign: int, out: dict[str, set[int]]) -> None:
    """Record, for each name, whether raising it can make ``node`` truer (+1), falser (-1), or both."""
    match node:
        case Name(id=i):
            out.setdefault(i, set()).add(sign)
        case Const() | ConstList():
            pass
        case Not(operand=o):
            _polarity(o, -sign, out)
        case And(operands=ops) | Or(operands=ops):
            for o in ops:
                _polarity(o, sign, out)
        case Compare(op=op, left=a, right=b):
            if op in (">", ">="):
                _polarity(a, sign, out)
                _polarity(b, -sign, out)
            elif op in ("<", "<="):
                _polarity(a, -sign, out)
                _polarity(b, sign, out)
            else:
                for s in (sign, -sign):
                    _polarity(a, s, out)
                    _polarity(b, s, out)
        case Arith(op=op, left=a, right=b):
            if op == "+":
                _polarity(a, sign, out)
                _polarity(b, sign, out)
            elif op == "-":
                _polarity(a, sign, out)
                _polarity(b, -sign, out)
            elif isinstance(a, Const) and isinstance(a.value, (int, float)):
                _polarity(b, sign if a.value >= 0 else -sign, out)
            elif isinstance(b, Const) and isinstance(b.value, (int, float)):
                _polarity(a, sign if b.value >= 0 else -sign, out)
            else:
                for s in (sign, -sign):
                    _polarity(a, s, out)
                    _polarity(b, s, out)
        case In(item=a, container=b):
            for s in (sign, -sign):
                _polarity(a, s, out)
                _polarity(b, s, out)
        case IsKnown(name=n):
            out.setdefault(n.id, set()).update((1, -1))


def not_monotone(node: Node) -> list[str]:
    """Names that ``node`` does not read monotonically (raising them can make it false). Empty for a
    monotone rule such as ``strong >= 2 or (strong >= 1 and medium + weak >= 1)``."""
    out: dict[str, set[int]] = {}
    _polarity(node, 1, out)
    return [n for n, signs in out.items() if -1 in signs]


# --- the result-level analysis ---------------------------------------------------------------------

_Contribution = tuple[str | None, int] | None
"""What one met indicator adds to a dimension: (strength, points); None when it is not a member."""


def _contribution(ind: Indicator | None) -> _Contribution:
    return None if ind is None else (ind.strength.value if ind.strength else None, ind.weight_points)


def _counts(contrib: _Contribution, read: Sequence[str]) -> tuple[int, ...]:
    if contrib is None:
        return (0,) * len(read)
    strength, pts = contrib
    value = {
        "strong": int(strength == "strong"),
        "medium": int(strength == "medium"),
        "weak": int(strength == "weak"),
        "points": pts,
        "met": 1,
    }
    return tuple(value[n] for n in read)


def _effective_rule(s: IndicatorSet, dim: Dimension) -> str | None:
    return dim.present_when if dim.present_when is not None else s.dimension_rule


def _dimension_can_fall(
    old_rule: Node, new_rule: Node, members: Sequence[tuple[_Contribution, _Contribution]]
) -> str | None:
    """Enumerate every reachable (old counts, new counts) of one dimension; return a witness where the
    old rule holds and the new one does not, ``"too many"`` if the space is too large, else None."""
    old_read = [n for n in _COUNTS if n in names(old_rule)]
    new_read = [n for n in _COUNTS if n in names(new_rule)]
    states: set[tuple[tuple[int, ...], tuple[int, ...]]] = {((0,) * len(old_read), (0,) * len(new_read))}
    for old_c, new_c in members:
        do, dn = _counts(old_c, old_read), _counts(new_c, new_read)
        if not any(do) and not any(dn):
            continue
        states |= {
            (tuple(x + y for x, y in zip(o, do, strict=True)), tuple(x + y for x, y in zip(n, dn, strict=True)))
            for o, n in states
        }
        if len(states) > _MAX_STATES:
            return "too many"
    for o, n in sorted(states):
        old_env = dict(zip(old_read, o, strict=True))
        new_env = dict(zip(new_read, n, strict=True))
        if evaluate(old_rule, old_env) is True and evaluate(new_rule, new_env) is not True:
            shown = ", ".join(f"{k}={v}" for k, v in old_env.items() if v) or "nothing met"
            return f"with {shown} the old rule holds and the new one does not"
    return None


def _level_of(levels: Sequence[tuple[LevelRule, Node]], env: Mapping[str, Any]) -> int:
    return max((lv.scale.rank for lv, tree in levels if evaluate(tree, env) is True), default=0)


def _levels_can_fall(
    old: IndicatorSet,
    new: IndicatorSet,
    old_levels: Sequence[tuple[LevelRule, Node]],
    new_levels: Sequence[tuple[LevelRule, Node]],
) -> str | None:
    read: dict[str, None] = {}
    for _lv, tree in (*old_levels, *new_levels):
        for n in names(tree):
            read.setdefault(n, None)
    n_ind = max(len(old.indicators), len(new.indicators))
    n_pts = max(sum(i.weight_points for i in old.indicators), sum(i.weight_points for i in new.indicators))
    n_dim = max(len(old.dimensions), len(new.dimensions))
    domains: list[Sequence[Any]] = []
    for n in read:
        if n in ("strong", "medium", "weak", "met"):
            domains.append(range(n_ind + 1))
        elif n == "points":
            domains.append(range(n_pts + 1))
        elif n == "dimensions_present":
            domains.append(range(n_dim + 1))
        else:
            domains.append((False, True))
    size = 1
    for d in domains:
        size *= len(d)
    if size > _MAX_STATES:
        return "too many"
    for values in product(*domains):
        env = dict(zip(read, values, strict=True))
        before, after = _level_of(old_levels, env), _level_of(new_levels, env)
        if after < before:
            shown = ", ".join(f"{k}={v}" for k, v in env.items() if v) or "nothing present"
            scale = ("none", "concern", "refer", "urgent")
            return f"with {shown} the old rules reach '{scale[before]}' and the new ones '{scale[after]}'"
    return None


# --- building the list of changes ------------------------------------------------------------------


def _text_changes(subject: str, what: str, a: LocalText | None, b: LocalText | None) -> Iterator[Change]:
    for lang in LANGUAGES:
        x = getattr(a, lang) if a is not None else None
        y = getattr(b, lang) if b is not None else None
        if x != y:
            note = "a patch only if the meaning is kept" if lang == "en" and x and y else ""
            yield Change(subject, f"{what}.{lang}", x, y, "patch", note)


def _plain(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, (list, tuple)):
        return ", ".join(str(getattr(x, "value", x)) for x in v)
    return str(getattr(v, "value", v))


class _Builder:
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


def diff_sets(a: IndicatorSet, b: IndicatorSet) -> SetDiff:
    """Compare set version ``a`` (old) with ``b`` (new). Pure: reads nothing but the two definitions."""
    out = _Builder()
    S = "set"

    # set-wide fields
    if a.id != b.id:
        i = out.add(S, "id", a.id, b.id, "major")
        out.major([i], f"the set id changed from '{a.id}' to '{b.id}'")
    out.extend(_text_changes(S, "title", a.title, b.title))
    out.extend(_text_changes(S, "description", a.description, b.description))
    if a.status != b.status:
        out.add(
            S,
            "status",
            a.status,
            b.status,
            "minor",
            "decides whether the set is used without a version, and adds a warning to results",
        )
    if a.canonical_url != b.canonical_url:
        first = a.canonical_url is None
        i = out.add(S, "canonical_url", a.canonical_url, b.canonical_url, "minor" if first else "major")
        if a.canonical_url is not None:
            out.major([i], "the canonical URL that names the set in FHIR changed or was removed")
    if a.dictionary != b.dictionary:
        if a.dictionary_id != b.dictionary_id:
            i = out.add(S, "dictionary", a.dictionary, b.dictionary, "major")
            out.major([i], "the set reads a different data dictionary, so encounters name other fields")
        else:
            out.add(
                S,
                "dictionary",
                a.dictionary,
                b.dictionary,
                "minor",
                "another dictionary version can change the questions and the answers accepted",
            )
    src_a, src_b = {s.id: s for s in a.sources}, {s.id: s for s in b.sources}
    for sid in sorted(src_a.keys() | src_b.keys()):
        sx, sy = src_a.get(sid), src_b.get(sid)
        if sx is None or sy is None:
            out.add(
                S,
                f"source '{sid}'",
                sx and sx.citation,
                sy and sy.citation,
                "patch",
                "added" if sx is None else "removed",
            )
            continue
        for attr in ("citation", "url", "doi", "verified", "note"):
            if getattr(sx, attr) != getattr(sy, attr):
                out.add(S, f"source '{sid}'.{attr}", getattr(sx, attr), getattr(sy, attr), "patch")
    if a.dimension_rule_source != b.dimension_rule_source:
        out.add(S, "dimension_rule_source", _src(a.dimension_rule_source), _src(b.dimension_rule_source), "patch")
    if a.accuracy != b.accuracy:
        out.add(S, "accuracy", a.accuracy and "given", b.accuracy and "given", "patch")

    # indicators
    ia, ib = {i.id: i for i in a.indicators}, {i.id: i for i in b.indicators}
    added = tuple(i for i in ib if i not in ia)
    removed = tuple(i for i in ia if i not in ib)
    for iid in removed:
        k = out.add(f"indicator '{iid}'", "removed", ia[iid].text.en, None, "major")
        out.major([k], f"indicator '{iid}' was removed: results and integrations name indicators by id")
    added_at: dict[str, int] = {}
    for iid in added:
        added_at[iid] = out.add(f"indicator '{iid}'", "added", None, ib[iid].text.en, "minor")
    widened: dict[str, int] = {}  # indicator id -> change index, condition implied by the old one
    contribution: dict[str, list[int]] = {}  # indicator id -> change indexes of strength/points/dimension/red flag
    changed: list[str] = []
    for iid in (i for i in ib if i in ia):
        x, y = ia[iid], ib[iid]
        subject = f"indicator '{iid}'"
        before = len(out.changes)
        if x.when != y.when:
            tx, ty = _parse(x.when), _parse(y.when)
            if tx is not None and ty is not None and same_meaning(tx, ty):
                out.add(subject, "condition", x.when, y.when, "patch", "written differently, same meaning")
            elif tx is not None and ty is not None and implies(tx, ty):
                widened[iid] = out.add(
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
                    f"the condition of '{iid}' changed and is not a widening of the old one: "
                    "it can turn 'met' into 'not met'",
                )
        idx: list[int] = []
        if x.strength != y.strength:
            idx.append(out.add(subject, "strength", x.strength, y.strength, "minor"))
        if x.points != y.points:
            idx.append(out.add(subject, "points", x.points, y.points, "minor"))
        if x.dimension != y.dimension:
            idx.append(out.add(subject, "dimension", x.dimension, y.dimension, "minor"))
        if x.red_flag != y.red_flag:
            k = out.add(subject, "red_flag", x.red_flag, y.red_flag, "minor")
            idx.append(k)
            if x.red_flag and not y.red_flag:
                out.major([k], f"'{iid}' is no longer a red flag, so a level that rests on red_flag can fall")
        if idx:
            contribution[iid] = idx
        if set(x.forms) != set(y.forms):
            out.add(subject, "forms", x.forms, y.forms, "minor", "changes the forms of exploitation a result suggests")
        out.extend(_text_changes(subject, "text", x.text, y.text))
        if x.source != y.source:
            for attr in ("source", "locator", "note", "verified"):
                if getattr(x.source, attr) != getattr(y.source, attr):
                    out.add(subject, f"source.{attr}", getattr(x.source, attr), getattr(y.source, attr), "patch")
        if x.examples != y.examples:
            out.add(subject, "examples", None, None, "patch")
        if len(out.changes) > before:
            changed.append(iid)

    # dimensions
    da, db = {d.id: d for d in a.dimensions}, {d.id: d for d in b.dimensions}
    dim_rule_change: dict[str, int] = {}
    for did in da.keys() - db.keys():
        k = out.add(f"dimension '{did}'", "removed", da[did].title.en, None, "major")
        out.major([k], f"dimension '{did}' was removed")
    added_dims = [did for did in db if did not in da]
    for did in added_dims:
        out.add(f"dimension '{did}'", "added", None, db[did].title.en, "minor")
    for did in (d for d in db if d in da):
        x_dim, y_dim = da[did], db[did]
        subject = f"dimension '{did}'"
        out.extend(_text_changes(subject, "title", x_dim.title, y_dim.title))
        if x_dim.role != y_dim.role:
            out.add(subject, "role", x_dim.role, y_dim.role, "minor")
        rx, ry = _effective_rule(a, x_dim), _effective_rule(b, y_dim)
        if rx != ry:
            tx, ty = _parse(rx), _parse(ry)
            same = tx is not None and ty is not None and same_meaning(tx, ty)
            dim_rule_change[did] = out.add(
                subject,
                "rule",
                rx,
                ry,
                "patch" if same else "minor",
                "written differently, same meaning" if same else "",
            )

    # levels
    la, lb = {lv.id: lv for lv in a.levels}, {lv.id: lv for lv in b.levels}
    level_change: list[int] = []
    for lid in la.keys() - lb.keys():
        k = out.add(f"level '{lid}'", "removed", la[lid].scale, None, "major")
        out.major([k], f"level '{lid}' was removed")
    for lid in (lv for lv in lb if lv not in la):
        level_change.append(out.add(f"level '{lid}'", "added", None, lb[lid].scale, "minor"))
    for lid in (lv for lv in lb if lv in la):
        x_lv, y_lv = la[lid], lb[lid]
        subject = f"level '{lid}'"
        out.extend(_text_changes(subject, "title", x_lv.title, y_lv.title))
        if x_lv.scale != y_lv.scale:
            level_change.append(out.add(subject, "scale", x_lv.scale, y_lv.scale, "minor"))
        if x_lv.when != y_lv.when:
            tx, ty = _parse(x_lv.when), _parse(y_lv.when)
            if tx is not None and ty is not None and same_meaning(tx, ty):
                out.add(subject, "rule", x_lv.when, y_lv.when, "patch", "written differently, same meaning")
            else:
                level_change.append(out.add(subject, "rule", x_lv.when, y_lv.when, "minor"))
        if x_lv.derivation != y_lv.derivation:
            out.add(subject, "derivation", x_lv.derivation, y_lv.derivation, "patch")
        if x_lv.source != y_lv.source:
            out.add(subject, "source", _src(x_lv.source), _src(y_lv.source), "patch")

    _analyse(a, b, out, ia, ib, da, db, widened, contribution, added_at, dim_rule_change, level_change, added_dims)

    required: Bump = max((c.bump for c in out.changes), key=bump_rank, default="patch")
    return SetDiff(
        old=a.ref,
        new=b.ref,
        added=added,
        removed=removed,
        changed=tuple(changed),
        changes=tuple(out.changes),
        required_bump=required,
        reasons=tuple(out.reasons) if required == "major" else (),
        actual_bump=version_bump(a.version, b.version) if a.id == b.id else None,
    )


def _src(ref: Any) -> str | None:
    if ref is None:
        return None
    return f"{ref.source}: {ref.locator}" + ("" if ref.verified else " (not verified)")


def _analyse(
    a: IndicatorSet,
    b: IndicatorSet,
    out: _Builder,
    ia: dict[str, Indicator],
    ib: dict[str, Indicator],
    da: dict[str, Dimension],
    db: dict[str, Dimension],
    widened: dict[str, int],
    contribution: dict[str, list[int]],
    added_at: dict[str, int],
    dim_rule_change: dict[str, int],
    level_change: list[int],
    added_dims: list[str],
) -> None:
    """Mark as major every change through which some encounter can reach a lower level (see module doc)."""
    old_levels = [(lv, _parse(lv.when)) for lv in a.levels]
    new_levels = [(lv, _parse(lv.when)) for lv in b.levels]
    if any(t is None for _, t in (*old_levels, *new_levels)):
        out.major(level_change, "a level rule does not parse, so the levels cannot be compared")
        return
    old_lv = [(lv, t) for lv, t in old_levels if t is not None]
    new_lv = [(lv, t) for lv, t in new_levels if t is not None]
    level_reads: set[str] = set()
    non_monotone_levels: set[str] = set()
    for _lv, tree in new_lv:
        level_reads.update(names(tree))
        non_monotone_levels.update(not_monotone(tree))

    # 1 and 2: each dimension, old and new membership side by side
    raising_changes = bool(widened or added_at or contribution or dim_rule_change or added_dims)
    for did, dim in db.items():
        if did not in da:
            continue
        rule_old, rule_new = _parse(_effective_rule(a, da[did])), _parse(_effective_rule(b, dim))
        in_dim = [
            iid
            for iid in {**ia, **ib}
            if (iid in ia and ia[iid].dimension == did) or (iid in ib and ib[iid].dimension == did)
        ]
        touched = [iid for iid in in_dim if iid in contribution or iid in added_at or iid in widened]
        if not touched and did not in dim_rule_change:
            continue
        blame = [k for iid in touched for k in contribution.get(iid, [])]
        blame += [added_at[iid] for iid in touched if iid in added_at]
        if did in dim_rule_change:
            blame.append(dim_rule_change[did])
        if rule_old is None or rule_new is None:
            out.major(blame, f"dimension '{did}': a rule does not parse, so it cannot be compared")
            continue
        bad = not_monotone(rule_new)
        if bad and any(iid in widened for iid in touched):
            out.major(
                [widened[i] for i in touched if i in widened],
                f"dimension '{did}': its new rule is not monotone in {', '.join(bad)}, so a widened "
                "condition can make it absent",
            )
        members = [
            (
                _contribution(ia.get(iid) if iid in ia and ia[iid].dimension == did else None),
                _contribution(ib.get(iid) if iid in ib and ib[iid].dimension == did else None),
            )
            for iid in in_dim
        ]
        witness = _dimension_can_fall(rule_old, rule_new, members)
        if witness == "too many":
            out.major(blame, f"dimension '{did}': too many combinations to check; treated as able to fall")
        elif witness:
            out.major(blame, f"dimension '{did}' can become absent where it was present: {witness}")

    # 3: the set-wide counts and the red flag the new level rules read must not fall for any indicator
    for iid, idx in contribution.items():
        if iid not in ia or iid not in ib:
            continue
        read = [n for n in _COUNTS if n in level_reads]
        before = _counts(_contribution(ia[iid]), read)
        after = _counts(_contribution(ib[iid]), read)
        fallen = [n for n, x, y in zip(read, before, after, strict=True) if y < x]
        if fallen:
            out.major(
                idx,
                f"'{iid}' no longer adds to the count{'s' if len(fallen) > 1 else ''} "
                f"{', '.join(fallen)} that the level rules read",
            )

    # 5: the step from old to new counts needs monotone level rules
    if non_monotone_levels and raising_changes:
        blame = [
            *widened.values(),
            *added_at.values(),
            *(k for v in contribution.values() for k in v),
            *dim_rule_change.values(),
        ]
        out.major(
            blame,
            "the new level rules are not monotone in "
            f"{', '.join(sorted(non_monotone_levels))}, so a count or dimension that rises can "
            "lower the level",
        )

    # 4: the level rules themselves
    same_levels = len(old_lv) == len(new_lv) and all(
        x.id == y.id and x.scale == y.scale and same_meaning(tx, ty)
        for (x, tx), (y, ty) in zip(old_lv, new_lv, strict=True)
    )
    if not same_levels:
        witness = _levels_can_fall(a, b, old_lv, new_lv)
        if witness == "too many":
            out.major(
                level_change, "the level rules read too many names to compare exhaustively; treated as able to fall"
            )
        elif witness:
            out.major(level_change, f"the level can fall: {witness}")


__all__ = [
    "BUMPS",
    "Bump",
    "Change",
    "SetDiff",
    "bump_rank",
    "diff_sets",
    "implies",
    "not_monotone",
    "same_meaning",
    "version_bump",
]
