"""Rendering console pages: the helpers every console template gets, telling an HTMX request from
a plain one, and showing a refusal (a service said no: nothing was written) on a page or in place."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from meter2cash.interfaces.web.console.labels import check_title, label
from meter2cash.interfaces.web.templating import render
from meter2cash.platform.errors import InputRefused, NotFound
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.users import PermissionDenied

# What a write action may be refused with; anything else is a fault and goes to the error page.
REFUSALS: tuple[type[Exception], ...] = (InputRefused, PermissionDenied, NotFound, ValueError)


def is_htmx(request: Request) -> bool:
    """Whether HTMX sent the request (it then wants a fragment, not a whole page)."""
    return request.headers.get("hx-request") == "true"


def page(
    request: Request, template: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> Response:
    """Render a console template with the code labels and check titles at hand."""
    helpers = {"label": label, "check_title": check_title, "num": plain_number}
    return render(request, template, helpers | (context or {}), status=status)


def plain_number(value: Decimal | int | str | None) -> str:
    """A decimal without trailing zeros or exponent (``300``, ``12.5``); ``—`` for none."""
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)


def refusal_status(error: Exception) -> int:
    """403 for a permission or four-eyes refusal, 404 for an unknown object, 422 for bad input."""
    if isinstance(error, PermissionDenied):
        return 403
    if isinstance(error, NotFound):
        return 404
    return 422


def refusal_title(error: Exception) -> str:
    status = refusal_status(error)
    if status == 403:
        return _("Not allowed")
    if status == 404:
        return _("Not found")
    return _("Input refused; nothing was written.")


def refusal_lines(error: Exception) -> list[str]:
    """The refusal's message, then each problem it names."""
    if isinstance(error, InputRefused):
        return [error.summary, *(p.describe() for p in error.problems[:50])]
    return [str(error)]


def refusal_page(request: Request, *, error: Exception, back: str) -> Response:
    """A whole page saying what was refused and why, with a way back; its status says the kind."""
    return page(
        request,
        "console/refusal.html",
        {"title": refusal_title(error), "lines": refusal_lines(error), "back": back},
        status=refusal_status(error),
    )


FLASH_KEY = "console_flash"


def flash(request: Request, message: str) -> None:
    """Keep a one-line result for the next page the user sees (after a redirect)."""
    request.session[FLASH_KEY] = message[:500]


def take_flash(request: Request) -> str | None:
    """The kept result, once."""
    message = request.session.pop(FLASH_KEY, None)
    return str(message) if message else None
