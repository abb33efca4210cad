"""The web application: API and pages of every domain, one layout, one language choice, one error shape.

``regia serve`` runs ``uvicorn regia.web.app:create_app --factory``. Tests build their own app with
``create_app(engine=...)``. The database session dependency is :func:`get_session` (defined in
``regia.db`` so that domain routers can use it without importing this package).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.datastructures import MutableHeaders, QueryParams
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from regia.analytics import api as needs_api
from regia.analytics import iefp_demand, pact_evidence, programming_needs
from regia.analytics import mismatch as mismatch_analytics
from regia.analytics import pages as needs_pages
from regia.auth import api as auth_api
from regia.auth import pages as auth_pages
from regia.auth import web as auth_web
from regia.catalog import api as catalog_api
from regia.catalog import pages as catalog_pages
from regia.catalog import search as catalog_search
from regia.certification import api as certification_api
from regia.certification import pages as certification_pages
from regia.certification import service as certification_service
from regia.config import Settings, get_settings
from regia.db import get_engine, request_session, session_factory
from regia.exchange import api as exchange_api
from regia.exchange import pages as exchange_pages
from regia.i18n import N_
from regia.iefp import api as iefp_api
from regia.iefp import pages as iefp_pages
from regia.jobs import api as jobs_api
from regia.jobs import pages as jobs_pages
from regia.jobs import queue as jobs_queue
from regia.linkage import pages as linkage_pages
from regia.monitoring import api as monitoring_api
from regia.monitoring import pages as monitoring_pages
from regia.monitoring import service as monitoring_service
from regia.pacts import api as pacts_api
from regia.pacts import pages as pacts_pages
from regia.programming import api as programming_api
from regia.programming import pages as programming_pages
from regia.taxonomy import api as taxonomy_api
from regia.taxonomy import pages as taxonomy_pages
from regia.taxonomy import service as taxonomy_service
from regia.taxonomy.schemas import TaxonomyStats
from regia.web import fund_pages, i18n
from regia.web.problems import (
    API_ERROR_RESPONSES,
    http_exception_detail,
    problem,
    validation_errors,
    wants_problem,
)
from regia.web.templating import STATIC_DIR, NavItem, make_templates

log = logging.getLogger(__name__)

get_session = request_session  # the FastAPI dependency that yields a database session
SessionDep = Annotated[Session, Depends(get_session)]

SWAGGER_JS = "vendor/swagger-ui/swagger-ui-bundle.js"
SWAGGER_CSS = "vendor/swagger-ui/swagger-ui.css"

# Each domain with pages brings its router, its templates folder and, optionally, its entries of the main
# navigation (``NAV``: ``(key, route name, label key)``), shown in this order.
PAGE_DOMAINS = {"taxonomy": taxonomy_pages, "auth": auth_pages, "catalog": catalog_pages, "needs": needs_pages,
                "pacts": pacts_pages, "programming": programming_pages, "monitoring": monitoring_pages,
                "certification": certification_pages, "iefp": iefp_pages, "exchange": exchange_pages,
                "linkage": linkage_pages, "jobs": jobs_pages, "fund": fund_pages}
NAV: list[NavItem] = [("home", "home", N_("nav.home")), ("taxonomy", "taxonomy_search_page", N_("nav.taxonomy")),
                      ("map", "taxonomy_map_page", N_("nav.map"))]
# The catalogue's first: routes are matched in this order, and its search is the busiest route (each
# router passed costs ~5 us per request on FastAPI's nested routing); their paths do not overlap.
API_ROUTERS = [catalog_api.router, taxonomy_api.router, auth_api.router, pacts_api.router,
               mismatch_analytics.api_router, mismatch_analytics.page_router, needs_api.router,
               programming_api.router, monitoring_api.router, certification_api.router,
               certification_api.documents_router, iefp_api.router, jobs_api.router]


def nav_items() -> list[NavItem]:
    return NAV + [item for domain in PAGE_DOMAINS.values() for item in getattr(domain, "NAV", ())]


def template_dirs() -> dict[str, Path]:
    """Where each domain's templates are, by the name they are found under (``taxonomy/search.html``)."""
    return {name: Path(domain.TEMPLATES_DIR) for name, domain in PAGE_DOMAINS.items()}


def _version() -> str:
    try:
        return version("regia")
    except PackageNotFoundError:  # running from a source tree without installing
        return "0+unknown"


class DatabaseHealth(BaseModel):
    reachable: bool
    dialect: str
    error: str | None = Field(default=None, description="Kind of failure, when not reachable")


