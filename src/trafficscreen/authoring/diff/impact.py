"""Impact analysis: which changes let some encounter reach a *lower* level (steps 1-5 of the package doc).

Every check enumerates what it can afford to exactly; beyond :data:`MAX_STATES` combinations the change
is treated as able to lower a level.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import product
from typing import Any

from ...expr.interpret import evaluate
from ...expr.tree import Node, names
from ...model.indicator_set import Indicator, IndicatorSet, LevelRule
from .changes import ChangeList, Tracked
from .conditions import dimension_rule, not_monotone, parse_or_none, same_meaning

COUNTS = ("strong", "medium", "weak", "points", "met")
MAX_STATES = 200_000
"""Above this many combinations a check is not run exhaustively and the change counts as major."""
_SCALE = ("none", "concern", "refer", "urgent")

_Contribution = tuple[str | None, int] | None
"""What one met indicator adds to a dimension: (strength, points); None when it is not a member."""
_Levels = Sequence[tuple[LevelRule, Node]]


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


def analyse(a: IndicatorSet, b: IndicatorSet, out: ChangeList, t: Tracked) -> None:
    """Mark as major every change through which some encounter can reach a lower level (see package doc)."""
    old_levels = [(lv, parse_or_none(lv.when)) for lv in a.levels]
    new_levels = [(lv, parse_or_none(lv.when)) for lv in b.levels]
    if any(tree is None for _, tree in (*old_levels, *new_levels)):
        out.major(t.level_change, "a level rule does not parse, so the levels cannot be compared")
        return
    old_lv = [(lv, tree) for lv, tree in old_levels if tree is not None]
    new_lv = [(lv, tree) for lv, tree in new_levels if tree is not None]
    ia, ib = {i.id: i for i in a.indicators}, {i.id: i for i in b.indicators}
    da, db = {d.id: d for d in a.dimensions}, {d.id: d for d in b.dimensions}
    for did, dim in db.items():
        if did in da:
            rules = parse_or_none(dimension_rule(a, da[did])), parse_or_none(dimension_rule(b, dim))
            _check_dimension(did, rules, ia, ib, out, t)
    _check_counts(ia, ib, {n for _lv, tree in new_lv for n in names(tree)}, out, t)
    _check_monotone_levels(new_lv, out, t)
    _check_level_rules(a, b, old_lv, new_lv, out, t)


# --- 1 and 2: each dimension, old and new membership side by side -------------------------------------


def _check_dimension(
    did: str,
    rules: tuple[Node | None, Node | None],
    ia: Mapping[str, Indicator],
    ib: Mapping[str, Indicator],
    out: ChangeList,
    t: Tracked,
) -> None:
    in_dim = [
        iid
        for iid in {**ia, **ib}
        if (iid in ia and ia[iid].dimension == did) or (iid in ib and ib[iid].dimension == did)
    ]
    touched = [iid for iid in in_dim if iid in t.contribution or iid in t.added_at or iid in t.widened]
    if not touched and did not in t.dim_rule_change:
        return
    blame = _dimension_blame(did, touched, t)
    rule_old, rule_new = rules
    if rule_old is None or rule_new is None:
        out.major(blame, f"dimension '{did}': a rule does not parse, so it cannot be compared")
        return
    bad = not_monotone(rule_new)
    if bad and any(iid in t.widened for iid in touched):
        out.major(
            [t.widened[i] for i in touched if i in t.widened],
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


def _dimension_blame(did: str, touched: Sequence[str], t: Tracked) -> list[int]:
    """The changes that move a dimension: its members' contributions and additions, and its rule."""
    blame = [k for iid in touched for k in t.contribution.get(iid, [])]
    blame += [t.added_at[iid] for iid in touched if iid in t.added_at]
    if did in t.dim_rule_change:
        blame.append(t.dim_rule_change[did])
    return blame


def _dimension_can_fall(
    old_rule: Node, new_rule: Node, members: Sequence[tuple[_Contribution, _Contribution]]
) -> str | None:
    """Enumerate every reachable (old counts, new counts) of one dimension; return a witness where the
    old rule holds and the new one does not, ``"too many"`` if the space is too large, else None."""
    old_read = [n for n in COUNTS if n in names(old_rule)]
    new_read = [n for n in COUNTS if n in names(new_rule)]
    states: set[tuple[tuple[int, ...], tuple[int, ...]]] = {((0,) * len(old_read), (0,) * len(new_read))}
    for old_c, new_c in members:
        do, dn = _counts(old_c, old_read), _counts(new_c, new_read)
        if not any(do) and not any(dn):
            continue
        states |= {
            (tuple(x + y for x, y in zip(o, do, strict=True)), tuple(x + y for x, y in zip(n, dn, strict=True)))
            for o, n in states
        }
        if len(states) > MAX_STATES:
            return "too many"
    for o, n in sorted(states):
        old_env = dict(zip(old_read, o, strict=True))
        new_env = dict(zip(new_read, n, strict=True))
        if evaluate(old_rule, old_env) is True and evaluate(new_rule, new_env) is not True:
            shown = ", ".join(f"{k}={v}" for k, v in old_env.items() if v) or "nothing met"
            return f"with {shown} the old rule holds and the new one does not"
    return None


