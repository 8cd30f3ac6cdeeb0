"""One conformance suite: every compiled backend means what the reference interpreter means.

Each backend lowers conditions through the one two-world lowering (``trafficscreen.expr.worlds``) and
supplies only primitives; this suite holds each of them to ``expr/interpret.py`` on the same random
conditions and values, unknowns included, in both scopes: indicator conditions over fields, and rules
over counts with yes/no names (dimensions, ``red_flag``) as level rules read them. A new backend joins by
adding one :class:`Backend` to ``BACKENDS``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp

from strategies import ENUM_CODES, SET_CODES, conditions, count_rules, field_envs, intervals
from trafficscreen.core.compiled import LevelPyGen
from trafficscreen.core.scopes import field_scope
from trafficscreen.cql.text import CqlGen
from trafficscreen.expr.interpret import evaluate
from trafficscreen.expr.parser import parse_condition
from trafficscreen.expr.pycompile import PyGen, build_function
from trafficscreen.expr.tree import Node
from trafficscreen.expr.types import Scope, T, TypeChecker, VarType
from trafficscreen.model.dictionary import DataDictionary
from trafficscreen.research.columnar import CountGen, FieldGen
from trafficscreen.research.encoding import encoded_dtype, value_codes
from trafficscreen.research.frames import encode
from trafficscreen.sql.lowering import Facts, SqlGen

Status = bool | None
COUNTS = ("strong", "medium", "weak")
FLAGS = ("da", "db", "red_flag")


def _dictionary() -> DataDictionary:
    """The field scope of tests/strategies.py as a data dictionary."""

    def f(ident: str, kind: str, **extra: Any) -> dict[str, Any]:
        base = {"id": ident, "type": kind, "label": {"en": ident}, "question": {"en": ident}, "asked_of": "child"}
        return base | extra

    def values(codes: list[str]) -> list[dict[str, Any]]:
        return [{"code": c, "label": {"en": c}} for c in codes]

    fields = [f("fa", "boolean"), f("fb", "boolean"), f("fc", "boolean"), f("age", "integer"), f("n2", "integer")]
    fields += [f("who", "enum", values=values(ENUM_CODES)), f("work", "set", values=values(SET_CODES))]
    return DataDictionary.model_validate({"id": "props", "version": "1.0.0", "title": {"en": "p"}, "fields": fields})


PROPS = _dictionary()
FIELD_SCOPE = field_scope(PROPS)
COUNT_SCOPE = Scope("count", {n: VarType(T.COUNT) for n in COUNTS} | {n: VarType(T.BOOL) for n in FLAGS})


def level_rules() -> st.SearchStrategy[str]:
    """Rules over counts that also read yes/no names, as level rules do."""
    flag = st.sampled_from(FLAGS)
    atom = st.one_of(
        count_rules(),
        flag,
        st.builds(lambda a, op, b: f"{a} {op} {b}", flag, st.sampled_from(["==", "!="]), flag),
        st.builds(lambda a, op: f"{a} {op}", flag, st.sampled_from(["is known", "is unknown"])),
        st.builds(
            lambda c, xs: f"{c} in [{', '.join(map(str, xs))}]",
            st.sampled_from(COUNTS),
            st.lists(st.integers(0, 4), min_size=1, max_size=3),
        ),
        st.sampled_from(["1 < 2", "2 in [1, 3]", "true", "false"]),
    )
    return st.recursive(
        atom,
        lambda inner: st.one_of(
            st.builds(lambda a, b: f"({a}) and ({b})", inner, inner),
            st.builds(lambda a, b: f"({a}) or ({b})", inner, inner),
            st.builds(lambda a: f"not ({a})", inner),
        ),
        max_leaves=6,
    )


def count_envs() -> st.SearchStrategy[dict[str, Any]]:
    three = st.sampled_from([True, False, None])
    return st.fixed_dictionaries({n: intervals() for n in COUNTS} | {n: three for n in FLAGS})


def _status(lo: Any, hi: Any) -> Status:
    assert hi or not lo, "lo must imply hi"
    return True if lo else (None if hi else False)


# --- the backends ------------------------------------------------------------------------------------


def python_fields(tree: Node, checker: TypeChecker, envs: Sequence[dict[str, Any]]) -> list[Status]:
    names = list(FIELD_SCOPE.names)
    consts: dict[str, Any] = {}
    lo, hi = PyGen(checker, lambda n: f"v_{n}", consts).two(tree)
    src = f"def f({', '.join(f'v_{n}' for n in names)}):\n    return ({lo}, {hi})\n"
    fn = build_function(src, "f", consts, "<conformance-fields>")
    return [_status(*fn(*(env.get(n) for n in names))) for env in envs]


def python_counts(tree: Node, checker: TypeChecker, envs: Sequence[dict[str, Any]]) -> list[Status]:
    """As a compiled set's level rules read them: counts as ``L_<count>``, yes/no names as two worlds."""
    params = [f"L_{n}_{w}" for n in COUNTS for w in ("lo", "hi")] + [f"{n}_{w}" for n in FLAGS for w in ("lo", "hi")]
    consts: dict[str, Any] = {}
    lo, hi = LevelPyGen(checker, {n: n for n in FLAGS}, consts).two(tree)
    fn = build_function(f"def f({', '.join(params)}):\n    return ({lo}, {hi})\n", "f", consts, "<conformance>")
    out = []
    for env in envs:
        args = [env[n][k] for n in COUNTS for k in (0, 1)]
        args += [w for n in FLAGS for w in (env[n] is True, env[n] is not False)]
        out.append(_status(*fn(*args)))
    return out


