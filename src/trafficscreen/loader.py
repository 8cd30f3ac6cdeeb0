"""Moved to :mod:`trafficscreen.content.loader`; kept so old imports work."""

from .content.loader import (
    DEFAULT_SET,
    Document,
    content_root,
    find_dictionary,
    find_set,
    load_dictionary,
    load_set,
    read_dictionary,
    read_document,
    read_status,
    resolve_set,
    shipped_dictionaries,
    shipped_sets,
    validate_model,
    versions_in,
)

__all__ = [
    "DEFAULT_SET",
    "Document",
    "content_root",
    "find_dictionary",
    "find_set",
    "load_dictionary",
    "load_set",
    "read_dictionary",
    "read_document",
    "read_status",
    "resolve_set",
    "shipped_dictionaries",
    "shipped_sets",
    "validate_model",
    "versions_in",
]
