"""Bills (电费): the period's summary by class, the review queue (量费审核) by route book with each
bill's findings, a reviewer's approve or reject — never of a bill they calculated (四眼原则), the
refusal shown — and issuing a route book's approved bills (发行). Each write calls the service
``m2c bill review | approve | reject | issue`` calls."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from meter2cash.billing.bill_queries import period_summary
from meter2cash.billing.issue import issue_bills
from meter2cash.billing.review import Decision, decide_bill, review_bills, review_queue
from meter2cash.interfaces.web.auth import Principal, app_context, requires
from meter2cash.interfaces.web.console.bill_reads import bill_periods, bills_by_book, book_bills, queued_bill
from meter2cash.interfaces.web.console.fields import (
    PeriodForm,
    PeriodQuery,
    ReasonForm,
    RouteBookForm,
    RouteBookQuery,
)
from meter2cash.interfaces.web.console.pages import (
    REFUSALS,
    flash,
    is_htmx,
    page,
    refusal_lines,
    refusal_page,
    take_flash,
)
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import Action

router = APIRouter()

QUEUE_SHOWN = 300  # a page of forms a reviewer can work; the route book filter narrows the rest
BackTo = Annotated[str, Form(pattern="^(reading|billing)$")]


@router.get("/bills")
def bills(
    request: Request,
    who: Annotated[Principal, Depends(requires(Action.BILL_READ))],
    period: PeriodQuery = None,
    route_book: RouteBookQuery = None,
) -> Response:
    """The period's summary, review queue and issue, and one route book's bills."""
    ctx = app_context(request)
    book = route_book or None
    with ctx.sessions() as session:
        periods = bill_periods(session)
        chosen = period or (periods[0] if periods else None)
        by_book = bills_by_book(session, period=chosen) if chosen else []
        listed = book_bills(session, period=chosen, route_book=book) if chosen and book else []
    summary = period_summary(ctx, actor=who.username, period=chosen) if chosen else None
    queue = review_queue(ctx, actor=who.username, period=chosen, route_book=book) if chosen else []
    queued = len(queue)
    return page(
        request,
        "console/bills.html",
        {
            "periods": periods,
            "period": chosen,
            "route_book": book,
            "summary": summary,
            "queue": queue[:QUEUE_SHOWN],
            "queued": queued,
            "by_book": by_book,
            "listed": listed,
            "flash": take_flash(request),
            **_may(who),
        },
    )


@router.post("/bills/review")
def review(
    request: Request,
    who: Annotated[Principal, Depends(requires(Action.BILL_REVIEW))],
    period: PeriodForm,
    route_book: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """量费审核: run the review rules on the period's draft bills (one route book, or all)."""
    try:
        report = review_bills(
            app_context(request), actor=who.username, period=period, route_book=route_book or None
        )
    except REFUSALS as error:
        return refusal_page(request, error=error, back=_back(period, route_book))
    flash(
        request,
        _(
            "Review of {period}: {reviewed} draft bills, {approved} approved automatically, "
            "{flagged} flagged."
        ).format(period=period, reviewed=report.reviewed, approved=report.approved, flagged=report.flagged),
    )
    return RedirectResponse(_back(period, route_book, "queue"), status_code=303)


@router.post("/bills/{bill_id}/approve")
def approve(
    request: Request,
    bill_id: int,
    who: Annotated[Principal, Depends(requires(Action.BILL_REVIEW))],
    reason: ReasonForm = "",
) -> Response:
    """审核通过: approve a flagged bill, with a reason."""
    return _decide(request, who, bill_id, approve=True, reason=reason, back_to="billing")


@router.post("/bills/{bill_id}/reject")
def reject(
    request: Request,
    bill_id: int,
    who: Annotated[Principal, Depends(requires(Action.BILL_REVIEW))],
    reason: ReasonForm = "",
    back_to: BackTo = "billing",
) -> Response:
    """审核退回: reject a flagged bill back to reading or to billing, with a reason."""
    return _decide(request, who, bill_id, approve=False, reason=reason, back_to=back_to)


@router.post("/bills/issue")
def issue(
    request: Request,
    who: Annotated[Principal, Depends(requires(Action.BILL_ISSUE))],
    period: PeriodForm,
    route_book: RouteBookForm,
) -> Response:
    """发行: issue the route book's approved bills of the period."""
    try:
        report = issue_bills(app_context(request), actor=who.username, period=period, route_book=route_book)
    except REFUSALS as error:
        return refusal_page(request, error=error, back=_back(period, route_book, "issue"))
    if report.issued:
        message = _(
            "Issued {count} bills of route book {book} for {period}: {first} … {last}, total {total} yuan."
        ).format(
            count=report.issued,
            book=report.route_book,
            period=report.period,
            first=report.first_no,
            last=report.last_no,
            total=report.total,
        )
    else:
        message = _(
            "Nothing new to issue: {count} bills of route book {book} for {period} were issued before."
        ).format(count=report.already_issued, book=report.route_book, period=report.period)
    flash(request, message)
    return RedirectResponse(_back(period, route_book, "issue"), status_code=303)


def _decide(
    request: Request, who: Principal, bill_id: int, *, approve: bool, reason: str, back_to: str
) -> Response:
    """Call ``decide_bill``; answer with the queue row (HTMX) or the bills page, or the refusal."""
    ctx = app_context(request)
    try:
        decision = decide_bill(
            ctx, actor=who.username, bill_id=bill_id, approve=approve, reason=reason, back_to=back_to
        )
    except REFUSALS as error:
        if not is_htmx(request):
            return refusal_page(request, error=error, back="/bills#queue")
        with ctx.sessions() as session:
            item = queued_bill(session, bill_id=bill_id)
        return page(
            request,
            "console/bill_row.html",
            {"item": item, "bill_id": bill_id, "refusal": refusal_lines(error), **_may(who)},
        )
    message = _decision_text(decision)
    if not is_htmx(request):
        flash(request, message)
        return RedirectResponse("/bills#queue", status_code=303)
    return page(
        request,
        "console/bill_row.html",
        {"item": None, "bill_id": bill_id, "decision": decision, "message": message, **_may(who)},
    )


def _decision_text(decision: Decision) -> str:
    if decision.state == "approved":
        return _("Bill {bill} approved.").format(bill=decision.bill_id)
    if decision.reading_exception_id is not None:
        return _("Bill {bill} rejected back to reading: reading exception {exception} opened.").format(
            bill=decision.bill_id, exception=decision.reading_exception_id
        )
    return _("Bill {bill} rejected back to billing: the next bill run prices it again.").format(
        bill=decision.bill_id
    )


def _back(period: str, route_book: str | None, anchor: str = "") -> str:
    query = {"period": period} | ({"route_book": route_book} if route_book else {})
    return f"/bills?{urlencode(query)}" + (f"#{anchor}" if anchor else "")


def _may(who: Principal) -> dict[str, bool]:
    return {
        "may_review": who.may(Action.BILL_REVIEW),
        "may_issue": who.may(Action.BILL_ISSUE),
        "may_audit": who.may(Action.AUDIT_READ),
    }
