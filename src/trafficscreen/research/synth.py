"""Synthetic cohorts for testing pipelines — never for claims about accuracy.

Rows are drawn from the data dictionary of a set, reproducibly from a seed (numpy's PCG64 generator;
the same seed gives the same cohort with the same versions of trafficscreen and numpy). Each row has a
``label`` (1 with probability ``prevalence``) and every answer is unknown (null) with a per-field
probability between 10% and 30%. Answers that point towards an indicator of the set are more common
among label = 1 rows: for each field a rate among negatives (3–12%) and among positives (20–55%) is
drawn. Which answer "points towards" an indicator is read from the set's conditions: a yes/no field
used as ``field`` (rather than ``not field``), the choices a condition looks for (``==``, ``in``; the
other choices for ``!=``, ``not in``) and the values looked for in a set of choices. Fields the set does
not read are drawn with the same rate in both groups.

Every row carries ``synthetic = true``; ``evaluate`` and ``compare`` print a warning for such input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl

from ..core.compiled import CompiledSet
from ..expr.tree import And, Compare, Const, ConstList, In, Name, Node, Not, Or
from ..model.dictionary import FieldType
from .batch import SYNTHETIC
from .encoding import value_codes

LABEL = "label"


@dataclass
class _Leaning:
    """Which answers to each field make the set's indicators more likely."""

    bool_yes: dict[str, set[bool]] = field(default_factory=dict)  # field -> values that lean to "met"
    codes: dict[str, set[str]] = field(default_factory=dict)  # choice / set field -> codes that lean to "met"


def _lean(node: Node, positive: bool, out: _Leaning, cs: CompiledSet) -> None:
    by_id = cs.dictionary.by_id
    match node:
        case Not(operand=o):
            _lean(o, not positive, out, cs)
        case And(operands=ops) | Or(operands=ops):
            for o in ops:
                _lean(o, positive, out, cs)
        case Name(id=i) if i in by_id and by_id[i].type is FieldType.BOOLEAN:
            out.bool_yes.setdefault(i, set()).add(positive)
        case Compare(op=op, left=a, right=b) if op in ("==", "!="):
            name, const = (a, b) if isinstance(a, Name) else (b, a)
            if isinstance(name, Name) and isinstance(const, Const) and isinstance(const.value, str):
                fd = by_id.get(name.id)
                if fd is not None and fd.type is FieldType.ENUM:
                    wanted = (op == "==") == positive
                    chosen = {const.value} if wanted else set(fd.codes) - {const.value}
                    out.codes.setdefault(name.id, set()).update(chosen)
        case In(item=Name(id=i), container=ConstList(items=items), negate=neg):
            fd = by_id.get(i)
            if fd is not None and fd.type is FieldType.ENUM:
                listed = {str(c.value) for c in items}
                chosen = listed if (not neg) == positive else set(fd.codes) - listed
                out.codes.setdefault(i, set()).update(chosen)
        case In(item=Const(value=v), container=Name(id=i), negate=neg) if (not neg) == positive:
            out.codes.setdefault(i, set()).add(str(v))
        case _:
            pass


def leanings(cs: CompiledSet) -> _Leaning:
    out = _Leaning()
    for tree, _checker in cs.checked.indicators:
        _lean(tree, True, out, cs)
    return out


