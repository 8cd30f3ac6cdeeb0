"""Errors of the FHIR part, defined with every other public error in :mod:`trafficscreen.errors` (where
the whole tree is drawn) and re-exported here so ``trafficscreen.fhir.errors`` keeps working. Each is a
:class:`~trafficscreen.errors.TrafficscreenError`, so the CLI turns it into one line on standard error and
exit code 2. Messages name the element, never a patient's value::

    TrafficscreenError
    └── FhirError                       anything the FHIR part refuses
        ├── FhirNotInstalledError       fhir.resources is needed (validation) but not installed
        │                               (also a MissingExtraError)
        ├── FhirExportError             to_fhir() was given arguments it cannot turn into a valid Bundle
        ├── FhirValidationError         output that fhir.resources or check_bundle() rejects
        ├── QuestionnaireResponseError  a response that does not fit the set's questionnaire
        │                               (also an EncounterError: it is bad encounter input)
        └── NextQuestionError           a $next-question request the service cannot answer
"""

from __future__ import annotations

from ..errors import (
    FhirError,
    FhirExportError,
    FhirNotInstalledError,
    FhirValidationError,
    NextQuestionError,
    QuestionnaireResponseError,
)

__all__ = [
    "FhirError",
    "FhirExportError",
    "FhirNotInstalledError",
    "FhirValidationError",
    "NextQuestionError",
    "QuestionnaireResponseError",
]
