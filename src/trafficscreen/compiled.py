"""Moved to :mod:`trafficscreen.core.compiled`; kept so old imports work."""

from .core.compiled import (
    LEVEL_ONLY_NAMES,
    RESERVED,
    CheckedSet,
    CompiledSet,
    DimensionCounts,
    LevelPyGen,
    RunFunction,
    Status,
    check_set,
)
from .core.scopes import dimension_scope, field_scope, level_scope

__all__ = [
    "LEVEL_ONLY_NAMES",
    "RESERVED",
    "CheckedSet",
    "CompiledSet",
    "DimensionCounts",
    "LevelPyGen",
    "RunFunction",
    "Status",
    "check_set",
    "dimension_scope",
    "field_scope",
    "level_scope",
]
