"""Which unanswered questions can still change the level: a cheap sound filter, then an exact search.

A question is *relevant* when, in some completion of the other unknown answers, two of its answers give
different levels. Two steps decide it:

1. :class:`SoundFilter` drops, cheaply, what provably cannot matter: an undecided indicator that feeds
   no live part of the level rules (see :class:`~trafficscreen.core.interview.LevelLayer`), and a field
   that a wide condition, simplified on the answers given, no longer reads. It reasons about indicators
   as if their fields were independent, so it keeps some questions that cannot matter.
2. :class:`Relevance` settles each remaining question exactly by a search over partial completions. It
   looks for a completion in which two answers to the question lead to levels that certainly differ
   (then it is relevant) and closes a branch as soon as the answers all lead to one settled level, or the
   sound filter says the question can no longer matter there (then nothing below the branch makes it
   matter). The three-valued run of the compiled set gives the bounds, tightened by the sound filter (a
   level no live indicator can change is settled), so the search is exact when it ends.

The search works on *variables*: a yes/no, choice or number field is one variable; a set of choices is
one yes/no variable per choice some condition tests (the others cannot change anything). A number's
values are reduced to one per interval between the constants it is compared with, which give every
comparison the same truth inside the interval. Searches are exponential in the worst case, so the engine
runs one only when at most :data:`SMALL` completions of the unknown answers remain, and never for more
than :data:`RUNS` runs of the compiled set per screen; a question left unproven is kept, never dropped.
Early in an interview, with many answers missing, the sound filter's list stands
(``benchmarks/bench_ask_next.py`` measures how close to exact it is there).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from ..expr.interpret import evaluate
from ..expr.tree import And, Arith, Compare, Const, ConstList, In, IsKnown, Name, Node, Not, Or, names
from ..model.dictionary import FieldDef, FieldType
from .interview import LevelLayer, open_fields

if TYPE_CHECKING:
    from .compiled import CompiledSet, DimensionCounts, Status

__all__ = ["RUNS", "SMALL", "Budget", "Relevance", "SoundFilter", "level_bounds"]


SMALL = 1024
"""At most this many completions of the unknown answers (about ten yes/no questions): the engine searches,
and ``ask_next`` is exact unless the search reaches :data:`RUNS`. Above it, only the sound filter."""
RUNS = 1000
"""The most runs of the compiled set one screen's search may use: a bound on the work any one request can
cause (about 0.1 s here). Reached in 4 of 1,029 searched states near the end of an interview
(``benchmarks/bench_ask_next.py``); the questions it leaves unproven are kept."""


@dataclass
class Budget:
    """Runs of the compiled set the exact search of one screen may still use."""

    runs: int = RUNS


_CACHE_LIMIT = 4096
_MISSING = object()


class SoundFilter:
    """The undecided indicators that can still change the level, and the fields wide conditions still read.

    Sound, not exact: it never drops an indicator or field that can matter.
    """

    def __init__(self, cs: CompiledSet) -> None:
        d = cs.definition
        self.layer = LevelLayer.build(cs)
        self.needs: frozenset[str] = (
            frozenset(n for node in self.layer.atoms for n in names(node)) if self.layer else frozenset()
        )
        self.atom_indicators: list[int] = []
        if self.layer is not None:
            self.atom_indicators = [
                sum(1 << i for i, feed in enumerate(self.layer.feeds) if feed >> k & 1)
                for k in range(len(self.layer.atoms))
            ]
        self.all_indicators = (1 << len(d.indicators)) - 1
        self.dim_ids = [dim.id for dim in d.dimensions]
        self.red_flag_idx = [i for i, ind in enumerate(d.indicators) if ind.red_flag]
        # conditions over three fields or more: which of their unanswered fields can still change them
        self.wide = [
            (i, tree, fields, frozenset(fields))
            for i, ((tree, _c), fields) in enumerate(zip(cs.checked.indicators, cs.indicator_fields, strict=True))
            if len(fields) >= 3
        ]
        self._live_cache: dict[tuple[Any, ...], tuple[int, ...]] = {}
        self._open_cache: dict[tuple[Any, ...], tuple[str, ...]] = {}

    def reach(
        self,
        statuses: Sequence[Status],
        dim_status: Sequence[Status],
        dim_counts: Sequence[DimensionCounts],
        lo: int,
        hi: int,
    ) -> tuple[int, ...]:
        """Per open level ``lo < j <= hi``, lowest first, the indicators that can still decide whether it
        is reached (every indicator for every open level when the level rules are not monotone)."""
        if self.layer is None:
            return tuple(self.all_indicators for _ in range(lo + 1, hi + 1))
        values = self.layer.atom_values(self._atom_env(statuses, dim_status, dim_counts))
        key = (values, lo, hi)
        cached = self._live_cache.get(key)
        if cached is not None:
            return cached
        out = tuple(self._indicators_of(atoms) for atoms in self.layer.live_by_level(values, lo, hi))
        if len(self._live_cache) < _CACHE_LIMIT:
            self._live_cache[key] = out
        return out

    def _indicators_of(self, atoms: int) -> int:
        out = k = 0
        while atoms:
            if atoms & 1:
                out |= self.atom_indicators[k]
            atoms >>= 1
            k += 1
        return out

    def _atom_env(
        self, statuses: Sequence[Status], dim_status: Sequence[Status], dim_counts: Sequence[DimensionCounts]
    ) -> dict[str, Any]:
        """The names the level rules' atoms read: dimensions and red_flag three-valued, counts as intervals."""
        needs = self.needs
        env: dict[str, Any] = dict(zip(self.dim_ids, dim_status, strict=True))
        if "red_flag" in needs:
            flags = [statuses[i] for i in self.red_flag_idx]
            env["red_flag"] = True if True in flags else (None if None in flags else False)
        if needs & {"strong", "medium", "weak", "points"}:
            cols = [sum(col) for col in zip(*dim_counts, strict=True)]
            for n, name in enumerate(("strong", "medium", "weak", "points")):
                env[name] = (cols[2 * n], cols[2 * n + 1])
        if "met" in needs:
            met = statuses.count(True)
            env["met"] = (met, met + statuses.count(None))
        if "dimensions_present" in needs:
            present = dim_status.count(True)
            env["dimensions_present"] = (present, present + dim_status.count(None))
        return env

    def closed(self, unknown: int, answers: Mapping[str, Any]) -> dict[str, int]:
        """For each field, the unknown indicators over three or more fields that it can no longer change
        (their condition is settled on the other answers whatever it says): field -> bitmask."""
        dead: dict[str, int] = {}
        cache = self._open_cache
        answered = answers.keys()
        for i, tree, fields, field_set in self.wide:
            if not unknown >> i & 1:
                continue
            known = field_set & answered
            if not known:
                continue  # nothing answered: every field can still change the condition
            key = (i, frozenset((f, answers[f]) for f in known))
            closed = cache.get(key)
            if closed is None:
                still = open_fields(tree, dict(answers))
                closed = tuple(f for f in fields if f not in still and f not in answers)
                if len(cache) < _CACHE_LIMIT:
                    cache[key] = closed
            bit = 1 << i
            for f in closed:
                dead[f] = dead.get(f, 0) | bit
        return dead


