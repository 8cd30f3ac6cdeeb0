"""Comparing two versions of an indicator set: moved to :mod:`trafficscreen.authoring.diff`, and
re-exported here so that ``from trafficscreen.diff import diff_sets`` keeps working."""

from .authoring.diff import (
    BUMPS,
    Bump,
    Change,
    SetDiff,
    bump_rank,
    diff_sets,
    implies,
    not_monotone,
    same_meaning,
    version_bump,
)

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
