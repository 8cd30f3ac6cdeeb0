"""Helpers shared by the server tests: signing keys made at test time, a JWKS file, tokens as an EHR
would mint them, and CDS Hooks requests."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from starlette.testclient import TestClient

from trafficscreen.messages import MESSAGES
from trafficscreen.server import ServerConfig, create_app

WORDS: dict[str, dict[str, str]] = {
    lang: {key.removeprefix("server."): text for key, text in table.items() if key.startswith("server.")}
    for lang, table in MESSAGES.items()
}
"""The form's and the cards' words by language: the ``server.*`` messages, keyed without the prefix."""

ISSUER = "https://ehr.example.org"
BASE = "http://testserver"
PATIENT_VIEW = "trafficscreen-patient-view"
ENCOUNTER_START = "trafficscreen-encounter-start"


@dataclass
class Signer:
    """A private key the test plays the EHR with, and its public JWK."""

    key: Any
    kid: str
    alg: str

    @classmethod
    def ec(cls, kid: str = "ehr-ec-1") -> Signer:
        return cls(ec.generate_private_key(ec.SECP384R1()), kid, "ES384")

    @classmethod
    def rsa(cls, kid: str = "ehr-rsa-1") -> Signer:
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=2048), kid, "RS384")

    def jwk(self) -> dict[str, Any]:
        algo = jwt.algorithms.ECAlgorithm if self.alg.startswith("ES") else jwt.algorithms.RSAAlgorithm
        data: dict[str, Any] = json.loads(algo.to_jwk(self.key.public_key()))
        data.update({"kid": self.kid, "use": "sig", "alg": self.alg})
        return data

    def token(
        self,
        aud: str,
        *,
        iss: str = ISSUER,
        lifetime: int = 120,
        now: float | None = None,
        drop: tuple[str, ...] = (),
        kid: str | None = None,
        **extra: Any,
    ) -> str:
        now = time.time() if now is None else now
        claims: dict[str, Any] = {
            "iss": iss,
            "sub": "ehr-client",
            "aud": aud,
            "iat": int(now),
            "exp": int(now) + lifetime,
            "jti": str(uuid.uuid4()),
        }
        claims.update(extra)
        for name in drop:
            claims.pop(name, None)
        return jwt.encode(claims, self.key, algorithm=self.alg, headers={"kid": kid or self.kid, "typ": "JWT"})


def write_jwks(path: Path, *signers: Signer) -> Path:
    path.write_text(json.dumps({"keys": [s.jwk() for s in signers]}), encoding="utf-8")
    return path


def client(config: ServerConfig) -> TestClient:
    return TestClient(create_app(config), base_url=BASE)


def service_url(service_id: str = PATIENT_VIEW) -> str:
    return f"{BASE}/cds-services/{service_id}"


def hook_request(
    hook: str = "patient-view",
    *,
    patient: str = "pat-1",
    prefetch: dict[str, Any] | None = None,
    encounter: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    context: dict[str, Any] = {"userId": "Practitioner/prac-1", "patientId": patient}
    if encounter is not None:
        context["encounterId"] = encounter
    body: dict[str, Any] = {"hook": hook, "hookInstance": str(uuid.uuid4()), "context": context}
    if prefetch is not None:
        body["prefetch"] = prefetch
    body.update(extra)
    return body


def searchset(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [{"resource": r, "search": {"mode": "match"}} for r in resources],
    }


def empty_or_null(node: Any, path: str = "") -> list[str]:
    """Paths of every null, empty string, empty list or empty object in a JSON-shaped value."""
    found: list[str] = []
    if node is None or node == "" or node == [] or node == {}:
        return [path or "<root>"]
    if isinstance(node, dict):
        for k, v in node.items():
            found += empty_or_null(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found += empty_or_null(v, f"{path}[{i}]")
    return found
