"""The CQL/ELM of every shipped set agrees with the reference compiled function, unknowns included, as
judged by engines we did not write: the reference JavaScript CQL engine (cql-execution) runs our ELM, and
the HL7 CQL-to-ELM translator (@cqframework/cql) translates our CQL text, whose ELM cql-execution runs too.

Per set: every indicator example, every vignette written for it, and 10,000 seeded random encounters
(a random share of the questions answered, the rest unknown) must give the same indicator statuses,
dimension statuses, dimension counts (as intervals), level reached and highest possible level.
All encounters of a set go to one node process. The tools are installed under tools/cql by
scripts/setup.d/45-cql.sh (make test runs it); these tests fail, never skip, when they are missing.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import zlib
from pathlib import Path
from typing import Any

import pytest

from fhir_support import random_answers
from paths import ROOT
from trafficscreen.content.loader import load_set, shipped_sets
from trafficscreen.core.compiled import CompiledSet
from trafficscreen.cql import cql_text, elm_library, expected_outputs
from trafficscreen.cql.elm import ElmGen
from trafficscreen.cql.lowering import assemble
from trafficscreen.cql.package import indicator_example_cases, vignette_cases
from trafficscreen.cql.text import CqlGen
from trafficscreen.expr.worlds import GuardedWorlds
from trafficscreen.model.dictionary import FieldType

TOOL = ROOT / "tools" / "cql"
RUNNER = TOOL / "run_elm.mjs"
SETUP = "bash scripts/setup.d/45-cql.sh"
VIGNETTES = ROOT / "tests" / "vignettes"
RANDOM_ENCOUNTERS = 10_000
SETS = [f"{s}@{v}" for s, v, _ in shipped_sets()]


def run_node(payload: dict[str, Any]) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.fail(f"node is not installed; run `{SETUP}` (make test does)")
    for package in ("cql-execution", "@cqframework/cql"):
        if not (TOOL / "node_modules" / package / "package.json").is_file():
            pytest.fail(f"{package} is not installed under {TOOL}; run `{SETUP}` (make test does)")
    proc = subprocess.run(
        [node, str(RUNNER)], input=json.dumps(payload), capture_output=True, text=True, check=False, timeout=3600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out: dict[str, Any] = json.loads(proc.stdout)
    return out


def plain(answers: dict[str, Any]) -> dict[str, Any]:
    """Answers as JSON (dates as ISO text), unknowns left out."""
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in answers.items() if v is not None}


def cases_for(cs: CompiledSet) -> tuple[list[dict[str, Any]], int]:
    """(encounters, how many of them are examples and vignettes)."""
    fixed = [plain(dict(c.answers)) for c in indicator_example_cases(cs) + vignette_cases(cs, VIGNETTES)]
    rng = random.Random(zlib.crc32(cs.ref.encode()))
    rand = [random_answers(cs, rng, rng.random()) for _ in range(RANDOM_ENCOUNTERS)]
    return fixed + rand, len(fixed)


def payload(cs: CompiledSet, encounters: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    lib = assemble(cs, ElmGen)
    dates = [f for f in cs.used_fields if cs.dictionary.by_id[f].type is FieldType.DATE]
    return {"outputs": list(lib.outputs), "dates": dates, "encounters": encounters, **extra}


def disagreements(
    cs: CompiledSet, encounters: list[dict[str, Any]], rows: list[list[Any]]
) -> list[tuple[int, list[str]]]:
    """(encounter index, names of the outputs that differ) for every encounter that disagrees."""
    names = assemble(cs, ElmGen).outputs
    assert len(rows) == len(encounters)
    out = []
    for k, (answers, row) in enumerate(zip(encounters, rows, strict=True)):
        want = expected_outputs(cs, answers)
        if want != row:
            out.append((k, [n for n, a, b in zip(names, want, row, strict=True) if a != b]))
    return out


def test_both_generators_are_backends_of_the_one_lowering() -> None:
    assert issubclass(CqlGen, GuardedWorlds)
    assert issubclass(ElmGen, GuardedWorlds)
    # they supply primitives only: the translation itself (two, interval, the comparison table) is shared
    for gen in (CqlGen, ElmGen):
        for method in ("two", "interval", "compare_intervals", "field_test", "plain_test"):
            assert getattr(gen, method) is getattr(GuardedWorlds, method)


def test_every_shipped_set_is_covered() -> None:
    assert len(SETS) >= 12
    assert len(list(VIGNETTES.glob("*.yaml"))) >= 15


@pytest.mark.cql
@pytest.mark.parametrize("ref", SETS)
def test_elm_and_translated_cql_agree_with_the_reference(ref: str) -> None:
    cs = load_set(ref, allow_draft=True)
    encounters, fixed = cases_for(cs)
    assert fixed >= len(cs.definition.indicators)  # every indicator has examples
    result = run_node(payload(cs, encounters, elm={"generated": elm_library(cs)}, cql={"translated": cql_text(cs)}))
    translation = result["translation"]["translated"]
    assert translation["errors"] == [], translation["errors"][:5]
    for label in ("generated", "translated"):
        rows = result["results"][label]
        bad = disagreements(cs, encounters, rows)
        assert bad == [], f"{label}: {len(bad)} of {len(encounters)} encounters disagree, first {bad[:3]}"
    # the random encounters really leave questions unknown, and reach more than one outcome
    levels = {tuple(r[-2:]) for r in result["results"]["generated"][fixed:]}
    assert len(levels) >= 2
    assert any(len(e) < len(cs.used_fields) for e in encounters[fixed:])


@pytest.mark.cql
def test_the_engine_as_shipped_agrees_with_the_cached_runs() -> None:
    """run_elm.mjs lets cql-execution's cache return a cached false, 0 or '' (as shipped it evaluates
    those definitions again); a control run with the engine exactly as shipped gives the same answers."""
    cs = load_set("paediatric-default")
    encounters, fixed = cases_for(cs)
    sample = encounters[: fixed + 300]
    shipped = run_node(payload(cs, sample, elm={"generated": elm_library(cs)}, recompute_falsy=True))
    assert disagreements(cs, sample, shipped["results"]["generated"]) == []


@pytest.mark.cql
def test_a_wrong_library_is_caught() -> None:
    """A control: an ELM library with one rule changed disagrees, so agreement above means something."""
    cs = load_set("paediatric-default")
    elm = elm_library(cs)
    defs = elm["library"]["statements"]["def"]
    target = next(d for d in defs if d["name"].endswith(".possible") and d["name"].startswith("indicator."))
    target["expression"] = {"type": "Literal", "valueType": "{urn:hl7-org:elm-types:r1}Boolean", "value": "false"}
    encounters, fixed = cases_for(cs)
    sample = encounters[:fixed]
    result = run_node(payload(cs, sample, elm={"broken": elm}))
    assert disagreements(cs, sample, result["results"]["broken"]) != []


def test_cql_text_reads_every_answer_in_two_worlds() -> None:
    """Every read of a parameter in the CQL text is a test that is never null (is true, is not false,
    is null, is not null) or sits in a test guarded by one; CQL's own null logic is never relied on."""
    cs = load_set("paediatric-default")
    text = cql_text(cs)
    assert "is true" in text and "is not false" in text
    for name, _typ in assemble(cs, CqlGen).parameters:
        assert f'parameter "{name}"' in text
    # no definition reads a yes/no parameter bare: a yes/no field appears only inside 'is true' or 'is not false'
    for f in cs.used_fields:
        if cs.dictionary.by_id[f].type is FieldType.BOOLEAN:
            quoted = f'"{f}"'
            uses = text.count(quoted) - 1  # the parameter declaration
            wrapped = text.count(f"({quoted} is true)") + text.count(f"({quoted} is not false)")
            wrapped += text.count(f"({quoted} is null)") + text.count(f"({quoted} is not null)")
            assert uses == wrapped, f


def test_outputs_match_the_engine_on_the_examples(tmp_path: Path) -> None:
    """expected_outputs (what the tests compare with) says what Screener says."""
    from trafficscreen.core.engine import Screener

    cs = load_set("paediatric-default")
    screener = Screener(cs)
    for case in indicator_example_cases(cs)[:60] + vignette_cases(cs, VIGNETTES):
        result = screener.screen({"answers": dict(case.answers)})
        out = expected_outputs(cs, case.answers)
        n_ind = len(cs.plan.indicator_ids)
        assert out[:n_ind] == [i.status.value for i in result.indicators]
        assert out[n_ind : n_ind + len(cs.plan.dimension_ids)] == [d.status.value for d in result.dimensions]
        assert out[-2:] == [result.level.value, result.highest_possible.value]
