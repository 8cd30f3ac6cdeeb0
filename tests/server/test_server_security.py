"""Limits, headers, logs and errors around every request."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from server_support import ISSUER, Signer, client, hook_request, service_url, write_jwks
from trafficscreen.server import ServerConfig, ServerConfigError
from trafficscreen.server.security import BadJson, json_depth, parse_json

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer.ec()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, signer: Signer) -> Iterator[TestClient]:
    jwks = write_jwks(tmp_path_factory.mktemp("keys") / "jwks.json", signer)
    with client(ServerConfig(jwks=jwks, issuers=(ISSUER,))) as c:
        yield c


def assert_json_error(r: Any, status: int, words: str) -> None:
    # r: TestClient's response, an httpx2 or httpx Response depending on which one starlette found
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert list(body) == ["error", "code"] and words in body["error"], body
    assert "Traceback" not in r.text and "\n" not in body["error"]


def test_security_headers_on_every_response(app: TestClient) -> None:
    responses = [
        app.get("/form"),
        app.get("/form?lang=nb"),
        app.post("/api/screen", json={"answers": {}}),
        app.post("/api/screen", content=b"{", headers={"content-type": "application/json"}),
        app.get("/cds-services"),
        app.post("/cds-services/trafficscreen-patient-view", json={}),
        app.get("/no-such-page"),
        app.delete("/form"),
        app.get("/healthz"),
        app.get("/", follow_redirects=False),
        app.post("/api/screen", content=b"x" * 300_000, headers={"content-type": "application/json"}),
    ]
    for r in responses:
        for name, value in SECURITY_HEADERS.items():
            assert r.headers.get(name) == value, (r.request.url, name)
        csp = r.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'self'" in csp
        assert "access-control-allow-origin" not in r.headers
        assert "x-trafficscreen-warning" not in r.headers


def test_html_csp_allows_only_its_own_inline_style_and_script(app: TestClient) -> None:
    import base64
    import hashlib
    import re

    r = app.get("/form")
    csp = r.headers["content-security-policy"]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    for tag in ("style", "script"):
        inline = re.search(rf"<{tag}>(.*?)</{tag}>", r.text, re.DOTALL)
        assert inline is not None
        digest = base64.b64encode(hashlib.sha256(inline.group(1).encode()).digest()).decode()
        assert f"{tag}-src 'sha256-{digest}'" in csp
    assert "connect-src 'self'" in csp and "form-action 'self'" in csp
    assert re.search(r"""(src|href)=["']?https?://""", r.text) is None, "no external asset"


def test_frame_ancestors_setting(tmp_path: Path) -> None:
    config = ServerConfig(frame_ancestors=("'self'", "https://ehr.example.org", "https://*.hospital.example"))
    with client(config) as c:
        r = c.get("/form")
    assert r.headers["content-security-policy"].endswith(
        "frame-ancestors 'self' https://ehr.example.org https://*.hospital.example"
    )
    assert "x-frame-options" not in r.headers  # the CSP decides; X-Frame-Options cannot list origins
    for bad in ("https://ehr.example.org; script-src *", "*", "'unsafe-inline'", "data:", "https://a b"):
        with pytest.raises(ServerConfigError):
            ServerConfig(frame_ancestors=(bad,))
    with pytest.raises(ServerConfigError):
        ServerConfig(frame_ancestors=("'none'", "'self'"))


def test_oversized_body(app: TestClient, signer: Signer) -> None:
    big = json.dumps({"answers": {}, "pad": "x" * 300_000})
    assert_json_error(
        app.post("/api/screen", content=big, headers={"content-type": "application/json"}), 413, "larger than 256 KB"
    )
    headers = {"Authorization": "Bearer " + signer.token(service_url()), "content-type": "application/json"}
    assert_json_error(
        app.post("/cds-services/trafficscreen-patient-view", content=big, headers=headers), 413, "larger than 256 KB"
    )

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while the body streams in
        for _ in range(40):
            yield b" " * 10_000

    assert_json_error(
        app.post("/api/screen", content=chunks(), headers={"content-type": "application/json"}),
        413,
        "larger than 256 KB",
    )
    form = "lang=en&" + "age_years=1&" * 30_000
    assert_json_error(
        app.post("/form", content=form, headers={"content-type": "application/x-www-form-urlencoded"}),
        413,
        "larger than",
    )


def test_too_deep_json(app: TestClient, signer: Signer) -> None:
    deep = '{"answers": {"age_years": ' + "[" * 100 + "]" * 100 + "}}"
    assert_json_error(
        app.post("/api/screen", content=deep, headers={"content-type": "application/json"}),
        400,
        "nested deeper than 64",
    )
    very_deep = "[" * 200_000 + "]" * 200_000  # would overflow a recursive parser; refused before parsing
    r = app.post("/api/screen", content=very_deep[:250_000], headers={"content-type": "application/json"})
    assert_json_error(r, 400, "nested deeper")
    body = hook_request(prefetch={"questionnaireResponse": json.loads("[" * 70 + "]" * 70)})
    headers = {"Authorization": "Bearer " + signer.token(service_url())}
    assert_json_error(
        app.post("/cds-services/trafficscreen-patient-view", json=body, headers=headers), 400, "nested deeper"
    )


