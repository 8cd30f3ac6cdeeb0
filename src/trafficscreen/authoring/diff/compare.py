"""``diff_sets``: the change table, then the impact analysis, then the bump the whole change needs."""

from __future__ import annotations

from ...model.indicator_set import IndicatorSet
from .changes import ChangeList, SetDiff, Tracked, dimension_changes, indicator_changes, level_changes, set_changes
from .impact import analyse
from .versions import Bump, bump_rank, version_bump


def diff_sets(a: IndicatorSet, b: IndicatorSet) -> SetDiff:
    """Compare set version ``a`` (old) with ``b`` (new). Pure: reads nothing but the two definitions."""
    out, tracked = ChangeList(), Tracked()
    set_changes(a, b, out)
    added, removed, changed = indicator_changes(a, b, out, tracked)
    dimension_changes(a, b, out, tracked)
    level_changes(a, b, out, tracked)
    analyse(a, b, out, tracked)
    required: Bump = max((c.bump for c in out.changes), key=bump_rank, default="patch")
    return SetDiff(
        old=a.ref,
        new=b.ref,
        added=added,
        removed=removed,
        changed=changed,
        changes=tuple(out.changes),
        required_bump=required,
        reasons=tuple(out.reasons) if required == "major" else (),
        actual_bump=version_bump(a.version, b.version) if a.id == b.id else None,
    )
