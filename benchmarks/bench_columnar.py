"""Batch scoring benchmark: the columnar backend against a hand-written polars expression.

Writes a synthetic Parquet cohort (2,000,000 rows by default; ``TRAFFICSCREEN_BENCH_ROWS`` changes it)
for the shipped default set to a temporary folder, packs it (``trafficscreen pack``: checked once,
yes/no answers as two columns without nulls), then times on the same cohort:

* the plain file, read and scored with the columnar backend (``score_frame``: every value checked,
  every indicator and dimension status, level and highest level still possible), the same with levels
  only, and a hand-written polars expression for the same set (below), which computes the level and
  highest level with the same three-valued logic but checks no values (best of 3);
* the packed file, read and scored in one streaming pass (``score_packed``), full output and levels
  only, best and median of 5;
* ``trafficscreen batch`` on the packed file in a fresh process, as a researcher runs it: the rate it
  reports for reading and scoring (writing the output is not included);
* some of them on the frame already in memory, and reading alone.

Before timing, both give levels for every row, and the packed path gives exactly the plain path's
output; if a single row differs, the benchmark stops instead of printing a meaningless ratio. Run it
alone (``python benchmarks/bench_columnar.py``) or through ``make bench``. Nothing here is asserted in
a test.
"""

# ruff: noqa: E501  (the table of indicators below reads best one indicator per line)
from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from trafficscreen.content.loader import load_set
from trafficscreen.research.batch import columnar, score_frame
from trafficscreen.research.packed import pack, score_packed, write_packed
from trafficscreen.research.scoring import check
from trafficscreen.research.synth import synth_cohort

Row = tuple[str, float, str]
N_ROWS = int(os.environ.get("TRAFFICSCREEN_BENCH_ROWS", "2000000"))
HAND_WRITTEN_FOR = "paediatric-default@1.0.0"

# --- the hand-written expression ---------------------------------------------------------------------
# Written the way a careful polars user would, without the engine: nullable Booleans with Kleene
# `&`/`|`/`~` for unknown answers, then (at least, at most) counts per dimension, and the rules, which
# are all monotone, decided on those bounds.


def c(name: str) -> pl.Expr:
    return pl.col(name)


def has(field: str, *codes: str) -> pl.Expr:
    out = c(field).list.contains(codes[0])
    for code in codes[1:]:
        out = out | c(field).list.contains(code)
    return out


def isin(field: str, *codes: str) -> pl.Expr:
    return c(field).is_in(list(codes))


def _arranged() -> pl.Expr:
    return c("work_arranged_by_someone") | c("sex_arranged_by_someone")


def _exploited_now() -> pl.Expr:
    return ((c("works_for") != "does_not_work") | c("sex_arranged_by_someone") | c("sex_exchanged_for_something")
            | c("made_to_have_sex_for_money"))


def _companion_controls() -> pl.Expr:
    return c("companion_answers_for_child") | c("companion_insists_on_staying") | c("companion_insists_on_interpreting")


OTHERS = ("other_relative", "employer", "other_adult")
S, M = "strong", "medium"

