"""Moved to :mod:`trafficscreen.authoring.validate`; kept so old imports work."""

from .authoring.validate import (
    REFERRAL_KINDS,
    Issue,
    Severity,
    validate_dictionary,
    validate_paths,
    validate_referral,
    validate_set,
)

__all__ = [
    "REFERRAL_KINDS",
    "Issue",
    "Severity",
    "validate_dictionary",
    "validate_paths",
    "validate_referral",
    "validate_set",
]
