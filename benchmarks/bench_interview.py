"""Interview simulation: how many questions a nurse asks until the level is settled (issue 12, item 3).

Run through ``make bench`` or ``python benchmarks/bench_interview.py`` (``--quick`` for a small
population). Every figure comes from this run; nothing here is asserted (``tests/project/test_bench_interview.py``
checks the invariant on a small population).

For the newest version of each shipped set (drafts included and marked), a seeded synthetic population
of *complete* encounters: ``synth_cohort`` (a share ``PREVALENCE`` of positive rows, whose answers lean
towards the set's indicators), each unknown filled with an answer drawn from another row of the same
label, so that every field is known. Every level of the set is then topped up to at least a tenth of
the population from a larger pool of the same generator (refer is rare in the ILO sets: their answers
are drawn independently, and a child with recruitment and exploitation nearly always meets coercion
too). Children are 11-17 (the dictionary puts questions about sex to a child from 11, others from 8),
seen alone and speak the local language, so every question can be asked. A separate small population
of infants (0-1 years) shows what happens when the child cannot be asked.

A simulated nurse interviews each hidden encounter: start with no answers; screen; stop when the result
is settled (no answer can change the level) or when the strategy has nothing left to ask; otherwise ask
the one question the strategy picks, copy that answer from the hidden encounter and count it. Strategies:

* **engine**: the first question of ``result.ask_next``, whatever order the engine gives;
* **today's order**: the order ``ask_next`` had before issue 12 — red flags first, then by the strongest
  indicator reading the field, then set order — over the fields of indicators still unknown, computed
  here from the set as a fixed baseline;
* **dictionary order**: the first unanswered field the set reads, in data-dictionary order.

The two baselines keep the same safety rules as the engine: a question whose ask rule is not met is
skipped (the fact stays unknown), and while a rule reads a fact not yet recorded (the age, who is
present) that fact is asked first, as ``ask_next`` does. Every interview of an 11-17 year old must end
settled at the level of the complete encounter; a difference is a bug, counted and shown, never hidden.
"""

from __future__ import annotations

import math
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from trafficscreen.content.loader import load_set, shipped_sets
from trafficscreen.core.compiled import CompiledSet
from trafficscreen.core.engine import DEFAULT_SET, Screener
from trafficscreen.core.interview import CheckedAskRule, askability, compile_ask_rules
from trafficscreen.model.indicator_set import Status, Strength
from trafficscreen.model.result import IndicatorStatus, ScreeningResult

Row = tuple[str, float, str]

N_PER_SET = 300  # complete 11-17 year old encounters per set
N_INFANTS = 40  # infants (0-1 years) per set
PREVALENCE = 0.2  # share of rows drawn as positive (their answers lean towards the set's indicators)
SEED = 20261124
N_STEP = 300  # partial encounters for the timing rows
MIN_AGE = 11  # the youngest age at which every question (sexual topics from 11) can be put to the child
MIN_SHARE = 0.1  # every level of a set is topped up to at least this share of its population
POOL_FACTOR = 20  # the top-up pool, in multiples of the population
STRATEGIES = ("engine", "today's order", "dictionary order")
_PRIORITY = {Strength.STRONG: 0, Strength.MEDIUM: 1, Strength.WEAK: 2, None: 3}
_RANK = {"none": 0, "concern": 1, "refer": 2, "urgent": 3}

Picker = Callable[[ScreeningResult, dict[str, Any]], "str | None"]


# --- population --------------------------------------------------------------------------------------


def latest_sets() -> list[CompiledSet]:
    """The newest version of every shipped set, drafts included."""
    newest: dict[str, Any] = {}
    for ident, _version, path in shipped_sets():  # versions sorted oldest first
        newest[ident] = path
    return [load_set(path, allow_draft=True) for path in newest.values()]


def population(
    cs: CompiledSet, n: int, seed: int, *, prevalence: float = PREVALENCE, infants: bool = False
) -> list[dict[str, Any]]:
    """``n`` complete encounters (every dictionary field known) for ``cs``, reproducible from ``seed``."""
    from trafficscreen.research.synth import LABEL, synth_cohort

    rng = random.Random(seed)
    fields = [fd.id for fd in cs.dictionary.fields]
    # at least 50 rows drawn, so that every column has known answers to fill its unknowns from
    rows = synth_cohort(cs, max(n, 50), prevalence, seed).select(LABEL, *fields).to_dicts()
    for f in fields:  # fill each unknown from another row of the same label (the other label if none)
        pools = {lab: [r[f] for r in rows if r[LABEL] == lab and r[f] is not None] for lab in (0, 1)}
        for r in rows:
            if r[f] is None:
                pool = pools[r[LABEL]] or pools[1 - r[LABEL]]
                r[f] = rng.choice(pool)
    out = []
    for r in rows:
        del r[LABEL]
        by_id = cs.dictionary.by_id
        if "age_years" in by_id:
            r["age_years"] = rng.randint(0, 1) if infants else rng.randint(MIN_AGE, 17)
        if not infants:
            for f in ("child_seen_alone", "child_speaks_local_language"):
                if f in by_id:
                    r[f] = True
        out.append({k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items()})
    return out[:n]


