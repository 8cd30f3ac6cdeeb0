"""Names shared by the SQL backend and its command, importable without loading sqlglot."""

from __future__ import annotations

DIALECTS: tuple[str, ...] = ("duckdb", "spark", "postgres", "bigquery", "snowflake")
"""Dialects the scoring query is generated for (sqlglot's dialect names)."""

ENGINES: tuple[str, ...] = ("duckdb", "spark")
"""Engines that run the query here: DuckDB embedded, Spark through PySpark."""
