-- A hand-written SQL screen of ilo-child-labour@2.0.0: the baseline the generated query is measured against.
--
-- Written the way a careful SQL programmer would, without the engine: every indicator as one nullable
-- boolean in SQL's own three-valued logic (AND/OR/NOT on NULL are Kleene's; a test on a NULL field is
-- NULL), counts as (at least, at most) pairs, the ILO dimension rule applied to each end of the interval
-- (it only ever asks "at least k", so it holds for certain on the lower counts and may hold on the upper
-- ones), and the three level rules. benchmarks/bench_sql.py checks that it gives the level and the
-- highest possible level the generated query gives, row for row, before timing either.
-- The table is named {table}; the query runs as written on DuckDB and on Spark SQL.
WITH ind AS (
    SELECT
        id,
        -- deceptive recruitment: strong, strong, then medium x7
        (array_contains(broken_promises, 'job_type') OR array_contains(broken_promises, 'place')
            OR array_contains(broken_promises, 'employer')) AS dr_s1,
        array_contains(broken_promises, 'school') AS dr_s2,
        array_contains(broken_promises, 'pay') AS dr_m1,
        array_contains(broken_promises, 'working_conditions') AS dr_m2,
        array_contains(broken_promises, 'housing') AS dr_m3,
        array_contains(broken_promises, 'papers') AS dr_m4,
        array_contains(broken_promises, 'travel') AS dr_m5,
        array_contains(broken_promises, 'family_reunion') AS dr_m6,
        array_contains(broken_promises, 'marriage_or_adoption') AS dr_m7,
        -- coercive recruitment: strong x6, medium x1
        hurt_when_brought AS cr_s1,
        threatened_with_violence_when_brought AS cr_s2,
        (taken_against_will OR handed_over_for_payment OR married_against_will) AS cr_s3,
        debt_for_journey AS cr_s4,
        documents_taken_on_journey AS cr_s5,
        confined_on_journey AS cr_s6,
        family_threatened_when_brought AS cr_m1,
        -- recruitment by abuse of vulnerability: medium x8
        (work_arranged_by_someone AND no_carer_before) AS rv_m1,
        (work_arranged_by_someone AND missed_most_schooling) AS rv_m2,
        (work_arranged_by_someone AND NOT child_speaks_local_language) AS rv_m3,
        (work_arranged_by_someone AND beliefs_used_to_recruit) AS rv_m4,
        (work_arranged_by_someone AND hard_past_before) AS rv_m5,
        (work_arranged_by_someone AND disability_or_learning_difficulty) AS rv_m6,
        (work_arranged_by_someone AND family_needed_money) AS rv_m7,
        emotionally_dependent_on_exploiter AS rv_m8,
        -- exploitative conditions: strong x1, medium x6
        works_long_hours AS ec_s1,
        (pay_received IN ('nothing', 'very_little') AND works_for <> 'does_not_work') AS ec_m1,
        pay_deductions_unfair AS ec_m2,
        living_conditions_bad AS ec_m3,
        working_conditions_very_bad AS ec_m4,
        (array_contains(work_hazards, 'heavy_loads') OR array_contains(work_hazards, 'dangerous_tools_or_machines')
            OR array_contains(work_hazards, 'chemicals') OR array_contains(work_hazards, 'heights')
            OR array_contains(work_hazards, 'underground_or_underwater')
            OR array_contains(work_hazards, 'extreme_heat_or_cold') OR array_contains(work_hazards, 'traffic')) AS ec_m5,
        kept_from_school AS ec_m6,
        -- coercion at destination: strong x7, medium x6
        hurt_now AS cd_s1,
        threatened_with_violence_now AS cd_s2,
        owes_debt_now AS cd_s3,
        documents_withheld AS cd_s4,
        (confined_or_watched OR (companion_insists_on_staying AND (
            companion_relationship IN ('employer', 'unrelated_adult')
            OR (companion_relationship IN ('parent', 'other_relative') AND (
                works_long_hours OR kept_from_school
                OR (pay_received IN ('nothing', 'very_little') AND works_for <> 'does_not_work')
                OR (living_at_workplace AND works_for <> 'does_not_work')
                OR pay_deductions_unfair OR living_conditions_bad OR working_conditions_very_bad
                OR forced_crime OR forced_tasks OR hurt_now OR array_contains(work_types, 'begging')
                OR array_contains(work_hazards, 'heavy_loads') OR array_contains(work_hazards, 'dangerous_tools_or_machines')
                OR array_contains(work_hazards, 'chemicals') OR array_contains(work_hazards, 'heights')
                OR array_contains(work_hazards, 'underground_or_underwater')
                OR array_contains(work_hazards, 'extreme_heat_or_cold') OR array_contains(work_hazards, 'traffic')))))) AS cd_s5,
        forced_crime AS cd_s6,
        forced_tasks AS cd_s7,
        under_strong_influence AS cd_s8,
        threatened_to_report AS cd_m1,
        threatened_to_tell_family AS cd_m2,
        family_threatened_now AS cd_m3,
        pay_kept_by_other AS cd_m4,
        made_to_lie AS cd_m5,
        made_to_act_against_others AS cd_m6,
        -- abuse of vulnerability at destination: medium x9
        (works_for <> 'does_not_work' AND NOT family_nearby) AS av_m1,
        (works_for <> 'does_not_work' AND missed_most_schooling) AS av_m2,
        (works_for <> 'does_not_work' AND NOT child_speaks_local_language) AS av_m3,
        (works_for <> 'does_not_work' AND beliefs_used_to_keep) AS av_m4,
        (works_for <> 'does_not_work' AND past_used_to_control) AS av_m5,
        (works_for <> 'does_not_work' AND disability_or_learning_difficulty) AS av_m6,
        (works_for <> 'does_not_work' AND cannot_stop_family_needs_money) AS av_m7,
        depends_on_exploiter AS av_m8,
        (works_for <> 'does_not_work' AND irregular_status) AS av_m9
    FROM {table}
),
-- (at least, at most) counts: an indicator counts at least where it is TRUE, at most where it is not FALSE
counts AS (
    SELECT
        id,
        (CASE WHEN dr_s1 THEN 1 ELSE 0 END) + (CASE WHEN dr_s2 THEN 1 ELSE 0 END) AS dr_s_lo,
        (CASE WHEN dr_s1 IS NOT FALSE THEN 1 ELSE 0 END) + (CASE WHEN dr_s2 IS NOT FALSE THEN 1 ELSE 0 END) AS dr_s_hi,
        (CASE WHEN dr_m1 THEN 1 ELSE 0 END) + (CASE WHEN dr_m2 THEN 1 ELSE 0 END) + (CASE WHEN dr_m3 THEN 1 ELSE 0 END)
            + (CASE WHEN dr_m4 THEN 1 ELSE 0 END) + (CASE WHEN dr_m5 THEN 1 ELSE 0 END)
            + (CASE WHEN dr_m6 THEN 1 ELSE 0 END) + (CASE WHEN dr_m7 THEN 1 ELSE 0 END) AS dr_m_lo,
        (CASE WHEN dr_m1 IS NOT FALSE THEN 1 ELSE 0 END) + (CASE WHEN dr_m2 IS NOT FALSE THEN 1 ELSE 0 END)
            + (CASE WHEN dr_m3 IS NOT FALSE THEN 1 ELSE 0 END) + (CASE WHEN dr_m4 IS NOT FALSE THEN 1 ELSE 0 END)
            + (CASE WHEN dr_m5 IS NOT FALSE THEN 1 ELSE 0 END) + (CASE WHEN dr_m6 IS NOT FALSE THEN 1 ELSE 0 END)
            + (CASE WHEN dr_m7 IS NOT FALSE THEN 1 ELSE 0 END) AS dr_m_hi,
        (CASE WHEN cr_s1 THEN 1 ELSE 0 END) + (CASE WHEN cr_s2 THEN 1 ELSE 0 END) + (CASE WHEN cr_s3 THEN 1 ELSE 0 END)
            + (CASE WHEN cr_s4 THEN 1 ELSE 0 END) + (CASE WHEN cr_s5 THEN 1 ELSE 0 END)
            + (CASE WHEN cr_s6 THEN 1 ELSE 0 END) AS cr_s_lo,
        (CASE WHEN cr_s1 IS NOT FALSE THEN 1 ELSE 0 END) + (CASE WHEN cr_s2 IS NOT FALSE THEN 1 ELSE 0 END)
            + (CASE WHEN cr_s3 IS NOT FALSE THEN 1 ELSE 0 END) + (CASE WHEN cr_s4 IS NOT FALSE THEN 1 ELSE 0 END)
            + (CASE WHEN cr_s5 IS NOT FALSE THEN 1 ELSE 0 END) + (CASE WHEN cr_s6 IS NOT FALSE THEN 1 ELSE 0 END) AS cr_s_hi,
        (CASE WHEN cr_m1 THEN 1 ELSE 0 END) AS cr_m_lo,
        (CASE WHEN cr_m1 IS NOT FALSE THEN 1 ELSE 0 END) AS cr_m_hi,
        (CASE WHEN rv_m1 THEN 1 ELSE 0 END) + (CASE WHEN rv_m2 THEN 1 ELSE 0 END) + (CASE WHEN rv_m3 THEN 1 ELSE 0 END)
            + (CASE WHEN rv_m4 THEN 1 ELSE 0 END) + (CASE WHEN rv_m5 THEN 1 ELSE 0 END)
            + (CASE WHEN rv_m6 THEN 1 ELSE 0 END) + (CASE WHEN rv_m7 THEN 1 ELSE 0 END)
            + (CASE WHEN rv_m8 THEN 1 ELSE 0 END) AS rv_m_lo,
        (CASE WHEN rv_m1 IS NOT FALSE THEN 1 ELSE 0 END) + (CASE WHEN rv_m2 IS NOT FALSE THEN 1 ELSE 0 END)
            + (CASE WHEN rv_m3 IS NOT FALSE THEN 1 ELSE 0 END) + (CASE WHEN rv_m4 IS NOT FALSE THEN 1 ELSE 0 END)
            + (CASE WHEN rv_m5 IS NOT FALSE THEN 1 ELSE 0 END) + (CASE WHEN rv_m6 IS NOT FALSE THEN 1 ELSE 0 END)
            + (CASE WHEN rv_m7 IS NOT FALSE THEN 1 ELSE 0 END) + (CASE WHEN rv_m8 IS NOT FALSE THEN 1 ELSE 0 END) AS rv_m_hi,
        (CASE WHEN ec_s1 THEN 1 ELSE 0 END) AS ec_s_lo,
        (CASE WHEN ec_s1 IS NOT FALSE THEN 1 ELSE 0 END) AS ec_s_hi,
        (CASE WHEN ec_m1 THEN 1 ELSE 0 END) + (CASE WHEN ec_m2 THEN 1 ELSE 0 END) + (CASE WHEN ec_m3 THEN 1 ELSE 0 END)
            + (CASE WHEN ec_m4 THEN 1 ELSE 0 END) + (CASE WHEN ec_m5 THEN 1 ELSE 0 END)
            + (CASE WHEN ec_m6 THEN 1 ELSE 0 END) AS ec_m_lo,
        (CASE WHEN ec_m1 IS NOT FALSE THEN 1 ELSE 0 END) + (CASE WHEN ec_m2 IS NOT FALSE THEN 1 ELSE 0 END)
            + (CASE WHEN ec_m3 IS NOT FALSE THEN 1 ELSE 0 END) + (CASE WHEN ec_m4 IS NOT FALSE THEN 1 ELSE 0 END)
            + (CASE WHEN ec_m5 IS NOT FALSE THEN 1 ELSE 0 END) + (CASE WHEN ec_m6 IS NOT FALSE THEN 1 ELSE 0 END) AS ec_m_hi,
        (CASE WHEN cd_s1 THEN 1 ELSE 0 END) + (CASE WHEN cd_s2 THEN 1 ELSE 0 END) + (CASE WHEN cd_s3 THEN 1 ELSE 0 END)
            + (CASE WHEN cd_s4 THEN 1 ELSE 0 END) + (CASE WHEN cd_s5 THEN 1 ELSE 0 END)
            + (CASE WHEN cd_s6 THEN 1 ELSE 0 END) + (CASE WHEN cd_s7 THEN 1 ELSE 0 END)
            + (CASE WHEN cd_s8 THEN 1 ELSE 0 END) AS cd_s_lo,
        (CASE WHEN cd_s1 IS NOT FALSE THEN 1 ELSE 0 END) + (CASE WHEN cd_s2 IS NOT FALSE THEN 1 ELSE 0 END)
            + (CASE WHEN cd_s3 IS NOT FALSE THEN 1 ELSE 0 END) + (CASE WHEN cd_s4 IS NOT FALSE THEN 1 ELSE 0 END)
            + (CASE WHEN cd_s5 IS NOT FALSE THEN 1 ELSE 0 END) + (CASE WHEN cd_s6 IS NOT FALSE THEN 1 ELSE 0 END)
            + (CASE WHEN cd_s7 IS NOT FALSE THEN 1 ELSE 0 END) + (CASE WHEN cd_s8 IS NOT FALSE THEN 1 ELSE 0 END) AS cd_s_hi,
        (CASE WHEN cd_m1 THEN 1 ELSE 0 END) + (CASE WHEN cd_m2 THEN 1 ELSE 0 END) + (CASE WHEN cd_m3 THEN 1 ELSE 0 END)
            + (CASE WHEN cd_m4 THEN 1 ELSE 0 END) + (CASE WHEN cd_m5 THEN 1 ELSE 0 END)
            + (CASE WHEN cd_m6 THEN 1 ELSE 0 END) AS cd_m_lo,
        (CASE WHEN cd_m1 IS NOT FALSE THEN 1 ELSE 0 END) + (CASE WHEN cd_m2 IS NOT FALSE THEN 1 ELSE 0 END)
            + (CASE WHEN cd_m3 IS NOT FALSE THEN 1 ELSE 0 END) + (CASE WHEN cd_m4 IS NOT FALSE THEN 1 ELSE 0 END)
            + (CASE WHEN cd_m5 IS NOT FALSE THEN 1 ELSE 0 END) + (CASE WHEN cd_m6 IS NOT FALSE THEN 1 ELSE 0 END) AS cd_m_hi,
        (CASE WHEN av_m1 THEN 1 ELSE 0 END) + (CASE WHEN av_m2 THEN 1 ELSE 0 END) + (CASE WHEN av_m3 THEN 1 ELSE 0 END)
            + (CASE WHEN av_m4 THEN 1 ELSE 0 END) + (CASE WHEN av_m5 THEN 1 ELSE 0 END)
            + (CASE WHEN av_m6 THEN 1 ELSE 0 END) + (CASE WHEN av_m7 THEN 1 ELSE 0 END)
            + (CASE WHEN av_m8 THEN 1 ELSE 0 END) + (CASE WHEN av_m9 THEN 1 ELSE 0 END) AS av_m_lo,
        (CASE WHEN av_m1 IS NOT FALSE THEN 1 ELSE 0 END) + (CASE WHEN av_m2 IS NOT FALSE THEN 1 ELSE 0 END)
            + (CASE WHEN av_m3 IS NOT FALSE THEN 1 ELSE 0 END) + (CASE WHEN av_m4 IS NOT FALSE THEN 1 ELSE 0 END)
            + (CASE WHEN av_m5 IS NOT FALSE THEN 1 ELSE 0 END) + (CASE WHEN av_m6 IS NOT FALSE THEN 1 ELSE 0 END)
            + (CASE WHEN av_m7 IS NOT FALSE THEN 1 ELSE 0 END) + (CASE WHEN av_m8 IS NOT FALSE THEN 1 ELSE 0 END)
            + (CASE WHEN av_m9 IS NOT FALSE THEN 1 ELSE 0 END) AS av_m_hi
    FROM ind
),
-- the ILO rule "two strong, or a strong and another, or three medium" (no weak indicators in this set)
dims AS (
    SELECT
        id,
        (dr_s_lo >= 2 OR (dr_s_lo >= 1 AND dr_m_lo >= 1) OR dr_m_lo >= 3) AS dr_lo,
        (dr_s_hi >= 2 OR (dr_s_hi >= 1 AND dr_m_hi >= 1) OR dr_m_hi >= 3) AS dr_hi,
        (cr_s_lo >= 2 OR (cr_s_lo >= 1 AND cr_m_lo >= 1) OR cr_m_lo >= 3) AS cr_lo,
        (cr_s_hi >= 2 OR (cr_s_hi >= 1 AND cr_m_hi >= 1) OR cr_m_hi >= 3) AS cr_hi,
        rv_m_lo >= 3 AS rv_lo,
        rv_m_hi >= 3 AS rv_hi,
        (ec_s_lo >= 2 OR (ec_s_lo >= 1 AND ec_m_lo >= 1) OR ec_m_lo >= 3) AS ec_lo,
        (ec_s_hi >= 2 OR (ec_s_hi >= 1 AND ec_m_hi >= 1) OR ec_m_hi >= 3) AS ec_hi,
        (cd_s_lo >= 2 OR (cd_s_lo >= 1 AND cd_m_lo >= 1) OR cd_m_lo >= 3) AS cd_lo,
        (cd_s_hi >= 2 OR (cd_s_hi >= 1 AND cd_m_hi >= 1) OR cd_m_hi >= 3) AS cd_hi,
        av_m_lo >= 3 AS av_lo,
        av_m_hi >= 3 AS av_hi,
        dr_s_lo + cr_s_lo + ec_s_lo + cd_s_lo AS strong_lo,
        dr_s_hi + cr_s_hi + ec_s_hi + cd_s_hi AS strong_hi
    FROM counts
)
SELECT
    id,
    CASE
        WHEN (dr_lo OR cr_lo OR rv_lo) AND ec_lo AND cd_lo THEN 'urgent'
        WHEN (dr_lo OR cr_lo OR rv_lo) AND ec_lo THEN 'refer'
        WHEN dr_lo OR cr_lo OR rv_lo OR ec_lo OR cd_lo OR av_lo OR strong_lo >= 1 THEN 'concern'
        ELSE 'none'
    END AS level,
    CASE
        WHEN (dr_hi OR cr_hi OR rv_hi) AND ec_hi AND cd_hi THEN 'urgent'
        WHEN (dr_hi OR cr_hi OR rv_hi) AND ec_hi THEN 'refer'
        WHEN dr_hi OR cr_hi OR rv_hi OR ec_hi OR cd_hi OR av_hi OR strong_hi >= 1 THEN 'concern'
        ELSE 'none'
    END AS highest_possible
FROM dims