def _encode(env: dict[str, Any]) -> dict[str, Any]:
    out = dict(env)
    if env["who"] is not None:
        out["who"] = value_codes(PROPS.by_id["who"]).index(env["who"])
    if env["work"] is not None:
        out["work"] = sum(1 << value_codes(PROPS.by_id["work"]).index(c) for c in env["work"])
    return out


def _polars_status(df: pl.DataFrame, must: pl.Expr, may: pl.Expr) -> list[Status]:
    # with_columns, not select: a constant condition still gives one value per row
    got = df.with_columns(must.alias("\x00lo"), may.alias("\x00hi")).select("\x00lo", "\x00hi")
    return [_status(a, b) for a, b in got.iter_rows()]


def polars_fields(tree: Node, checker: TypeChecker, envs: Sequence[dict[str, Any]]) -> list[Status]:
    schema = {f.id: encoded_dtype(f) for f in PROPS.fields}
    raw = pl.DataFrame([_encode(e) for e in envs], schema=schema, orient="row")
    df = raw.select([e for f in PROPS.fields for e in encode(f, pl.col(f.id))])
    return _polars_status(df, *FieldGen(checker, PROPS.by_id).two(tree))


def polars_counts(tree: Node, checker: TypeChecker, envs: Sequence[dict[str, Any]]) -> list[Status]:
    ends = tuple(enumerate(("lo", "hi")))
    data: dict[str, list[Any]] = {f"{n}_{w}": [e[n][k] for e in envs] for n in COUNTS for k, w in ends}
    data |= {n: [e[n] for e in envs] for n in FLAGS}
    schema = {f"{n}_{w}": pl.Int16 for n in COUNTS for w in ("lo", "hi")} | {n: pl.Boolean for n in FLAGS}
    df = pl.DataFrame(data, schema=schema)

    def flag(n: str) -> tuple[pl.Expr, pl.Expr]:
        return pl.col(n).fill_null(False), pl.col(n).fill_null(True)

    def count(n: str) -> tuple[pl.Expr, pl.Expr]:
        return pl.col(f"{n}_lo"), pl.col(f"{n}_hi")

    return _polars_status(df, *CountGen(checker, flag, count).two(tree))


@functools.cache
def _duckdb() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


def _literal(value: Any) -> exp.Expression:
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, str):
        return exp.Literal.string(value)
    return exp.Array(expressions=[exp.Literal.string(v) for v in sorted(value)])


