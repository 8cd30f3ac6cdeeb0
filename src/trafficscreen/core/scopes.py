"""The scopes conditions are type-checked in: the dictionary's fields (indicator conditions and ask
rules), the counts a dimension rule reads, and the names a level rule reads.

Its own module so that the set checker (:mod:`.compiled`) and the ask rules (:mod:`.interview`) both
read it without importing each other.
"""

from __future__ import annotations

from ..expr.types import Scope, T, VarType
from ..model.dictionary import DataDictionary, FieldType
from ..model.indicator_set import IndicatorSet
from .plan import COUNT_NAMES

_FIELD_TYPES = {
    FieldType.BOOLEAN: T.BOOL,
    FieldType.INTEGER: T.NUM,
    FieldType.NUMBER: T.NUM,
    FieldType.ENUM: T.ENUM,
    FieldType.SET: T.SET,
    FieldType.DATE: T.DATE,
}


def field_scope(dictionary: DataDictionary) -> Scope:
    return Scope("field", {f.id: VarType(_FIELD_TYPES[f.type], f.codes) for f in dictionary.fields})


def dimension_scope() -> Scope:
    return Scope("count", {n: VarType(T.COUNT) for n in COUNT_NAMES})


def level_scope(definition: IndicatorSet) -> Scope:
    scope = Scope("count", {n: VarType(T.COUNT) for n in (*COUNT_NAMES, "dimensions_present")})
    scope.names["red_flag"] = VarType(T.BOOL)
    for d in definition.dimensions:
        scope.names[d.id] = VarType(T.BOOL)
    return scope
