"""The customer's own account: what is owed now (with a link to pay), what was billed, the issued
bills (PDF each) and the monthly and daily usage charts. Every page asks the `customer`
dependency: no session, no page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from meter2cash.billing.portal_views import bill_pdf, portal_overview
from meter2cash.collection.portal_payments import customer_account_view
from meter2cash.interfaces.web.auth import app_context, customer
from meter2cash.interfaces.web.portal.gateway_access import gateway_names
from meter2cash.interfaces.web.portal.present import (
    averaged,
    daily_chart,
    kwh_text,
    money_text,
    monthly_chart,
)
from meter2cash.interfaces.web.templating import render

router = APIRouter()

Customer = Annotated[int, Depends(customer)]


@router.get("/")
def home(request: Request, account_id: Customer) -> Response:
    overview = portal_overview(app_context(request), account_id=account_id)
    return render(
        request,
        "portal/home.html",
        {
            "o": overview,
            "balance": customer_account_view(app_context(request), account_id=account_id).balance,
            "can_pay": bool(gateway_names(request)),
            "kwh": kwh_text,
            "money": money_text,
            "monthly_option": monthly_chart(overview.months) if overview.months else None,
            "daily_option": daily_chart(overview.days) if overview.days else None,
            "daily_averaged": averaged(overview.days),
        },
    )


@router.get("/bills/{bill_no}.pdf")
def bill_document(bill_no: str, request: Request, account_id: Customer) -> Response:
    """The bill's PDF, only when it is one of this customer's issued bills (404 otherwise)."""
    pdf = bill_pdf(app_context(request), account_id=account_id, bill_no=bill_no)
    return Response(
        pdf.content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{pdf.file_name}"',
            "Cache-Control": "private, no-store",
        },
    )
