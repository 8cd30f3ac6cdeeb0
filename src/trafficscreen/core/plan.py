"""What a set counts, computed once per compiled set and read by every backend.

Every backend scores the same things: each indicator's condition; per dimension, the counts its rule
reads (and the strength counts and points every result reports); over the whole set, the counts the
level rules read, ``red_flag`` and ``dimensions_present``; then the levels. Which indicators each count
adds up, with which weights, is a fact about the set, not about a backend, so it lives here once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from ..expr.tree import And, Arith, Compare, Const, In, Name, Node, Not, Or, names
from ..model.common import LEVELS_IN_ORDER
from ..model.indicator_set import Strength

if TYPE_CHECKING:
    from ..model.indicator_set import Indicator, IndicatorSet
    from .compiled import CheckedSet

STRENGTHS = (Strength.STRONG, Strength.MEDIUM, Strength.WEAK)
COUNT_NAMES = ("strong", "medium", "weak", "points", "met")
REPORTED_COUNTS = ("strong", "medium", "weak", "points")
"""The counts every result reports for each dimension, whether or not a rule reads them."""

INDICATOR_PREFIX = "indicator."
DIMENSION_PREFIX = "dimension."
LEVEL_COLUMN = "level"
HIGHEST_COLUMN = "highest_possible"
INDICATOR_STATUSES = ("met", "not_met", "unknown")
DIMENSION_STATUSES = ("present", "absent", "unknown")
LEVEL_NAMES = tuple(lv.value for lv in LEVELS_IN_ORDER)
"""The engine-wide scale, lowest first: none, concern, refer, urgent."""

Members = tuple[tuple[int, int], ...]
"""(indicator index, weight) pairs of one count; no weight is 0."""


@dataclass(frozen=True)
class SetPlan:
    """The counting plan of one set. Indices are positions in the set's indicator and dimension lists."""

    indicator_ids: tuple[str, ...]
    dimension_ids: tuple[str, ...]
    strengths: tuple[Strength | None, ...]
    weights: tuple[int, ...]
    members: tuple[tuple[int, ...], ...]
    """Per dimension, the indices of its indicators, in set order."""
    red_flags: tuple[int, ...]
    dimension_reads: tuple[frozenset[str], ...]
    """Per dimension, the count names its rule reads."""
    level_reads: frozenset[str]
    """Every name the level rules read: counts, dimension ids, ``red_flag``, ``dimensions_present``."""
    scales: tuple[str, ...]
    """Per level rule, lowest first, the step of the engine-wide scale it reaches."""
    widest: int
    """The largest absolute value any count, or any arithmetic on counts in a rule, can take."""

    @classmethod
    def of(cls, definition: IndicatorSet, checked: CheckedSet) -> SetPlan:
        dim_index = {dim.id: k for k, dim in enumerate(definition.dimensions)}
        members: list[list[int]] = [[] for _ in definition.dimensions]
        for i, ind in enumerate(definition.indicators):
            members[dim_index[ind.dimension]].append(i)
        largest = _Largest(definition.indicators, members)
        widest = max(
            [largest.set_wide(n) for n in (*COUNT_NAMES, "dimensions_present")]
            + [largest.bound(tree, k) for k, (_t, tree, _c) in enumerate(checked.dimensions)]
            + [largest.bound(tree, None) for tree, _c in checked.levels]
        )
        return cls(
            indicator_ids=tuple(ind.id for ind in definition.indicators),
            dimension_ids=tuple(dim.id for dim in definition.dimensions),
            strengths=tuple(ind.strength for ind in definition.indicators),
            weights=tuple(ind.weight_points for ind in definition.indicators),
            members=tuple(tuple(m) for m in members),
            red_flags=tuple(i for i, ind in enumerate(definition.indicators) if ind.red_flag),
            dimension_reads=tuple(
                frozenset(n for n in names(tree) if n in COUNT_NAMES) for _t, tree, _c in checked.dimensions
            ),
            level_reads=frozenset(n for tree, _c in checked.levels for n in names(tree)),
            scales=tuple(lv.scale.value for lv in definition.levels),
            widest=widest,
        )

    def count_members(self, name: str, indices: tuple[int, ...] | range) -> Members:
        """The indicators a count adds up over ``indices``, with their weights."""
        if name == "points":
            chosen = [(i, self.weights[i]) for i in indices]
        elif name == "met":
            chosen = [(i, 1) for i in indices]
        else:
            strength = Strength(name)
            chosen = [(i, 1) for i in indices if self.strengths[i] is strength]
        return tuple((i, w) for i, w in chosen if w)

    def dimension_count(self, k: int, name: str) -> Members:
        return self.count_members(name, self.members[k])

    def set_count(self, name: str) -> Members:
        return self.count_members(name, range(len(self.indicator_ids)))

    @cached_property
    def level_counts(self) -> tuple[str, ...]:
        """The set-wide counts the level rules read, in :data:`COUNT_NAMES` order."""
        return tuple(n for n in COUNT_NAMES if n in self.level_reads)

    # --- output columns and words, as the batch and SQL paths write them ----------------------------
    @cached_property
    def indicator_columns(self) -> tuple[str, ...]:
        return tuple(INDICATOR_PREFIX + i for i in self.indicator_ids)

    @cached_property
    def dimension_columns(self) -> tuple[str, ...]:
        return tuple(DIMENSION_PREFIX + d for d in self.dimension_ids)


class _Largest:
    """The largest absolute value counts and rule arithmetic can take (to choose an integer width)."""

    def __init__(self, indicators: Sequence[Indicator], members: list[list[int]]) -> None:
        self.indicators = indicators
        self.members = members

    def _count(self, name: str, chosen: Sequence[Indicator]) -> int:
        if name == "points":
            return sum(abs(ind.weight_points) for ind in chosen)
        if name == "met":
            return len(chosen)
        return sum(1 for ind in chosen if ind.strength is not None and ind.strength.value == name)

    def set_wide(self, name: str) -> int:
        if name == "dimensions_present":
            return len(self.members)
        return self._count(name, self.indicators)

    def bound(self, node: Node, dimension: int | None) -> int:
        match node:
            case Name(id=i) if i in COUNT_NAMES:
                if dimension is None:
                    return self.set_wide(i)
                return self._count(i, [self.indicators[j] for j in self.members[dimension]])
            case Name(id="dimensions_present"):
                return len(self.members)
            case Const(value=v):
                return abs(int(v)) if isinstance(v, (int, float)) and not isinstance(v, bool) else 0
            case Arith(op=op, left=a, right=b):
                x, y = self.bound(a, dimension), self.bound(b, dimension)
                return x * y if op == "*" else x + y
            case Not(operand=o):
                return self.bound(o, dimension)
            case And(operands=ops) | Or(operands=ops):
                return max(self.bound(o, dimension) for o in ops)
            case Compare(left=a, right=b) | In(item=a, container=b):
                return max(self.bound(a, dimension), self.bound(b, dimension))
        return 0
