"""The Jinja2 sandbox guidance templates run in.

Templates are content, and a deployer may supply their own, so they are treated as untrusted:

* they run in Jinja2's :class:`~jinja2.sandbox.ImmutableSandboxedEnvironment` (no attribute that starts
  with ``_``, no internal attribute of functions, frames or types, no change to the values given);
* a stricter attribute rule on top refuses names such as ``mro``, ``format`` or ``func_globals`` even
  where Jinja would allow them, and raises :class:`~trafficscreen.errors.TemplateError` at once instead
  of returning an undefined value;
* every template is parsed and checked *before* it runs, so a hostile template is refused with its file
  and line even when the offending branch would not be reached;
* ``StrictUndefined`` turns a misspelt name into an error, never an empty string;
* HTML templates (``*.html.j2``) are autoescaped;
* every render has resource limits, and a template that passes one fails with
  :class:`~trafficscreen.errors.TemplateLimitError` instead of exhausting memory or time: loop turns and
  calls together are counted against :data:`MAX_WORK`; no value a template builds (by ``*``, ``+``, ``~``,
  ``%``, a filter or a method) may exceed :data:`MAX_VALUE_CHARS`; a width, padding or count passed to a
  method or filter (``center``, ``ljust``, ``indent``, ``"%99999s"``...) may not exceed :data:`MAX_WIDTH`;
  big integers are bounded (``**``, ``*``); and the output stops at :data:`MAX_OUTPUT_CHARS`.

Only plain data (dicts, lists, strings, numbers, booleans) is passed to a template.
"""

from __future__ import annotations

import functools
import re
import textwrap
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    TemplateSyntaxError,
    UndefinedError,
    nodes,
)
from jinja2.exceptions import SecurityError, TemplateRuntimeError
from jinja2.nodes import EvalContext
from jinja2.runtime import Context, Undefined, markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import pass_eval_context

from ..errors import Location, TemplateError, TemplateLimitError

SHIPPED_TEMPLATES = Path(__file__).resolve().parent / "templates"

FORBIDDEN_ATTRIBUTES = frozenset(
    {
        "mro",
        "format",
        "format_map",
        "globals",
        "builtins",
        "subclasses",
        "func_globals",
        "func_code",
        "func_closure",
        "f_globals",
        "f_locals",
        "f_builtins",
        "f_code",
        "f_back",
        "gi_frame",
        "gi_code",
        "gi_yieldfrom",
        "cr_frame",
        "cr_code",
        "cr_await",
        "ag_frame",
        "ag_code",
        "ag_await",
        "tb_frame",
        "tb_next",
        "im_func",
        "im_self",
        "im_class",
        "environment",
        "eval_ctx",
        "parent",
        "vars",
        "exported_vars",
        "loader",
        "module",
        "modules",
        "import",
        "os",
        "sys",
    }
)
"""Attribute names a template may never read, besides every name that starts with ``_``."""

MAX_REPEAT = 10_000
"""Largest result of ``*`` on text or lists, and of ``**``, a template may compute."""
MAX_WORK = 1_000_000
"""Loop turns and calls (methods, filters, macros) one render may make."""
MAX_VALUE_CHARS = 1_000_000
"""Largest text (or list, counted deeply) a template may build or hand to a filter or method."""
MAX_OUTPUT_CHARS = 2_000_000
"""Largest output of one render."""
MAX_WIDTH = 10_000
"""Largest width, padding or count a template may pass to a method or filter."""
MAX_INT_BITS = 100_000
"""Largest integer (in bits) ``*`` and ``**`` may compute."""

_BUDGET: ContextVar[list[int] | None] = ContextVar("trafficscreen_template_budget", default=None)
_PRINTF = re.compile(r"%[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")
_WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})


def _spend(n: int = 1) -> None:
    budget = _BUDGET.get()
    if budget is not None:
        budget[0] -= n
        if budget[0] < 0:
            raise TemplateLimitError(f"template does more than {MAX_WORK:,} loop turns and calls")


