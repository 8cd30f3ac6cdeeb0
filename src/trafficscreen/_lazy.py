"""Lazy public names for a package: each name is imported from its module on first use.

Keeps ``import trafficscreen`` (and its optional sub-packages) cheap while the public API is still
re-exported from the package itself.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


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
        value = getattr(importlib.import_module(module, package), name)
        namespace[name] = value  # the value never changes
        return value

    def __dir__() -> list[str]:
        return list(namespace.get("__all__", exports))

    return __getattr__, __dir__
