"""CDS Hooks: discovery, cards for each level, prefetch and fetching from the EHR's FHIR server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.testclient import TestClient

from fhir_support import default_screener, fill
from levels import answers_reaching
from paths import ROOT
from server_support import (
    ENCOUNTER_START,
    ISSUER,
    PATIENT_VIEW,
    Signer,
    client,
    empty_or_null,
    hook_request,
    searchset,
    service_url,
    write_jwks,
)
from trafficscreen.fhir import questionnaire
from trafficscreen.model.common import Level
from trafficscreen.server import ServerConfig
from trafficscreen.server.cds import INDICATOR, prefetch_query
from trafficscreen.server.cds_models import Card, CdsRequest, CdsResponse, Discovery


@pytest.fixture(scope="module")
def q() -> dict[str, Any]:
    return questionnaire(default_screener().set, "R4B", "en")


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer.ec()


@pytest.fixture(scope="module")
def jwks(tmp_path_factory: pytest.TempPathFactory, signer: Signer) -> Path:
    return write_jwks(tmp_path_factory.mktemp("keys") / "jwks.json", signer)


@pytest.fixture(scope="module")
def app(jwks: Path) -> Iterator[TestClient]:
    with client(ServerConfig(jwks=jwks, issuers=(ISSUER,), lang="nb", jurisdiction="NO")) as c:
        yield c


def post(app: TestClient, signer: Signer, body: dict[str, Any], service: str = PATIENT_VIEW) -> dict[str, Any]:
    CdsRequest.model_validate(body)  # the test speaks the specification too
    r = app.post(
        f"/cds-services/{service}", json=body, headers={"Authorization": "Bearer " + signer.token(service_url(service))}
    )
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    CdsResponse.model_validate(data)
    assert empty_or_null(data) == []
    return data


def qr_for(q: dict[str, Any], answers: dict[str, Any], patient: str = "pat-1", qr_id: str = "qr-7") -> dict[str, Any]:
    resource = fill(q, answers, qr_id=qr_id)
    resource["subject"] = {"reference": f"Patient/{patient}"}
    resource["authored"] = "2026-11-23T10:00:00Z"
    return resource


def test_discovery(app: TestClient, q: dict[str, Any]) -> None:
    r = app.get("/cds-services")
    assert r.status_code == 200
    doc = Discovery.model_validate(r.json())
    assert empty_or_null(r.json()) == []
    assert {s.hook for s in doc.services} == {"patient-view", "encounter-start"}
    for s in doc.services:
        assert s.prefetch is not None
        template = s.prefetch["questionnaireResponse"]
        assert template.startswith("QuestionnaireResponse?subject=Patient/{{context.patientId}}&")
        assert f"questionnaire={q['url']}|{q['version']}" in template
        assert "_sort=-authored" in template and "_count=1" in template
    first = doc.services[0].prefetch
    assert first is not None
    assert prefetch_query(q["url"], q["version"]) == first["questionnaireResponse"]


@pytest.mark.parametrize("level", list(Level))
def test_a_card_for_each_level(app: TestClient, signer: Signer, q: dict[str, Any], level: Level) -> None:
    answers = answers_reaching(default_screener(), level)
    expected = default_screener().screen({"answers": answers}, lang="nb")
    assert expected.level is level
    body = hook_request(prefetch={"questionnaireResponse": searchset(qr_for(q, answers))})
    cards = post(app, signer, body)["cards"]
    assert len(cards) == 1
    card = Card.model_validate(cards[0])
    assert card.indicator == INDICATOR[level]
    assert len(card.summary) < 140
    cs = default_screener().set
    assert card.source.label.endswith(f"({cs.id} {cs.version})")
    assert card.detail is not None and card.detail.startswith("## Henvisningsveiledning")  # the nb guidance
    assert card.links is not None and card.links[0].type == "absolute"
    assert card.links[0].url == "http://testserver/form?lang=nb"
    assert card.suggestions is None and card.selectionBehavior is None
    if level is Level.NONE:
        assert "negativ" not in card.summary.lower() and "Ingen indikatorer" in card.summary


def test_indicator_mapping_is_as_documented() -> None:
    assert INDICATOR == {Level.NONE: "info", Level.CONCERN: "info", Level.REFER: "warning", Level.URGENT: "critical"}
    doc = (ROOT / "docs" / "server.md").read_text(encoding="utf-8")
    for level, indicator in INDICATOR.items():
        assert f"| `{level.value}` | `{indicator}` |" in doc


def test_a_card_carries_no_patient_value_beyond_what_was_sent(
    app: TestClient, signer: Signer, q: dict[str, Any]
) -> None:
    answers = answers_reaching(default_screener(), Level.REFER)
    body = hook_request(
        patient="pat-secret-42",
        prefetch={
            "questionnaireResponse": searchset(qr_for(q, answers, patient="pat-secret-42", qr_id="qr-secret-99"))
        },
    )
    text = json.dumps(post(app, signer, body))
    for value in ("pat-secret-42", "qr-secret-99", "prac-1", body["hookInstance"]):
        assert value not in text


def test_the_resource_itself_as_prefetch_and_encounter_start(
    app: TestClient, signer: Signer, q: dict[str, Any]
) -> None:
    answers = answers_reaching(default_screener(), Level.URGENT)
    body = hook_request("encounter-start", encounter="enc-1", prefetch={"questionnaireResponse": qr_for(q, answers)})
    card = post(app, signer, body, ENCOUNTER_START)["cards"][0]
    assert card["indicator"] == "critical"
    # encounter-start needs the encounter in its context
    r = app.post(
        f"/cds-services/{ENCOUNTER_START}",
        json=hook_request("encounter-start"),
        headers={"Authorization": "Bearer " + signer.token(service_url(ENCOUNTER_START))},
    )
    assert r.status_code == 400 and "encounterId" in r.json()["error"]


def test_missing_or_empty_prefetch_links_to_the_form(app: TestClient, signer: Signer) -> None:
    for body in (
        hook_request(),
        hook_request(prefetch={"questionnaireResponse": None}),
        hook_request(prefetch={"questionnaireResponse": searchset()}),
    ):
        card = post(app, signer, body)["cards"][0]
        assert card["indicator"] == "info"
        assert "triageskjema" in card["summary"]
        assert card["links"] == [
            {
                "label": "Åpne skjemaet for screening for menneskehandel",
                "url": "http://testserver/form?lang=nb",
                "type": "absolute",
            }
        ]


def test_unusable_responses_give_an_info_card_not_an_error(app: TestClient, signer: Signer, q: dict[str, Any]) -> None:
    other_patient = qr_for(q, {"age_years": 12}, patient="someone-else")
    other_set = dict(qr_for(q, {"age_years": 12}), questionnaire="https://x.example/Questionnaire/other|1.0.0")
    bad_answer = qr_for(q, {"age_years": 12})
    bad_answer["item"][0]["item"][0]["answer"] = [{"valueString": "Kari Nordmann"}]
    for resource, words in (
        (other_patient, "another patient"),
        (other_set, "questionnaire"),
        (bad_answer, "age_years"),
        ({"resourceType": "Patient"}, "neither"),
    ):
        card = post(app, signer, hook_request(prefetch={"questionnaireResponse": resource}))["cards"][0]
        assert card["indicator"] == "info"
        assert words in card["detail"], card["detail"]
        assert "Kari" not in json.dumps(card)


def test_requests_that_break_the_specification(app: TestClient, signer: Signer) -> None:
    headers = {"Authorization": "Bearer " + signer.token(service_url())}
    r = app.post(f"/cds-services/{PATIENT_VIEW}", json=hook_request("order-select"), headers=headers)
    assert r.status_code == 400 and "patient-view" in r.json()["error"]
    body = hook_request()
    del body["context"]["patientId"]
    r = app.post(
        f"/cds-services/{PATIENT_VIEW}", json=body, headers={"Authorization": "Bearer " + signer.token(service_url())}
    )
    assert r.status_code == 400 and "patientId" in r.json()["error"]
    body = hook_request(patient="../../etc")
    r = app.post(
        f"/cds-services/{PATIENT_VIEW}", json=body, headers={"Authorization": "Bearer " + signer.token(service_url())}
    )
    assert r.status_code == 400 and "../../etc" not in r.text


class FakeFhir:
    """A FHIR server on loopback that answers the QuestionnaireResponse search for one token."""

    def __init__(self, bundle: dict[str, Any], token: str) -> None:
        self.bundle = bundle
        self.token = token
        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                fake.requests.append(
                    {"path": parts.path, "query": parse_qs(parts.query), "auth": self.headers.get("Authorization")}
                )
                if self.headers.get("Authorization") != f"Bearer {fake.token}":
                    self.send_response(401)
                    self.end_headers()
                    return
                body = json.dumps(fake.bundle).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/fhir"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeFhir:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def fhir_auth(token: str) -> dict[str, Any]:
    return {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/QuestionnaireResponse.read",
        "subject": "trafficscreen",
    }


def test_fetches_from_a_listed_fhir_server_when_prefetch_is_missing(
    jwks: Path, signer: Signer, q: dict[str, Any]
) -> None:
    answers = answers_reaching(default_screener(), Level.REFER)
    with FakeFhir(searchset(qr_for(q, answers)), token="ehr-granted-token") as fhir:
        config = ServerConfig(jwks=jwks, issuers=(ISSUER,), fhir_servers=(fhir.url,), jurisdiction="GB")
        with client(config) as app:
            body = hook_request(fhirServer=fhir.url, fhirAuthorization=fhir_auth("ehr-granted-token"))
            card = post(app, signer, body)["cards"][0]
            assert card["indicator"] == "warning"
            assert len(fhir.requests) == 1
            sent = fhir.requests[0]
            assert sent["path"] == "/fhir/QuestionnaireResponse"
            assert sent["auth"] == "Bearer ehr-granted-token"
            assert sent["query"] == {
                "subject": ["Patient/pat-1"],
                "questionnaire": [f"{q['url']}|{q['version']}"],
                "_sort": ["-authored"],
                "_count": ["1"],
            }
            # a refused token at the FHIR server is an info card, not an error
            body = hook_request(fhirServer=fhir.url, fhirAuthorization=fhir_auth("stale"))
            card = post(app, signer, body)["cards"][0]
            assert card["indicator"] == "info" and "HTTP 401" in card["detail"]
            # a prefetch, when sent, is used and the server is not asked
            before = len(fhir.requests)
            post(
                app,
                signer,
                hook_request(
                    fhirServer=fhir.url,
                    fhirAuthorization=fhir_auth("ehr-granted-token"),
                    prefetch={"questionnaireResponse": searchset()},
                ),
            )
            assert len(fhir.requests) == before
        # a FHIR server that is not listed is never called
        with client(ServerConfig(jwks=jwks, issuers=(ISSUER,))) as app:
            body = hook_request(fhirServer=fhir.url, fhirAuthorization=fhir_auth("ehr-granted-token"))
            card = post(app, signer, body)["cards"][0]
            assert card["indicator"] == "info" and card["links"][0]["url"].endswith("/form?lang=en")
            assert len(fhir.requests) == before


def test_unreachable_fhir_server(jwks: Path, signer: Signer) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/fhir"
    with client(ServerConfig(jwks=jwks, issuers=(ISSUER,), fhir_servers=(url,), fhir_timeout=2)) as app:
        card = post(app, signer, hook_request(fhirServer=url, fhirAuthorization=fhir_auth("t")))["cards"][0]
    assert card["indicator"] == "info" and "could not be reached" in card["detail"]


def test_insecure_dev_mode_says_so(q: dict[str, Any], capfd: pytest.CaptureFixture[str]) -> None:
    with client(ServerConfig(insecure_dev_no_auth=True)) as app:
        assert "AUTHENTICATION IS OFF" in capfd.readouterr().err
        body = hook_request(prefetch={"questionnaireResponse": qr_for(q, {"age_years": 12})})
        r = app.post(f"/cds-services/{PATIENT_VIEW}", json=body)
        assert r.status_code == 200
        assert "authentication disabled" in r.headers["x-trafficscreen-warning"]
        assert r.json()["cards"][0]["detail"].startswith("**Development mode: authentication is off.")
        assert "authentication disabled" in app.get("/form").headers["x-trafficscreen-warning"]
        assert "Development mode" in app.get("/form").text


def test_card_model_rejects_what_the_specification_forbids() -> None:
    from pydantic import ValidationError

    good = {"summary": "s", "indicator": "info", "source": {"label": "x"}}
    Card.model_validate(good)
    for bad in (
        {**good, "summary": "x" * 140},
        {**good, "indicator": "hard-stop"},
        {**good, "detail": None},
        {**good, "links": []},
        {**good, "links": [{"label": "l", "url": "/form", "type": "absolute"}]},
        {**good, "suggestions": [{"label": "do"}]},
        {**good, "extra": 1},
        {**good, "source": {"label": ""}},
    ):
        with pytest.raises(ValidationError):
            Card.model_validate(bad)


@pytest.mark.parametrize(
    "shape",
    [
        {"item": "x"},
        {"item": [1]},
        {"item": [{"linkId": "age_years", "answer": "x"}]},
        {"item": [{"linkId": "age_years", "answer": [{"valueInteger": "x"}]}]},
        {"item": [{"linkId": ["x"]}]},
        {"status": ["completed"]},
        {"questionnaire": 5},
        {"subject": {"reference": 5}},
    ],
)
def test_odd_responses_give_an_info_card_never_a_500(
    app: TestClient, signer: Signer, q: dict[str, Any], shape: dict[str, Any]
) -> None:
    resource = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{q['url']}|{q['version']}",
        "status": "completed",
        **shape,
    }
    card = post(app, signer, hook_request(prefetch={"questionnaireResponse": searchset(resource)}))["cards"][0]
    assert card["indicator"] == "info" and "/form?lang=nb" in card["links"][0]["url"]
