"""How a cohort's answers are encoded in columns for the columnar backend.

The reading side (:mod:`.frames`, :mod:`.packed`) writes this encoding and the scoring side
(:mod:`.columnar`) reads it, so it lives apart from both. A yes/no field is two plain (never null)
Boolean columns, ``<field>.yes`` and ``<field>.no`` (both false: unknown); a choice is its position in
the dictionary's list of values; a set of choices is a bit mask with bit *i* for the *i*-th value (a list
of codes beyond :data:`MAX_MASK_CODES` values). See :mod:`.columnar` for why.
"""

from __future__ import annotations

import polars as pl

from ..model.dictionary import FieldDef, FieldType

MAX_MASK_CODES = 56
"""A set-of-choices field with at most this many values is encoded as a bit mask (else a list)."""

YES = ".yes"
NO = ".no"


def encoded_columns(fd: FieldDef) -> dict[str, pl.DataType]:
    """The encoded columns of a dictionary field, by name, as the backend reads them."""
    if fd.type is FieldType.BOOLEAN:
        return {fd.id + YES: pl.Boolean(), fd.id + NO: pl.Boolean()}
    return {fd.id: encoded_dtype(fd)}


def answered_expr(fd: FieldDef) -> pl.Expr:
    """True where an encoded frame holds an answer to the field."""
    if fd.type is FieldType.BOOLEAN:
        return pl.col(fd.id + YES) | pl.col(fd.id + NO)
    return pl.col(fd.id).is_not_null()


def encoded_dtype(fd: FieldDef) -> pl.DataType:
    """The polars dtype of a field's values (a yes/no field is encoded as two such columns)."""
    t = fd.type
    if t is FieldType.BOOLEAN:
        return pl.Boolean()
    if t is FieldType.INTEGER:
        return pl.Int64()
    if t is FieldType.NUMBER:
        return pl.Float64()
    if t is FieldType.ENUM:
        return code_dtype(fd)
    if t is FieldType.SET:
        return mask_dtype(fd) if uses_mask(fd) else pl.List(pl.String())
    return pl.Date()


def code_dtype(fd: FieldDef) -> pl.DataType:
    """The narrowest unsigned integer that holds a choice field's positions (narrow columns test faster)."""
    n = len(fd.values or ())
    return pl.UInt8() if n <= 2**8 else pl.UInt16() if n <= 2**16 else pl.UInt32()


def mask_dtype(fd: FieldDef) -> pl.DataType:
    """The narrowest unsigned integer with a bit for each value of a set-of-choices field."""
    n = len(fd.values or ())
    return pl.UInt8() if n <= 8 else pl.UInt16() if n <= 16 else pl.UInt32() if n <= 32 else pl.UInt64()


def uses_mask(fd: FieldDef) -> bool:
    return fd.type is FieldType.SET and len(fd.values or ()) <= MAX_MASK_CODES


def value_codes(fd: FieldDef) -> tuple[str, ...]:
    """A choice field's values in dictionary order: position *i* encodes value *i*."""
    return tuple(v.code for v in fd.values or ())
