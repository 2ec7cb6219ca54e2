"""The composition of the web application: middleware, error handlers, the API, the console and the
portal on one FastAPI app. ``create_app(ctx)`` is what ``m2c serve`` runs and what tests drive."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from meter2cash.interfaces.web.language import LanguageMiddleware
from meter2cash.interfaces.web.problems import install_problem_handlers
from meter2cash.interfaces.web.security_headers import SecurityHeadersMiddleware
from meter2cash.interfaces.web.templating import make_templates
from meter2cash.platform.context import AppContext

STATIC = Path(__file__).resolve().parent / "static"
API_PREFIX = "/api/v1"


def session_secret(ctx: AppContext) -> str:
    """``M2C_SECRET_KEY``, or a key made once and kept (mode 600) in the data directory."""
    if ctx.settings.secret_key:
        return ctx.settings.secret_key
    path = ctx.settings.data_dir / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def create_app(ctx: AppContext) -> FastAPI:
    from meter2cash.interfaces.web.api import api_router
    from meter2cash.interfaces.web.console import console_router
    from meter2cash.interfaces.web.portal import portal_router

    app = FastAPI(
        title="Meter2Cash API",
        version="1",
        description="抄核收 Meter2Cash REST API. Errors are RFC 9457 problem details. "
        "Authenticate with a staff session cookie (and X-CSRF-Token on writes) or an API token "
        "(Authorization: Bearer m2c_…).",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # FastAPI's Swagger page loads its script from a CDN, which the CSP (rightly) refuses
        redoc_url=None,
    )
    app.state.ctx = ctx
    app.state.templates = make_templates()
    install_problem_handlers(app)
    app.include_router(api_router, prefix=API_PREFIX)
    app.include_router(portal_router, prefix="/portal")
    app.include_router(console_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(ctx),
        session_cookie="m2c_session",
        max_age=ctx.settings.session_hours * 3600,
        same_site="strict",
        https_only=ctx.settings.cookie_secure,
    )
    app.add_middleware(LanguageMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    return app
