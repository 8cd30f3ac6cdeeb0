"""Core benchmarks: one full screen, condition evaluation against a hand-written baseline and peer rules
engines, import cost, and load-and-compile time. Run through ``make bench`` (or ``python benchmarks/bench_core.py``).

Every figure is measured in this run on this machine. Ratios compare engines on the same encounters in
the same process. Nothing here is asserted in a test.
"""

from __future__ import annotations

import functools
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from baseline_ilo_labour import SET_REF, screen_by_hand
from peers import build_peers, missing_answer_behaviour, plain

from trafficscreen.content.loader import load_set
from trafficscreen.core.compiled import CompiledSet
from trafficscreen.core.engine import DEFAULT_SET, Screener
from trafficscreen.model.dictionary import FieldType
from trafficscreen.model.encounter import check_answers

Row = tuple[str, float, str]
N_ENCOUNTERS = 2000


def screen_level(screener: Screener, encounter: dict[str, Any]) -> str:
    """A plain screen: the caller reads the level reached (the bounds, details and questions are built on
    first use)."""
    return screener.screen(encounter).level.value


def screen_and_bound(screener: Screener, encounter: dict[str, Any]) -> bool:
    """A screen whose caller reads the level and whether it is settled (the highest level still possible)."""
    result = screener.screen(encounter)
    return result.level is result.highest_possible and result.settled


def screen_and_ask(screener: Screener, encounter: dict[str, Any]) -> int:
    """A screen whose caller reads the questions to ask next (they are built on first use)."""
    return len(screener.screen(encounter).ask_next)


def screen_and_explain(screener: Screener, encounter: dict[str, Any]) -> int:
    """A screen whose caller reads the details (indicators, dimensions, reasons; built on first use)."""
    return len(screener.screen(encounter).reasons)


def random_answers(cs: CompiledSet, rng: random.Random, p_known: float, p_yes: float = 0.3) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in cs.used_fields:
        if rng.random() >= p_known:
            continue
        fd = cs.dictionary.by_id[f]
        if fd.type is FieldType.BOOLEAN:
            out[f] = rng.random() < p_yes
        elif fd.type in (FieldType.INTEGER, FieldType.NUMBER):
            out[f] = rng.randint(int(fd.min or 0), int(fd.max or 100))
        elif fd.type is FieldType.ENUM:
            out[f] = rng.choice(sorted(fd.codes))
        elif fd.type is FieldType.SET:
            out[f] = sorted(c for c in fd.codes if rng.random() < 0.2)
        else:
            out[f] = f"20{rng.randint(10, 25)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
    return out