def level_bounds(level_status: Sequence[Status]) -> tuple[int, int]:
    """(index of the level reached, index of the highest still possible), -1 for none."""
    lo = hi = -1
    for j, st in enumerate(level_status):
        if st is True:
            lo = j
        if st is not False:
            hi = j
    return lo, hi


@dataclass(frozen=True)
class _Var:
    """One search variable: a whole field, or one choice of a set field (``code`` set)."""

    field: str
    code: str | None
    values: tuple[Any, ...]


class _OutOfBudget(Exception):
    pass


class Relevance:
    """Exact relevance of unanswered fields for one compiled set. Keeps only caches; safe to share."""

    def __init__(self, cs: CompiledSet, sound: SoundFilter) -> None:
        self.run = cs.run
        self.sound = sound
        usage = _Usage()
        for tree, _checker in cs.checked.indicators:
            usage.walk(tree)
        self.vars: dict[str, tuple[_Var, ...]] = {}
        for f in cs.used_fields:
            self.vars[f] = _variables(cs.dictionary.by_id[f], usage) or ()
        readers = self.readers = cs.field_readers
        dims = [ind.dimension for ind in cs.definition.indicators]
        self.dims_of = {f: frozenset(dims[i] for i in range(len(dims)) if mask >> i & 1) for f, mask in readers.items()}
        self._cs = cs
        self._quiet: dict[_Var, Any] = {}

    def irrelevant(
        self, answers: Mapping[str, Any], candidates: Sequence[str], undecided: int, budget: Budget | None = None
    ) -> tuple[set[str], list[str]]:
        """(fields proved unable to change the level, fields left unproven by the budget) among
        ``candidates``, the unanswered fields the sound filter kept, settled in the order given.

        First one step for every question (each answer given, the rest unknown: does every answer
        settle at one level, or do two answers part whatever the rest?), then the exhaustive search
        for the questions that step leaves open, while the budget lasts. ``undecided`` is the bitmask of
        indicators still unknown: a field none of them reads cannot change anything and is not searched.
        """
        readers = self.readers
        unknown = [f for f in self.vars if f not in answers and readers[f] & undecided]
        if budget is None:
            budget = Budget() if self.completions(unknown) <= SMALL else Budget(runs=0)
        dropped: set[str] = set()
        unproven: list[str] = []
        memo: dict[frozenset[tuple[_Var, Any]], tuple[int, int, int, int]] = {}
        still_open = self._one_step(answers, candidates, unknown, budget, dropped, unproven, memo)
        for search in still_open:
            search.budget = search.limit = budget.runs
            try:
                if budget.runs <= 0:
                    raise _OutOfBudget
                if not search.matters():
                    dropped.add(search.field)
            except _OutOfBudget:
                unproven.append(search.field)
            budget.runs -= search.used
        return dropped, unproven

    def _one_step(
        self,
        answers: Mapping[str, Any],
        candidates: Sequence[str],
        unknown: list[str],
        budget: Budget,
        dropped: set[str],
        unproven: list[str],
        memo: dict[frozenset[tuple[_Var, Any]], tuple[int, int, int, int]],
    ) -> list[_Search]:
        """Settle what one step settles (adding to ``dropped`` and ``unproven``); the searches left open."""
        still_open: list[_Search] = []
        for f in candidates:
            if not self.vars.get(f) or budget.runs <= 0:
                unproven.append(f)  # a field whose values cannot be reduced, or no budget left
                continue
            search = _Search(self, answers, f, unknown, budget.runs, memo)
            try:
                outcome = search.one_step()
            except _OutOfBudget:
                unproven.append(f)
                continue
            finally:
                budget.runs -= search.used
            if outcome is False:
                dropped.add(f)
            elif outcome is None:
                still_open.append(search)
        return still_open

    def quiet(self, var: _Var) -> Any:
        """The answer of a variable that leaves the fewest of its readers possibly met (computed on first
        use and kept: it depends only on the set)."""
        found = self._quiet.get(var, _MISSING)
        if found is _MISSING:
            found = self._quiet[var] = _quiet(self._cs, var, self.readers[var.field])
        return found

    def completions(self, unknown: Sequence[str]) -> float:
        """How many completions of the unknown fields the search could have to visit (inf when a field's
        values cannot be reduced)."""
        total = 1.0
        for f in unknown:
            vs = self.vars[f]
            if not vs:
                return math.inf
            for v in vs:
                total *= len(v.values)
            if total > SMALL:
                return total
        return total

    def state(self, answers: Mapping[str, Any]) -> tuple[int, int, int, int]:
        """(level reached, highest possible, undecided indicators that can still change it, undecided
        indicators) for partial answers; the highest is the level reached when nothing live is left."""
        statuses, dim_status, dim_counts, level_status = self.run(answers)
        lo, hi = level_bounds(level_status)
        undecided = 0
        for i, st in enumerate(statuses):
            if st is None:
                undecided |= 1 << i
        if lo == hi:
            return lo, hi, 0, undecided
        live = 0
        for mask in self.sound.reach(statuses, dim_status, dim_counts, lo, hi):
            live |= mask
        live &= undecided
        return (lo, lo if not live else hi, live, undecided)


