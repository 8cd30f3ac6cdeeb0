"""Safety properties of the shipped default set (content review 2026-12), checked over random encounters.

* a family relationship never lowers the level while a sign of exploitation is met;
* for the same answers, a child of 16 or 17 never rates lower than a child of 15;
* wherever the validated brief screen SSCST is positive, the default set reaches at least 'refer';
* exploitation with coercion at destination reaches at least 'refer', whatever is known of recruitment;
* the infant pathway asks only the record or the clinician, and a child obtained for payment is referred;
* every published SSCST table is reproduced by ``evaluate --counts``.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strategies import answer_for
from trafficscreen.cli import main
from trafficscreen.content.loader import load_set
from trafficscreen.core.compiled import CompiledSet
from trafficscreen.core.engine import DEFAULT_SET, Screener
from trafficscreen.model.common import Level
from trafficscreen.model.dictionary import Respondent

DEFAULT = load_set(DEFAULT_SET)
SCREENER = Screener(DEFAULT)
SSCST = Screener(load_set("sscst@0.1.1"), allow_draft=True)
HAZARDS = [
    "heavy_loads",
    "dangerous_tools_or_machines",
    "chemicals",
    "heights",
    "underground_or_underwater",
    "extreme_heat_or_cold",
    "traffic",
]

# One answer that, by itself, is a sign of exploitation (the list: hours, pay, living at the workplace,
# schooling, hazardous work, harm; and sexual exploitation, forced crime or tasks, begging).
EXPLOITATION_SIGNS: list[dict[str, Any]] = [
    {"works_long_hours": True},
    {"kept_from_school": True},
    {"pay_received": "nothing", "works_for": "employer"},
    {"living_at_workplace": True, "works_for": "employer"},
    {"pay_deductions_unfair": True},
    {"living_conditions_bad": True},
    {"working_conditions_very_bad": True},
    {"forced_crime": True},
    {"forced_tasks": True},
    {"hurt_now": True},
    {"work_types": ["begging"]},
    {"sex_exchanged_for_something": True},
    {"made_to_have_sex_for_money": True},
    {"sex_arranged_by_someone": True},
    {"sexual_exploitation_conditions": ["no_or_little_money"]},
    *({"work_hazards": [h]} for h in HAZARDS),
]
# (field, a value that is not family, the value that is) for every answer that names a relationship
RELATIONSHIPS = [
    ("companion_relationship", "employer", "parent"),
    ("companion_relationship", "unrelated_adult", "other_relative"),
    ("companion_relationship", "partner", "parent"),
    ("id_documents", "other_adult", "parent_or_guardian"),
    ("id_documents", "employer", "parent_or_guardian"),
    ("works_for", "employer", "parent_or_guardian"),
    ("works_for", "other_adult", "other_relative"),
]
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _answers(
    cs: CompiledSet, fields: list[str] | None = None, p_known: float = 0.5
) -> st.SearchStrategy[dict[str, Any]]:
    defs = [cs.dictionary.by_id[f] for f in (fields or cs.used_fields)]

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        return {fd.id: draw(answer_for(fd)) for fd in defs if draw(st.floats(0, 1)) < p_known}

    return build()


def _level(answers: dict[str, Any]) -> Level:
    return SCREENER.screen({"answers": answers}).level


@SETTINGS
@given(answers=_answers(DEFAULT), sign=st.sampled_from(EXPLOITATION_SIGNS), rel=st.sampled_from(RELATIONSHIPS))
def test_a_family_relationship_never_lowers_the_level_while_exploitation_is_met(
    answers: dict[str, Any], sign: dict[str, Any], rel: tuple[str, str, str]
) -> None:
    field, stranger, family = rel
    base = {**answers, **sign}
    if field in sign:  # the sign itself names who the child works for; keep it
        return
    with_stranger = _level({**base, field: stranger})
    with_family = _level({**base, field: family})
    assert with_family.rank >= with_stranger.rank, (field, family, sign)


@SETTINGS
@given(answers=_answers(DEFAULT), older=st.sampled_from([16, 17]))
def test_sixteen_and_seventeen_never_rate_lower_than_fifteen(answers: dict[str, Any], older: int) -> None:
    assert _level({**answers, "age_years": older}).rank >= _level({**answers, "age_years": 15}).rank


SSCST_FIELDS = sorted(set(SSCST.set.used_fields) | set(DEFAULT.used_fields))


@SETTINGS
@given(answers=_answers(DEFAULT, SSCST_FIELDS, p_known=0.6))
def test_the_default_set_is_never_less_sensitive_than_sscst(answers: dict[str, Any]) -> None:
    brief = SSCST.screen({"answers": {k: v for k, v in answers.items() if k in SSCST.set.used_fields}})
    if brief.level.rank >= Level.REFER.rank:
        assert _level(answers).rank >= Level.REFER.rank


@SETTINGS
@given(answers=_answers(DEFAULT))
def test_exploitation_under_coercion_now_is_a_referral_whatever_the_recruitment(answers: dict[str, Any]) -> None:
    r = SCREENER.screen({"answers": answers})
    present = {d.id for d in r.dimensions if d.status.value == "present"}
    if {"exploitative_conditions", "coercion_at_destination"} <= present:
        assert r.level.rank >= Level.REFER.rank


def test_exploitation_and_coercion_with_recruitment_unknown_refers() -> None:
    # two strong exploitation items and two strong coercion items; nothing known of recruitment
    answers = {
        "works_long_hours": True,
        "sexual_exploitation_conditions": ["no_condom"],
        "hurt_now": True,
        "documents_withheld": True,
    }
    r = SCREENER.screen({"answers": answers})
    assert r.level is Level.REFER
    ilo = Screener(load_set("ilo-child-labour")).screen(
        {"answers": {k: v for k, v in answers.items() if k != "sexual_exploitation_conditions"}}
    )
    assert ilo.level is Level.CONCERN  # the ILO set keeps the ILO rule as stated


def test_violence_and_threats_are_two_strong_indicators() -> None:
    r = SCREENER.screen({"answers": {"hurt_now": True, "threatened_with_violence_now": True}})
    met = {i.id for i in r.indicators if i.status.value == "met"}
    assert {"cl_violence_at_destination", "cl_threats_of_violence_at_destination"} <= met
    assert any(d.id == "coercion_at_destination" and d.status.value == "present" for d in r.dimensions)


def test_a_sixteen_year_old_with_an_sti_and_many_partners_is_referred_like_sscst() -> None:
    answers = {"age_years": 16, "sti_now_or_past": True, "sexual_partners_count": 7, "many_sexual_partners": True}
    assert SSCST.screen({"answers": {"sti_now_or_past": True, "sexual_partners_count": 7}}).level is Level.REFER
    r = SCREENER.screen({"answers": answers})
    assert r.level is Level.REFER
    met = {i.id for i in r.indicators if i.status.value == "met"}
    assert {"sign_sti_child", "sign_many_partners_child"} <= met


INFANT = [i for i in DEFAULT.definition.indicators if i.dimension == "signs_child_obtained_unlawfully"]


def test_the_infant_pathway_asks_only_the_record_or_the_clinician() -> None:
    assert len(INFANT) >= 6
    for ind in INFANT:
        for field in ind.when.replace("(", " ").replace(")", " ").split():
            fd = DEFAULT.dictionary.by_id.get(field)
            if fd is not None:
                assert fd.asked_of in (Respondent.RECORD, Respondent.CLINICIAN), (ind.id, field)


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"age_years": 0, "child_obtained_for_payment": True}, Level.REFER),
        (
            {"age_years": 1, "parentage_account_does_not_fit": True, "care_arranged_outside_authorities": True},
            Level.REFER,
        ),
        ({"age_years": 0, "care_arranged_outside_authorities": True}, Level.CONCERN),
        # look-alike: a baby born at home abroad, no local record yet, parents' account fits
        (
            {
                "age_years": 0,
                "birth_not_registered": True,
                "parentage_account_does_not_fit": False,
                "care_arranged_outside_authorities": False,
                "child_obtained_for_payment": False,
                "several_unrelated_infants": False,
            },
            Level.NONE,
        ),
    ],
)
def test_infant_pathway(answers: dict[str, Any], expected: Level) -> None:
    assert SCREENER.screen({"answers": answers}).level is expected


# the ignore: accuracy is optional in the model (None when absent), and this research set declares it
STUDIES = load_set("sscst@0.1.1").definition.accuracy["studies"]  # type: ignore[index]


@pytest.mark.parametrize("study", STUDIES, ids=[s["id"] for s in STUDIES])
def test_evaluate_counts_reproduces_every_published_sscst_table(
    study: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    t = study["table"]
    counts = [t["true_positive"], t["false_negative"], t["false_positive"], t["true_negative"]]
    assert main(["evaluate", "--counts", *map(str, counts), "--format", "json"]) == 0
    row = json.loads(capsys.readouterr().out)["thresholds"][0]
    assert sum(counts) == study["n"]
    for key in ("sensitivity", "specificity", "ppv", "npv", "lr_positive"):
        if key in study:
            published = study[key]
            places = len(str(published).split(".")[1])
            assert math.isclose(round(row[key]["value"], places), published, abs_tol=1e-9), key
        if f"{key}_ci" in study:
            # the abstracts print intervals to two decimals of a percentage; one bound differs by 0.03 points
            # (recorded in the set's table_certainty), so agreement is checked to half a tenth of a point
            low, high = study[f"{key}_ci"]
            tol = 0.005 if key.startswith("lr") else 0.0005  # ratios are printed to two decimals
            assert abs(row[key]["low"] - low) <= tol and abs(row[key]["high"] - high) <= tol, key
    if "prevalence" in study:
        assert round((counts[0] + counts[1]) / sum(counts), 3) == study["prevalence"]
