"""diff_sets and the version rule: what counts as a patch, a minor and a major change."""

from __future__ import annotations

import json
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import pytest

from conftest import replace_in
from paths import ROOT
from trafficscreen.content.loader import load_set, shipped_sets
from trafficscreen.diff import (
    SetDiff,
    bump_rank,
    diff_sets,
    implies,
    not_monotone,
    same_meaning,
    version_bump,
)
from trafficscreen.expr.parser import parse_condition
from trafficscreen.model.indicator_set import IndicatorSet


def next_version(content: Path, version: str, *edits: tuple[str, str]) -> Path:
    """A copy of the mini set as ``version``, with text replacements applied; returns its path."""
    old = content / "sets" / "mini" / "1.0.0.yaml"
    new = old.with_name(f"{version}.yaml")
    new.write_text(old.read_text(encoding="utf-8"), encoding="utf-8")
    replace_in(new, "version: 1.0.0\n", f"version: {version}\n")
    replace_in(new, "changelog:\n", f"changelog:\n  - {{version: {version}, date: 2026-12-01, changes: [test]}}\n")
    for a, b in edits:
        replace_in(new, a, b)
    return new


def mini_diff(content: Path, version: str, *edits: tuple[str, str]) -> SetDiff:
    old = load_set(content / "sets" / "mini" / "1.0.0.yaml").definition
    new = load_set(next_version(content, version, *edits)).definition
    return diff_sets(old, new)


# --- the version rule on constructed pairs ---------------------------------------------------------


def test_identical_sets_need_only_a_patch(content: Path) -> None:
    d = mini_diff(content, "1.0.1")
    assert d.changes == () and d.required_bump == "patch" and d.actual_bump == "patch" and d.ok


def test_translation_only_is_a_patch(content: Path) -> None:
    d = mini_diff(
        content,
        "1.0.1",
        ("text: {en: Deceived about the job}", "text: {en: Deceived about the job, pt: Enganada quanto ao trabalho}"),
    )
    assert d.required_bump == "patch"
    assert [(c.subject, c.attribute, c.bump) for c in d.changes] == [("indicator 'deceived_job'", "text.pt", "patch")]
    assert d.changed == ("deceived_job",) and d.ok


def test_wording_source_and_examples_are_patches(content: Path) -> None:
    d = mini_diff(
        content,
        "1.0.1",
        ("text: {en: Deceived about the job}", "text: {en: Lied to about the job}"),
        (
            'source: {source: ilo, locator: "x", verified: false}\n    examples:\n      met: [{deceived: true}]',
            'source: {source: ilo, locator: "list 2", verified: true}\n    examples:\n      met: [{deceived: true}]',
        ),
        ("unknown: [{accompanied_by: employer}]", "unknown: [{accompanied_by: employer}, {age_years: 3}]"),
    )
    assert d.required_bump == "patch", d.changes
    attrs = {c.attribute for c in d.changes}
    assert {"text.en", "source.locator", "source.verified", "examples"} <= attrs
    assert "meaning" in next(c.note for c in d.changes if c.attribute == "text.en")


def test_condition_written_differently_is_a_patch(content: Path) -> None:
    d = mini_diff(
        content,
        "1.0.1",
        (
            'when: accompanied_by == "employer" and age_years < 18',
            "when: age_years < 18 and (accompanied_by == 'employer')",
        ),
    )
    assert d.required_bump == "patch"
    assert d.changes[0].attribute == "condition" and "same meaning" in d.changes[0].note


def test_widened_condition_is_minor_and_narrowed_is_major(content: Path) -> None:
    wide = mini_diff(content, "1.1.0", ("    when: deceived\n", "    when: deceived or lives_at_work\n"))
    assert wide.required_bump == "minor" and wide.ok
    assert "widened" in wide.changes[0].note
    narrow = mini_diff(content, "1.1.0", ("    when: deceived\n", "    when: deceived and age_years < 18\n"))
    assert narrow.required_bump == "major" and not narrow.ok
    assert any("not a widening" in r for r in narrow.reasons)


def test_a_looser_bound_is_a_widening(content: Path) -> None:
    d = mini_diff(
        content,
        "1.1.0",
        (
            'when: accompanied_by == "employer" and age_years < 18',
            'when: accompanied_by == "employer" and age_years < 19',
        ),
    )
    assert d.required_bump == "minor"
    d = mini_diff(
        content,
        "2.0.0",
        (
            'when: accompanied_by == "employer" and age_years < 18',
            'when: accompanied_by == "employer" and age_years < 16',
        ),
    )
    assert d.required_bump == "major" and d.ok


