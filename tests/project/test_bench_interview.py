"""The interview simulation of ``benchmarks/bench_interview.py`` on a tiny population: an honest invariant.

A nurse who asks one question at a time, by any of the three strategies, and stops when the result is
settled, must end at the level of the complete encounter (a child of 11-17 who can be asked
everything). An infant is never asked a question addressed to the child, and what is reached without
those answers never exceeds what the complete encounter gives, nor falls outside the highest possible.
"""

from __future__ import annotations

import sys

import pytest

from paths import ROOT
from trafficscreen.core.compiled import CompiledSet

sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_interview as bi

pytest.importorskip("polars")
pytest.importorskip("numpy")

SETS = bi.latest_sets()


@pytest.mark.parametrize("cs", SETS, ids=[cs.ref for cs in SETS])
def test_settled_level_is_the_complete_level(cs: CompiledSet) -> None:
    rep = bi.simulate(cs, 12, 4, seed=20261124)
    for name in bi.STRATEGIES:
        bad = bi.mismatches(rep.outcomes[name])
        assert not bad, f"{cs.ref}, {name}: {bad[:3]}"
        assert all(o.asked <= len(cs.dictionary.fields) for o in rep.outcomes[name])


@pytest.mark.parametrize("cs", SETS, ids=[cs.ref for cs in SETS])
def test_infants_are_never_asked_a_child_question(cs: CompiledSet) -> None:
    rep = bi.simulate(cs, 1, 4, seed=20261125)
    by_id = cs.dictionary.by_id
    rank = bi._RANK
    for name in bi.STRATEGIES:
        for o in rep.infants[name]:
            assert o.problem is None, o
            assert not [f for f in o.fields if by_id[f].askable_when is not None], (name, o)
            assert rank[o.level] <= rank[o.complete_level] <= rank[o.highest], (name, o)
