"""Research workbench: batch scoring at columnar speed, evaluation against labelled cohorts, comparison
of sets, and synthetic cohorts for testing pipelines.

Needs the ``research`` extra (polars; numpy for synthetic cohorts). Importing this package is cheap: the
names below load their modules, and polars, on first use.

>>> from trafficscreen.research import score_frame      # doctest: +SKIP
>>> scored = score_frame(cohort, "ilo-child-labour")     # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from ..errors import CohortError
    from .batch import CohortInput, score_file, score_frame
    from .cohorts import compare_frames, evaluate_scored
    from .columnar import ColumnarSet
    from .evaluate import Evaluation, evaluate_counts, metrics_from_counts
    from .frames import read_table, write_table
    from .packed import pack, read_packed, score_packed, write_packed
    from .stats import clopper_pearson, mcnemar, wilson
    from .synth import synth_cohort

_EXPORTS: dict[str, str] = {
    "CohortInput": ".batch",
    "score_file": ".batch",
    "score_frame": ".batch",
    "compare_frames": ".cohorts",
    "evaluate_scored": ".cohorts",
    "ColumnarSet": ".columnar",
    "Evaluation": ".evaluate",
    "evaluate_counts": ".evaluate",
    "metrics_from_counts": ".evaluate",
    "CohortError": "..errors",
    "read_table": ".frames",
    "write_table": ".frames",
    "pack": ".packed",
    "read_packed": ".packed",
    "score_packed": ".packed",
    "write_packed": ".packed",
    "clopper_pearson": ".stats",
    "mcnemar": ".stats",
    "wilson": ".stats",
    "synth_cohort": ".synth",
}

__all__ = [
    "CohortError",
    "CohortInput",
    "ColumnarSet",
    "Evaluation",
    "clopper_pearson",
    "compare_frames",
    "evaluate_counts",
    "evaluate_scored",
    "mcnemar",
    "metrics_from_counts",
    "pack",
    "read_packed",
    "read_table",
    "score_file",
    "score_frame",
    "score_packed",
    "synth_cohort",
    "wilson",
    "write_packed",
    "write_table",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
