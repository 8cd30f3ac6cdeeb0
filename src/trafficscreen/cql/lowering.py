"""A whole set as CQL statements, assembled once for every CQL-shaped backend (CQL text, ELM JSON).

Conditions are lowered by :mod:`trafficscreen.expr.worlds` into two plain booleans that are never null:
*certain* (lo: true however the unknown answers turn out) and *possible* (hi: true for some way they
could turn out). This module adds what a library needs beyond single conditions, written once over the
backend's expression type ``E``, in the same order and with the same meaning as
``CompiledSet._generate`` (the Python reference):

* one parameter per field the set reads (absent or null = unknown);
* per indicator: ``indicator.<id>.certain``, ``indicator.<id>.possible`` and its status
  ``indicator.<id>`` (``'met'``/``'not_met'``/``'unknown'``);
* per dimension: the interval of every count its rule reads and of the four counts every result reports
  (``dimension.<d>.<count>.at least`` / ``.at most``: sums of the certain / possible flags), then
  ``dimension.<d>.certain``, ``.possible`` and ``dimension.<d>`` (``'present'``/``'absent'``/``'unknown'``);
* over the set: the counts the level rules read (``set.<count>.at least`` / ``.at most``),
  ``dimensions_present.at least`` / ``.at most`` and ``red_flag.certain`` / ``.possible``;
* per level: ``level.<id>.certain`` and ``level.<id>.possible``; then ``level reached`` (the highest level
  certainly reached, on the engine-wide scale ``none``/``concern``/``refer``/``urgent``) and
  ``highest possible level`` (the highest level still possible).

A backend subclasses :class:`CqlWorlds` and supplies the primitives of
:class:`~trafficscreen.expr.worlds.GuardedWorlds` plus the few below (a parameter, a reference to a
definition, ``is true``/``is not false``/``is null``, ``if then else`` and a string).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic

from ..core.plan import REPORTED_COUNTS, Members
from ..expr.types import TypeChecker
from ..expr.worlds import E, GuardedWorlds
from ..model.dictionary import FieldType

if TYPE_CHECKING:
    from ..core.compiled import CompiledSet

CERTAIN = "certain"
POSSIBLE = "possible"
AT_LEAST = "at least"
AT_MOST = "at most"
LEVEL_REACHED = "level reached"
HIGHEST_POSSIBLE = "highest possible level"

PARAMETER_TYPES = {
    FieldType.BOOLEAN: "Boolean",
    FieldType.INTEGER: "Integer",
    FieldType.NUMBER: "Decimal",
    FieldType.ENUM: "String",
    FieldType.SET: "List<String>",
    FieldType.DATE: "Date",
}
"""The CQL type of a field's parameter (a set of choices is a list of codes)."""


def indicator_name(ind: str, world: str | None = None) -> str:
    return f"indicator.{ind}" if world is None else f"indicator.{ind}.{world}"


def dimension_name(dim: str, world: str | None = None) -> str:
    return f"dimension.{dim}" if world is None else f"dimension.{dim}.{world}"


def dimension_count_name(dim: str, count: str, bound: str) -> str:
    return f"dimension.{dim}.{count}.{bound}"


def set_count_name(count: str, bound: str) -> str:
    if count == "dimensions_present":
        return f"dimensions_present.{bound}"
    return f"set.{count}.{bound}"


def level_name(level: str, world: str) -> str:
    return f"level.{level}.{world}"


