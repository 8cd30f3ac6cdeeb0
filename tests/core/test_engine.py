from __future__ import annotations

import functools
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trafficscreen.content.loader import DEFAULT_SET, load_set
from trafficscreen.core.compiled import CompiledSet
from trafficscreen.core.engine import Screener
from trafficscreen.errors import EncounterError, UnsupportedLanguageError
from trafficscreen.model.common import Level
from trafficscreen.model.encounter import Encounter, check_answers
from trafficscreen.model.result import ScreeningResult

STRONG_REFER = {
    "deceived": True,
    "accompanied_by": "employer",
    "age_years": 12,
    "lives_at_work": True,
    "long_hours": False,
    "work_types": ["street", "domestic"],
}


def statuses(result: ScreeningResult) -> dict[str, str]:
    return {i.id: i.status.value for i in result.indicators}


def test_empty_encounter_is_none_but_could_reach_urgent(mini_screener: Screener) -> None:
    r = mini_screener.screen({"answers": {}})
    assert r.level is Level.NONE
    assert r.highest_possible is Level.URGENT
    assert not r.settled
    assert set(statuses(r).values()) == {"unknown"}
    assert r.completeness.answered == 0 and not r.completeness.complete
    # every unanswered field is worth asking, red-flag fields first in the set's priority order
    assert [q.field for q in r.ask_next][:2] == ["long_hours", "work_types"]
    assert r.ask_next[0].red_flag
    assert "not a negative result" in r.notice


def test_all_no_is_settled_none(mini_screener: Screener) -> None:
    r = mini_screener.screen(
        {
            "answers": {
                "deceived": False,
                "accompanied_by": "parent",
                "age_years": 9,
                "lives_at_work": False,
                "long_hours": False,
                "work_types": [],
            }
        }
    )
    assert (r.level, r.highest_possible, r.settled) == (Level.NONE, Level.NONE, True)
    assert r.ask_next == []
    assert r.completeness.complete
    assert r.reasons[0] == "No indicator is met on the answers given."


def test_refer_with_reasons(mini_screener: Screener) -> None:
    r = mini_screener.screen({"id": "enc-1", "answers": STRONG_REFER})
    assert r.level is Level.REFER and r.level_id == "presumed"
    assert r.highest_possible is Level.REFER and r.settled
    assert r.encounter_id == "enc-1"
    assert [d.status.value for d in r.dimensions] == ["present", "present"]
    rec = r.dimensions[0]
    assert (rec.met.strong, rec.met.medium, rec.unknown.strong) == (1, 1, 0)
    assert r.reasons[0].startswith("Reached 'Presumed'")
    assert r.level_rule == "recruitment and exploitation"
    assert [f.form.value for f in r.forms] == ["labour", "begging"]


def test_red_flag_escalates_to_urgent(mini_screener: Screener) -> None:
    r = mini_screener.screen({"answers": {"long_hours": True, "work_types": ["domestic"]}})
    assert r.level is Level.URGENT
    assert r.red_flags == ["hours"]
    assert any(reason.startswith("Red flag: Long hours") for reason in r.reasons)


def test_one_strong_alone_does_not_make_a_dimension(mini_screener: Screener) -> None:
    r = mini_screener.screen({"answers": {"deceived": True, "accompanied_by": "parent"}})
    assert r.dimensions[0].status.value == "absent"
    assert r.level is Level.CONCERN  # the set's concern rule counts any strong indicator


def test_unknown_dimension_when_rule_depends_on_unknowns(mini_screener: Screener) -> None:
    r = mini_screener.screen({"answers": {"deceived": True}})
    assert r.dimensions[0].status.value == "unknown"
    assert r.dimensions[0].unknown.medium == 1


def test_results_built_fast_equal_validated_results(mini_screener: Screener) -> None:
    for answers in ({}, STRONG_REFER, {"long_hours": True, "work_types": ["domestic"]}):
        r = mini_screener.screen({"answers": answers})
        again = ScreeningResult.model_validate_json(r.model_dump_json())
        assert again == r
        assert again.model_dump() == r.model_dump()


def test_encounter_model_is_accepted(mini_screener: Screener) -> None:
    r = mini_screener.screen(Encounter(id="x", answers={"deceived": True}))
    assert statuses(r)["deceived_job"] == "met"


def test_language_selection(mini_screener: Screener) -> None:
    r = mini_screener.screen({"answers": {}}, lang="nb")
    assert r.lang == "nb"
    assert r.level_title == "Ingen indikatorer funnet blant spørsmålene som er besvart"
    with pytest.raises(UnsupportedLanguageError, match="not supported"):
        mini_screener.screen({"answers": {}}, lang="fr")


