"""Parse condition text into the whitelisted syntax tree of :mod:`trafficscreen.expr.tree`.

The text is read by Python's own parser (``ast.parse`` in expression mode, which never runs anything)
and only a short list of node kinds is accepted; anything else — calls, attributes, subscripts,
lambdas, comprehensions — is refused with the position of the offending piece. The result is our own
tree, so nothing downstream ever sees Python's ``ast``.
"""

from __future__ import annotations

import ast
import math
from datetime import date

from ..errors import ConditionSyntaxError as ConditionSyntaxError  # re-exported: its old home
from .tree import And, Arith, ArithOp, Compare, CompareOp, Const, ConstList, In, IsKnown, Name, Node, Not, Or

MAX_CONDITION_LENGTH = 4000
MAX_CONDITION_DEPTH = 32
"""Deepest nesting of a condition's syntax tree (a name or constant is one level, ``not x`` two). Deeper
conditions are refused when parsed: the type checker, the interpreter and the Python and SQL code
generators all recurse over the tree, and Python refuses to compile more than 200 nested parentheses."""
_TOO_DEEP = f"the condition is nested deeper than {MAX_CONDITION_DEPTH} levels"

_CMP: dict[type[ast.cmpop], CompareOp] = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
}
_ARITH: dict[type[ast.operator], ArithOp] = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*"}
_LITERAL_NAMES = {"true": True, "false": False, "True": True, "False": False}


class _Converter:
    """Turns Python's ast into our tree. ``text`` is the condition with one leading character, standing
    for the '(' the parser saw, so Python's 0-based columns are our 1-based offsets."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._ascii = text.isascii()  # then Python's byte offsets are character offsets

    def pos(self, node: ast.AST) -> int:
        col_bytes = getattr(node, "col_offset", 1)
        if self._ascii:
            return max(col_bytes, 1)
        col = len(self._text.encode("utf-8")[:col_bytes].decode("utf-8", errors="ignore"))
        return max(col, 1)

    def convert(self, node: ast.AST, depth: int = 1) -> Node:
        """Our tree for ``node``, which sits ``depth`` levels down (the root is at 1)."""
        p = self.pos(node)
        if depth > MAX_CONDITION_DEPTH:
            raise ConditionSyntaxError(_TOO_DEEP, p)
        inner = depth + 1
        match node:
            case ast.BoolOp(op=ast.And(), values=values):
                return And(tuple(self.convert(v, inner) for v in values), p)
            case ast.BoolOp(op=ast.Or(), values=values):
                return Or(tuple(self.convert(v, inner) for v in values), p)
            case ast.UnaryOp(op=ast.Not(), operand=operand):
                return Not(self.convert(operand, inner), p)
            case ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=int() | float() as v)) if _is_number(v):
                return Const(_finite(-v, self.pos(node.operand)), p)
            case ast.Compare(left=left, ops=ops, comparators=comparators):
                return self._compare(left, ops, comparators, p, depth)
            case ast.BinOp(op=op, left=left, right=right) if type(op) in _ARITH:
                return Arith(_ARITH[type(op)], self.convert(left, inner), self.convert(right, inner), p)
            case ast.Name(id=ident):
                if ident in _LITERAL_NAMES:
                    return Const(_LITERAL_NAMES[ident], p)
                if ident in ("known", "unknown", "null", "None"):
                    raise ConditionSyntaxError(f"'{ident}' can only follow 'is' (e.g. 'x is known')", p)
                return Name(ident, p)
            case ast.Constant(value=bool() | str() | int() | float() as v) if not isinstance(v, complex):
                return Const(_finite(v, p), p)
            case ast.List(elts=elts) | ast.Tuple(elts=elts) | ast.Set(elts=elts):
                items = []
                for e in elts:
                    c = self.convert(e, inner)
                    if not isinstance(c, Const):
                        raise ConditionSyntaxError("a list may hold only constant values", self.pos(e))
                    items.append(c)
                if not items:
                    raise ConditionSyntaxError("an empty list is never useful here", p)
                return ConstList(tuple(items), p)
            case ast.Call(func=ast.Name(id="date"), args=[ast.Constant(value=str() as s)], keywords=[]):
                try:
                    return Const(date.fromisoformat(s), p)
                except ValueError:
                    raise ConditionSyntaxError("date(...) needs an ISO date such as '2024-01-31'", p) from None
            case _:
                raise ConditionSyntaxError(f"{_describe(node)} is not allowed in a condition", p)

    def _compare(self, left: ast.expr, ops: list[ast.cmpop], comparators: list[ast.expr], p: int, depth: int) -> Node:
        # a < b < c means (a < b) and (b < c), as in Python and in ordinary writing
        if len(ops) > 1:  # the parts sit one level down, under the And that joins them
            depth += 1
            if depth > MAX_CONDITION_DEPTH:
                raise ConditionSyntaxError(_TOO_DEEP, p)
        inner = depth + 1
        parts: list[Node] = []
        lhs_ast = left
        for op, rhs_ast in zip(ops, comparators, strict=True):
            part_pos = self.pos(lhs_ast)
            if isinstance(op, (ast.Is, ast.IsNot)):
                if not isinstance(rhs_ast, ast.Name) or rhs_ast.id not in ("known", "unknown"):
                    raise ConditionSyntaxError("'is' must be followed by 'known' or 'unknown'", self.pos(rhs_ast))
                subject = self.convert(lhs_ast, inner)
                if not isinstance(subject, Name):
                    raise ConditionSyntaxError("'is known' / 'is unknown' apply to a field name", part_pos)
                negate = (rhs_ast.id == "unknown") != isinstance(op, ast.IsNot)
                parts.append(IsKnown(subject, negate, part_pos))
            elif isinstance(op, (ast.In, ast.NotIn)):
                parts.append(
                    In(self.convert(lhs_ast, inner), self.convert(rhs_ast, inner), isinstance(op, ast.NotIn), part_pos)
                )
            elif type(op) in _CMP:
                parts.append(
                    Compare(_CMP[type(op)], self.convert(lhs_ast, inner), self.convert(rhs_ast, inner), part_pos)
                )
            else:  # pragma: no cover - every cmpop is handled above
                raise ConditionSyntaxError("unsupported comparison", part_pos)
            lhs_ast = rhs_ast
        return parts[0] if len(parts) == 1 else And(tuple(parts), p)


def _finite(value: bool | str | int | float, pos: int) -> bool | str | int | float:
    """A constant as is, unless it is a float that overflowed (``1e999``): generated Python and SQL have no
    literal for infinity, and a comparison with it would mean nothing a content author intended."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ConditionSyntaxError("not a finite number (numbers beyond about 1.8e308 are not allowed)", pos)
    return value


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _describe(node: ast.AST) -> str:
    kinds = {
        ast.Call: "a function call",
        ast.Attribute: "attribute access ('.')",
        ast.Subscript: "indexing ('[...]' after a name)",
        ast.Lambda: "a lambda",
        ast.IfExp: "an if-expression",
        ast.Dict: "a mapping",
        ast.ListComp: "a comprehension",
        ast.GeneratorExp: "a comprehension",
        ast.NamedExpr: "an assignment (':=')",
        ast.Await: "await",
        ast.JoinedStr: "an f-string",
        ast.Starred: "unpacking ('*')",
    }
    if isinstance(node, ast.BinOp):
        return f"the operator {type(node.op).__name__}"
    if isinstance(node, ast.UnaryOp):
        return f"the unary operator {type(node.op).__name__}"
    if isinstance(node, ast.Constant):
        return f"a constant of type {type(node.value).__name__}"
    return kinds.get(type(node), type(node).__name__)