def cohort(cs: CompiledSet, screener: Screener, n: int, seed: int) -> tuple[list[dict[str, Any]], list[str]]:
    """``population`` with every level of the set topped up to at least ``MIN_SHARE`` of the rows (as far
    as a pool of ``POOL_FACTOR * n`` rows drawn at prevalence 0.5 holds such rows), replacing random rows
    of the commonest level; with the complete level of each row."""
    rows = population(cs, n, seed)
    levels = [screener.screen({"answers": h}).level.value for h in rows]
    wanted = math.ceil(MIN_SHARE * n)
    short = {lv: wanted - levels.count(lv) for lv in ("none", *(x.scale.value for x in cs.definition.levels))}
    if any(k > 0 for k in short.values()):
        rng = random.Random(seed)
        pool = population(cs, POOL_FACTOR * n, seed + 1, prevalence=0.5)
        spare: dict[str, list[dict[str, Any]]] = {}
        for h in pool:
            spare.setdefault(screener.screen({"answers": h}).level.value, []).append(h)
        for lv, k in short.items():
            for h in spare.get(lv, [])[: max(0, k)]:
                common = max(sorted(set(levels)), key=levels.count)
                i = rng.choice([j for j, x in enumerate(levels) if x == common])
                rows[i], levels[i] = h, lv
    return rows, levels


# --- strategies --------------------------------------------------------------------------------------


class Baselines:
    """Today's order and dictionary order for one set, with the engine's who-can-be-asked rules."""

    def __init__(self, cs: CompiledSet) -> None:
        d = cs.definition
        rank: dict[str, tuple[int, int, int]] = {}
        readers: dict[str, set[str]] = {}
        for i, (ind, fields) in enumerate(zip(d.indicators, cs.indicator_fields, strict=True)):
            key = (0 if ind.red_flag else 1, _PRIORITY[ind.strength], i)
            for f in fields:
                readers.setdefault(f, set()).add(ind.id)
                if f not in rank or key < rank[f]:
                    rank[f] = key
        self.today = sorted(rank, key=rank.__getitem__)  # what Screener._question_order was
        self.readers = readers
        used = set(cs.used_fields)
        self.dictionary = [fd.id for fd in cs.dictionary.fields if fd.id in used]
        self.field_order = {fd.id: n for n, fd in enumerate(cs.dictionary.fields)}
        rules = compile_ask_rules(cs.dictionary)
        self.rule_of: dict[str, CheckedAskRule] = {
            f: rules[fd.askable_when] for f in used if (fd := cs.dictionary.by_id[f]).askable_when is not None
        }

    def _first_askable(self, candidates: list[str], answers: dict[str, Any]) -> str | None:
        """The first candidate that can be asked now; a fact an open ask rule reads comes first."""
        gates: set[str] = set()
        first: str | None = None
        for f in candidates:
            rule = self.rule_of.get(f)
            status, which = askability(rule, answers) if rule is not None else (True, ())
            if status is True:
                first = first or f
            elif status is None and rule is not None:
                gates.update(g for k in which for g in rule.reads_by_requirement[k] if g not in answers)
        if gates:
            return min(gates, key=self.field_order.__getitem__)
        return first

    def today_pick(self, r: ScreeningResult, answers: dict[str, Any]) -> str | None:
        unknown = {o.id for o in r.indicators if o.status is IndicatorStatus.UNKNOWN}
        return self._first_askable([f for f in self.today if f not in answers and self.readers[f] & unknown], answers)

    def dictionary_pick(self, r: ScreeningResult, answers: dict[str, Any]) -> str | None:
        return self._first_askable([f for f in self.dictionary if f not in answers], answers)


def engine_pick(r: ScreeningResult, answers: dict[str, Any]) -> str | None:
    return r.ask_next[0].field if r.ask_next else None


# --- the interview -----------------------------------------------------------------------------------


