"""score_frame and chunked batch scoring."""

from __future__ import annotations

import random

import polars as pl
import pytest

from research_helpers import frame_of, random_answers
from trafficscreen.core.compiled import CompiledSet
from trafficscreen.errors import DraftSetError, EncounterError
from trafficscreen.model.indicator_set import Status
from trafficscreen.research import score_frame
from trafficscreen.research.batch import score_in_chunks
from trafficscreen.research.frames import CohortError


def test_output_columns(mini: CompiledSet) -> None:
    out = score_frame(pl.DataFrame({"id": ["a"], "deceived": [True], "label": [1]}), mini, keep=["label"])
    assert out.columns == [
        "id",
        "label",
        *[f"indicator.{i.id}" for i in mini.definition.indicators],
        *[f"dimension.{d.id}" for d in mini.definition.dimensions],
        "level",
        "highest_possible",
        "answered",
        "set_id",
        "set_version",
        "set_sha256",
    ]
    assert out.row(0, named=True)["set_version"] == "1.0.0"


def test_bad_rows_raise_one_line_naming_row_and_field(mini: CompiledSet) -> None:
    df = pl.DataFrame({"deceived": ["true", "Joana Ferreira"]})
    with pytest.raises(EncounterError, match=r"1 row\(s\) do not fit mini@1.0.0; first: row 2, field 'deceived'") as e:
        score_frame(df, mini)
    assert "Joana" not in str(e.value)


def test_draft_sets_need_permission(mini: CompiledSet) -> None:
    draft = CompiledSet(
        mini.definition.model_copy(update={"status": Status.DRAFT}),
        mini.dictionary,
        mini.checked,
        mini.sha256,
        mini.dictionary_sha256,
    )
    with pytest.raises(DraftSetError):
        score_frame(pl.DataFrame({"deceived": [True]}), draft)
    assert score_frame(pl.DataFrame({"deceived": [True]}), draft, allow_draft=True).height == 1


def test_chunks_give_the_same_result_and_report_progress(mini: CompiledSet) -> None:
    rng = random.Random(5)
    df = frame_of(mini, [random_answers(mini, rng) for _ in range(1000)])
    df = df.with_columns(
        pl.when(pl.int_range(pl.len()) == 777).then(pl.lit(99)).otherwise(pl.col("age_years")).alias("age_years")
    )
    seen: list[int] = []
    result = score_in_chunks(df, mini, chunk_rows=300, progress=seen.append)
    assert seen == [300, 600, 900, 1000]
    assert result.rejects.rows() == [(778, "age_years", "field 'age_years': above the largest allowed value (25)")]
    whole = score_frame(df.filter(pl.int_range(pl.len()) != 777), mini)
    assert result.scored.equals(whole)


def test_keep_column_must_exist_and_not_be_a_field(mini: CompiledSet) -> None:
    with pytest.raises(CohortError, match="column 'label' is not in the input"):
        score_frame(pl.DataFrame({"deceived": [True]}), mini, keep=["label"])
    with pytest.raises(CohortError, match=r"is a field of mini@1\.0\.0"):
        score_frame(pl.DataFrame({"deceived": [True]}), mini, keep=["deceived"])


def test_score_frame_is_exported_lazily() -> None:
    import trafficscreen
    import trafficscreen.research

    # out of the core __all__ (it needs the research extra, and `import *` must work without it)
    assert "score_frame" not in trafficscreen.__all__
    assert trafficscreen.score_frame is trafficscreen.research.score_frame is score_frame
