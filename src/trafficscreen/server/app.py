"""The ASGI application: :func:`create_app` builds it from a :class:`ServerConfig`.

Routes::

    GET  /                        redirect to the form
    GET  /form?lang=nb            the triage interview: age and who is present
    POST /form                    screen the answers so far; the next questions, or the result and guidance
    POST /api/screen?lang=nb      encounter JSON in, result JSON out (as ``trafficscreen screen --format json``)
    GET  /cds-services            CDS Hooks discovery
    POST /cds-services/{id}       a CDS Hooks call (patient-view, encounter-start); needs the EHR's JWT
    POST /Questionnaire/$next-question   HL7 SDC adaptive questionnaire: the answers so far in, the next questions out
    GET  /healthz                 {"status": "ok"}

Everything the application needs is loaded and checked when it is created (the set, the referral packs,
the site file, the keys, the replay store), so a bad setting fails at start, not on the first patient.

Parsing, screening, token checks and guidance run in worker threads (``run_in_threadpool``), never on
the event loop, so one heavy request cannot stall ``/healthz`` or the hooks.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ..core.engine import Screener
from ..errors import EncounterError, TrafficscreenError, shown_name
from ..model.common import LANGUAGES
from ..model.result import ScreeningResult
from . import cds
from .auth import AuthError, TokenVerifier, load_jwks
from .cds_models import CdsRequest, EncounterContext, PatientContext
from .config import ServerConfig, ServerConfigError
from .form import MAX_FIELDS, Assets, FormBuilder, PageRenderer, markdown_to_html
from .security import BadJson, Guard, error_code, json_error_body, parse_json

LOG = logging.getLogger("trafficscreen.server")
DEV_WARNING = "authentication disabled (--insecure-dev-no-auth): for development only, never with real patients"
DEV_BANNER = (
    "\n" + "!" * 78 + "\n"
    "!!  trafficscreen serve: CDS Hooks AUTHENTICATION IS OFF (--insecure-dev-no-auth).\n"
    "!!  Any caller can post to the hook endpoints. Use this on your own machine only,\n"
    "!!  never with real patients and never on a network others can reach.\n" + "!" * 78 + "\n"
)


def _error(status: int, message: str, headers: dict[str, str] | None = None, *, code: str | None = None) -> Response:
    """A JSON error body: the message and a stable code (the exception's ``code`` when one caused it)."""
    body = json_error_body(message, code or error_code(status))
    return Response(body, status_code=status, media_type="application/json", headers=headers)


class _Service:
    """What the request handlers share; built once."""

    def __init__(self, config: ServerConfig) -> None:
        from ..content.loader import load_set
        from ..content.referral import load_pack, load_site
        from ..fhir import questionnaire

        self.config = config
        compiled = load_set(config.set_ref, allow_draft=config.allow_draft)
        self.screener = Screener(compiled, lang=config.lang, allow_draft=config.allow_draft)
        self.site = load_site(config.site) if config.site is not None else None
        site_jurisdiction = self.site.jurisdiction if self.site is not None else None
        self.packs = {lang: load_pack(config.jurisdiction_for(lang, site_jurisdiction)) for lang in LANGUAGES}
        q = questionnaire(compiled, "R4B", config.lang)
        self.questionnaire_url: str = q["url"]
        self.questionnaire_version: str = q["version"]
        self.discovery = cds.discovery(self.questionnaire_url, self.questionnaire_version)
        from ..fhir.adaptive import AdaptiveQuestionnaire

        self.adaptive = AdaptiveQuestionnaire(self.screener)  # SDC $next-question
        self.verifier: TokenVerifier | None = None
        if config.jwks is not None:
            from .state import open_replay_store

            keys = load_jwks(config.jwks)
            replays = open_replay_store(config.replay_store, config.state_dir)
            self.verifier = TokenVerifier(keys, config.issuers, config.algorithms, replays=replays)
        self.builder = FormBuilder(compiled)
        self.assets = Assets.load()
        self.pages = PageRenderer(self.builder, self.assets, dev_mode=config.insecure_dev_no_auth)
        self.page_csp = self.assets.csp(config.frame_ancestors)
        for lang in LANGUAGES:  # fail now, not on the first patient, if packs, site or templates are unusable
            trial = self.screener.screen({"answers": {}}, lang=lang)
            self.guidance(trial, lang, "markdown")
            self.pages.page(lang, result=trial, guidance_html="")

    # --- helpers ----------------------------------------------------------------------------------

    def guidance(self, result: ScreeningResult, lang: str, fmt: str) -> str:
        from ..render.guidance import render_guidance

        return render_guidance(result, jurisdiction=self.packs[lang], lang=lang, site=self.site, format=fmt)

    def base_url(self, request: Request) -> str:
        if self.config.public_url:
            return self.config.public_url
        root = str(request.scope.get("root_path", "")).rstrip("/")
        return f"{request.url.scheme}://{request.url.netloc}{root}"

    def lang_of(self, request: Request, given: str | None = None) -> str:
        lang = given if given is not None else request.query_params.get("lang", self.config.lang)
        if lang not in LANGUAGES:
            raise HTTPException(400, f"language not supported; choose one of {', '.join(LANGUAGES)}")
        return lang

    def html(self, body: str, status: int = 200) -> HTMLResponse:
        return HTMLResponse(body, status_code=status, headers={"Content-Security-Policy": self.page_csp})

    # --- form -------------------------------------------------------------------------------------

    async def form_get(self, request: Request) -> Response:
        return self.html(self.pages.page(self.lang_of(request)))

    async def form_post(self, request: Request) -> Response:
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
            return _error(415, "the form posts application/x-www-form-urlencoded")
        body = await request.body()
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
        except UnicodeDecodeError:
            return _error(400, "the form data is not UTF-8")
        except ValueError:
            return _error(413, f"more than {MAX_FIELDS} form fields")
        given = next((v for k, v in pairs if k == "lang"), None)
        lang = self.lang_of(request, given)
        status, page = await run_in_threadpool(self._form_page, pairs, lang)
        return self.html(page, status=status)

    def _form_page(self, pairs: list[tuple[str, str]], lang: str) -> tuple[int, str]:
        """Check and screen a step of the interview, and render the next one (in a worker thread)."""
        submission = self.builder.read(pairs, lang)
        result = self.screener.screen({"answers": submission.answers}, lang=lang)
        step = self.builder.step(submission, result)
        guidance = markdown_to_html(self.guidance(result, lang, "markdown")) if step.show_result else ""
        return step.status, self.pages.page(lang, step=step, result=result, guidance_html=guidance)

    # --- JSON API ---------------------------------------------------------------------------------

    async def api_screen(self, request: Request) -> Response:
        lang = self.lang_of(request)
        kind = request.headers.get("content-type", "").split(";")[0].strip()
        if kind not in ("application/json", "application/fhir+json"):
            return _error(415, "send the encounter as application/json")
        body = await request.body()
        try:
            text = await run_in_threadpool(self._screen_json, body, lang)
        except BadJson as exc:
            return _error(exc.status, exc.reason)
        except EncounterError as exc:
            return _error(422, str(exc), code=exc.code)
        return Response(text, media_type="application/json")

    def _screen_json(self, body: bytes, lang: str) -> str:
        """Parse and screen an API body (in a worker thread: this is the CPU-heavy part)."""
        data = parse_json(body, self.config.max_json_depth)
        return self.screener.screen(data, lang=lang).model_dump_json()

    # --- FHIR: SDC adaptive questionnaire ----------------------------------------------------------

    async def next_question(self, request: Request) -> Response:
        """``POST /Questionnaire/$next-question``: a Parameters or QuestionnaireResponse in, the response with
        its next questions out (see fhir/adaptive.py and docs/fhir.md); every error is an OperationOutcome."""
        from ..fhir.adaptive import NextQuestionError, operation_outcome

        def outcome(status: int, message: str) -> Response:
            return JSONResponse(
                operation_outcome(message, status), status_code=status, media_type="application/fhir+json"
            )

        if request.headers.get("content-type", "").split(";")[0].strip() not in (
            "application/fhir+json",
            "application/json",
        ):
            return outcome(415, "send a Parameters or QuestionnaireResponse resource as application/fhir+json")
        body = await request.body()
        query = request.query_params
        try:
            out = await run_in_threadpool(self._next_question, body, query.get("lang"), query.get("count"))
        except BadJson as exc:
            return outcome(exc.status, exc.reason)
        except NextQuestionError as exc:
            return outcome(exc.status, exc.message)
        return JSONResponse(out, media_type="application/fhir+json")

    def _next_question(self, body: bytes, lang: str | None, count: str | None) -> dict[str, Any]:
        """Parse, screen and build the next step (in a worker thread)."""
        return self.adaptive.next_question(parse_json(body, self.config.max_json_depth), lang=lang, count=count)

    # --- CDS Hooks --------------------------------------------------------------------------------

    async def discovery_get(self, request: Request) -> Response:
        return JSONResponse(self.discovery)

    async def hook(self, request: Request) -> Response:
        service = cds.SERVICE_BY_ID.get(request.path_params["service_id"])
        if service is None:
            return _error(404, "no such CDS service")
        config = self.config
        if not config.insecure_dev_no_auth:
            if self.verifier is None or not config.issuers:
                return _error(
                    401,
                    "this service trusts no EHR yet: configure --jwks and --issuer",
                    {"WWW-Authenticate": "Bearer"},
                    code="auth.not_configured",
                )
            from .state import ReplayStoreError

            audience = self.base_url(request) + "/cds-services/" + service.id
            try:
                await run_in_threadpool(self.verifier.verify, request.headers.get("authorization"), audience)
            except AuthError as exc:
                return _error(
                    401, exc.reason, {"WWW-Authenticate": 'Bearer error="invalid_token"'}, code="auth.invalid_token"
                )
            except ReplayStoreError as exc:
                LOG.error("replay store unavailable: %s", exc.message)
                return _error(
                    503,
                    "the service cannot check tokens for replay right now; try again",
                    {"Retry-After": "5"},
                    code=exc.code,
                )
        body = await request.body()
        try:
            data = await run_in_threadpool(parse_json, body, config.max_json_depth)
        except BadJson as exc:
            return _error(exc.status, exc.reason)
        try:
            req = CdsRequest.model_validate(data)
            context_model = EncounterContext if service.hook == "encounter-start" else PatientContext
            context = context_model.model_validate(req.context)
        except ValidationError as exc:
            return _error(400, "not a valid CDS Hooks request: " + _first_problem(exc), code="cds.invalid_request")
        if req.hook != service.hook:
            return _error(400, f"this service answers the '{service.hook}' hook", code="cds.wrong_hook")
        return JSONResponse(await self._cards(request, req, context))

    async def _cards(self, request: Request, req: CdsRequest, context: PatientContext) -> dict[str, Any]:
        lang = self.config.lang
        base = self.base_url(request)
        form_url = f"{base}/form?lang={lang}"
        dev = self.config.insecure_dev_no_auth
        d = self.screener.set.definition
        about = cds.About(
            set_title=d.title.get(lang), set_id=d.id, version=d.version, form_url=form_url, lang=lang, dev_banner=dev
        )
        prefetched = (req.prefetch or {}).get(cds.PREFETCH_KEY)
        try:
            if prefetched is not None:
                qr = cds.response_from_prefetch(prefetched)
            elif (
                req.fhirServer
                and req.fhirAuthorization
                and cds.fhir_server_allowed(req.fhirServer, self.config.fhir_servers)
            ):
                qr = await cds.fetch_latest(
                    req.fhirServer,
                    req.fhirAuthorization.access_token,
                    context.patientId,
                    f"{self.questionnaire_url}|{self.questionnaire_version}",
                    timeout=self.config.fhir_timeout,
                    max_depth=self.config.max_json_depth,
                    parse=parse_json,
                )
            else:
                qr = None
            if qr is None:
                return cds.response([cds.info_card("missing", about)])
        except cds.NoResponse as exc:
            return cds.response([cds.info_card("unreadable", about, exc.problem)])
        return await run_in_threadpool(self._card_for, qr, context.patientId, about)

    def _card_for(self, qr: Any, patient_id: str, about: cds.About) -> dict[str, Any]:
        """Screen a QuestionnaireResponse and make the card (in a worker thread)."""
        lang = about.lang
        try:
            cds.check_subject(qr, patient_id)
            from ..fhir import encounter_from_questionnaire_response

            try:
                encounter = encounter_from_questionnaire_response(qr, self.screener.set)
            except TrafficscreenError:
                raise
            except Exception as exc:  # a shape the reader did not foresee: say so, never fail the hook
                LOG.warning("unreadable QuestionnaireResponse (%s) in a CDS Hooks call", type(exc).__name__)
                raise cds.NoResponse("it is not a QuestionnaireResponse this service can read") from None
            result = self.screener.screen(encounter, lang=lang)
        except cds.NoResponse as exc:
            return cds.response([cds.info_card("unreadable", about, exc.problem)])
        except TrafficscreenError as exc:
            return cds.response([cds.info_card("unreadable", about, exc.message)])
        card = cds.result_card(
            result,
            guidance_md=self.guidance(result, lang, "markdown"),
            form_url=about.form_url,
            lang=lang,
            dev_banner=about.dev_banner,
        )
        return cds.response([card])


def _first_problem(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) if isinstance(p, int) else shown_name(p) for p in err.get("loc", ()))
    return f"'{loc or 'body'}': {err.get('msg', 'invalid')}"


