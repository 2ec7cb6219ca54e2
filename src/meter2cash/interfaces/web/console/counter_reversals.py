"""Reversal (冲正) at the counter: a cashier asks to reverse a payment taken today, with a reason;
a supervisor approves or refuses it from the list of requests waiting (待审冲正) — never their
own request (four eyes). Each write calls the service ``m2c collect reverse-request |
reverse-approve | reverse-reject`` calls (`collection.reversals`); a refusal is a page of its own
saying why, and nothing is written."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from meter2cash.collection.reversals import decide_reversal, pending_reversals, request_reversal
from meter2cash.interfaces.web.auth import Principal, app_context, requires
from meter2cash.interfaces.web.console.counter import account_path, may
from meter2cash.interfaces.web.console.counter_queries import pending_reversal_rows
from meter2cash.interfaces.web.console.counter_view import counter_helpers
from meter2cash.interfaces.web.console.fields import ReasonForm
from meter2cash.interfaces.web.console.pages import REFUSALS, flash, page, refusal_page, take_flash
from meter2cash.interfaces.web.console.receipt_queries import payment_receipt
from meter2cash.platform.errors import InputRefused
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import Action

router = APIRouter()

REVERSALS = "/counter/reversals"


@router.post("/counter/payments/{payment_id}/reversal")
def ask_reversal(
    request: Request,
    payment_id: int,
    who: Annotated[Principal, Depends(requires(Action.PAYMENT_REVERSE_REQUEST))],
    reason: ReasonForm = "",
) -> Response:
    """冲正申请: ask to reverse a payment taken today; a supervisor decides."""
    ctx = app_context(request)
    with ctx.sessions() as session:
        back = account_path(payment_receipt(session, payment_id=payment_id).account_no)
    try:
        asked = request_reversal(ctx, actor=who.username, payment=str(payment_id), reason=_reason(reason))
    except REFUSALS as error:
        return refusal_page(request, error=error, back=back)
    flash(
        request,
        _("Reversal {id} of payment {payment} requested: it waits for a supervisor's approval.").format(
            id=asked.id, payment=payment_id
        ),
    )
    return RedirectResponse(back, status_code=303)


@router.get("/counter/reversals")
def reversals(
    request: Request,
    who: Annotated[Principal, Depends(requires(Action.LEDGER_READ))],
) -> Response:
    """待审冲正: the reversal requests waiting for a supervisor, with the payments they concern."""
    ctx = app_context(request)
    waiting = pending_reversals(ctx, actor=who.username)
    with ctx.sessions() as session:
        rows = pending_reversal_rows(session, reversal_ids=[row.id for row in waiting])
    return page(
        request,
        "console/counter_reversals.html",
        {"rows": rows, "flash": take_flash(request), "who": who.username, **may(who), **counter_helpers()},
    )


@router.post("/counter/reversals/{reversal_id}/approve")
def approve(
    request: Request,
    reversal_id: int,
    who: Annotated[Principal, Depends(requires(Action.PAYMENT_REVERSE_APPROVE))],
    reason: ReasonForm = "",
) -> Response:
    """冲正审批: the payment's ledger transaction is posted back; its bills are owed again."""
    return _decide(request, who, reversal_id, approve=True, reason=reason)


@router.post("/counter/reversals/{reversal_id}/reject")
def reject(
    request: Request,
    reversal_id: int,
    who: Annotated[Principal, Depends(requires(Action.PAYMENT_REVERSE_APPROVE))],
    reason: ReasonForm = "",
) -> Response:
    """冲正驳回: the payment stands."""
    return _decide(request, who, reversal_id, approve=False, reason=reason)


def _decide(request: Request, who: Principal, reversal_id: int, *, approve: bool, reason: str) -> Response:
    try:
        decided = decide_reversal(
            app_context(request),
            actor=who.username,
            reversal_id=reversal_id,
            approve=approve,
            note=_reason(reason),
        )
    except REFUSALS as error:
        return refusal_page(request, error=error, back=REVERSALS)
    message = (
        _("Reversal {id} approved: payment {payment} is reversed and its bills are owed again.")
        if approve
        else _("Reversal {id} refused: payment {payment} stands.")
    )
    flash(request, message.format(id=decided.id, payment=decided.payment_id))
    return RedirectResponse(REVERSALS, status_code=303)


def _reason(reason: str) -> str:
    """The reason every reversal request and decision needs (it goes into the audit trail)."""
    if not reason.strip():
        raise InputRefused(_("Give a reason: it goes into the audit trail."))
    return reason.strip()