class TaxonomySummary(BaseModel):
    occupations: int
    skills: int
    skill_groups: int
    isco_groups: int
    cp2011_codes: int
    ateco_2025: int
    regions: int
    provinces: int
    comuni: int

    @classmethod
    def from_stats(cls, s: TaxonomyStats) -> TaxonomySummary:
        return cls(occupations=s.occupations, skills=s.skills, skill_groups=s.skill_groups,
                   isco_groups=s.isco_groups, cp2011_codes=s.cp2011_codes, ateco_2025=s.ateco.get("2025", 0),
                   regions=s.regions, provinces=s.provinces, comuni=s.comuni)


class Health(BaseModel):
    status: Literal["ok", "degraded", "error"] = Field(
        description="ok: database reachable and taxonomy readable; degraded: database reachable but the "
                    "taxonomy is not (schema not migrated?); error: database unreachable (HTTP 503)")
    version: str
    database: DatabaseHealth
    taxonomy: TaxonomySummary | None = None


def _health(engine: Engine) -> Health:
    database = DatabaseHealth(reachable=True, dialect=engine.dialect.name)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        # The class name only: the message may hold the database URL.
        database = DatabaseHealth(reachable=False, dialect=engine.dialect.name, error=type(exc).__name__)
        return Health(status="error", version=_version(), database=database)
    try:
        with session_factory(engine)() as session:
            summary = TaxonomySummary.from_stats(taxonomy_service.stats(session))
    except SQLAlchemyError:
        return Health(status="degraded", version=_version(), database=database)
    return Health(status="ok", version=_version(), database=database, taxonomy=summary)


def _warm_search_index(engine: Engine) -> None:
    """Build the in-memory search indexes (taxonomy, catalogue) once at start, so that the first visitor does
    not wait for them."""
    try:
        with session_factory(engine)() as session:
            taxonomy_service.search(engine, session, "lavoro", limit=1)
        catalog_search.index_for(engine)
    except SQLAlchemyError as exc:
        log.warning("search indexes not built at start (%s); they will be built on the first search",
                    type(exc).__name__)