def per_call(fn: Callable[[Any], Any], items: list[Any], repeats: int = 7) -> float:
    """Median over `repeats` runs of the mean seconds per call over `items`."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for item in items:
            fn(item)
        times.append((time.perf_counter() - start) / len(items))
    return statistics.median(times)


def median_call(fn: Callable[[], Any], n: int) -> float:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def import_cost(runs: int = 15) -> tuple[float, float]:
    """Median extra seconds `import trafficscreen` (and first use of the engine) add to start-up."""

    def start(code: str) -> float:
        samples = []
        for _ in range(runs):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            samples.append(time.perf_counter() - t)
        return statistics.median(samples)

    bare = start("pass")
    return start("import trafficscreen") - bare, start("import trafficscreen; trafficscreen.Screener") - bare


def check_baseline(cs: CompiledSet, encounters: list[dict[str, Any]]) -> None:
    screener = Screener(cs)
    for answers in encounters:
        statuses, dims, _counts, _levels = cs.run(answers)
        hand_ind, hand_dims, level, highest = screen_by_hand(answers)
        result = screener.screen({"answers": plain(answers)})
        if (
            list(statuses) != hand_ind
            or list(dims) != hand_dims
            or (level, highest) != (result.level.value, result.highest_possible.value)
        ):
            raise SystemExit(
                f"the hand-written baseline no longer matches {cs.ref}: update benchmarks/"
                "baseline_ilo_labour.py before comparing speeds"
            )


def traced_operations(fn: Callable[[dict[str, Any]], Any], answers: list[dict[str, Any]]) -> float:
    """Mean bytecode operations ``fn`` (a generated function) executes per call, counted by tracing."""
    code = fn.__code__
    count = 0

    def per_opcode(frame: FrameType, event: str, _arg: Any) -> Any:
        nonlocal count
        count += event == "opcode"
        return per_opcode

    def on_call(frame: FrameType, _event: str, _arg: Any) -> Any:
        if frame.f_code is not code:
            return None
        frame.f_trace_opcodes, frame.f_trace_lines = True, False
        return per_opcode

    sys.settrace(on_call)
    try:
        for a in answers:
            fn(a)
    finally:
        sys.settrace(None)
    return count / len(answers)


def run() -> list[Row]:
    rows: list[Row] = []
    rng = random.Random(20261123)
    baseline_set = load_set(SET_REF)
    default_set = load_set(DEFAULT_SET)

    partial = [random_answers(baseline_set, rng, 0.6) for _ in range(N_ENCOUNTERS)]
    complete = [random_answers(baseline_set, rng, 1.0) for _ in range(N_ENCOUNTERS)]
    normal_partial = [check_answers(a, baseline_set.dictionary) for a in partial]
    normal_complete = [check_answers(a, baseline_set.dictionary) for a in complete]
    check_baseline(baseline_set, normal_partial[:500] + normal_complete[:500])

    # 1. one screen (validation of answers + rules + result object; the highest level still possible, the
    # details and the question lists are computed only when read, so a plain screen that reads the level
    # builds none of them and runs only the certain world of the level rules), default set: 60% answered;
    # "typical" has 10% of yes/no answers yes, "dense" 30% (many indicators met)
    screener = Screener(default_set)
    for label, p_yes in (("typical", 0.1), ("dense", 0.3)):
        encounters = [{"answers": random_answers(default_set, rng, 0.6, p_yes)} for _ in range(N_ENCOUNTERS)]
        per_call(screener.screen, encounters, repeats=1)  # warm the screener's caches of immutable parts
        one = [median_call(functools.partial(screen_level, screener, e), 1) for e in encounters]
        rows.append((f"plain screen, {default_set.ref}, {label}, median", statistics.median(one) * 1e6, "µs"))
        bounded = [median_call(functools.partial(screen_and_bound, screener, e), 1) for e in encounters]
        rows.append(
            (
                f"screen + highest_possible read, {default_set.ref}, {label}, median",
                statistics.median(bounded) * 1e6,
                "µs",
            )
        )
        explained = [median_call(functools.partial(screen_and_explain, screener, e), 1) for e in encounters]
        rows.append(
            (f"screen + details read, {default_set.ref}, {label}, median", statistics.median(explained) * 1e6, "µs")
        )
        with_questions = [median_call(functools.partial(screen_and_ask, screener, e), 1) for e in encounters]
        rows.append(
            (
                f"screen + ask_next read, {default_set.ref}, {label}, median",
                statistics.median(with_questions) * 1e6,
                "µs",
            )
        )

    # 1b. the same work counted rather than timed: bytecode operations the generated functions execute,
    # a figure outside load on the machine cannot move (it changes only when the generated code does)
    traced = random.Random(20261208)
    sample = [check_answers(random_answers(default_set, traced, 0.6, 0.1), default_set.dictionary) for _ in range(300)]
    for name, fn in (("run", default_set.run), ("certain_levels", default_set.certain_levels)):
        ops = traced_operations(fn, sample)
        rows.append((f"bytecode operations per {name}, {default_set.ref}, typical", ops, "ops"))

    # 2. rule evaluation: compiled set vs hand-written function, same encounters (with unknowns)
    engine_t = per_call(baseline_set.run, normal_partial)
    hand_t = per_call(screen_by_hand, normal_partial)
    rows.append((f"rules, {SET_REF}, engine (compiled)", engine_t * 1e6, "µs"))
    rows.append((f"rules, {SET_REF}, hand-written Python", hand_t * 1e6, "µs"))
    rows.append(("engine / hand-written", engine_t / hand_t, "×"))

    # 3. peers on complete encounters (they cannot represent unknown), indicator conditions only
    engine_c = per_call(baseline_set.run, normal_complete)
    rows.append((f"rules, {SET_REF}, engine, complete answers", engine_c * 1e6, "µs"))
    plain_complete = [plain(a) for a in normal_complete]
    for name, peer in build_peers(baseline_set).items():
        t = per_call(peer, plain_complete[:300], repeats=3)
        rows.append((f"indicator conditions only, {name}", t * 1e6, "µs"))
        rows.append((f"{name} / engine", t / engine_c, "×"))

    # 4. import and 5. load + compile
    imp, first_use = import_cost()
    rows.append(("import trafficscreen (added to interpreter start)", imp * 1e3, "ms"))
    rows.append(("import trafficscreen + engine modules", first_use * 1e3, "ms"))
    load = median_call(lambda: load_set(DEFAULT_SET), 25)
    rows.append((f"load + check + compile {DEFAULT_SET}", load * 1e3, "ms"))
    return rows


def notes() -> list[str]:
    return [f"missing answer, `age_years < 16`: {name} {what}" for name, what in missing_answer_behaviour().items()]


if __name__ == "__main__":
    for name, value, unit in run():
        print(f"{name:70s} {value:10.2f} {unit}")
    for line in notes():
        print(line)