def test_removing_an_indicator_is_major(content: Path) -> None:
    block = (
        "  - id: street\n    dimension: exploitation\n    strength: medium\n    forms: [begging]\n"
        "    when: \"'street' in work_types\"\n    text: {en: Street}\n"
        '    source: {source: ilo, locator: "x", verified: false}\n    examples:\n'
        "      met: [{work_types: [street, domestic]}]\n      not_met: [{work_types: []}]\n"
        "      unknown: [{}]\n"
    )
    d = mini_diff(content, "1.1.0", (block, ""))
    assert d.removed == ("street",) and d.required_bump == "major" and not d.ok
    assert any("'street' was removed" in r for r in d.reasons)


def test_removed_dimensions_and_levels_are_listed_in_the_old_sets_order() -> None:
    # they were a set difference, listed in an order that changed from run to run (hash seed)
    old = load_set("paediatric-default").definition
    kept = old.dimensions[:1]
    new = old.model_copy(
        update={
            "version": "9.0.0",
            "dimensions": kept,
            "indicators": [i for i in old.indicators if i.dimension == kept[0].id],
            "levels": old.levels[:1],
        }
    )
    removed = [c.subject for c in diff_sets(old, new).changes if c.attribute == "removed"]
    assert [s for s in removed if s.startswith("dimension ")] == [f"dimension '{d.id}'" for d in old.dimensions[1:]]
    assert [s for s in removed if s.startswith("level ")] == [f"level '{lv.id}'" for lv in old.levels[1:]]


def test_adding_an_indicator_is_minor(content: Path) -> None:
    extra = (
        "  - id: street_again\n    dimension: exploitation\n    strength: strong\n    forms: [begging]\n"
        "    when: \"'street' in work_types\"\n    text: {en: Street}\n"
        '    source: {source: ilo, locator: "x", verified: false}\n'
    )
    path = next_version(content, "1.1.0")
    path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")
    d = diff_sets(load_set(content / "sets" / "mini" / "1.0.0.yaml").definition, load_set(path).definition)
    assert d.added == ("street_again",) and d.required_bump == "minor" and d.ok


def test_strength_down_is_major_and_up_is_minor(content: Path) -> None:
    # recruitment holds with deceived_job (strong) + with_employer (medium); as two mediums it cannot
    down = mini_diff(
        content,
        "1.1.0",
        (
            "  - id: deceived_job\n    dimension: recruitment\n    strength: strong",
            "  - id: deceived_job\n    dimension: recruitment\n    strength: medium",
        ),
    )
    assert down.required_bump == "major"
    assert any("dimension 'recruitment' can become absent" in r and "strong=1, medium=1" in r for r in down.reasons)
    up = mini_diff(
        content,
        "1.1.0",
        (
            "  - id: street\n    dimension: exploitation\n    strength: medium",
            "  - id: street\n    dimension: exploitation\n    strength: strong",
        ),
    )
    assert up.required_bump == "minor", up.reasons


def test_moving_an_indicator_to_another_dimension_is_major(content: Path) -> None:
    d = mini_diff(
        content, "1.1.0", ("  - id: street\n    dimension: exploitation", "  - id: street\n    dimension: recruitment")
    )
    assert d.required_bump == "major"
    assert ("indicator 'street'", "dimension") in {(c.subject, c.attribute) for c in d.changes if c.bump == "major"}


def test_red_flag_removed_is_major_added_is_minor(content: Path) -> None:
    off = mini_diff(content, "1.1.0", ("    red_flag: true\n", "    red_flag: false\n"))
    assert off.required_bump == "major"
    on = mini_diff(
        content,
        "1.1.0",
        (
            "  - id: street\n    dimension: exploitation\n",
            "  - id: street\n    red_flag: true\n    dimension: exploitation\n",
        ),
    )
    assert on.required_bump == "minor"


def test_forms_change_is_minor(content: Path) -> None:
    d = mini_diff(content, "1.1.0", ("forms: [begging]", "forms: [begging, labour]"))
    assert [(c.attribute, c.bump) for c in d.changes] == [("forms", "minor")]


def test_dimension_rule_stricter_is_major_looser_is_minor(content: Path) -> None:
    rule = (
        'dimension_rule: "strong >= 2 or (strong >= 1 and medium + weak >= 1) or medium >= 3 or '
        '(medium >= 2 and weak >= 1)"'
    )
    strict = mini_diff(content, "1.1.0", (rule, 'dimension_rule: "strong >= 2 or medium >= 3"'))
    assert strict.required_bump == "major"
    assert any("with strong=1, medium=1 the old rule holds" in r for r in strict.reasons)
    loose = mini_diff(content, "1.1.0", (rule, rule[:-1] + ' or strong >= 1"'))
    assert loose.required_bump == "minor" and loose.ok
    reordered = mini_diff(
        content,
        "1.0.1",
        (
            rule,
            'dimension_rule: "medium >= 3 or (medium >= 2 and weak >= 1) or '
            'strong >= 2 or (strong >= 1 and weak + medium >= 1)"',
        ),
    )
    assert reordered.required_bump == "patch"
    assert all(c.bump == "patch" and "same meaning" in c.note for c in reordered.changes)


