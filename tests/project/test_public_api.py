"""The public surface is small and pinned; importing the package stays cheap."""

from __future__ import annotations

import contextlib
import importlib
import pkgutil
import subprocess
import sys
import types

import pytest

import trafficscreen
from trafficscreen.errors import MissingExtraError

# httpx style: each package's exported names, exactly. A change here is a change of the public API: say
# so in CHANGELOG.md ("Library"), and keep the old name importable for a release when one goes.
PINNED: dict[str, list[str]] = {
    "trafficscreen": [
        "CompiledSet",
        "ConditionError",
        "ContentError",
        "DEFAULT_SET",
        "DataDictionary",
        "DraftSetError",
        "Encounter",
        "EncounterError",
        "Form",
        "IndicatorSet",
        "Issue",
        "Level",
        "MissingExtraError",
        "SchemaError",
        "Screener",
        "ScreeningResult",
        "SetNotFoundError",
        "TemplateError",
        "TrafficscreenError",
        "UnsupportedLanguageError",
        "YAMLSyntaxError",
        "__version__",
        "load_dictionary",
        "load_set",
        "render_guidance",
        "render_text",
        "screen",
        "validate_paths",
    ],
    "trafficscreen.cql": [
        "TestCase",
        "build_package",
        "check_package",
        "cql_text",
        "elm_library",
        "expected_outputs",
        "read_package",
        "vignette_cases",
        "write_package",
    ],
    "trafficscreen.expr": [
        "ConditionSyntaxError",
        "ConditionTypeError",
        "Node",
        "Scope",
        "T",
        "TypeChecker",
        "VarType",
        "evaluate",
        "names",
        "parse_condition",
    ],
    "trafficscreen.fhir": [
        "FhirError",
        "FhirExportError",
        "FhirNotInstalledError",
        "FhirValidationError",
        "NextQuestionError",
        "QUALITATIVE_RISK",
        "QuestionnaireResponseError",
        "check_bundle",
        "check_resource",
        "encounter_from_questionnaire_response",
        "questionnaire",
        "to_fhir",
        "validate_bundle",
        "validate_questionnaire",
    ],
    "trafficscreen.render": ["render_guidance", "render_text"],
    "trafficscreen.research": [
        "CohortError",
        "CohortInput",
        "ColumnarSet",
        "Evaluation",
        "clopper_pearson",
        "compare_frames",
        "evaluate_counts",
        "evaluate_scored",
        "mcnemar",
        "metrics_from_counts",
        "pack",
        "read_packed",
        "read_table",
        "score_file",
        "score_frame",
        "score_packed",
        "synth_cohort",
        "wilson",
        "write_packed",
        "write_table",
    ],
    "trafficscreen.server": ["ServerConfig", "ServerConfigError", "create_app"],
    "trafficscreen.sql": [
        "ColumnMapping",
        "DIALECTS",
        "ENGINES",
        "SqlError",
        "build_query",
        "check_sql",
        "load_mapping",
        "output_columns",
        "score_duckdb",
        "score_spark",
        "synthetic_cohort",
        "to_sql",
    ],
}
EXTRA_OF_PACKAGE = {
    "trafficscreen.research": "polars",
    "trafficscreen.sql": "duckdb",
    "trafficscreen.server": "starlette",
}


def test_the_pins_are_written_sorted() -> None:
    for package, names in PINNED.items():
        assert names == sorted(names), package


@pytest.mark.parametrize("package", sorted(PINNED))
def test_exported_names_are_pinned(package: str) -> None:
    assert sorted(importlib.import_module(package).__all__) == PINNED[package]


@pytest.mark.parametrize("package", sorted(PINNED))
def test_every_export_resolves(package: str) -> None:
    """Every name in ``__all__`` and every lazy export (some are kept out of ``__all__``) resolves."""
    if package in EXTRA_OF_PACKAGE:
        pytest.importorskip(EXTRA_OF_PACKAGE[package])
    module = importlib.import_module(package)
    for name in module.__all__:
        assert getattr(module, name) is not None, f"{package}.{name}"
    for name in sorted(set(getattr(module, "_EXPORTS", {})) - set(module.__all__)):
        # kept out of __all__ because it needs an extra: it resolves, or names the extra to install
        with contextlib.suppress(MissingExtraError):
            assert getattr(module, name) is not None, f"{package}.{name}"
    assert set(dir(module)) >= set(module.__all__)


@pytest.mark.parametrize("package", sorted(PINNED))
def test_no_export_is_hidden_by_a_submodule_of_its_name(package: str) -> None:
    """Importing a submodule binds it to the package attribute of its name: an export sharing that name
    must not turn into the module once the submodule is loaded (``trafficscreen.fhir.questionnaire``)."""
    if package in EXTRA_OF_PACKAGE:
        pytest.importorskip(EXTRA_OF_PACKAGE[package])
    module = importlib.import_module(package)
    for info in pkgutil.iter_modules(module.__path__, package + "."):
        with contextlib.suppress(ImportError):  # a submodule that needs a missing extra
            importlib.import_module(info.name)
    hidden = [name for name in module.__all__ if isinstance(getattr(module, name, None), types.ModuleType)]
    assert hidden == []


def test_score_frame_is_importable_but_not_star_exported() -> None:
    # `from trafficscreen import *` must work on a base install; score_frame needs the research extra
    assert "score_frame" not in trafficscreen.__all__
    pytest.importorskip("polars")
    from trafficscreen import score_frame
    from trafficscreen.research import score_frame as research_score_frame

    assert score_frame is research_score_frame


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        trafficscreen.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected AttributeError")


def test_import_loads_no_heavy_module() -> None:
    code = (
        "import sys, trafficscreen\n"
        "heavy = [m for m in ('pydantic', 'yaml', 'jinja2', 'fhir', 'polars') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_screening_does_not_import_optional_extras() -> None:
    code = (
        "import sys, trafficscreen\n"
        "trafficscreen.Screener(trafficscreen.load_set('ilo-child-labour')).screen({'answers': {}})\n"
        "print(','.join(m for m in ('jinja2', 'fhir', 'polars') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_doctest_in_package_docstring() -> None:
    import doctest

    failures, _ = doctest.testmod(trafficscreen)
    assert failures == 0
