"""A checked and compiled indicator set: the object the engine screens with.

Checking (``check_set``) resolves every cross-reference and parses and type-checks every condition.
Compiling turns the whole set — indicator conditions, strength counts, dimension rules and level rules —
into one generated Python function, so a screen is a single call with no tree walking.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ConditionError, SchemaError
from .expr.parser import ConditionSyntaxError, parse_condition
from .expr.pycompile import PyGen, build_function
from .expr.tree import Node, names, uses_is_known
from .expr.types import ConditionTypeError, Scope, T, TypeChecker, VarType
from .model.dictionary import DataDictionary, FieldType
from .model.indicator_set import IndicatorSet, Strength
from .yamlsource import Positions

if TYPE_CHECKING:
    from .interview import CheckedAskRule

COUNT_NAMES = ("strong", "medium", "weak", "points", "met")
LEVEL_ONLY_NAMES = ("red_flag", "dimensions_present")
RESERVED = frozenset(COUNT_NAMES + LEVEL_ONLY_NAMES)

_FIELD_TYPES = {
    FieldType.BOOLEAN: T.BOOL,
    FieldType.INTEGER: T.NUM,
    FieldType.NUMBER: T.NUM,
    FieldType.ENUM: T.ENUM,
    FieldType.SET: T.SET,
    FieldType.DATE: T.DATE,
}


def field_scope(dictionary: DataDictionary) -> Scope:
    return Scope("field", {f.id: VarType(_FIELD_TYPES[f.type], f.codes) for f in dictionary.fields})


def dimension_scope() -> Scope:
    return Scope("count", {n: VarType(T.COUNT) for n in COUNT_NAMES})


def level_scope(definition: IndicatorSet) -> Scope:
    scope = Scope("count", {n: VarType(T.COUNT) for n in (*COUNT_NAMES, "dimensions_present")})
    scope.names["red_flag"] = VarType(T.BOOL)
    for d in definition.dimensions:
        scope.names[d.id] = VarType(T.BOOL)
    return scope


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


_STRENGTHS = (Strength.STRONG, Strength.MEDIUM, Strength.WEAK)


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
        self.source_code = self._generate()
        self.run = build_function(self.source_code, "_run", self._namespace, f"<trafficscreen {definition.ref}>")

    @cached_property
    def ask_rules(self) -> dict[str, CheckedAskRule]:
        """The dictionary's ask rules, parsed once (they were checked when the dictionary loaded)."""
        from .interview import compile_ask_rules

        return compile_ask_rules(self.dictionary)

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

        Every condition is compiled in two worlds (see :meth:`PyGen.two`): ``x_lo`` is "certainly
        true", ``x_hi`` "may be true". Counts of met indicators are then plain sums: at least the sum of
        the lo values, at most the sum of the hi values. The function returns the same values as the
        reference evaluator — True, False or None (unknown) — for indicators, dimensions and levels.
        """
        d = self.definition
        consts: dict[str, Any] = {"_S": (False, None, True)}
        self._namespace: dict[str, Any] = consts
        field_var = {f: f"f_{f}" for f in self.dictionary.by_id}
        lines = ["def _run(a):", "    get = a.get"]
        for f in self.used_fields:
            lines.append(f"    {field_var[f]} = get({f!r})")
        for i, (tree, checker) in enumerate(self.checked.indicators):
            lo, hi = PyGen(checker, field_var.__getitem__, consts).two(tree)
            lines.append(f"    s{i}_lo = {lo}")
            lines.append(f"    s{i}_hi = {hi}")

        dim_index = {dim.id: k for k, dim in enumerate(d.dimensions)}
        members: list[list[int]] = [[] for _ in d.dimensions]
        for i, ind in enumerate(d.indicators):
            members[dim_index[ind.dimension]].append(i)

        def total(idx: list[int], world: str, weight: bool = False) -> str:
            terms = [(f"{d.indicators[i].weight_points} * s{i}_{world}" if weight else f"s{i}_{world}") for i in idx]
            return " + ".join(terms) or "0"

        def count_lines(prefix: str, idx: list[int], wanted: set[str]) -> None:
            # only the counts a rule reads, plus the per-dimension counts every result reports
            for strength in _STRENGTHS:
                if strength.value in wanted:
                    sel = [i for i in idx if d.indicators[i].strength is strength]
                    for world in ("lo", "hi"):
                        lines.append(f"    {prefix}_{strength.value}_{world} = {total(sel, world)}")
            for world in ("lo", "hi"):
                if "points" in wanted:
                    lines.append(f"    {prefix}_points_{world} = {total(idx, world, weight=True)}")
                if "met" in wanted:
                    lines.append(f"    {prefix}_met_{world} = {total(idx, world)}")

        reported = {s.value for s in _STRENGTHS} | {"points"}
        level_reads = {n for tree, _c in self.checked.levels for n in names(tree)}

        for k, (_text, tree, checker) in enumerate(self.checked.dimensions):
            count_lines(f"d{k}", members[k], reported | set(names(tree)))
            lo, hi = PyGen(checker, lambda n, k=k: f"d{k}_{n}", consts).two(tree)  # type: ignore[misc]
            lines.append(f"    D{k}_lo = {lo}")
            lines.append(f"    D{k}_hi = {hi}")
        count_lines("L", list(range(len(d.indicators))), level_reads)
        n_dim = len(d.dimensions)
        for world in ("lo", "hi"):
            dims = " + ".join(f"D{k}_{world}" for k in range(n_dim)) or "0"
            lines.append(f"    L_dimensions_present_{world} = {dims}")
        flags = [i for i, ind in enumerate(d.indicators) if ind.red_flag]
        for world in ("lo", "hi"):
            lines.append(f"    rf_{world} = {' or '.join(f's{i}_{world}' for i in flags) or 'False'}")
        for k in range(n_dim):
            lines.append(f"    D{k} = _S[D{k}_lo + D{k}_hi]")
        lines.append("    rf = _S[rf_lo + rf_hi]")
        # level rules see dimensions and red_flag as yes/no names and the set-wide counts as intervals
        level_var = {dim.id: f"D{k}" for k, dim in enumerate(d.dimensions)}
        level_var["red_flag"] = "rf"
        for n in (*COUNT_NAMES, "dimensions_present"):
            level_var[n] = f"L_{n}"
        for j, (tree, checker) in enumerate(self.checked.levels):
            lo, hi = PyGen(checker, level_var.__getitem__, consts).two(tree)
            lines.append(f"    l{j} = _S[{lo} + {hi}]")
        n_ind, n_lvl = len(d.indicators), len(d.levels)
        statuses = "".join(f"_S[s{i}_lo + s{i}_hi], " for i in range(n_ind))
        dstat = "".join(f"D{k}, " for k in range(n_dim))
        counts = "".join(
            f"(d{k}_strong_lo, d{k}_strong_hi, d{k}_medium_lo, d{k}_medium_hi, d{k}_weak_lo, d{k}_weak_hi, "
            f"d{k}_points_lo, d{k}_points_hi), "
            for k in range(n_dim)
        )
        lvls = "".join(f"l{j}, " for j in range(n_lvl))
        lines.append(f"    return ({statuses}), ({dstat}), ({counts}), ({lvls})")
        return "\n".join(lines) + "\n"
