"""Errors of the FHIR part. Each is a :class:`~trafficscreen.errors.TrafficscreenError`, so the CLI turns
it into one line on standard error and exit code 2. Messages name the element, never a patient's value::

    TrafficscreenError
    └── FhirError                       anything the FHIR part refuses
        ├── FhirNotInstalledError       fhir.resources is needed (validation) but not installed
        ├── FhirExportError             to_fhir() was given arguments it cannot turn into a valid Bundle
        ├── FhirValidationError         output that fhir.resources or check_bundle() rejects
        └── QuestionnaireResponseError  a response that does not fit the set's questionnaire
                                        (also an EncounterError: it is bad encounter input)
"""

from __future__ import annotations

from ..errors import EncounterError, TrafficscreenError


class FhirError(TrafficscreenError):
    """Something the FHIR part refuses to do."""


class FhirNotInstalledError(FhirError):
    """The optional ``fhir.resources`` package is needed for this and is not installed."""

    def __init__(self) -> None:
        super().__init__(
            "validating FHIR resources needs the optional fhir.resources package: pip install 'trafficscreen[fhir]'"
        )


class FhirExportError(FhirError):
    """Arguments to :func:`~trafficscreen.fhir.to_fhir` that cannot make a valid Bundle."""


class FhirValidationError(FhirError):
    """Output rejected by fhir.resources or by :func:`~trafficscreen.fhir.check_bundle`."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems: list[str] = problems or [message]


class QuestionnaireResponseError(FhirError, EncounterError):
    """A QuestionnaireResponse that is not a response to this set's questionnaire, or holds an answer of
    the wrong type. The message names the linkId, never the answer."""