def test_level_rule_changes(content: Path) -> None:
    stricter = mini_diff(
        content, "1.1.0", ('when: "recruitment or exploitation or strong >= 1"', 'when: "recruitment or exploitation"')
    )
    assert stricter.required_bump == "major"
    assert any("the old rules reach 'concern' and the new ones 'none'" in r for r in stricter.reasons)
    looser = mini_diff(
        content,
        "1.1.0",
        ('when: "recruitment and exploitation"', 'when: "recruitment and exploitation or strong >= 3"'),
    )
    assert looser.required_bump == "minor"


def test_a_rule_that_is_not_monotone_makes_raising_changes_major(content: Path) -> None:
    d = mini_diff(
        content,
        "1.1.0",
        (
            'when: "recruitment or exploitation or strong >= 1"',
            'when: "recruitment or exploitation or (strong >= 1 and not red_flag)"',
        ),
        ("    when: deceived\n", "    when: deceived or lives_at_work\n"),
    )
    assert d.required_bump == "major"
    assert any("not monotone in red_flag" in r for r in d.reasons)


def test_set_wide_changes(content: Path) -> None:
    d = mini_diff(
        content, "1.1.0", ("status: active", "status: retired"), ("title: {en: Mini set}", "title: {en: Mini}")
    )
    assert {(c.attribute, c.bump) for c in d.changes} == {("status", "minor"), ("title.en", "patch")}
    other = content / "dictionaries" / "other" / "1.0.0.yaml"
    other.parent.mkdir()
    other.write_text(
        (content / "dictionaries" / "mini" / "1.0.0.yaml").read_text(encoding="utf-8").replace("id: mini", "id: other"),
        encoding="utf-8",
    )
    d = mini_diff(content, "1.1.0", ("dictionary: mini@1.0.0", "dictionary: other@1.0.0"))
    assert d.required_bump == "major" and any("different data dictionary" in r for r in d.reasons)


def test_changes_carry_before_and_after_and_serialise(content: Path) -> None:
    d = mini_diff(content, "2.0.0", ("    when: deceived\n", "    when: deceived and age_years < 18\n"))
    data = json.loads(json.dumps(d.to_dict()))
    assert data["required_bump"] == "major" and data["actual_bump"] == "major" and data["ok"] is True
    (change,) = data["changes"]
    assert change == {
        "subject": "indicator 'deceived_job'",
        "attribute": "condition",
        "before": "deceived",
        "after": "deceived and age_years < 18",
        "bump": "major",
        "note": change["note"],
    }


# --- building blocks ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "bump"),
    [
        ("1.0.0", "1.0.1", "patch"),
        ("1.0.0", "1.1.0", "minor"),
        ("1.2.3", "2.0.0", "major"),
        ("0.1.0", "0.1.1", "minor"),
        ("0.1.0", "0.2.0", "major"),
        ("0.9.0", "1.0.0", "major"),
        ("1.0.0", "1.0.0", None),
        ("1.1.0", "1.0.9", None),
        ("2.0.0-rc.1", "2.0.0", None),
        ("1.0.0", "2.0.0-rc.1", "major"),
    ],
)
def test_version_bump(old: str, new: str, bump: str | None) -> None:
    assert version_bump(old, new) == bump


def test_bump_rank_orders_bumps() -> None:
    assert [bump_rank(b) for b in (None, "patch", "minor", "major")] == [0, 1, 2, 3]


@pytest.mark.parametrize(
    ("p", "q", "expected"),
    [
        ("a", "a or b", True),
        ("a and b", "a", True),
        ("a or b", "b or a", True),
        ("a or b", "a", False),
        ("x in ['p', 'q']", "x in ['q', 'p', 'r']", True),
        ("x in ['p', 'r']", "x in ['p', 'q']", False),
        ("age < 16", "age < 18", True),
        ("age < 18", "age <= 18", True),
        ("age <= 18", "age < 18", False),
        ("age >= 16", "age > 15", True),
        ("age > 15", "age >= 16", False),
        ("not a", "not a or b", True),
        ("(a or b) and c", "a or b or d", True),
    ],
)
def test_implies(p: str, q: str, expected: bool) -> None:
    assert implies(parse_condition(p), parse_condition(q)) is expected


