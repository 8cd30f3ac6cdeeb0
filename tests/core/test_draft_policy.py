"""One draft policy for every entry point (issue 15): a set that is not active screens or scores only
with ``allow_draft=True``, however it arrives (compiled, ``id@version``, a path); and ``indicator_set=``
replaces ``set=``, which still works for one release with a DeprecationWarning."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest

from trafficscreen import Screener, load_set, screen
from trafficscreen.content.loader import DEFAULT_SET, resolve_set
from trafficscreen.core.compiled import CompiledSet
from trafficscreen.errors import DraftSetError

DRAFT_REF = "sscst@0.1.1"  # a shipped research draft
ENCOUNTER = {"answers": {"ran_away": True}}


@pytest.fixture(scope="module")
def draft() -> CompiledSet:
    cs = load_set(DRAFT_REF)  # loading a draft named by its version is allowed: loading is not screening
    assert cs.definition.status.value == "draft"
    return cs


def test_screen_refuses_a_compiled_draft_unless_allowed(draft: CompiledSet) -> None:
    # the regression: screen() used to screen a compiled draft that Screener() refused
    with pytest.raises(DraftSetError, match="allow_draft=True"):
        screen(ENCOUNTER, draft)
    result = screen(ENCOUNTER, draft, allow_draft=True)
    assert result.set.status.value == "draft" and result.warnings


@pytest.mark.parametrize("how", ["compiled", "ref"])
@pytest.mark.parametrize(
    "entry",
    [
        pytest.param(lambda s, **kw: screen(ENCOUNTER, s, **kw), id="screen"),
        pytest.param(lambda s, **kw: Screener(s, **kw).screen(ENCOUNTER), id="Screener"),
    ],
)
def test_every_way_of_naming_a_draft_is_refused_alike(draft: CompiledSet, entry: Callable[..., Any], how: str) -> None:
    chosen: CompiledSet | str = draft if how == "compiled" else DRAFT_REF
    with pytest.raises(DraftSetError):
        entry(chosen)
    assert entry(chosen, allow_draft=True).set.version == "0.1.1"


def test_resolve_set_is_the_one_decision(draft: CompiledSet) -> None:
    assert resolve_set(None).id == DEFAULT_SET
    assert resolve_set(draft, allow_draft=True) is draft
    for chosen in (draft, DRAFT_REF):
        with pytest.raises(DraftSetError):
            resolve_set(chosen)


def test_batch_scoring_refuses_a_named_draft_unless_allowed(draft: CompiledSet) -> None:
    pl = pytest.importorskip("polars")
    from trafficscreen.research import score_frame

    frame = pl.DataFrame({"ran_away": [True]})
    for chosen in (draft, DRAFT_REF):
        with pytest.raises(DraftSetError):
            score_frame(frame, chosen)
        assert score_frame(frame, chosen, allow_draft=True).height == 1


# --- set= is deprecated --------------------------------------------------------------------------------


def test_screen_accepts_set_with_a_deprecation_warning(mini: CompiledSet) -> None:
    expected = screen({"answers": {}}, indicator_set=mini).model_dump_json()
    with pytest.warns(DeprecationWarning, match=r"'set=' is deprecated.*'indicator_set='"):
        old = screen({"answers": {}}, set=mini)  # type: ignore[call-arg]  # the deprecated keyword, on purpose
    assert old.model_dump_json() == expected


def test_the_new_keyword_does_not_warn(mini: CompiledSet) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        screen({"answers": {}}, indicator_set=mini)


def test_both_keywords_at_once_is_a_type_error(mini: CompiledSet) -> None:
    with pytest.raises(TypeError, match="both 'set' and 'indicator_set'"):
        screen({"answers": {}}, indicator_set=mini, set=mini)  # type: ignore[call-arg]  # deprecated, on purpose


@pytest.mark.parametrize("name", ["score_frame", "score_file"])
def test_batch_scoring_accepts_set_with_a_deprecation_warning(mini: CompiledSet, name: str, tmp_path: Any) -> None:
    pl = pytest.importorskip("polars")
    import trafficscreen.research as research

    frame = pl.DataFrame({"id": ["a"], "deceived": [True]})
    source: Any = frame
    if name == "score_file":
        source = tmp_path / "cohort.parquet"
        frame.write_parquet(source)
    func = getattr(research, name)
    expected = func(source, indicator_set=mini)
    with pytest.warns(DeprecationWarning, match="'set=' is deprecated"):
        old = func(source, set=mini)
    assert old.equals(expected)
