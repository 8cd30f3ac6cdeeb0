"""The public surface is small and pinned; importing the package stays cheap."""

from __future__ import annotations

import subprocess
import sys

import trafficscreen

EXPECTED = {
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
    "SchemaError",
    "Screener",
    "ScreeningResult",
    "SetNotFoundError",
    "TrafficscreenError",
    "UnsupportedLanguageError",
    "YAMLSyntaxError",
    "__version__",
    "load_dictionary",
    "load_set",
    "render_text",
    "screen",
    "validate_paths",
}


def test_exported_names_are_pinned() -> None:
    # other parts (guidance, FHIR, research) add their own names; the core ones must stay
    assert set(trafficscreen.__all__) >= EXPECTED
    for name in trafficscreen.__all__:
        assert getattr(trafficscreen, name) is not None, name


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        trafficscreen.no_such_name  # type: ignore[attr-defined]  # noqa: B018
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
