"""The bills API: a period's regular bills by route book and state, one bill with its lines
(``m2c bill show --json``) and its review findings, and the reviewer's decision on a flagged
bill — approve, or reject back to reading or billing — by the review service, which refuses the
user who ran the bill's calculation (four eyes, 403)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import func, select

from meter2cash.billing.bill_model import Bill, BillFinding
from meter2cash.billing.bill_queries import bill_of
from meter2cash.billing.review import decide_bill
from meter2cash.interfaces.web.api.deps import BillReader, Ctx
from meter2cash.interfaces.web.api.schemas_billing import (
    BillDetailOut,
    BillState,
    BillSummaryRowOut,
    DecisionOut,
    RejectIn,
)
from meter2cash.interfaces.web.api.schemas_common import (
    CODE_PATTERN,
    LimitQuery,
    OffsetQuery,
    OptionalPeriodQuery,
    Page,
    ReasonIn,
    RouteBookQuery,
    id_path,
    page_of,
)
from meter2cash.interfaces.web.auth import Principal, requires
from meter2cash.platform.context import use_case
from meter2cash.platform.errors import NotFound
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import Action
from meter2cash.reading.plans import route_books
from meter2cash.registry.model import Account, RouteBook

router = APIRouter(prefix="/bills", tags=["bills"])
Reviewer = Annotated[Principal, Depends(requires(Action.BILL_REVIEW))]
BillId = Annotated[int, id_path("The bill's id.")]


@router.get("", response_model=Page[BillSummaryRowOut], summary="Bills (电费账单)")
def list_bills(
    who: BillReader,
    ctx: Ctx,
    period: OptionalPeriodQuery = None,
    route_book: RouteBookQuery = None,
    state: Annotated[BillState | None, Query(description="Only bills in this state.")] = None,
    account_no: Annotated[str | None, Query(min_length=1, max_length=32, pattern=CODE_PATTERN)] = None,
    limit: LimitQuery = 100,
    offset: OffsetQuery = 0,
) -> dict[str, Any]:
    """Regular bills by period, route book, state and account, by account then period."""
    query = (
        select(Bill, Account.account_no, Account.category, RouteBook.code)
        .join(Account, Account.id == Bill.account_id)
        .join(RouteBook, RouteBook.id == Account.route_book_id)
        .where(Bill.kind == "regular")
    )
    if period is not None:
        query = query.where(Bill.period == period)
    if state is not None:
        query = query.where(Bill.state == state)
    if account_no is not None:
        query = query.where(Account.account_no == account_no)
    with use_case(ctx, actor=who.username, action=Action.BILL_READ) as (session, _who):
        if route_book is not None:
            query = query.where(RouteBook.id == route_books(session, route_book)[0].id)
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.execute(
            query.order_by(Account.account_no, Bill.period, Bill.id).limit(limit).offset(offset)
        ).all()
        items = [
            {
                "id": bill.id,
                "account_no": number,
                "category": category,
                "route_book": book,
                "period": bill.period,
                "state": bill.state,
                "kwh": f"{bill.kwh.normalize():f}",
                "total": str(bill.total),
                "computed_by": bill.computed_by,
                "reviewed_by": bill.reviewed_by,
                "bill_no": bill.bill_no,
                "issued_on": bill.issued_on.isoformat() if bill.issued_on else None,
                "due_on": bill.due_on.isoformat() if bill.due_on else None,
            }
            for bill, number, category, book in rows
        ]
    return page_of(items, total=int(total), limit=limit, offset=offset)


@router.get("/{bill_id}", response_model=BillDetailOut, summary="One bill with its lines (电费明细)")
def bill_detail(who: BillReader, ctx: Ctx, bill_id: BillId) -> dict[str, Any]:
    """The bill line by line with the rule applied, as ``m2c bill show --json``, and the findings
    of its review. Regular bills only: an adjustment bill belongs to its correction (退补)."""
    with use_case(ctx, actor=who.username, action=Action.BILL_READ) as (session, _who):
        row = session.execute(
            select(Account.account_no, Bill.period)
            .join(Account, Account.id == Bill.account_id)
            .where(Bill.id == bill_id, Bill.kind == "regular")
        ).first()
        if row is None:
            raise NotFound(_("No bill with id {bill}").format(bill=bill_id))
        findings = [
            {"code": code, "severity": severity, "reason": detail}
            for code, severity, detail in session.execute(
                select(BillFinding.code, BillFinding.severity, BillFinding.detail)
                .where(BillFinding.bill_id == bill_id)
                .order_by(BillFinding.id)
            )
        ]
    stored = bill_of(ctx, actor=who.username, account_no=row.account_no, period=row.period)
    return {"bill": stored.bill, "lines": stored.lines, "findings": findings}


@router.post("/{bill_id}/approve", response_model=DecisionOut, summary="Approve a flagged bill (审核通过)")
def approve(who: Reviewer, ctx: Ctx, bill_id: BillId, body: ReasonIn) -> dict[str, object]:
    """Approve a flagged bill, with a reason. Refused (403) to the user who ran its calculation;
    a bill that is not flagged is refused (422) with its state."""
    return decide_bill(ctx, actor=who.username, bill_id=bill_id, approve=True, reason=body.reason).as_json()


@router.post("/{bill_id}/reject", response_model=DecisionOut, summary="Reject a flagged bill (审核退回)")
def reject(who: Reviewer, ctx: Ctx, bill_id: BillId, body: RejectIn) -> dict[str, object]:
    """Reject a flagged bill with a reason: ``reading`` withdraws it and its determinant and opens a
    ``BILL_REJECTED`` reading exception; ``billing`` (default) waits for a run with ``reprice``.
    Refused (403) to the user who ran its calculation."""
    decision = decide_bill(
        ctx, actor=who.username, bill_id=bill_id, approve=False, reason=body.reason, back_to=body.back_to
    )
    return decision.as_json()
