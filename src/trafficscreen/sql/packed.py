"""Packed cohorts for SQL engines: answers pre-encoded so that each test is one operation on a column.

A plain cohort holds one nullable column per field. Reading a nullable column is the largest part of
a SQL engine's scan, and every test the query makes on it is guarded for NULL in both worlds
(``COALESCE``, ``IS NULL``, ``ARRAY_CONTAINS`` on a list), which costs more than the test. A **packed**
cohort stores the same answers already encoded (:class:`PackedLayout`):

* the yes/no fields as bits of a few ``BIGINT`` words that are never NULL: bit *b* of ``_ts_yes_<w>``
  is set where the field's answer is yes, the same bit of ``_ts_no_<w>`` where it is no, neither where
  it is unknown (63 fields a word, in dictionary order);
* a choice as its position in the dictionary's list of values, a set of choices as a bit mask (bit *i*
  for the *i*-th value), each NULL where unknown; numbers and dates as they are.

A yes/no field then reads as ``(_ts_yes_0 & 8) <> 0`` (certainly yes) and ``(_ts_no_0 & 8) = 0``
(possibly yes); a choice among a set's answers as ``(COALESCE(work_types, 0) & 4) <> 0`` (certainly)
and ``(COALESCE(work_types, -1) & 4) <> 0`` (possibly: an unknown set may hold every choice). The
meaning is unchanged: the lowering of :mod:`trafficscreen.expr.worlds` still decides what each world is,
this module only supplies its primitives for the packed columns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..core.compiled import CompiledSet
from ..errors import SqlError
from ..expr.tree import Compare, Const, ConstList, In, IsKnown, Name, Node, Scalar
from ..expr.types import T
from ..model.dictionary import DataDictionary, FieldDef, FieldType
from .lowering import Facts, Pair, SqlGen
from .nodes import case, cmp, col, const, in_list, not_, not_null, num, paren, sum_

if TYPE_CHECKING:
    from sqlglot import exp

    from ..expr.types import TypeChecker

WORD_BITS = 63
"""Yes/no fields per word: a BIGINT is signed, and bit 63 would make it negative in every engine."""
MAX_MASK_VALUES = 63
"""A set-of-choices field with more values than this cannot be packed (its mask would not fit a BIGINT)."""
YES_WORD = "_ts_yes_"
NO_WORD = "_ts_no_"


@dataclass(frozen=True)
class Slot:
    """Where a yes/no field is stored: word ``word``, bit ``bit``."""

    word: int
    bit: int

    @property
    def mask(self) -> int:
        return 1 << self.bit


@dataclass(frozen=True)
class PackedLayout:
    """How a dictionary's fields are stored in a packed cohort; a function of the dictionary alone."""

    dictionary: str
    slots: Mapping[str, Slot]
    values: Mapping[str, tuple[str, ...]]  # choice and set-of-choices fields: position i is value i
    types: Mapping[str, FieldType]

    @property
    def words(self) -> int:
        return max((s.word for s in self.slots.values()), default=-1) + 1

    def value_code(self, field: str, value: str) -> int:
        return self.values[field].index(value)


