"""``trafficscreen serve``: run the CDS Hooks service and the triage form under uvicorn.

Registered through ``COMMAND_MODULES`` in :mod:`._main`; the web framework is imported only when the command runs.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from pathlib import Path
from typing import Any

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}},
    "loggers": {
        "trafficscreen.server": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
    },
}
"""Access lines come from the application (method, route, status, time); uvicorn's own access log, which
would print query strings, is off."""


def register(sub: Any) -> None:
    p = sub.add_parser(
        "serve",
        help="run the CDS Hooks service and the triage form (needs the 'server' extra)",
        description="Serve the triage form at /form and CDS Hooks services at /cds-services. Binds to "
        "127.0.0.1 unless --host says otherwise. See docs/server.md.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=8080, help="port (default: 8080)")
    p.add_argument("--set", help="set id, id@version or path (default: the shipped default set)")
    p.add_argument("--lang", default="en", help="default language of the form and of cards: en, pt or nb")
    p.add_argument(
        "--jurisdiction",
        help="referral pack (NO, PT, US, GB...); default: the site file's, or the form language's country",
    )
    p.add_argument("--site", type=Path, metavar="FILE", help="site file with local contacts and steps")
    p.add_argument("--jwks", type=Path, metavar="FILE", help="JWKS file with the EHR's public signing keys")
    p.add_argument(
        "--issuer",
        action="extend",
        nargs="+",
        default=[],
        metavar="ISS",
        help="an EHR issuer (iss) allowed to call the hooks; repeat for more",
    )
    p.add_argument(
        "--frame-ancestors",
        nargs="+",
        default=["'self'"],
        metavar="SOURCE",
        help="who may frame the form: 'self', 'none' or origins such as https://ehr.example.org",
    )
    p.add_argument(
        "--public-url",
        metavar="URL",
        help="base URL the EHR calls (the start of every token's "
        "aud and of form links), e.g. https://cds.hospital.example",
    )
    p.add_argument(
        "--fhir-server",
        action="extend",
        nargs="+",
        default=[],
        metavar="URL",
        help="an EHR FHIR server the hooks may read from when prefetch is missing; repeat for more",
    )
    p.add_argument(
        "--cors-origin",
        action="extend",
        nargs="+",
        default=[],
        metavar="ORIGIN",
        help="an origin allowed to call from a browser (CORS is closed by default)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes (default 1); more use more cores, "
        "and all share one record of token ids seen (replay check)",
    )
    p.add_argument(
        "--state-dir",
        type=Path,
        metavar="DIR",
        help="where the server keeps state shared by its "
        "workers (the token ids seen, in replay.sqlite3); default $TRAFFICSCREEN_STATE_DIR, else "
        "$XDG_STATE_HOME/trafficscreen or ~/.local/state/trafficscreen",
    )
    p.add_argument(
        "--replay-store",
        metavar="URL",
        help="where token ids seen are recorded: "
        "postgresql://USER@HOST[:PORT]/DB for workers on several hosts (needs the 'postgres' extra; "
        "keep the password in ~/.pgpass or PGPASSWORD), sqlite:///PATH, or 'memory' (one process "
        "only); default: SQLite in --state-dir",
    )
    p.add_argument("--allow-draft", action="store_true", help="allow a draft set (research only)")
    p.add_argument(
        "--insecure-dev-no-auth",
        action="store_true",
        help="turn CDS Hooks authentication OFF, for local development only (loopback only)",
    )
    p.set_defaults(func=cmd_serve)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def build_config(args: argparse.Namespace) -> Any:
    from ..core.engine import DEFAULT_SET
    from ..server.config import ServerConfig

    return ServerConfig(
        set_ref=args.set or DEFAULT_SET,
        lang=args.lang,
        jurisdiction=args.jurisdiction,
        site=args.site,
        jwks=args.jwks,
        issuers=tuple(args.issuer),
        frame_ancestors=tuple(args.frame_ancestors),
        insecure_dev_no_auth=args.insecure_dev_no_auth,
        public_url=args.public_url,
        fhir_servers=tuple(args.fhir_server),
        cors_origins=tuple(args.cors_origin),
        allow_draft=args.allow_draft,
        state_dir=getattr(args, "state_dir", None),
        replay_store=getattr(args, "replay_store", None),
    )


def cmd_serve(args: argparse.Namespace) -> int:
    from ..errors import MissingExtraError, ServerConfigError

    try:
        import uvicorn

        from ..server.app import create_app
    except ImportError:
        raise MissingExtraError("server", needed_for="the server") from None
    if not 0 < args.port < 65536:
        raise ServerConfigError("--port must be between 1 and 65535")
    if not 1 <= args.workers <= 64:
        raise ServerConfigError("--workers must be between 1 and 64")
    if args.insecure_dev_no_auth and not _loopback(args.host):
        raise ServerConfigError("--insecure-dev-no-auth is allowed only on a loopback address such as 127.0.0.1")
    config = build_config(args)
    if args.workers > 1 and config.replay_store == "memory":
        raise ServerConfigError(
            "--replay-store memory keeps token ids in one process: with --workers above 1 "
            "a replayed token would reach another worker; use SQLite or PostgreSQL"
        )
    app = create_app(config)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    base = config.public_url or f"http://{shown}:{args.port}"
    print(f"trafficscreen: triage form at {base}/form?lang={config.lang}", file=sys.stderr)
    print(f"trafficscreen: CDS Hooks discovery at {base}/cds-services", file=sys.stderr)
    if not config.auth_configured and not config.insecure_dev_no_auth:
        print(
            "trafficscreen: no --jwks/--issuer given: CDS Hooks calls are refused until an EHR is trusted",
            file=sys.stderr,
        )
    if not config.jurisdiction and config.site is None:
        print(
            "trafficscreen: no --jurisdiction given: guidance uses the form language's country "
            "(nb: NO, pt: PT, en: GB); name your jurisdiction for real use",
            file=sys.stderr,
        )
    sys.stderr.flush()
    options: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "log_config": LOGGING,
        "access_log": False,
        "server_header": False,
        "proxy_headers": False,
        "timeout_graceful_shutdown": 5,
    }
    if args.workers > 1:
        import os

        from ..server.app import CONFIG_ENV

        os.environ[CONFIG_ENV] = config.to_json()
        uvicorn.run("trafficscreen.server.app:app_from_environment", factory=True, workers=args.workers, **options)
    else:
        uvicorn.run(app, **options)
    return 0
