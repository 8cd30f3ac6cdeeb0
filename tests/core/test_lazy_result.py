"""The bounds, details and question lists of a result are computed on first use, and every way of
reading a result sees them.

A plain screen (the level) pays for none of the bounds (highest_possible, settled), the details
(indicators, dimensions, reasons, red flags, forms, completeness) or ``ask_next``; reading a field of one
group computes that group alone; serialising, comparing, printing, iterating, copying or pickling a result
computes them all first, so a lazy result is indistinguishable from one built whole.
"""

from __future__ import annotations

import copy
import json
import pickle
import threading
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter

from trafficscreen.content.loader import DEFAULT_SET, load_set
from trafficscreen.core.engine import Screener
from trafficscreen.model.result import BOUND_FIELDS, DETAIL_FIELDS, QUESTION_FIELDS, ScreeningResult

ANSWERS: list[dict[str, Any]] = [
    {},
    {"age_years": 14, "child_seen_alone": True, "child_speaks_local_language": True, "works_long_hours": True},
    {"age_years": 1, "birth_not_registered": True},
]
LISTS = QUESTION_FIELDS
LAZY = (*BOUND_FIELDS, *DETAIL_FIELDS, *QUESTION_FIELDS)
GROUPS = (BOUND_FIELDS, DETAIL_FIELDS, QUESTION_FIELDS)


@pytest.fixture(scope="module")
def screener() -> Screener:
    return Screener(load_set(DEFAULT_SET))


def _pending(r: ScreeningResult, fields: tuple[str, ...] = LISTS) -> bool:
    return not set(fields) & r.__dict__.keys()


def _done(r: ScreeningResult, fields: tuple[str, ...]) -> bool:
    return set(fields) <= r.__dict__.keys()


@pytest.mark.parametrize("answers", ANSWERS)
def test_a_plain_screen_leaves_the_lists_for_later(screener: Screener, answers: dict[str, Any]) -> None:
    r = screener.screen({"answers": answers})
    assert r.level is not None and _pending(r, LAZY)
    assert r.settled in (True, False)
    assert _done(r, BOUND_FIELDS) and _pending(r) and _pending(r, DETAIL_FIELDS)
    assert r.completeness.total > 0
    assert _done(r, DETAIL_FIELDS) and _pending(r)  # reading a detail computes the details alone
    assert isinstance(r.ask_next, list)
    assert _done(r, LAZY)


@pytest.mark.parametrize("field", LAZY)
def test_reading_any_lazy_field_computes_its_group(screener: Screener, field: str) -> None:
    whole = screener.screen({"answers": ANSWERS[1]}).model_dump()
    r = screener.screen({"answers": ANSWERS[1]})
    assert _pending(r, LAZY)
    getattr(r, field)
    group = next(g for g in GROUPS if field in g)
    assert _done(r, group)
    assert all(_pending(r, other) for other in GROUPS if other is not group)
    assert r.model_dump() == whole


def test_the_questions_first_then_the_details(screener: Screener) -> None:
    whole = screener.screen({"answers": ANSWERS[1]})
    r = screener.screen({"answers": ANSWERS[1]})
    assert r.ask_next == whole.ask_next and r.indicators == whole.indicators and r == whole
    assert r.__pydantic_private__ == {"_pending": None}