class CqlWorlds(GuardedWorlds[E], Generic[E]):
    """The two-world lowering for a CQL-shaped backend, in one scope of a library.

    ``pairs`` maps the yes/no names of a rule over counts (dimension ids, ``red_flag``) to the names of
    their two definitions (certain, possible); a name not in it is a field, read from its parameter with
    ``is true`` (certain) and ``is not false`` (possible). ``intervals`` maps a count to the names of its
    two definitions (at least, at most).
    """

    def __init__(
        self,
        checker: TypeChecker,
        pairs: Mapping[str, tuple[str, str]] | None = None,
        intervals: Callable[[str], tuple[str, str]] | None = None,
    ) -> None:
        self.checker = checker
        self.pairs = pairs or {}
        self.intervals = intervals

    # --- primitives a CQL-shaped backend adds ------------------------------------------------------
    def parameter(self, name: str) -> E:
        """The value of a field's parameter (null when unknown)."""
        raise NotImplementedError

    def ref(self, name: str) -> E:
        """A reference to a definition of the library."""
        raise NotImplementedError

    def is_true(self, e: E) -> E:
        raise NotImplementedError

    def is_not_false(self, e: E) -> E:
        raise NotImplementedError

    def is_null(self, e: E) -> E:
        raise NotImplementedError

    def is_not_null(self, e: E) -> E:
        raise NotImplementedError

    def choose(self, condition: E, then: E, otherwise: E) -> E:
        """``if condition then then else otherwise`` (``condition`` is never null)."""
        raise NotImplementedError

    def string(self, value: str) -> E:
        raise NotImplementedError

    # --- the primitives of the lowering, in these terms ----------------------------------------------
    def name(self, name: str) -> tuple[E, E]:
        if name in self.pairs:
            lo, hi = self.pairs[name]
            return self.ref(lo), self.ref(hi)
        v = self.parameter(name)
        return self.is_true(v), self.is_not_false(v)

    def count(self, name: str) -> tuple[E, E]:
        assert self.intervals is not None, "counts are read only in rules over counts"
        lo, hi = self.intervals(name)
        return self.ref(lo), self.ref(hi)

    def value(self, name: str) -> E:
        return self.parameter(name)

    def known(self, name: str) -> E:
        return self.is_not_null(self.parameter(name))

    def unknown(self, name: str) -> E:
        return self.is_null(self.parameter(name))

    def total(self, parts: Sequence[E]) -> E:
        if not parts:
            return self.number(0)
        out = parts[0]
        for p in parts[1:]:
            out = self.arith("+", out, p)
        return out


@dataclass(frozen=True)
class Statement(Generic[E]):
    name: str
    expression: E
    type: str
    """``Boolean``, ``Integer`` or ``String``."""


@dataclass(frozen=True)
class Library(Generic[E]):
    """A set as CQL statements over one backend's expressions."""

    name: str
    """A CQL identifier for the library (the set id in PascalCase)."""
    version: str
    parameters: tuple[tuple[str, str], ...]
    """(field id, CQL type) in the order the set first reads them."""
    statements: tuple[Statement[E], ...]
    outputs: tuple[str, ...]
    """The definitions a caller reads, in the order :func:`expected_outputs` gives their values."""


def library_name(set_id: str) -> str:
    name = "".join(p[:1].upper() + p[1:] for p in set_id.replace("_", "-").split("-") if p)
    return name if name[:1].isalpha() else f"Set{name}"


