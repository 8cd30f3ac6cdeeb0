"""Shipped content under indicators/: it validates, every indicator is sourced, the default set can reach
every form of exploitation, red flags reach 'urgent' on their own, and research drafts stay refused unless
asked for. Everything is derived from the loaded sets, so the tests follow the content as it grows."""

from __future__ import annotations

from pathlib import Path

import pytest

from trafficscreen.authoring.validate import validate_paths
from trafficscreen.content.loader import load_set, shipped_dictionaries, shipped_sets
from trafficscreen.core.compiled import CompiledSet
from trafficscreen.core.engine import DEFAULT_SET, Screener
from trafficscreen.errors import DraftSetError
from trafficscreen.model.common import Form, Level
from trafficscreen.model.indicator_set import Status

SETS = [f"{ident}@{version}" for ident, version, _ in shipped_sets()]
FILES = [path for _, _, path in shipped_sets()] + [path for _, _, path in shipped_dictionaries()]
_LOADED: dict[str, CompiledSet] = {}


def _load(ref: str) -> CompiledSet:
    if ref not in _LOADED:
        _LOADED[ref] = load_set(ref, allow_draft=True)
    return _LOADED[ref]


def _with_red_flags() -> list[str]:
    return [ref for ref in SETS if any(i.red_flag for i in _load(ref).definition.indicators)]


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.name}" for p in FILES])
def test_every_shipped_file_validates_without_errors(path: Path) -> None:
    errors = [str(i) for i in validate_paths([path]) if i.severity == "error"]
    assert errors == []


def test_the_default_set_is_fully_translated() -> None:
    path = _load(DEFAULT_SET).path
    assert path is not None
    missing = [str(i) for i in validate_paths([path]) if "translation" in i.message]
    assert missing == []


@pytest.mark.parametrize("ref", SETS)
def test_every_indicator_has_a_source_with_a_locator(ref: str) -> None:
    d = _load(ref).definition
    sources = {s.id: s for s in d.sources}
    for ind in d.indicators:
        assert ind.source.source in sources, ind.id
        assert ind.source.locator.strip(), ind.id
        if not sources[ind.source.source].verified:
            # wording cannot have been checked in a source that was not read
            assert not ind.source.verified, ind.id


def test_the_default_set_reaches_every_form_of_exploitation() -> None:
    cs = load_set(DEFAULT_SET)
    screener = Screener(cs)
    reached: set[Form] = set()
    for ind in cs.definition.indicators:
        if ind.examples.met:
            result = screener.screen({"answers": ind.examples.met[0]})
            reached |= {f.form for f in result.forms}
    assert reached == set(Form), f"not reachable: {sorted(f.value for f in set(Form) - reached)}"


def test_the_clinical_and_default_sets_have_red_flags() -> None:
    ids = {ref.split("@", 1)[0] for ref in _with_red_flags()}
    assert {DEFAULT_SET, "paediatric-clinical-signs"} <= ids


@pytest.mark.parametrize("ref", _with_red_flags())
def test_a_red_flag_alone_reaches_urgent(ref: str) -> None:
    cs = _load(ref)
    screener = Screener(cs, allow_draft=True)
    flags = [i for i in cs.definition.indicators if i.red_flag]
    for ind in flags:
        assert ind.examples.met, f"red flag {ind.id} has no met example"
        result = screener.screen({"answers": ind.examples.met[0]})
        assert result.level is Level.URGENT, ind.id
        assert ind.id in result.red_flags


def test_an_indicator_id_means_the_same_in_every_set() -> None:
    """Within one dictionary version an id reads the same answers everywhere. A new dictionary version may
    give an id a new condition (its changelog says so): results name set@version, so old ones reproduce."""
    seen: dict[tuple[str, str], tuple[str, tuple[object, ...]]] = {}
    for ref in SETS:
        d = _load(ref).definition
        for ind in d.indicators:
            meaning = (ind.when.strip(), ind.strength, ind.dimension, ind.red_flag)
            key = (d.dictionary, ind.id)
            if key in seen:
                first_ref, first = seen[key]
                assert meaning == first, f"{ind.id} differs between {first_ref} and {ref}"
            else:
                seen[key] = (ref, meaning)


def test_points_in_the_default_set_count_clinical_signs_only() -> None:
    """The default set's level rules read 'points' as clinical points and 'strong' as ILO strength, which
    holds only while graded items carry no points and pointed items carry no grade."""
    d = load_set(DEFAULT_SET).definition
    counted_by_met = {dim.id for dim in d.dimensions if dim.present_when and "points" not in dim.present_when}
    for ind in d.indicators:
        if ind.strength is not None:
            assert ind.points == 0, ind.id
        elif ind.points == 0:
            # a rule-only item (the SSCST items) counts toward a dimension that reads 'met', never 'points'
            assert ind.dimension in counted_by_met, ind.id
        else:
            assert ind.points is not None and ind.points > 0, ind.id


DRAFTS = [ref for ref in SETS if _load(ref).definition.status is Status.DRAFT]


def test_there_are_research_drafts() -> None:
    assert DRAFTS


@pytest.mark.parametrize("ref", DRAFTS)
def test_research_drafts_are_refused_unless_asked_for(ref: str) -> None:
    ident = ref.split("@", 1)[0]
    if not any(_load(r).definition.status is Status.ACTIVE for r in SETS if r.split("@", 1)[0] == ident):
        with pytest.raises(DraftSetError):
            load_set(ident)
    cs = load_set(ref)  # naming the version is asking for it
    with pytest.raises(DraftSetError):
        Screener(cs)
    result = Screener(cs, allow_draft=True).screen({"answers": {}})
    assert result.warnings, "a draft's result must carry the draft warning"


@pytest.mark.parametrize("ref", DRAFTS)
def test_research_drafts_record_accuracy_and_claim_nothing_verified(ref: str) -> None:
    d = _load(ref).definition
    assert d.accuracy
    assert not any(ind.source.verified for ind in d.indicators)
