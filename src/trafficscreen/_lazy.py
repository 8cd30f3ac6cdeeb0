"""Lazy public names for a package: each name is imported from its module on first use.

Keeps ``import trafficscreen`` (and its optional sub-packages) cheap while the public API is still
re-exported from the package itself. A name whose module needs an extra that is not installed raises
:class:`~trafficscreen.errors.MissingExtraError` naming the extra to install, not a bare
``ModuleNotFoundError`` from deep inside the package.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

EXTRA_OF: dict[str, str] = {
    "polars": "research",
    "numpy": "research",
    "sqlglot": "scale",
    "duckdb": "scale",
    "pyspark": "scale",
    "fhir": "fhir",  # fhir.resources
    "starlette": "server",
    "uvicorn": "server",
    "jwt": "server",
    "httpx": "server",
    "markdown_it": "server",
    "psycopg": "postgres",
}
"""Top-level module of each optional dependency -> the extra that installs it (see pyproject.toml)."""


def import_export(package: str, module: str, name: str) -> Any:
    """``name`` from ``module`` (relative to ``package``); a missing extra becomes a MissingExtraError."""
    try:
        return getattr(importlib.import_module(module, package), name)
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").partition(".")[0]
        if missing not in EXTRA_OF:
            raise
        from .errors import MissingExtraError

        raise MissingExtraError(EXTRA_OF[missing], missing, needed_for=f"{package}.{name}") from exc


def lazy_exports(
    package: str, exports: dict[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Module-level ``__getattr__`` and ``__dir__`` for ``package``.

    ``exports`` maps a public name to the module (relative to ``package``) that defines it; a loaded
    name is stored in ``namespace`` (the package's globals) so later look-ups skip the hook.
    """

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = import_export(package, module, name)
        namespace[name] = value  # the value never changes
        return value

    def __dir__() -> list[str]:
        # the pinned names, and those kept importable without being in __all__ (see trafficscreen)
        return sorted({*namespace.get("__all__", ()), *exports})

    return __getattr__, __dir__
