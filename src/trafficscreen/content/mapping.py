"""Column mappings: which input or warehouse column holds which data-dictionary field.

A mapping file is a YAML mapping of field id to column name, read through
:mod:`trafficscreen.content.yamlsource` (safe, bounded). The columnar ``batch`` and ``pack`` commands, the SQL
engines and ``trafficscreen sql`` all read it with :func:`load_mapping`::

    # field id: column name
    id: encounter_ref          # the row's id column (when the dictionary has no field called id)
    age_years: patient_age
    works_long_hours: q17_long_hours

A field that is not listed is read from the column named like the field. Column names are only ever
used as identifiers, quoted by the SQL builder for the dialect, so any name a warehouse allows works.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import Location, SchemaError
from ..model.dictionary import DataDictionary

MAX_COLUMN_NAME = 255
ID_KEY = "id"


@dataclass(frozen=True)
class ColumnMapping:
    """Field id → column name, for the fields whose column is named differently."""

    columns: Mapping[str, str] = field(default_factory=dict)
    source: str = "<mapping>"
    locations: Mapping[str, Location] = field(default_factory=dict)

    def column(self, field_id: str) -> str:
        return self.columns.get(field_id, field_id)

    def id_column(self, dictionary: DataDictionary) -> str | None:
        """The column the mapping names as the row id, if it names one."""
        if ID_KEY in self.columns and ID_KEY not in dictionary.by_id:
            return self.columns[ID_KEY]
        return None

    def check(self, dictionary: DataDictionary) -> None:
        """Raise :class:`SchemaError` when the mapping names a field the dictionary lacks."""
        for f in self.columns:
            if f in dictionary.by_id or f == ID_KEY:
                continue
            hint = difflib.get_close_matches(f, list(dictionary.by_id), n=1)
            extra = f"; did you mean '{hint[0]}'?" if hint else ""
            where = self.locations.get(f, Location(self.source))
            raise SchemaError(f"the column mapping names '{f}', which is not a field of {dictionary.ref}{extra}", where)


def mapping_from_data(data: Any, source: str = "<mapping>", positions: Any = None) -> ColumnMapping:
    """Check the shape of mapping data (as read from YAML) and build a :class:`ColumnMapping`."""

    def where(path: tuple[str | int, ...]) -> Location:
        return positions.locate(path) if positions is not None else Location(source)

    if not isinstance(data, dict) or not data:
        raise SchemaError("a column mapping is a YAML mapping of field ids to column names", where(()))
    seen: dict[str, str] = {}
    out: dict[str, str] = {}
    locations: dict[str, Location] = {}
    for f, col in data.items():
        if not isinstance(f, str):
            raise SchemaError("each entry maps a field id to a column name, both as text", where(()))
        here = where((f,))
        if not isinstance(col, str) or not col or len(col) > MAX_COLUMN_NAME or "\x00" in col:
            raise SchemaError(
                f"the column for '{f}' must be a non-empty name of at most {MAX_COLUMN_NAME} characters", here
            )
        if col in seen:
            raise SchemaError(f"column '{col}' is mapped to both '{seen[col]}' and '{f}'", here)
        seen[col] = f
        out[f] = col
        locations[f] = positions.locate_key((f,)) if positions is not None else here
    return ColumnMapping(out, source, locations)


def load_mapping(path: str | Path) -> ColumnMapping:
    """Read a column-mapping YAML file. Errors name the file, line and column."""
    from .yamlsource import read_yaml

    data, positions = read_yaml(Path(path))
    return mapping_from_data(data, str(path), positions)


def as_mapping(mapping: ColumnMapping | Mapping[str, str] | str | Path | None) -> ColumnMapping:
    """Accept a :class:`ColumnMapping`, a plain ``{field: column}`` dict, a file path or None."""
    if mapping is None:
        return ColumnMapping()
    if isinstance(mapping, ColumnMapping):
        return mapping
    if isinstance(mapping, (str, Path)):
        return load_mapping(mapping)
    return mapping_from_data(dict(mapping)) if mapping else ColumnMapping()


# --- the one rule for matching names to input columns, shared by every engine (columnar and SQL) ---


def find_column(columns: Sequence[str], name: str) -> str | None:
    """The input column for a field id, id column or kept column: the column of exactly that name, case
    included, or None. Every engine matches names with this function, so none reads a column another
    leaves unread; inputs whose column names differ only in case are refused (:func:`column_name_problem`),
    since SQL engines cannot tell such columns apart."""
    return name if name in columns else None


def column_name_problem(columns: Sequence[str]) -> str | None:
    """Why a table's column names cannot be used (a name twice, or two names that differ only in case), or None."""
    seen: dict[str, str] = {}
    for c in columns:
        other = seen.get(c.lower())
        if other is not None:
            if other == c:
                return f"column '{c[:60]}' appears twice in the header"
            return f"columns '{other[:60]}' and '{c[:60]}' differ only in case; rename one"
        seen[c.lower()] = c
    return None
