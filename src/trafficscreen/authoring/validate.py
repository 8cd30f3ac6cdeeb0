"""``trafficscreen validate``: check content files and run the examples beside each indicator.

Problems come back as :class:`Issue` values (errors stop a file from loading or an example from
passing; warnings point at something worth a look, such as a missing translation) rather than
exceptions, so one run reports every file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from ..core.compiled import CompiledSet
from ..errors import EncounterError, Location, TrafficscreenError
from ..expr.interpret import evaluate
from ..model.common import LocalText
from ..model.encounter import check_answers

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Issue:
    severity: Severity
    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.severity}: {self.message}"


def _yaml_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            yield from sorted(q for q in p.rglob("*.y*ml") if q.suffix in (".yaml", ".yml"))
        else:
            yield p


def _kind(path: Path) -> str | None:
    """The file's ``kind``, read by the safe YAML reader as the loaders read it (a trailing comment or
    quotes change nothing). A file that is not readable YAML raises the reader's located error."""
    from ..content.yamlsource import read_yaml

    data, _positions = read_yaml(path)
    kind = data.get("kind") if isinstance(data, dict) else None
    return kind if isinstance(kind, str) else None


def _missing_translations(text: LocalText | None, where: Location, what: str) -> list[Issue]:
    if text is None:
        return []
    missing = text.missing()
    if not missing:
        return []
    return [Issue("warning", where, f"{what}: no {', '.join(missing)} translation")]


def validate_dictionary(path: Path) -> list[Issue]:
    from ..content.loader import read_dictionary

    issues: list[Issue] = []
    dictionary, doc = read_dictionary(path)
    loc = doc.positions.locate
    issues += _missing_translations(dictionary.title, loc(("title",)), "title")
    for i, f in enumerate(dictionary.fields):
        issues += _missing_translations(f.label, loc(("fields", i, "label")), f"field '{f.id}' label")
        issues += _missing_translations(f.question, loc(("fields", i, "question")), f"field '{f.id}' question")
        for j, v in enumerate(f.values or ()):
            issues += _missing_translations(
                v.label, loc(("fields", i, "values", j, "label")), f"field '{f.id}' value '{v.code}'"
            )
    return issues


def validate_set(path: Path, today: date | None = None) -> list[Issue]:
    from ..content.loader import load_set

    issues: list[Issue] = []
    cs = load_set(path, allow_draft=True)
    from ..content.loader import read_document

    positions = read_document(path).positions
    loc = positions.locate
    d = cs.definition
    for message, where in cs.checked.warnings:
        issues.append(Issue("warning", where, message))
    issues += _missing_translations(d.title, loc(("title",)), "title")
    issues += _missing_translations(d.description, loc(("description",)), "description")
    for i, dim in enumerate(d.dimensions):
        issues += _missing_translations(dim.title, loc(("dimensions", i, "title")), f"dimension '{dim.id}'")
    for i, lv in enumerate(d.levels):
        issues += _missing_translations(lv.title, loc(("levels", i, "title")), f"level '{lv.id}'")
    for i, (ind, (tree, _checker)) in enumerate(zip(d.indicators, cs.checked.indicators, strict=True)):
        here = ("indicators", i)
        issues += _missing_translations(ind.text, loc((*here, "text")), f"indicator '{ind.id}'")
        ex = ind.examples
        if not (ex.met and ex.not_met):
            issues.append(
                Issue("warning", loc(here), f"indicator '{ind.id}' needs at least one met and one not_met example")
            )
        for kind, want in (("met", True), ("not_met", False), ("unknown", None)):
            for j, answers in enumerate(getattr(ex, kind)):
                where = loc((*here, "examples", kind, j))
                try:
                    normal = check_answers(answers, cs.dictionary, str(where))
                except EncounterError as exc:
                    issues.append(Issue("error", where, f"example of '{ind.id}': {exc.message}"))
                    continue
                got = evaluate(tree, normal)
                compiled = _compiled_status(cs, i, normal)
                if got is not want or compiled is not want:
                    shown = {True: "met", False: "not met", None: "unknown"}
                    issues.append(
                        Issue(
                            "error",
                            where,
                            f"indicator '{ind.id}': this {kind.replace('_', ' ')} example is {shown[got]}",
                        )
                    )
    return issues


def _compiled_status(cs: CompiledSet, index: int, answers: dict[str, object]) -> bool | None:
    """The status the compiled set gives; examples must agree in both the reference and compiled paths."""
    value: bool | None = cs.run(answers)[0][index]
    return value


REFERRAL_KINDS = ("referral-pack", "site", "referral-messages")


def validate_referral(path: Path, kind: str, today: date | None = None) -> list[Issue]:
    """Check a jurisdiction pack, a site file or a guidance message catalogue.

    A contact or step without ``source`` or ``checked`` is an error (the model requires both); one
    checked more than a year before ``today`` is a warning; a catalogue missing a key of the English
    one, or with a key or placeholder it does not have, is an error.
    """
    from ..content.referral import check_catalogue, read_pack, read_site, stale
    from ..model.referral import Contact, Step

    if kind == "referral-messages":
        return [
            Issue("error" if p.severity == "error" else "warning", p.location, p.message) for p in check_catalogue(path)
        ]
    issues: list[Issue] = []
    if kind == "referral-pack":
        pack, doc = read_pack(path)
        entries: list[tuple[str, int, Contact | Step]] = [("contacts", i, c) for i, c in enumerate(pack.contacts)]
        entries += [("steps", i, s) for i, s in enumerate(pack.steps)]
        if not pack.verified:
            issues.append(
                Issue(
                    "warning",
                    doc.positions.locate(("verified",)),
                    f"pack {pack.ref} is not verified: deployers must confirm its contacts",
                )
            )
    else:
        site, doc = read_site(path)
        entries = [("contacts", i, c) for i, c in enumerate(site.contacts)]
        entries += [("steps", i, s) for i, s in enumerate(site.steps)]
    now = today or date.today()
    for key, i, entry in entries:
        where = doc.positions.locate((key, i, "checked"))
        if stale(entry.checked, now):
            issues.append(
                Issue(
                    "warning",
                    where,
                    f"{key[:-1]} '{entry.id}' was last checked on {entry.checked.isoformat()}, more than a year ago",
                )
            )
        elif entry.checked > now:
            issues.append(Issue("warning", where, f"{key[:-1]} '{entry.id}' has a check date in the future"))
    return issues


def validate_paths(paths: Iterable[str | Path]) -> list[Issue]:
    """Validate every YAML file under ``paths`` (files or folders). Never raises for bad content."""
    issues: list[Issue] = []
    for path in _yaml_files(paths):
        try:
            if not path.exists():
                issues.append(Issue("error", Location(str(path)), "no such file"))
                continue
            kind = _kind(path)
            if kind == "dictionary":
                issues += validate_dictionary(path)
            elif kind == "indicator-set":
                issues += validate_set(path)
            elif kind in REFERRAL_KINDS:
                issues += validate_referral(path, kind)
            else:
                issues.append(
                    Issue(
                        "error",
                        Location(str(path), 1, 1),
                        "not a content file: the first lines must say 'kind: dictionary', "
                        "'kind: indicator-set', 'kind: referral-pack', 'kind: site' or "
                        "'kind: referral-messages'",
                    )
                )
        except TrafficscreenError as exc:
            issues.append(Issue("error", exc.location or Location(str(path)), exc.message))
    return issues


__all__ = ["Issue", "validate_paths"]
