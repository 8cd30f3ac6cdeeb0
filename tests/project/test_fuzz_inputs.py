"""Fuzzing the encounter parser and the QuestionnaireResponse importer (issue 17, "Fuzzing stays"): hostile
JSON never crashes them, every refusal is a TrafficscreenError of one line that repeats no value, and
whatever is accepted screens to a result that serialises.

The normal suite runs a small, seeded budget (a few seconds); ``pytest -m fuzz`` runs a larger one.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from conftest import MINI_SET
from fhir_support import fill
from trafficscreen.content.loader import load_set
from trafficscreen.core.compiled import CompiledSet
from trafficscreen.core.engine import Screener
from trafficscreen.errors import TrafficscreenError
from trafficscreen.fhir import encounter_from_questionnaire_response, questionnaire
from trafficscreen.fhir.importer import read_questionnaire_response
from trafficscreen.model.encounter import parse_encounter_json

SMALL = 60
LARGE = 2000
SEED = 20260117
SECRET = "Zq7Secret"  # stands for a patient value: it must never appear in a message

FIELDS = ["age_years", "deceived", "long_hours", "accompanied_by", "work_types", "lives_at_work"]
KEYS = [*FIELDS, "id", "answers", "Deceived", "", "x y", "naïve", "a" * 90, "\ud800", "__class__"]
SCALARS: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    12,
    17.5,
    2**70,
    -(2**70),
    1e308,
    "",
    " ",
    "true",
    "parent",
    "employer",
    "domestic",
    "2025-02-30",
    "2025-01-01",
    "\x00",
    "é",
    SECRET,
    f"{SECRET}\n",
    "\ud800",
]
TEXT_MUTATIONS = [
    b"",
    b",",
    b"}",
    b"{",
    b"]",
    b'"',
    b"\\",
    b"\\ud800",
    b"\xff",
    b"\x00",
    b"1" * 4400,
    b"NaN",
    b"Infinity",
    b"-",
    b"1e999",
    b"[" * 80,
    b'"deceived": true, "deceived": false, ',
]


def json_values() -> st.SearchStrategy[Any]:
    return st.recursive(
        st.one_of(
            st.sampled_from(SCALARS), st.integers(-(2**64), 2**64), st.floats(allow_nan=True), st.text(max_size=8)
        ),
        lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)),
        max_leaves=8,
    )


@st.composite
def encounter_texts(draw: st.DrawFn) -> bytes:
    answers = draw(st.dictionaries(st.sampled_from(KEYS), json_values(), max_size=6))
    doc: Any = {"answers": answers}
    if draw(st.booleans()):
        doc["id"] = draw(st.sampled_from([SECRET, "enc-1", "\ud800", "x" * 300, 7, None]))
    if draw(st.integers(0, 5)) == 0:
        doc = draw(json_values())
    data = json.dumps(doc, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(data)))
        cut = draw(st.integers(0, 3))
        data = data[:at] + draw(st.sampled_from(TEXT_MUTATIONS)) + data[at + cut :]
    return data


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*path, i))
    return out


@st.composite
def mutated_responses(draw: st.DrawFn, base: dict[str, Any]) -> Any:
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(doc)
        path = draw(st.sampled_from(paths))
        if not path:
            if draw(st.integers(0, 9)) == 0:
                doc = draw(json_values())
            continue
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        kind = draw(st.sampled_from(["replace", "delete", "wrap", "duplicate"]))
        if kind == "replace":
            parent[last] = draw(json_values())
        elif kind == "delete":
            del parent[last]
        elif kind == "wrap":
            parent[last] = [parent[last]]
        elif isinstance(parent, list):
            parent.append(copy.deepcopy(parent[last]))
        else:
            parent[draw(st.sampled_from(KEYS))] = copy.deepcopy(parent[last])
    return doc


def check_refusal(exc: TrafficscreenError) -> None:
    text = str(exc)
    assert "\n" not in text, text
    assert SECRET not in text, text
    assert len(text) < 1000, text


def check_result(screener: Screener, encounter: Any) -> None:
    try:
        result = screener.screen(encounter)
    except TrafficscreenError as exc:
        check_refusal(exc)
        return
    result.model_dump_json()  # serialises: no lone surrogate, no odd number reached the result


def _fuzz_encounters(budget: int) -> Callable[[Screener], None]:
    @seed(SEED)
    @settings(
        max_examples=budget,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=encounter_texts())
    def run(screener: Screener, data: bytes) -> None:
        try:
            encounter = parse_encounter_json(data, "fuzz.json")
        except TrafficscreenError as exc:
            check_refusal(exc)
            return
        check_result(screener, encounter)
        check_result(screener, data)  # the Python API given the text agrees: it parses it the same way

    return run


def _fuzz_responses(budget: int) -> Callable[[CompiledSet, dict[str, Any]], None]:
    @seed(SEED)
    @settings(
        max_examples=budget,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def run(cs: CompiledSet, base: dict[str, Any], data: st.DataObject) -> None:
        doc = data.draw(mutated_responses(base))
        screener = Screener(cs)
        try:
            encounter = encounter_from_questionnaire_response(doc, cs)
        except TrafficscreenError as exc:
            check_refusal(exc)
        else:
            check_result(screener, encounter)
        # the same as text, through the reader the CLI uses, with text mutations on top
        text = json.dumps(doc).encode("utf-8", "surrogatepass")
        if data.draw(st.booleans()):
            at = data.draw(st.integers(0, len(text)))
            text = text[:at] + data.draw(st.sampled_from(TEXT_MUTATIONS)) + text[at:]
        try:
            response = read_questionnaire_response(text, "fuzz.json")
            if response is not None:
                check_result(screener, response.encounter(cs))
        except TrafficscreenError as exc:
            check_refusal(exc)

    return run


@pytest.fixture(scope="module")
def cs() -> CompiledSet:
    return load_set(MINI_SET)


@pytest.fixture(scope="module")
def base_response(cs: CompiledSet) -> dict[str, Any]:
    q = questionnaire(cs, "R4B", "en")
    doc = fill(
        q,
        {
            "age_years": 12,
            "deceived": True,
            "long_hours": False,
            "accompanied_by": "parent",
            "work_types": ["domestic", "street"],
        },
        qr_id="qr-1",
    )
    doc["subject"] = {"reference": "Patient/p-1"}
    return doc


def _large(request: pytest.FixtureRequest) -> None:
    if "fuzz" not in (request.config.getoption("markexpr") or ""):
        pytest.skip(f"larger budget ({LARGE} inputs): run with -m fuzz")


def test_fuzz_encounter_parser(cs: CompiledSet) -> None:
    _fuzz_encounters(SMALL)(Screener(cs))


def test_fuzz_questionnaire_response_importer(cs: CompiledSet, base_response: dict[str, Any]) -> None:
    assert encounter_from_questionnaire_response(base_response, cs)["answers"]  # the seed itself is read
    _fuzz_responses(SMALL)(cs, base_response)


@pytest.mark.fuzz
def test_fuzz_encounter_parser_large(cs: CompiledSet, request: pytest.FixtureRequest) -> None:
    _large(request)
    _fuzz_encounters(LARGE)(Screener(cs))


@pytest.mark.fuzz
def test_fuzz_questionnaire_response_importer_large(
    cs: CompiledSet, base_response: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    _large(request)
    _fuzz_responses(LARGE)(cs, base_response)
