"""Column mappings: which warehouse column holds which data-dictionary field.

A mapping file is YAML, read through :mod:`trafficscreen.yamlsource` (safe, bounded)::

    kind: column-mapping
    dictionary: paediatric-encounter@1.0.0   # optional: checked against the set's dictionary
    columns:                                 # field id: column name
      age_years: patient_age
      works_long_hours: q17_long_hours

A field that is not listed is read from the column named like the field. Column names are used as
identifiers only: the SQL builder quotes them for the dialect, so any name a warehouse allows works.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import Location, SchemaError
from ..model.dictionary import DataDictionary

MAX_COLUMN_NAME = 255


@dataclass(frozen=True)
class ColumnMapping:
    """Field id → column name, for the fields whose column is named differently."""

    columns: Mapping[str, str] = field(default_factory=dict)
    dictionary: str | None = None
    source: str = "<mapping>"

    def column(self, field_id: str) -> str:
        return self.columns.get(field_id, field_id)

    def check(self, dictionary: DataDictionary) -> None:
        """Raise :class:`SchemaError` when the mapping was written for another dictionary or names a
        field this dictionary lacks."""
        if self.dictionary is not None:
            wanted = self.dictionary
            if wanted not in (dictionary.id, dictionary.ref):
                raise SchemaError(
                    f"the mapping is for dictionary '{wanted}', but the set uses {dictionary.ref}",
                    Location(self.source),
                )
        for f in self.columns:
            if f not in dictionary.by_id:
                hint = difflib.get_close_matches(f, list(dictionary.by_id), n=1)
                extra = f"; did you mean '{hint[0]}'?" if hint else ""
                raise SchemaError(f"'{f}' is not a field of {dictionary.ref}{extra}", Location(self.source))


def mapping_from_data(data: Any, source: str = "<mapping>", positions: Any = None) -> ColumnMapping:
    """Check the shape of mapping data (as read from YAML) and build a :class:`ColumnMapping`."""

    def where(path: tuple[str | int, ...]) -> Location:
        return positions.locate(path) if positions is not None else Location(source)

    if not isinstance(data, dict):
        raise SchemaError("a column mapping is a YAML mapping with a 'columns' key", where(()))
    allowed = {"kind", "dictionary", "columns"}
    for key in data:
        if key not in allowed:
            name = key if isinstance(key, str) and key.isidentifier() else "<unreadable>"
            raise SchemaError(
                f"unknown key '{name}' (a column mapping has kind, dictionary and columns)",
                positions.locate_key((key,)) if positions is not None else Location(source),
            )
    if data.get("kind", "column-mapping") != "column-mapping":
        raise SchemaError("'kind' of a column mapping must be 'column-mapping'", where(("kind",)))
    dictionary = data.get("dictionary")
    if dictionary is not None and not isinstance(dictionary, str):
        raise SchemaError("'dictionary' must be a dictionary id or id@version", where(("dictionary",)))
    columns = data.get("columns")
    if not isinstance(columns, dict) or not columns:
        raise SchemaError("'columns' must map field ids to column names", where(("columns",)))
    seen: dict[str, str] = {}
    out: dict[str, str] = {}
    for f, col in columns.items():
        here = ("columns", f)
        if not isinstance(f, str):
            raise SchemaError("a field id must be text", where(("columns",)))
        if not isinstance(col, str) or not col or len(col) > MAX_COLUMN_NAME or "\x00" in col:
            raise SchemaError(
                f"the column for field '{f}' must be a non-empty name of at most {MAX_COLUMN_NAME} characters",
                where(here),
            )
        if col in seen:
            raise SchemaError(f"fields '{seen[col]}' and '{f}' are both mapped to one column", where(here))
        seen[col] = f
        out[f] = col
    return ColumnMapping(out, dictionary, source)


def load_mapping(path: str | Path) -> ColumnMapping:
    """Read a column-mapping YAML file. Errors name the file, line and column."""
    from ..yamlsource import read_yaml

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
    return mapping_from_data({"columns": dict(mapping)}) if mapping else ColumnMapping()
