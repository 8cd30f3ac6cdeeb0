"""Patterns that guard content and FHIR input match the whole text: a trailing newline is refused
(``$`` alone also matches before a final newline)."""

from __future__ import annotations

import re

import pytest

from trafficscreen.fhir import _common
from trafficscreen.fhir import importer as fhir_importer
from trafficscreen.model import referral
from trafficscreen.server import config

PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (referral._PHONE, "112"),
    (referral._CODE, "GB-ENG"),
    (referral._KEY, "ask.none"),
    (_common._PLAN_DEFINITION, "https://example.org/fhir/PlanDefinition/x"),
    (_common._RELATIVE, "Patient/p1"),
    (fhir_importer._FULL_DATE, "2026-01-02"),
    (config._HOST_SOURCE, "https://example.org"),
]


@pytest.mark.parametrize(("pattern", "good"), PATTERNS, ids=[p.pattern[:30] for p, _ in PATTERNS])
def test_a_trailing_newline_is_refused(pattern: re.Pattern[str], good: str) -> None:
    assert pattern.fullmatch(good)
    assert pattern.match(good + "\n")  # what the old check accepted
    assert not pattern.fullmatch(good + "\n")


def test_a_phone_number_with_a_trailing_newline_is_refused() -> None:
    with pytest.raises(ValueError):
        referral._check_phone("112\n")
