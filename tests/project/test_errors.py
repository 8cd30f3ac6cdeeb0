"""One error tree (issue 15): every public exception is defined in trafficscreen/errors.py, drawn in its
docstring under its first base, with a stable code of its own; old import paths keep working."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest

import trafficscreen
from trafficscreen import errors
from trafficscreen._lazy import EXTRA_OF
from trafficscreen.errors import (
    CohortError,
    EncounterError,
    FhirError,
    FhirNotInstalledError,
    MissingExtraError,
    QuestionnaireResponseError,
    ResultFileError,
    TrafficscreenError,
)

_LINE = re.compile(r"^(?P<indent>[ │├└─]*)(?P<name>[A-Z][A-Za-z]+)\s+(?P<code>[a-z_.]+)")
_CODE = re.compile(r"[a-z]+(_[a-z]+)*(\.[a-z]+(_[a-z]+)*)*")


def _import_everything() -> None:
    """Import every module of the package, so every exception class is defined; a module needing an
    extra that is not installed is passed over (its errors live in errors.py anyway)."""
    for info in pkgutil.walk_packages(trafficscreen.__path__, "trafficscreen."):
        if info.name.endswith(".__main__"):
            continue  # runs the command line
        try:
            importlib.import_module(info.name)
        except ImportError as exc:
            if (exc.name or "").partition(".")[0] not in EXTRA_OF:
                raise


def _subclasses(cls: type[TrafficscreenError]) -> set[type[TrafficscreenError]]:
    out: set[type[TrafficscreenError]] = set()
    for sub in cls.__subclasses__():
        out |= {sub, *_subclasses(sub)}
    return out


def _drawn() -> dict[str, tuple[str, str | None]]:
    """name -> (code, parent) as the docstring of errors.py draws them."""
    doc = errors.__doc__ or ""
    block = doc.split("The hierarchy::\n\n", 1)[1].split("\n\n", 1)[0]
    out: dict[str, tuple[str, str | None]] = {}
    parents: list[str] = []
    for line in block.splitlines():
        m = _LINE.match(line.strip("\n")[4:])  # the block is indented by four spaces
        assert m, line
        depth = len(m["indent"]) // 4
        parents[depth:] = [m["name"]]
        assert m["name"] not in out, f"{m['name']} drawn twice"
        out[m["name"]] = (m["code"], parents[depth - 1] if depth else None)
    return out


def _public_classes() -> list[type[TrafficscreenError]]:
    _import_everything()
    found: set[type[TrafficscreenError]] = {TrafficscreenError, *_subclasses(TrafficscreenError)}
    public = [c for c in found if c.__module__.startswith("trafficscreen") and not c.__name__.startswith("_")]
    return sorted(public, key=lambda c: (c.__module__, c.__name__))


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__name__}"


def test_every_public_error_is_defined_in_errors_py() -> None:
    outside = [_qualified(c) for c in _public_classes() if c.__module__ != "trafficscreen.errors"]
    assert sorted(outside) == []


def test_the_docstring_draws_every_class_under_its_first_base_with_its_code() -> None:
    drawn = _drawn()
    classes = _public_classes()
    assert sorted(c.__name__ for c in classes) == sorted(drawn)
    for cls in classes:
        code, parent = drawn[cls.__name__]
        assert code == cls.code, cls
        expected_parent = None if cls is TrafficscreenError else cls.__bases__[0].__name__
        assert parent == expected_parent, cls


def test_the_docstring_draws_no_class_that_does_not_exist() -> None:
    for name in _drawn():
        cls = getattr(errors, name, None)
        assert isinstance(cls, type) and issubclass(cls, TrafficscreenError), name


def test_every_class_has_its_own_stable_code() -> None:
    classes = _public_classes()
    codes = [c.__dict__.get("code") for c in classes]
    assert all(isinstance(code, str) and _CODE.fullmatch(code) for code in codes), codes
    assert len(set(codes)) == len(codes), codes


def test_the_errors_of_a_bare_condition_are_condition_errors_and_still_value_errors() -> None:
    from trafficscreen.expr import (
        ConditionSyntaxError,
        ConditionTypeError,
        Scope,
        TypeChecker,
        parse_condition,
        parser,
        types,
    )

    assert parser.ConditionSyntaxError is ConditionSyntaxError is errors.ConditionSyntaxError
    assert types.ConditionTypeError is ConditionTypeError is errors.ConditionTypeError
    with pytest.raises(ConditionSyntaxError) as syntax:
        parse_condition("a and")
    with pytest.raises(ConditionTypeError) as typed:
        TypeChecker(Scope("field")).check(parse_condition("x"))
    for exc in (syntax.value, typed.value):
        assert isinstance(exc, errors.ConditionError) and isinstance(exc, ValueError)
        assert str(exc) == exc.message and exc.location is None and exc.pos >= 1
    assert typed.value.pos == 1


def test_old_import_paths_still_work() -> None:
    from trafficscreen.fhir import adaptive
    from trafficscreen.fhir import errors as fhir_errors
    from trafficscreen.server import config

    assert fhir_errors.FhirError is errors.FhirError
    assert fhir_errors.QuestionnaireResponseError is errors.QuestionnaireResponseError
    assert adaptive.NextQuestionError is errors.NextQuestionError
    assert config.ServerConfigError is errors.ServerConfigError
    assert trafficscreen.fhir.FhirNotInstalledError is FhirNotInstalledError


def test_old_import_paths_of_the_optional_parts_still_work() -> None:
    pytest.importorskip("polars")
    pytest.importorskip("starlette")
    from trafficscreen.research import frames
    from trafficscreen.server import state

    assert frames.CohortError is CohortError
    assert state.ReplayStoreError is errors.ReplayStoreError


def test_cohort_and_result_file_errors_are_still_encounter_errors() -> None:
    assert issubclass(CohortError, EncounterError) and issubclass(ResultFileError, EncounterError)
    assert issubclass(QuestionnaireResponseError, FhirError) and issubclass(QuestionnaireResponseError, EncounterError)


def test_one_missing_extra_error() -> None:
    exc = MissingExtraError("research", "polars")
    assert (exc.extra, exc.module, exc.code) == ("research", "polars", "extra.missing")
    assert "pip install 'trafficscreen[research]'" in str(exc)
    assert isinstance(exc, ImportError), "a missing package is an ImportError to Python callers"
    fhir = FhirNotInstalledError()
    assert isinstance(fhir, MissingExtraError) and isinstance(fhir, FhirError) and fhir.extra == "fhir"
    assert "pip install 'trafficscreen[fhir]'" in str(fhir)


def test_problems_is_a_real_attribute() -> None:
    assert EncounterError("one").problems == ["one"]
    assert EncounterError("first (and 1 more)", problems=["first", "second"]).problems == ["first", "second"]


def test_an_encounter_lists_every_problem_and_no_value(mini_screener: trafficscreen.Screener) -> None:
    with pytest.raises(EncounterError) as info:
        mini_screener.screen({"answers": {"deceived": "secret-value", "no_such_field": "another-secret"}})
    assert len(info.value.problems) == 2
    assert "secret" not in str(info.value) and not any("secret" in p for p in info.value.problems)


def test_the_servers_error_bodies_carry_a_stable_code() -> None:
    pytest.importorskip("starlette")
    pytest.importorskip("jwt")
    from server_support import client
    from trafficscreen.server import ServerConfig

    json_body = {"content-type": "application/json"}
    with client(ServerConfig(insecure_dev_no_auth=True, jurisdiction="GB")) as dev:
        bad_answer = dev.post("/api/screen", json={"answers": {"no_such_field": True}}, headers=json_body)
        duplicate = dev.post("/api/screen", content=b'{"answers": {}, "answers": {}}', headers=json_body)
        wrong_type = dev.post("/api/screen", content=b"{}", headers={"content-type": "text/plain"})
        no_service = dev.post("/cds-services/no-such-service", json={})
    assert (bad_answer.status_code, bad_answer.json()["code"]) == (422, EncounterError.code)
    assert (duplicate.status_code, duplicate.json()["code"]) == (400, "request.invalid")
    assert (wrong_type.status_code, wrong_type.json()["code"]) == (415, "request.unsupported_media_type")
    assert (no_service.status_code, no_service.json()["code"]) == (404, "request.not_found")
    assert all("error" in r.json() for r in (bad_answer, duplicate, wrong_type, no_service))
