"""One bill (电费明细): its head, every line with the rule it was priced by, the review findings and
decisions, the approve/reject form while it is flagged, and its 电费通知单 in the page."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from meter2cash.interfaces.web.auth import Principal, app_context, requires
from meter2cash.interfaces.web.console.bill_reads import bill_detail
from meter2cash.interfaces.web.console.pages import page, plain_number
from meter2cash.platform.permissions import Action

router = APIRouter()

FEN = Decimal("0.01")


@router.get("/bills/{bill_id}")
def bill(
    request: Request, bill_id: int, who: Annotated[Principal, Depends(requires(Action.BILL_READ))]
) -> Response:
    """The bill with its lines, findings, decisions and document."""
    with app_context(request).sessions() as session:
        detail = bill_detail(session, bill_id=bill_id)
    lines = [
        {
            "code": line.code,
            "label": line.label,
            "quantity": str(line.quantity.quantize(FEN))
            if line.unit == "元"
            else plain_number(line.quantity),
            "unit": line.unit,
            "unit_price": line.unit_price,
            "amount": str(line.amount),
            "rule": line.rule,
            "tariff_version": line.tariff_version,
        }
        for line in detail.lines
    ]
    return page(
        request,
        "console/bill.html",
        {
            "d": detail,
            "b": detail.bill,
            "lines": lines,
            "may_review": who.may(Action.BILL_REVIEW),
            "may_audit": who.may(Action.AUDIT_READ),
            "may_document": who.may(Action.BILL_DOCUMENT),
        },
    )
