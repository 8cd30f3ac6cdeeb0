"""A checked and compiled indicator set: the object the engine screens with.

Checking (``check_set``) resolves every cross-reference and parses and type-checks every condition.
Compiling turns the whole set — indicator conditions, strength counts, dimension rules and level rules —
into one generated Python function, so a screen is a single call with no tree walking.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..content.yamlsource import Positions
from ..errors import ConditionError, SchemaError
from ..expr.parser import ConditionSyntaxError, parse_condition
from ..expr.pycompile import PyGen, build_function
from ..expr.tree import Node, names, uses_is_known
from ..expr.types import ConditionTypeError, Scope, TypeChecker
from ..model.dictionary import DataDictionary
from ..model.indicator_set import IndicatorSet
from .plan import COUNT_NAMES, REPORTED_COUNTS, Members, SetPlan
from .scopes import dimension_scope, field_scope, level_scope

if TYPE_CHECKING:
    from .interview import CheckedAskRule

LEVEL_ONLY_NAMES = ("red_flag", "dimensions_present")
RESERVED = frozenset(COUNT_NAMES + LEVEL_ONLY_NAMES)


def _condition(text: str, scope: Scope, positions: Positions, path: tuple[str | int, ...]) -> tuple[Node, TypeChecker]:
    try:
        tree = parse_condition(text)
        checker = TypeChecker(scope)
        checker.check(tree)
    except (ConditionSyntaxError, ConditionTypeError) as exc:
        raise ConditionError(exc.message, positions.locate_in(path, exc.pos)) from None
    return tree, checker


@dataclass(frozen=True)
class CheckedSet:
    """Parsed and type-checked conditions of a set, in set order."""

    indicators: tuple[tuple[Node, TypeChecker], ...]
    dimensions: tuple[tuple[str, Node, TypeChecker], ...]  # (rule text, tree, checker)
    levels: tuple[tuple[Node, TypeChecker], ...]
    warnings: tuple[tuple[str, Any], ...] = field(default=())  # (message, Location)


def check_set(definition: IndicatorSet, dictionary: DataDictionary, positions: Positions) -> CheckedSet:
    """Cross-reference and type-check a set. Raises a located :class:`ContentError` on the first problem."""
    loc = positions.locate
    warnings: list[tuple[str, Any]] = []
    source_ids = {s.id for s in definition.sources}
    if len(source_ids) != len(definition.sources):
        raise SchemaError("duplicated source id", loc(("sources",)))
    if not any(c.version == definition.version for c in definition.changelog):
        raise SchemaError(f"the changelog has no entry for version {definition.version}", loc(("changelog",)))

    dims: dict[str, int] = {}
    for i, d in enumerate(definition.dimensions):
        if d.id in dims:
            raise SchemaError(f"duplicated dimension id '{d.id}'", loc(("dimensions", i, "id")))
        if d.id in RESERVED:
            raise SchemaError(f"'{d.id}' is a reserved name and cannot be a dimension id", loc(("dimensions", i, "id")))
        dims[d.id] = i

    seen: dict[str, int] = {}
    indicator_trees: list[tuple[Node, TypeChecker]] = []
    fscope = field_scope(dictionary)
    for i, ind in enumerate(definition.indicators):
        here = ("indicators", i)
        if ind.id in seen:
            raise SchemaError(
                f"duplicated indicator id '{ind.id}' (first at indicator {seen[ind.id] + 1})", loc((*here, "id"))
            )
        seen[ind.id] = i
        if ind.dimension not in dims:
            raise SchemaError(f"unknown dimension '{ind.dimension}'", loc((*here, "dimension")))
        if ind.source.source not in source_ids:
            raise SchemaError(f"unknown source '{ind.source.source}'", loc((*here, "source", "source")))
        tree, checker = _condition(ind.when, fscope, positions, (*here, "when"))
        if uses_is_known(tree):
            warnings.append(
                ("uses 'is known'/'is unknown': answering a question can then lower the level", loc((*here, "when")))
            )
        indicator_trees.append((tree, checker))

    dscope = dimension_scope()
    dim_trees: list[tuple[str, Node, TypeChecker]] = []
    for i, d in enumerate(definition.dimensions):
        path: tuple[str | int, ...]
        if d.present_when is not None:
            text, path = d.present_when, ("dimensions", i, "present_when")
        elif definition.dimension_rule is not None:
            text, path = definition.dimension_rule, ("dimension_rule",)
        else:
            raise SchemaError(
                f"dimension '{d.id}' has no present_when and the set has no dimension_rule",
                loc(("dimensions", i)),
            )
        tree, checker = _condition(text, dscope, positions, path)
        dim_trees.append((text, tree, checker))

    lscope = level_scope(definition)
    level_trees: list[tuple[Node, TypeChecker]] = []
    level_ids: set[str] = set()
    last_rank = 0
    for i, lv in enumerate(definition.levels):
        here = ("levels", i)
        if lv.id in level_ids:
            raise SchemaError(f"duplicated level id '{lv.id}'", loc((*here, "id")))
        level_ids.add(lv.id)
        if lv.scale.rank <= last_rank:
            raise SchemaError(
                "levels must be listed lowest first, each on a higher step of the scale (concern, refer, urgent)",
                loc((*here, "scale")),
            )
        last_rank = lv.scale.rank
        if lv.source is not None and lv.source.source not in source_ids:
            raise SchemaError(f"unknown source '{lv.source.source}'", loc((*here, "source", "source")))
        level_trees.append(_condition(lv.when, lscope, positions, (*here, "when")))

    if definition.dimension_rule_source and definition.dimension_rule_source.source not in source_ids:
        raise SchemaError(
            f"unknown source '{definition.dimension_rule_source.source}'",
            loc(("dimension_rule_source", "source")),
        )
    return CheckedSet(tuple(indicator_trees), tuple(dim_trees), tuple(level_trees), tuple(warnings))


Status = bool | None
"""True (met, present, holds), False, or None (unknown)."""
DimensionCounts = tuple[int, int, int, int, int, int, int, int]
"""Strong, medium, weak and points of one dimension, each as (at least, at most)."""
RunFunction = Callable[
    [Mapping[str, Any]],
    tuple[tuple[Status, ...], tuple[Status, ...], tuple[DimensionCounts, ...], tuple[Status, ...]],
]
"""The compiled function: answers → (indicator statuses, dimension statuses, dimension counts, level
rules), each in set order."""
LevelWorldFunction = Callable[[Mapping[str, Any]], tuple[bool, ...]]
"""answers → per level rule, lowest level first, whether it certainly holds (or may still hold)."""
_LEVEL_WORLDS = {"lo": "_certain_levels", "hi": "_possible_levels"}


class CompiledSet:
    """An indicator set ready to screen with. Immutable after construction and safe to share."""

    def __init__(
        self,
        definition: IndicatorSet,
        dictionary: DataDictionary,
        checked: CheckedSet,
        sha256: str,
        dictionary_sha256: str,
        path: Path | None = None,
    ) -> None:
        self.definition = definition
        self.dictionary = dictionary
        self.checked = checked
        self.sha256 = sha256
        self.dictionary_sha256 = dictionary_sha256
        self.path = path
        self.indicator_fields: tuple[tuple[str, ...], ...] = tuple(tuple(names(tree)) for tree, _ in checked.indicators)
        used: dict[str, None] = {}
        for fs in self.indicator_fields:
            for f in fs:
                used.setdefault(f, None)
        self.used_fields: tuple[str, ...] = tuple(used)
        self.plan = SetPlan.of(definition, checked)
        self.source_code = self._generate()
        # unique per content, so two versions or drafts of one set never share a traceback source
        filename = f"<trafficscreen {definition.ref} {sha256[:12]}>"
        self._filename = filename
        self.run: RunFunction = build_function(self.source_code, "_run", self._namespace, filename)

    def levels_source_code(self, world: str) -> str:
        """Python source of ``_run`` cut to one world of its level rules: ``"lo"``, whether each certainly
        holds (``_certain_levels``), or ``"hi"``, whether each may still hold (``_possible_levels``).

        The level reached is the highest whose rule certainly holds, which the certain world alone
        decides; the other world gives the highest level still possible, and the statuses of every
        indicator and dimension matter only for the details. A plain screen runs the first cut alone; the
        rest runs only when a caller reads it.
        """
        n_levels = len(self.plan.scales)
        return _cut(self.source_code, _LEVEL_WORLDS[world], [f"l{j}_{world}" for j in range(n_levels)])

    @cached_property
    def certain_levels(self) -> LevelWorldFunction:
        """For ``answers``, whether each level rule certainly holds (lowest level first): the same as
        ``[status is True for status in run(answers)[3]]``, for less than half the work."""
        return self._levels_in("lo")

    @cached_property
    def possible_levels(self) -> LevelWorldFunction:
        """For ``answers``, whether each level rule may still hold (lowest level first): the same as
        ``[status is not False for status in run(answers)[3]]``, for less than half the work."""
        return self._levels_in("hi")

    def _levels_in(self, world: str) -> LevelWorldFunction:
        # the source is lines of the generated ``_run`` (from the validated tree), never user text
        name = _LEVEL_WORLDS[world]
        filename = self._filename.replace(">", f" {name}>")
        fn: LevelWorldFunction = build_function(self.levels_source_code(world), name, self._namespace, filename)
        return fn

    @cached_property
    def ask_rules(self) -> dict[str, CheckedAskRule]:
        """The dictionary's ask rules, parsed once (they were checked when the dictionary loaded)."""
        from .interview import compile_ask_rules

        return compile_ask_rules(self.dictionary)

    @cached_property
    def field_readers(self) -> dict[str, int]:
        """Per field the set reads, the bitmask of the indicators whose condition reads it."""
        readers: dict[str, int] = {}
        for i, fields in enumerate(self.indicator_fields):
            for f in fields:
                readers[f] = readers.get(f, 0) | 1 << i
        return readers

    @property
    def id(self) -> str:
        return self.definition.id

    @property
    def version(self) -> str:
        return self.definition.version

    @property
    def ref(self) -> str:
        return self.definition.ref

    def _generate(self) -> str:
        """Python source of ``_run(answers)``.

        Every condition is compiled in two worlds (see :mod:`.expr.worlds`): ``x_lo`` is "certainly
        true", ``x_hi`` "may be true". Counts of met indicators are then plain sums: at least the sum of
        the lo values, at most the sum of the hi values. The function returns the same values as the
        reference evaluator — True, False or None (unknown) — for indicators, dimensions and levels.
        """
        plan = self.plan
        consts: dict[str, Any] = {"_S": (False, None, True)}
        self._namespace: dict[str, Any] = consts
        field_var = {f: f"f_{f}" for f in self.dictionary.by_id}
        # _S is read once per indicator: a default argument is a local, cheaper to read than a global
        lines = ["def _run(a, _S=_S):", "    get = a.get"]
        lines += [f"    {field_var[f]} = get({f!r})" for f in self.used_fields]
        for i, (tree, checker) in enumerate(self.checked.indicators):
            lo, hi = PyGen(checker, field_var.__getitem__, consts).two(tree)
            lines += [f"    s{i}_lo = {lo}", f"    s{i}_hi = {hi}"]
        counts = _Counts(lines)
        for k, (_text, tree, checker) in enumerate(self.checked.dimensions):
            read = (n for n in COUNT_NAMES if n in plan.dimension_reads[k])
            for n in dict.fromkeys((*REPORTED_COUNTS, *read)):
                counts.add(f"d{k}_{n}", plan.dimension_count(k, n))
            var = f"d{k}_{{}}".format
            lo, hi = PyGen(checker, var, consts, lambda n, var=var: counts.pair(var(n))).two(tree)  # type: ignore[misc]
            lines += [f"    D{k}_lo = {lo}", f"    D{k}_hi = {hi}"]
        n_dim = len(plan.dimension_ids)
        for n in plan.level_counts:
            # every indicator is in exactly one dimension: a set-wide count is the sum of the dimensions'
            # counts when each dimension has computed it, a dozen terms instead of one per indicator
            parts = [f"d{k}_{n}" for k in range(n_dim)]
            if all(counts.has(p) for p in parts):
                counts.add_sum(f"L_{n}", parts)
            else:
                counts.add(f"L_{n}", plan.set_count(n))
        for world in ("lo", "hi"):
            dims = " + ".join(f"D{k}_{world}" for k in range(n_dim)) or "0"
            flags = " or ".join(f"s{i}_{world}" for i in plan.red_flags) or "False"
            lines += [f"    L_dimensions_present_{world} = {dims}", f"    rf_{world} = {flags}"]
        # level rules see dimensions and red_flag as yes/no pairs and the set-wide counts as intervals
        pairs = {dim: f"D{k}" for k, dim in enumerate(plan.dimension_ids)} | {"red_flag": "rf"}
        for j, (tree, checker) in enumerate(self.checked.levels):
            lo, hi = LevelPyGen(checker, pairs, consts, counts.pair).two(tree)
            lines += [f"    l{j}_lo = {lo}", f"    l{j}_hi = {hi}", f"    l{j} = _S[l{j}_lo + l{j}_hi]"]
        # True when certainly met, else None when it may be, else False: cheaper than indexing _S
        statuses = "".join(f"(s{i}_lo or (s{i}_hi and None)), " for i in range(len(plan.indicator_ids)))
        dstat = "".join(f"_S[D{k}_lo + D{k}_hi], " for k in range(n_dim))
        reported = "".join(
            "(" + ", ".join(w for n in REPORTED_COUNTS for w in counts.pair(f"d{k}_{n}")) + "), " for k in range(n_dim)
        )
        lvls = "".join(f"l{j}, " for j in range(len(plan.scales)))
        lines.append(f"    return ({statuses}), ({dstat}), ({reported}), ({lvls})")
        return "\n".join(lines) + "\n"


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _cut(run_source: str, name: str, returned: list[str]) -> str:
    """``run_source`` renamed ``name``, returning the tuple of ``returned`` and without the assignments
    those do not read.

    Works on the generated text itself (one assignment per line, the return last): walking back from
    the return keeps each assignment whose name a kept line reads. A name inside a quoted answer code
    can only keep a line that is not needed, never drop one that is.
    """
    header, *body = run_source.rstrip("\n").split("\n")[:-1]
    needed = set(returned)
    kept: list[str] = []
    for line in reversed(body):
        target, _, expression = line.strip().partition(" = ")
        if target in needed:
            kept.append(line)
            needed.update(_NAME.findall(expression))
    kept.reverse()
    head = header.replace("def _run(", f"def {name}(", 1)
    return "\n".join([head, *kept, f"    return ({''.join(f'{r}, ' for r in returned)})"]) + "\n"


