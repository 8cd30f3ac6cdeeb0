"""Renderers turn a :class:`~trafficscreen.ScreeningResult` into text for people. They never re-evaluate
rules: everything they show is already in the result.

The names below load their modules (and Jinja2, for guidance) on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from .guidance import render_guidance
    from .text import render_text

_EXPORTS: dict[str, str] = {
    "render_guidance": ".guidance",
    "render_text": ".text",
}

__all__ = ["render_guidance", "render_text"]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
