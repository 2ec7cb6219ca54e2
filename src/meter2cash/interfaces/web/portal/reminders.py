"""How the customer wants payment reminders: SMS, e-mail, a letter or none (read by dunning when
collection lands). Saving is audited; a malformed number or address is refused and shown."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from meter2cash.interfaces.web.auth import app_context, customer
from meter2cash.interfaces.web.portal.present import REMINDER_LABELS
from meter2cash.interfaces.web.templating import render
from meter2cash.platform.errors import InputRefused
from meter2cash.registry.portal_access import reminder_preference, set_reminders

router = APIRouter()

Customer = Annotated[int, Depends(customer)]


@router.get("/reminders")
def reminders_page(request: Request, account_id: Customer, saved: int = 0) -> Response:
    current = reminder_preference(app_context(request), account_id=account_id)
    context = {
        "channels": REMINDER_LABELS,
        "channel": current.channel,
        "contact": current.contact or "",
        "saved": bool(saved),
        "refused": None,
    }
    return render(request, "portal/reminders.html", context)


@router.post("/reminders")
def save_reminders(
    request: Request,
    account_id: Customer,
    channel: Annotated[str, Form(max_length=10)],
    contact: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        set_reminders(app_context(request), account_id=account_id, channel=channel, contact=contact)
    except InputRefused as refused:
        context = {
            "channels": REMINDER_LABELS,
            "channel": channel,
            "contact": contact,
            "saved": False,
            "refused": refused,
        }
        return render(request, "portal/reminders.html", context, status=422)
    return RedirectResponse("/portal/reminders?saved=1", status_code=303)
