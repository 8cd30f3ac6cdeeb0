"""Shared helpers for the research tests: random encounters drawn from a set's data dictionary."""

from __future__ import annotations

import random
from typing import Any

import polars as pl

from trafficscreen.core.compiled import CompiledSet
from trafficscreen.model.dictionary import FieldType

_DTYPES = {
    FieldType.BOOLEAN: pl.Boolean(),
    FieldType.INTEGER: pl.Int64(),
    FieldType.NUMBER: pl.Float64(),
    FieldType.ENUM: pl.String(),
    FieldType.SET: pl.List(pl.String()),
    FieldType.DATE: pl.String(),
}


def random_answers(cs: CompiledSet, rng: random.Random, p_unknown: float = 0.3) -> dict[str, Any]:
    """Answers to the fields the set reads, each unknown (left out) with probability ``p_unknown``."""
    out: dict[str, Any] = {}
    for f in cs.used_fields:
        if rng.random() < p_unknown:
            continue
        fd = cs.dictionary.by_id[f]
        t = fd.type
        if t is FieldType.BOOLEAN:
            out[f] = rng.random() < 0.35
        elif t is FieldType.INTEGER:
            out[f] = rng.randint(int(fd.min if fd.min is not None else 0), int(fd.max if fd.max is not None else 100))
        elif t is FieldType.NUMBER:
            out[f] = round(rng.uniform(fd.min if fd.min is not None else 0, fd.max if fd.max is not None else 100), 1)
        elif t is FieldType.ENUM:
            out[f] = rng.choice(sorted(fd.codes))
        elif t is FieldType.SET:
            # sometimes a value twice: the single path treats a list as a set
            picked = [c for c in sorted(fd.codes) if rng.random() < 0.2]
            out[f] = picked + picked[:1] if rng.random() < 0.05 else picked
        else:
            out[f] = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return out


def frame_of(cs: CompiledSet, rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Answers as a DataFrame with an id column, one column per field the set reads (null = unknown)."""
    schema = {"id": pl.String(), **{f: _DTYPES[cs.dictionary.by_id[f].type] for f in cs.used_fields}}
    data = {"id": [f"e{i}" for i in range(len(rows))], **{f: [r.get(f) for r in rows] for f in cs.used_fields}}
    return pl.DataFrame(data, schema=schema)