def _route_namer(service_ids: set[str]) -> Callable[[str], str]:
    known = {"/", "/form", "/api/screen", "/cds-services", "/healthz", "/favicon.ico", "/Questionnaire/$next-question"}

    def route_of(path: str) -> str:
        if path in known:
            return path
        if path.startswith("/cds-services/"):
            rest = path[len("/cds-services/") :]
            return path if rest in service_ids else "/cds-services/(unknown)"
        return "(other)"

    return route_of


def create_app(config: ServerConfig | None = None) -> Starlette:
    """The ASGI application for ``config`` (defaults: the shipped default set, English, no trusted EHR
    yet). Raises :class:`ServerConfigError` or another :class:`TrafficscreenError` for a bad setting."""
    config = config or ServerConfig()
    if config.insecure_dev_no_auth:
        sys.stderr.write(DEV_BANNER)
        LOG.warning("CDS Hooks authentication is disabled (--insecure-dev-no-auth)")
    elif config.jwks is not None and not config.issuers:
        raise ServerConfigError("a JWKS file is configured but no issuer: name the EHR's iss with --issuer")
    service = _Service(config)

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def no_icon(request: Request) -> Response:
        return Response(status_code=204)

    async def root(request: Request) -> Response:
        root = str(request.scope.get("root_path", "")).rstrip("/")
        return RedirectResponse(f"{root}/form", status_code=303)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        headers = dict(exc.headers or {})
        return _error(exc.status_code, str(exc.detail), headers)

    routes = [
        Route("/", root, methods=["GET"]),
        Route("/form", service.form_get, methods=["GET"]),
        Route("/form", service.form_post, methods=["POST"]),
        Route("/api/screen", service.api_screen, methods=["POST"]),
        Route("/cds-services", service.discovery_get, methods=["GET"]),
        Route("/cds-services/{service_id}", service.hook, methods=["POST"]),
        Route("/Questionnaire/$next-question", service.next_question, methods=["POST"]),
        Route("/healthz", health, methods=["GET"]),
        Route("/favicon.ico", no_icon, methods=["GET"]),
    ]
    extra = dict(config.extra_headers)
    if config.insecure_dev_no_auth:
        extra["X-Trafficscreen-Warning"] = DEV_WARNING
    frame = " ".join(config.frame_ancestors)
    if config.frame_ancestors == ("'self'",):
        extra.setdefault("X-Frame-Options", "SAMEORIGIN")
    elif config.frame_ancestors == ("'none'",):
        extra.setdefault("X-Frame-Options", "DENY")
    middleware = [
        Middleware(
            Guard,
            max_body_bytes=config.max_body_bytes,
            csp=f"default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors {frame}",
            route_of=_route_namer(set(cds.SERVICE_BY_ID)),
            extra_headers=tuple(extra.items()),
        )
    ]
    if config.cors_origins:
        from starlette.middleware.cors import CORSMiddleware

        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(config.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type"],
                max_age=600,
            )
        )
    app = Starlette(routes=routes, middleware=middleware, exception_handlers={HTTPException: http_error})
    app.state.service = service
    return app


CONFIG_ENV = "TRAFFICSCREEN_SERVER_CONFIG"
"""Environment variable through which ``serve --workers N`` hands its settings to each worker process."""


def app_from_environment() -> Starlette:
    """The application for a worker process started by ``serve --workers N`` (settings from the
    environment, as JSON written by the parent process)."""
    import os

    text = os.environ.get(CONFIG_ENV)
    if not text:
        raise ServerConfigError(f"{CONFIG_ENV} is not set")
    return create_app(ServerConfig.from_json(text))


__all__ = ["app_from_environment", "create_app"]