def test_malformed_json(app: TestClient, signer: Signer) -> None:
    for payload in (b"{", b"", b"\xff\xfe", b'{"answers": {"age_years": 14,}}', b"NaN]"):
        r = app.post("/api/screen", content=payload, headers={"content-type": "application/json"})
        assert r.status_code == 400, payload
        assert_json_error(r, 400, "")
    headers = {"Authorization": "Bearer " + signer.token(service_url()), "content-type": "application/json"}
    assert_json_error(
        app.post("/cds-services/trafficscreen-patient-view", content=b'{"hook": ', headers=headers),
        400,
        "malformed JSON",
    )


def test_bad_encounters_get_one_line_and_no_values(app: TestClient) -> None:
    r = app.post("/api/screen", json={"answers": {"age_years": "Kari Nordmann, 12"}})
    assert_json_error(r, 422, "age_years")
    assert "Kari" not in r.text
    r = app.post("/api/screen", json={"answers": {"companion_relationship": "uncle-Ola"}})
    assert_json_error(r, 422, "companion_relationship")
    assert "Ola" not in r.text
    assert_json_error(app.post("/api/screen", json=["not", "an", "object"]), 422, "JSON object")
    assert_json_error(app.post("/api/screen", content=b"{}", headers={"content-type": "text/plain"}), 415, "json")
    assert_json_error(app.post("/api/screen?lang=xx", json={"answers": {}}), 400, "language")


def test_not_found_and_method_not_allowed_are_json(app: TestClient) -> None:
    assert_json_error(app.get("/admin"), 404, "Not Found")
    assert_json_error(app.put("/api/screen", json={}), 405, "Method Not Allowed")
    assert_json_error(app.post("/cds-services/nope", json={}), 404, "no such CDS service")


def test_cors_is_closed_by_default_and_opens_only_for_listed_origins(app: TestClient) -> None:
    preflight = {
        "Origin": "https://ehr.example.org",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    r = app.options("/cds-services/trafficscreen-patient-view", headers=preflight)
    assert "access-control-allow-origin" not in r.headers and r.status_code >= 400
    with client(ServerConfig(cors_origins=("https://ehr.example.org",))) as c:
        r = c.options("/cds-services/trafficscreen-patient-view", headers=preflight)
        assert r.headers["access-control-allow-origin"] == "https://ehr.example.org"
        other = c.options(
            "/cds-services/trafficscreen-patient-view", headers={**preflight, "Origin": "https://evil.example"}
        )
        assert other.headers.get("access-control-allow-origin") != "https://evil.example"
        assert r.headers["x-content-type-options"] == "nosniff"


def test_access_log_has_no_bodies_query_strings_or_foreign_paths(
    app: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="trafficscreen.server.access")
    app.post("/api/screen?lang=nb&secret=Kari", json={"id": "enc-Ola", "answers": {"age_years": 13}})
    app.post("/form", data={"lang": "en", "age_years": "17"})
    app.get("/patients/Kari-Nordmann")
    app.post("/cds-services/Kari", json={})
    lines = [rec.getMessage() for rec in caplog.records if rec.name == "trafficscreen.server.access"]
    assert len(lines) == 4
    assert lines[0].startswith("POST /api/screen 200 ") and lines[0].endswith("ms")
    assert lines[1].startswith("POST /form 200 ")
    assert lines[2].startswith("GET (other) 404 ")
    assert lines[3].startswith("POST /cds-services/(unknown) 404 ")
    import re

    for line in lines:
        assert re.fullmatch(r"(GET|POST) \S+ \d{3} \d+\.\dms", line), line
    for value in ("Kari", "Ola", "secret", "lang=", "?", "age_years", "enc-"):
        assert value not in caplog.text


def test_unexpected_errors_are_one_line_and_no_traceback(
    app: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    service = cast(Starlette, app.app).state.service  # TestClient keeps the app as a plain ASGI callable

    def boom(*args: object, **kwargs: object) -> object:
        raise RuntimeError("answer Kari Nordmann leaked")

    monkeypatch.setattr(service.screener, "screen", boom)
    caplog.set_level("INFO")
    r = app.post("/api/screen", json={"answers": {}})
    assert_json_error(r, 500, "internal error")
    assert "Kari" not in r.text and "Kari" not in caplog.text and "Traceback" not in caplog.text
    assert "internal error RuntimeError while serving POST /api/screen" in caplog.text


def test_json_depth_counts_brackets_outside_strings_only() -> None:
    assert json_depth(b'{"a": [1, {"b": "[[[[{{{{"}]}') == 3
    assert json_depth(b'"\\"[[["') == 0
    assert json_depth(b"[]") == 1
    brackets = b"[" * 70
    assert parse_json(b'{"a": "' + brackets + b'"}', 4) == {"a": "[" * 70}
    with pytest.raises(BadJson, match="deeper than 4"):
        parse_json(b"[[[[[1]]]]]", 4)
    with pytest.raises(BadJson, match="empty"):
        parse_json(b"  ", 4)
