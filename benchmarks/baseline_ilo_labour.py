"""A hand-written Python screen of ``ilo-child-labour@1.0.0``: the baseline the engine is measured against.

It does what the compiled set does — every indicator in three-valued logic (``None`` = unknown), the
strength-count intervals per dimension, the ILO dimension rule, and the three level rules — written out
by hand the way a careful programmer would, without the engine. ``benchmarks/bench_core.py`` checks that
it agrees with the engine on random encounters before timing either, so a change to the set that is not
mirrored here stops the benchmark instead of producing a meaningless ratio.
"""

from __future__ import annotations

from typing import Any

SET_REF = "ilo-child-labour@1.0.0"


def _and(a: bool | None, b: bool | None) -> bool | None:
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return True


def _or(*xs: bool | None) -> bool | None:
    if True in xs:
        return True
    if None in xs:
        return None
    return False


def _not(a: bool | None) -> bool | None:
    return None if a is None else not a


def _has(values: Any, code: str) -> bool | None:
    return None if values is None else code in values


def _in(value: Any, options: tuple[str, ...]) -> bool | None:
    return None if value is None else value in options


def _ne(value: Any, other: str) -> bool | None:
    return None if value is None else value != other


def _present(strong: tuple[int, int], medium: tuple[int, int], weak: tuple[int, int]) -> bool | None:
    """ILO/EC dimension rule on (at least, at most) counts: definitely true, definitely false, or unknown."""

    def rule(s: int, m: int, w: int) -> bool:
        return s >= 2 or (s >= 1 and m + w >= 1) or m >= 3 or (m >= 2 and w >= 1)

    # the rule only grows with the counts, so the lower and upper ends decide it
    if rule(strong[0], medium[0], weak[0]):
        return True
    if not rule(strong[1], medium[1], weak[1]):
        return False
    return None


def _count(statuses: list[bool | None]) -> tuple[int, int]:
    met = sum(1 for s in statuses if s is True)
    return met, met + sum(1 for s in statuses if s is None)


_HAZARDS = (
    "heavy_loads",
    "dangerous_tools_or_machines",
    "chemicals",
    "heights",
    "underground_or_underwater",
    "extreme_heat_or_cold",
    "traffic",
)


def screen_by_hand(a: dict[str, Any]) -> tuple[list[bool | None], list[bool | None], str, str]:
    """(indicator statuses, dimension statuses, level reached, highest level possible)."""
    g = a.get
    bp = g("broken_promises")
    arranged = g("work_arranged_by_someone")
    works = _ne(g("works_for"), "does_not_work")
    hazards = g("work_hazards")

    deceptive_strong = [_or(_has(bp, "job_type"), _has(bp, "place"), _has(bp, "employer")), _has(bp, "school")]
    deceptive_medium = [
        _has(bp, c)
        for c in ("pay", "working_conditions", "housing", "papers", "travel", "family_reunion", "marriage_or_adoption")
    ]
    coercive_strong = [
        g("hurt_or_threatened_when_brought"),
        _or(g("taken_against_will"), g("handed_over_for_payment"), g("married_against_will")),
        g("debt_for_journey"),
        g("documents_taken_on_journey"),
        g("confined_on_journey"),
    ]
    coercive_medium = [g("family_threatened_when_brought")]
    rv_medium = [
        _and(arranged, g("no_carer_before")),
        _and(arranged, g("missed_most_schooling")),
        _and(arranged, _not(g("child_speaks_local_language"))),
        _and(arranged, g("beliefs_used_to_recruit")),
        _and(arranged, g("hard_past_before")),
        _and(arranged, g("disability_or_learning_difficulty")),
        _and(arranged, g("family_needed_money")),
    ]
    exploit_strong = [g("works_long_hours")]
    exploit_medium = [
        _and(
            _in(g("pay_received"), ("nothing", "very_little")),
            _in(g("works_for"), ("other_relative", "employer", "other_adult")),
        ),
        g("pay_deductions_unfair"),
        g("living_conditions_bad"),
        _or(*(_has(hazards, h) for h in _HAZARDS)),
        g("kept_from_school"),
    ]
    coercion_strong = [
        g("hurt_or_threatened_now"),
        g("owes_debt_now"),
        g("documents_withheld"),
        _or(
            g("confined_or_watched"),
            _and(g("companion_insists_on_staying"), _in(g("companion_relationship"), ("employer", "unrelated_adult"))),
        ),
        g("forced_crime"),
        g("forced_tasks"),
        g("under_strong_influence"),
    ]
    coercion_medium = [
        g("threatened_to_tell"),
        g("family_threatened_now"),
        g("pay_kept_by_other"),
        g("made_to_lie_or_turn_on_others"),
    ]
    vd_medium = [
        _and(works, _not(g("family_nearby"))),
        _and(works, g("missed_most_schooling")),
        _and(works, _not(g("child_speaks_local_language"))),
        _and(works, g("beliefs_used_to_keep")),
        _and(works, g("past_used_to_control")),
        _and(works, g("disability_or_learning_difficulty")),
        _and(works, g("cannot_stop_family_needs_money")),
    ]
    none_ = (0, 0)
    dims = [
        _present(_count(deceptive_strong), _count(deceptive_medium), none_),
        _present(_count(coercive_strong), _count(coercive_medium), none_),
        _present(none_, _count(rv_medium), none_),
        _present(_count(exploit_strong), _count(exploit_medium), none_),
        _present(_count(coercion_strong), _count(coercion_medium), none_),
        _present(none_, _count(vd_medium), none_),
    ]
    indicators = (
        deceptive_strong
        + deceptive_medium
        + coercive_strong
        + coercive_medium
        + rv_medium
        + exploit_strong
        + exploit_medium
        + coercion_strong
        + coercion_medium
        + vd_medium
    )

    strong_all = deceptive_strong + coercive_strong + exploit_strong + coercion_strong
    strong_lo, strong_hi = _count(strong_all)
    dims_lo, dims_hi = _count(dims)
    # concern: dimensions_present >= 1 or strong >= 1
    concern = True if (dims_lo >= 1 or strong_lo >= 1) else (False if dims_hi < 1 and strong_hi < 1 else None)
    recruited = _or(dims[0], dims[1], dims[2])
    refer = _and(recruited, dims[3])
    urgent = _and(refer, dims[4])
    level, highest = "none", "none"
    for name, status in (("concern", concern), ("refer", refer), ("urgent", urgent)):
        if status is True:
            level = name
        if status is not False:
            highest = name
    return indicators, dims, level, highest