class _Counts:
    """The counts of a generated ``_run``: each an interval of two sums, of the indicators certainly met
    (``_lo``) and of those not ruled out (``_hi``). A count no indicator adds to is the literal ``0``,
    written into the expressions that read it rather than assigned."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self._zero: set[str] = set()
        self._made: set[str] = set()

    def add(self, var: str, members: Members) -> None:
        if not members:
            self._zero.add(var)
            return
        for world in ("lo", "hi"):
            terms = " + ".join(f"{w} * s{i}_{world}" if w != 1 else f"s{i}_{world}" for i, w in members)
            self.lines.append(f"    {var}_{world} = {terms}")
        self._made.add(var)

    def add_sum(self, var: str, parts: list[str]) -> None:
        """``var`` as the sum of counts made before."""
        made = [p for p in parts if p in self._made]
        if not made:
            self._zero.add(var)
            return
        for world in ("lo", "hi"):
            self.lines.append(f"    {var}_{world} = " + " + ".join(f"{p}_{world}" for p in made))
        self._made.add(var)

    def has(self, var: str) -> bool:
        return var in self._made or var in self._zero

    def pair(self, var: str) -> tuple[str, str]:
        return ("0", "0") if var in self._zero else (f"{var}_lo", f"{var}_hi")


class LevelPyGen(PyGen):
    """Level rules read a dimension or ``red_flag`` from its two worlds, and counts as ``L_<count>``."""

    def __init__(
        self,
        checker: TypeChecker,
        pairs: dict[str, str],
        consts: dict[str, Any],
        count: Callable[[str], tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(checker, lambda n: f"L_{n}", consts, None if count is None else lambda n: count(f"L_{n}"))
        self.pairs = pairs

    def name(self, name: str) -> tuple[str, str]:
        v = self.pairs[name]
        return f"{v}_lo", f"{v}_hi"
