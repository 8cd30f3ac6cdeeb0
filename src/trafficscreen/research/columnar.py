"""The columnar backend: a checked indicator set compiled to polars expressions.

It walks the same parsed and type-checked condition trees as the Python compiler
(:mod:`trafficscreen.expr.pycompile`) and keeps their meaning exactly; a test screens thousands of
encounters both ways and compares every status and level. No Python code runs per row.

**Field conditions** (indicators) work on *encoded* columns (see :func:`encoded_columns`; :mod:`.frames`
does the encoding and checks every value). A yes/no field is two plain (never null) Boolean columns,
``<field>.yes`` (answered yes) and ``<field>.no`` (answered no); both false is *unknown*. Every other
field is one column where a null cell is unknown: a choice is its position in the dictionary's list of
values, a set of choices is a bit mask with bit *i* for the *i*-th value (each in the narrowest unsigned
integer that fits: a test on 8 bits runs about ten times faster than on 64). A
condition's quoted values are turned into positions when it is compiled — they were checked against the
dictionary at load time — so ``"pay" in broken_promises`` becomes one bitwise test instead of a search
through a list of strings.

Why two columns for yes/no: Parquet stores a nullable column as values plus definition levels, and
decoding those levels one value at a time costs far more than the rules (about 4 ns per yes/no answer
with polars, the same with Arrow C++), while a column without nulls reads at memory speed. The same
encoding also suits the rules: every condition is lowered by the one two-world lowering
(:mod:`trafficscreen.expr.worlds`) into two plain Boolean columns, *lo* (true however the unknown
answers turn out) and *hi* (true for at least one way), so ``and``/``or`` act on each column and ``not``
swaps and negates them. A condition is met where *lo* holds, not met where *hi* fails, unknown in
between. This backend supplies the primitives: a test on a field that is not yes/no is one polars
expression, null when an operand is null, filled with false for *lo* and true for *hi*; a choice is
compared by its code; several ``in`` tests on one set of choices become one bit test.

**Rules over counts** (dimension and level rules) see counts of met indicators as *intervals*: at least
the met ones, at most the met plus the unknown ones, compared by the lowering's interval table without
a null mask on any intermediate column.

Scoring runs in stages — indicator statuses; strength counts; dimensions; level rules, the level reached
and the highest level still possible — each one polars projection whose expressions run in parallel.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from ..core.compiled import CompiledSet
from ..core.plan import DIMENSION_PREFIX, DIMENSION_STATUSES, INDICATOR_PREFIX, INDICATOR_STATUSES, LEVEL_NAMES
from ..expr.tree import And, Arith, Compare, Const, ConstList, In, IsKnown, Name, Node, Or, Scalar
from ..expr.types import T, TypeChecker
from ..expr.worlds import Worlds
from ..model.dictionary import FieldDef, FieldType
from .encoding import (
    NO,
    YES,
    answered_expr,
    code_dtype,
    encoded_columns,
    mask_dtype,
    uses_mask,
    value_codes,
)

INDICATOR_STATUS = pl.Enum(INDICATOR_STATUSES)
DIMENSION_STATUS = pl.Enum(DIMENSION_STATUSES)
LEVEL = pl.Enum(LEVEL_NAMES)

_TMP = "\x00"  # prefix of working columns; a NUL never occurs in a real column name

Pair = tuple[pl.Expr, pl.Expr]  # (lo, hi): certainly true, may be true
Interval = tuple[pl.Expr, pl.Expr]  # (lo, hi)


class _PolarsWorlds(Worlds[pl.Expr]):
    """The Boolean primitives both polars generators share: lo and hi are plain columns, never null."""

    def literal(self, value: bool) -> pl.Expr:
        return pl.lit(value, dtype=pl.Boolean)

    def all_of(self, parts: Sequence[pl.Expr]) -> pl.Expr:
        return _all(parts)

    def any_of(self, parts: Sequence[pl.Expr]) -> pl.Expr:
        return _any(parts)

    def negate(self, e: pl.Expr) -> pl.Expr:
        return ~e


class FieldGen(_PolarsWorlds):
    """polars expressions for indicator conditions over encoded field columns, as (lo, hi) pairs."""

    def __init__(self, checker: TypeChecker, fields: dict[str, FieldDef]) -> None:
        self.checker = checker
        self.fields = fields

    # --- primitives ------------------------------------------------------------------------------
    def name(self, name: str) -> Pair:
        return pl.col(name + YES), ~pl.col(name + NO)

    def field_test(self, node: Compare | In | IsKnown) -> Pair:
        if isinstance(node, IsKnown) and self.fields[node.name.id].type is FieldType.BOOLEAN:
            known = pl.col(node.name.id + YES) | pl.col(node.name.id + NO)
            return (~known, ~known) if node.negate else (known, known)
        # polars propagates null (unknown) through a test on a null operand, so one fill per world
        # replaces a guard per field
        test = self._test(node)
        return test.fill_null(False), test.fill_null(True)

    def junction_parts(self, node: And | Or) -> list[Pair]:
        """``"a" in f or "b" in f`` → one test of f against both bits (same meaning, unknown included)."""
        if isinstance(node, And):
            return super().junction_parts(node)
        groups: dict[str, list[Node]] = {}
        for o in node.operands:
            if self._is_set_test(o):
                assert isinstance(o, In) and isinstance(o.container, Name)
                groups.setdefault(o.container.id, []).append(o.item)
        out: list[Pair] = []
        for o in node.operands:
            if not self._is_set_test(o):
                out.append(self.two(o))
                continue
            assert isinstance(o, In) and isinstance(o.container, Name)
            items = groups.pop(o.container.id, None)
            if items is not None:  # else merged into the first test of its field
                out.append(self._any_bit(o.container.id, items))
        return out

    # --- the backend's own encoding: choices as codes, sets of choices as bit masks -------------------
    def _any_bit(self, field: str, items: list[Node]) -> Pair:
        bits = 0
        for item in items:
            bits |= 1 << self._code(field, item)
        dt = mask_dtype(self.fields[field])
        hit = (pl.col(field) & pl.lit(bits, dtype=dt)) != pl.lit(0, dtype=dt)
        return hit.fill_null(False), hit.fill_null(True)

    def _is_set_test(self, node: Node) -> bool:
        return (
            isinstance(node, In)
            and not node.negate
            and isinstance(node.container, Name)
            and isinstance(node.item, Const)
            and uses_mask(self.fields[node.container.id])
        )

    def _test(self, node: Compare | In | IsKnown) -> pl.Expr:
        match node:
            case Compare():
                return self._compare(node)
            case In(item=item, container=container, negate=neg):
                e = self._in(item, container)
                return ~e if neg else e
            case IsKnown(name=nm, negate=neg):
                return pl.col(nm.id).is_null() if neg else pl.col(nm.id).is_not_null()
        raise TypeError(f"not a test: {type(node).__name__}")  # pragma: no cover

    def _operand(self, node: Node) -> pl.Expr:
        match node:
            case Const(value=v):
                return pl.lit(v, dtype=pl.Date) if isinstance(v, date) else pl.lit(v)
            case Name(id=i):
                return pl.col(i)
            case Arith(op=op, left=a, right=b):
                x, y = self._operand(a), self._operand(b)
                return _arith(op, x, y)
        raise TypeError(f"not a value node: {type(node).__name__}")  # pragma: no cover

    def _code(self, field: str, const: Node) -> int:
        assert isinstance(const, Const) and isinstance(const.value, str)
        return value_codes(self.fields[field]).index(const.value)

    def _enum_as_text(self, field: str) -> pl.Expr:
        codes = value_codes(self.fields[field])
        return pl.col(field).replace_strict(list(range(len(codes))), list(codes), return_dtype=pl.String)

    def _compare(self, node: Compare) -> pl.Expr:
        lt, rt = self.checker.typeof(node.left), self.checker.typeof(node.right)
        op = node.op
        if T.ENUM in (lt, rt):
            if lt is T.ENUM and rt is T.ENUM:
                assert isinstance(node.left, Name) and isinstance(node.right, Name)
                same = value_codes(self.fields[node.left.id]) == value_codes(self.fields[node.right.id])
                a = pl.col(node.left.id) if same else self._enum_as_text(node.left.id)
                b = pl.col(node.right.id) if same else self._enum_as_text(node.right.id)
            else:
                name, const = (node.left, node.right) if lt is T.ENUM else (node.right, node.left)
                assert isinstance(name, Name)
                a, b = pl.col(name.id), pl.lit(self._code(name.id, const), dtype=code_dtype(self.fields[name.id]))
            return a == b if op == "==" else a != b
        return _compare_values(op, self._operand(node.left), self._operand(node.right))

    def _in(self, item: Node, container: Node) -> pl.Expr:
        if isinstance(container, ConstList):
            if self.checker.typeof(item) is T.ENUM:
                assert isinstance(item, Name)
                idx = sorted({self._code(item.id, c) for c in container.items})
                col = pl.col(item.id)
                dt = code_dtype(self.fields[item.id])
                if len(idx) <= 3:  # a few equality tests beat a hash look-up
                    return _fold(lambda a, b: a | b, [col == pl.lit(i, dtype=dt) for i in idx])
                return col.is_in(pl.Series(idx, dtype=dt).implode())
            return self._operand(item).is_in(pl.Series([c.value for c in container.items]).implode())
        assert isinstance(container, Name) and isinstance(item, Const)
        fd = self.fields[container.id]
        if uses_mask(fd):
            dt = mask_dtype(fd)
            bit = pl.lit(1 << self._code(container.id, item), dtype=dt)
            return (pl.col(container.id) & bit) != pl.lit(0, dtype=dt)
        return pl.col(container.id).list.contains(pl.lit(item.value))


class CountGen(_PolarsWorlds):
    """polars expressions for rules over counts, as (lo, hi) pairs of plain Boolean columns."""

    def __init__(
        self,
        checker: TypeChecker,
        flag: Callable[[str], Pair],
        count: Callable[[str], Interval],
    ) -> None:
        self.checker = checker
        self._flag = flag
        self._count = count

    def compare(self, op: str, a: pl.Expr, b: pl.Expr) -> pl.Expr:
        return _compare_values(op, a, b)

    def number(self, value: int | float) -> pl.Expr:
        return pl.lit(value)

    def arith(self, op: str, a: pl.Expr, b: pl.Expr) -> pl.Expr:
        return _arith(op, a, b)

    def member(self, item: pl.Expr, values: tuple[Scalar, ...], negate: bool) -> pl.Expr:
        inside = item.is_in(pl.Series(list(values)).implode())
        return ~inside if negate else inside

    def name(self, name: str) -> Pair:
        return self._flag(name)

    def count(self, name: str) -> Interval:
        return self._count(name)


def _arith(op: str, x: pl.Expr, y: pl.Expr) -> pl.Expr:
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    return x * y


def _compare_values(op: str, a: pl.Expr, b: pl.Expr) -> pl.Expr:
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    if op == ">=":
        return a >= b
    if op == "==":
        return a == b
    return a != b


def _fold(fn: Callable[[pl.Expr, pl.Expr], pl.Expr], parts: Sequence[pl.Expr]) -> pl.Expr:
    out = parts[0]
    for p in parts[1:]:
        out = fn(out, p)
    return out


def _all(parts: Sequence[pl.Expr]) -> pl.Expr:
    return _fold(lambda a, b: a & b, parts)


def _any(parts: Sequence[pl.Expr]) -> pl.Expr:
    return _fold(lambda a, b: a | b, parts)


@dataclass(frozen=True)
class _CountSpec:
    """One count interval a rule reads: over which indicators and with which weights."""

    lo: str
    hi: str
    members: tuple[tuple[int, int], ...]  # (indicator index, weight), weight never 0
    parts: tuple[_CountSpec, ...] = ()  # counts over the whole set add up the dimensions' counts


class ColumnarSet:
    """One compiled set as polars expressions. Build once per set; reuse it for any number of frames."""

    def __init__(self, cs: CompiledSet) -> None:
        self.set = cs
        d = cs.definition
        plan = cs.plan
        self.indicator_ids = plan.indicator_ids
        self.dimension_ids = plan.dimension_ids
        self.used_fields = cs.used_fields
        fields = cs.dictionary.by_id
        self.columns: dict[str, pl.DataType] = {}
        for f in cs.used_fields:
            self.columns.update(encoded_columns(fields[f]))
        n_ind = len(d.indicators)
        self._s = [f"{_TMP}s{i}" for i in range(n_ind)]  # lo: the indicator is met
        self._t = [f"{_TMP}t{i}" for i in range(n_ind)]  # hi: the indicator is not ruled out

        # the widest count decides the integer width of every count column; narrow integers: each count
        # term writes a column per row, so bytes per value is the cost
        self._int = next(
            t
            for t, bits in ((pl.Int8, 7), (pl.Int16, 15), (pl.Int32, 31), (pl.Int64, 63))
            if plan.widest < 2**bits or t is pl.Int64
        )
        members = plan.members

        # stage 1: indicator statuses from fields
        self.indicator_exprs: list[pl.Expr] = []
        for i, (tree, checker) in enumerate(cs.checked.indicators):
            lo, hi = FieldGen(checker, fields).two(tree)
            self.indicator_exprs += [lo.alias(self._s[i]), hi.alias(self._t[i])]

        # stage 2: the strength counts that the dimension and level rules read
        self._members = members
        self._count_specs: dict[tuple[str, str], _CountSpec] = {}

        def count_of(scope: str, idx: Sequence[int]) -> Callable[[str], Interval]:
            def get(n: str) -> Interval:
                spec = self._count_spec(scope, n, idx)
                return pl.col(spec.lo), pl.col(spec.hi)

            return get

        # stage 3: dimensions
        self.dimension_pairs: list[Pair] = []
        self._dm = [f"{_TMP}dm{k}" for k in range(len(d.dimensions))]
        self._dy = [f"{_TMP}dy{k}" for k in range(len(d.dimensions))]
        for k, (_text, tree, checker) in enumerate(cs.checked.dimensions):
            gen = CountGen(checker, _no_flag, count_of(f"d{k}", members[k]))
            self.dimension_pairs.append(gen.two(tree))

        # stage 4: level rules over dimensions, red flags and counts over the whole set
        all_idx = list(range(n_ind))
        whole = count_of("L", all_idx)
        dims_present = (
            weighted_count([(pl.col(c), 1) for c in self._dm], self._int),
            weighted_count([(pl.col(c), 1) for c in self._dy], self._int),
        )
        flags = plan.red_flags
        if flags:
            red_flag: Pair = (
                _any([pl.col(self._s[i]) for i in flags]),
                _any([pl.col(self._t[i]) for i in flags]),
            )
        else:
            false = pl.lit(False, dtype=pl.Boolean)
            red_flag = (false, false)
        dim_pairs = {dim: (pl.col(self._dm[k]), pl.col(self._dy[k])) for k, dim in enumerate(plan.dimension_ids)}

        def level_flag(n: str) -> Pair:
            return red_flag if n == "red_flag" else dim_pairs[n]

        def level_count(n: str) -> Interval:
            return dims_present if n == "dimensions_present" else whole(n)

        self.level_pairs = [CountGen(checker, level_flag, level_count).two(tree) for tree, checker in cs.checked.levels]
        self._scales = list(plan.scales)

        self._answered: dict[frozenset[str], pl.Expr] = {}
        # the stages' expressions, built once: building them anew for every frame costs more than
        # scoring a small frame
        self._indicator_pairs = [pl.col(c) for c in (*self._s, *self._t)]
        self._count_stages = [stage for stage in self._count_exprs() if stage]
        self._dimension_exprs: list[pl.Expr] = []
        for k, (lo, hi) in enumerate(self.dimension_pairs):
            self._dimension_exprs += [lo.alias(self._dm[k]), hi.alias(self._dy[k])]
        self._status_exprs = [
            _tri(pl.col(s), ~pl.col(t), INDICATOR_STATUS, INDICATOR_STATUSES).alias(INDICATOR_PREFIX + ident)
            for s, t, ident in zip(self._s, self._t, self.indicator_ids, strict=True)
        ] + [
            _tri(pl.col(self._dm[k]), ~pl.col(self._dy[k]), DIMENSION_STATUS, DIMENSION_STATUSES).alias(
                DIMENSION_PREFIX + ident
            )
            for k, ident in enumerate(self.dimension_ids)
        ]
        self._level_exprs = [
            self._level([m for m, _ in self.level_pairs]).alias("level"),
            self._level([y for _, y in self.level_pairs]).alias("highest_possible"),
        ]

    def _count_spec(self, scope: str, n: str, idx: Sequence[int]) -> _CountSpec:
        key = (scope, n)
        spec = self._count_specs.get(key)
        if spec is not None:
            return spec
        lo, hi = f"{_TMP}{scope}_{n}_lo", f"{_TMP}{scope}_{n}_hi"
        if scope == "L":
            # the whole set: one term per dimension instead of one per indicator
            parts = [self._count_spec(f"d{k}", n, m) for k, m in enumerate(self._members) if m]
            spec = _CountSpec(lo, hi, (), tuple(p for p in parts if p.members))
        else:
            spec = _CountSpec(lo, hi, self.set.plan.count_members(n, tuple(idx)))
        self._count_specs[key] = spec
        return spec

    def _count_exprs(self) -> tuple[list[pl.Expr], list[pl.Expr]]:
        """Counts over dimensions, then counts over the whole set (sums of the first)."""
        by_dimension: list[pl.Expr] = []
        whole: list[pl.Expr] = []
        zero = pl.lit(0, dtype=self._int)
        for spec in self._count_specs.values():
            if spec.parts or not spec.members:
                lo = _fold(lambda a, b: a + b, [pl.col(p.lo) for p in spec.parts]) if spec.parts else zero
                hi = _fold(lambda a, b: a + b, [pl.col(p.hi) for p in spec.parts]) if spec.parts else zero
                whole += [lo.alias(spec.lo), hi.alias(spec.hi)]
                continue
            # lo: indicators met; hi: indicators not ruled out (met or unknown)
            lo_terms = [(pl.col(self._s[i]), w) for i, w in spec.members]
            hi_terms = [(pl.col(self._t[i]), w) for i, w in spec.members]
            by_dimension.append(weighted_count(lo_terms, self._int).alias(spec.lo))
            by_dimension.append(weighted_count(hi_terms, self._int).alias(spec.hi))
        return by_dimension, whole

    def lazy_score(self, lf: pl.LazyFrame, keep: Sequence[str] = (), *, statuses: bool = True) -> pl.LazyFrame:
        """Score an encoded frame lazily.

        Gives the ``keep`` columns; when ``statuses`` is true, a status column per indicator
        (``indicator.<id>``: met / not_met / unknown) and per dimension (``dimension.<id>``: present /
        absent / unknown); then ``level`` and ``highest_possible`` on the engine's scale (none, concern,
        refer, urgent). Columns of fields the set reads but the frame lacks are unknown throughout.
        """
        have = set(lf.collect_schema().names())
        missing = [_unknown(c, dt).alias(c) for c, dt in self.columns.items() if c not in have]
        if missing:
            lf = lf.with_columns(missing)
        kept = [pl.col(c) for c in keep]
        # with_columns (not select) so that a constant condition still gives one value per row
        lf = lf.with_columns(self.indicator_exprs).select(*kept, *self._indicator_pairs)
        for stage in self._count_stages:
            lf = lf.with_columns(stage)
        lf = lf.with_columns(self._dimension_exprs)
        out = [*self._status_exprs, *self._level_exprs] if statuses else self._level_exprs
        return lf.with_columns(out).select(*keep, *[e.meta.output_name() for e in out])

    def answered(self, have: frozenset[str]) -> pl.Expr:
        """How many of the fields the set reads have an answer, in a frame with the columns ``have``."""
        out = self._answered.get(have)
        if out is None:
            fields = self.set.dictionary.by_id
            present = [fields[f] for f in self.used_fields if set(encoded_columns(fields[f])) <= have]
            width = pl.Int8 if len(self.used_fields) < 2**7 else pl.Int16
            out = self._answered.setdefault(have, weighted_count([(answered_expr(fd), 1) for fd in present], width))
        return out

    def _level(self, holds: list[pl.Expr]) -> pl.Expr:
        """The highest level whose rule holds (levels are listed lowest first), else none."""
        none = _typed(LEVEL_NAMES[0], LEVEL)
        chain: Any = None
        for rule, scale in reversed(list(zip(holds, self._scales, strict=True))):
            value = _typed(scale, LEVEL)
            chain = pl.when(rule).then(value) if chain is None else chain.when(rule).then(value)
        if chain is None:
            return none
        out: pl.Expr = chain.otherwise(none)
        return out

    def score(self, df: pl.DataFrame, keep: Sequence[str] = (), *, statuses: bool = True) -> pl.DataFrame:
        """Score an encoded DataFrame (see :meth:`lazy_score`)."""
        return self.lazy_score(df.lazy(), keep, statuses=statuses).collect()


def _tri(yes: pl.Expr, no: pl.Expr, dtype: pl.Enum, labels: tuple[str, str, str]) -> pl.Expr:
    """A status column: the first label where ``yes``, the second where ``no``, the third elsewhere."""
    return (
        pl.when(yes)
        .then(_typed(labels[0], dtype))
        .when(no)
        .then(_typed(labels[1], dtype))
        .otherwise(_typed(labels[2], dtype))
    )


@functools.lru_cache(maxsize=256)
def _typed(value: int | str, dtype: pl.DataType | type[pl.DataType]) -> pl.Expr:
    """A typed literal. Expressions are immutable, so one serves every place that needs it; making a
    typed literal builds a one-value Series, and a set needs some hundreds of them."""
    return pl.lit(value, dtype=dtype)


def _unknown(column: str, dtype: pl.DataType) -> pl.Expr:
    """An encoded column of a field no input column supplies: unknown on every row."""
    if column.endswith((YES, NO)):
        return pl.lit(False, dtype=pl.Boolean)
    return pl.lit(None, dtype=dtype)


def _no_flag(name: str) -> Pair:  # pragma: no cover - dimension rules see only counts
    raise TypeError(f"'{name}' is not a count")


def weighted_count(terms: Iterable[tuple[pl.Expr, int]], dtype: type[pl.DataType]) -> pl.Expr:
    """Sum of ``weight`` over the terms whose condition is true (null counts as not true), in ``dtype``.

    ``when/then/otherwise`` with typed literals turns a Boolean bitmap into small integers several
    times faster than a cast, and adding narrow integers is faster than a horizontal sum.
    """
    zero = _typed(0, dtype)
    parts = [pl.when(cond).then(_typed(w, dtype)).otherwise(zero) for cond, w in terms]
    if not parts:
        return zero
    return _fold(lambda a, b: a + b, parts)
