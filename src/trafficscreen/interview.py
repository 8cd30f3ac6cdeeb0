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

from dataclasses import dataclass
from typing import Any

from .errors import ConditionError, SchemaError
from .expr.interpret import evaluate
from .expr.parser import ConditionSyntaxError, parse_condition
from .expr.tree import Node, names
from .expr.types import ConditionTypeError, TypeChecker
from .model.dictionary import DataDictionary, Respondent
from .model.encounter import check_answers
from .yamlsource import Positions

__all__ = ["CheckedAskRule", "askability", "check_ask_rules", "compile_ask_rules"]


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
    from .compiled import field_scope  # the compiler imports the loader's models; import late

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
