"""Errors as RFC 9457 problem details (``application/problem+json``) for the API, and as a plain
page for the console and portal. No stack trace or SQL ever reaches a response: an unexpected
error is logged with a reference number, and the response shows only that number."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from meter2cash.platform.api_tokens import TokenRefused
from meter2cash.platform.errors import InputRefused, NotFound
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.users import PermissionDenied, UnknownUser

log = logging.getLogger("meter2cash.web")
PROBLEM = "application/problem+json"


class NotAuthenticated(Exception):
    """No valid session or token: the API answers 401, a page redirects to the login."""

    def __init__(self, login_path: str = "/login") -> None:
        super().__init__("not authenticated")
        self.login_path = login_path


class CsrfRefused(Exception):
    """A form or cookie-authenticated API call without the session's CSRF token."""


def problem(status: int, title: str, *, detail: str | None = None, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def _page(request: Request, status: int, title: str, detail: str | None) -> Response:
    from meter2cash.interfaces.web.templating import render

    return render(request, "error.html", {"status": status, "title": title, "detail": detail}, status=status)


def _answer(request: Request, status: int, title: str, detail: str | None = None, **extra: Any) -> Response:
    if _is_api(request):
        return problem(status, title, detail=detail, **extra)
    return _page(request, status, title, detail)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(InputRefused)
    async def refused(request: Request, exc: InputRefused) -> Response:
        problems = exc.as_dict()["problems"][:200]  # type: ignore[index]
        return _answer(request, 422, _("Input refused; nothing was written."), exc.summary, problems=problems)

    @app.exception_handler(ValueError)
    async def bad_value(request: Request, exc: ValueError) -> Response:
        return _answer(request, 422, _("Input refused; nothing was written."), str(exc))

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return _answer(request, 404, _("Not found"), str(exc))

    @app.exception_handler(PermissionDenied)
    async def denied(request: Request, exc: PermissionDenied) -> Response:
        return _answer(request, 403, _("Not allowed"), str(exc))

    @app.exception_handler(CsrfRefused)
    async def csrf(request: Request, exc: CsrfRefused) -> Response:
        return _answer(
            request, 403, _("The form has expired or did not come from this site; reload and try again.")
        )

    @app.exception_handler(TokenRefused)
    async def token(request: Request, exc: TokenRefused) -> Response:
        return problem(401, _("Not authenticated"), detail=str(exc))

    @app.exception_handler(UnknownUser)
    async def unknown(request: Request, exc: UnknownUser) -> Response:
        return _answer(request, 401, _("Not authenticated"), str(exc))

    @app.exception_handler(NotAuthenticated)
    async def anonymous(request: Request, exc: NotAuthenticated) -> Response:
        if _is_api(request):
            return problem(401, _("Not authenticated"), detail=_("Log in or present an API token."))
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": exc.login_path})
        return RedirectResponse(exc.login_path, status_code=303)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))} for e in exc.errors()
        ][:50]
        return _answer(
            request, 422, _("Invalid request"), _("Some fields are missing or malformed."), errors=errors
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else None
        answer = _answer(request, exc.status_code, detail or _("Request refused"), None)
        for name, value in (exc.headers or {}).items():  # e.g. Allow on a 405
            answer.headers[name] = value
        return answer

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        reference = secrets.token_hex(4)
        log.exception("unexpected error %s on %s %s", reference, request.method, request.url.path)
        return _answer(
            request,
            500,
            _("Internal error"),
            _("Reference {ref}; the details are in the server log.").format(ref=reference),
        )