class _Search:
    """The search for one field: a completion of the others in which two of its answers part."""

    def __init__(
        self,
        rel: Relevance,
        answers: Mapping[str, Any],
        field: str,
        unknown: list[str],
        budget: int,
        memo: dict[frozenset[tuple[_Var, Any]], tuple[int, int, int, int]],
    ) -> None:
        self.rel = rel
        self.memo = memo  # states already run in this screen's searches, by the variables assigned
        self.base = dict(answers)
        self.field = field
        self.unknown = unknown
        self._others: list[_Var] | None = None
        self.budget = self.limit = budget

    @property
    def used(self) -> int:
        return self.limit - max(self.budget, 0)

    @property
    def others(self) -> list[_Var]:
        """The other variables, those read with this field by one condition first, then those of the
        same dimensions (the partners a witness usually needs)."""
        if self._others is None:
            rel, near, mine = self.rel, self.rel.dims_of[self.field], self.rel.readers[self.field]
            found = [v for f in self.unknown if f != self.field for v in rel.vars[f] or ()]
            found.sort(key=lambda v: (not rel.readers[v.field] & mine, not rel.dims_of[v.field] & near))
            self._others = found
        return self._others

    @others.setter
    def others(self, value: list[_Var]) -> None:
        self._others = value

    def one_step(self) -> bool | None:
        """Each answer given, the rest unknown: False when every answer settles at one level, True when
        two answers lead to levels that differ whatever the rest, None when that does not decide it."""
        own = self.rel.vars[self.field]
        if own[0].code is not None:
            return None  # a choice of a set is decided with the other choices: left to the search
        worlds = [self._state({own[0]: v}) for v in own[0].values]
        if max(w[0] for w in worlds) > min(w[1] for w in worlds):
            return True
        if min(w[0] for w in worlds) == max(w[1] for w in worlds):
            return False
        return None

    def matters(self) -> bool:
        own = self.rel.vars[self.field]
        if own[0].code is None:
            return self._node(own[0], {})
        # a set of choices matters when one of its choices does, the other choices part of the completion
        rest = self.others
        for k, var in enumerate(own):
            self.others = [*(v for j, v in enumerate(own) if j != k), *rest]
            if self._node(var, {}):
                return True
        return False

    def _state(self, assigned: dict[_Var, Any]) -> tuple[int, int, int, int]:
        key = frozenset(assigned.items())
        found = self.memo.get(key)
        if found is not None:
            return found
        self.budget -= 1
        if self.budget < 0:
            raise _OutOfBudget
        found = self.memo[key] = self.rel.state(self._answers(assigned))
        return found

    def _answers(self, assigned: dict[_Var, Any]) -> dict[str, Any]:
        out = dict(self.base)
        chosen: dict[str, set[str]] = {}
        seen: dict[str, int] = {}
        for var, value in assigned.items():
            if var.code is None:
                out[var.field] = value
                continue
            seen[var.field] = seen.get(var.field, 0) + 1
            if value:
                chosen.setdefault(var.field, set()).add(var.code)
        for f, n in seen.items():
            if n == len(self.rel.vars[f]):  # every tested choice decided: the set is known
                out[f] = frozenset(chosen.get(f, ()))
        return out

    def _node(self, var: _Var, assigned: dict[_Var, Any]) -> bool:
        lo, hi, live, _undecided = self._state(assigned)
        if lo == hi or not live & self.rel.readers[self.field]:
            return False  # settled, or the field feeds nothing that can change the level below here
        worlds = [self._state({**assigned, var: v}) for v in var.values]
        los = [w[0] for w in worlds]
        his = [w[1] for w in worlds]
        if max(los) > min(his):
            return True  # two answers lead to levels that differ whatever the rest turns out to be
        if min(los) == max(his):
            return False  # every answer gives the same settled level below here
        if self._quiet_witness(var, assigned):
            return True
        reading = live | worlds[0][2] | worlds[-1][2]
        nxt = self._pick(assigned, reading) or self._pick(assigned, -1)
        if nxt is None:  # pragma: no cover - with every variable assigned each bound is settled
            return False
        quiet = self.rel.quiet(nxt)
        order = sorted(nxt.values, key=lambda w: w == quiet)  # the answers that raise something first
        return any(self._node(var, {**assigned, nxt: w}) for w in order)

    def _quiet_witness(self, var: _Var, assigned: dict[_Var, Any]) -> bool:
        """Every unassigned variable at its quietest answer: do two answers part there?"""
        full = dict(assigned)
        for v in self.others:
            if v not in full:
                full[v] = self.rel.quiet(v)
        levels = {self._state({**full, var: x})[0] for x in var.values}
        return len(levels) > 1

    def _pick(self, assigned: dict[_Var, Any], reading: int) -> _Var | None:
        readers = self.rel.readers
        for v in self.others:
            if v not in assigned and readers[v.field] & reading:
                return v
        return None