def _sql_status(
    lo: exp.Expression, hi: exp.Expression, columns: dict[str, str], rows: list[list[Any]], facts: Facts | None = None
) -> list[Status]:
    """Runs lo and hi in DuckDB over ``rows``, each cell cast to its column's type (so a column that is NULL
    throughout is still typed)."""
    names = list(columns)
    values = exp.Values(
        expressions=[exp.Tuple(expressions=[_literal(v) for v in row]) for row in rows],
        alias=exp.TableAlias(this=exp.to_identifier("v"), columns=[exp.to_identifier(f"raw_{n}") for n in names]),
    )
    typed = exp.Select(
        expressions=[
            exp.Alias(
                this=exp.Cast(this=exp.column(f"raw_{n}"), to=exp.DataType.build(t, dialect="duckdb")),
                alias=exp.to_identifier(n),
            )
            for n, t in columns.items()
        ]
    ).from_(values)
    source: exp.Expression = exp.Subquery(this=typed, alias=exp.TableAlias(this=exp.to_identifier("t")))
    if facts is not None:  # the first stage of a scoring query: each test once, as a column
        computed = [exp.Alias(this=e, alias=exp.to_identifier(n, quoted=True)) for n, e in facts.columns()]
        stage = exp.Select(expressions=[exp.Literal.number(1), *computed]).from_(source)
        source = exp.Subquery(this=stage, alias=exp.TableAlias(this=exp.to_identifier("f")))
    query = exp.Select(expressions=[lo, hi]).from_(source)
    return [_status(a, b) for a, b in _duckdb().sql(query.sql(dialect="duckdb")).fetchall()]


SQL_TYPES = {"boolean": "BOOLEAN", "integer": "BIGINT", "enum": "VARCHAR", "set": "VARCHAR[]"}


def sql_fields(tree: Node, checker: TypeChecker, envs: Sequence[dict[str, Any]]) -> list[Status]:
    columns = {f.id: SQL_TYPES[f.type.value] for f in PROPS.fields}
    facts = Facts(lambda n: exp.column(n, quoted=True), "_f", "duckdb")
    lo, hi = SqlGen(checker, "duckdb", facts=facts).two(tree)
    return _sql_status(lo, hi, columns, [[env[n] for n in columns] for env in envs], facts)


def sql_counts(tree: Node, checker: TypeChecker, envs: Sequence[dict[str, Any]]) -> list[Status]:
    columns = {f"{n}_{w}": "BIGINT" for n in COUNTS for w in ("lo", "hi")} | {n: "BOOLEAN" for n in FLAGS}
    rows = [[e[n][k] for n in COUNTS for k in (0, 1)] + [e[n] for n in FLAGS] for e in envs]

    def pair(n: str) -> tuple[exp.Expression, exp.Expression]:
        col = exp.column(n, quoted=True)
        false, true = exp.Boolean(this=False), exp.Boolean(this=True)
        return exp.Coalesce(this=col, expressions=[false]), exp.Coalesce(this=col.copy(), expressions=[true])

    def interval(n: str) -> tuple[exp.Expression, exp.Expression]:
        return exp.column(f"{n}_lo", quoted=True), exp.column(f"{n}_hi", quoted=True)

    lo, hi = SqlGen(checker, "duckdb", pair=pair, interval=interval).two(tree)
    return _sql_status(lo, hi, columns, rows)


Run = Callable[[Node, TypeChecker, Sequence[dict[str, Any]]], list[Status]]


@dataclass(frozen=True)
class Backend:
    name: str
    fields: Run
    counts: Run


BACKENDS = [
    Backend("python", python_fields, python_counts),
    Backend("polars", polars_fields, polars_counts),
    Backend("sql-duckdb", sql_fields, sql_counts),
]


