"""Encounters: the answers collected in one visit, checked against a data dictionary.

An answer that is absent or ``null`` is *unknown* — never *no*. Errors name the field and the kind of
value that was wrong, never the value itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, NoReturn

from pydantic import BaseModel, ConfigDict, Field

from ..errors import EncounterError, JSONInputError, Location, shown_name
from .dictionary import DataDictionary, FieldDef, FieldType

MAX_ENCOUNTER_BYTES = 1024 * 1024
MAX_ID_LENGTH = 200
MAX_INT_DIGITS = 4300
"""Longest JSON integer read (Python's own limit for turning text into an int)."""
SUGGEST_LIMIT = 3
"""Unknown answer keys for which a spelling suggestion is searched; the rest are only counted."""
SUGGEST_MAX_KEY = 64
"""Longest unknown key a suggestion is searched for."""
MAX_PROBLEMS_KEPT = 100
"""Problems of one encounter kept in full on the error (the message says how many there were)."""

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")
_SURROGATE = re.compile("[\ud800-\udfff]")


# --- strict JSON -------------------------------------------------------------------------------------


def no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise JSONInputError(
                f"duplicate key '{shown_name(key)}' in a JSON object (JSON read here may name "
                "a key once; the last one would silently win)"
            )
        out[key] = value
    return out


def _check_unicode(data: Any) -> None:
    """Refuse a lone surrogate anywhere in parsed JSON, naming the key of the member that holds it."""
    stack: list[tuple[Any, str | None]] = [(data, None)]
    while stack:
        node, key = stack.pop()
        if isinstance(node, str):
            if _SURROGATE.search(node):
                where = f"'{shown_name(key)}'" if key is not None else "a text value"
                raise JSONInputError(f"{where} is not valid Unicode text (it holds a lone surrogate)")
        elif isinstance(node, dict):
            for k, v in node.items():
                if _SURROGATE.search(k):
                    raise JSONInputError("a key is not valid Unicode text (it holds a lone surrogate)")
                stack.append((v, k))
        elif isinstance(node, list):
            stack.extend((v, key) for v in node)


def _bounded_int(text: str) -> int:
    if len(text) - text.startswith("-") > MAX_INT_DIGITS:
        raise JSONInputError(f"a number of more than {MAX_INT_DIGITS} digits")
    return int(text)


def _no_constant(name: str) -> Any:
    # NaN and Infinity are not JSON; json.loads reads them unless told otherwise
    raise JSONInputError(f"'{name}' is not a JSON value (write a number, or leave the answer out for unknown)")


def strict_json_loads(text: str | bytes) -> Any:
    """``json.loads`` that refuses what would otherwise be read silently or crash later: an object
    naming a key twice, an integer of more than 4,300 digits, NaN or Infinity, a lone surrogate (``"\\ud800"``, not
    Unicode) in a key or a text value. Those raise :class:`JSONInputError` naming the key (never a
    value) and no location; malformed JSON raises :class:`json.JSONDecodeError` as ``json.loads`` does.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    data = json.loads(text, object_pairs_hook=no_duplicate_keys, parse_int=_bounded_int, parse_constant=_no_constant)
    if _SURROGATE_ESCAPE.search(text):  # only an escape can put a surrogate into decoded UTF-8
        _check_unicode(data)
    return data


class Encounter(BaseModel):
    """``{"id": "...", "answers": {"<field id>": value, ...}}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str | None = Field(default=None, max_length=MAX_ID_LENGTH, description="caller's reference")
    answers: dict[str, Any] = Field(default_factory=dict)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _coerce(fd: FieldDef, value: Any) -> tuple[Any, str | None]:
    """(normalised value, problem). The problem text never includes the value."""
    t = fd.type
    # the common well-formed answers first, by exact type (a screen checks dozens of answers)
    if t is _ENUM and value.__class__ is str and value in fd.codes:
        return value, None
    if t is _SET and value.__class__ is list and _ONLY_TEXT.issuperset(map(type, value)) and fd.codes.issuperset(value):
        return frozenset(value), None
    if (
        t is _INTEGER
        and value.__class__ is int
        and (fd.min is None or fd.min <= value)
        and (fd.max is None or value <= fd.max)
    ):
        return value, None
    return _coerce_any(fd, t, value)


_ENUM, _SET, _INTEGER = FieldType.ENUM, FieldType.SET, FieldType.INTEGER
_ONLY_TEXT = frozenset({str})


def _coerce_any(fd: FieldDef, t: FieldType, value: Any) -> tuple[Any, str | None]:
    """:func:`_coerce` for every answer, with the reason an answer is refused."""
    return _BY_TYPE[t](fd, value)


def _boolean(_fd: FieldDef, value: Any) -> tuple[Any, str | None]:
    if isinstance(value, bool):
        return value, None
    return None, f"expected true or false, got {_kind(value)}"


def _number(fd: FieldDef, value: Any) -> tuple[Any, str | None]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None, f"expected a number, got {_kind(value)}"
    if fd.type is FieldType.INTEGER and isinstance(value, float):
        if not value.is_integer():
            return None, "expected a whole number, got a fraction"
        value = int(value)
    if value != value or value in (float("inf"), float("-inf")):
        return None, "expected a finite number"
    if fd.min is not None and value < fd.min:
        return None, f"below the smallest allowed value ({fd.min:g})"
    if fd.max is not None and value > fd.max:
        return None, f"above the largest allowed value ({fd.max:g})"
    return value, None


def _choice(fd: FieldDef, value: Any) -> tuple[Any, str | None]:
    if not isinstance(value, str):
        return None, f"expected one of its choices as text, got {_kind(value)}"
    if value not in fd.codes:
        return None, "the answer is not one of its choices (" + ", ".join(sorted(fd.codes)) + ")"
    return value, None


def _choices(fd: FieldDef, value: Any) -> tuple[Any, str | None]:
    if not isinstance(value, list):
        return None, f"expected a list of choices, got {_kind(value)}"
    for item in value:
        if not isinstance(item, str):
            return None, f"expected a list of choices as text, got a list holding {_kind(item)}"
        if item not in fd.codes:
            return None, "the list holds an answer that is not one of its choices (" + ", ".join(sorted(fd.codes)) + ")"
    return frozenset(value), None


def _date(_fd: FieldDef, value: Any) -> tuple[Any, str | None]:
    if not isinstance(value, str):
        return None, f"expected a date as text (YYYY-MM-DD), got {_kind(value)}"
    try:
        return date.fromisoformat(value), None
    except ValueError:
        return None, "expected a date written YYYY-MM-DD"


_BY_TYPE: dict[FieldType, Callable[[FieldDef, Any], tuple[Any, str | None]]] = {
    FieldType.BOOLEAN: _boolean,
    FieldType.INTEGER: _number,
    FieldType.NUMBER: _number,
    FieldType.ENUM: _choice,
    FieldType.SET: _choices,
    FieldType.DATE: _date,
}


def check_answers(answers: Mapping[str, Any], dictionary: DataDictionary, source: str = "encounter") -> dict[str, Any]:
    """Validate ``answers`` against ``dictionary`` and return them normalised, unknowns dropped.

    Raises :class:`EncounterError` naming every problem field (never a value).
    """
    if not isinstance(answers, Mapping):
        raise EncounterError("'answers' must be an object mapping field ids to answers", Location(source))
    fields = dictionary.by_id
    yes_no = dictionary.boolean_fields
    # copied whole, then only the answers that are not a yes or no are looked at: most of an encounter's
    # answers are yes/no, and a copy costs less than storing each
    out = dict(answers)
    for key, value in answers.items():
        if (value is True or value is False) and key in yes_no:
            continue
        fd = fields.get(key) if isinstance(key, str) else None
        if fd is None:
            _refuse(answers, dictionary, source)
        if value is None:
            del out[key]  # null means not asked or not answered: unknown
            continue
        normal, problem = _coerce(fd, value)
        if problem:
            _refuse(answers, dictionary, source)
        out[key] = normal
    return out


def _refuse(answers: Mapping[str, Any], dictionary: DataDictionary, source: str) -> NoReturn:
    """Raise the error for answers :func:`check_answers` refuses, naming every problem (up to a bound)."""
    fields = dictionary.by_id
    problems: list[str] = []
    count = 0
    suggested = 0
    for key, value in answers.items():
        fd = fields.get(key) if isinstance(key, str) else None
        if fd is None:
            count += 1
            name = shown_name(key)
            extra = ""
            # the spelling search is the costly part: only for the first few short, readable keys
            if suggested < SUGGEST_LIMIT and name == key and len(key) <= SUGGEST_MAX_KEY:
                import difflib

                suggested += 1
                hint = difflib.get_close_matches(key, list(fields), n=1)
                extra = f" (did you mean '{hint[0]}'?)" if hint else ""
            if len(problems) < MAX_PROBLEMS_KEPT:
                problems.append(f"'{name}' is not a field of {dictionary.ref}{extra}")
            continue
        if value is None:
            continue
        _normal, problem = _coerce(fd, value)
        if problem:
            count += 1
            if len(problems) < MAX_PROBLEMS_KEPT:
                problems.append(f"field '{key}': {problem}")
    more = f" (and {count - 1} more problem(s))" if count > 1 else ""
    raise EncounterError(problems[0] + more, Location(source), problems=problems)


def parse_encounter_json(text: str | bytes, source: str = "encounter") -> Encounter:
    """Parse encounter JSON with one-line errors (line:column for syntax, the key for structure)."""
    if isinstance(text, bytes):
        if len(text) > MAX_ENCOUNTER_BYTES:
            raise EncounterError(f"larger than {MAX_ENCOUNTER_BYTES // 1024} KB", Location(source))
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise EncounterError("not UTF-8 text", Location(source)) from None
    if len(text) > MAX_ENCOUNTER_BYTES:
        raise EncounterError(f"larger than {MAX_ENCOUNTER_BYTES // 1024} KB", Location(source))
    if not text.strip():
        raise EncounterError("empty input", Location(source))
    try:
        data = strict_json_loads(text)
    except json.JSONDecodeError as exc:
        raise EncounterError(f"not valid JSON: {exc.msg}", Location(source, exc.lineno, exc.colno)) from None
    except JSONInputError as exc:
        raise JSONInputError(exc.message, Location(source)) from None
    except RecursionError:
        raise EncounterError("JSON nested too deeply", Location(source)) from None
    return encounter_from_data(data, source)


def encounter_from_data(data: Any, source: str = "encounter") -> Encounter:
    """Check the shape of an encounter given as JSON-shaped data (answers are checked later)."""
    if isinstance(data, Encounter):
        return data
    enc_id, answers = split_encounter(data, source)
    return Encounter.model_construct(id=enc_id, answers=answers)


def split_encounter(data: Any, source: str = "encounter") -> tuple[str | None, dict[str, Any]]:
    """(id, answers) of an encounter given as JSON-shaped data, or as JSON text (read by
    :func:`parse_encounter_json`), with one-line errors for a bad shape."""
    if isinstance(data, (str, bytes)):
        data = parse_encounter_json(data, source)
    if isinstance(data, Encounter):
        _check_id(data.id, source)
        return data.id, data.answers
    if not isinstance(data, dict):
        raise EncounterError(
            'an encounter must be a JSON object like {"id": "...", "answers": {...}}', Location(source)
        )
    unknown = [k for k in data if k not in ("id", "answers")]
    if unknown:
        raise EncounterError(
            f"unknown top-level key '{shown_name(unknown[0])}' (an encounter has 'id' and 'answers'; "
            "answers go inside 'answers')",
            Location(source),
        )
    enc_id = data.get("id")
    _check_id(enc_id, source)
    answers = data.get("answers", {})
    if not isinstance(answers, dict):
        raise EncounterError("'answers' must be an object mapping field ids to answers", Location(source))
    return enc_id, answers


def _check_id(enc_id: Any, source: str) -> None:
    if enc_id is None:
        return
    if not isinstance(enc_id, str):
        raise EncounterError("'id' must be text", Location(source))
    if len(enc_id) > MAX_ID_LENGTH:
        raise EncounterError(f"'id' is longer than {MAX_ID_LENGTH} characters", Location(source))
    if _SURROGATE.search(enc_id):
        raise EncounterError("'id' is not valid Unicode text (it holds a lone surrogate)", Location(source))
