"""Who can be asked: the dictionary's ask rules, checked at load and evaluated per encounter.

A field is a fact; a question is a way to learn it from someone. A question that names an ask rule
(``askable_when``) can be put only when every requirement of the rule holds on the answers given, for
example "the child is 8 or older", "the child is seen alone", "the child speaks the language or a
professional interpreter is present". Three outcomes, as everywhere in the engine:

* every requirement true: the question is askable;
* some requirement false: it cannot be asked of anyone present. The fact stays *unknown*, never "no",
  and the result says why, in plain words, and what to do instead;
* otherwise (a requirement reads a fact not yet recorded, such as the age): not yet askable; the facts
  the rule reads are asked first.

Rules read record and clinician fields only (a rule cannot depend on a question it gates), and their
examples are run when the dictionary loads, like an indicator's examples.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..content.yamlsource import Positions
from ..errors import ConditionError, SchemaError
from ..expr.interpret import evaluate
from ..expr.parser import ConditionSyntaxError, parse_condition
from ..expr.tree import Node, names
from ..expr.types import ConditionTypeError, TypeChecker
from ..model.dictionary import DataDictionary, Respondent
from ..model.encounter import check_answers
from .scopes import field_scope

__all__ = ["CheckedAskRule", "LevelLayer", "askability", "check_ask_rules", "compile_ask_rules"]


@dataclass(frozen=True)
class CheckedAskRule:
    """An ask rule with its requirements parsed: ``(tree, index)`` per requirement, and the fields read."""

    id: str
    trees: tuple[Node, ...]
    reads: tuple[str, ...]
    reads_by_requirement: tuple[tuple[str, ...], ...] = ()


def compile_ask_rules(dictionary: DataDictionary) -> dict[str, CheckedAskRule]:
    """The ask rules of a dictionary that has already been checked at load (no positions needed)."""
    out: dict[str, CheckedAskRule] = {}
    for rule in dictionary.ask_rules:
        out[rule.id] = _compiled(rule.id, tuple(parse_condition(req.when) for req in rule.requires))
    return out


def askability(rule: CheckedAskRule, answers: dict[str, Any]) -> tuple[bool | None, tuple[int, ...]]:
    """(True, ()) when askable; (False, unmet requirement indexes) when not; (None, open requirement
    indexes) while a requirement reads a fact not yet recorded and none is unmet."""
    failed: list[int] = []
    still_open: list[int] = []
    for k, tree in enumerate(rule.trees):
        value = evaluate(tree, answers)
        if value is False:
            failed.append(k)
        elif value is None:
            still_open.append(k)
    if failed:
        return False, tuple(failed)
    return (None, tuple(still_open)) if still_open else (True, ())


def _compiled(rule_id: str, trees: tuple[Node, ...]) -> CheckedAskRule:
    per = tuple(tuple(sorted(names(t))) for t in trees)
    return CheckedAskRule(rule_id, trees, tuple(sorted({n for r in per for n in r})), per)


def check_ask_rules(dictionary: DataDictionary, positions: Positions) -> dict[str, CheckedAskRule]:
    """Parse, type-check and run the examples of every ask rule; check each ``askable_when`` reference.

    Raises a located :class:`ContentError` on the first problem.
    """
    loc = positions.locate
    scope = field_scope(dictionary)
    checked: dict[str, CheckedAskRule] = {}
    for i, rule in enumerate(dictionary.ask_rules):
        here = ("ask_rules", i)
        if rule.id in checked:
            raise SchemaError(f"duplicated ask rule id '{rule.id}'", loc((*here, "id")))
        trees: list[Node] = []
        for k, req in enumerate(rule.requires):
            path = (*here, "requires", k, "when")
            try:
                tree = parse_condition(req.when)
                TypeChecker(scope).check(tree)
            except (ConditionSyntaxError, ConditionTypeError) as exc:
                raise ConditionError(exc.message, positions.locate_in(path, exc.pos)) from None
            for name in sorted(names(tree)):
                fd = dictionary.by_id[name]
                if fd.asked_of not in (Respondent.RECORD, Respondent.CLINICIAN) or fd.askable_when is not None:
                    raise ConditionError(
                        f"an ask rule may read only record or clinician fields that are always askable; "
                        f"'{name}' is not",
                        loc(path),
                    )
            trees.append(tree)
        checked[rule.id] = _compiled(rule.id, tuple(trees))
        _check_examples(dictionary, checked[rule.id], rule.examples, positions, here)
    for i, fd in enumerate(dictionary.fields):
        if fd.askable_when is not None and fd.askable_when not in checked:
            raise SchemaError(f"unknown ask rule '{fd.askable_when}'", loc(("fields", i, "askable_when")))
    return checked


_EXPECTED: dict[str, bool | None] = {"askable": True, "not_askable": False, "unknown": None}


def _check_examples(
    dictionary: DataDictionary,
    rule: CheckedAskRule,
    examples: Any,
    positions: Positions,
    here: tuple[str | int, ...],
) -> None:
    for kind, expected in _EXPECTED.items():
        for j, example in enumerate(getattr(examples, kind)):
            where = positions.locate((*here, "examples", kind, j))
            answers = check_answers(example, dictionary, source=str(where))
            got, _failed = askability(rule, answers)
            if got is not expected:
                shown = {True: "askable", False: "not askable", None: "open"}
                raise SchemaError(
                    f"ask rule '{rule.id}': example should be {shown[expected]} but is {shown[got]}", where
                )


# --- which unknown indicators can still change the level ---------------------------------------------


@dataclass(frozen=True)
class LevelLayer:
    """The set's level rules as monotone formulas over *atoms*: a dimension being present, ``red_flag``,
    or one comparison of set-wide counts (``points >= 4``). Used to drop, soundly, the questions whose
    answer cannot change the level whatever the other answers turn out to be.

    An unknown indicator can change the level only through the atoms it feeds (its dimension's presence,
    the red flag, the set-wide counts it adds to). With the atoms already known on the answers given, each
    level still open (above the level reached, up to the highest possible) is a monotone formula whose
    minimal terms are computed; an atom that appears in none of them cannot change that level in any
    completion of the unknowns. So an indicator none of whose atoms is *live* cannot change the level, and
    nor can a question that only such indicators read. This never drops a question that matters (a
    brute-force test checks it); it keeps some that do not, where indicators share unanswered questions.
    """

    atoms: tuple[Node, ...]  # the atom trees, evaluated three-valued over the level rules' names
    terms: tuple[tuple[frozenset[int], ...], ...]  # per level, lowest first: minimal terms of "at least it"
    feeds: tuple[int, ...]  # per indicator: bitmask of the atoms it can change
    plans: tuple[tuple[str, float, tuple[str, ...], float] | None, ...] = ()  # per atom: a fast count compare

    @classmethod
    def build(cls, cs: Any) -> LevelLayer | None:
        """None when a level rule is not a monotone and/or of atoms (the filter then stays off)."""
        from ..expr.tree import And, Compare, Name, Or

        atoms: list[Node] = []
        index: dict[Any, int] = {}

        def atom(node: Node) -> int:
            key = _strip(node)
            if key not in index:
                index[key] = len(atoms)
                atoms.append(node)
            return index[key]

        def dnf(node: Node) -> list[frozenset[int]] | None:
            match node:
                case Or(operands=ops):
                    out: list[frozenset[int]] = []
                    for o in ops:
                        sub = dnf(o)
                        if sub is None:
                            return None
                        out.extend(sub)
                    return out
                case And(operands=ops):
                    acc: list[frozenset[int]] = [frozenset()]
                    for o in ops:
                        sub = dnf(o)
                        if sub is None:
                            return None
                        acc = [a | b for a in acc for b in sub]
                        if len(acc) > 4096:
                            return None
                    return acc
                case Name():
                    return [frozenset({atom(node)})]
                case Compare(op=op) if op in (">=", ">") and _count_plan(node) is not None:
                    return [frozenset({atom(node)})]
            return None

        per_rule: list[list[frozenset[int]]] = []
        for tree, _checker in cs.checked.levels:
            terms = dnf(tree)
            if terms is None:
                return None
            per_rule.append(terms)
        at_least = tuple(_minimal([t for rule in per_rule[j:] for t in rule]) for j in range(len(per_rule)))
        d = cs.definition
        feeds: list[int] = []
        for ind in d.indicators:
            reads = {ind.dimension, "met", "dimensions_present"}
            if ind.red_flag:
                reads.add("red_flag")
            if ind.strength is not None:
                reads.add(ind.strength.value)
            if ind.weight_points:
                reads.add("points")
            mask = 0
            for k, node in enumerate(atoms):
                if set(names(node)) & reads:
                    mask |= 1 << k
            feeds.append(mask)
        return cls(tuple(atoms), at_least, tuple(feeds), tuple(_count_plan(a) for a in atoms))

    def atom_values(self, env: dict[str, Any]) -> tuple[Any, ...]:
        """Each atom's value (True/False/None) given the level rules' names in ``env``: dimensions and
        red_flag as True/False/None, counts as (lo, hi) intervals."""
        out: list[Any] = []
        for node, plan in zip(self.atoms, self.plans, strict=True):
            if plan is None:
                out.append(evaluate(node, env))
                continue
            op, const, terms, bound = plan
            lo = const + sum(env[t][0] for t in terms)
            hi = const + sum(env[t][1] for t in terms)
            if op == ">=":
                out.append(True if lo >= bound else (False if hi < bound else None))
            else:
                out.append(True if lo > bound else (False if hi <= bound else None))
        return tuple(out)

    def live_by_level(self, values: tuple[Any, ...], lo: int, hi: int) -> tuple[int, ...]:
        """Per open level ``lo < j <= hi`` (indexes into the set's levels, -1 for none), lowest first, the
        atoms that can still decide whether it is reached, given every atom's value."""
        out = []
        for j in range(lo + 1, hi + 1):
            live = 0
            for term in _restricted(self.terms[j], values):
                for k in term:
                    live |= 1 << k
            out.append(live)
        return tuple(out)


def _restricted(terms: tuple[frozenset[int], ...], values: Sequence[Any]) -> tuple[frozenset[int], ...]:
    """The minimal terms still open: terms with a false atom dropped, true atoms removed."""
    out: list[frozenset[int]] = []
    for term in terms:
        if any(values[k] is False for k in term):
            continue
        rest = frozenset(k for k in term if values[k] is not True)
        if not rest:
            return ()  # already true in every completion: nothing can change it
        out.append(rest)
    return _minimal(out)


def _minimal(terms: list[frozenset[int]]) -> tuple[frozenset[int], ...]:
    unique = sorted(set(terms), key=len)
    kept: list[frozenset[int]] = []
    for t in unique:
        if not any(k <= t for k in kept):
            kept.append(t)
    return tuple(kept)


def _strip(node: Node) -> Any:
    """A node without positions, to recognise the same atom written twice."""
    from ..expr.tree import Compare, Const, Name

    match node:
        case Name(id=i):
            return ("name", i)
        case Const(value=v):
            return ("const", v)
        case Compare(op=op, left=a, right=b):
            return ("cmp", op, _strip(a), _strip(b))
    return ("other", repr(node))


def open_fields(node: Node, answers: dict[str, Any]) -> frozenset[str]:
    """The unanswered fields a condition can still depend on, given ``answers``.

    The condition is simplified on what is known (an ``or`` with a true part is true, an ``and`` with a
    false part is false, a part whose value is known is dropped); the fields left in it are the only ones
    whose answer can still change it. A field that drops out cannot change the condition in any
    completion, so a question that only such conditions read is not worth asking.
    """
    from ..expr.tree import And, Not, Or

    def walk(n: Node) -> tuple[Any, frozenset[str]]:
        match n:
            case And(operands=ops) | Or(operands=ops):
                decisive = isinstance(n, Or)
                rest: set[str] = set()
                all_known = True
                for o in ops:
                    value, fields = walk(o)
                    if value is decisive:
                        return decisive, frozenset()
                    if value is None:
                        all_known = False
                        rest |= fields
                return (not decisive if all_known else None), frozenset(rest)
            case Not(operand=o):
                value, fields = walk(o)
                return (None if value is None else not value), fields
        value = evaluate(n, answers)
        return value, (frozenset() if value is not None else frozenset(names(n)))

    return walk(node)[1]


def _count_plan(node: Node) -> tuple[str, float, tuple[str, ...], float] | None:
    """``count + count + k >= c`` as (op, k, counts, c): a sum of counts and non-negative constants, which
    larger counts never make smaller. None for anything else (then not a monotone atom)."""
    from ..expr.tree import Arith, Compare, Const, Name

    if not isinstance(node, Compare) or not isinstance(node.right, Const):
        return None
    bound = node.right.value
    if isinstance(bound, bool) or not isinstance(bound, int | float):
        return None
    terms: list[str] = []
    consts: list[float] = []

    def walk(n: Node) -> bool:
        match n:
            case Name(id=i):
                terms.append(i)
                return True
            case Const(value=v) if isinstance(v, int | float) and not isinstance(v, bool) and v >= 0:
                consts.append(float(v))
                return True
            case Arith(op="+", left=a, right=b):
                return walk(a) and walk(b)
        return False

    if not walk(node.left):
        return None
    return node.op, sum(consts), tuple(terms), float(bound)
