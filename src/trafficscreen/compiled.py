"""A checked and compiled indicator set: the object the engine screens with.

Checking (``check_set``) resolves every cross-reference and parses and type-checks every condition.
Compiling turns the whole set — indicator conditions, strength counts, dimension rules and level rules —
into one generated Python function, so a screen is a single call with no tree walking.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConditionError, SchemaError
from .expr.parser import ConditionSyntaxError, parse_condition
from .expr.pycompile import PyGen, build_function
from .expr.tree import Node, names, uses_is_known
from .expr.types import ConditionTypeError, Scope, T, TypeChecker, VarType
from .model.dictionary import DataDictionary, FieldType
from .model.indicator_set import IndicatorSet, Strength
from .yamlsource import Positions

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
                ("uses 'is known'/'is unknown': answering a question can then lower the level",
                 loc((*here, "when")))
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
                "levels must be listed lowest first, each on a higher step of the scale "
                "(concern, refer, urgent)",
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
        self.indicator_fields: tuple[tuple[str, ...], ...] = tuple(
            tuple(names(tree)) for tree, _ in checked.indicators
        )
        used: dict[str, None] = {}
        for fs in self.indicator_fields:
            for f in fs:
                used.setdefault(f, None)
        self.used_fields: tuple[str, ...] = tuple(used)
        self.source_code = self._generate()
        self.run = build_function(
            self.source_code, "_run", self._namespace, f"<trafficscreen {definition.ref}>"
        )

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
        d = self.definition
        consts: dict[str, Any] = {}
        self._namespace: dict[str, Any] = consts
        field_var = {f: f"f_{f}" for f in self.dictionary.by_id}
        lines = ["def _run(a):", "    get = a.get"]
        for f in self.used_fields:
            lines.append(f"    {field_var[f]} = get({f!r})")
        # indicators
        for i, (tree, checker) in enumerate(self.checked.indicators):
            gen = PyGen(checker, field_var.__getitem__, consts)
            expr, _ = gen.bool3(tree)
            lines.append(f"    s{i} = {expr}")
        # strength counts per dimension, and over the whole set
        dim_index = {dim.id: k for k, dim in enumerate(d.dimensions)}
        members: list[list[int]] = [[] for _ in d.dimensions]
        for i, ind in enumerate(d.indicators):
            members[dim_index[ind.dimension]].append(i)

        def count_lines(prefix: str, idx: list[int]) -> None:
            for strength in _STRENGTHS:
                sel = [i for i in idx if d.indicators[i].strength is strength]
                lo = " + ".join(f"(s{i} is True)" for i in sel) or "0"
                hi = " + ".join(f"(s{i} is not False)" for i in sel) or "0"
                lines.append(f"    {prefix}_{strength.value}_lo = {lo}")
                lines.append(f"    {prefix}_{strength.value}_hi = {hi}")
            pts_lo = " + ".join(f"{d.indicators[i].weight_points} * (s{i} is True)" for i in idx) or "0"
            pts_hi = " + ".join(f"{d.indicators[i].weight_points} * (s{i} is not False)" for i in idx) or "0"
            met_lo = " + ".join(f"(s{i} is True)" for i in idx) or "0"
            met_hi = " + ".join(f"(s{i} is not False)" for i in idx) or "0"
            lines.append(f"    {prefix}_points_lo = {pts_lo}")
            lines.append(f"    {prefix}_points_hi = {pts_hi}")
            lines.append(f"    {prefix}_met_lo = {met_lo}")
            lines.append(f"    {prefix}_met_hi = {met_hi}")

        for k, (_text, tree, checker) in enumerate(self.checked.dimensions):
            count_lines(f"d{k}", members[k])
            gen = PyGen(checker, lambda n, k=k: f"d{k}_{n}", consts)  # type: ignore[misc]
            expr, _ = gen.bool3(tree)
            lines.append(f"    D{k} = {expr}")
        count_lines("L", list(range(len(d.indicators))))
        dims_lo = " + ".join(f"(D{k} is True)" for k in range(len(d.dimensions))) or "0"
        dims_hi = " + ".join(f"(D{k} is not False)" for k in range(len(d.dimensions))) or "0"
        lines.append(f"    L_dimensions_present_lo = {dims_lo}")
        lines.append(f"    L_dimensions_present_hi = {dims_hi}")
        flags = [i for i, ind in enumerate(d.indicators) if ind.red_flag]
        if flags:
            any_true = " or ".join(f"s{i} is True" for i in flags)
            any_none = " or ".join(f"s{i} is None" for i in flags)
            lines.append(f"    rf = True if ({any_true}) else (None if ({any_none}) else False)")
        else:
            lines.append("    rf = False")
        level_var = {dim.id: f"D{k}" for k, dim in enumerate(d.dimensions)}
        level_var["red_flag"] = "rf"
        for n in (*COUNT_NAMES, "dimensions_present"):
            level_var[n] = f"L_{n}"
        for j, (tree, checker) in enumerate(self.checked.levels):
            gen = PyGen(checker, level_var.__getitem__, consts)
            expr, _ = gen.bool3(tree)
            lines.append(f"    l{j} = {expr}")
        n_ind, n_dim, n_lvl = len(d.indicators), len(d.dimensions), len(d.levels)
        statuses = "".join(f"s{i}, " for i in range(n_ind))
        dstat = "".join(f"D{k}, " for k in range(n_dim))
        counts = "".join(
            f"(d{k}_strong_lo, d{k}_strong_hi, d{k}_medium_lo, d{k}_medium_hi, d{k}_weak_lo, d{k}_weak_hi, "
            f"d{k}_points_lo, d{k}_points_hi), "
            for k in range(n_dim)
        )
        lvls = "".join(f"l{j}, " for j in range(n_lvl))
        lines.append(f"    return ({statuses}), ({dstat}), ({counts}), ({lvls})")
        return "\n".join(lines) + "\n"
