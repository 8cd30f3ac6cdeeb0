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

from ..core.compiled import CompiledSet
from ..core.plan import (
    DIMENSION_PREFIX,
    DIMENSION_STATUSES,
    HIGHEST_COLUMN,
    INDICATOR_PREFIX,
    INDICATOR_STATUSES,
    LEVEL_COLUMN,
    LEVEL_NAMES,
    Members,
)
from ..errors import SqlError as SqlError  # re-exported: its old home
from ..model.indicator_set import Strength
from .dialects import DIALECTS
from .lowering import Facts, Pair, SqlGen
from .nodes import (
    arith,
    case,
    cmp,
    col,
    ident,
    not_null,
    num,
    or_,
    paren,
    sql_type,
    sum_,
    wrap,
)
from .packed import BitRef, PackedFacts, PackedGen, PackedLayout, answered_terms, check_packed

if TYPE_CHECKING:
    from sqlglot import exp

    from ..expr.types import TypeChecker


ANSWERED_COLUMN = "answered"
SET_COLUMNS = ("set_id", "set_version", "set_sha256")


_INTERNAL = "_ts_"  # prefix of the working columns and stages of the query


def check_dialect(dialect: str) -> str:
    if dialect not in DIALECTS:
        raise SqlError(f"unknown SQL dialect '{dialect}' (choose one of: {', '.join(DIALECTS)})")
    return dialect


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
    packed: PackedLayout | None = None,
) -> exp.Select:
    """The scoring query of ``cs`` over ``source`` (a table or subquery node).

    ``fields`` gives, for each field the set reads, the SQL expression of its value in a ``source`` row
    (usually a quoted column; a typed NULL for a field the source lacks). ``keep`` names source columns
    copied to the output unchanged, first; a ``(column, name)`` pair renames one on the way. With
    ``packed``, ``source`` is a packed cohort of that layout (:mod:`.packed`): yes/no fields are read from
    its words, and ``fields`` gives the encoded columns of the other fields.
    """
    check_dialect(dialect)
    kept = [(k, k) if isinstance(k, str) else k for k in keep]
    _check_request(cs, fields, [name for _src, name in kept])
    if packed is not None:
        check_packed(packed, cs)
    return _Query(cs, dialect, fields, kept, packed).build(source)


def _check_request(cs: CompiledSet, fields: Mapping[str, exp.Expression], names_kept: list[str]) -> None:
    clash = sorted(set(names_kept) & set(output_columns(cs).all()))
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


_BIT_COUNT_DIALECTS = frozenset({"duckdb", "spark"})
"""Dialects that count the set bits of an integer (``BIT_COUNT``), where counts are read from bit masks."""
_MASK_BITS = 62
"""A dimension with more indicators than this keeps one sum per count (a mask is a signed 64-bit integer)."""
_FLAG_WORD_DIALECTS = frozenset({"spark"})
"""Dialects whose query over a packed cohort holds the indicators' two worlds as bits of a few words from
the second stage on. Spark fuses the stages after the indicators into one generated method; with one
column per indicator and world it grows past the 8,000 bytes the JVM compiles (17,290 bytes for the
default set), and with whole-stage code generation on (Spark's default) the query then runs
interpreted, several times slower than with it off. With the words it is under 4,000 bytes."""


def _pair(name: str) -> tuple[str, str]:
    return f"{_INTERNAL}{name}_lo", f"{_INTERNAL}{name}_hi"