@dataclass
class Outcome:
    asked: int
    level: str  # level reached when the interview stopped
    settled: bool
    complete_level: str
    highest: str  # highest possible level when it stopped
    fields: list[str]  # the questions asked, in order
    problem: str | None = None  # a bug: the strategy asked a field it already had, or the cap was hit


def interview(screener: Screener, hidden: dict[str, Any], pick: Picker, complete_level: str) -> Outcome:
    answers: dict[str, Any] = {}
    cap = len(hidden) + 5
    problem = None
    while True:
        r = screener.screen({"answers": answers})
        if r.settled:
            break
        f = pick(r, answers)
        if f is None:
            break
        if f in answers or f not in hidden or len(answers) >= cap:
            problem = f"asked '{f}' " + (
                "again" if f in answers else "which is not in the encounter" if f not in hidden else "past the cap"
            )
            break
        answers[f] = hidden[f]
    return Outcome(
        len(answers), r.level.value, r.settled, complete_level, r.highest_possible.value, list(answers), problem
    )


@dataclass
class SetReport:
    ref: str
    draft: bool
    levels: dict[str, int]  # complete levels of the population
    n_fields: int
    outcomes: dict[str, list[Outcome]] = field(default_factory=dict)
    infants: dict[str, list[Outcome]] = field(default_factory=dict)
    infant_levels: dict[str, int] = field(default_factory=dict)


def simulate(cs: CompiledSet, n: int, n_infants: int, seed: int) -> SetReport:
    screener = Screener(cs, allow_draft=True)
    base = Baselines(cs)
    pickers: dict[str, Picker] = {
        "engine": engine_pick,
        "today's order": base.today_pick,
        "dictionary order": base.dictionary_pick,
    }

    def run_all(people: list[dict[str, Any]]) -> tuple[dict[str, list[Outcome]], dict[str, int]]:
        complete = [screener.screen({"answers": h}) for h in people]
        levels: dict[str, int] = {}
        for c in complete:
            levels[c.level.value] = levels.get(c.level.value, 0) + 1
        out = {
            name: [interview(screener, h, p, c.level.value) for h, c in zip(people, complete, strict=True)]
            for name, p in pickers.items()
        }
        return out, dict(sorted(levels.items(), key=lambda kv: _RANK[kv[0]]))

    teens, levels = run_all(cohort(cs, screener, n, seed)[0])
    report = SetReport(cs.ref, cs.definition.status is not Status.ACTIVE, levels, len(cs.used_fields), teens)
    if n_infants and "age_years" in cs.dictionary.by_id:
        report.infants, report.infant_levels = run_all(population(cs, n_infants, seed + 3, infants=True))
    return report


def mismatches(outcomes: list[Outcome]) -> list[Outcome]:
    """Interviews of a child who can be asked everything that did not end settled at the complete level."""
    return [o for o in outcomes if o.problem or not o.settled or o.level != o.complete_level]


def p90(xs: list[int]) -> int:
    """Nearest-rank 90th percentile."""
    s = sorted(xs)
    return s[max(0, math.ceil(0.9 * len(s)) - 1)]


# --- timing ------------------------------------------------------------------------------------------


def timings(n: int, seed: int) -> tuple[float, float, str]:
    """Median seconds of one interview step (ordered ask_next read) and of one plain screen (the level read)."""
    cs = load_set(DEFAULT_SET)
    screener = Screener(cs)
    rng = random.Random(seed)
    partial = []
    for h in population(cs, n, seed + 2):
        keep = rng.random()
        partial.append({"answers": {k: v for k, v in h.items() if rng.random() < keep}})

    def step(e: dict[str, Any]) -> list[str]:
        return [q.field for q in screener.screen(e).ask_next]

    def plain(e: dict[str, Any]) -> str:
        return screener.screen(e).level.value

    for e in partial:  # warm the screener's caches
        step(e)
    samples: dict[Callable[[dict[str, Any]], Any], list[float]] = {step: [], plain: []}
    for _ in range(3):  # the two interleaved, encounter by encounter, so that both see the same load
        for e in partial:
            for fn, out in samples.items():
                t = time.perf_counter()
                fn(e)
                out.append(time.perf_counter() - t)
    return statistics.median(samples[step]), statistics.median(samples[plain]), cs.ref


# --- benchmark entry points --------------------------------------------------------------------------

_reports: list[SetReport] = []
_timing: list[tuple[float, float, str]] = []
_sizes: list[int] = []