class LanguageChoice:
    """Sets ``request.state.lang`` (``?lang=``, else the cookie, else the default) and, on HTML answers, adds
    ``Vary: Cookie`` and remembers a ``?lang=`` choice in the cookie. A plain ASGI middleware: the API's hot
    paths (catalogue search) pay a few microseconds for it, not the task group and streams of
    ``@app.middleware("http")``."""

    def __init__(self, app: ASGIApp, default: str) -> None:
        self.app = app
        self.default = default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        asked = QueryParams(query).get("lang") if b"lang=" in query else None
        cookie = None
        for name, value in scope.get("headers", ()):
            if name == b"cookie":
                cookie = cookie_parser(value.decode("latin-1")).get(i18n.COOKIE)
                break
        scope.setdefault("state", {})["lang"] = i18n.negotiate(query=asked, cookie=cookie, default=self.default)
        remember = asked.lower() if asked and asked.lower() in i18n.SUPPORTED and cookie != asked.lower() \
            else None

        async def send_with_vary(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if headers.get("content-type", "").startswith("text/html"):
                    headers.append("Vary", "Cookie")
                    if remember:
                        carrier = Response()
                        carrier.set_cookie(i18n.COOKIE, remember, max_age=365 * 24 * 3600, samesite="lax",
                                           httponly=True)
                        headers.append("set-cookie", carrier.headers["set-cookie"])
            await send(message)

        await self.app(scope, receive, send_with_vary)


def bind_engine(app: FastAPI, engine: Engine) -> None:
    """Everything the app holds of its database (routes read it from ``app.state``): set by :func:`create_app`,
    and by tests that reuse one app over fresh copies of a database (an app's first request builds its routing,
    which costs far more than the request). A domain that keeps engine-bound state on the app sets it here."""
    app.state.engine = engine
    app.state.pact_evidence = pact_evidence.make_provider(engine)  # figures frozen into submitted pacts
    app.state.programming_needs = programming_needs.make_provider(engine)  # needs of the programming scenarios
    app.state.course_competences = partial(certification_service.course_competences, engine)  # course page hook
    app.state.certified_skills_of = partial(certification_service.certified_skills_of, engine)  # orientation hook
    exchange_api.bind_engine(app)  # the exchange's figures and rate-limit counts belong to this database
    app.state.iefp_demand = iefp_demand.make_provider(engine)  # local demand for the IeFP paths and places
    app.state.place_names = None  # territory code -> name, loaded by the first page that names one
    app.state.iefp_hiring = partial(monitoring_service.first_hires, engine)  # IeFP hirings from the CO records


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = engine if engine is not None else get_engine(settings.database_url)
    default_lang = settings.default_lang if settings.default_lang in i18n.SUPPORTED else i18n.DEFAULT

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        threading.Thread(target=_warm_search_index, args=(engine,), name="regia-search-warmup",
                         daemon=True).start()
        yield

    app = FastAPI(
        title="Regia",
        version=_version(),
        summary="Skills and employment policy for Regione Lombardia, steered by shared data.",
        description="REST API of Regia. Concepts are identified by ESCO URIs or by the standards' own codes "
                    "(ISCO-08, ISTAT CP2011, ATECO, NUTS/ISTAT territories).\n\n"
                    "This service uses the ESCO classification of the European Commission. "
                    "Territories: Fonte: ISTAT.",
        license_info={"name": "EUPL-1.2", "identifier": "EUPL-1.2"},
        lifespan=lifespan,
        docs_url=None,  # served below from the vendored Swagger UI, so that it works offline
        redoc_url=None,
    )
    templates = make_templates(template_dirs(), nav_items=nav_items())
    app.state.settings = settings
    bind_engine(app, engine)
    app.state.templates = templates
    app.state.job_queue = partial(jobs_queue.enqueue, settings=settings)  # "run job N", for the worker
    app.add_middleware(catalog_api.CachedSearchAnswers)  # innermost: behind the security headers and limits
    # policy errors, login redirect, 403 page, body size limit (uploads: their own), CORS (off by default)
    upload_limit = settings.jobs_max_upload_bytes + 1_000_000  # the file, and the form around it
    auth_web.install(app, uploads=(("/api/jobs/", upload_limit), ("/jobs/upload/", upload_limit)))
    exchange_api.install(app)  # the machine-to-machine API under /exchange/v1, its own OpenAPI document

    app.add_middleware(LanguageChoice, default=default_lang)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if wants_problem(request):
            return problem(request, exc.status_code, http_exception_detail(exc),
                           headers=dict(exc.headers) if exc.headers else None)
        return request.app.state.templates.TemplateResponse(
            request, "error.html", {"status": exc.status_code, "detail": http_exception_detail(exc)},
            status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        errors = validation_errors(exc)
        if wants_problem(request):
            return problem(request, 422, "Invalid request parameters", errors=errors)
        return request.app.state.templates.TemplateResponse(request, "error.html",
                                                            {"status": 422, "detail": None}, status_code=422)

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        # Starlette still re-raises the exception afterwards, so the server logs it with its traceback.
        if wants_problem(request):
            return problem(request, 500, "The server could not answer this request")
        return request.app.state.templates.TemplateResponse(request, "error.html", {"status": 500, "detail": None},
                                                            status_code=500)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/docs", include_in_schema=False, name="swagger_ui_html")
    def swagger_ui_html(request: Request) -> HTMLResponse:
        root = str(request.scope.get("root_path", "")).rstrip("/")
        docs = partial(get_swagger_ui_html, openapi_url=f"{root}{app.openapi_url}", title=f"{app.title} – API",
                       swagger_favicon_url=f"{root}/static/favicon.svg",
                       oauth2_redirect_url=f"{root}/docs/oauth2-redirect")
        if (STATIC_DIR / SWAGGER_JS).is_file() and (STATIC_DIR / SWAGGER_CSS).is_file():
            return docs(swagger_js_url=f"{root}/static/{SWAGGER_JS}", swagger_css_url=f"{root}/static/{SWAGGER_CSS}")
        return docs()  # Swagger UI from its CDN (FastAPI's default)

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/health", response_model=Health, tags=["system"], summary="Liveness and database check",
             responses={503: {"model": Health, "description": "Database unreachable"}})
    def health() -> Response:
        result = _health(app.state.engine)
        return JSONResponse(result.model_dump(mode="json"), status_code=503 if result.status == "error" else 200)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False, name="home")
    def home(request: Request, session: SessionDep) -> Response:
        try:
            counts: TaxonomyStats | None = taxonomy_service.stats(session)
        except SQLAlchemyError:
            counts = None
        return request.app.state.templates.TemplateResponse(request, "home.html",
                                                            {"nav": "home", "stats": counts})

    for router in API_ROUTERS:
        app.include_router(router, responses=API_ERROR_RESPONSES)
    for domain in PAGE_DOMAINS.values():
        app.include_router(domain.router, include_in_schema=False)
    return app
