"""Compile a checked indicator set to one SQL query, built with sqlglot's expression builders.

The query walks the same parsed and type-checked condition trees as the Python compiler
(:mod:`trafficscreen.expr.pycompile`) and the columnar backend, with the same meaning.

**Two worlds instead of NULL logic.** Every condition becomes two plain boolean SQL expressions that are never
NULL: *lo* ("certainly true") and *hi* ("possibly true"), as every backend does through the one lowering of
:mod:`trafficscreen.expr.worlds`. An atom that reads a field is guarded by ``field IS NOT NULL`` in *lo* and
``field IS NULL`` in *hi*; ``not`` swaps the worlds; ``and``/``or`` act within each. An indicator is then
*met* where *lo* holds, *unknown* where only *hi* holds and *not met* elsewhere. Nothing depends on how a
dialect treats NULL inside ``IN``, array look-ups or CASE, which differs between engines (PostgreSQL's rewrite
of an array look-up, for one, turns an unknown list into "no").

**Counts are intervals.** A dimension rule reads the counts of its met indicators as intervals: at least
the sum of the *lo* flags, at most the sum of the *hi* flags. Level rules read dimensions and
``red_flag`` as two-world pairs and the set-wide counts as intervals.

**One query, in stages.** Common table expressions compute, in order: indicator pairs from the fields;
the counts the rules read; dimension pairs; ``dimensions_present`` where a level rule reads it; level
pairs; and the output row. Every identifier and literal is a sqlglot node, quoted by the library for the
chosen dialect; no SQL text is pasted together.

Output columns, as the columnar ``batch`` path writes them: the ``keep`` columns, ``indicator.<id>``
(``met``/``not_met``/``unknown``) for every indicator, ``dimension.<id>`` (``present``/``absent``/
``unknown``) for every dimension, ``level`` and ``highest_possible`` on the engine's scale
(``none``/``concern``/``refer``/``urgent``), ``answered`` (how many of the questions the set reads have an
answer), and the set's id, version and sha256 as literal columns, so every output row names exactly what
produced it. In DuckDB the status and level columns are ENUMs (text everywhere else).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..compiled import CompiledSet
from ..core.plan import (
    COUNT_NAMES,
    DIMENSION_PREFIX,
    DIMENSION_STATUSES,
    HIGHEST_COLUMN,
    INDICATOR_PREFIX,
    INDICATOR_STATUSES,
    LEVEL_COLUMN,
)
from ..errors import TrafficscreenError
from ..expr.tree import Compare, In, IsKnown, Scalar, names
from ..expr.types import TypeChecker
from ..expr.worlds import GuardedWorlds, Worlds
from ..model.common import LEVELS_IN_ORDER
from ..model.indicator_set import Strength
from .dialects import DIALECTS
from .nodes import (
    arith,
    boolean,
    case,
    cmp,
    coalesce,
    col,
    const,
    contains,
    ident,
    in_list,
    is_null,
    junction,
    not_,
    not_null,
    num,
    or_,
    paren,
    sql_type,
    sum_,
    wrap,
)

if TYPE_CHECKING:
    from sqlglot import exp


ANSWERED_COLUMN = "answered"
SET_COLUMNS = ("set_id", "set_version", "set_sha256")


_INTERNAL = "_ts_"  # prefix of the working columns and stages of the query

Pair = tuple["exp.Expression", "exp.Expression"]


class SqlError(TrafficscreenError):
    """A query that cannot be built as asked: an unknown dialect, a bad table or column name, a clash
    between a kept column and an output column."""


def check_dialect(dialect: str) -> str:
    if dialect not in DIALECTS:
        raise SqlError(f"unknown SQL dialect '{dialect}' (choose one of: {', '.join(DIALECTS)})")
    return dialect


# --- the two-world generator ----------------------------------------------------------------------


class SqlGen(GuardedWorlds["exp.Expression"]):
    """Builds (lo, hi) SQL expressions for conditions in one scope (see :mod:`..expr.worlds`).

    Field scope: ``value(name)`` gives the SQL value of a field (NULL = unknown). Count scope:
    ``pair(name)`` gives the (lo, hi) of a yes/no name (a dimension, ``red_flag``) and ``interval(name)``
    the (lo, hi) of a count.
    """

    def __init__(
        self,
        checker: TypeChecker,
        dialect: str,
        *,
        value: Callable[[str], exp.Expression] | None = None,
        pair: Callable[[str], Pair] | None = None,
        interval: Callable[[str], Pair] | None = None,
    ) -> None:
        self.checker = checker
        self.dialect = dialect
        self._value = value
        self._pair = pair
        self._count = interval

    # --- primitives -------------------------------------------------------------------------------
    def literal(self, value: bool) -> exp.Expression:
        return boolean(value)

    def all_of(self, parts: Sequence[exp.Expression]) -> exp.Expression:
        return junction("and", parts)

    def any_of(self, parts: Sequence[exp.Expression]) -> exp.Expression:
        return junction("or", parts)

    def negate(self, e: exp.Expression) -> exp.Expression:
        return not_(e)

    def compare(self, op: str, a: exp.Expression, b: exp.Expression) -> exp.Expression:
        return cmp(op, a, b)

    def number(self, value: int | float) -> exp.Expression:
        return num(value)

    def arith(self, op: str, a: exp.Expression, b: exp.Expression) -> exp.Expression:
        return arith(op, a, b)

    def member(self, item: exp.Expression, values: tuple[Scalar, ...], negate: bool) -> exp.Expression:
        return in_list(item, [const(v) for v in values], negate)

    def name(self, name: str) -> Pair:
        if self._value is not None:
            v = self._value(name)
            return coalesce(v, False), coalesce(v, True)
        assert self._pair is not None
        return self._pair(name)

    def count(self, name: str) -> Pair:
        assert self._count is not None
        return self._count(name)

    def value(self, name: str) -> exp.Expression:
        assert self._value is not None
        return self._value(name)

    def constant(self, value: Scalar) -> exp.Expression:
        return const(value)

    def known(self, name: str) -> exp.Expression:
        return not_null(self.value(name))

    def unknown(self, name: str) -> exp.Expression:
        return is_null(self.value(name))

    def contains(self, container: exp.Expression, item: exp.Expression, negate: bool) -> exp.Expression:
        found = contains(container, item, self.dialect)
        return not_(found) if negate else found

    def field_test(self, node: Compare | In | IsKnown) -> Pair:
        if self._value is None:  # a rule over counts: only ``is known`` of a yes/no name
            return Worlds.field_test(self, node)
        return super().field_test(node)


# --- the whole set as one query -------------------------------------------------------------------

_STRENGTHS = (Strength.STRONG, Strength.MEDIUM, Strength.WEAK)


@dataclass(frozen=True)
class OutputColumns:
    """Names of the output columns for a set, in order (after any kept columns)."""

    indicators: tuple[str, ...]
    dimensions: tuple[str, ...]
    level: str = LEVEL_COLUMN
    highest: str = HIGHEST_COLUMN
    answered: str = ANSWERED_COLUMN
    set_columns: tuple[str, ...] = SET_COLUMNS

    def all(self) -> tuple[str, ...]:
        return (*self.indicators, *self.dimensions, self.level, self.highest, self.answered, *self.set_columns)


def output_columns(cs: CompiledSet) -> OutputColumns:
    d = cs.definition
    return OutputColumns(
        indicators=tuple(INDICATOR_PREFIX + ind.id for ind in d.indicators),
        dimensions=tuple(DIMENSION_PREFIX + dim.id for dim in d.dimensions),
    )


def build_query(
    cs: CompiledSet,
    dialect: str = "duckdb",
    *,
    source: exp.Expression,
    fields: Mapping[str, exp.Expression],
    keep: Sequence[str | tuple[str, str]] = (),
) -> exp.Select:
    """The scoring query of ``cs`` over ``source`` (a table or subquery node).

    ``fields`` gives, for each field the set reads, the SQL expression of its value in a ``source`` row
    (usually a quoted column; a typed NULL for a field the source lacks). ``keep`` names source columns
    copied to the output unchanged, first; a ``(column, name)`` pair renames one on the way.
    """
    from sqlglot import exp

    check_dialect(dialect)
    d = cs.definition
    out_cols = output_columns(cs)
    kept = [(k, k) if isinstance(k, str) else k for k in keep]
    names_kept = [name for _src, name in kept]
    clash = sorted(set(names_kept) & set(out_cols.all()))
    if clash:
        raise SqlError(f"kept column '{clash[0]}' has the name of an output column")
    for name in names_kept:
        if name.startswith(_INTERNAL):
            raise SqlError(f"kept column '{name}' starts with '{_INTERNAL}', which the query uses for itself")
    if len(set(names_kept)) != len(names_kept):
        raise SqlError("a kept column is named twice")
    missing = [f for f in cs.used_fields if f not in fields]
    if missing:
        raise SqlError(f"no SQL expression for field '{missing[0]}'")

    def value(name: str) -> exp.Expression:
        return fields[name]

    n_ind, n_dim = len(d.indicators), len(d.dimensions)
    s = [(f"{_INTERNAL}s{i}_lo", f"{_INTERNAL}s{i}_hi") for i in range(n_ind)]
    dcols = [(f"{_INTERNAL}d{k}_lo", f"{_INTERNAL}d{k}_hi") for k in range(n_dim)]
    lcols = [(f"{_INTERNAL}l{j}_lo", f"{_INTERNAL}l{j}_hi") for j in range(len(d.levels))]

    def alias(e: exp.Expression, name: str) -> exp.Expression:
        return exp.Alias(this=e, alias=ident(name))

    def flat(pairs: Sequence[tuple[str, str]]) -> list[str]:
        return [c for pair in pairs for c in pair]

    stages: list[tuple[str, exp.Select]] = []
    carried: list[str] = list(names_kept)

    def stage(name: str, computed: Sequence[tuple[str, exp.Expression]], passed: Sequence[str] | None = None) -> None:
        nonlocal carried
        from_ = exp.Table(this=ident(stages[-1][0]))
        cols = [col(c) for c in (carried if passed is None else passed)]
        cols += [alias(e, n) for n, e in computed]
        stages.append((name, exp.Select(expressions=cols).from_(from_)))
        carried = [*(carried if passed is None else passed), *(n for n, _ in computed)]

    # 1. indicators, from the source row; and how many of the questions the set reads are answered
    computed: list[tuple[str, exp.Expression]] = []
    for i, (tree, checker) in enumerate(cs.checked.indicators):
        lo, hi = SqlGen(checker, dialect, value=value).two(tree)
        computed += [(s[i][0], lo), (s[i][1], hi)]
    answered = f"{_INTERNAL}answered"
    computed.append((answered, wrap(sum_([case([(not_null(fields[f]), num(1))], num(0)) for f in cs.used_fields]))))
    # the first stage reads the source: kept columns are source columns, renamed where asked
    from_source = [col(src) if src == name else alias(col(src), name) for src, name in kept]
    stages.append(
        (
            f"{_INTERNAL}indicators",
            exp.Select(expressions=[*from_source, *(alias(e, n) for n, e in computed)]).from_(source),
        )
    )
    carried = [*names_kept, *(n for n, _e in computed)]

    # 2. counts read by dimension rules (per dimension) and by level rules (over the whole set)
    dim_index = {dim.id: k for k, dim in enumerate(d.dimensions)}
    members: list[list[int]] = [[] for _ in d.dimensions]
    for i, ind in enumerate(d.indicators):
        members[dim_index[ind.dimension]].append(i)
    level_reads: set[str] = set()
    for tree, _c in cs.checked.levels:
        level_reads.update(names(tree))

    def count_exprs(idx: Sequence[int], count: str) -> Pair:
        if count == "points":
            chosen = [(i, d.indicators[i].weight_points) for i in idx]
        elif count == "met":
            chosen = [(i, 1) for i in idx]
        else:
            strength = Strength(count)
            chosen = [(i, 1) for i in idx if d.indicators[i].strength is strength]

        def total(world: int) -> exp.Expression:
            return wrap(sum_([case([(col(s[i][world]), num(w))], num(0)) for i, w in chosen]))

        return total(0), total(1)

    counts: list[tuple[str, exp.Expression]] = []
    dim_counts: list[dict[str, Pair]] = []
    for k, (_text, tree, _checker) in enumerate(cs.checked.dimensions):
        here: dict[str, Pair] = {}
        for n in names(tree):
            if n in COUNT_NAMES:
                lo_name, hi_name = f"{_INTERNAL}c{k}_{n}_lo", f"{_INTERNAL}c{k}_{n}_hi"
                lo, hi = count_exprs(members[k], n)
                counts += [(lo_name, lo), (hi_name, hi)]
                here[n] = (col(lo_name), col(hi_name))
        dim_counts.append(here)
    set_counts: dict[str, Pair] = {}
    for n in sorted(level_reads):
        if n in COUNT_NAMES:
            lo_name, hi_name = f"{_INTERNAL}all_{n}_lo", f"{_INTERNAL}all_{n}_hi"
            lo, hi = count_exprs(range(n_ind), n)
            counts += [(lo_name, lo), (hi_name, hi)]
            set_counts[n] = (col(lo_name), col(hi_name))
    flags = [i for i, ind in enumerate(d.indicators) if ind.red_flag]
    rf = (f"{_INTERNAL}rf_lo", f"{_INTERNAL}rf_hi")
    if "red_flag" in level_reads:
        counts += [(rf[0], or_(*[col(s[i][0]) for i in flags])), (rf[1], or_(*[col(s[i][1]) for i in flags]))]
    if counts:
        stage(f"{_INTERNAL}counts", counts)

    # 3. dimensions, from their counts
    computed = []
    for k, (_text, tree, checker) in enumerate(cs.checked.dimensions):
        gen = SqlGen(checker, dialect, interval=dim_counts[k].__getitem__)
        lo, hi = gen.two(tree)
        computed += [(dcols[k][0], lo), (dcols[k][1], hi)]
    # the per-dimension counts are not needed past this stage
    set_wide = [n for n, _e in counts if not n.startswith(f"{_INTERNAL}c")]
    stage(f"{_INTERNAL}dimensions", computed, passed=[*names_kept, *flat(s), answered, *set_wide])

    # 4. dimensions_present, where a level rule reads it
    if "dimensions_present" in level_reads:
        dp = (f"{_INTERNAL}all_dimensions_present_lo", f"{_INTERNAL}all_dimensions_present_hi")
        terms = [
            (dp[w], paren(sum_([case([(col(dcols[k][w]), num(1))], num(0)) for k in range(n_dim)]))) for w in (0, 1)
        ]
        stage(f"{_INTERNAL}present", terms)
        set_counts["dimensions_present"] = (col(dp[0]), col(dp[1]))

    # 5. level rules, over dimensions, red_flag and the set-wide counts
    pairs: dict[str, Pair] = {dim.id: (col(dcols[k][0]), col(dcols[k][1])) for k, dim in enumerate(d.dimensions)}
    pairs["red_flag"] = (col(rf[0]), col(rf[1]))
    computed = []
    for j, (tree, checker) in enumerate(cs.checked.levels):
        gen = SqlGen(checker, dialect, pair=pairs.__getitem__, interval=set_counts.__getitem__)
        lo, hi = gen.two(tree)
        computed += [(lcols[j][0], lo), (lcols[j][1], hi)]
    stage(f"{_INTERNAL}levels", computed)

    # 6. the output row
    def word(w: str, words: Sequence[str]) -> exp.Expression:
        # DuckDB: a CASE over ENUM constants builds a dictionary-typed column directly, several times faster
        # to compute and to write than text
        if dialect != "duckdb":
            return exp.Literal.string(w)
        kind = exp.DataType(this=exp.DataType.Type.ENUM, expressions=[exp.Literal.string(v) for v in words])
        return exp.Cast(this=exp.Literal.string(w), to=kind)

    def status(pair: tuple[str, str], words: tuple[str, str, str]) -> exp.Expression:
        yes, no, unknown = (word(w, words) for w in words)
        return case([(col(pair[0]), yes), (col(pair[1]), unknown)], no)

    scale = [lv.value for lv in LEVELS_IN_ORDER]

    def level_case(world: int) -> exp.Expression:
        whens = [(col(lcols[j][world]), word(lv.scale.value, scale)) for j, lv in reversed(list(enumerate(d.levels)))]
        return case(whens, word(scale[0], scale))

    final: list[exp.Expression] = [col(name) for name in names_kept]
    final += [alias(status(s[i], INDICATOR_STATUSES), out_cols.indicators[i]) for i in range(n_ind)]
    final += [alias(status(dcols[k], DIMENSION_STATUSES), out_cols.dimensions[k]) for k in range(n_dim)]
    final += [alias(level_case(0), out_cols.level), alias(level_case(1), out_cols.highest)]
    final.append(alias(col(answered), out_cols.answered))
    for name, val in zip(out_cols.set_columns, (d.id, d.version, cs.sha256), strict=True):
        final.append(alias(exp.Literal.string(val), name))
    query = exp.Select(expressions=final).from_(exp.Table(this=ident(stages[-1][0])))
    for name, select in stages:
        query = query.with_(ident(name), as_=select)
    return query


# --- sources and printed queries ------------------------------------------------------------------


def table_node(name: str) -> exp.Table:
    """A table node for ``name``, which may be qualified (``catalog.schema.table``); each part is quoted."""
    from sqlglot import exp

    parts = name.split(".")
    if not name or len(parts) > 3 or any(not p or "\x00" in p for p in parts):
        raise SqlError("a table name is one to three non-empty parts separated by dots (catalog.schema.table)")
    table = exp.Table(this=ident(parts[-1]))
    if len(parts) >= 2:
        table.set("db", ident(parts[-2]))
    if len(parts) == 3:
        table.set("catalog", ident(parts[0]))
    return table


def column_fields(
    cs: CompiledSet, dialect: str, columns: Mapping[str, str] | None = None, absent: Sequence[str] = ()
) -> dict[str, exp.Expression]:
    """Field expressions for a table whose columns are named by ``columns`` (field → column; a field not
    in it is read from the column of its own id). Fields in ``absent`` read as typed NULL (unknown)."""
    from sqlglot import exp

    out: dict[str, exp.Expression] = {}
    for f in cs.used_fields:
        if f in absent:
            out[f] = exp.Cast(this=exp.Null(), to=sql_type(cs.dictionary.by_id[f].type, dialect))
        else:
            out[f] = col((columns or {}).get(f, f))
    return out


def to_sql(
    cs: CompiledSet,
    dialect: str = "duckdb",
    *,
    table: str = "encounters",
    columns: Mapping[str, str] | None = None,
    keep: Sequence[str | tuple[str, str]] = (),
    pretty: bool = True,
) -> str:
    """The scoring query of ``cs`` over ``table`` in ``dialect``, as text.

    ``columns`` maps dictionary field ids to the table's column names where they differ (see
    :func:`trafficscreen.sql.load_mapping`); ``keep`` names columns copied to the output first (an
    encounter id, typically).
    """
    check_dialect(dialect)
    query = build_query(cs, dialect, source=table_node(table), fields=column_fields(cs, dialect, columns), keep=keep)
    return query.sql(dialect=dialect, pretty=pretty)
