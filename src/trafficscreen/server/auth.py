"""Checking the EHR's signed JWT on a CDS Hooks call (CDS Hooks 2.0, "Trusting CDS Clients").

The EHR signs a short-lived JWT for every call and sends it as ``Authorization: Bearer <jwt>``. This
service accepts it only when:

* its header names a ``kid`` found in the configured JWKS file and an algorithm allowed here (keys are
  never fetched from a ``jku`` or ``x5u`` the token names);
* the signature verifies with that key;
* ``iss`` is on the configured allow-list;
* ``aud`` is the exact URL of the service endpoint called;
* ``exp`` has not passed, and lies no more than five minutes after ``iat`` (with a minute of leeway for
  clock differences);
* ``jti`` is present and has not been seen before while the token was valid (replay), by any worker:
  the record is kept in the shared replay store (:mod:`trafficscreen.server.state`).

Every refusal is an :class:`AuthError` with a short reason that never repeats the token or its claims.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from .config import CLOCK_LEEWAY, MAX_TOKEN_LIFETIME, ServerConfigError
from .state import ReplayCache as ReplayCache  # re-exported: its old home
from .state import ReplayStore

MAX_TOKEN_CHARS = 16 * 1024
MAX_JWKS_BYTES = 1024 * 1024


class AuthError(Exception):
    """A CDS Hooks call whose token is missing or not trusted (HTTP 401)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def load_jwks(path: Path) -> dict[str, Any]:
    """Public keys by ``kid`` from a JWKS file (``{"keys": [...]}``). Private keys are refused."""
    import jwt

    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ServerConfigError(f"{path}: {exc.strerror or 'cannot read the JWKS file'}") from None
    if len(raw) > MAX_JWKS_BYTES:
        raise ServerConfigError(f"{path}: the JWKS file is larger than {MAX_JWKS_BYTES // 1024} KB")
    from ..errors import JSONInputError
    from ..model.encounter import strict_json_loads

    try:
        data = strict_json_loads(raw)
    except JSONInputError as exc:
        raise ServerConfigError(f"{path}: {exc.message}") from None
    except (ValueError, RecursionError):
        raise ServerConfigError(f"{path}: not a JSON file") from None
    keys = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(keys, list) or not keys:
        raise ServerConfigError(f'{path}: a JWKS file holds {{"keys": [...]}} with at least one key')
    out: dict[str, Any] = {}
    for n, jwk in enumerate(keys, start=1):
        where = f"{path}: key {n}"
        if not isinstance(jwk, dict):
            raise ServerConfigError(f"{where} is not a JSON object")
        kid = jwk.get("kid")
        if not isinstance(kid, str) or not kid:
            raise ServerConfigError(f"{where} has no 'kid'; CDS Hooks tokens name their key by kid")
        if kid in out:
            raise ServerConfigError(f"{where}: kid '{kid[:60]}' appears twice")
        if "d" in jwk or "p" in jwk:
            raise ServerConfigError(f"{where} is a private key; the JWKS file must hold public keys only")
        if jwk.get("use", "sig") != "sig":
            continue
        try:
            out[kid] = jwt.PyJWK(jwk)
        except jwt.PyJWTError:
            raise ServerConfigError(f"{where} is not a usable signing key") from None
    if not out:
        raise ServerConfigError(f"{path}: no signing key ('use' must be 'sig' or absent)")
    return out


class TokenVerifier:
    """Verifies CDS Hooks bearer tokens against the configured keys and issuers."""

    def __init__(
        self,
        keys: dict[str, Any],
        issuers: tuple[str, ...],
        algorithms: tuple[str, ...],
        replays: ReplayStore | None = None,
    ) -> None:
        self.keys = keys
        self.issuers = frozenset(issuers)
        self.algorithms = tuple(algorithms)
        self.replays: ReplayStore = replays if replays is not None else ReplayCache()

    def verify(self, authorization: str | None, audience: str, now: float | None = None) -> dict[str, Any]:
        """The token's claims, or :class:`AuthError` naming why it is refused."""
        import jwt

        if not authorization:
            raise AuthError("missing Authorization header (a CDS Hooks call carries the EHR's signed JWT)")
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise AuthError("the Authorization header must be 'Bearer <JWT>'")
        if len(token) > MAX_TOKEN_CHARS:
            raise AuthError("the token is too long")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthError("the bearer token is not a JWT") from None
        alg = header.get("alg")
        if alg not in self.algorithms:
            raise AuthError("the token's signature algorithm is not accepted here (" + ", ".join(self.algorithms) + ")")
        kid = header.get("kid")
        key = self.keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise AuthError("the token's key id (kid) is not among the trusted keys")
        now = time.time() if now is None else now
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=audience,
                leeway=CLOCK_LEEWAY,
                options={"require": ["iss", "aud", "exp", "iat", "jti"], "verify_sub": False},
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("the token has expired") from None
        except jwt.InvalidAudienceError:
            raise AuthError("the token's audience (aud) is not the URL of this service") from None
        except jwt.MissingRequiredClaimError as exc:
            raise AuthError(f"the token lacks the '{exc.claim}' claim") from None
        except jwt.InvalidSignatureError:
            raise AuthError("the token's signature does not verify") from None
        except jwt.ImmatureSignatureError:
            raise AuthError("the token is not valid yet") from None
        except jwt.InvalidIssuedAtError:
            raise AuthError("the token's iat is not a time") from None
        except (jwt.PyJWTError, ValueError, TypeError):
            raise AuthError("the token does not verify") from None
        iss = claims.get("iss")
        if not isinstance(iss, str) or iss not in self.issuers:
            raise AuthError("the token's issuer (iss) is not on the allow-list")
        exp, iat = claims.get("exp"), claims.get("iat")
        if not isinstance(exp, (int, float)) or not isinstance(iat, (int, float)):
            raise AuthError("the token's exp and iat must be times")
        if exp - max(iat, now) > MAX_TOKEN_LIFETIME + CLOCK_LEEWAY:
            raise AuthError("the token expires more than five minutes from now")
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti or len(jti) > 256:
            raise AuthError("the token's jti must be a non-empty string")
        if not self.replays.first_use(iss, jti, float(exp), now):
            raise AuthError("the token has been used before (jti replay)")
        return claims
