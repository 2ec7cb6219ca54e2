"""Customers activate, log in and out of the portal. A refusal never says whether an account
exists; repeated failures lock it (``registry.portal_access``). The session is renewed at login
and carries only the customer's account — never a staff user or role."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from meter2cash.interfaces.web.auth import CUSTOMER_KEY, app_context, check_csrf, csrf_token
from meter2cash.interfaces.web.templating import render
from meter2cash.platform.errors import InputRefused
from meter2cash.platform.i18n import gettext as _
from meter2cash.registry.portal_access import activate, authenticate_customer

router = APIRouter()

AccountNo = Annotated[str, Form(max_length=32)]
Secret = Annotated[str, Form(max_length=200)]


def _start_session(request: Request, account_id: int) -> Response:
    request.session.clear()
    request.session[CUSTOMER_KEY] = account_id
    csrf_token(request)
    return RedirectResponse("/portal/", status_code=303)


@router.get("/login")
def login_page(request: Request) -> Response:
    if request.session.get(CUSTOMER_KEY):
        return RedirectResponse("/portal/", status_code=303)
    return render(request, "portal/login.html", {"refusal": None, "account_no": ""})


@router.post("/login", dependencies=[Depends(check_csrf)])
def login(request: Request, account_no: AccountNo, password: Secret) -> Response:
    result = authenticate_customer(app_context(request), account_no=account_no, password=password)
    if result.account_id is None:
        context = {"refusal": result.refusal, "account_no": account_no}
        return render(request, "portal/login.html", context, status=401)
    return _start_session(request, result.account_id)


@router.get("/activate")
def activate_page(request: Request) -> Response:
    return render(request, "portal/activate.html", {"refusal": None, "account_no": ""})


@router.post("/activate", dependencies=[Depends(check_csrf)])
def activate_account(
    request: Request,
    account_no: AccountNo,
    code: Annotated[str, Form(max_length=20)],
    password: Secret,
    password_again: Secret,
) -> Response:
    refusal: str | None = None
    if password != password_again:
        refusal = _("The two passwords differ.")
    else:
        try:
            result = activate(app_context(request), account_no=account_no, code=code, password=password)
        except InputRefused as refused:
            refusal = refused.summary
        else:
            if result.account_id is not None:
                return _start_session(request, result.account_id)
            refusal = result.refusal
    context = {"refusal": refusal, "account_no": account_no}
    return render(request, "portal/activate.html", context, status=422 if refusal else 200)


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/portal/login", status_code=303)