# (id, dimension, strength, points, red flag, condition)
INDICATORS: list[tuple[str, str, str | None, int, bool, pl.Expr]] = [
    ("cl_deceived_job_nature", "deceptive_recruitment", S, 0, False, has("broken_promises", "job_type", "place", "employer")),
    ("cl_deceived_education", "deceptive_recruitment", S, 0, False, has("broken_promises", "school")),
    ("cl_deceived_wages", "deceptive_recruitment", M, 0, False, has("broken_promises", "pay")),
    ("cl_deceived_conditions", "deceptive_recruitment", M, 0, False, has("broken_promises", "working_conditions")),
    ("cl_deceived_housing", "deceptive_recruitment", M, 0, False, has("broken_promises", "housing")),
    ("cl_deceived_documents", "deceptive_recruitment", M, 0, False, has("broken_promises", "papers")),
    ("cl_deceived_travel", "deceptive_recruitment", M, 0, False, has("broken_promises", "travel")),
    ("cl_deceived_family_reunification", "deceptive_recruitment", M, 0, False, has("broken_promises", "family_reunion")),
    ("cl_deceived_marriage_adoption", "deceptive_recruitment", M, 0, False, has("broken_promises", "marriage_or_adoption")),
    ("cl_violence_at_recruitment", "coercive_recruitment", S, 0, False, c("hurt_or_threatened_when_brought")),
    ("cl_abduction_forced_marriage_sale", "coercive_recruitment", S, 0, False,
     c("taken_against_will") | c("handed_over_for_payment") | c("married_against_will")),
    ("cl_debt_at_recruitment", "coercive_recruitment", S, 0, False, c("debt_for_journey")),
    ("cl_documents_taken_at_recruitment", "coercive_recruitment", S, 0, False, c("documents_taken_on_journey")),
    ("cl_confined_at_recruitment", "coercive_recruitment", S, 0, False, c("confined_on_journey")),
    ("cl_family_threatened_at_recruitment", "coercive_recruitment", M, 0, False, c("family_threatened_when_brought")),
    ("ilo_rv_family_situation", "recruitment_by_abuse_of_vulnerability", M, 0, False, _arranged() & c("no_carer_before")),
    ("ilo_rv_lack_of_education", "recruitment_by_abuse_of_vulnerability", M, 0, False,
     _arranged() & c("missed_most_schooling")),
    ("ilo_rv_language", "recruitment_by_abuse_of_vulnerability", M, 0, False,
     _arranged() & ~c("child_speaks_local_language")),
    ("ilo_rv_cultural_beliefs", "recruitment_by_abuse_of_vulnerability", M, 0, False,
     _arranged() & c("beliefs_used_to_recruit")),
    ("ilo_rv_difficult_past", "recruitment_by_abuse_of_vulnerability", M, 0, False, _arranged() & c("hard_past_before")),
    ("ilo_rv_personal_characteristics", "recruitment_by_abuse_of_vulnerability", M, 0, False,
     _arranged() & c("disability_or_learning_difficulty")),
    ("ilo_rv_economic_reasons", "recruitment_by_abuse_of_vulnerability", M, 0, False,
     _arranged() & c("family_needed_money")),
    ("cl_excessive_hours", "exploitative_conditions", S, 0, False, c("works_long_hours")),
    ("cl_low_or_no_pay", "exploitative_conditions", M, 0, False,
     isin("pay_received", "nothing", "very_little") & isin("works_for", *OTHERS)),
    ("cl_wage_manipulation", "exploitative_conditions", M, 0, False, c("pay_deductions_unfair")),
    ("cl_bad_living_working_conditions", "exploitative_conditions", M, 0, False, c("living_conditions_bad")),
    ("cl_hazardous_work", "exploitative_conditions", M, 0, False,
     has("work_hazards", "heavy_loads", "dangerous_tools_or_machines", "chemicals", "heights",
         "underground_or_underwater", "extreme_heat_or_cold", "traffic")),
    ("cl_no_access_education", "exploitative_conditions", M, 0, False, c("kept_from_school")),
    ("sx_excessive_hours_or_people", "exploitative_conditions", S, 0, False,
     has("sexual_exploitation_conditions", "long_hours_or_many_people")),
    ("sx_low_or_no_pay", "exploitative_conditions", M, 0, False, has("sexual_exploitation_conditions", "no_or_little_money")),
    ("sx_wage_manipulation", "exploitative_conditions", M, 0, False,
     has("sexual_exploitation_conditions", "money_taken_or_fined")),
    ("sx_hazardous_conditions", "exploitative_conditions", S, 0, False,
     has("sexual_exploitation_conditions", "no_condom", "hurt_by_people", "given_drugs_or_alcohol")),
    ("cl_violence_at_destination", "coercion_at_destination", S, 0, False, c("hurt_or_threatened_now")),
    ("cl_debt_bondage_at_destination", "coercion_at_destination", S, 0, False, c("owes_debt_now")),
    ("cl_documents_withheld", "coercion_at_destination", S, 0, False, c("documents_withheld")),
    ("ilo_isolation_confinement_surveillance", "coercion_at_destination", S, 0, False,
     c("confined_or_watched")
     | (c("companion_insists_on_staying") & isin("companion_relationship", "employer", "unrelated_adult", "partner"))),
    ("cl_forced_criminal_activity", "coercion_at_destination", S, 0, False, c("forced_crime")),
    ("ilo_forced_tasks_or_clients", "coercion_at_destination", S, 0, False,
     c("forced_tasks") | c("made_to_have_sex_for_money")),
    ("cl_under_strong_influence", "coercion_at_destination", S, 0, False, c("under_strong_influence")),
    ("cl_threat_to_tell_family_or_authorities", "coercion_at_destination", M, 0, False, c("threatened_to_tell")),
    ("cl_family_threatened_at_destination", "coercion_at_destination", M, 0, False, c("family_threatened_now")),
    ("cl_money_withheld", "coercion_at_destination", M, 0, False, c("pay_kept_by_other")),
    ("cl_forced_to_lie_or_act_against_peers", "coercion_at_destination", M, 0, False,
     c("made_to_lie_or_turn_on_others")),
    ("ilo_vd_family_situation", "abuse_of_vulnerability_at_destination", M, 0, False,
     _exploited_now() & ~c("family_nearby")),
    ("ilo_vd_lack_of_education", "abuse_of_vulnerability_at_destination", M, 0, False,
     _exploited_now() & c("missed_most_schooling")),
    ("ilo_vd_language", "abuse_of_vulnerability_at_destination", M, 0, False,
     _exploited_now() & ~c("child_speaks_local_language")),
    ("ilo_vd_cultural_beliefs", "abuse_of_vulnerability_at_destination", M, 0, False,
     _exploited_now() & c("beliefs_used_to_keep")),
    ("ilo_vd_difficult_past", "abuse_of_vulnerability_at_destination", M, 0, False,
     _exploited_now() & c("past_used_to_control")),
    ("ilo_vd_personal_characteristics", "abuse_of_vulnerability_at_destination", M, 0, False,
     _exploited_now() & c("disability_or_learning_difficulty")),
    ("ilo_vd_economic_reasons", "abuse_of_vulnerability_at_destination", M, 0, False,
     _exploited_now() & c("cannot_stop_family_needs_money")),
    ("sign_sex_exchanged", "signs_of_exploitation", None, 4, False, c("sex_exchanged_for_something")),
    ("sign_made_to_commit_crime", "signs_of_exploitation", None, 4, False, c("forced_crime")),
    ("sign_forced_marriage", "signs_of_exploitation", None, 4, False, c("married_against_will")),
    ("sign_armed_group", "signs_of_exploitation", None, 4, False, c("with_armed_group")),
    ("sign_pressed_to_give_organ", "signs_of_exploitation", None, 4, False, c("asked_to_give_organ")),
    ("sign_unexplained_surgical_scar", "signs_of_exploitation", None, 2, False, c("unexplained_surgical_scar")),
    ("sign_child_obtained_for_payment", "signs_of_exploitation", None, 4, False, c("child_obtained_for_payment")),
    ("sign_care_arrangement_unexplained", "signs_of_exploitation", None, 2, False, c("care_arrangement_unexplained")),
    ("sign_works_long_hours_for_others", "signs_of_exploitation", None, 2, False,
     c("works_long_hours") & isin("works_for", *OTHERS)),
    ("sign_lives_at_workplace", "signs_of_exploitation", None, 2, False,
     c("living_at_workplace") & isin("works_for", *OTHERS)),
    ("sign_begging", "signs_of_exploitation", None, 2, False, has("work_types", "begging")),
    ("sign_unexplained_money_gifts", "signs_of_exploitation", None, 2, False, c("unexplained_money_phone_gifts")),
    ("sign_ownership_mark", "signs_of_exploitation", None, 3, False, c("ownership_tattoo_or_branding")),
    ("sign_companion_answers_for_child", "signs_of_control", None, 1, False, c("companion_answers_for_child")),
    ("sign_companion_insists_on_staying", "signs_of_control", None, 1, False, c("companion_insists_on_staying")),
    ("sign_companion_insists_on_interpreting", "signs_of_control", None, 1, False,
     c("companion_insists_on_interpreting")),
    ("sign_non_family_companion_controls", "signs_of_control", None, 2, False,
     isin("companion_relationship", "unrelated_adult", "employer", "partner") & _companion_controls()),
    ("sign_documents_held_by_other", "signs_of_control", None, 2, False, isin("id_documents", "employer", "other_adult")),
    ("sign_no_documents", "signs_of_control", None, 1, False, c("id_documents") == "none"),
    ("sign_scripted_answers", "signs_of_control", None, 1, False, c("scripted_answers")),
    ("sign_history_inconsistent", "signs_of_harm", None, 1, False, c("history_inconsistent_with_injury")),
    ("sign_delayed_presentation", "signs_of_harm", None, 1, False, c("delayed_presentation")),
    ("sign_physical_abuse", "signs_of_harm", None, 1, False, c("signs_of_physical_abuse")),
    ("sign_sexual_abuse", "signs_of_harm", None, 1, False, c("signs_of_sexual_abuse")),
    ("sign_sti_young_adolescent", "signs_of_harm", None, 1, False, (c("age_years") < 16) & c("sti_now_or_past")),
    ("sign_pregnancy_young_adolescent", "signs_of_harm", None, 1, False,
     (c("age_years") < 16) & c("pregnant_now_or_past")),
    ("sign_many_partners_young_adolescent", "signs_of_harm", None, 1, False,
     (c("age_years") < 16) & c("many_sexual_partners")),
    ("sign_ran_away", "signs_of_harm", None, 1, False, c("ran_away")),
    ("sign_substance_use", "signs_of_harm", None, 1, False, c("substance_use")),
    ("sign_fearful", "signs_of_harm", None, 1, False, c("child_fearful_or_anxious")),
    ("sign_not_in_school", "signs_of_harm", None, 1, False,
     (c("age_years") >= 6) & (c("age_years") < 16) & ~c("attends_school")),
    ("rf_made_to_have_sex_for_money", "immediate_danger", None, 3, True, c("made_to_have_sex_for_money")),
    ("rf_cannot_leave", "immediate_danger", None, 3, True, c("cannot_leave")),
    ("rf_threatened_now", "immediate_danger", None, 3, True, c("under_threat_now")),
    ("rf_afraid_to_leave_with_companion", "immediate_danger", None, 3, True,
     c("afraid_to_leave_with_companion") & _companion_controls()),
    ("rf_exploitation_place_tonight", "immediate_danger", None, 3, True, c("exploitation_place_tonight")),
]
ILO_DIMENSIONS = ("deceptive_recruitment", "coercive_recruitment", "recruitment_by_abuse_of_vulnerability",
                  "exploitative_conditions", "coercion_at_destination", "abuse_of_vulnerability_at_destination")
