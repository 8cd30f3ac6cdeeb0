"""A base install (no extras) works: ``from trafficscreen import *``, screening, and the core tests.

Rather than build a second virtual environment in every run (slow on CI's two cores), each test starts
a Python whose ``sitecustomize`` makes every optional dependency unimportable, as on a machine where
``pip install trafficscreen`` installed only the core. This is the CI step for issue 15: ``make test``
runs it with the rest.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from paths import ROOT, TESTS

EXTRAS = (
    "polars",
    "numpy",
    "sqlglot",
    "duckdb",
    "pyspark",
    "fhir",  # fhir.resources
    "starlette",
    "uvicorn",
    "jwt",
    "httpx",
    "markdown_it",
    "httptools",
    "uvloop",
    "psycopg",
)
"""Top-level modules of every optional dependency in pyproject.toml."""

CORE_TESTS = (
    "cli/test_cli.py",
    "content/test_content.py",
    "core/test_draft_policy.py",
    "core/test_engine.py",
    "project/test_errors.py",
    "render/test_guidance.py",
    "content/test_loader.py",
    "project/test_messages.py",
    "expr/test_parser.py",
    "project/test_public_api.py",
    "expr/test_types.py",
    "core/test_vignettes.py",
    "content/test_yamlsource.py",
)
"""Tests of the core (paths under tests/) that must pass without extras (the parts needing one skip themselves)."""

_BLOCKER = """
import importlib.abc
import sys

BLOCKED = frozenset({blocked!r})


class _BaseInstall(importlib.abc.MetaPathFinder):
    # first on the meta path: an optional dependency is 'not installed' however it is imported
    def find_spec(self, fullname, path=None, target=None):
        if fullname.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{fullname!r}} (base install)", name=fullname)
        return None


sys.meta_path.insert(0, _BaseInstall())
"""


def _base_python(tmp_path: Path, args: list[str]) -> subprocess.CompletedProcess[str]:
    (tmp_path / "sitecustomize.py").write_text(_BLOCKER.format(blocked=sorted(EXTRAS)))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(tmp_path), env.get("PYTHONPATH", "")) if p)
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)


def test_star_import_and_screening_work_without_extras(tmp_path: Path) -> None:
    code = textwrap.dedent(
        """
        import json, pathlib, sys
        from trafficscreen import *

        for path in sorted(pathlib.Path("examples/encounters").glob("*.json")):
            result = screen(json.loads(path.read_text()))
            assert result.level in Level, path
        try:
            import polars
        except ImportError:
            pass
        else:
            raise AssertionError("polars should be blocked")
        import trafficscreen
        try:
            trafficscreen.score_frame
        except MissingExtraError as exc:
            print(exc.extra, exc.code)
        loaded = [m for m in sys.modules if m.partition(".")[0] in {blocked!r}]
        print(loaded)
        """
    ).format(blocked=set(EXTRAS))
    out = _base_python(tmp_path, ["-c", code])
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["research extra.missing", "[]"]


def test_core_tests_pass_without_extras(tmp_path: Path) -> None:
    tests = [str(TESTS / name) for name in CORE_TESTS]
    out = _base_python(tmp_path, ["-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests])
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
