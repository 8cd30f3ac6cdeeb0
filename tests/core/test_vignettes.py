"""Clinical vignettes: realistic cases whose expected outcome was worked out by hand from the set's
sources and rules (the reasoning is written in each file). The engine must agree with every one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from paths import VIGNETTES as VIGNETTES_DIR
from trafficscreen.content.loader import load_set
from trafficscreen.content.yamlsource import read_yaml
from trafficscreen.core.engine import Screener

VIGNETTES = sorted(VIGNETTES_DIR.glob("*.yaml"))
_SCREENERS: dict[str, Screener] = {}
REQUIRED = {"id", "title", "set", "story", "encounter", "expect", "reasoning"}


def _screener(ref: str) -> Screener:
    if ref not in _SCREENERS:
        _SCREENERS[ref] = Screener(load_set(ref, allow_draft=True), allow_draft=True)
    return _SCREENERS[ref]


def test_there_are_enough_vignettes() -> None:
    assert len(VIGNETTES) >= 15


@pytest.mark.parametrize("path", VIGNETTES, ids=[p.stem for p in VIGNETTES])
def test_vignette(path: Path) -> None:
    v: dict[str, Any]
    v, _ = read_yaml(path)
    assert set(v) >= REQUIRED, f"{path.name} lacks {REQUIRED - set(v)}"
    assert v["id"] == path.stem
    assert len(str(v["reasoning"]).split()) >= 15, "the hand-worked reasoning must be written down"
    result = _screener(v["set"]).screen(v["encounter"], lang=v.get("lang", "en"))
    e = v["expect"]
    met = sorted(i.id for i in result.indicators if i.status.value == "met")
    present = sorted(d.id for d in result.dimensions if d.status.value == "present")
    assert met == sorted(e["indicators_met"]), "indicators met"
    assert present == sorted(e["dimensions_present"]), "dimensions present"
    assert result.level.value == e["level"], "level reached"
    assert result.highest_possible.value == e["highest_possible"], "highest possible level"
    if "red_flags" in e:
        assert sorted(result.red_flags) == sorted(e["red_flags"])
    if "not_above" in e:
        from trafficscreen.model.common import Level

        assert result.level.rank <= Level(e["not_above"]).rank
    for field in e.get("ask_next_includes", []):
        assert field in [q.field for q in result.ask_next]