def synth_cohort(cs: CompiledSet, n: int, prevalence: float, seed: int) -> pl.DataFrame:
    """A synthetic cohort of ``n`` rows for ``cs``'s data dictionary (see the module docstring)."""
    import numpy as np

    if n < 1:
        raise ValueError("n must be at least 1")
    if not 0 <= prevalence <= 1:
        raise ValueError("prevalence must be between 0 and 1")
    rng = np.random.default_rng(seed)
    label = rng.random(n) < prevalence
    lean = leanings(cs)
    used = set(cs.used_fields)
    values: dict[str, Any] = {}  # column -> numpy array, or a polars expression over such columns
    masks: dict[str, Any] = {}
    exprs: list[pl.Expr] = []
    for k, fd in enumerate(cs.dictionary.fields):
        rate_neg = rng.uniform(0.005, 0.03)
        rate_pos = rng.uniform(0.15, 0.45) if fd.id in used else rate_neg
        p_unknown = rng.uniform(0.10, 0.30)
        masks[f"u{k}"] = rng.random(n) < p_unknown
        leaning = rng.random(n) < np.where(label, rate_pos, rate_neg)
        t = fd.type
        if t is FieldType.BOOLEAN:
            yes_leans = lean.bool_yes.get(fd.id, {True})
            # a field read both ways (x and not x) leans nowhere in particular: keep "yes"
            values[f"v{k}"] = leaning if True in yes_leans else ~leaning
            expr = pl.col(f"v{k}")
        elif t is FieldType.ENUM:
            codes = list(value_codes(fd))
            toward = [i for i, c in enumerate(codes) if c in lean.codes.get(fd.id, set())] or list(range(len(codes)))
            away = [i for i in range(len(codes)) if i not in toward] or list(range(len(codes)))
            pick = np.where(
                leaning,
                np.array(toward)[rng.integers(0, len(toward), n)],
                np.array(away)[rng.integers(0, len(away), n)],
            )
            values[f"v{k}"] = pick.astype(np.uint16)
            expr = pl.col(f"v{k}").replace_strict(list(range(len(codes))), codes, return_dtype=pl.String)
        elif t is FieldType.SET:
            codes = list(value_codes(fd))
            toward_set = lean.codes.get(fd.id, set())
            n_toward = max(1, len(toward_set & set(codes)))
            flags = []
            for c in codes:
                if c in toward_set:
                    # per value, so that "any of the values looked for" has about the field's rate
                    p = 1 - (1 - np.where(label, rate_pos, rate_neg)) ** (1 / n_toward)
                else:
                    p = np.full(n, 0.1)
                flags.append(pl.Series(c, rng.random(n) < p))
            values[f"v{k}"] = _lists(pl.DataFrame(flags), n)
            expr = pl.col(f"v{k}")
        elif t in (FieldType.INTEGER, FieldType.NUMBER):
            lo = fd.min if fd.min is not None else 0
            hi = fd.max if fd.max is not None else 100
            if t is FieldType.INTEGER:
                values[f"v{k}"] = rng.integers(int(lo), int(hi) + 1, n)
            else:
                values[f"v{k}"] = np.round(rng.uniform(lo, hi, n), 1)
            expr = pl.col(f"v{k}")
        else:
            values[f"v{k}"] = rng.integers(0, 730, n)
            expr = pl.lit(date(2024, 1, 1)) + pl.duration(days=pl.col(f"v{k}"))
        exprs.append(pl.when(pl.col(f"u{k}")).then(None).otherwise(expr).alias(fd.id))
    raw = pl.DataFrame([pl.Series(k, v) for k, v in (values | masks).items()])
    return raw.select(
        pl.format("syn-{}", pl.int_range(1, n + 1).cast(pl.String).str.zfill(7)).alias("id"),
        pl.Series(LABEL, label.astype(np.int8)),
        pl.lit(True).alias(SYNTHETIC),
        *exprs,
    )


def _lists(flags: pl.DataFrame, n: int) -> pl.Series:
    """Per row, the names of the true columns of ``flags``, in column order (an empty list for none)."""
    chosen = (
        flags.with_row_index("row")
        .unpivot(index="row", variable_name="code")
        .filter(pl.col("value"))
        .group_by("row", maintain_order=True)
        .agg(pl.col("code"))
    )
    full = pl.DataFrame({"row": pl.int_range(0, n, dtype=pl.UInt32, eager=True)})
    joined = full.join(chosen, on="row", how="left").sort("row")
    return joined.get_column("code").fill_null(pl.lit([], dtype=pl.List(pl.String)))