def assemble(cs: CompiledSet, make: Callable[..., CqlWorlds[E]]) -> Library[E]:
    """The whole set as statements of the backend ``make`` builds (``make(checker, pairs, intervals)``)."""
    plan = cs.plan
    out: list[Statement[E]] = []
    g0 = make(None)

    def add(name: str, e: E, typ: str) -> None:
        out.append(Statement(name, e, typ))

    def status(name: str, words: tuple[str, str, str]) -> E:
        return g0.choose(
            g0.ref(f"{name}.{CERTAIN}"),
            g0.string(words[0]),
            g0.choose(g0.ref(f"{name}.{POSSIBLE}"), g0.string(words[2]), g0.string(words[1])),
        )

    def counted(name: str, members: Members) -> None:
        for bound, world in ((AT_LEAST, CERTAIN), (AT_MOST, POSSIBLE)):
            parts = [
                g0.choose(g0.ref(indicator_name(plan.indicator_ids[i], world)), g0.number(w), g0.number(0))
                for i, w in members
            ]
            add(f"{name}.{bound}", g0.total(parts), "Integer")

    for i, (tree, checker) in enumerate(cs.checked.indicators):
        ind = plan.indicator_ids[i]
        lo, hi = make(checker).two(tree)
        add(indicator_name(ind, CERTAIN), lo, "Boolean")
        add(indicator_name(ind, POSSIBLE), hi, "Boolean")
        add(indicator_name(ind), status(indicator_name(ind), ("met", "not_met", "unknown")), "String")

    for k, (_text, tree, checker) in enumerate(cs.checked.dimensions):
        dim = plan.dimension_ids[k]
        read = [n for n in plan.dimension_reads[k]]
        for n in dict.fromkeys((*REPORTED_COUNTS, *sorted(read))):
            counted(f"dimension.{dim}.{n}", plan.dimension_count(k, n))

        def local(n: str, dim: str = dim) -> tuple[str, str]:
            return dimension_count_name(dim, n, AT_LEAST), dimension_count_name(dim, n, AT_MOST)

        lo, hi = make(checker, None, local).two(tree)
        add(dimension_name(dim, CERTAIN), lo, "Boolean")
        add(dimension_name(dim, POSSIBLE), hi, "Boolean")
        add(dimension_name(dim), status(dimension_name(dim), ("present", "absent", "unknown")), "String")

    for n in plan.level_counts:
        counted(f"set.{n}", plan.set_count(n))
    for bound, world in ((AT_LEAST, CERTAIN), (AT_MOST, POSSIBLE)):
        present = [g0.choose(g0.ref(dimension_name(d, world)), g0.number(1), g0.number(0)) for d in plan.dimension_ids]
        add(set_count_name("dimensions_present", bound), g0.total(present), "Integer")
    for world in (CERTAIN, POSSIBLE):
        flags = [g0.ref(indicator_name(plan.indicator_ids[i], world)) for i in plan.red_flags]
        flag = g0.literal(False) if not flags else flags[0] if len(flags) == 1 else g0.any_of(flags)
        add(f"red_flag.{world}", flag, "Boolean")

    pairs = {d: (dimension_name(d, CERTAIN), dimension_name(d, POSSIBLE)) for d in plan.dimension_ids}
    pairs["red_flag"] = (f"red_flag.{CERTAIN}", f"red_flag.{POSSIBLE}")

    def set_wide(n: str) -> tuple[str, str]:
        return set_count_name(n, AT_LEAST), set_count_name(n, AT_MOST)

    level_ids = [lv.id for lv in cs.definition.levels]
    for j, (tree, checker) in enumerate(cs.checked.levels):
        lo, hi = make(checker, pairs, set_wide).two(tree)
        add(level_name(level_ids[j], CERTAIN), lo, "Boolean")
        add(level_name(level_ids[j], POSSIBLE), hi, "Boolean")
    for name, world in ((LEVEL_REACHED, CERTAIN), (HIGHEST_POSSIBLE, POSSIBLE)):
        e = g0.string("none")
        for j, scale in enumerate(plan.scales):  # lowest first, so the highest ends up outermost
            e = g0.choose(g0.ref(level_name(level_ids[j], world)), g0.string(scale), e)
        add(name, e, "String")

    outputs = (
        *(indicator_name(i) for i in plan.indicator_ids),
        *(dimension_name(d) for d in plan.dimension_ids),
        *(
            dimension_count_name(d, n, b)
            for d in plan.dimension_ids
            for n in REPORTED_COUNTS
            for b in (AT_LEAST, AT_MOST)
        ),
        LEVEL_REACHED,
        HIGHEST_POSSIBLE,
    )
    parameters = tuple((f, PARAMETER_TYPES[cs.dictionary.by_id[f].type]) for f in cs.used_fields)
    return Library(library_name(cs.id), cs.version, parameters, tuple(out), outputs)


_INDICATOR_WORDS = {True: "met", False: "not_met", None: "unknown"}
_DIMENSION_WORDS = {True: "present", False: "absent", None: "unknown"}


def expected_outputs(cs: CompiledSet, answers: Mapping[str, Any]) -> list[Any]:
    """What the reference compiled function (``CompiledSet.run``) says for ``answers``, as the values of
    the library's outputs (:attr:`Library.outputs`), in that order. ``answers`` are checked first, as
    the engine checks them."""
    from ..model.encounter import check_answers

    statuses, dims, counts, levels = cs.run(check_answers(dict(answers), cs.dictionary))
    reached = highest = "none"
    for scale, st in zip(cs.plan.scales, levels, strict=True):
        if st is True:
            reached = scale
        if st is not False:
            highest = scale
    return [
        *(_INDICATOR_WORDS[s] for s in statuses),
        *(_DIMENSION_WORDS[s] for s in dims),
        *(int(v) for c in counts for v in c),  # a one-member count is a bool in the reference
        reached,
        highest,
    ]
