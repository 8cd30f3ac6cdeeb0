"""Translate a set's indicator conditions into the languages of general rules engines a user might pick
instead, so the benchmark runs the same rules through each: CEL (Rust binding `common-expression-language`),
JsonLogic (`panzi-json-logic`) and `rule-engine`.

The translation walks the same parsed syntax tree the engine compiles from. It is benchmark code only:
these engines are two-valued, so they are timed on complete encounters, and what each does with a missing
answer is probed and reported, not hidden.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from trafficscreen.core.compiled import CompiledSet
from trafficscreen.expr.tree import And, Arith, Compare, Const, ConstList, In, IsKnown, Name, Node, Not, Or


def _lit(value: Any) -> str:
    return json.dumps(value)


def to_cel(node: Node) -> str:
    match node:
        case Name(id=i):
            return i
        case Const(value=v):
            return "true" if v is True else "false" if v is False else _lit(v)
        case ConstList(items=items):
            return "[" + ", ".join(to_cel(i) for i in items) + "]"
        case Not(operand=o):
            return f"!({to_cel(o)})"
        case And(operands=ops):
            return "(" + " && ".join(to_cel(o) for o in ops) + ")"
        case Or(operands=ops):
            return "(" + " || ".join(to_cel(o) for o in ops) + ")"
        case Compare(op=op, left=a, right=b) | Arith(op=op, left=a, right=b):
            return f"({to_cel(a)} {op} {to_cel(b)})"
        case In(item=a, container=b, negate=neg):
            inner = f"({to_cel(a)} in {to_cel(b)})"
            return f"!{inner}" if neg else inner
        case IsKnown():
            raise NotImplementedError("CEL has no test for a missing top-level variable")
    raise TypeError(type(node).__name__)


def to_rule_engine(node: Node) -> str:
    match node:
        case Name(id=i):
            return i
        case Const(value=v):
            return "true" if v is True else "false" if v is False else _lit(v)
        case ConstList(items=items):
            return "[" + ", ".join(to_rule_engine(i) for i in items) + "]"
        case Not(operand=o):
            return f"not ({to_rule_engine(o)})"
        case And(operands=ops):
            return "(" + " and ".join(to_rule_engine(o) for o in ops) + ")"
        case Or(operands=ops):
            return "(" + " or ".join(to_rule_engine(o) for o in ops) + ")"
        case Compare(op=op, left=a, right=b) | Arith(op=op, left=a, right=b):
            return f"({to_rule_engine(a)} {op} {to_rule_engine(b)})"
        case In(item=a, container=b, negate=neg):
            inner = f"({to_rule_engine(a)} in {to_rule_engine(b)})"
            return f"not {inner}" if neg else inner
        case IsKnown(name=nm, negate=neg):
            return f"({nm.id} {'==' if neg else '!='} null)"
    raise TypeError(type(node).__name__)


def to_json_logic(node: Node) -> Any:
    match node:
        case Name(id=i):
            return {"var": i}
        case Const(value=v):
            return v
        case ConstList(items=items):
            return [i.value for i in items]
        case Not(operand=o):
            return {"!": [to_json_logic(o)]}
        case And(operands=ops):
            return {"and": [to_json_logic(o) for o in ops]}
        case Or(operands=ops):
            return {"or": [to_json_logic(o) for o in ops]}
        case Compare(op=op, left=a, right=b):
            jop = {"==": "===", "!=": "!=="}.get(op, op)
            return {jop: [to_json_logic(a), to_json_logic(b)]}
        case Arith(op=op, left=a, right=b):
            return {op: [to_json_logic(a), to_json_logic(b)]}
        case In(item=a, container=b, negate=neg):
            inner = {"in": [to_json_logic(a), to_json_logic(b)]}
            return {"!": [inner]} if neg else inner
        case IsKnown(name=nm, negate=neg):
            return {"===" if neg else "!==": [{"var": nm.id}, None]}
    raise TypeError(type(node).__name__)


def plain(answers: dict[str, Any]) -> dict[str, Any]:
    """Answers as the peers take them: sets as lists."""
    return {k: sorted(v) if isinstance(v, frozenset) else v for k, v in answers.items()}


Evaluator = Callable[[dict[str, Any]], list[Any]]


def build_peers(cs: CompiledSet) -> dict[str, Evaluator]:
    """One function per available peer engine: answers → list of indicator truth values."""
    trees = [tree for tree, _ in cs.checked.indicators]
    peers: dict[str, Evaluator] = {}
    try:
        import cel

        # one program returning every condition's value: one call (and one conversion of the answers)
        # per encounter, the fastest way to use this binding
        program = cel.compile("[" + ", ".join(to_cel(t) for t in trees) + "]")
        peers["CEL (common-expression-language)"] = lambda a: list(program.execute(a))
    except ImportError:
        pass
    try:
        from json_logic import jsonLogic

        logic = [to_json_logic(t) for t in trees]
        peers["JsonLogic (panzi-json-logic)"] = lambda a: [jsonLogic(r, a) for r in logic]
    except ImportError:
        pass
    try:
        import rule_engine

        rules = [rule_engine.Rule(to_rule_engine(t)) for t in trees]
        peers["rule-engine"] = lambda a: [r.evaluate(a) for r in rules]
    except ImportError:
        pass
    return peers


def missing_answer_behaviour() -> dict[str, str]:
    """What each peer does with `age_years < 16` when age is not answered (ours: unknown)."""
    out: dict[str, str] = {}
    try:
        import cel

        try:
            out["CEL (common-expression-language)"] = f"returns {cel.compile('age_years < 16').execute({})!r}"
        except Exception as exc:
            out["CEL (common-expression-language)"] = f"raises {type(exc).__name__}"
    except ImportError:
        out["CEL (common-expression-language)"] = "not installed"
    try:
        from json_logic import jsonLogic

        got = jsonLogic({"<": [{"var": "age_years"}, 16]}, {})
        out["JsonLogic (panzi-json-logic)"] = f"returns {got!r} (a missing age counts as below 16)"
    except ImportError:
        out["JsonLogic (panzi-json-logic)"] = "not installed"
    try:
        import rule_engine

        try:
            out["rule-engine"] = f"returns {rule_engine.Rule('age_years < 16').evaluate({})!r}"
        except Exception as exc:
            out["rule-engine"] = f"raises {type(exc).__name__}"
    except ImportError:
        out["rule-engine"] = "not installed"
    return out
