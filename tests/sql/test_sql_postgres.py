"""PostgreSQL: the generated query, run on a real server, gives the single-record path's answers.

A throwaway cluster is started in a temporary folder on a loopback port (scripts/setup.d/30-postgresql.sh
installs Debian's server package), loaded with the generated cohorts, queried, and removed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from sqlglot import exp

from sql_support import SET_REFS, Postgres, cohort, cohort_rows, expected, normalise, postgres_bin, postgres_csv
from trafficscreen.model.dictionary import FieldType
from trafficscreen.sql import check_sql, to_sql
from trafficscreen.sql.nodes import sql_type

BIN = postgres_bin()
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        BIN is None, reason="PostgreSQL server binaries are not installed (scripts/setup.d/30-postgresql.sh)"
    ),
]


@pytest.fixture(scope="module")
def pg() -> Iterator[Postgres]:
    assert BIN is not None
    server = Postgres(BIN)
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize("ref", SET_REFS)
def test_postgres_agrees_with_the_single_record_path(pg: Postgres, ref: str) -> None:

    cs, _path = cohort(ref)
    columns, rows = cohort_rows(ref)
    table = f"enc_{cs.id.replace('-', '_')}"
    create = exp.Create(
        this=exp.Schema(
            this=exp.Table(this=exp.to_identifier(table, quoted=True)),
            expressions=[
                exp.ColumnDef(this=exp.to_identifier("id", quoted=True), kind=exp.DataType.build("BIGINT")),
                *(
                    exp.ColumnDef(
                        this=exp.to_identifier(c, quoted=True), kind=sql_type(cs.dictionary.by_id[c].type, "postgres")
                    )
                    for c in columns[1:]
                ),
            ],
        ),
        kind="TABLE",
    )
    pg.psql(create.sql(dialect="postgres"))
    copy_in = f'COPY "{table}" FROM STDIN WITH (FORMAT csv, HEADER true)'
    pg.psql(copy_in, stdin=postgres_csv(columns, rows))
    query = to_sql(cs, "postgres", table=table, keep=["id"])
    out = pg.psql(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER true)")
    reader = csv.reader(io.StringIO(out))
    header = next(reader)
    assert header[0] == "id" and header[-3:] == ["set_id", "set_version", "set_sha256"]
    assert normalise(reader) == list(expected(ref))
    # the check query finds nothing wrong with a generated cohort, and counts a bad row
    counts = list(
        csv.reader(
            io.StringIO(
                pg.psql(f"COPY ({check_sql(cs, 'postgres', table=table)}) TO STDOUT WITH (FORMAT csv, HEADER true)")
            )
        )
    )
    assert len(counts) == 2 and set(counts[1]) == {"0"}
    sets = [f for f in cs.used_fields if cs.dictionary.by_id[f].type is FieldType.SET]
    if sets:
        bad = exp.Insert(
            this=exp.Table(this=exp.to_identifier(table, quoted=True)),
            expression=exp.Values(
                expressions=[
                    exp.Tuple(
                        expressions=[
                            exp.Literal.number(-1),
                            *(exp.Literal.string("{not-a-code}") if c == sets[0] else exp.Null() for c in columns[1:]),
                        ]
                    )
                ]
            ),
        )
        pg.psql(bad.sql(dialect="postgres"))
        counts = list(
            csv.reader(
                io.StringIO(
                    pg.psql(f"COPY ({check_sql(cs, 'postgres', table=table)}) TO STDOUT WITH (FORMAT csv, HEADER true)")
                )
            )
        )
        found = {name for name, n in zip(counts[0], counts[1], strict=True) if n != "0"}
        assert found == {f"{sets[0]}__not_a_choice"}


_PACKED_PG_TYPES = {"BIGINT": "BIGINT", "SMALLINT": "SMALLINT", "DOUBLE": "DOUBLE PRECISION", "DATE": "DATE"}


@pytest.mark.parametrize("ref", SET_REFS)
def test_postgres_agrees_on_a_cohort_packed_for_sql(pg: Postgres, ref: str) -> None:
    import duckdb

    from trafficscreen.sql.duck import pack_for_sql

    cs, path = cohort(ref)
    packed = path.with_name(f"{cs.id}.pg-packed.parquet")
    pack_for_sql(path, cs, packed)
    rel = duckdb.connect().read_parquet(str(packed))
    columns, rows = tuple(rel.columns), tuple(rel.order("id").fetchall())
    table = f"packed_{cs.id.replace('-', '_')}"
    defs = [
        exp.ColumnDef(this=exp.to_identifier(c, quoted=True), kind=exp.DataType.build(_PACKED_PG_TYPES[str(t)]))
        for c, t in zip(columns, rel.types, strict=True)
    ]
    schema = exp.Schema(this=exp.Table(this=exp.to_identifier(table, quoted=True)), expressions=defs)
    pg.psql(exp.Create(this=schema, kind="TABLE").sql(dialect="postgres"))
    pg.psql(f'COPY "{table}" FROM STDIN WITH (FORMAT csv, HEADER true)', stdin=postgres_csv(columns, rows))
    query = to_sql(cs, "postgres", table=table, keep=["id"], packed=True)
    out = pg.psql(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER true)")
    reader = csv.reader(io.StringIO(out))
    assert next(reader)[0] == "id"
    assert normalise(reader) == list(expected(ref))
