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
* HTML templates (``*.html.j2``) are autoescaped; ``*`` and ``**`` are bounded so a template cannot
  build a huge string.

Only plain data (dicts, lists, strings, numbers, booleans) is passed to a template.
"""

from __future__ import annotations

import textwrap
import traceback
from collections.abc import Callable
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
from jinja2.runtime import Context, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ..errors import Location, TemplateError

SHIPPED_TEMPLATES = Path(__file__).resolve().parent / "templates"

FORBIDDEN_ATTRIBUTES = frozenset({
    "mro", "format", "format_map", "globals", "builtins", "subclasses", "func_globals", "func_code",
    "func_closure", "f_globals", "f_locals", "f_builtins", "f_code", "f_back", "gi_frame", "gi_code",
    "gi_yieldfrom", "cr_frame", "cr_code", "cr_await", "ag_frame", "ag_code", "ag_await", "tb_frame",
    "tb_next", "im_func", "im_self", "im_class", "environment", "eval_ctx", "parent", "vars",
    "exported_vars", "loader", "module", "modules", "import", "os", "sys",
})
"""Attribute names a template may never read, besides every name that starts with ``_``."""

MAX_REPEAT = 10_000
"""Largest result of ``*`` on text or lists, and of ``**``, a template may compute."""


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
        elif (isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const)
              and isinstance(node.arg.value, str) and _forbidden(node.arg.value)):
            bad = f"reads the item '{node.arg.value}'"
        elif isinstance(node, nodes.Name) and node.name.startswith("_"):
            bad = f"uses the name '{node.name}'"
        elif isinstance(node, nodes.Filter) and node.name == "attr":
            bad = "uses the 'attr' filter"
        if bad:
            raise TemplateError(
                f"template {bad}, which reaches for Python internals; guidance templates may only read "
                "the values they are given", Location(where, node.lineno),
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
    """A sandbox that refuses more than Jinja's and raises :class:`TemplateError` when it does."""

    intercepted_binops = frozenset({"*", "**"})

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
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * n > MAX_REPEAT:
                    raise TemplateError(f"template repeats text or a list to more than {MAX_REPEAT} items")
        return super().call_binop(context, operator, left, right)


def wrap(text: str, width: int = 88, indent: str = "") -> str:
    """Wrap ``text`` to ``width`` columns, continuing lines with ``indent``; never splits a word, a
    number or a code such as ICD-10-CM."""
    width = max(20, min(int(width), 200))
    lines = textwrap.wrap(str(text), width, subsequent_indent=str(indent)[:20], break_long_words=False,
                          break_on_hyphens=False)
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
    return env


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
        raise TemplateError(f"template does not parse: {exc.message}",
                            Location(exc.filename or name, exc.lineno)) from None
    names = {template.filename or name}
    try:
        return template.render(context)
    except TemplateError as exc:
        raise TemplateError(exc.message, exc.location or _template_location(exc, names)) from None
    except UndefinedError as exc:
        raise TemplateError(f"template uses a value it was not given ({exc.message})",
                            _template_location(exc, names)) from None
    except (SecurityError, TemplateRuntimeError) as exc:
        raise TemplateError(f"template refused by the sandbox: {exc}", _template_location(exc, names)) from None
    except (TypeError, ValueError, ArithmeticError, LookupError, RecursionError) as exc:
        raise TemplateError(f"template failed: {type(exc).__name__}", _template_location(exc, names)) from None