@pytest.mark.parametrize(
    ("answers", "fragment"),
    [
        ({"deceivd": True}, "'deceivd' is not a field of mini@1.0.0 (did you mean 'deceived'?)"),
        ({"deceived": "Maria Silva"}, "field 'deceived': expected true or false, got text"),
        ({"age_years": 30}, "field 'age_years': above the largest allowed value (25)"),
        ({"age_years": 12.5}, "field 'age_years': expected a whole number"),
        ({"age_years": True}, "field 'age_years': expected a number, got true/false"),
        ({"accompanied_by": "uncle Tom"}, "field 'accompanied_by': the answer is not one of its choices"),
        ({"work_types": "street"}, "field 'work_types': expected a list of choices, got text"),
        ({"work_types": ["street", "Oslo sentrum"]}, "field 'work_types': the list holds an answer"),
    ],
)
def test_bad_answers_name_the_field_never_the_value(
    mini_screener: Screener, answers: dict[str, object], fragment: str
) -> None:
    with pytest.raises(EncounterError) as info:
        mini_screener.screen({"answers": answers})
    message = str(info.value)
    assert fragment in message
    for value in answers.values():
        if isinstance(value, str):
            assert value not in message
    assert "Oslo" not in message and "Maria" not in message and "Tom" not in message


@pytest.mark.parametrize(
    ("encounter", "fragment"),
    [
        ([], "must be a JSON object"),
        ({"answers": [], "id": "x"}, "'answers' must be an object"),
        ({"patient": "Ana", "answers": {}}, "unknown top-level key 'patient'"),
        ({"id": 3, "answers": {}}, "'id' must be text"),
    ],
)
def test_bad_encounter_shape(mini_screener: Screener, encounter: object, fragment: str) -> None:
    with pytest.raises(EncounterError, match=fragment):
        mini_screener.screen(encounter)  # type: ignore[arg-type]  # malformed encounters on purpose


def test_null_answers_are_unknown_not_no(mini_screener: Screener) -> None:
    r = mini_screener.screen({"answers": {"deceived": None}})
    assert statuses(r)["deceived_job"] == "unknown"


def test_same_output_across_runs_and_threads(mini: CompiledSet) -> None:
    encounters: list[dict[str, Any]] = [
        {"answers": {}},
        {"answers": STRONG_REFER},
        {"answers": {"deceived": True}},
        {"answers": {"long_hours": True, "work_types": ["domestic"]}},
    ] * 50
    expected = [Screener(mini).screen(e).model_dump_json() for e in encounters]
    shared = Screener(mini)
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda e: shared.screen(e).model_dump_json(), encounters))
    assert got == expected
    assert json.loads(expected[1])["level"] == "refer"


def test_checked_answers_are_a_normalised_copy(mini: CompiledSet) -> None:
    """The check copies the answers whole and rewrites only those that are not a plain yes or no: the
    caller's mapping is never changed, unknowns are dropped, sets and whole numbers are normalised."""
    answers = {
        "deceived": True,
        "long_hours": None,
        "work_types": ["street"],
        "age_years": 12.0,
        "lives_at_work": False,
    }
    before = dict(answers)
    out = check_answers(answers, mini.dictionary)
    assert answers == before and out is not answers
    assert out == {"deceived": True, "work_types": frozenset({"street"}), "age_years": 12, "lives_at_work": False}
    assert type(out["age_years"]) is int


def test_every_refused_answer_is_counted_in_one_error(mini: CompiledSet) -> None:
    answers = {"deceived": True, "age_years": 30, "no_such_field": True, "work_types": "street"}
    with pytest.raises(EncounterError) as info:
        check_answers(answers, mini.dictionary)
    assert str(info.value).endswith("(and 2 more problem(s))")
    assert len(info.value.problems) == 3 and "age_years" in info.value.problems[0]


@functools.cache
def _default_set() -> CompiledSet:
    return load_set(DEFAULT_SET)


YES_NO_VALUES = st.sampled_from([True, False, None, 1, 0, 1.0, "yes", "true", [True]])


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_yes_no_answers_are_exactly_true_or_false(data: st.DataObject) -> None:
    """Only the values True and False answer a yes/no field (not 1, 0, 1.0 or text, though 1 == True),
    None is dropped as unknown, and the result is the same whichever answers sit beside them."""
    cs = _default_set()
    yes_no = sorted(cs.dictionary.boolean_fields)
    keys = data.draw(st.lists(st.sampled_from(yes_no), unique=True, max_size=20))
    answers = {k: data.draw(YES_NO_VALUES) for k in keys}
    valid = all(v is None or v is True or v is False for v in answers.values())
    if valid:
        assert check_answers(answers, cs.dictionary) == {k: v for k, v in answers.items() if v is not None}
    else:
        with pytest.raises(EncounterError) as info:
            check_answers(answers, cs.dictionary)
        bad = [k for k, v in answers.items() if not (v is None or v is True or v is False)]
        assert f"field '{bad[0]}'" in str(info.value)


def test_a_screener_builds_each_language_on_first_use(mini: CompiledSet) -> None:
    """A Screener builds the parts of its own language only; another language's are built the first time
    a screen asks for it, once, and give the same result as a Screener made in that language."""
    screener = Screener(mini)
    assert set(screener._parts) == set()
    english = screener.screen({"answers": {}})
    assert set(screener._parts) == {"en"}
    portuguese = screener.screen({"answers": {}}, lang="pt")
    assert set(screener._parts) == {"en", "pt"}
    assert portuguese == Screener(mini, lang="pt").screen({"answers": {}})
    assert english == Screener(mini).screen({"answers": {}})
    parts = screener._parts["pt"]
    screener.screen({"answers": {}}, lang="pt")
    assert screener._parts["pt"] is parts