class _Usage:
    """How the conditions use each field: constants compared with it, choices tested, or 'opaque' (in
    arithmetic or compared with another field, so that its values cannot be reduced)."""

    def __init__(self) -> None:
        self.constants: dict[str, set[Any]] = {}
        self.codes: dict[str, set[str]] = {}
        self.opaque: set[str] = set()

    def walk(self, node: Node) -> None:
        match node:
            case Name() | Const() | ConstList() | IsKnown():
                return
            case Not(operand=o):
                self.walk(o)
            case And(operands=ops) | Or(operands=ops):
                for o in ops:
                    self.walk(o)
            case In(item=Const(value=v), container=Name(id=i)) if isinstance(v, str):
                self.codes.setdefault(i, set()).add(v)
            case In(item=Name(id=i), container=ConstList(items=items)):
                self.constants.setdefault(i, set()).update(c.value for c in items)
            case Compare(left=Name(id=i), right=Const(value=v)) | Compare(left=Const(value=v), right=Name(id=i)):
                self.constants.setdefault(i, set()).add(v)
            case Compare(left=a, right=b) | Arith(left=a, right=b) | In(item=a, container=b):
                self.opaque.update(names(a), names(b))


def _variables(fd: FieldDef, usage: _Usage) -> tuple[_Var, ...] | None:
    """The search variables of a field, or None when its values cannot be reduced (then not searched)."""
    f = fd.id
    if f in usage.opaque:
        return None
    t = fd.type
    if t is FieldType.BOOLEAN:
        return (_Var(f, None, (False, True)),)
    if t is FieldType.ENUM:
        return (_Var(f, None, tuple(sorted(fd.codes))),)
    if t is FieldType.SET:
        return tuple(_Var(f, c, (False, True)) for c in sorted(usage.codes.get(f, ()))) or None
    if t in (FieldType.INTEGER, FieldType.NUMBER, FieldType.DATE):
        reps = _representatives(fd, usage.constants.get(f, set()))
        return (_Var(f, None, reps),) if reps else None
    return None


