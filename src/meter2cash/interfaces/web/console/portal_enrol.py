"""Staff give a customer a portal activation code (开通网上营业厅): POST, shown once on a page
that is not cached. The code's rules are in ``registry.portal_access``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from meter2cash.interfaces.web.auth import Principal, app_context, requires
from meter2cash.interfaces.web.templating import render
from meter2cash.platform.clock import business_date
from meter2cash.platform.permissions import Action
from meter2cash.registry.portal_access import issue_activation_code

router = APIRouter()


@router.post("/customers/{account_no}/portal-code")
def portal_code(
    account_no: str,
    request: Request,
    who: Annotated[Principal, Depends(requires(Action.PORTAL_ENROL))],
) -> Response:
    issued = issue_activation_code(app_context(request), actor=who.username, account_no=account_no)
    context = {"issued": issued, "expires_on": business_date(issued.expires_at).isoformat()}
    response = render(request, "console/portal_code.html", context)
    response.headers["Cache-Control"] = "no-store"
    return response
