"""The gateways' side of a portal payment.

- ``POST /portal/gateway/{code}/notify`` is where a gateway's server sends its notification: no
  session and no CSRF token — the notification's signature is its credential. A verified "paid"
  notification posts the payment once however often it comes; the answer is ``success`` (what
  gateways expect), or ``fail`` with status 400 for one that does not verify, 404 for an unknown
  gateway and 422 for a payment the service refuses (nothing posted in any of these).
- ``/portal/gateway/test/{order}`` is the **local test gateway**'s payment page, served by our own
  application: the amount, a Pay button and a Cancel button. Pressing one makes the notification
  the gateway's server would send, delivers it as above, and sends the customer back to the portal.
  It exists only while the collection policy lists the ``test`` gateway.
"""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from meter2cash.collection.gateways import CANCELLED, PAID, TEST_GATEWAY, GatewayRefused, LocalTestGateway
from meter2cash.interfaces.web.auth import app_context, check_csrf
from meter2cash.interfaces.web.portal.gateway_access import deliver, gateway, gateway_names
from meter2cash.interfaces.web.portal.pay_present import helpers
from meter2cash.interfaces.web.templating import render
from meter2cash.platform.errors import InputRefused, NotFound
from meter2cash.platform.i18n import gettext as _

log = logging.getLogger("meter2cash.web.gateway")
router = APIRouter()

OrderPath = Annotated[str, Path(min_length=1, max_length=1000)]
CodePath = Annotated[str, Path(min_length=1, max_length=40)]
Decision = Annotated[str, Form(pattern=f"^({PAID}|{CANCELLED})$")]
MAX_FIELDS = 20
MAX_FIELD = 2000


@router.post("/gateway/{code}/notify")
async def gateway_notification(request: Request, code: CodePath) -> Response:
    """A gateway's notification of an order paid or cancelled."""
    form = await request.form(max_fields=MAX_FIELDS, max_files=0)
    fields = {name: value for name, value in form.items() if isinstance(value, str)}
    if any(len(value) > MAX_FIELD for value in fields.values()):
        return PlainTextResponse("fail: field too long", status_code=400)
    return await run_in_threadpool(_receive, request, code, fields)


def _receive(request: Request, code: str, fields: dict[str, str]) -> Response:
    try:
        deliver(request, code=code, fields=fields)
    except GatewayRefused as refused:
        log.warning("refused a %s gateway notification: %s", code, refused)
        return PlainTextResponse(f"fail: {refused}", status_code=400)
    except NotFound as unknown:  # no such gateway (or account)
        return PlainTextResponse(f"fail: {unknown}", status_code=404)
    except InputRefused as refused:
        log.warning("could not post a %s gateway payment: %s", code, refused)
        return PlainTextResponse(f"fail: {refused}", status_code=422)
    return PlainTextResponse("success")


def _test_gateway(request: Request) -> LocalTestGateway:
    found = gateway(request, TEST_GATEWAY)
    assert isinstance(found, LocalTestGateway)
    return found


@router.get("/gateway/test/{order}")
def test_gateway_page(request: Request, order: OrderPath) -> Response:
    """The test gateway's payment page: what is to be paid, Pay and Cancel."""
    return _page(request, order=order, refusal=None)


@router.post("/gateway/test/{order}", dependencies=[Depends(check_csrf)])
def test_gateway_decide(request: Request, order: OrderPath, decision: Decision) -> Response:
    """Pay or cancel on the test gateway: its notification is delivered, then the customer goes
    back to the portal (a real gateway does both too: a server notification and a redirect)."""
    ctx = app_context(request)
    try:
        fields = _test_gateway(request).notify(token=order, paid=decision == PAID, now=ctx.clock.now())
    except GatewayRefused:
        return _page(
            request, order=order, refusal=_("This payment order has expired; start again."), status=422
        )
    try:
        deliver(request, code=TEST_GATEWAY, fields=fields)
    except (GatewayRefused, InputRefused, NotFound) as refused:  # the return page shows it as unconfirmed
        log.warning("the test gateway's notification was not posted: %s", refused)
    query = urlencode({"order": order, "status": decision})
    return RedirectResponse(f"/portal/pay/return?{query}", status_code=303)


def _page(request: Request, *, order: str, refusal: str | None, status: int = 200) -> Response:
    test = _test_gateway(request)
    try:
        found = test.read_order(token=order)
    except GatewayRefused:
        raise NotFound(_("No such payment order.")) from None
    context = {
        "order": found,
        "token": order,
        "gateway_name": gateway_names(request)[TEST_GATEWAY],
        "expired": found.expired(now=app_context(request).clock.now()),
        "refusal": refusal,
        **helpers(),
    }
    return render(request, "portal/test_gateway.html", context, status=status)