def _size(value: Any, cap: int = MAX_VALUE_CHARS) -> int:
    """Characters and items in ``value``, counted deeply; the count stops once it passes ``cap``."""
    total = 0
    stack = [value]
    while stack and total <= cap:
        v = stack.pop()
        if isinstance(v, str):
            total += len(v)
        elif isinstance(v, (list, tuple)):
            total += len(v)
            stack.extend(v)
        elif isinstance(v, dict):
            total += len(v)
            stack.extend(v.keys())
            stack.extend(v.values())
        else:
            total += 1
    return total


def _check_size(value: Any, what: str = "a value") -> Any:
    if _size(value) > MAX_VALUE_CHARS:
        raise TemplateLimitError(f"template builds {what} larger than {MAX_VALUE_CHARS:,} characters")
    return value


def _check_width(value: Any) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_WIDTH:
        raise TemplateLimitError(f"template asks for a width or count above {MAX_WIDTH:,}")


def _check_printf(fmt: str) -> None:
    for m in _PRINTF.finditer(fmt):
        for part in m.groups():
            if part == "*" or (part is not None and int(part) > MAX_WIDTH):
                raise TemplateLimitError(f"template formats with a width above {MAX_WIDTH:,} (or a '*' width)")


def _check_replace(text: Any, old: Any, new: Any) -> None:
    if isinstance(text, str) and isinstance(old, str) and isinstance(new, str):
        hits = text.count(old) if old else len(text) + 1
        if len(text) + hits * max(len(new) - len(old), 0) > MAX_VALUE_CHARS:
            raise TemplateLimitError(f"template builds a value larger than {MAX_VALUE_CHARS:,} characters")


def _bounded_loop(seq: Iterable[Any]) -> Iterator[Any]:
    """What every ``{% for %}`` iterates: the sequence, each turn counted."""
    for item in seq:
        _spend()
        yield item


@pass_eval_context
def _bounded_concat(eval_ctx: EvalContext, items: list[Any]) -> str:
    """What every ``~`` becomes: the same join Jinja makes, refused when it would be too large."""
    if sum(_size(i) for i in items) > MAX_VALUE_CHARS:
        raise TemplateLimitError(f"template builds a value larger than {MAX_VALUE_CHARS:,} characters")
    joined: str = markup_join(items) if eval_ctx.autoescape else str_join(items)
    return _check_size(joined)  # type: ignore[no-any-return]


def _bounded_filter(name: str, f: Callable[..., Any]) -> Callable[..., Any]:
    """A filter with the render's limits: counted, sizes and widths checked before it runs."""
    skip = 2 if getattr(f, "jinja_pass_arg", None) is not None else 1  # (context,) value

    @functools.wraps(f)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _spend()
        for a in args[skip - 1 :]:
            _check_size(a, "a value for a filter")
        for a in (*args[skip:], *kwargs.values()):
            _check_width(a)
        if name == "replace" and len(args) >= skip + 2:
            _check_replace(args[skip - 1], args[skip], args[skip + 1])
        if name == "format" and len(args) >= skip and isinstance(args[skip - 1], str):
            _check_printf(args[skip - 1])
        return _check_size(f(*args, **kwargs))

    return bounded


def _forbidden(name: str) -> bool:
    return name.startswith("_") or name in FORBIDDEN_ATTRIBUTES


def check_template(env: ImmutableSandboxedEnvironment, source: str, name: str, filename: str | None) -> None:
    """Parse ``source`` and refuse what the sandbox would refuse, naming the template and line."""
    where = filename or name
    try:
        tree = env.parse(source, name, filename)
    except TemplateSyntaxError as exc:
        raise TemplateError(f"template does not parse: {exc.message}", Location(where, exc.lineno)) from None
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Name, nodes.Filter, nodes.Test)):
        bad: str | None = None
        if isinstance(node, nodes.Getattr) and _forbidden(node.attr):
            bad = f"reads the attribute '{node.attr}'"
        elif (
            isinstance(node, nodes.Getitem)
            and isinstance(node.arg, nodes.Const)
            and isinstance(node.arg.value, str)
            and _forbidden(node.arg.value)
        ):
            bad = f"reads the item '{node.arg.value}'"
        elif isinstance(node, nodes.Name) and node.name.startswith("_"):
            bad = f"uses the name '{node.name}'"
        elif isinstance(node, nodes.Filter) and node.name == "attr":
            bad = "uses the 'attr' filter"
        if bad:
            raise TemplateError(
                f"template {bad}, which reaches for Python internals; guidance templates may only read "
                "the values they are given",
                Location(where, node.lineno),
            )


