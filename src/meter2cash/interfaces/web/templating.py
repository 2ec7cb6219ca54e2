"""Jinja2 templates for the console and portal: autoescaped, translated through the Babel catalogs
of the request's language, with the CSRF token and the user at hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from meter2cash.interfaces.web.auth import CUSTOMER_KEY, STAFF_KEY, csrf_token
from meter2cash.platform.i18n import N_, current_lang, gettext
from meter2cash.platform.permissions import Action, Role, allowed

TEMPLATES = Path(__file__).resolve().parent / "templates"
ROLES_KEY = "staff_roles"  # the roles at login, for showing the menu only; every page checks again

# The console menu: (path, English message id, the actions any one of which opens the page).
CONSOLE_NAV: list[tuple[str, str, tuple[Action, ...]]] = [
    ("/customers", N_("Customers"), (Action.ARCHIVE_READ,)),
    ("/reading", N_("Reading tasks"), (Action.ARCHIVE_READ,)),
    ("/exceptions", N_("Reading exceptions"), (Action.READING_RESOLVE, Action.READING_APPROVE_EDIT)),
    ("/tariffs", N_("Tariffs"), (Action.BILL_READ,)),
    ("/quote", N_("Quote"), (Action.BILL_READ,)),
    ("/bills", N_("Bills"), (Action.BILL_READ,)),
    ("/counter", N_("Counter"), (Action.PAYMENT_TAKE, Action.PAYMENT_REVERSE_APPROVE)),
    ("/card-vend", N_("Card vend"), (Action.PREPAID_VEND,)),
    ("/reconciliation", N_("Reconciliation"), (Action.BANK_FILE, Action.RECONCILE_RESOLVE)),
    (
        "/disconnections",
        N_("Disconnections"),
        (Action.DISCONNECT_PROPOSE, Action.DISCONNECT_APPROVE, Action.DISCONNECT_EXECUTE),
    ),
    ("/dunning", N_("Dunning"), (Action.DUNNING_RUN,)),
    ("/audit", N_("Audit trail"), (Action.AUDIT_READ,)),
]


def _ngettext(singular: str, plural: str, n: int) -> str:
    return gettext(singular if n == 1 else plural)


def _nav(request: Request) -> list[tuple[str, str]]:
    roles = {Role(r) for r in request.session.get(ROLES_KEY, []) if r in Role._value2member_map_}
    return [
        (href, label)
        for href, label, actions in CONSOLE_NAV
        if any(allowed(roles=roles, action=action) for action in actions)
    ]


def _context(request: Request) -> dict[str, Any]:
    return {
        "console_nav": _nav(request),
        "lang": current_lang(),
        "csrf_token": csrf_token(request),
        "staff_user": request.session.get(STAFF_KEY),
        "customer_account": request.session.get(CUSTOMER_KEY),
        "path": request.url.path,
    }


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES), context_processors=[_context])
    env = templates.env
    env.autoescape = True
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    return templates


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> Response:
    """Render a console or portal page with the request's language, user and CSRF token."""
    templates: Jinja2Templates = request.app.state.templates
    response: Response = templates.TemplateResponse(request, template, context or {}, status_code=status)
    return response
