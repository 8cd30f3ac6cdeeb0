"""The condition language: parse, type-check, evaluate (reference) and compile (Python)."""

from .interpret import evaluate
from .parser import ConditionSyntaxError, parse_condition
from .tree import Node, names
from .types import ConditionTypeError, Scope, T, TypeChecker, VarType

__all__ = [
    "ConditionSyntaxError",
    "ConditionTypeError",
    "Node",
    "Scope",
    "T",
    "TypeChecker",
    "VarType",
    "evaluate",
    "names",
    "parse_condition",
]