class _CheckedLoader(BaseLoader):
    """Wraps a loader so every template source is checked before Jinja compiles it."""

    def __init__(self, inner: BaseLoader) -> None:
        self.inner = inner

    def get_source(self, environment: Any, template: str) -> tuple[str, str | None, Callable[[], bool] | None]:
        source, filename, uptodate = self.inner.get_source(environment, template)
        check_template(environment, source, template, filename)
        return source, filename, uptodate

    def list_templates(self) -> list[str]:
        return self.inner.list_templates()


class GuidanceSandbox(ImmutableSandboxedEnvironment):
    """A sandbox that refuses more than Jinja's and raises :class:`TemplateError` when it does, with
    resource limits (:class:`TemplateLimitError`) on every render."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """Parse, then route every loop and every ``~`` through the counted, bounded helpers."""
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Filter(loop.iter, "_ts_loop", [], [], None, None, lineno=loop.lineno)
        for concat in list(tree.find_all(nodes.Concat)):
            items = nodes.List(list(concat.nodes), lineno=concat.lineno)
            replacement = nodes.Filter(items, "_ts_concat", [], [], None, None, lineno=concat.lineno)
            _replace_node(tree, concat, replacement)
        return tree

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _spend()
        owner = getattr(__obj, "__self__", None)
        method = getattr(__obj, "__name__", "")
        for a in args:
            _check_size(a, "a value for a call")
        for a in kwargs.values():
            _check_size(a, "a value for a call")
        if isinstance(owner, str):
            _check_size(owner)
            if method in _WIDTH_METHODS:
                for a in (*args, *kwargs.values()):
                    _check_width(a)
            elif method == "replace" and len(args) >= 2:
                _check_replace(owner, args[0], args[1])
            elif (
                method == "join"
                and args
                and isinstance(args[0], (list, tuple))
                and len(owner) * max(len(args[0]) - 1, 0) + _size(args[0]) > MAX_VALUE_CHARS
            ):
                raise TemplateLimitError(f"template builds a value larger than {MAX_VALUE_CHARS:,} characters")
        return _check_size(super().call(__context, __obj, *args, **kwargs))

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if _forbidden(attr):
            return False
        return bool(super().is_safe_attribute(obj, attr, value))

    def unsafe_undefined(self, obj: Any, attribute: str) -> Undefined:
        shown = attribute if len(attribute) <= 40 else attribute[:40] + "..."
        raise TemplateError(
            f"template reads the attribute '{shown}' of a {type(obj).__name__}, which the sandbox refuses: "
            "guidance templates may only read the values they are given, never Python internals or "
            "methods that change them"
        )

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > 64:
            raise TemplateError(f"template raises a number to a power above 64 ({operator})")
        if (
            operator == "**"
            and isinstance(left, int)
            and isinstance(right, int)
            and left.bit_length() * max(right, 0) > MAX_INT_BITS
        ):
            raise TemplateLimitError(f"template computes a number of more than {MAX_INT_BITS:,} bits")
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * n > MAX_REPEAT:
                    raise TemplateError(f"template repeats text or a list to more than {MAX_REPEAT} items")
                if isinstance(seq, (list, tuple)) and isinstance(n, int) and _size(seq) * n > MAX_VALUE_CHARS:
                    raise TemplateLimitError(f"template builds a list larger than {MAX_VALUE_CHARS:,} characters")
            if (
                isinstance(left, int)
                and isinstance(right, int)
                and left.bit_length() + right.bit_length() > MAX_INT_BITS
            ):
                raise TemplateLimitError(f"template computes a number of more than {MAX_INT_BITS:,} bits")
        if operator == "+" and isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)):
            _check_size([left, right])
        if operator == "%" and isinstance(left, str):
            _check_printf(left)
            _check_size(right, "a value to format")
        return _check_size(super().call_binop(context, operator, left, right))


def wrap(text: str, width: int = 88, indent: str = "") -> str:
    """Wrap ``text`` to ``width`` columns, continuing lines with ``indent``; never splits a word, a
    number or a code such as ICD-10-CM."""
    width = max(20, min(int(width), 200))
    lines = textwrap.wrap(
        str(text), width, subsequent_indent=str(indent)[:20], break_long_words=False, break_on_hyphens=False
    )
    return "\n".join(lines)


def _autoescape(name: str | None) -> bool:
    return bool(name) and str(name).endswith((".html.j2", ".html", ".htm"))


def make_environment(templates: Path | None, finalize: Callable[[Any], Any] | None = None) -> GuidanceSandbox:
    """A sandbox loading from ``templates`` first (a deployer's folder), then the shipped templates."""
    loaders: list[BaseLoader] = []
    if templates is not None:
        if not templates.is_dir():
            raise TemplateError("no such template folder", Location(str(templates)))
        loaders.append(FileSystemLoader(str(templates)))
    loaders.append(FileSystemLoader(str(SHIPPED_TEMPLATES)))
    env = GuidanceSandbox(
        loader=_CheckedLoader(ChoiceLoader(loaders)),
        autoescape=_autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=True,
        finalize=finalize,
    )
    env.globals.clear()  # no range(), lipsum(), dict(), cycler(), joiner(), namespace()
    env.filters["wrap"] = wrap
    env.filters = {name: _bounded_filter(name, f) for name, f in env.filters.items()}
    env.filters["_ts_loop"] = _bounded_loop
    env.filters["_ts_concat"] = _bounded_concat
    inner = env.finalize

    def bounded_finalize(value: Any) -> Any:
        _check_size(value, "an output value")
        return inner(value) if inner is not None else value

    env.finalize = bounded_finalize
    return env


def _replace_node(tree: nodes.Node, old: nodes.Node, new: nodes.Node) -> None:
    """Put ``new`` where ``old`` is in ``tree`` (a Jinja AST holds its children in fields)."""
    for parent in tree.find_all(nodes.Node):
        for field in parent.fields:
            value = getattr(parent, field, None)
            if value is old:
                setattr(parent, field, new)
                return
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if item is old:
                        value[i] = new
                        return


def _template_location(exc: BaseException, names: set[str]) -> Location | None:
    """The template file and line an exception was raised from (Jinja rewrites tracebacks to them)."""
    found: Location | None = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename in names or frame.filename.endswith(".j2"):
            found = Location(frame.filename, frame.lineno)
    return found


def render(env: GuidanceSandbox, name: str, context: dict[str, Any]) -> str:
    """Render template ``name`` with plain-data ``context``; every failure is a :class:`TemplateError`."""
    try:
        template = env.get_template(name)
    except TemplateNotFound:
        raise TemplateError(f"no template '{name}'") from None
    except TemplateSyntaxError as exc:
        raise TemplateError(
            f"template does not parse: {exc.message}", Location(exc.filename or name, exc.lineno)
        ) from None
    names = {template.filename or name}
    token = _BUDGET.set([MAX_WORK])
    try:
        parts: list[str] = []
        size = 0
        for chunk in template.generate(context):
            size += len(chunk)
            if size > MAX_OUTPUT_CHARS:
                raise TemplateLimitError(f"template writes more than {MAX_OUTPUT_CHARS:,} characters")
            parts.append(chunk)
        return "".join(parts)
    except TemplateError as exc:
        raise type(exc)(exc.message, exc.location or _template_location(exc, names)) from None
    except MemoryError:
        raise TemplateLimitError("template ran out of memory") from None
    except UndefinedError as exc:
        raise TemplateError(
            f"template uses a value it was not given ({exc.message})", _template_location(exc, names)
        ) from None
    except (SecurityError, TemplateRuntimeError) as exc:
        raise TemplateError(f"template refused by the sandbox: {exc}", _template_location(exc, names)) from None
    except (TypeError, ValueError, ArithmeticError, LookupError, RecursionError) as exc:
        raise TemplateError(f"template failed: {type(exc).__name__}", _template_location(exc, names)) from None
    finally:
        _BUDGET.reset(token)