def parse_condition(text: str) -> Node:
    """Parse ``text`` into a syntax tree, or raise :class:`ConditionSyntaxError`."""
    if not isinstance(text, str):
        raise ConditionSyntaxError("a condition must be text", 1)
    if not text.strip():
        raise ConditionSyntaxError("the condition is empty", 1)
    if len(text) > MAX_CONDITION_LENGTH:
        raise ConditionSyntaxError(f"the condition is longer than {MAX_CONDITION_LENGTH} characters", 1)
    # YAML folded text may span lines; a newline means a space here, keeping every offset unchanged.
    flat = text.replace("\r", " ").replace("\n", " ")
    try:
        tree = ast.parse("(" + flat + ")", mode="eval")
    except SyntaxError as exc:
        offset = max((exc.offset or 2) - 1, 1)
        msg = (exc.msg or "invalid syntax").split(" (")[0]
        raise ConditionSyntaxError(f"syntax error: {msg}", min(offset, len(text))) from None
    except (RecursionError, MemoryError):
        raise ConditionSyntaxError(_TOO_DEEP, 1) from None
    except ValueError as exc:  # e.g. a NUL character
        raise ConditionSyntaxError(f"unreadable condition ({exc})", 1) from None
    converter = _Converter(" " + flat)  # the leading space stands for the '(' added above
    try:
        return converter.convert(tree.body)
    except RecursionError:  # pragma: no cover - the depth check stops far sooner
        raise ConditionSyntaxError(_TOO_DEEP, 1) from None
