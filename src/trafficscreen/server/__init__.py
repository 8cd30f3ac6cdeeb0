"""A CDS Hooks service and an embeddable triage form (the optional ``server`` extra).

>>> from trafficscreen.server import ServerConfig, create_app          # doctest: +SKIP
>>> app = create_app(ServerConfig(jwks=Path("ehr-keys.json"), issuers=("https://ehr.example",)))  # doctest: +SKIP

``create_app`` returns an ASGI application (Starlette); ``trafficscreen serve`` runs it under uvicorn.
Starlette, uvicorn, PyJWT and httpx are imported only when the server is built, never by
``import trafficscreen``. See docs/server.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from ..errors import ServerConfigError
    from .app import create_app
    from .config import ServerConfig

_EXPORTS: dict[str, str] = {
    "create_app": ".app",
    "ServerConfig": ".config",
    "ServerConfigError": "..errors",
}

__all__ = ["ServerConfig", "ServerConfigError", "create_app"]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
