"""SQL backends: a whole indicator set as one SQL query, run in DuckDB (embedded) or Spark, or printed
for a warehouse (PostgreSQL, BigQuery, Snowflake).

Needs the ``scale`` extra (sqlglot; duckdb and pyspark to run queries here). Importing this package is
cheap: the names below load their modules, and the libraries, on first use.

>>> from trafficscreen.sql import to_sql, score_duckdb                  # doctest: +SKIP
>>> print(to_sql(load_set("paediatric-default"), "spark", table="cohort"))  # doctest: +SKIP
>>> score_duckdb("cohort.parquet", "paediatric-default").write_parquet("scored.parquet")  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports
from .dialects import DIALECTS, ENGINES

if TYPE_CHECKING:
    from ..content.mapping import ColumnMapping, load_mapping
    from ..errors import SqlError
    from .cohort import synthetic_cohort
    from .compiler import build_query, output_columns, to_sql
    from .duck import score_duckdb
    from .inputs import check_sql
    from .spark import score_spark

_EXPORTS: dict[str, str] = {
    "synthetic_cohort": ".cohort",
    "SqlError": "..errors",
    "build_query": ".compiler",
    "output_columns": ".compiler",
    "to_sql": ".compiler",
    "score_duckdb": ".duck",
    "check_sql": ".inputs",
    "ColumnMapping": "..content.mapping",
    "load_mapping": "..content.mapping",
    "score_spark": ".spark",
}

__all__ = [
    "DIALECTS",
    "ENGINES",
    "ColumnMapping",
    "SqlError",
    "build_query",
    "check_sql",
    "load_mapping",
    "output_columns",
    "score_duckdb",
    "score_spark",
    "synthetic_cohort",
    "to_sql",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
