"""The EHR's JWT on CDS Hooks calls: every way a token can be wrong is a clean 401 with a JSON error."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from server_support import (
    ENCOUNTER_START,
    ISSUER,
    Signer,
    client,
    hook_request,
    service_url,
    write_jwks,
)
from trafficscreen.server import ServerConfig, ServerConfigError
from trafficscreen.server.auth import AuthError, ReplayCache, TokenVerifier, load_jwks


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer.ec()


@pytest.fixture(scope="module")
def rsa_signer() -> Signer:
    return Signer.rsa()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, signer: Signer, rsa_signer: Signer) -> Iterator[TestClient]:
    jwks = write_jwks(tmp_path_factory.mktemp("keys") / "jwks.json", signer, rsa_signer)
    with client(ServerConfig(jwks=jwks, issuers=(ISSUER, "https://other-ehr.example.org"))) as c:
        yield c


def call(
    app: TestClient, token: str | None, service: str = "trafficscreen-patient-view", scheme: str = "Bearer"
) -> tuple[int, dict[str, Any], str]:
    headers = {"Authorization": f"{scheme} {token}"} if token is not None else {}
    hook = "encounter-start" if service == ENCOUNTER_START else "patient-view"
    body = hook_request(hook, encounter="enc-1" if hook == "encounter-start" else None)
    r = app.post(f"/cds-services/{service}", json=body, headers=headers)
    return r.status_code, r.json(), r.text


def assert_refused(status: int, body: dict[str, object], text: str, words: str) -> None:
    assert status == 401
    assert list(body) == ["error", "code"] and str(body["code"]).startswith("auth.")
    assert words in str(body["error"])
    assert "Traceback" not in text and "\n" not in str(body["error"])


def test_a_valid_token_is_accepted(app: TestClient, signer: Signer, rsa_signer: Signer) -> None:
    status, body, _ = call(app, signer.token(service_url()))
    assert status == 200 and body["cards"]
    status, body, _ = call(app, rsa_signer.token(service_url()))
    assert status == 200 and body["cards"]
    status, _, _ = call(app, signer.token(service_url(ENCOUNTER_START)), ENCOUNTER_START)
    assert status == 200


def test_missing_token(app: TestClient) -> None:
    assert_refused(*call(app, None), "missing Authorization")


def test_not_bearer_and_not_a_jwt(app: TestClient, signer: Signer) -> None:
    assert_refused(*call(app, signer.token(service_url()), scheme="Basic"), "Bearer")
    assert_refused(*call(app, "not.a.jwt"), "not a JWT")


def test_expired_token(app: TestClient, signer: Signer) -> None:
    old = time.time() - 3600
    assert_refused(*call(app, signer.token(service_url(), now=old, lifetime=120)), "expired")


def test_wrongly_signed_token(app: TestClient, signer: Signer) -> None:
    impostor = Signer.ec(kid=signer.kid)  # the right kid, another key
    assert_refused(*call(app, impostor.token(service_url())), "signature does not verify")
    token = signer.token(service_url())
    head, payload, sig = token.split(".")
    forged = json.loads(__import__("base64").urlsafe_b64decode(payload + "=="))
    forged["iss"] = "https://evil.example"
    raw = __import__("base64").urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    assert_refused(*call(app, f"{head}.{raw}.{sig}"), "signature does not verify")


def test_unknown_key_id(app: TestClient) -> None:
    assert_refused(*call(app, Signer.ec(kid="stranger").token(service_url())), "key id")


def test_unknown_issuer(app: TestClient, signer: Signer) -> None:
    assert_refused(*call(app, signer.token(service_url(), iss="https://evil.example")), "issuer")


def test_wrong_audience(app: TestClient, signer: Signer) -> None:
    assert_refused(*call(app, signer.token("http://testserver/cds-services")), "audience")
    # a token for one service is not good for the other
    assert_refused(*call(app, signer.token(service_url(ENCOUNTER_START))), "audience")
    assert_refused(
        *call(app, signer.token("https://elsewhere.example/cds-services/trafficscreen-patient-view")), "audience"
    )


def test_missing_jti_and_replay(app: TestClient, signer: Signer) -> None:
    assert_refused(*call(app, signer.token(service_url(), drop=("jti",))), "'jti'")
    token = signer.token(service_url())
    assert call(app, token)[0] == 200
    assert_refused(*call(app, token), "replay")


def test_token_living_too_long(app: TestClient, signer: Signer) -> None:
    assert_refused(*call(app, signer.token(service_url(), lifetime=3600)), "five minutes")


def test_algorithm_none_and_hmac_are_refused(app: TestClient, signer: Signer) -> None:
    import jwt

    unsigned = jwt.encode(
        {"iss": ISSUER, "aud": service_url(), "exp": int(time.time()) + 60, "iat": int(time.time()), "jti": "x"},
        None,  # type: ignore[arg-type]  # the "none" algorithm takes no key; PyJWT's annotation leaves None out
        algorithm="none",
        headers={"kid": signer.kid},
    )
    assert_refused(*call(app, unsigned), "algorithm")
    hmac = jwt.encode(
        {"iss": ISSUER}, "a-shared-secret-long-enough-for-hs256!", algorithm="HS256", headers={"kid": signer.kid}
    )
    assert_refused(*call(app, hmac), "algorithm")


def test_refusals_leave_no_traceback_or_token_in_logs(
    app: TestClient, signer: Signer, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level("DEBUG")
    token = signer.token(service_url(), iss="https://evil.example")
    call(app, token)
    call(app, "garbage")
    out, err = capfd.readouterr()
    logged = caplog.text + out + err
    assert "Traceback" not in logged
    assert token not in logged and "evil.example" not in logged
    assert "POST /cds-services/trafficscreen-patient-view 401" in caplog.text


def test_no_keys_configured_refuses_every_call(signer: Signer) -> None:
    with client(ServerConfig()) as c:
        status, body, text = call(c, signer.token(service_url()))
    assert_refused(status, body, text, "--jwks")


def test_public_url_sets_the_audience(tmp_path: Path, signer: Signer) -> None:
    jwks = write_jwks(tmp_path / "jwks.json", signer)
    config = ServerConfig(jwks=jwks, issuers=(ISSUER,), public_url="https://cds.hospital.example/ts/")
    with client(config) as c:
        assert call(c, signer.token(service_url()))[0] == 401
        good = signer.token("https://cds.hospital.example/ts/cds-services/trafficscreen-patient-view")
        status, body, _ = call(c, good)
    assert status == 200
    links = [link["url"] for card in body["cards"] for link in card["links"]]
    assert links and all(u.startswith("https://cds.hospital.example/ts/form") for u in links)


def test_jwks_file_problems_are_config_errors(tmp_path: Path, signer: Signer) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ServerConfigError, match="not a JSON file"):
        load_jwks(bad)
    no_kid = signer.jwk()
    del no_kid["kid"]
    bad.write_text(json.dumps({"keys": [no_kid]}))
    with pytest.raises(ServerConfigError, match="no 'kid'"):
        load_jwks(bad)
    import jwt
    from cryptography.hazmat.primitives.asymmetric import ec

    private = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP384R1())))
    private["kid"] = "k"
    bad.write_text(json.dumps({"keys": [private]}))
    with pytest.raises(ServerConfigError, match="private key"):
        load_jwks(bad)
    bad.write_text(json.dumps({"keys": [signer.jwk(), signer.jwk()]}))
    with pytest.raises(ServerConfigError, match="appears twice"):
        load_jwks(bad)
    with pytest.raises(ServerConfigError, match="no issuer"):
        from trafficscreen.server import create_app

        create_app(ServerConfig(jwks=write_jwks(tmp_path / "ok.json", signer)))


def test_verifier_directly(signer: Signer) -> None:
    verifier = TokenVerifier({signer.kid: __import__("jwt").PyJWK(signer.jwk())}, (ISSUER,), ("ES384",))
    claims = verifier.verify("Bearer " + signer.token("https://a.example/x"), "https://a.example/x")
    assert claims["iss"] == ISSUER
    with pytest.raises(AuthError, match="not valid yet"):
        future = time.time() + 3600
        verifier.verify(
            "Bearer " + signer.token("https://a.example/x", now=future, nbf=int(future)), "https://a.example/x"
        )


def test_replay_cache_forgets_expired_and_stays_bounded() -> None:
    cache = ReplayCache(limit=3)
    now = 1_000_000.0
    assert cache.first_use("i", "a", now + 10, now)
    assert not cache.first_use("i", "a", now + 10, now)
    assert cache.first_use("j", "a", now + 10, now)  # another issuer's jti is another token
    for n in range(10):
        assert cache.first_use("i", f"n{n}", now + 10, now)
    assert len(cache._seen) <= 3
    assert cache.first_use("i", "a", now + 10, now + 1000)  # long expired: no longer a replay
