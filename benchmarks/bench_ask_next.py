"""How exact is ask_next where the engine does not run its search to the end? (issue 12, item 2)

Run through ``make bench`` or ``python benchmarks/run.py bench_ask_next`` (``--quick``: fewer states).
The engine settles ``ask_next`` exactly when at most ``SMALL`` completions of the unknown answers remain;
above that it offers the sound filter's list. Here every question the engine offers (in ``ask_next`` or
``cannot_ask``, the facts an ask rule reads left out) is searched again outside the engine with a large
budget, and counted as proved to matter, proved unable to change the level, or still undecided.

States, per active shipped set (newest version):

* **random partial**: complete synthetic encounters (``bench_interview.population``), each answer kept
  with a probability drawn uniformly from 0-1, as in the interview timing rows;
* **after refer**: interviews of the engine's own order (``bench_interview.cohort``), at the first step
  where the level reached is at least the set's second level (``refer``, or the ILO sets' presumed
  victim), which is where a list that still holds what cannot matter would cost a nurse most.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from typing import Any

from bench_interview import SEED, cohort, latest_sets, population

from trafficscreen.core.compiled import CompiledSet
from trafficscreen.core.engine import Screener
from trafficscreen.core.relevance import RUNS as RUNS_BOUND
from trafficscreen.core.relevance import SMALL, Budget
from trafficscreen.model.encounter import check_answers
from trafficscreen.model.indicator_set import Status

Row = tuple[str, float, str]
N_STATES = 100
RUNS = 5000  # runs of the compiled set per question in the search outside the engine


def random_partial(cs: CompiledSet, n: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for h in population(cs, n, seed):
        keep = rng.random()
        out.append({k: v for k, v in h.items() if rng.random() < keep})
    return out


def after_refer(cs: CompiledSet, screener: Screener, n: int) -> list[dict[str, Any]]:
    second = cs.definition.levels[1].scale if len(cs.definition.levels) > 1 else None
    states = []
    for hidden in cohort(cs, screener, n, SEED)[0]:
        answers: dict[str, Any] = {}
        while True:
            r = screener.screen({"answers": answers})
            if r.settled or not r.ask_next:
                break
            if second is not None and r.level.rank >= second.rank:
                states.append(dict(answers))
                break
            f = r.ask_next[0].field
            answers[f] = hidden[f]
    return states


def settle(screener: Screener, states: list[dict[str, Any]]) -> tuple[int, int, int, int]:
    """(offered, proved to matter, proved unable to change the level, undecided)."""
    cs = screener.set
    gates = {f for rule in cs.ask_rules.values() for f in rule.reads}
    rel = screener._relevance
    offered = matters = cannot = undecided = 0
    for state in states:
        r = screener.screen({"answers": state})
        fields = [q.field for q in r.ask_next if q.field not in gates]
        fields += [f for group in r.cannot_ask for f in group.fields]
        answers = check_answers(state, cs.dictionary)
        unknown = 0
        for i, ind in enumerate(r.indicators):
            if ind.status.value == "unknown":
                unknown |= 1 << i
        for f in fields:
            dropped, unproven = rel.irrelevant(answers, [f], unknown, Budget(runs=RUNS))
            offered += 1
            cannot += len(dropped)
            undecided += len(unproven)
            matters += not dropped and not unproven
    return offered, matters, cannot, undecided


def few_open(cs: CompiledSet, n: int, seed: int) -> list[dict[str, Any]]:
    """Encounters with every answer given but 6, 8, 10 or 12 yes/no questions, the child 14, seen alone and
    speaking the language: near the end of an interview, where the engine searches."""
    rng = random.Random(seed)
    present = {"age_years": 14, "child_seen_alone": True, "child_speaks_local_language": True}
    by_id = cs.dictionary.by_id
    booleans = [f for f in cs.used_fields if by_id[f].type.value == "boolean" and f not in present]
    out = []
    for h in population(cs, n, seed):
        left_open = set(rng.sample(booleans, min(len(booleans), rng.choice([6, 8, 10, 12]))))
        answers = {k: v for k, v in h.items() if k not in left_open}
        out.append({**answers, **{k: v for k, v in present.items() if k in by_id}})
    return out


def search_figures(screener: Screener, states: list[dict[str, Any]]) -> dict[str, float]:
    """For states near the end of an interview: how many the engine searched, the runs each search used,
    how many reached the bound (questions left unproven, kept), and the time to compute the lists."""
    rel = screener._relevance
    plain = rel.irrelevant
    used: list[int] = []
    bounded = 0

    def watched(answers: Any, candidates: Any, undecided: int, budget: Budget | None = None) -> Any:
        nonlocal bounded
        readers = rel.readers
        unknown = [f for f in rel.vars if f not in answers and readers[f] & undecided]
        if budget is not None or rel.completions(unknown) > SMALL:
            return plain(answers, candidates, undecided, budget)
        budget = Budget()
        out = plain(answers, candidates, undecided, budget)
        used.append(RUNS_BOUND - budget.runs)
        bounded += bool(out[1])
        return out

    rel.irrelevant = watched  # type: ignore[method-assign]  # a benchmark's probe, on this instance only
    times = []
    try:
        for state in states:
            r = screener.screen({"answers": state})
            t = time.perf_counter()
            _ = r.ask_next
            times.append(time.perf_counter() - t)
    finally:
        del rel.irrelevant
    used.sort()
    return {
        "searched": len(used),
        "runs median": statistics.median(used) if used else 0,
        "runs max": used[-1] if used else 0,
        "bound reached": bounded,
        "lists mean ms": sum(times) / len(times) * 1e3,
        "lists worst ms": max(times) * 1e3,
    }


_notes: list[str] = []


def run(n: int = N_STATES) -> list[Row]:
    _notes.clear()
    rows: list[Row] = []
    for cs in latest_sets():
        if cs.definition.status is not Status.ACTIVE:
            continue
        screener = Screener(cs)
        for kind, states in (
            ("random partial", random_partial(cs, n, SEED + 2)),
            ("after refer", after_refer(cs, screener, n)),
        ):
            offered, matters, cannot, undecided = settle(screener, states)
            label = f"{cs.ref}, {kind} ({len(states)} states)"
            rows += [
                (f"{label}: questions offered", offered, "questions"),
                (f"{label}: proved to matter", matters, "questions"),
                (f"{label}: proved unable to change the level", cannot, "questions"),
                (f"{label}: undecided after {RUNS} runs each", undecided, "questions"),
            ]
        figures = search_figures(screener, few_open(cs, 4 * n, SEED + 5))
        label = f"{cs.ref}, 6-12 yes/no questions left open ({4 * n} states)"
        rows += [(f"{label}: {name}", value, "") for name, value in figures.items()]
    _notes.append("offered = ask_next (the facts an ask rule reads left out) and cannot_ask, as the engine gives them")
    return rows


def notes() -> list[str]:
    return list(_notes)


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    for label, value, unit in run(20 if quick else N_STATES):
        print(f"{label:90s} {value:8.0f} {unit}")
