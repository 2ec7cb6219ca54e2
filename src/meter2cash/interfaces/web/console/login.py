"""Staff log in and out. A failed login says only "wrong username or password"; repeated failures
lock the account (platform.users). The session is renewed at login (no fixation)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from meter2cash.interfaces.web.auth import STAFF_KEY, app_context, check_csrf, csrf_token
from meter2cash.interfaces.web.templating import ROLES_KEY, render
from meter2cash.platform.audit import record_audit
from meter2cash.platform.db import unit_of_work
from meter2cash.platform.users import authenticate

router = APIRouter()


@router.get("/login")
def login_page(request: Request) -> Response:
    if request.session.get(STAFF_KEY):
        return RedirectResponse("/", status_code=303)
    return render(request, "console/login.html", {"refusal": None})


@router.post("/login", dependencies=[Depends(check_csrf)])
def login(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=200)],
) -> Response:
    ctx = app_context(request)
    now = ctx.clock.now()
    with unit_of_work(ctx.sessions) as session:
        result = authenticate(session, username=username, password=password, at=now)
        if result.actor is not None:
            record_audit(
                session,
                at=now,
                actor=result.actor.username,
                action="user.login",
                object_type="user",
                object_id=result.actor.username,
                after={"via": "web"},
            )
    if result.actor is None:
        return render(request, "console/login.html", {"refusal": result.refusal}, status=401)
    request.session.clear()
    request.session[STAFF_KEY] = result.actor.username
    request.session[ROLES_KEY] = sorted(r.value for r in result.actor.roles)
    csrf_token(request)
    return RedirectResponse("/", status_code=303)


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