def test_same_meaning_ignores_order_and_layout() -> None:
    assert same_meaning(parse_condition("a and (b or c)"), parse_condition("(c or b)  and a"))
    assert same_meaning(parse_condition("medium + (weak + strong) >= 1"), parse_condition("strong + medium + weak>=1"))
    assert same_meaning(parse_condition("x in ['a', 'b']"), parse_condition('x in ["b", "a"]'))
    assert not same_meaning(parse_condition("strong - medium >= 1"), parse_condition("medium - strong >= 1"))
    assert not same_meaning(parse_condition("strong + strong >= 2"), parse_condition("strong >= 2"))
    assert not same_meaning(parse_condition("a and b"), parse_condition("a or b"))


@pytest.mark.parametrize(
    ("rule", "bad"),
    [
        ("strong >= 2 or (strong >= 1 and medium + weak >= 1)", []),
        ("not red_flag", ["red_flag"]),
        ("medium == 2", ["medium"]),
        ("strong - medium >= 1", ["medium"]),
        ("3 > strong", ["strong"]),
        ("2 * strong + medium >= 3", []),
        ("-1 * strong >= 0", ["strong"]),
        ("a and not (b or c)", ["b", "c"]),
    ],
)
def test_not_monotone(rule: str, bad: list[str]) -> None:
    assert sorted(not_monotone(parse_condition(rule))) == bad


# --- shipped content keeps the rule -------------------------------------------------------------------


def version_rule_problems(sets: list[tuple[str, str, Path]]) -> list[str]:
    """Every step between consecutive versions of a set whose version number is smaller than its change."""
    by_id: dict[str, list[IndicatorSet]] = {}
    for ident, _version, path in sets:  # sorted by version within each id
        by_id.setdefault(ident, []).append(load_set(path, allow_draft=True).definition)
    problems = []
    for versions in by_id.values():
        for old, new in pairwise(versions):
            d = diff_sets(old, new)
            if not d.ok:
                problems.append(
                    f"{old.ref} -> {new.ref}: needs {d.required_bump}, is {d.actual_bump}; " + "; ".join(d.reasons)
                )
    return problems


def test_every_shipped_version_step_is_at_least_the_required_bump() -> None:
    shipped = shipped_sets()
    assert shipped, "no shipped sets found"
    problems = version_rule_problems(shipped)
    assert not problems, "\n".join(problems)


def test_the_version_rule_check_catches_a_too_small_step(content: Path) -> None:
    first = content / "sets" / "mini" / "1.0.0.yaml"
    patch = next_version(content, "1.0.1", ("    when: deceived\n", "    when: deceived and age_years < 18\n"))
    major = next_version(content, "2.0.0", ("    when: deceived\n", "    when: deceived and age_years < 18\n"))
    (problem,) = version_rule_problems([("mini", "1.0.0", first), ("mini", "1.0.1", patch)])
    assert problem.startswith("mini@1.0.0 -> mini@1.0.1: needs major, is patch; the condition of 'deceived_job'")
    assert version_rule_problems([("mini", "1.0.0", first), ("mini", "2.0.0", major)]) == []


# --- the command ---------------------------------------------------------------------------------------


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trafficscreen.cli", *args], text=True, capture_output=True, cwd=ROOT, check=False
    )


def test_cli_text_json_and_check(content: Path) -> None:
    old = content / "sets" / "mini" / "1.0.0.yaml"
    new = next_version(content, "1.0.1", ("    when: deceived\n", "    when: deceived and age_years < 18\n"))
    text = run("diff", str(old), str(new))
    assert text.returncode == 0, text.stderr
    assert "required version bump: major; actual: patch (TOO SMALL)" in text.stdout
    assert "condition [major]: deceived -> deceived and age_years < 18" in text.stdout
    as_json = run("diff", str(old), str(new), "--format", "json")
    assert json.loads(as_json.stdout)["required_bump"] == "major"
    check = run("diff", str(old), str(new), "--check")
    assert check.returncode == 1
    fine = run("diff", str(old), str(old), "--check")
    assert fine.returncode == 1  # the same version is not a later one
    ok = run("diff", str(old), str(next_version(content, "1.0.2")), "--check")
    assert ok.returncode == 0 and "no differences" in ok.stdout


def test_cli_accepts_shipped_refs_and_reports_bad_ones() -> None:
    ident, version, _ = shipped_sets()[0]
    proc = run("diff", f"{ident}@{version}", f"{ident}@{version}", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["changes"] == []
    bad = run("diff", f"{ident}@99.0.0", f"{ident}@{version}")
    assert bad.returncode == 2 and "has no version 99.0.0" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1 and "Traceback" not in bad.stderr
