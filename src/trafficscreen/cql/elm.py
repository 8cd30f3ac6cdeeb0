"""ELM JSON of a set (the compiled form of CQL that CQL engines run), from the same lowering.

The ELM is built directly from the condition trees, not by translating the CQL text, so the package's
ELM does not depend on a translator; the tests translate the CQL text with the HL7 translator as well
and check that both give the same answers. Binary operators are nested (ELM's ``And``/``Or`` take two
operands); every yes/no value is a plain boolean that is never null (see :mod:`.lowering`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from ..expr.tree import Scalar
from .lowering import CqlWorlds, Library, assemble

if TYPE_CHECKING:
    from ..core.compiled import CompiledSet

SYSTEM = "urn:hl7-org:elm-types:r1"
ELM = dict[str, Any]

_OPS = {"<": "Less", "<=": "LessOrEqual", ">": "Greater", ">=": "GreaterOrEqual", "==": "Equal"}
_ARITH = {"+": "Add", "-": "Subtract", "*": "Multiply"}


def system_type(name: str) -> str:
    return "{" + SYSTEM + "}" + name


def _literal(type_name: str, value: str) -> ELM:
    return {"type": "Literal", "valueType": system_type(type_name), "value": value}


def _scalar(value: Scalar) -> ELM:
    if isinstance(value, bool):
        return _literal("Boolean", "true" if value else "false")
    if isinstance(value, int):
        lit = _literal("Integer", str(abs(value)))
        return lit if value >= 0 else {"type": "Negate", "operand": lit}
    if isinstance(value, float):
        lit = _literal("Decimal", repr(abs(value)))
        return lit if value >= 0 else {"type": "Negate", "operand": lit}
    if isinstance(value, date):
        return {
            "type": "Date",
            "year": _literal("Integer", str(value.year)),
            "month": _literal("Integer", str(value.month)),
            "day": _literal("Integer", str(value.day)),
        }
    return _literal("String", value)


def _fold(kind: str, parts: Sequence[ELM]) -> ELM:
    out = parts[0]
    for p in parts[1:]:
        out = {"type": kind, "operand": [out, p]}
    return out


class ElmGen(CqlWorlds[ELM]):
    """ELM expressions (JSON-shaped dicts) for the two worlds of conditions in one scope."""

    def literal(self, value: bool) -> ELM:
        return _scalar(value)

    def all_of(self, parts: Sequence[ELM]) -> ELM:
        return _fold("And", parts)

    def any_of(self, parts: Sequence[ELM]) -> ELM:
        return _fold("Or", parts)

    def negate(self, e: ELM) -> ELM:
        return {"type": "Not", "operand": e}

    def compare(self, op: str, a: ELM, b: ELM) -> ELM:
        if op == "!=":
            return self.negate({"type": "Equal", "operand": [a, b]})
        return {"type": _OPS[op], "operand": [a, b]}

    def number(self, value: int | float) -> ELM:
        return _scalar(value)

    def arith(self, op: str, a: ELM, b: ELM) -> ELM:
        return {"type": _ARITH[op], "operand": [a, b]}

    def member(self, item: ELM, values: tuple[Scalar, ...], negate: bool) -> ELM:
        test: ELM = {"type": "In", "operand": [item, {"type": "List", "element": [_scalar(v) for v in values]}]}
        return self.negate(test) if negate else test

    def constant(self, value: Scalar) -> ELM:
        return _scalar(value)

    def contains(self, container: ELM, item: ELM, negate: bool) -> ELM:
        test: ELM = {"type": "In", "operand": [item, container]}
        return self.negate(test) if negate else test

    def parameter(self, name: str) -> ELM:
        return {"type": "ParameterRef", "name": name}

    def ref(self, name: str) -> ELM:
        return {"type": "ExpressionRef", "name": name}

    def is_true(self, e: ELM) -> ELM:
        return {"type": "IsTrue", "operand": e}

    def is_not_false(self, e: ELM) -> ELM:
        return self.negate({"type": "IsFalse", "operand": e})

    def is_null(self, e: ELM) -> ELM:
        return {"type": "IsNull", "operand": e}

    def is_not_null(self, e: ELM) -> ELM:
        return self.negate(self.is_null(e))

    def choose(self, condition: ELM, then: ELM, otherwise: ELM) -> ELM:
        return {"type": "If", "condition": condition, "then": then, "else": otherwise}

    def string(self, value: str) -> ELM:
        return _literal("String", value)


def _type_specifier(cql_type: str) -> ELM:
    if cql_type.startswith("List<"):
        return {"type": "ListTypeSpecifier", "elementType": _type_specifier(cql_type[5:-1])}
    return {"type": "NamedTypeSpecifier", "name": system_type(cql_type)}


def elm_library(cs: CompiledSet) -> ELM:
    """The set as an ELM library (JSON), with the same definitions as :func:`.text.cql_text`."""
    lib: Library[ELM] = assemble(cs, ElmGen)
    return {
        "library": {
            "identifier": {"id": lib.name, "version": lib.version},
            "schemaIdentifier": {"id": "urn:hl7-org:elm", "version": "r1"},
            "usings": {"def": [{"localIdentifier": "System", "uri": SYSTEM}]},
            "parameters": {
                "def": [
                    {"name": name, "accessLevel": "Public", "parameterTypeSpecifier": _type_specifier(typ)}
                    for name, typ in lib.parameters
                ]
            },
            "statements": {
                "def": [
                    {
                        "name": st.name,
                        "context": "Unfiltered",
                        "accessLevel": "Public",
                        "resultTypeName": system_type(st.type),
                        "expression": st.expression,
                    }
                    for st in lib.statements
                ]
            },
        }
    }