class _Query:
    """The stages of one scoring query, in order; each reads the one before it.

    facts (per-row tests, from the source) → indicators (two worlds each) → counts → dimensions →
    dimensions_present (where read) → levels → the output row.
    """

    def __init__(
        self,
        cs: CompiledSet,
        dialect: str,
        fields: Mapping[str, exp.Expression],
        kept: list[tuple[str, str]],
        packed: PackedLayout | None = None,
    ) -> None:
        self.cs = cs
        self.packed = packed
        self.plan = cs.plan
        self.dialect = dialect
        self.fields = fields
        self.kept = kept
        self.names_kept = [name for _src, name in kept]
        self.stages: list[tuple[str, exp.Select]] = []
        self.carried: list[str] = []
        plan = self.plan
        self.s = [_pair(f"s{i}") for i in range(len(plan.indicator_ids))]
        self.d = [_pair(f"d{k}") for k in range(len(plan.dimension_ids))]
        self.levels = [_pair(f"l{j}") for j in range(len(plan.scales))]
        self.rf = _pair("rf")
        self.answered = f"{_INTERNAL}answered"
        self.set_counts: dict[str, Pair] = {}
        self.bits: list[tuple[BitRef | None, BitRef | None]] = []  # per indicator over a packed cohort
        self.words: list[str] = []
        self.flags: list[tuple[BitRef, BitRef]] = []  # per indicator, where its worlds are bits of words

    def build(self, source: exp.Expression) -> exp.Select:
        from sqlglot import exp

        self._facts_and_indicators(source)
        dim_counts = self._counts()
        self._dimensions(dim_counts)
        self._levels()
        query = exp.Select(expressions=self._output()).from_(exp.Table(this=ident(self.stages[-1][0])))
        for name, select in self.stages:
            query = query.with_(ident(name), as_=select)
        return query

    def _stage(
        self, name: str, computed: Sequence[tuple[str, exp.Expression]], passed: Sequence[str] | None = None
    ) -> None:
        from sqlglot import exp

        passed = self.carried if passed is None else passed
        cols = [col(c) for c in passed] + [_alias(e, n) for n, e in computed]
        select = exp.Select(expressions=cols).from_(exp.Table(this=ident(self.stages[-1][0])))
        self.stages.append((f"{_INTERNAL}{name}", select))
        self.carried = [*passed, *(n for n, _ in computed)]

    def _facts_and_indicators(self, source: exp.Expression) -> None:
        """The first stage reads the source: kept columns (renamed where asked), every test the set
        makes on a row as a column, and how many of the questions the set reads are answered."""
        from sqlglot import exp

        facts, gen = self._lowering()
        indicators: list[tuple[str, exp.Expression]] = []
        for i, (tree, checker) in enumerate(self.cs.checked.indicators):
            lo, hi = gen(checker).two(tree)
            indicators += [(self.s[i][0], lo), (self.s[i][1], hi)]
            if isinstance(facts, PackedFacts):
                self.bits.append((facts.bit_of(lo), facts.bit_of(hi)))
        if self.packed is None:
            known = [case([(not_null(self.fields[f]), num(1))], num(0)) for f in self.cs.used_fields]
        else:
            known = answered_terms(self.packed, self.fields, list(self.cs.used_fields), self.dialect)
        computed = [*facts.columns(), (self.answered, wrap(sum_(known)))]
        from_source = [col(src) if src == name else _alias(col(src), name) for src, name in self.kept]
        select = exp.Select(expressions=[*from_source, *(_alias(e, n) for n, e in computed)]).from_(source)
        self.stages.append((f"{_INTERNAL}facts", select))
        self.carried = [*self.names_kept, self.answered]
        self.words = list(facts.words) if isinstance(facts, PackedFacts) else []
        if self.dialect in _FLAG_WORD_DIALECTS and self.packed is not None:
            self._flag_words(indicators, [*self.names_kept, self.answered])
            return
        self._stage(
            "indicators", indicators, passed=[*self.names_kept, self.answered, *(n for n, _ in facts.columns())]
        )
        self.carried = [*self.names_kept, self.answered, *self.words, *(c for pair in self.s for c in pair)]

    def _flag_words(self, indicators: list[tuple[str, exp.Expression]], passed: list[str]) -> None:
        worlds = [(indicators[2 * i][1], indicators[2 * i + 1][1]) for i in range(len(indicators) // 2)]
        computed: list[tuple[str, exp.Expression]] = []
        for n in range(0, len(worlds), _MASK_BITS):
            names_ = _pair(f"w{n // _MASK_BITS}")
            for w in (0, 1):
                terms = [case([(pair[w], num(1 << j))], num(0)) for j, pair in enumerate(worlds[n : n + _MASK_BITS])]
                computed.append((names_[w], wrap(sum_(terms))))
            for j in range(len(worlds[n : n + _MASK_BITS])):
                self.flags.append(((names_[0], 1 << j), (names_[1], 1 << j)))
        self._stage("indicators", computed, passed=passed)
        self.words = []

    def _lowering(self) -> tuple[Facts, Callable[[TypeChecker], SqlGen]]:
        """The facts table of the first stage and the field-scope primitives: over plain columns, or over
        a packed cohort's encoded ones (the lowering itself is the same)."""
        if self.packed is None:
            facts = Facts(self.fields.__getitem__, _INTERNAL, self.dialect)
            return facts, lambda checker: SqlGen(checker, self.dialect, facts=facts)
        packed = PackedFacts(self.packed, self.fields.__getitem__, _INTERNAL, self.dialect)
        return packed, lambda checker: PackedGen(checker, self.dialect, packed)

    def _count(self, members: Members) -> Pair:
        def total(world: int) -> exp.Expression:
            return wrap(sum_([case([(col(self.s[i][world]), num(w))], num(0)) for i, w in members]))

        return total(0), total(1)

    def _counts(self) -> list[dict[str, Pair]]:
        """Per dimension, the counts its rule reads and those the level rules read over the whole set."""
        plan = self.plan
        counts: list[tuple[str, exp.Expression]] = []
        dim_counts: list[dict[str, Pair]] = []
        for k, reads in enumerate(plan.dimension_reads):
            # a count that adds nothing to the set-wide count is left out unless the rule reads it
            wanted = [n for n in sorted(reads | set(plan.level_counts)) if n in reads or plan.dimension_count(k, n)]
            if wanted and self.flags:
                direct = {i: self.flags[i] for i in plan.members[k]}
                dim_counts.append({n: self._from_mask(k, n, _pair("unused"), direct, []) for n in wanted})
                continue
            if wanted and self.dialect in _BIT_COUNT_DIALECTS and len(plan.members[k]) <= _MASK_BITS:
                direct, rest = self._direct_bits(k)
                mask = _pair(f"m{k}")
                if rest:
                    counts += [(mask[w], self._mask(rest, w)) for w in (0, 1)]
                dim_counts.append({n: self._from_mask(k, n, mask, direct, rest) for n in wanted})
                continue
            here: dict[str, Pair] = {}
            for n in wanted:
                names_ = _pair(f"c{k}_{n}")
                lo, hi = self._count(plan.dimension_count(k, n))
                counts += [(names_[0], lo), (names_[1], hi)]
                here[n] = (col(names_[0]), col(names_[1]))
            dim_counts.append(here)
        if "red_flag" in plan.level_reads:
            flags = plan.red_flags
            counts += [(self.rf[w], or_(*self._any_flag(flags, w))) for w in (0, 1)]
        if counts:
            self._stage("counts", counts)
        return dim_counts

    def _flag(self, i: int, world: int) -> exp.Expression:
        if not self.flags:
            return col(self.s[i][world])
        word, bit = self.flags[i][world]
        return cmp("!=", paren(_bitand(col(word), num(bit))), num(0))

    def _any_flag(self, members: Sequence[int], world: int) -> list[exp.Expression]:
        if not self.flags:
            return [col(self.s[i][world]) for i in members]
        by_word: dict[str, int] = {}
        for i in members:
            word, bit = self.flags[i][world]
            by_word[word] = by_word.get(word, 0) | bit
        return [cmp("!=", paren(_bitand(col(w), num(b))), num(0)) for w, b in by_word.items()]

    def _direct_bits(self, k: int) -> tuple[dict[int, tuple[BitRef, BitRef]], list[int]]:
        """The dimension's indicators whose two worlds are each one bit of a word of the first stage (over a
        packed cohort: a yes/no field, a choice among a set's answers), counted straight from those words;
        and the rest, counted from the dimension's masks. A bit read by two of its indicators is counted
        through the masks for the second, so that a ``BIT_COUNT`` never counts one indicator for two."""
        direct: dict[int, tuple[BitRef, BitRef]] = {}
        rest: list[int] = []
        seen: set[BitRef] = set()
        for i in self.plan.members[k]:
            lo, hi = self.bits[i] if self.bits else (None, None)
            if lo is None or hi is None or lo in seen or hi in seen:
                rest.append(i)
                continue
            seen |= {lo, hi}
            direct[i] = (lo, hi)
        return direct, rest

    def _mask(self, members: Sequence[int], world: int) -> exp.Expression:
        """The indicators ``members`` that hold in ``world`` as bits of one integer (bit j: the j-th):
        one term per indicator, where a count per strength and for points would need one term each."""
        bits = [case([(col(self.s[i][world]), num(1 << j))], num(0)) for j, i in enumerate(members)]
        return wrap(sum_(bits))

    def _from_mask(
        self, k: int, n: str, mask: tuple[str, str], direct: Mapping[int, tuple[BitRef, BitRef]], rest: list[int]
    ) -> Pair:
        """A count read from the dimension's masks and words: for each weight, that weight times the set
        bits of each."""
        from sqlglot import exp

        position = {i: j for j, i in enumerate(rest)}

        def total(world: int) -> exp.Expression:
            by_weight: dict[tuple[int, str], int] = {}
            for i, w in self.plan.dimension_count(k, n):
                word, bit = direct[i][world] if i in direct else (mask[world], 1 << position[i])
                by_weight[w, word] = by_weight.get((w, word), 0) | bit
            terms: list[exp.Expression] = []
            for (w, word), bits in sorted(by_weight.items()):
                hit = exp.BitwiseAnd(this=col(word), expression=num(bits))
                ones = exp.Cast(this=exp.BitwiseCount(this=paren(hit)), to=exp.DataType.build("INT"))
                terms.append(ones if w == 1 else arith("*", num(w), ones))
            return wrap(sum_(terms))

        return total(0), total(1)

    def _dimensions(self, dim_counts: list[dict[str, Pair]]) -> None:
        """Dimension rules over their counts; beside them, each set-wide count a level rule reads, as the
        sum of the dimensions' counts (a dozen terms instead of one per indicator)."""
        computed: list[tuple[str, exp.Expression]] = []
        for k, (_text, tree, checker) in enumerate(self.cs.checked.dimensions):
            lo, hi = SqlGen(checker, self.dialect, interval=dim_counts[k].__getitem__).two(tree)
            computed += [(self.d[k][0], lo), (self.d[k][1], hi)]
        for n in self.plan.level_counts:
            names_ = _pair(f"all_{n}")
            for w in (0, 1):
                parts = [here[n][w].copy() for here in dim_counts if n in here]
                computed.append((names_[w], wrap(sum_(parts))))
            self.set_counts[n] = (col(names_[0]), col(names_[1]))
        # the per-dimension counts and the words are not needed past this stage
        passed = [c for c in self.carried if not c.startswith(f"{_INTERNAL}c") and c not in self.words]
        self._stage("dimensions", computed, passed=passed)
        if "dimensions_present" in self.plan.level_reads:
            dp = _pair("all_dimensions_present")
            terms = [(dp[w], paren(sum_([case([(col(d[w]), num(1))], num(0)) for d in self.d]))) for w in (0, 1)]
            self._stage("present", terms)
            self.set_counts["dimensions_present"] = (col(dp[0]), col(dp[1]))

    def _levels(self) -> None:
        """Level rules, over dimensions, red_flag and the set-wide counts."""
        pairs: dict[str, Pair] = {
            dim: (col(self.d[k][0]), col(self.d[k][1])) for k, dim in enumerate(self.plan.dimension_ids)
        }
        pairs["red_flag"] = (col(self.rf[0]), col(self.rf[1]))
        computed: list[tuple[str, exp.Expression]] = []
        for j, (tree, checker) in enumerate(self.cs.checked.levels):
            gen = SqlGen(checker, self.dialect, pair=pairs.__getitem__, interval=self.set_counts.__getitem__)
            lo, hi = gen.two(tree)
            computed += [(self.levels[j][0], lo), (self.levels[j][1], hi)]
        self._stage("levels", computed)

    def _word(self, w: str, words: Sequence[str]) -> exp.Expression:
        from sqlglot import exp

        # DuckDB: a CASE over ENUM constants builds a dictionary-typed column directly, several times faster
        # to compute and to write than text
        if self.dialect != "duckdb":
            return exp.Literal.string(w)
        kind = exp.DataType(this=exp.DataType.Type.ENUM, expressions=[exp.Literal.string(v) for v in words])
        return exp.Cast(this=exp.Literal.string(w), to=kind)

    def _status(self, pair: tuple[str, str], words: tuple[str, str, str], i: int | None = None) -> exp.Expression:
        yes, no, unknown = (self._word(w, words) for w in words)
        if i is not None and self.flags:
            return case([(self._flag(i, 0), yes), (self._flag(i, 1), unknown)], no)
        return case([(col(pair[0]), yes), (col(pair[1]), unknown)], no)

    def _level(self, world: int) -> exp.Expression:
        whens = [
            (col(self.levels[j][world]), self._word(sc, LEVEL_NAMES))
            for j, sc in reversed(list(enumerate(self.plan.scales)))
        ]
        return case(whens, self._word(LEVEL_NAMES[0], LEVEL_NAMES))

    def _output(self) -> list[exp.Expression]:
        from sqlglot import exp

        out_cols = output_columns(self.cs)
        final: list[exp.Expression] = [col(name) for name in self.names_kept]
        final += [
            _alias(self._status(p, INDICATOR_STATUSES, i), c)
            for i, (p, c) in enumerate(zip(self.s, out_cols.indicators, strict=True))
        ]
        final += [
            _alias(self._status(p, DIMENSION_STATUSES), c) for p, c in zip(self.d, out_cols.dimensions, strict=True)
        ]
        final += [_alias(self._level(0), out_cols.level), _alias(self._level(1), out_cols.highest)]
        final.append(_alias(col(self.answered), out_cols.answered))
        d = self.cs.definition
        for name, val in zip(out_cols.set_columns, (d.id, d.version, self.cs.sha256), strict=True):
            final.append(_alias(exp.Literal.string(val), name))
        return final


def _bitand(a: exp.Expression, b: exp.Expression) -> exp.Expression:
    from sqlglot import exp

    return exp.BitwiseAnd(this=a, expression=b)


def _alias(e: exp.Expression, name: str) -> exp.Expression:
    from sqlglot import exp

    return exp.Alias(this=e, alias=ident(name))


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
    packed: bool = False,
) -> str:
    """The scoring query of ``cs`` over ``table`` in ``dialect``, as text.

    ``columns`` maps dictionary field ids to the table's column names where they differ (see
    :func:`trafficscreen.sql.load_mapping`); ``keep`` names columns copied to the output first (an
    encounter id, typically). With ``packed``, ``table`` is a packed cohort (``trafficscreen pack --for
    sql``), written with the set's dictionary, whose columns are named as the packer names them.
    """
    check_dialect(dialect)
    if packed:
        if columns:
            raise SqlError("a packed cohort names its columns by field; give no column mapping")
        from .packed import packed_layout

        fields = {f: col(f) for f in cs.used_fields}
        layout = packed_layout(cs.dictionary)
        query = build_query(cs, dialect, source=table_node(table), fields=fields, keep=keep, packed=layout)
        return query.sql(dialect=dialect, pretty=pretty)
    query = build_query(cs, dialect, source=table_node(table), fields=column_fields(cs, dialect, columns), keep=keep)
    return query.sql(dialect=dialect, pretty=pretty)