def _representatives(fd: FieldDef, constants: set[Any]) -> tuple[Any, ...] | None:
    """One value per interval between the constants a number or date is compared with, and each
    constant: every comparison with those constants has the same truth inside an interval."""
    if fd.type is FieldType.DATE:
        if not constants or not all(isinstance(c, date) for c in constants):
            return None
        day = timedelta(days=1)
        return tuple(sorted({p for c in constants for p in (c - day, c, c + day)}))
    if not all(isinstance(c, int | float) and not isinstance(c, bool) for c in constants):
        return None
    lo = float(fd.min) if fd.min is not None else min(constants, default=0) - 1.0
    hi = float(fd.max) if fd.max is not None else max(constants, default=0) + 1.0
    points = sorted({lo, hi, *(float(c) for c in constants if lo <= c <= hi)})
    reps = set(points)
    for a, b in itertools.pairwise(points):
        if fd.type is FieldType.INTEGER:
            k = math.floor(a) + 1
            if k < b:
                reps.add(float(k))
        else:
            reps.add((a + b) / 2)
    if fd.type is FieldType.INTEGER:
        return tuple(sorted({int(r) for r in reps if r.is_integer()}))
    return tuple(sorted(reps))


def _quiet(cs: CompiledSet, var: _Var, readers: int) -> Any:
    """The answer of a variable that leaves the fewest of its readers possibly met (ties: the first)."""
    best: tuple[int, Any] | None = None
    trees = [tree for i, (tree, _c) in enumerate(cs.checked.indicators) if readers >> i & 1]
    for value in var.values:
        answer = (frozenset([var.code]) if value else frozenset()) if var.code is not None else value
        still = sum(1 for tree in trees if evaluate(tree, {var.field: answer}) is not False)
        if best is None or still < best[0]:
            best = (still, value)
    assert best is not None
    return best[1]
