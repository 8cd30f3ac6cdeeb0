"""Encounters that reach each level, derived from a set's own indicator examples (never hard-coded).

Starting from no answers, the `met` examples of the indicators are merged one at a time (red flags
last), keeping an example only when the level stays at or below the target, until the target level is
reached. The engine decides every level; this only searches for answers.
"""

from __future__ import annotations

from typing import Any

from trafficscreen.core.engine import Screener
from trafficscreen.model.common import Level


def _combine(answers: dict[str, Any], example: dict[str, Any]) -> dict[str, Any] | None:
    out = dict(answers)
    for key, value in example.items():
        if key in out and out[key] != value:
            if isinstance(value, list) and isinstance(out[key], list):
                out[key] = sorted(set(out[key]) | set(value))
            else:
                return None
        else:
            out[key] = value
    return out


def answers_reaching(screener: Screener, target: Level) -> dict[str, Any]:
    d = screener.set.definition
    answers: dict[str, Any] = {}
    if target is Level.NONE:
        return answers
    order = sorted(range(len(d.indicators)), key=lambda i: (d.indicators[i].red_flag, i))
    for _ in range(3):
        for i in order:
            for example in d.indicators[i].examples.met:
                trial = _combine(answers, dict(example))
                if trial is None:
                    continue
                result = screener.screen({"answers": trial})
                if result.level.rank <= target.rank and result.indicators[i].status.value == "met":
                    answers = trial
                    if result.level is target:
                        return answers
                    break
    raise AssertionError(f"no combination of the set's examples reaches {target.value}")