POINT_DIMENSIONS = ("signs_of_exploitation", "signs_of_control", "signs_of_harm")


def hand_written() -> tuple[list[pl.Expr], list[pl.Expr], list[pl.Expr]]:
    """Three stages of expressions: indicator statuses, dimensions, and the level and highest level."""
    status = [e.alias(f"s{i}") for i, (*_, e) in enumerate(INDICATORS)]

    def count(sel: list[int], weight: Callable[[int], int], at_most: bool) -> pl.Expr:
        terms = [pl.col(f"s{i}").fill_null(at_most).cast(pl.Int32) * weight(i) for i in sel]
        return pl.sum_horizontal(terms) if terms else pl.lit(0)

    def members(dim: str, strength: str | None = None) -> list[int]:
        return [i for i, row in enumerate(INDICATORS) if row[1] == dim and (strength is None or row[2] == strength)]

    def decide(rule: Callable[[bool], pl.Expr]) -> pl.Expr:
        # monotone rules: true on the lower bounds means true, false on the upper bounds means false
        return pl.when(rule(False)).then(True).when(~rule(True)).then(False)

    def ilo(dim: str) -> pl.Expr:
        def rule(at_most: bool) -> pl.Expr:
            strong = count(members(dim, S), lambda i: 1, at_most)
            medium = count(members(dim, M), lambda i: 1, at_most)
            return (strong >= 2) | ((strong >= 1) & (medium >= 1)) | (medium >= 3)  # no weak items
        return decide(rule)

    def points_dim(dim: str) -> pl.Expr:
        return decide(lambda at_most: count(members(dim), lambda i: INDICATORS[i][3], at_most) >= 2)

    dims = {d: ilo(d) for d in ILO_DIMENSIONS} | {d: points_dim(d) for d in POINT_DIMENSIONS}
    dims["immediate_danger"] = decide(lambda at_most: count(members("immediate_danger"), lambda i: 1, at_most) >= 1)

    def levels(d: dict[str, pl.Expr]) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
        every = list(range(len(INDICATORS)))
        red = pl.any_horizontal([pl.col(f"s{i}") for i, row in enumerate(INDICATORS) if row[4]])

        def concern(at_most: bool) -> pl.Expr:
            present = pl.sum_horizontal([pl.col(k).fill_null(at_most).cast(pl.Int32) for k in d])
            strong = count([i for i in every if INDICATORS[i][2] == S], lambda i: 1, at_most)
            pts = count(every, lambda i: INDICATORS[i][3], at_most)
            return (present >= 1) | (strong >= 1) | (pts >= 2)

        recruited = pl.col("deceptive_recruitment") | pl.col("coercive_recruitment") | pl.col(
            "recruitment_by_abuse_of_vulnerability")
        victim = recruited & pl.col("exploitative_conditions")
        pts4 = decide(lambda at_most: count(every, lambda i: INDICATORS[i][3], at_most) >= 4)
        refer = victim | (pl.col("signs_of_exploitation") & (pl.col("signs_of_control") | pl.col("signs_of_harm") | pts4))
        urgent = red | (victim & pl.col("coercion_at_destination"))
        return decide(concern), refer, urgent

    concern, refer, urgent = levels(dims)
    names = ("concern", "refer", "urgent")

    def level(rules: list[pl.Expr], fill: bool) -> pl.Expr:
        out = pl.lit("none")
        for name, rule in zip(names, rules, strict=True):
            out = pl.when(rule.fill_null(fill)).then(pl.lit(name)).otherwise(out)
        return out

    return status, [v.alias(k) for k, v in dims.items()], [
        level([concern, refer, urgent], False).alias("level"),
        level([concern, refer, urgent], True).alias("highest_possible"),
    ]


