"""The billing (核算) API for a period: bill runs, review (量费审核), the review queue, issue (发行)
and the period summary. Each route calls the billing service the CLI calls and answers with its
report's ``as_json`` — the JSON of ``m2c bill run|review|queue|issue|summary --json``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from meter2cash.billing.bill_queries import period_summary
from meter2cash.billing.bill_run import run_bills
from meter2cash.billing.issue import issue_bills
from meter2cash.billing.review import review_bills, review_queue
from meter2cash.interfaces.web.api.deps import BillReader, Ctx
from meter2cash.interfaces.web.api.schemas_billing import (
    IssueIn,
    IssueOut,
    PeriodSummaryOut,
    QueuedBillOut,
    ReviewIn,
    ReviewOut,
    RunIn,
    RunOut,
)
from meter2cash.interfaces.web.api.schemas_common import (
    LimitQuery,
    OffsetQuery,
    OptionalPeriodQuery,
    Page,
    PeriodQuery,
    RouteBookQuery,
    sliced,
)
from meter2cash.interfaces.web.auth import Principal, requires
from meter2cash.platform.permissions import Action

router = APIRouter(prefix="/billing", tags=["billing"])
Runner = Annotated[Principal, Depends(requires(Action.BILL_RUN))]
Reviewer = Annotated[Principal, Depends(requires(Action.BILL_REVIEW))]
Issuer = Annotated[Principal, Depends(requires(Action.BILL_ISSUE))]


@router.post("/runs", response_model=RunOut, summary="Run the bills of a period (电费计算)")
def run(who: Runner, ctx: Ctx, body: RunIn) -> dict[str, object]:
    """Price every account (of the route book, or all) whose determinants are closed into draft
    bills. Idempotent: running again prices nothing twice; ``reprice`` prices drafts again."""
    report = run_bills(
        ctx, actor=who.username, period=body.period, route_book=body.route_book, reprice=body.reprice
    )
    return report.as_json()


@router.post("/reviews", response_model=ReviewOut, summary="Review the draft bills (量费审核)")
def review(who: Reviewer, ctx: Ctx, body: ReviewIn) -> dict[str, object]:
    """Run the review rules on the period's draft bills: clean ones are approved automatically,
    the rest flagged for a reviewer. Running it again changes nothing."""
    return review_bills(ctx, actor=who.username, period=body.period, route_book=body.route_book).as_json()


@router.get("/review-queue", response_model=Page[QueuedBillOut], summary="The review queue (审核队列)")
def queue(
    who: BillReader,
    ctx: Ctx,
    period: OptionalPeriodQuery = None,
    route_book: RouteBookQuery = None,
    limit: LimitQuery = 100,
    offset: OffsetQuery = 0,
) -> dict[str, Any]:
    """The flagged bills waiting for a reviewer, by route book then account, with each finding's
    code and reason."""
    items = review_queue(ctx, actor=who.username, period=period, route_book=route_book)
    return sliced([item.as_json() for item in items], limit=limit, offset=offset)


@router.post("/issues", response_model=IssueOut, summary="Issue a route book's bills (电费发行)")
def issue(who: Issuer, ctx: Ctx, body: IssueIn) -> dict[str, object]:
    """Number the book's approved bills (gap-free ``YYYY-NNNNNN``), give them due dates and
    receivables; then they are immutable. Issuing again issues nothing twice; a book with nothing
    approved (and nothing issued before) is refused (422)."""
    return issue_bills(ctx, actor=who.username, period=body.period, route_book=body.route_book).as_json()


@router.get("/summary", response_model=PeriodSummaryOut, summary="Bills of a period by class (电费汇总)")
def summary(who: BillReader, ctx: Ctx, period: PeriodQuery) -> dict[str, object]:
    """The period's regular bills, kWh and revenue by customer class, bills by state, accounts not
    priced by reason, and the 退补 adjustment bills dated in the period apart."""
    return period_summary(ctx, actor=who.username, period=period).as_json()
