"""The dunning screen (催费): the latest dunning notices, the outbox's messages by status and
channel, and a button that runs dunning for today — the service ``m2c collect dunning`` calls
(`collection.dunning_service.run_dunning`), with the logged-in user as the actor. Messages are
sent by the worker (``m2c collect send-notices``), not by this page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from meter2cash.collection.dunning_service import dunning_notices, outbox_summary, run_dunning
from meter2cash.interfaces.web.auth import Principal, app_context, requires
from meter2cash.interfaces.web.console.pages import REFUSALS, flash, page, refusal_lines, take_flash
from meter2cash.platform.clock import business_date
from meter2cash.platform.i18n import N_
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import Action

router = APIRouter()

CHANNELS = {"sms": N_("SMS"), "email": N_("E-mail"), "letter": N_("Letter")}
STATUSES = {"pending": N_("Pending"), "sent": N_("Sent"), "failed": N_("Failed")}
STEPS = {"reminder": N_("Reminder"), "second_reminder": N_("Second reminder")}


def _context(request: Request) -> dict[str, Any]:
    ctx = app_context(request)
    return {
        "notices": dunning_notices(ctx, limit=100),
        "outbox": outbox_summary(ctx),
        "today": business_date(ctx.clock.now()),
        "channels": CHANNELS,
        "statuses": STATUSES,
        "steps": STEPS,
        "flash": take_flash(request),
    }


@router.get("/dunning")
def dunning_page(
    request: Request, who: Annotated[Principal, Depends(requires(Action.DUNNING_RUN))]
) -> Response:
    """The latest notices and the outbox."""
    del who
    return page(request, "console/dunning.html", _context(request))


@router.post("/dunning/run")
def dunning_run(
    request: Request, who: Annotated[Principal, Depends(requires(Action.DUNNING_RUN))]
) -> Response:
    """催费: run the dunning policy for today; the page again with what was done."""
    ctx = app_context(request)
    today = business_date(ctx.clock.now())
    try:
        report = run_dunning(ctx, actor=who.username, on=today)
    except REFUSALS as error:
        context = _context(request)
        context["refusal"] = refusal_lines(error)
        return page(request, "console/dunning.html", context, status=422)
    flash(
        request,
        _(
            "Dunning of {day}: {examined} overdue accounts, {notices} notices, {messages} messages queued"
        ).format(
            day=today.isoformat(),
            examined=report.accounts_examined,
            notices=report.notices,
            messages=report.messages,
        ),
    )
    return RedirectResponse("/dunning", status_code=303)