@pytest.mark.parametrize("answers", ANSWERS)
def test_every_view_of_a_lazy_result_holds_the_lists(screener: Screener, answers: dict[str, Any]) -> None:
    eager = screener.screen({"answers": answers})
    expected = {name: _plain(getattr(eager, name)) for name in LAZY}
    assert expected["ask_next"] or expected["worth_recording"] or expected["cannot_ask"]

    def fresh() -> ScreeningResult:
        r = screener.screen({"answers": answers})
        assert _pending(r, LAZY)
        return r

    views: dict[str, Callable[[ScreeningResult], Any]] = {
        "model_dump": lambda r: r.model_dump(),
        "model_dump json mode": lambda r: r.model_dump(mode="json"),
        "model_dump_json": lambda r: json.loads(r.model_dump_json()),
        "dict()": lambda r: {k: v for k, v in dict(r).items()},
        "pickle": lambda r: pickle.loads(pickle.dumps(r)).model_dump(),
        "copy": lambda r: copy.copy(r).model_dump(),
        "deepcopy": lambda r: copy.deepcopy(r).model_dump(),
        "model_copy": lambda r: r.model_copy().model_dump(),
        "list adapter": lambda r: json.loads(TypeAdapter(list[ScreeningResult]).dump_json([r]))[0],
    }
    for name, view in views.items():
        seen = view(fresh())
        for key in LAZY:
            got = _plain(seen[key])
            assert json.loads(json.dumps(got, default=str)) == json.loads(json.dumps(expected[key], default=str)), (
                f"{name}: {key}"
            )
    assert repr(fresh()).count("ask_next=") == 1 and "ask_next=[" in repr(fresh())
    assert "indicators=[" in repr(fresh()) and "completeness=Completeness(" in repr(fresh())


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, list):
        return [_plain(x) for x in value]
    return value


def test_a_lazy_result_equals_the_same_result_read_back(screener: Screener) -> None:
    for answers in ANSWERS:
        r = screener.screen({"answers": answers})
        again = ScreeningResult.model_validate_json(screener.screen({"answers": answers}).model_dump_json())
        assert r == again and again == screener.screen({"answers": answers})


def test_a_result_nested_in_another_model_serialises_its_lists(screener: Screener) -> None:
    class Envelope(BaseModel):
        result: ScreeningResult

    r = screener.screen({"answers": ANSWERS[1]})
    out = json.loads(Envelope(result=r).model_dump_json())
    assert out["result"]["ask_next"] == [q.model_dump(mode="json") for q in r.ask_next]


def test_threads_reading_one_lazy_result_agree(screener: Screener) -> None:
    r = screener.screen({"answers": ANSWERS[1]})
    seen: list[list[str]] = []

    def read() -> None:
        seen.append([q.field for q in r.ask_next])

    threads = [threading.Thread(target=read) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 8 and all(s == seen[0] for s in seen) and seen[0]


def test_the_json_schema_is_that_of_the_fields() -> None:
    schema = ScreeningResult.model_json_schema(mode="serialization")
    assert {"ask_next", "cannot_ask", "worth_recording", "level"} <= schema["properties"].keys()
    assert schema["properties"]["ask_next"]["type"] == "array"
    assert ScreeningResult.model_json_schema(mode="validation")["properties"].keys() == schema["properties"].keys()


def test_other_attributes_still_raise(screener: Screener) -> None:
    r = screener.screen({"answers": {}})
    with pytest.raises(AttributeError):
        r.__getattr__("no_such_field")


def test_a_result_owns_its_lists(screener: Screener) -> None:
    """The engine reuses immutable parts between screens, never a list: changing one result's lists
    leaves the next result of the same answers as it was."""
    answers = {"age_years": 14, "works_long_hours": True, "hurt_now": True, "threatened_with_violence_now": True}
    first = screener.screen({"answers": answers})
    expected = screener.screen({"answers": answers}).model_dump()
    assert first.forms and first.dimensions and first.indicators
    for name in LAZY:
        value = getattr(first, name)
        if isinstance(value, list):
            value.clear()
    assert screener.screen({"answers": answers}).model_dump() == expected


def test_reading_the_questions_runs_the_set_once(screener: Screener, monkeypatch: pytest.MonkeyPatch) -> None:
    """The questions need the whole run and the highest level: the highest is read from that run, so the
    set's separate function for it is never called."""
    cs = screener.set
    calls: list[str] = []
    real_possible = cs.possible_levels

    def possible_levels(answers: Mapping[str, Any]) -> tuple[bool, ...]:
        calls.append("possible")
        return real_possible(answers)

    monkeypatch.setattr(cs, "possible_levels", possible_levels)
    for answers in ANSWERS:
        r = screener.screen({"answers": answers})
        assert isinstance(r.ask_next, list) and r.indicators
        assert r.highest_possible is not None
    assert calls == []
    r = screener.screen({"answers": ANSWERS[1]})
    assert r.settled in (True, False) and calls == ["possible"]
