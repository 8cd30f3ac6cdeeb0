"""ask_next against a brute-force reference: exactly the questions that can still change the level.

The reference enumerates every completion of the few questions left unanswered and calls a question
*relevant* when, in some completion of the others, two answers to it give different levels. Both halves
are checked on every shipped set's small slices (all but a few answers given, so that the engine's exact
search always ends): every relevant question is offered, listed as not askable by anyone present, or
waits for the facts its ask rule reads (safety); and every offered question is relevant, or is such a
fact, asked first so that a relevant question can be put (exactness).
"""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest

from trafficscreen.content.loader import load_set, shipped_sets
from trafficscreen.core.engine import Screener
from trafficscreen.core.interview import askability, compile_ask_rules
from trafficscreen.model.dictionary import FieldDef, FieldType

SETS = [f"{i}@{v}" for i, v, _ in shipped_sets() if v.startswith(("2.", "0.2", "0.1.1"))]
MAX_UNKNOWN = 5


def _domain(fd: FieldDef) -> list[Any] | None:
    """Every answer a small field can take (None when the field is too large to enumerate here)."""
    if fd.type is FieldType.BOOLEAN:
        return [True, False]
    if fd.type is FieldType.ENUM:
        return sorted(fd.codes)
    if fd.type is FieldType.SET and len(fd.codes) <= 4:
        codes = sorted(fd.codes)
        return [list(c) for n in range(len(codes) + 1) for c in itertools.combinations(codes, n)]
    if fd.type is FieldType.INTEGER and fd.min is not None and fd.max is not None and fd.max - fd.min <= 30:
        return list(range(int(fd.min), int(fd.max) + 1))
    return None


def _random_answer(fd: FieldDef, rng: random.Random) -> Any:
    if fd.type is FieldType.BOOLEAN:
        return rng.random() < 0.06  # mostly no, so that the level is rarely settled at the top
    if fd.type is FieldType.ENUM:
        return rng.choice(sorted(fd.codes))
    if fd.type is FieldType.SET:
        return [c for c in sorted(fd.codes) if rng.random() < 0.05]
    lo, hi = int(fd.min or 0), int(fd.max if fd.max is not None else 30)
    return rng.randint(lo, min(hi, lo + 30))


def _relevant(screener: Screener, answers: dict[str, Any], unknown: list[str]) -> set[str]:
    by_id = screener.set.dictionary.by_id
    domains: dict[str, list[Any]] = {}
    for f in unknown:
        domain = _domain(by_id[f])
        assert domain is not None, f"{f}: the caller passes only fields small enough to enumerate"
        domains[f] = domain
    levels: dict[tuple[Any, ...], Any] = {}
    for combo in itertools.product(*(domains[f] for f in unknown)):
        full = {**answers, **dict(zip(unknown, combo, strict=True))}
        levels[tuple(map(repr, combo))] = screener.screen({"answers": full}).level
    out = set()
    for k, f in enumerate(unknown):
        by_rest: dict[tuple[Any, ...], set[Any]] = {}
        for key, level in levels.items():
            by_rest.setdefault(key[:k] + key[k + 1 :], set()).add(level)
        if any(len(found) > 1 for found in by_rest.values()):
            out.add(f)
    return out


@pytest.mark.parametrize("ref", SETS)
def test_no_question_that_can_change_the_level_is_missed(ref: str) -> None:
    screener = Screener(load_set(ref, allow_draft=True), allow_draft=True)
    cs = screener.set
    by_id = cs.dictionary.by_id
    small = [f for f in cs.used_fields if _domain(by_id[f]) is not None]
    rng = random.Random(f"ask-next-{ref}")
    rules = {r.id for r in cs.dictionary.ask_rules}
    compiled = compile_ask_rules(cs.dictionary)
    checked = relevant_total = 0
    for _ in range(200):
        unknown = rng.sample(small, min(MAX_UNKNOWN, len(small)))
        if len(list(itertools.product(*(_domain(by_id[f]) or [] for f in unknown)))) > 4000:
            continue
        answers = {f: _random_answer(by_id[f], rng) for f in cs.used_fields if f not in unknown}
        # everyone present who can be asked: the child is 14, alone, and speaks the language
        answers.update({"age_years": 14} if "age_years" not in unknown and "age_years" in by_id else {})
        if rules:
            answers.update({"child_seen_alone": True, "child_speaks_local_language": True})
            unknown = [f for f in unknown if f not in ("child_speaks_local_language",)]
        result = screener.screen({"answers": answers})
        relevant = _relevant(screener, answers, unknown)
        offered = {q.field for q in result.ask_next} | {f for g in result.cannot_ask for f in g.fields}
        waiting = {
            f for f in unknown if (rule := by_id[f].askable_when) and askability(compiled[rule], answers)[0] is None
        }
        assert relevant <= offered | waiting, f"missed {sorted(relevant - offered - waiting)}"
        gates = {
            f
            for q in relevant & waiting
            for f in compiled[by_id[q].askable_when or ""].reads  # what a waiting rule reads is asked first
        }
        assert offered & set(unknown) <= relevant | gates, f"not relevant: {sorted(offered - relevant - gates)}"
        recording = {q.field for q in result.worth_recording}
        assert not relevant & recording, "a question listed as only worth recording can change the level"
        assert not recording & offered
        if not relevant:
            assert result.settled or offered & set(unknown) or waiting
        checked += 1
        relevant_total += len(relevant)
    assert checked >= 20
    assert relevant_total >= checked // 4, "the slices should hold questions that matter"
