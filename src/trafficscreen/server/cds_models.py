"""Pydantic models of the CDS Hooks 2.0 messages this service reads and writes.

Requests are read leniently (unknown keys such as ``extension`` are ignored, as the specification lets
clients add them); responses are written strictly (no unknown key, no null, no empty string or list),
so a test can validate every answer the service gives against these models.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SUMMARY_MAX = 139
"""A card's summary is shorter than 140 characters."""


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _no_empty(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, value in data.items():
                if value is None or value == "" or value == [] or value == {}:
                    raise ValueError(f"'{key}' is null or empty; leave it out instead")
        return data


# --- requests ---------------------------------------------------------------------------------------


class FhirAuthorization(_In):
    """The access token the EHR grants for reading its FHIR server."""

    access_token: str = Field(min_length=1, max_length=8192)
    token_type: Literal["Bearer"]
    expires_in: int = Field(ge=0)
    scope: str
    subject: str
    patient: str | None = None


class CdsRequest(_In):
    """``POST {base}/cds-services/{id}``."""

    hook: str = Field(min_length=1, max_length=200)
    hookInstance: str = Field(min_length=1, max_length=200)
    fhirServer: str | None = Field(default=None, max_length=2048)
    fhirAuthorization: FhirAuthorization | None = None
    context: dict[str, Any]
    prefetch: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _auth_needs_server(self) -> CdsRequest:
        if self.fhirAuthorization is not None and self.fhirServer is None:
            raise ValueError("fhirAuthorization is given without fhirServer")
        return self


class PatientContext(_In):
    """The context of ``patient-view`` and ``encounter-start``."""

    userId: str = Field(min_length=1, max_length=512)
    patientId: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9\-.]{1,64}$")
    encounterId: str | None = Field(default=None, min_length=1, max_length=64)


class EncounterContext(PatientContext):
    encounterId: str = Field(min_length=1, max_length=64)


# --- responses --------------------------------------------------------------------------------------


class Coding(_Out):
    code: str = Field(min_length=1)
    system: str | None = None
    display: str | None = None


class Source(_Out):
    label: str = Field(min_length=1)
    url: str | None = None
    icon: str | None = None
    topic: Coding | None = None


class Action(_Out):
    type: Literal["create", "update", "delete"]
    description: str = Field(min_length=1)
    resource: dict[str, Any] | None = None
    resourceId: str | None = None


class Suggestion(_Out):
    label: str = Field(min_length=1)
    uuid: str | None = None
    isRecommended: bool | None = None
    actions: list[Action] | None = None


class Link(_Out):
    label: str = Field(min_length=1)
    url: str = Field(min_length=1)
    type: Literal["absolute", "smart"]
    appContext: str | None = None

    @field_validator("url")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("a link's url must be absolute")
        return value


class Card(_Out):
    uuid: str | None = None
    summary: str = Field(min_length=1, max_length=SUMMARY_MAX)
    detail: str | None = None
    indicator: Literal["info", "warning", "critical"]
    source: Source
    suggestions: list[Suggestion] | None = None
    selectionBehavior: Literal["at-most-one", "any"] | None = None
    overrideReasons: list[Coding] | None = None
    links: list[Link] | None = None

    @model_validator(mode="after")
    def _selection(self) -> Card:
        if self.suggestions and self.selectionBehavior is None:
            raise ValueError("a card with suggestions needs selectionBehavior")
        return self


class CdsResponse(_Out):
    cards: list[Card]
    systemActions: list[Action] | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_empty(cls, data: Any) -> Any:  # an empty list of cards is a valid answer
        return data


class Service(_Out):
    hook: str = Field(min_length=1)
    title: str | None = None
    description: str = Field(min_length=1)
    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9\-._~]+$")
    prefetch: dict[str, str] | None = None
    usageRequirements: str | None = None


class Discovery(_Out):
    services: list[Service]


def dump(model: BaseModel) -> dict[str, Any]:
    """JSON-shaped dict of a response model, with unset optional attributes left out."""
    data: dict[str, Any] = model.model_dump(mode="json", exclude_none=True)
    return data
