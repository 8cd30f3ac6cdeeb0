"""FHIR for trafficscreen: export results as R4B or R5 Bundles, generate Questionnaires from indicator
sets, and read QuestionnaireResponses back as encounters.

>>> from trafficscreen import Screener, load_set                     # doctest: +SKIP
>>> from trafficscreen.fhir import to_fhir, questionnaire            # doctest: +SKIP
>>> result = Screener(load_set("ilo-child-labour")).screen(...)      # doctest: +SKIP
>>> bundle = to_fhir(result, "R4B", patient="Patient/123")           # doctest: +SKIP

Output is plain JSON-shaped dicts; the optional ``fhir.resources`` package (``trafficscreen[fhir]``) is
imported only to validate. Every resource written carries ``meta.security`` labels (restricted,
sensitive): the receiving system must enforce them. See docs/fhir.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

# Eager, unlike the others: the function shares its module's name, and Python binds the *module* to the
# package attribute when the module is first imported (by adaptive.py, say), which would hide a lazy
# export from then on.
from .questionnaire import questionnaire as questionnaire

if TYPE_CHECKING:
    from .check import check_bundle, check_resource, validate_bundle, validate_questionnaire
    from .errors import (
        FhirError,
        FhirExportError,
        FhirNotInstalledError,
        FhirValidationError,
        NextQuestionError,
        QuestionnaireResponseError,
    )
    from .export import QUALITATIVE_RISK, to_fhir
    from .importer import encounter_from_questionnaire_response

_EXPORTS: dict[str, str] = {
    "check_bundle": ".check",
    "check_resource": ".check",
    "validate_bundle": ".check",
    "validate_questionnaire": ".check",
    "FhirError": ".errors",
    "FhirExportError": ".errors",
    "FhirNotInstalledError": ".errors",
    "FhirValidationError": ".errors",
    "NextQuestionError": ".errors",
    "QuestionnaireResponseError": ".errors",
    "QUALITATIVE_RISK": ".export",
    "to_fhir": ".export",
    "encounter_from_questionnaire_response": ".importer",
}

__all__ = [
    "QUALITATIVE_RISK",
    "FhirError",
    "FhirExportError",
    "FhirNotInstalledError",
    "FhirValidationError",
    "NextQuestionError",
    "QuestionnaireResponseError",
    "check_bundle",
    "check_resource",
    "encounter_from_questionnaire_response",
    "questionnaire",
    "to_fhir",
    "validate_bundle",
    "validate_questionnaire",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
