"""Who is asking: staff sessions, customer sessions, API tokens, and CSRF.

- **Staff** log in with username and password (argon2, lockout: ``platform.users``). The session
  is a signed cookie (Starlette's ``SessionMiddleware``, itsdangerous), HttpOnly and
  SameSite=strict, Secure when ``M2C_COOKIE_SECURE`` is set, and it expires.
- **Integrations** present ``Authorization: Bearer m2c_…`` (``platform.api_tokens``): the token's
  user's roles *and* the token's scopes must both allow the action.
- **Customers** log in to the portal with account number and password; a customer session
  carries only the account, never a staff role.
- **CSRF**: every form carries the session's token in ``csrf_token``; HTMX and cookie-authenticated
  API calls send it in ``X-CSRF-Token``. Token-authenticated API calls need none (no cookie).

Every page and endpoint asks `requires(Action)`, which checks with the same permission rules
(``platform.permissions``) the CLI uses; the services check again inside their unit of work.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request

from meter2cash.interfaces.web.problems import CsrfRefused, NotAuthenticated
from meter2cash.platform.api_tokens import token_actor
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import Action
from meter2cash.platform.users import Actor, PermissionDenied, require, resolve_actor

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
STAFF_KEY, CUSTOMER_KEY, CSRF_KEY = "staff", "customer", "csrf"


@dataclass(frozen=True, slots=True)
class Principal:
    """The staff user behind a request, and how they came: ``session`` or ``token``."""

    actor: Actor
    via: str
    scopes: frozenset[Action] | None = None  # a token's scopes; None for a session

    @property
    def username(self) -> str:
        return self.actor.username

    def may(self, action: Action) -> bool:
        try:
            self.check(action)
        except PermissionDenied:
            return False
        return True

    def check(self, action: Action) -> None:
        require(self.actor, action)
        if self.scopes is not None and action not in self.scopes:
            raise PermissionDenied(
                _("This API token is not scoped for {action}.").format(action=action.value)
            )


def app_context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use."""
    token = request.session.get(CSRF_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[CSRF_KEY] = token
    return str(token)


async def check_csrf(request: Request) -> None:
    """Refuse an unsafe request that does not carry the session's CSRF token."""
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get(CSRF_KEY)
    sent = request.headers.get("x-csrf-token")
    if sent is None and "form" in request.headers.get("content-type", ""):
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(str(expected), sent):
        raise CsrfRefused()


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _sep, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


async def principal(request: Request) -> Principal:
    """The staff user of the request: a bearer token, or else the session (CSRF-checked)."""
    ctx = app_context(request)
    token = _bearer(request)
    if token is not None:
        with unit_of_work(ctx.sessions) as session:
            found = token_actor(session, token=token, at=ctx.clock.now())
        return Principal(actor=found.actor, via="token", scopes=found.scopes)
    username = request.session.get(STAFF_KEY)
    if not username:
        raise NotAuthenticated("/login")
    with unit_of_work(ctx.sessions) as session:
        try:
            actor = resolve_actor(session, username=str(username))
        except Exception as gone:  # deactivated since login
            request.session.pop(STAFF_KEY, None)
            raise NotAuthenticated("/login") from gone
    await check_csrf(request)
    return Principal(actor=actor, via="session")


def requires(action: Action) -> Callable[..., object]:
    """A dependency: the request's principal, refused unless allowed ``action``."""

    async def dependency(request: Request) -> Principal:
        who = await principal(request)
        who.check(action)
        return who

    dependency.__name__ = f"requires_{action.name.lower()}"
    return dependency


async def customer(request: Request) -> int:
    """The portal customer's account id (CSRF-checked); redirects to the portal login otherwise."""
    account_id = request.session.get(CUSTOMER_KEY)
    if not account_id:
        raise NotAuthenticated("/portal/login")
    await check_csrf(request)
    return int(account_id)
