"""Load content from YAML: data dictionaries and indicator sets, by id, id@version or path.

Shipped content lives in ``indicators/`` (a checkout) or ``trafficscreen/_indicators`` (an installed
wheel)::

    indicators/dictionaries/<id>/<version>.yaml
    indicators/sets/<id>/<version>.yaml

Loading checks everything that can be checked without an encounter — the format, cross-references, and
every condition parsed and type-checked against the dictionary — and reports the first problem as one
line with ``file:line:column``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..errors import ConditionError, ContentError, DraftSetError, Location, SchemaError, SetNotFoundError
from ..model.common import semver_key
from ..model.dictionary import DataDictionary
from ..model.indicator_set import IndicatorSet, Status
from .yamlsource import Positions, parse_yaml, read_source, read_yaml

M = TypeVar("M", bound=BaseModel)


def content_root() -> Path:
    """Folder holding the shipped dictionaries and sets."""
    package = Path(__file__).resolve().parent.parent  # src/trafficscreen, or trafficscreen in a wheel
    packaged = package / "_indicators"
    if packaged.is_dir():
        return packaged
    checkout = package.parent.parent / "indicators"
    return checkout


@dataclass(frozen=True)
class Document:
    """A parsed YAML content file: its data, positions and the sha256 of its bytes."""

    path: Path
    data: Any
    positions: Positions
    sha256: str


def read_document(path: Path) -> Document:
    """Read and parse a content file once; the digest is of the very bytes parsed."""
    text, raw = read_source(path)
    data, positions = parse_yaml(text, str(path))
    return Document(path, data, positions, hashlib.sha256(raw).hexdigest())


def _friendly(err: Any) -> str:
    kind = err.get("type", "")
    loc = err.get("loc", ())
    if kind == "extra_forbidden":
        return f"unknown key '{loc[-1]}'" if loc else "unknown key"
    if kind == "missing":
        return f"missing required key '{loc[-1]}'" if loc else "missing required key"
    msg = str(err.get("msg", "invalid value"))
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    where = ".".join(str(p) for p in loc if isinstance(p, str) and not p.startswith("function-"))
    return f"{where}: {msg}" if where and kind not in ("value_error",) else msg


def validate_model(model: type[M], doc: Document) -> M:
    """Validate parsed YAML against a pydantic model, turning the first error into a located line."""
    if not isinstance(doc.data, dict):
        raise SchemaError("the file must hold a mapping of keys to values at the top", doc.positions.locate(()))
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        first = errors[0]
        loc = tuple(p for p in first.get("loc", ()) if isinstance(p, (str, int)))
        # pydantic adds the tag of a union member or a validator name; keep only real keys
        loc = tuple(p for p in loc if not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        where = doc.positions.locate_key(loc) if first.get("type") == "extra_forbidden" else doc.positions.locate(loc)
        raise SchemaError(_friendly(first) + more, where) from None


# --- the registry of shipped (or authored) content -------------------------------------------------


def versions_in(folder: Path) -> list[tuple[str, Path]]:
    """(version, path) of every ``<semver>.yaml`` in ``folder``, oldest first."""
    out: list[tuple[str, Path]] = []
    if folder.is_dir():
        for p in folder.glob("*.yaml"):
            try:
                semver_key(p.stem)
            except ValueError:
                continue
            out.append((p.stem, p))
    out.sort(key=lambda vp: semver_key(vp[0]))
    return out


def _looks_like_path(ref: str) -> bool:
    return "/" in ref or "\\" in ref or ref.endswith((".yaml", ".yml")) or Path(ref).is_file()


def _split_ref(ref: str) -> tuple[str, str | None]:
    if "@" in ref:
        ident, version = ref.split("@", 1)
        return ident, version
    return ref, None


def find_dictionary(ref: str, near: Path | None = None) -> Path:
    """Path of dictionary ``id@version``, looked for beside an authored set first, then in shipped content."""
    ident, version = _split_ref(ref)
    roots: list[Path] = []
    if near is not None:
        for parent in near.resolve().parents:
            if (parent / "dictionaries").is_dir():
                roots.append(parent / "dictionaries")
                break
    roots.append(content_root() / "dictionaries")
    for root in roots:
        versions = versions_in(root / ident)
        if not versions:
            continue
        if version is None:
            return versions[-1][1]
        for v, p in versions:
            if v == version:
                return p
    raise SetNotFoundError(f"no data dictionary '{ref}' (looked in {', '.join(str(r) for r in roots)})")


def find_set(ref: str, allow_draft: bool = False) -> Path:
    """Path of a shipped set: ``id`` (newest active version) or ``id@version``, or a file path."""
    return _locate_set(ref, allow_draft)[0]


def _locate_set(ref: str, allow_draft: bool) -> tuple[Path, Document | None]:
    """:func:`find_set`, plus the set's parsed document when finding it meant reading its status (so
    :func:`load_set` does not parse the same file twice)."""
    if _looks_like_path(ref):
        p = Path(ref)
        if not p.exists():
            raise SetNotFoundError("no such file", Location(ref))
        return p, None
    ident, version = _split_ref(ref)
    versions = versions_in(content_root() / "sets" / ident)
    if not versions:
        known = ", ".join(sorted(d.name for d in (content_root() / "sets").iterdir() if d.is_dir()))
        raise SetNotFoundError(f"no indicator set '{ident}'; shipped sets: {known}")
    if version is not None:
        for v, p in versions:
            if v == version:
                return p, None
        raise SetNotFoundError(f"set '{ident}' has no version {version}; versions: {', '.join(v for v, _ in versions)}")
    # newest version whose status allows use without an explicit version
    for _v, p in reversed(versions):
        doc = read_document(p)
        status = _status_of(doc.data)
        if status == Status.ACTIVE.value or (allow_draft and status == Status.DRAFT.value):
            return p, doc
    raise DraftSetError(
        f"set '{ident}' has no active version; name a version explicitly (e.g. {ident}@{versions[-1][0]}) "
        "or allow drafts to use it for research"
    )


def _status_of(data: Any) -> str | None:
    status = data.get("status") if isinstance(data, dict) else None
    return status if isinstance(status, str) else None


def read_status(path: Path) -> str | None:
    """The ``status`` of a set file, read as the loader reads it (the safe YAML reader), so a trailing
    comment, quotes or the key's place in the file change nothing. A file the loader would refuse raises
    the loader's error rather than being passed over for an older version."""
    return _status_of(read_yaml(path)[0])