def _checked(text: str, scope: Scope) -> tuple[Node, TypeChecker]:
    tree = parse_condition(text)
    checker = TypeChecker(scope)
    checker.check(tree)
    return tree, checker


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.name)
@settings(max_examples=150, deadline=None)
@given(text=conditions(), envs=st.lists(field_envs(), min_size=1, max_size=12))
def test_field_conditions_match_the_reference(backend: Backend, text: str, envs: list[dict[str, Any]]) -> None:
    tree, checker = _checked(text, FIELD_SCOPE)
    assert backend.fields(tree, checker, envs) == [evaluate(tree, e) for e in envs], text


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.name)
@settings(max_examples=150, deadline=None)
@given(text=level_rules(), envs=st.lists(count_envs(), min_size=1, max_size=12))
def test_rules_over_counts_match_the_reference(backend: Backend, text: str, envs: list[dict[str, Any]]) -> None:
    tree, checker = _checked(text, COUNT_SCOPE)
    assert backend.counts(tree, checker, envs) == [evaluate(tree, e) for e in envs], text


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.name)
def test_three_valued_truth_tables(backend: Backend) -> None:
    values: list[Status] = [True, False, None]
    envs = [dict.fromkeys(FIELD_SCOPE.names) | {"fa": a, "fb": b} for a in values for b in values]
    for text in ("fa and fb", "fa or fb", "not fa", "fa == fb", "fa != fb", "fa is known", "fb is unknown"):
        tree, checker = _checked(text, FIELD_SCOPE)
        assert backend.fields(tree, checker, envs) == [evaluate(tree, e) for e in envs], text


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.name)
def test_unknown_is_never_no(backend: Backend) -> None:
    empty = [dict.fromkeys(FIELD_SCOPE.names)]
    for text in ("age < 18", '"street" in work', "not fa", 'who in ["parent"]', "age + n2 > 3"):
        tree, checker = _checked(text, FIELD_SCOPE)
        assert backend.fields(tree, checker, empty) == [None], text


def test_is_known_in_a_rule_over_counts_reads_the_two_worlds_in_cql() -> None:
    """A dimension in a level rule is a pair of definitions, not a parameter: `is known` must read the pair
    (known where certainly true or certainly false) in every backend, the CQL text included."""
    tree, checker = _checked("da is known", COUNT_SCOPE)
    pairs = {"da": ("dimension.da.certain", "dimension.da.possible")}
    lo, hi = CqlGen(checker, pairs, lambda n: (f"{n}.lo", f"{n}.hi")).two(tree)
    assert lo == hi == '("dimension.da.certain" or (not "dimension.da.possible"))'


TESTS_AGAINST_CONSTANTS = (
    'who == "parent"',
    '"parent" == who',
    'who != "parent"',
    'who in ["parent", "none"]',
    'who not in ["parent", "none"]',
    "age == 3",
    "age != 3",
    '"street" in work or "farm" in work',
    '"street" in work or fa or "farm" in work or "domestic" in work',
    '("street" in work or "farm" in work) and not ("domestic" in work or "farm" in work)',
    'not fa and not (who == "none")',
)


def _every_env() -> list[dict[str, Any]]:
    """Every combination of the values these conditions read, unknown included."""
    works: list[frozenset[str] | None] = [None, frozenset()]
    works += [frozenset({c}) for c in SET_CODES] + [frozenset(SET_CODES[:2]), frozenset(SET_CODES)]
    return [
        dict.fromkeys(FIELD_SCOPE.names) | {"who": who, "work": work, "age": age, "fa": fa}
        for who in [None, *ENUM_CODES]
        for work in works
        for age in (None, 3, 4)
        for fa in (None, True, False)
    ]


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.name)
def test_tests_against_constants_on_every_value(backend: Backend) -> None:
    """Where a backend folds the "known" guard into a test (Python's == and in are false for None) or
    merges several looks into one set-of-choices field, it still means what the reference means, on
    every combination of values."""
    envs = _every_env()
    for text in TESTS_AGAINST_CONSTANTS:
        tree, checker = _checked(text, FIELD_SCOPE)
        assert backend.fields(tree, checker, envs) == [evaluate(tree, e) for e in envs], text