# --- 3: the set-wide counts the new level rules read must not fall for any indicator -------------------


def _check_counts(
    ia: Mapping[str, Indicator], ib: Mapping[str, Indicator], level_reads: set[str], out: ChangeList, t: Tracked
) -> None:
    read = [n for n in COUNTS if n in level_reads]
    for iid, idx in t.contribution.items():
        if iid not in ia or iid not in ib:
            continue
        before = _counts(_contribution(ia[iid]), read)
        after = _counts(_contribution(ib[iid]), read)
        fallen = [n for n, x, y in zip(read, before, after, strict=True) if y < x]
        if fallen:
            out.major(
                idx,
                f"'{iid}' no longer adds to the count{'s' if len(fallen) > 1 else ''} "
                f"{', '.join(fallen)} that the level rules read",
            )


# --- 5: the step from old to new counts needs monotone level rules ------------------------------------


def _check_monotone_levels(new_lv: _Levels, out: ChangeList, t: Tracked) -> None:
    non_monotone = {n for _lv, tree in new_lv for n in not_monotone(tree)}
    if not (non_monotone and t.raises_anything()):
        return
    blame = [
        *t.widened.values(),
        *t.added_at.values(),
        *(k for v in t.contribution.values() for k in v),
        *t.dim_rule_change.values(),
    ]
    out.major(
        blame,
        "the new level rules are not monotone in "
        f"{', '.join(sorted(non_monotone))}, so a count or dimension that rises can lower the level",
    )


# --- 4: the level rules themselves --------------------------------------------------------------------


def _check_level_rules(
    a: IndicatorSet, b: IndicatorSet, old_lv: _Levels, new_lv: _Levels, out: ChangeList, t: Tracked
) -> None:
    same_levels = len(old_lv) == len(new_lv) and all(
        x.id == y.id and x.scale == y.scale and same_meaning(tx, ty)
        for (x, tx), (y, ty) in zip(old_lv, new_lv, strict=True)
    )
    if same_levels:
        return
    witness = _levels_can_fall(a, b, old_lv, new_lv)
    if witness == "too many":
        out.major(
            t.level_change, "the level rules read too many names to compare exhaustively; treated as able to fall"
        )
    elif witness:
        out.major(t.level_change, f"the level can fall: {witness}")


def _level_of(levels: _Levels, env: Mapping[str, Any]) -> int:
    return max((lv.scale.rank for lv, tree in levels if evaluate(tree, env) is True), default=0)


def _domain(name: str, old: IndicatorSet, new: IndicatorSet) -> Sequence[Any]:
    """The values a name the level rules read can take under either version."""
    if name in ("strong", "medium", "weak", "met"):
        return range(max(len(old.indicators), len(new.indicators)) + 1)
    if name == "points":
        return range(
            max(sum(i.weight_points for i in old.indicators), sum(i.weight_points for i in new.indicators)) + 1
        )
    if name == "dimensions_present":
        return range(max(len(old.dimensions), len(new.dimensions)) + 1)
    return (False, True)  # a dimension or the red flag


def _levels_can_fall(old: IndicatorSet, new: IndicatorSet, old_levels: _Levels, new_levels: _Levels) -> str | None:
    read: dict[str, None] = {}
    for _lv, tree in (*old_levels, *new_levels):
        for n in names(tree):
            read.setdefault(n, None)
    domains = [_domain(n, old, new) for n in read]
    size = 1
    for d in domains:
        size *= len(d)
    if size > MAX_STATES:
        return "too many"
    for values in product(*domains):
        env = dict(zip(read, values, strict=True))
        before, after = _level_of(old_levels, env), _level_of(new_levels, env)
        if after < before:
            shown = ", ".join(f"{k}={v}" for k, v in env.items() if v) or "nothing present"
            return f"with {shown} the old rules reach '{_SCALE[before]}' and the new ones '{_SCALE[after]}'"
    return None
