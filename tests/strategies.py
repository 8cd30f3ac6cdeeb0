"""Hypothesis strategies shared by the property tests."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from trafficscreen.core.compiled import CompiledSet
from trafficscreen.model.dictionary import FieldDef, FieldType

# --- well-typed condition text over a small field scope -------------------------------------------

BOOLS = ["fa", "fb", "fc"]
ENUM_CODES = ["parent", "employer", "none"]
SET_CODES = ["domestic", "street", "farm"]


def _atom() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(BOOLS),
        st.builds(
            lambda op, n: f"age {op} {n}", st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), st.integers(0, 20)
        ),
        st.builds(lambda n, m: f"age + {n} > n2 - {m}", st.integers(0, 5), st.integers(0, 5)),
        st.builds(lambda c: f'who == "{c}"', st.sampled_from(ENUM_CODES)),
        st.builds(
            lambda cs, neg: f"who {'not in' if neg else 'in'} [{', '.join(repr(c) for c in cs)}]",
            st.lists(st.sampled_from(ENUM_CODES), min_size=1, max_size=3),
            st.booleans(),
        ),
        st.builds(lambda c, neg: f'"{c}" {"not in" if neg else "in"} work', st.sampled_from(SET_CODES), st.booleans()),
        st.builds(
            lambda f, w: f"{f} is {w}",
            st.sampled_from([*BOOLS, "age", "who"]),
            st.sampled_from(["known", "unknown", "not known"]),
        ),
        st.sampled_from(["true", "false"]),
    )


def conditions() -> st.SearchStrategy[str]:
    return st.recursive(
        _atom(),
        lambda inner: st.one_of(
            st.builds(lambda a: f"not ({a})", inner),
            st.builds(lambda a, b: f"({a}) and ({b})", inner, inner),
            st.builds(lambda a, b: f"({a}) or ({b})", inner, inner),
            st.builds(lambda a, b, c: f"({a}) and ({b}) or ({c})", inner, inner, inner),
        ),
        max_leaves=8,
    )


def field_envs() -> st.SearchStrategy[dict[str, Any]]:
    maybe = st.none() | st.booleans()
    return st.fixed_dictionaries(
        {
            "fa": maybe,
            "fb": maybe,
            "fc": maybe,
            "age": st.none() | st.integers(0, 20),
            "n2": st.none() | st.integers(0, 20),
            "who": st.none() | st.sampled_from(ENUM_CODES),
            "work": st.none() | st.frozensets(st.sampled_from(SET_CODES)),
        }
    )


# --- count rules ------------------------------------------------------------------------------------


def count_rules() -> st.SearchStrategy[str]:
    names = ["strong", "medium", "weak"]
    term = st.one_of(
        st.sampled_from(names),
        st.builds(lambda a, b: f"{a} + {b}", st.sampled_from(names), st.sampled_from(names)),
        st.builds(lambda a, b: f"{a} - {b}", st.sampled_from(names), st.sampled_from(names)),
        st.builds(lambda k, a: f"{k} * {a}", st.integers(-2, 3), st.sampled_from(names)),
    )
    atom = st.builds(
        lambda t, op, n: f"{t} {op} {n}", term, st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), st.integers(-1, 4)
    )
    return st.recursive(
        atom,
        lambda inner: st.one_of(
            st.builds(lambda a, b: f"({a}) and ({b})", inner, inner),
            st.builds(lambda a, b: f"({a}) or ({b})", inner, inner),
            st.builds(lambda a: f"not ({a})", inner),
        ),
        max_leaves=5,
    )


def intervals() -> st.SearchStrategy[tuple[int, int]]:
    return st.tuples(st.integers(0, 4), st.integers(0, 3)).map(lambda t: (t[0], t[0] + t[1]))


# --- encounters for a compiled set ------------------------------------------------------------------


def answer_for(fd: FieldDef) -> st.SearchStrategy[Any]:
    t = fd.type
    if t is FieldType.BOOLEAN:
        return st.booleans()
    if t in (FieldType.INTEGER, FieldType.NUMBER):
        lo = int(fd.min) if fd.min is not None else 0
        hi = int(fd.max) if fd.max is not None else 100
        return st.integers(lo, hi)
    codes = sorted(fd.codes)
    if t is FieldType.ENUM:
        return st.sampled_from(codes)
    if t is FieldType.SET:
        return st.lists(st.sampled_from(codes), unique=True, max_size=len(codes))
    return st.dates().map(lambda d: d.isoformat())


def answers_for(cs: CompiledSet, p_known: float = 0.5) -> st.SearchStrategy[dict[str, Any]]:
    """Answers to a random subset of the fields the set reads."""
    fields = [cs.dictionary.by_id[f] for f in cs.used_fields]

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for fd in fields:
            if p_known >= 1 or draw(st.floats(0, 1)) < p_known:
                out[fd.id] = draw(answer_for(fd))
        return out

    return build()
