"""A ratchet on branchy code: no new function above McCabe complexity 10, and the old ones only shrink.

Complexity is ruff's (rule C901, threshold ``[tool.ruff.lint.mccabe]`` in pyproject.toml). The functions
above it today are listed in ``tests/data/complexity_allowlist.txt``, one per line as
``path::qualified.name complexity``. The test fails when a function not on the list goes above the
threshold, when a listed one grows, and when a listed one is no longer above it (take it off the list,
so the list only shrinks). ``python tests/project/test_complexity.py`` prints the figures;
``--write`` rewrites the list from the tree as it is (for a function that was split or renamed).
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

# Not tests/paths.py: this file also runs as a script, where tests/ is not on sys.path.
ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "trafficscreen"
ALLOWLIST = ROOT / "tests" / "data" / "complexity_allowlist.txt"
MESSAGE = re.compile(r"`(?P<name>[^`]+)` is too complex \((?P<value>\d+) > (?P<limit>\d+)\)")

Key = tuple[str, str]  # (path from the repository root, qualified name)


def _qualnames(path: Path) -> dict[int, str]:
    """Line of each ``def`` -> its dotted name (``Class.method``, ``outer.inner``)."""
    out: dict[int, str] = {}

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    out[child.lineno] = name
                walk(child, name + ".")
            else:
                walk(child, prefix)

    walk(ast.parse(path.read_text(encoding="utf-8")), "")
    return out


def measured() -> dict[Key, int]:
    """Every function of the package above the threshold, with its complexity."""
    options = ["--select", "C901", "--output-format", "json", "--exit-zero", "--no-cache", "--quiet"]
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "check", str(SRC), *options],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    found: dict[Key, int] = {}
    names: dict[Path, dict[int, str]] = {}
    for item in json.loads(proc.stdout):
        match = MESSAGE.fullmatch(item["message"])
        assert match, item["message"]
        path = Path(item["filename"])
        where = names.setdefault(path, _qualnames(path))
        qualname = where.get(item["location"]["row"], match["name"])
        found[(path.relative_to(ROOT).as_posix(), qualname)] = int(match["value"])
    return found


def allowed() -> dict[Key, int]:
    out: dict[Key, int] = {}
    for line in ALLOWLIST.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            where, value = line.rsplit(" ", 1)
            path, qualname = where.split("::")
            out[(path, qualname)] = int(value)
    return out


def count_functions() -> int:
    return sum(
        isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
        for p in SRC.rglob("*.py")
        for n in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
    )


def _ruff_available() -> bool:
    return subprocess.run([sys.executable, "-m", "ruff", "--version"], capture_output=True).returncode == 0


@pytest.mark.skipif(not _ruff_available(), reason="ruff is not installed (the dev extra)")
def test_no_function_grows_more_complex() -> None:
    now, listed = measured(), allowed()
    new = {f"{p}::{q} ({v})" for (p, q), v in now.items() if (p, q) not in listed}
    grew = {f"{p}::{q} ({listed[p, q]} -> {v})" for (p, q), v in now.items() if (p, q) in listed and v > listed[p, q]}
    assert not new, f"above complexity 10; split them into well-named helpers: {sorted(new)}"
    assert not grew, f"more complex than allowed; flatten them instead: {sorted(grew)}"


@pytest.mark.skipif(not _ruff_available(), reason="ruff is not installed (the dev extra)")
def test_the_allowlist_only_shrinks() -> None:
    now, listed = measured(), allowed()
    done = sorted(f"{p}::{q}" for p, q in listed if (p, q) not in now)
    assert not done, f"no longer above complexity 10 (or gone): remove them from {ALLOWLIST.name}: {done}"
    lower = sorted(f"{p}::{q} {v}" for (p, q), v in now.items() if (p, q) in listed and v < listed[p, q])
    assert not lower, f"simpler than listed: lower their figures in {ALLOWLIST.name}: {lower}"


def _write(found: dict[Key, int]) -> None:
    lines = [f"{p}::{q} {v}" for (p, q), v in sorted(found.items())]
    header = "# Functions above McCabe complexity 10 (ruff C901), path::name complexity. Only ever shrinks.\n"
    ALLOWLIST.write_text(header + "\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    found = measured()
    if "--write" in sys.argv:
        _write(found)
    total = count_functions()
    print(f"{len(found)} of {total} functions above complexity 10 ({100 * len(found) / total:.1f}%)")