def _peek_status(path: Path) -> str | None:
    """:func:`read_status`, or None for a file that cannot be read (for listings, which show '?')."""
    try:
        return read_status(path)
    except (ContentError, SetNotFoundError):
        return None


def _shipped(kind: str) -> list[tuple[str, str, Path]]:
    """(id, version, path) of every shipped file of ``kind`` (``sets`` or ``dictionaries``), sorted."""
    root = content_root() / kind
    if not root.is_dir():
        return []
    folders = sorted(p for p in root.iterdir() if p.is_dir())
    return [(d.name, v, p) for d in folders for v, p in versions_in(d)]


def shipped_sets() -> list[tuple[str, str, Path]]:
    """(id, version, path) of every shipped set, sorted."""
    return _shipped("sets")


def shipped_dictionaries() -> list[tuple[str, str, Path]]:
    """(id, version, path) of every shipped dictionary, sorted."""
    return _shipped("dictionaries")


def load_dictionary(ref_or_path: str | Path) -> DataDictionary:
    """Load and validate a data dictionary by ``id``, ``id@version`` or path."""
    return read_dictionary(ref_or_path)[0]


def read_dictionary(ref_or_path: str | Path, near: Path | None = None) -> tuple[DataDictionary, Document]:
    """Load and validate a data dictionary, returning the parsed document too."""
    ref = str(ref_or_path)
    path = Path(ref) if isinstance(ref_or_path, Path) or _looks_like_path(ref) else find_dictionary(ref, near)
    doc = read_document(path)
    dictionary = validate_model(DataDictionary, doc)
    seen: dict[str, int] = {}
    for i, f in enumerate(dictionary.fields):
        if f.id in seen:
            raise SchemaError(f"duplicated field id '{f.id}'", doc.positions.locate(("fields", i, "id")))
        seen[f.id] = i
    from ..core.interview import check_ask_rules

    check_ask_rules(dictionary, doc.positions)
    _check_file_name(doc, dictionary.id, dictionary.version)
    return dictionary, doc


