"""The package's import graph has no cycles, and only ``cli/`` knows argparse.

Every module under ``src/trafficscreen`` is parsed with :mod:`ast` (nothing is imported). An edge
``a -> b`` is any import of ``b`` written in ``a``: at module level *and* inside functions, since a
deferred import still ties the two modules together, it only hides the knot. Imports under
``if TYPE_CHECKING:`` are left out: they never run, and annotations may name a type from anywhere.
``from pkg import name`` points at ``pkg.name`` when that is a module, otherwise at ``pkg``; the
ancestor packages Python imports on the way are not edges (every module would depend on its
``__init__``, and a package re-exporting its own modules would be a cycle by construction).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from paths import ROOT as REPO

PACKAGE = "trafficscreen"
ROOT = REPO / "src" / PACKAGE

KNOWN_CYCLES: set[frozenset[str]] = set()
"""Cycles that are known debt, each as the set of modules it runs through: the test fails when one of
them is gone (shrink this list) and when any other cycle appears."""


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement, skipping the bodies of ``if TYPE_CHECKING:`` (their ``else`` still runs)."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
            continue
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]  # relative to the module's package
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _targets(module: str, path: Path, node: ast.Import | ast.ImportFrom, known: dict[str, Path]) -> Iterator[str]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name == PACKAGE or alias.name.startswith(PACKAGE + "."):
                yield alias.name
        return
    target = _absolute(module, path.name == "__init__.py", node)
    if target != PACKAGE and not target.startswith(PACKAGE + "."):
        return
    for alias in node.names:
        sub = f"{target}.{alias.name}"
        yield sub if sub in known else target


def import_graph() -> dict[str, set[str]]:
    """Module -> the modules of the package it imports (only modules that exist; no self-edges)."""
    known = _modules()
    graph: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in _imports(tree):
            graph[name].update(t for t in _targets(name, path, node, known) if t in known and t != name)
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's components with more than one module: each is a knot of one or more cycles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component: list[str] = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def one_cycle(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """A shortest cycle through the component's first module, as a path that returns to its start."""
    members = set(component)
    start = component[0]
    paths: dict[str, list[str]] = {start: [start]}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph[v] & members):
            if w == start:
                return [*paths[v], start]
            if w not in paths:
                paths[w] = [*paths[v], w]
                queue.append(w)
    raise AssertionError(f"{component} is not strongly connected")  # pragma: no cover


def test_the_graph_sees_deferred_imports() -> None:
    graph = import_graph()
    # cli._main registers its commands through importlib; _io is a plain import, fhir.py's is in a function
    assert "trafficscreen.cli._io" in graph["trafficscreen.cli._main"]
    assert "trafficscreen.fhir.export" in graph["trafficscreen.cli.fhir"]
    assert "trafficscreen.research.packed" in graph["trafficscreen.research.batch"]


def test_no_import_cycles() -> None:
    graph = import_graph()
    components = strongly_connected(graph)
    unknown = [c for c in components if frozenset(c) not in KNOWN_CYCLES]
    described = "\n".join(" -> ".join(one_cycle(graph, c)) + f"   (knot of {len(c)} modules)" for c in unknown)
    assert not unknown, f"import cycles:\n{described}"
    gone = KNOWN_CYCLES - {frozenset(c) for c in components}
    assert not gone, f"known cycles no longer there, remove them from KNOWN_CYCLES: {sorted(map(sorted, gone))}"


def test_only_the_cli_imports_argparse() -> None:
    offenders = []
    for name, path in _modules().items():
        if name == f"{PACKAGE}.cli" or name.startswith(f"{PACKAGE}.cli."):
            continue
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if any(n == "argparse" or n.startswith("argparse.") for n in names):
                offenders.append(f"{name}:{node.lineno}")
    assert not offenders, f"argparse is the CLI's business (trafficscreen.cli): {offenders}"


def test_no_command_module_imports_the_registry() -> None:
    """``cli._main`` loads the command modules through importlib, which the graph above cannot see; a
    command module importing it back would be the hidden cycle the old ``cli.py`` had with ``fhir/cli.py``."""
    graph = import_graph()
    registry = f"{PACKAGE}.cli._main"
    back = sorted(
        m for m, deps in graph.items() if registry in deps and m not in (f"{PACKAGE}.cli", f"{PACKAGE}.cli.__main__")
    )
    assert not back, f"{back} import {registry}; share code through trafficscreen.cli._io instead"
