"""What a deployment of the server decides: the set, language and referral routes it serves, whom it
trusts to call its CDS Hooks services, and who may frame its form.

A :class:`ServerConfig` is plain data, checked when it is made; :func:`trafficscreen.server.create_app`
turns it into an application. Nothing here imports the web framework.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ..core.engine import DEFAULT_SET
from ..errors import ServerConfigError as ServerConfigError  # re-exported: its old home
from ..messages import check_lang

MAX_BODY_BYTES = 256 * 1024
"""Largest request body accepted, in bytes."""
MAX_JSON_DEPTH = 64
"""Deepest nesting of arrays and objects accepted in a JSON body."""
MAX_TOKEN_LIFETIME = 300
"""CDS Hooks: an EHR's token expires no more than five minutes after it is issued."""
CLOCK_LEEWAY = 60
"""Seconds of clock difference allowed between the EHR and this service."""
ALGORITHMS: tuple[str, ...] = ("ES384", "RS384")
"""Signature algorithms accepted by default: the two CDS Hooks asks services to support."""
KNOWN_ALGORITHMS = frozenset({"ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})

LANG_JURISDICTION: dict[str, str] = {"nb": "NO", "pt": "PT", "en": "GB"}
"""Referral pack used when none is configured: the country of the form's language. For a first look only;
a deployment names its jurisdiction (``--jurisdiction`` or a site file)."""

_KEYWORDS = frozenset({"'self'", "'none'"})
_HOST_SOURCE = re.compile(r"^(https?://)(\*\.)?[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?$")


def check_frame_ancestor(source: str) -> str:
    """A CSP ``frame-ancestors`` source: ``'self'``, ``'none'`` or an http(s) origin (``*.`` allowed)."""
    if source in _KEYWORDS or _HOST_SOURCE.fullmatch(source):
        return source
    raise ServerConfigError(
        "a frame-ancestors source must be 'self', 'none' or an origin such as https://ehr.example.org "
        "(quotes, spaces, ';' and ',' are not allowed)"
    )


def _check_url(value: str, what: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ServerConfigError(f"{what} must be an http(s) URL without a query or fragment")
    return value.rstrip("/")


REPLAY_STORE_HELP = (
    "the replay store is 'memory' (one process only), sqlite:///ABSOLUTE/PATH or postgresql://USER@HOST[:PORT]/DATABASE"
)


def check_replay_store(value: str) -> str:
    """A replay-store setting, checked without connecting (the URL is never repeated: it may hold a
    password)."""
    if value == "memory" or value.startswith(("postgresql://", "postgres://")):
        return value
    if value.startswith("sqlite:///") and len(value) > len("sqlite:///"):
        return value
    raise ServerConfigError(REPLAY_STORE_HELP)


@dataclass(frozen=True)
class ServerConfig:
    """Settings of one server. Every path is read when the application is created.

    ``jwks`` and ``issuers`` enable the CDS Hooks services; without them the services refuse every call
    (the form still works), unless ``insecure_dev_no_auth`` turns authentication off for local
    development. ``public_url`` is the base URL the EHR calls (``https://cds.hospital.example``); it is
    the start of the audience every token must name, and of the form links on cards. Without it both
    come from the request's own URL, which is right only when no proxy rewrites the host.

    ``replay_store`` is where the token ids already used are recorded, shared by every worker: ``None``
    for a SQLite file in ``state_dir`` (default ``$TRAFFICSCREEN_STATE_DIR``, else
    ``$XDG_STATE_HOME/trafficscreen`` or ``~/.local/state/trafficscreen``), ``sqlite:///PATH``,
    ``postgresql://USER@HOST/DB`` for several hosts, or ``memory`` for one process only.
    """

    set_ref: str = DEFAULT_SET
    lang: str = "en"
    jurisdiction: str | None = None
    site: Path | None = None
    jwks: Path | None = None
    issuers: tuple[str, ...] = ()
    frame_ancestors: tuple[str, ...] = ("'self'",)
    insecure_dev_no_auth: bool = False
    public_url: str | None = None
    fhir_servers: tuple[str, ...] = ()
    cors_origins: tuple[str, ...] = ()
    algorithms: tuple[str, ...] = ALGORITHMS
    allow_draft: bool = False
    max_body_bytes: int = MAX_BODY_BYTES
    max_json_depth: int = MAX_JSON_DEPTH
    fhir_timeout: float = 5.0
    extra_headers: dict[str, str] = field(default_factory=dict)
    state_dir: Path | None = None
    replay_store: str | None = None

    def __post_init__(self) -> None:
        check_lang(self.lang)
        if self.replay_store is not None:
            check_replay_store(self.replay_store)
        if self.state_dir is not None and Path(self.state_dir).exists() and not Path(self.state_dir).is_dir():
            raise ServerConfigError(f"{self.state_dir}: the state directory is not a folder")
        if not self.frame_ancestors:
            raise ServerConfigError("frame-ancestors needs at least one source ('none' forbids framing)")
        for source in self.frame_ancestors:
            check_frame_ancestor(source)
        if "'none'" in self.frame_ancestors and len(self.frame_ancestors) > 1:
            raise ServerConfigError("frame-ancestors 'none' cannot be combined with other sources")
        if self.public_url is not None:
            object.__setattr__(self, "public_url", _check_url(self.public_url, "the public URL"))
        object.__setattr__(self, "fhir_servers", tuple(_check_url(u, "a FHIR server URL") for u in self.fhir_servers))
        for origin in self.cors_origins:
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
                raise ServerConfigError("a CORS origin must be scheme://host[:port], such as https://ehr.example.org")
        unknown = [a for a in self.algorithms if a not in KNOWN_ALGORITHMS]
        if unknown or not self.algorithms:
            raise ServerConfigError("signature algorithms must be chosen from " + ", ".join(sorted(KNOWN_ALGORITHMS)))
        if any(not i or len(i) > 2048 for i in self.issuers):
            raise ServerConfigError("an issuer must be a non-empty string (the EHR's 'iss')")
        if not 1024 <= self.max_body_bytes <= 16 * 1024 * 1024:
            raise ServerConfigError("the body limit must be between 1 KB and 16 MB")
        if not 4 <= self.max_json_depth <= 512:
            raise ServerConfigError("the JSON depth limit must be between 4 and 512")
        if self.site is not None and not Path(self.site).is_file():
            raise ServerConfigError(f"{self.site}: no such site file")
        if self.jwks is not None and not Path(self.jwks).is_file():
            raise ServerConfigError(f"{self.jwks}: no such JWKS file")

    def to_json(self) -> str:
        """The settings as JSON (for worker processes, which rebuild the application from it)."""
        import json
        from dataclasses import asdict

        data = asdict(self)
        for key in ("site", "jwks", "state_dir"):
            data[key] = str(data[key]) if data[key] is not None else None
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> ServerConfig:
        import json
        from dataclasses import fields

        data = json.loads(text)
        if not isinstance(data, dict):
            raise ServerConfigError("server settings must be a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ServerConfigError(f"unknown server setting '{unknown[0][:40]}'")
        for key in ("site", "jwks", "state_dir"):
            if data.get(key) is not None:
                data[key] = Path(data[key])
        for key in ("issuers", "frame_ancestors", "fhir_servers", "cors_origins", "algorithms"):
            if key in data:
                data[key] = tuple(data[key])
        return cls(**data)

    @property
    def auth_configured(self) -> bool:
        return self.jwks is not None and bool(self.issuers)

    def jurisdiction_for(self, lang: str, site_jurisdiction: str | None = None) -> str:
        """The referral pack for guidance in ``lang``: the configured one, the site file's, or the
        language's country."""
        if self.jurisdiction:
            return self.jurisdiction
        if site_jurisdiction:
            return site_jurisdiction
        return LANG_JURISDICTION[lang]