def packed_layout(dictionary: DataDictionary) -> PackedLayout:
    """The packed layout of ``dictionary``: yes/no fields as bits in dictionary order, 63 a word."""
    slots: dict[str, Slot] = {}
    values: dict[str, tuple[str, ...]] = {}
    types: dict[str, FieldType] = {}
    for fd in dictionary.by_id.values():
        types[fd.id] = fd.type
        if fd.type is FieldType.BOOLEAN:
            n = len(slots)
            slots[fd.id] = Slot(n // WORD_BITS, n % WORD_BITS)
        elif fd.type in (FieldType.ENUM, FieldType.SET):
            values[fd.id] = _codes(fd)
    return PackedLayout(dictionary.ref, slots, values, types)


def _codes(fd: FieldDef) -> tuple[str, ...]:
    codes = tuple(v.code for v in fd.values or ())
    if fd.type is FieldType.SET and len(codes) > MAX_MASK_VALUES:
        raise SqlError(f"field '{fd.id}' has {len(codes)} values; a packed cohort holds at most {MAX_MASK_VALUES}")
    return codes


def _bits(e: exp.Expression, mask: int) -> exp.Expression:
    from sqlglot import exp

    return paren(exp.BitwiseAnd(this=e, expression=num(mask)))


BitRef = tuple[str, int]
"""A fact that is one bit of a per-row word: (the word's column in the first stage, the bit's mask)."""


class PackedFacts(Facts):
    """The per-row facts over a packed cohort: a field is answered where its bit is set in either word
    (a yes/no field) or its column is not NULL (every other field).

    A test that reads one bit of a word is remembered with that word (:meth:`bit_of`), so that a count
    over such tests can be one ``BIT_COUNT`` of the word instead of one term per test.
    """

    def __init__(self, layout: PackedLayout, value: Callable[[str], exp.Expression], prefix: str, dialect: str) -> None:
        super().__init__(value, prefix, dialect)
        self.layout = layout
        self._bits: dict[str, BitRef] = {}
        self.words: list[str] = []  # columns of the first stage that hold words read by bit facts

    def _bit_fact(self, test: exp.Expression, word: exp.Expression, mask: int) -> exp.Expression:
        column = self.fact(test)
        word_column = self.fact(word)
        if word_column.name not in self.words:
            self.words.append(word_column.name)
        self._bits[column.name] = (word_column.name, mask)
        return column

    def bit_of(self, e: exp.Expression) -> BitRef | None:
        """The word and bit that ``e`` reads, where ``e`` is a fact that reads one bit of a word."""
        from sqlglot import exp

        return self._bits.get(e.name) if isinstance(e, exp.Column) else None

    def yes(self, field: str) -> exp.Expression:
        s = self.layout.slots[field]
        word = col(f"{YES_WORD}{s.word}")
        return self._bit_fact(cmp("!=", _bits(word, s.mask), num(0)), word, s.mask)

    def not_no(self, field: str) -> exp.Expression:
        from sqlglot import exp

        s = self.layout.slots[field]
        word = col(f"{NO_WORD}{s.word}")
        return self._bit_fact(cmp("==", _bits(word, s.mask), num(0)), exp.BitwiseNot(this=word), s.mask)

    def set_bit(self, field: str, mask: int, world: int) -> exp.Expression:
        """``mask``'s choice is among the answers (lo) or may be (hi): an unknown set holds every choice in
        hi and none in lo, as the guarded test (known and test / unknown or test) says."""
        word = coalesce_int(self.value(field), -1 if world else 0)
        return self._bit_fact(cmp("!=", _bits(word, mask), num(0)), word, mask)

    def known(self, field: str) -> exp.Expression:
        s = self.layout.slots.get(field)
        if s is None:
            return self.fact(not_null(self.value(field)))
        from sqlglot import exp

        both = paren(exp.BitwiseOr(this=col(f"{YES_WORD}{s.word}"), expression=col(f"{NO_WORD}{s.word}")))
        return self.fact(cmp("!=", _bits(both, s.mask), num(0)))


def coalesce_int(v: exp.Expression, default: int) -> exp.Expression:
    from sqlglot import exp

    return exp.Coalesce(this=v, expressions=[num(default)])


class PackedGen(SqlGen):
    """(lo, hi) SQL over a packed cohort: the primitives of :class:`SqlGen` that read a field, on its
    encoded column; the lowering (guards, worlds, junctions) is the one of :mod:`..expr.worlds`."""

    def __init__(self, checker: TypeChecker, dialect: str, facts: PackedFacts) -> None:
        super().__init__(checker, dialect, facts=facts)
        self.packed = facts
        self.layout = facts.layout

    def name(self, name: str) -> Pair:
        return self.packed.yes(name), self.packed.not_no(name)

    def known(self, name: str) -> exp.Expression:
        return self.packed.known(name)

    def unknown(self, name: str) -> exp.Expression:
        return not_(self.packed.known(name))

    def plain_test(self, node: Compare | In) -> exp.Expression:
        """A test on a choice field reads its position, one on a set of choices its mask; any other test
        (numbers, dates) is written as over plain columns. Either way one fact of the first stage."""
        encoded = self._encoded_test(node)
        return super().plain_test(node) if encoded is None else self.packed.fact(encoded)

    def field_test(self, node: Compare | In | IsKnown) -> Pair:
        """A choice among a set's answers is one bit fact per world; every other test is guarded as
        :class:`GuardedWorlds` does."""
        match node:
            case In(item=Const(value=v), container=Name(id=s), negate=False) if self.checker.scope.kind != "count":
                mask = 1 << self._code_of(s, v)
                return self.packed.set_bit(s, mask, 0), self.packed.set_bit(s, mask, 1)
        return super().field_test(node)

    def _encoded_test(self, node: Compare | In) -> exp.Expression | None:
        match node:
            case Compare(op=op, left=a, right=b) if T.ENUM in (self.checker.typeof(a), self.checker.typeof(b)):
                return self._enum_compare(op, a, b)
            case In(item=Name(id=f) as item, container=ConstList(items=items), negate=neg) if (
                self.checker.typeof(item) is T.ENUM
            ):
                codes = sorted({self._code(f, c) for c in items})
                return in_list(self.value(f), [num(c) for c in codes], neg)
            case In(item=Const(value=v), container=Name(id=s), negate=neg):
                hit = cmp("!=", _bits(self.value(s), 1 << self._code_of(s, v)), num(0))
                return not_(hit) if neg else hit
            case In(container=Name()):
                raise SqlError("a packed cohort answers 'x in <set of choices>' only for a constant x")
        return None

    def _enum_compare(self, op: str, a: Node, b: Node) -> exp.Expression:
        if isinstance(a, Name) and isinstance(b, Name):
            # two choice fields: compare their values, as text where their lists differ
            same = self.layout.values[a.id] == self.layout.values[b.id]
            x, y = (self.value(a.id), self.value(b.id)) if same else (self._as_text(a.id), self._as_text(b.id))
            return cmp(op, x, y)
        name, value = (a, b) if isinstance(a, Name) else (b, a)
        assert isinstance(name, Name) and isinstance(value, Const)
        return cmp(op, self.value(name.id), num(self._code(name.id, value)))

    def _as_text(self, field: str) -> exp.Expression:
        v = self.value(field)
        whens = [(cmp("==", v, num(i)), const(c)) for i, c in enumerate(self.layout.values[field])]
        return paren(case(whens, const("")))

    def _code(self, field: str, c: object) -> int:
        assert isinstance(c, Const)
        return self._code_of(field, c.value)

    def _code_of(self, field: str, value: Scalar) -> int:
        assert isinstance(value, str)
        return self.layout.value_code(field, value)


def answered_terms(
    layout: PackedLayout, values: Mapping[str, exp.Expression], fields: list[str], dialect: str
) -> list[exp.Expression]:
    """Terms whose sum counts the answered fields among ``fields``: per word one ``BIT_COUNT`` of the yes/no
    fields it holds (where the dialect has one), per other field 1 where its column is not NULL."""
    from sqlglot import exp

    terms: list[exp.Expression] = []
    words: dict[int, int] = {}
    others: list[str] = []
    for f in fields:
        s = layout.slots.get(f)
        if s is None or dialect not in ("duckdb", "spark"):
            others.append(f)
        else:
            words[s.word] = words.get(s.word, 0) | s.mask
    for w, mask in sorted(words.items()):
        both = paren(exp.BitwiseOr(this=col(f"{YES_WORD}{w}"), expression=col(f"{NO_WORD}{w}")))
        ones = exp.BitwiseCount(this=_bits(both, mask))
        terms.append(exp.Cast(this=ones, to=exp.DataType.build("INT")))
    for f in others:
        s = layout.slots.get(f)
        if s is None:
            terms.append(case([(not_null(values[f]), num(1))], num(0)))
        else:
            both = paren(exp.BitwiseOr(this=col(f"{YES_WORD}{s.word}"), expression=col(f"{NO_WORD}{s.word}")))
            terms.append(case([(cmp("!=", _bits(both, s.mask), num(0)), num(1))], num(0)))
    return terms


def check_packed(layout: PackedLayout, cs: CompiledSet) -> None:
    """Refuse a layout that does not mean what the set's dictionary means (positions would be other
    answers): the same dictionary, and for every field the set reads the same type and list of values."""
    ours = packed_layout(cs.dictionary)
    if layout.dictionary.split("@")[0] != cs.dictionary.id:
        raise SqlError(f"packed for dictionary '{layout.dictionary}', but the set uses {cs.dictionary.ref}")
    for f in cs.used_fields:
        same = (layout.types.get(f), layout.values.get(f), layout.slots.get(f)) == (
            ours.types[f],
            ours.values.get(f),
            ours.slots.get(f),
        )
        if not same:
            raise SqlError(
                f"field '{f}' was packed with a different type, list of values or position than "
                f"{cs.dictionary.ref} gives it; pack the source again with this dictionary"
            )


# --- writing a packed cohort ----------------------------------------------------------------------


def pack_columns(layout: PackedLayout, values: Mapping[str, exp.Expression]) -> list[tuple[str, exp.Expression]]:
    """(column, DuckDB expression) of a packed cohort, from the checked value of each field in ``values``
    (the dictionary fields the input has). Every word is written, a field the input lacks having its bit
    clear in both (unknown)."""
    from sqlglot import exp

    out: list[tuple[str, exp.Expression]] = []
    for w in range(layout.words):
        members = [(f, s) for f, s in layout.slots.items() if s.word == w and f in values]
        for name, hit in ((YES_WORD, lambda v: v), (NO_WORD, lambda v: not_(v))):
            bits = [case([(hit(values[f]), num(s.mask))], num(0)) for f, s in members]
            total = sum_(bits) if bits else num(0)
            out.append((f"{name}{w}", exp.Cast(this=paren(total), to=exp.DataType.build("BIGINT"))))
    for f, v in values.items():
        t = layout.types[f]
        if t is FieldType.ENUM:
            whens = [(cmp("==", v, const(c)), num(i)) for i, c in enumerate(layout.values[f])]
            out.append((f, exp.Cast(this=case(whens, exp.Null()), to=exp.DataType.build("SMALLINT"))))
        elif t is FieldType.SET:
            out.append((f, _mask_of_list(v, layout.values[f])))
        elif t is not FieldType.BOOLEAN:
            out.append((f, v))
    return out


def _mask_of_list(v: exp.Expression, codes: tuple[str, ...]) -> exp.Expression:
    """A list of codes as a bit mask (NULL stays NULL, an empty list is 0): DuckDB list functions."""
    import sqlglot

    item = " ".join(f"WHEN {const(c).sql('duckdb')} THEN {1 << i}" for i, c in enumerate(codes))
    text = v.sql("duckdb")
    sql = (
        f"CASE WHEN {text} IS NULL THEN NULL ELSE CAST(COALESCE(list_sum(list_transform(list_distinct({text}), "
        f"_ts_x -> CASE _ts_x {item} ELSE 0 END)), 0) AS BIGINT) END"
    )
    parsed: exp.Expression = sqlglot.parse_one(sql, dialect="duckdb")  # type: ignore[assignment]
    return parsed
