"""The changelog is read by people: every result-schema version has its entry."""

from __future__ import annotations

from paths import ROOT
from trafficscreen.model.result import RESULT_SCHEMA_VERSION

CHANGELOG = ROOT / "CHANGELOG.md"


def test_the_current_result_schema_version_has_a_changelog_entry() -> None:
    assert f"### Result schema {RESULT_SCHEMA_VERSION}" in CHANGELOG.read_text(encoding="utf-8")