def score_by_hand(df: pl.DataFrame) -> pl.DataFrame:
    status, dims, final = hand_written()
    return df.lazy().select(status).with_columns(dims).select(final).collect()


# --- timing ----------------------------------------------------------------------------------------

def best_of(fn: Callable[[], Any], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def median_of(fn: Callable[[], Any], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def cli_rate(path: Path, out: Path, *extra: str) -> float:
    """Rows per second that ``trafficscreen batch`` reports for reading and scoring, in a fresh process."""
    proc = subprocess.run(
        [sys.executable, "-m", "trafficscreen.cli", "batch", str(path), "--set", HAND_WRITTEN_FOR, "--out", str(out),
         *extra], capture_output=True, text=True, check=True)
    found = re.search(r": ([\d,]+) rows/s", proc.stderr)
    if found is None:
        raise SystemExit(f"unexpected batch summary: {proc.stderr.strip()}")
    return float(found.group(1).replace(",", ""))


_LOAD: list[float] = []


def run() -> list[Row]:
    _LOAD.append(os.getloadavg()[0])
    # the hand-written expression is for one version; old versions keep loading, so it stays comparable
    cs = load_set(HAND_WRITTEN_FOR)
    col = columnar(cs)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cohort.parquet"
        packed = Path(tmp) / "cohort.packed.parquet"
        cohort = synth_cohort(cs, N_ROWS, 0.1, seed=20261123).select("id", *cs.used_fields)
        cohort.write_parquet(path)
        size_mb = path.stat().st_size / 1e6
        del cohort
        df = pl.read_parquet(path)

        # same answers first: the hand-written expression must agree with the engine on every row, and
        # the packed path with the plain one
        ours = score_frame(df, cs)
        theirs = score_by_hand(df)
        differ = ours.select(
            ((pl.col("level").cast(pl.String) != theirs.get_column("level"))
             | (pl.col("highest_possible").cast(pl.String) != theirs.get_column("highest_possible"))).sum()
        ).item()
        if differ:
            raise SystemExit(f"the hand-written expression no longer matches {cs.ref}: {differ} of {df.height} "
                             "rows differ; update INDICATORS in benchmarks/bench_columnar.py")
        t0 = time.perf_counter()
        write_packed(pack(df, cs), packed)
        t_pack = time.perf_counter() - t0
        packed_mb = packed.stat().st_size / 1e6
        if not score_packed(packed, cs).scored.equals(ours):
            raise SystemExit("scoring the packed cohort gave other results than scoring the plain one")
        del ours, theirs

        def levels_only(frame: pl.DataFrame) -> pl.DataFrame:
            checked = check(frame, cs)
            return col.score(checked.frame, statuses=False)

        t_read = best_of(lambda: pl.read_parquet(path))
        t_full = best_of(lambda: score_frame(pl.read_parquet(path), cs))
        t_levels = best_of(lambda: levels_only(pl.read_parquet(path)))
        t_hand = best_of(lambda: score_by_hand(pl.read_parquet(path)))
        p_full = best_of(lambda: score_packed(packed, cs), repeat=5)
        p_full_median = median_of(lambda: score_packed(packed, cs))
        p_levels = best_of(lambda: score_packed(packed, cs, statuses=False), repeat=5)
        p_levels_median = median_of(lambda: score_packed(packed, cs, statuses=False))
        cli_full = cli_rate(packed, Path(tmp) / "scored.parquet")
        cli_levels = cli_rate(packed, Path(tmp) / "levels.parquet", "--levels-only")
        m_full = best_of(lambda: score_frame(df, cs))
        m_hand = best_of(lambda: score_by_hand(df))
        checked = check(df, cs)
        m_encoded = best_of(lambda: col.score(checked.frame, statuses=False))

    n = N_ROWS
    rows += [
        (f"cohort: {n:,} rows x {len(cs.used_fields)} fields of {cs.ref}, plain Parquet MB", size_mb, "MB"),
        ("same cohort packed (trafficscreen pack), MB", packed_mb, "MB"),
        ("plain Parquet: read only", n / t_read, "rows/s"),
        ("plain Parquet: read + check + score, full output (statuses, levels)", n / t_full, "rows/s"),
        ("plain Parquet: read + check + score, levels only", n / t_levels, "rows/s"),
        ("plain Parquet: read + hand-written polars expression (levels, no checks)", n / t_hand, "rows/s"),
        ("ratio plain: columnar levels / hand-written (time)", t_levels / t_hand, "x"),
        ("ratio plain: columnar full output / hand-written (time)", t_full / t_hand, "x"),
        ("pack once: read plain + check every field + write packed", n / t_pack, "rows/s"),
        ("packed Parquet: read + score, full output, best of 5", n / p_full, "rows/s"),
        ("packed Parquet: read + score, full output, median of 5", n / p_full_median, "rows/s"),
        ("packed Parquet: read + score, levels only, best of 5", n / p_levels, "rows/s"),
        ("packed Parquet: read + score, levels only, median of 5", n / p_levels_median, "rows/s"),
        ("packed, full output / hand-written on plain (time)", p_full / t_hand, "x"),
        ("CLI, fresh process: trafficscreen batch PACKED (read + score as it reports)", cli_full, "rows/s"),
        ("CLI, fresh process: same with --levels-only", cli_levels, "rows/s"),
        ("in memory: columnar full output (check + score)", n / m_full, "rows/s"),
        ("in memory: columnar rules only, already encoded, levels only", n / m_encoded, "rows/s"),
        ("in memory: hand-written polars expression", n / m_hand, "rows/s"),
    ]
    return rows


def notes() -> list[str]:
    return [f"polars {pl.__version__}, {os.cpu_count()} CPUs; synthetic cohort (seed 20261123, 10% label 1, "
            "10-30% unknown per field); levels of both paths compared on every row first; "
            f"load average before the run {_LOAD[0] if _LOAD else float('nan'):.2f}."]


if __name__ == "__main__":
    for label, value, unit in run():
        print(f"{label:80s} {value:14,.2f} {unit}")
    for line in notes():
        print(f"  {line}")
    sys.exit(0)
