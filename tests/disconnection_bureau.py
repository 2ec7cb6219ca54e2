"""A bureau for the disconnection (停复电) tests: four residential accounts of `small_archive` with
bills due 2026-01-10, reminded by the dunning run of 2026-01-20 (A0001–A0003; A0004's bill is
posted later and never reminded), and the test clock at 2026-03-01 09:00 Beijing time, when every
one is 50 days overdue. A0001's meter answers DL/T 645 at a gateway (the control peer's port) when
one is given; the others have no communication address (a field work order cuts them).

The lawful timetable of a residential case proposed on 2026-03-01 (``notice_lead_days`` =
``notice_max_days`` = 7): approved and noticed the same day, the final notice an hour before the cut
at 2026-03-08 09:00, the cut then."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select

from archive_factory import small_archive
from ledger_bureau import issue
from meter2cash.collection import gl
from meter2cash.collection.dunning_service import run_dunning
from meter2cash.collection.month_end import post_issued_bills
from meter2cash.collection.payment_service import take_payment
from meter2cash.collection.payments import PaymentRequest
from meter2cash.platform.audit import AuditRecord
from meter2cash.platform.clock import BUSINESS_TZ, FixedClock
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from prepaid_bureau import meter_gateway

ADDRESS = "123456789012"
DUE = date(2026, 1, 10)
PROPOSE_DAY = date(2026, 3, 1)
AMOUNTS = {"A0001": "120.00", "A0002": "88.15", "A0003": "60.00", "A0004": "50.00"}
PERIODS = {
    "A0001": "2025-09",
    "A0002": "2025-10",
    "A0003": "2025-11",
    "A0004": "2025-12",
}  # one bill run each


def beijing(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BUSINESS_TZ)


PROPOSED_AT = beijing(1, 9)
APPROVED_AT = beijing(1, 10)
NOTICE_AT = beijing(1, 11)
FINAL_AT = beijing(8, 8)
CUT_AT = beijing(8, 9)


def set_clock(ctx: AppContext, moment: datetime) -> datetime:
    clock = ctx.clock
    assert isinstance(clock, FixedClock)
    clock.instant = moment.astimezone(UTC)
    return moment


def disconnection_bureau(ctx: AppContext, *, gateway_port: int | None = None) -> AppContext:
    small_archive(ctx, accounts=4)
    set_clock(ctx, datetime(2026, 1, 1, 9, tzinfo=BUSINESS_TZ))
    for number in ("A0001", "A0002", "A0003"):
        issue(ctx, account_no=number, period=PERIODS[number], amount=AMOUNTS[number], due_on=DUE)
    post_issued_bills(ctx, actor="billing_clerk")
    set_clock(ctx, datetime(2026, 1, 20, 9, tzinfo=BUSINESS_TZ))
    run_dunning(ctx, actor="billing_clerk", on=date(2026, 1, 20))
    set_clock(ctx, PROPOSED_AT)
    issue(ctx, account_no="A0004", period=PERIODS["A0004"], amount=AMOUNTS["A0004"], due_on=DUE)
    post_issued_bills(ctx, actor="billing_clerk")
    if gateway_port is not None:
        meter_gateway(ctx, meter_no="M0001", address=ADDRESS, host="127.0.0.1", port=gateway_port)
    return ctx


def pay(ctx: AppContext, account_no: str, *, at: datetime, amount: str = "300.00") -> None:
    """A counter payment at ``at``; the default covers the bill and its late fee (allocated first)."""
    set_clock(ctx, at)
    request = PaymentRequest(
        account_no=account_no,
        amount=Decimal(amount),
        channel=gl.Channel.COUNTER,
        method=gl.Method.CASH,
        source="counter",
        paid_on=at.date(),
        idempotency_key=f"pay-{account_no}-{at.isoformat()}",
    )
    take_payment(ctx, actor="cashier", request=request)


def audit_actions(ctx: AppContext, case_id: int) -> list[str]:
    with unit_of_work(ctx.sessions) as session:
        return list(
            session.scalars(
                select(AuditRecord.action)
                .where(AuditRecord.object_type == "disconnection_case", AuditRecord.object_id == str(case_id))
                .order_by(AuditRecord.seq)
            )
        )
