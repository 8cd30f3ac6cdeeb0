"""Helpers shared by the FHIR tests: example encounters, filling a generated Questionnaire the way a form
would, and evaluating enableWhen."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from paths import ROOT
from trafficscreen.content.loader import load_set
from trafficscreen.core.compiled import CompiledSet
from trafficscreen.core.engine import DEFAULT_SET, Screener
from trafficscreen.fhir._common import NONE_OF_THESE
from trafficscreen.model.dictionary import FieldType

EXAMPLE_ENCOUNTERS = sorted((ROOT / "examples" / "encounters").glob("*.json"))
EXAMPLE_RESPONSE = ROOT / "examples" / "fhir" / "questionnaire-response.json"


@cache
def default_set() -> CompiledSet:
    return load_set(DEFAULT_SET)


@cache
def default_screener() -> Screener:
    return Screener(default_set())


def example(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def questions(q: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every item of a Questionnaire that takes an answer, depth first."""
    for item in q.get("item", []):
        if item["type"] == "group":
            yield from questions(item)
        elif item["type"] != "display":
            yield item


def _answer(item: Mapping[str, Any], value: Any) -> list[dict[str, Any]]:
    t = item["type"]
    if t == "boolean":
        return [{"valueBoolean": value}]
    if t == "integer":
        return [{"valueInteger": value}]
    if t == "decimal":
        return [{"valueDecimal": value}]
    if t == "date":
        return [{"valueDate": value}]
    options = {o["valueCoding"]["code"]: o["valueCoding"] for o in item["answerOption"]}
    codes = value if isinstance(value, list) else [value]
    if codes == []:  # a known empty list: the exclusive 'none of these' option
        codes = [NONE_OF_THESE]
    return [{"valueCoding": {k: v for k, v in options[c].items() if k in ("system", "code", "display")}} for c in codes]


def enabled(item: Mapping[str, Any], answers: Mapping[str, Any]) -> bool:
    """Whether ``item`` is shown, given the answers so far (FHIR enableWhen semantics for one answer)."""
    conditions = item.get("enableWhen")
    if not conditions:
        return True
    results = []
    for c in conditions:
        have = c["question"] in answers and answers[c["question"]] is not None
        if c["operator"] == "exists":
            results.append(have == c["answerBoolean"])
            continue
        if not have:
            results.append(False)
            continue
        given = answers[c["question"]]
        expected: Any = next(v for k, v in c.items() if k.startswith("answer"))
        if isinstance(expected, dict):
            expected = expected["code"]
        values = given if isinstance(given, list) else [given]
        op = c["operator"]
        if op == "=":
            results.append(expected in values)
        elif op == "!=":
            results.append(any(v != expected for v in values))
        else:
            results.append(
                any(
                    {"<": v < expected, "<=": v <= expected, ">": v > expected, ">=": v >= expected}[op] for v in values
                )
            )
    return any(results) if item.get("enableBehavior") == "any" else all(results)


def fill(
    q: Mapping[str, Any],
    answers: Mapping[str, Any],
    *,
    qr_id: str | None = None,
    respect_enable_when: bool = False,
    status: str = "completed",
) -> dict[str, Any]:
    """A QuestionnaireResponse to ``q`` holding ``answers`` (encounter-style values), grouped as ``q`` is.
    Fields the questionnaire does not ask are left out; with ``respect_enable_when``, so are the answers
    of questions a form would hide."""

    def walk(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for item in items:
            if item["type"] == "display":
                continue
            if item["type"] == "group":
                inner = walk(item["item"])
                if inner:
                    out.append({"linkId": item["linkId"], "item": inner})
                continue
            value = answers.get(item["linkId"])
            if value is None or (respect_enable_when and not enabled(item, answers)):
                continue
            out.append({"linkId": item["linkId"], "answer": _answer(item, value)})
        return out

    qr: dict[str, Any] = {"resourceType": "QuestionnaireResponse"}
    if qr_id is not None:
        qr["id"] = qr_id
    qr["questionnaire"] = f"{q['url']}|{q['version']}"
    qr["status"] = status
    qr["item"] = walk(q["item"])
    return qr


def domain(cs: CompiledSet, field: str) -> list[Any]:
    """A few values of every kind a field can take (for exhaustive checks)."""
    fd = cs.dictionary.by_id[field]
    if fd.type is FieldType.BOOLEAN:
        return [True, False]
    if fd.type is FieldType.ENUM:
        return sorted(fd.codes)
    if fd.type is FieldType.SET:
        codes = sorted(fd.codes)
        return [[], codes[:1], codes[-1:], codes]
    if fd.type is FieldType.INTEGER:
        lo = int(fd.min if fd.min is not None else 0)
        hi = int(fd.max if fd.max is not None else 100)
        return sorted({lo, (lo + hi) // 2, 17, 18, hi} & set(range(lo, hi + 1)))
    if fd.type is FieldType.NUMBER:
        return [fd.min if fd.min is not None else 0.0, 17.5]
    return ["2020-01-01"]


def random_answers(cs: CompiledSet, rng: random.Random, p_answer: float = 0.6) -> dict[str, Any]:
    """Answers to a random part of the set's questions (the rest unknown)."""
    out: dict[str, Any] = {}
    for f in cs.used_fields:
        if rng.random() < p_answer:
            out[f] = rng.choice(domain(cs, f))
    return out
