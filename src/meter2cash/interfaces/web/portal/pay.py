"""The customer's balance and online payment (网上缴费) in the portal.

- ``/portal/balance``: what the account owes today, bill by bill with today's late fee, the
  prepayment, the statement (对账单) and the payments — the customer's own account only.
- ``/portal/pay``: the amount (what is owed by default; more becomes prepayment) → an order with
  the gateway → the gateway's page → back to ``/portal/pay/return`` with the result and the new
  balance. The payment itself is posted when the gateway's signed notification arrives
  (``gateway_pages``), never on the customer's word.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from meter2cash.collection.account_views import AccountView
from meter2cash.collection.gateways import CANCELLED, GatewayRefused
from meter2cash.collection.portal_payments import check_order, customer_account_view, order_payment
from meter2cash.interfaces.web.auth import app_context, customer
from meter2cash.interfaces.web.portal.gateway_access import gateway, gateway_names, orders
from meter2cash.interfaces.web.portal.pay_present import helpers
from meter2cash.interfaces.web.templating import render
from meter2cash.platform.errors import InputRefused, NotFound
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.money import BadAmount, NotExact, exact

router = APIRouter()

Customer = Annotated[int, Depends(customer)]
AmountForm = Annotated[str, Form(max_length=30)]
GatewayForm = Annotated[str, Form(max_length=40)]
OrderQuery = Annotated[str, Query(min_length=1, max_length=1000)]
StatusQuery = Annotated[str, Query(max_length=20)]


@router.get("/balance")
def balance_page(request: Request, account_id: Customer) -> Response:
    """What the customer owes today and how it came about."""
    view = customer_account_view(app_context(request), account_id=account_id)
    return render(
        request,
        "portal/balance.html",
        {"view": view, "can_pay": bool(gateway_names(request)), **helpers()},
    )


@router.get("/pay")
def pay_page(request: Request, account_id: Customer) -> Response:
    view = customer_account_view(app_context(request), account_id=account_id)
    return _pay_form(request, view, amount=_default_amount(view), refusal=None)


@router.post("/pay")
def start_payment(
    request: Request, account_id: Customer, amount: AmountForm = "", gateway_code: GatewayForm = ""
) -> Response:
    """Make an order for the amount and send the customer to the gateway's page."""
    ctx = app_context(request)
    view = customer_account_view(ctx, account_id=account_id)
    names = gateway_names(request)
    code = gateway_code or next(iter(names), "")
    try:
        if code not in names:
            raise InputRefused(_("Choose a way to pay."))
        value = check_order(ctx, gateway=code, account_no=view.account_no, amount=_amount(amount))
    except InputRefused as refused:
        return _pay_form(request, view, amount=amount, refusal=refused.summary, status=422)
    created = gateway(request, code).create_order(
        account_no=view.account_no, amount=value, now=ctx.clock.now()
    )
    return RedirectResponse(created.redirect_url, status_code=303)


@router.get("/pay/return")
def payment_return(
    request: Request, account_id: Customer, order: OrderQuery, status: StatusQuery = ""
) -> Response:
    """Back from the gateway: the payment the order became (once the gateway has confirmed it),
    or that it was cancelled, and the balance now. Only the customer's own orders."""
    ctx = app_context(request)
    view = customer_account_view(ctx, account_id=account_id)
    try:
        found = orders(request).read(order)
    except GatewayRefused:
        raise NotFound(_("No such payment order.")) from None
    if found.account_no != view.account_no:
        raise NotFound(_("No such payment order."))
    paid = order_payment(ctx, account_id=account_id, gateway=found.gateway, order_id=found.order_id)
    context: dict[str, Any] = {
        "view": view,
        "order": found,
        "payment": paid,
        "cancelled": paid is None and status == CANCELLED,
        **helpers(),
    }
    return render(request, "portal/pay_result.html", context)


def _pay_form(
    request: Request, view: AccountView, *, amount: str, refusal: str | None, status: int = 200
) -> Response:
    context = {
        "view": view,
        "amount": amount,
        "gateways": gateway_names(request),
        "refusal": refusal,
        **helpers(),
    }
    return render(request, "portal/pay.html", context, status=status)


def _default_amount(view: AccountView) -> str:
    owed = view.balance.owed
    return str(owed) if owed > 0 else ""


def _amount(text: str) -> Decimal:
    if not text.strip():
        raise InputRefused(_("Enter the amount to pay."))
    try:
        return exact(text)
    except (BadAmount, NotExact):
        raise InputRefused(
            _("The amount must be a number of yuan, e.g. 120.50: {text}").format(text=text)
        ) from None
