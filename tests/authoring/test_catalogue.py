"""The readable catalogue of indicator sets: its pages, and that the committed docs are current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import replace_in
from paths import ROOT
from trafficscreen.authoring.catalogue import (
    INDEX,
    MARKER,
    build_catalogue,
    differences,
    shipped_entries,
    write_catalogue,
)
from trafficscreen.content.loader import shipped_sets
from trafficscreen.errors import ContentError

DOCS = ROOT / "docs" / "indicators"


def test_committed_catalogue_is_current(tmp_path: Path) -> None:
    fresh = tmp_path / "indicators"
    write_catalogue(fresh)
    expected = {p.name: p.read_text(encoding="utf-8") for p in fresh.glob("*.md")}
    committed = {p.name: p.read_text(encoding="utf-8") for p in DOCS.glob("*.md")} if DOCS.is_dir() else {}
    stale = sorted(name for name in expected.keys() | committed.keys() if expected.get(name) != committed.get(name))
    assert not stale, (
        f"docs/indicators is out of date ({', '.join(stale)}): run `trafficscreen catalogue` and commit the result"
    )


def test_every_shipped_set_has_a_page_and_an_index_row() -> None:
    pages = build_catalogue()
    ids = {ident for ident, _v, _p in shipped_sets()}
    assert set(pages) == {f"{i}.md" for i in ids} | {INDEX}
    for ident in ids:
        assert f"| [{ident}]({ident}.md)" in pages[INDEX]
        page = pages[f"{ident}.md"]
        assert page.startswith(MARKER + "\n")
        for heading in ("## Sources", "## Dimensions", "## Levels", "## Indicators", "## Changelog"):
            assert heading in page, (ident, heading)
        assert "never means that the child is not trafficked" in page


def test_page_lists_every_indicator_with_its_grading_and_source() -> None:
    (entry,) = [e for e in shipped_entries() if e.definition.id == shipped_sets()[0][0]]
    s = entry.definition
    page = build_catalogue([entry])[f"{s.id}.md"]
    assert f"# {s.title.en}" in page and f"| version | {s.version}" in page
    for ind in s.indicators:
        row = next(line for line in page.splitlines() if line.startswith(f"| `{ind.id}` | ") and "|" in line[3:])
        assert f"`{ind.dimension}`" in row
        assert ("yes" if ind.source.verified else "no") in row.rsplit("|", 2)[-2]
    for lv in s.levels:
        assert f"- rule: `{' '.join(lv.when.split())}`" in page


def _mini_entries(content: Path) -> list[tuple[str, str, Path]]:
    first = content / "sets" / "mini" / "1.0.0.yaml"
    second = first.with_name("1.1.0.yaml")
    second.write_text(first.read_text(encoding="utf-8"), encoding="utf-8")
    replace_in(second, "version: 1.0.0\n", "version: 1.1.0\n")
    replace_in(second, "status: active", "status: draft")
    replace_in(second, "changelog:\n", "changelog:\n  - {version: 1.1.0, date: 2026-12-01, changes: [Points.]}\n")
    replace_in(second, "text: {en: Street}", 'text: {en: "Street | market"}')
    replace_in(
        second,
        "  - id: street\n    dimension: exploitation\n    strength: medium\n",
        "  - id: street\n    dimension: exploitation\n    strength: medium\n    points: 2\n",
    )
    accuracy = "accuracy: {instrument: Mini, study: {n: 10, sites: [a, b]}}\n"
    second.write_text(second.read_text(encoding="utf-8") + accuracy, encoding="utf-8")
    return [("mini", "1.0.0", first), ("mini", "1.1.0", second)]


def test_page_of_a_draft_with_versions_points_red_flags_and_pipes(content: Path) -> None:
    entries = shipped_entries(_mini_entries(content))
    page = build_catalogue(entries)["mini.md"]
    assert "| version | 1.1.0 (earlier: 1.0.0) |" in page
    assert "This set is **draft**" in page
    assert "| `street` | Street \\| market | `exploitation` | medium, 2 points | begging |" in page
    assert "| `hours` | Long hours | `exploitation` | strong, **red flag** |" in page
    assert "| `street` | `'street' in work_types` |" in page
    assert "- **1.1.0** (2026-12-01): Points." in page
    assert "## Published accuracy" in page and "- study:\n  - n: 10\n  - sites: a; b\n" in page
    index = build_catalogue(entries)[INDEX]
    assert "| [mini](mini.md) | 1.1.0 | draft | 5 | 2 | Mini set |" in index


def test_write_check_and_clean_up(content: Path, tmp_path: Path) -> None:
    pages = build_catalogue(shipped_entries(_mini_entries(content)))
    out = tmp_path / "docs"
    written = write_catalogue(out, pages)
    assert sorted(p.name for p in written) == ["README.md", "mini.md"]
    assert differences(out, pages) == [] and write_catalogue(out, pages) == []
    (out / "mini.md").write_text(MARKER + "\nedited by hand\n", encoding="utf-8")
    (out / "gone.md").write_text(MARKER + "\nfrom a removed set\n", encoding="utf-8")
    (out / "notes.md").write_text("# Notes kept by people\n", encoding="utf-8")
    assert differences(out, pages) == [
        f"{out / 'mini.md'}: out of date",
        f"{out / 'gone.md'}: no longer generated (its set is gone)",
    ]
    write_catalogue(out, pages)
    assert sorted(p.name for p in out.glob("*.md")) == ["README.md", "mini.md", "notes.md"]
    (out / "mini.md").write_text("# not generated\n", encoding="utf-8")
    with pytest.raises(ContentError, match="was not generated by the catalogue"):
        write_catalogue(out, pages)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trafficscreen.cli", *args], text=True, capture_output=True, cwd=ROOT, check=False
    )


def test_cli_writes_then_checks(tmp_path: Path) -> None:
    out = tmp_path / "cat"
    proc = run("catalogue", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert (out / INDEX).is_file()
    assert run("catalogue", "--out", str(out), "--check").returncode == 0
    page = next(p for p in out.glob("*.md") if p.name != INDEX)
    page.write_text(page.read_text(encoding="utf-8") + "extra\n", encoding="utf-8")
    stale = run("catalogue", "--out", str(out), "--check")
    assert stale.returncode == 1
    assert "run `trafficscreen catalogue`" in stale.stderr and f"{page}: out of date" in stale.stderr
