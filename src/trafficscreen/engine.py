"""Moved to :mod:`trafficscreen.core.engine`; kept so old imports work."""

from .core.engine import (
    DEFAULT_SET,
    LEVEL_ORDER,
    Screener,
    screen,
)

__all__ = [
    "DEFAULT_SET",
    "LEVEL_ORDER",
    "Screener",
    "screen",
]
