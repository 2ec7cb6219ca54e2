"""The printable receipt (收据) of a payment: the bureau, the receipt number, the day, the account
and customer, the amount in figures and in Chinese capitals (大写), the bills and late fees it
settled, the channel and the cashier. The page prints without the console's menu (``@media
print`` in ``static/app.css``); viewing it writes nothing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from meter2cash.interfaces.web.auth import Principal, app_context, requires
from meter2cash.interfaces.web.console.counter_view import counter_helpers
from meter2cash.interfaces.web.console.pages import page
from meter2cash.interfaces.web.console.receipt_queries import payment_receipt
from meter2cash.platform.permissions import Action

router = APIRouter()


@router.get("/receipts/{payment_id}")
def receipt(
    request: Request,
    payment_id: int,
    who: Annotated[Principal, Depends(requires(Action.LEDGER_READ))],
) -> Response:
    """One payment's receipt, ready to print."""
    ctx = app_context(request)
    with ctx.sessions() as session:
        found = payment_receipt(session, payment_id=payment_id)
    return page(
        request,
        "console/receipt.html",
        {"r": found, "bureau": ctx.settings.bureau_name, **counter_helpers()},
    )