def _check_file_name(doc: Document, ident: str, version: str) -> None:
    """Inside a registry folder the path must agree with the id and version, so refs stay unambiguous."""
    p = doc.path.resolve()
    if p.parent.parent.name in ("sets", "dictionaries") and (p.parent.name != ident or p.stem != version):
        raise SchemaError(
            f"file is at {p.parent.name}/{p.name} but declares {ident} {version}; it must be {ident}/{version}.yaml",
            doc.positions.locate(("version",)),
        )


DEFAULT_SET = "paediatric-default"
"""The set an entry point uses when none is named."""


def resolve_set(indicator_set: CompiledSet | str | Path | None = None, *, allow_draft: bool = False) -> CompiledSet:
    """The set an entry point screens or scores with: an id, ``id@version``, path or compiled set
    (``None``: :data:`DEFAULT_SET`). The one draft policy, shared by every entry point.

    A set that is not active (a research draft, a retired version) is refused with
    :class:`~trafficscreen.errors.DraftSetError` unless ``allow_draft`` is true, *however it was named
    or loaded*: a draft must never produce clinical-looking output because it arrived compiled.
    :func:`load_set` still loads a draft named by its version (loading is not screening: validation,
    diffs and the catalogue read drafts); whatever screens or scores comes through here.
    """
    from ..core.compiled import CompiledSet

    if isinstance(indicator_set, CompiledSet):
        compiled = indicator_set
    else:
        compiled = load_set(indicator_set if indicator_set is not None else DEFAULT_SET, allow_draft=allow_draft)
    status = compiled.definition.status
    if status is not Status.ACTIVE and not allow_draft:
        raise DraftSetError(f"set '{compiled.id}' is {status.value}; pass allow_draft=True to use it for research")
    return compiled


def load_set(
    ref_or_path: str | Path, *, allow_draft: bool = False, dictionary: str | Path | None = None
) -> CompiledSet:
    """Load, check and compile an indicator set.

    ``ref_or_path`` is a shipped id (newest active version), ``id@version`` (any status), or a path to a
    YAML file. A draft or retired set is refused unless named with its version or ``allow_draft`` is set.
    ``dictionary`` overrides where the set's data dictionary is read from.
    """
    from ..core.compiled import CompiledSet, check_set

    ref = str(ref_or_path)
    explicit = isinstance(ref_or_path, Path) or _looks_like_path(ref) or "@" in ref
    path, found = (ref_or_path, None) if isinstance(ref_or_path, Path) else _locate_set(ref, allow_draft)
    doc = found if found is not None else read_document(path)
    definition = validate_model(IndicatorSet, doc)
    _check_file_name(doc, definition.id, definition.version)
    if definition.status is not Status.ACTIVE and not (explicit or allow_draft):
        raise DraftSetError(f"set '{definition.id}' is {definition.status.value}; name its version or allow drafts")
    dict_path = Path(str(dictionary)) if dictionary is not None else find_dictionary(definition.dictionary, near=path)
    data_dictionary, dict_doc = read_dictionary(dict_path)
    if data_dictionary.ref != definition.dictionary:
        raise SchemaError(
            f"the set uses dictionary {definition.dictionary} but {dict_path} is {data_dictionary.ref}",
            doc.positions.locate(("dictionary",)),
        )
    trees = check_set(definition, data_dictionary, doc.positions)
    return CompiledSet(definition, data_dictionary, trees, doc.sha256, dict_doc.sha256, path)


__all__ = [
    "DEFAULT_SET",
    "ConditionError",
    "Document",
    "content_root",
    "load_dictionary",
    "load_set",
    "resolve_set",
    "shipped_dictionaries",
    "shipped_sets",
]

from ..core.compiled import CompiledSet  # noqa: E402  (a type only; import last to avoid a cycle)