def run(n: int = N_PER_SET, n_infants: int = N_INFANTS, n_step: int = N_STEP) -> list[Row]:
    _reports.clear()
    _timing.clear()
    _sizes[:] = [n, n_infants, n_step]
    rows: list[Row] = []
    for k, cs in enumerate(latest_sets()):
        rep = simulate(cs, n, n_infants, SEED + 10 * k)
        _reports.append(rep)
        tag = f"{rep.ref}{' (draft)' if rep.draft else ''}"
        for name in STRATEGIES:
            asked = [o.asked for o in rep.outcomes[name]]
            rows.append((f"{tag} {name}: median", statistics.median(asked), "questions to settle"))
            rows.append((f"{tag} {name}: p90", p90(asked), "questions to settle"))
            rows.append((f"{tag} {name}: mean", statistics.fmean(asked), "questions to settle"))
        for stat, fn in (("median", statistics.median), ("mean", statistics.fmean)):
            eng = fn([o.asked for o in rep.outcomes["engine"]])
            today = fn([o.asked for o in rep.outcomes["today's order"]])
            rows.append((f"{tag} engine / today's order, {stat}", eng / today, "×"))
        rows.append(
            (
                f"{tag} not settled at the complete level (bug)",
                sum(len(mismatches(rep.outcomes[s])) for s in STRATEGIES),
                "interviews",
            )
        )
    step, plain, ref = timings(n_step, SEED)
    _timing.append((step, plain, ref))
    rows.append((f"interview step, {ref}: screen + ordered ask_next, median", step * 1e6, "µs"))
    rows.append((f"plain screen, {ref}: the level read, ask_next not, median", plain * 1e6, "µs"))
    return rows


def notes() -> list[str]:
    n, n_infants, n_step = _sizes or [N_PER_SET, N_INFANTS, N_STEP]
    lines = [
        f"population per set: {n} complete encounters aged {MIN_AGE}-17, seen alone, local language "
        f"(synth_cohort, prevalence {PREVALENCE}, seed {SEED} + 10 per set; each level topped up to "
        f"{MIN_SHARE:.0%} where the pool has it); {n_infants} infants aged 0-1"
    ]
    for rep in _reports:
        tag = f"{rep.ref}{' (draft)' if rep.draft else ''}"
        lv = ", ".join(f"{k} {v}" for k, v in rep.levels.items())
        lines.append(f"{tag}: {rep.n_fields} fields read; complete levels: {lv}")
        for name in STRATEGIES:
            asked = [o.asked for o in rep.outcomes[name]]
            bad = mismatches(rep.outcomes[name])
            lines.append(
                f"    {name:17s} median {statistics.median(asked):5.1f}  p90 {p90(asked):3d}  "
                f"mean {statistics.fmean(asked):5.1f}  max {max(asked):3d}  mismatches {len(bad)}"
            )
            by_level = ", ".join(
                f"{lv} {statistics.median([o.asked for o in rep.outcomes[name] if o.complete_level == lv]):g}"
                for lv in rep.levels
            )
            lines.append(f"      median by complete level: {by_level}")
            for o in bad[:3]:
                lines.append(
                    f"      MISMATCH: asked {o.asked}, level {o.level} (settled {o.settled}), complete "
                    f"{o.complete_level}{'; ' + o.problem if o.problem else ''}"
                )
        if rep.infants:
            lv = ", ".join(f"{k} {v}" for k, v in rep.infant_levels.items())
            lines.append(f"  infants 0-1 (complete levels if every fact were known: {lv})")
            for name in STRATEGIES:
                outs = rep.infants[name]
                asked = [o.asked for o in outs]
                settled = sum(o.settled for o in outs)
                below = sum(_RANK[o.level] < _RANK[o.complete_level] for o in outs)
                broken = sum(
                    o.problem is not None
                    or _RANK[o.level] > _RANK[o.complete_level]
                    or _RANK[o.complete_level] > _RANK[o.highest]
                    for o in outs
                )
                lines.append(
                    f"    {name:17s} median {statistics.median(asked):5.1f}  p90 {p90(asked):3d}  "
                    f"settled {settled}/{len(outs)}  level below the complete one {below}  "
                    f"inconsistent (bug) {broken}"
                )
    for _step, _plain, ref in _timing:
        lines.append(
            f"timing on {ref}: {n_step} partial encounters (each field kept with a probability drawn "
            f"uniformly from 0-1), 3 passes; goals: step <= 1 ms, plain screen <= 25 µs (not asserted)"
        )
    return lines


if __name__ == "__main__":
    quick = "--quick" in sys.argv[1:]
    for label, value, unit in run(*((30, 10, 50) if quick else ())):
        print(f"{label:72s} {value:12.2f} {unit}")
    for line in notes():
        print(line)
