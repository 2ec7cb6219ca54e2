"""A bill rejected at review back to reading (退回抄表) closes the loop on SQLite and PostgreSQL:
the bill and its determinant are withdrawn, closing holds the account while the BILL_REJECTED
exception is open, and once the reading is corrected (edit with four eyes) closing computes the
determinant again and the next bill run prices a new draft from the corrected reading."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select

from archive_factory import small_archive
from meter2cash.billing.bill_model import Bill, BillReview
from meter2cash.billing.bill_run import run_bills
from meter2cash.billing.catalog import load_catalog
from meter2cash.billing.catalog_files import bundled_catalog_path
from meter2cash.billing.review import decide_bill, review_bills, review_queue
from meter2cash.platform.audit import verify_chain
from meter2cash.platform.context import AppContext
from meter2cash.reading.closing import close_period
from meter2cash.reading.entry import enter_readings
from meter2cash.reading.exceptions import confirm_exception, decide_edit, exception_queue, propose_edit
from meter2cash.reading.intake import IncomingReading
from meter2cash.reading.model import BILL_REJECTED, BillingDeterminant
from meter2cash.reading.plans import plan_period
from meter2cash.registry.model import Account

PERIOD = "2025-02"


def set_today(ctx: AppContext, day: date) -> None:
    ctx.clock.instant = datetime(day.year, day.month, day.day, 4, tzinfo=UTC)  # type: ignore[attr-defined]


def read(ctx: AppContext, meter: str, total: str) -> None:
    set_today(ctx, date(2025, 2, 16))
    enter_readings(
        ctx,
        actor="meter_reader",
        readings=[IncomingReading(meter_no=meter, read_at=datetime(2025, 2, 15, 10), total=total)],  # type: ignore[arg-type]  # noqa: DTZ001
    )


def flagged_zero_bill(ctx: AppContext) -> int:
    """Two accounts read; M0002 is read at its install reading, so its bill is zero (ZERO_BILL)."""
    small_archive(ctx, accounts=2)
    load_catalog(ctx, actor="manager", path=bundled_catalog_path())
    plan_period(ctx, actor="billing_clerk", period=PERIOD)
    read(ctx, "M0001", "250.00")
    read(ctx, "M0002", "100.00")
    set_today(ctx, date(2025, 2, 20))
    close_period(ctx, actor="billing_clerk", period=PERIOD)
    run_bills(ctx, actor="billing_clerk", period=PERIOD)
    review_bills(ctx, actor="reviewer", period=PERIOD)
    queue = review_queue(ctx, actor="reviewer", period=PERIOD)
    (item,) = [q for q in queue if any(f["code"] == "ZERO_BILL" for f in q.findings)]
    return item.bill_id


def account_id(ctx: AppContext, number: str) -> int:
    with ctx.sessions() as session:
        found = session.scalar(select(Account.id).where(Account.account_no == number))
    assert found is not None
    return found


def regular_bill(ctx: AppContext, number: str) -> Bill | None:
    with ctx.sessions() as session:
        return session.scalar(
            select(Bill).where(Bill.account_id == account_id(ctx, number), Bill.period == PERIOD)
        )


def kwh_determined(ctx: AppContext, number: str) -> Decimal | None:
    with ctx.sessions() as session:
        return session.scalar(
            select(BillingDeterminant.kwh_total).where(
                BillingDeterminant.account_id == account_id(ctx, number),
                BillingDeterminant.period == PERIOD,
            )
        )


def reject_to_reading(ctx: AppContext) -> int:
    bill_id = flagged_zero_bill(ctx)
    decision = decide_bill(
        ctx, actor="reviewer", bill_id=bill_id, approve=False, reason="零电量，疑似抄错", back_to="reading"
    )
    assert decision.reading_exception_id is not None
    return decision.reading_exception_id


def test_a_bill_rejected_back_to_reading_is_withdrawn_with_its_determinant(ctx: AppContext) -> None:
    reject_to_reading(ctx)
    assert regular_bill(ctx, "A0002") is None
    assert kwh_determined(ctx, "A0002") is None
    assert kwh_determined(ctx, "A0001") == Decimal("150.00")
    with ctx.sessions() as session:
        reviews = session.scalars(select(BillReview)).all()
        assert [(r.decision, r.back_to) for r in reviews] == [("rejected", "reading")]
        assert verify_chain(session).ok


def test_closing_holds_the_account_until_the_rejection_is_resolved(ctx: AppContext) -> None:
    exception_id = reject_to_reading(ctx)
    report = close_period(ctx, actor="billing_clerk", period=PERIOD)
    assert report.determinants == 0
    assert [h["meter_no"] for h in report.held] == ["M0002"]
    assert str(exception_id) in report.held[0]["reason"]
    priced = run_bills(ctx, actor="billing_clerk", period=PERIOD)
    assert priced.priced == 0 and "A0002" in priced.unpriced


def test_a_corrected_reading_gives_a_new_determinant_and_a_new_draft_bill(ctx: AppContext) -> None:
    exception_id = reject_to_reading(ctx)
    edit = propose_edit(
        ctx, actor="meter_reader", exception_id=exception_id, values={"total": "180.50"}, reason="复抄 180.50"
    )
    decide_edit(ctx, actor="manager", edit_id=edit.id, approve=True, reason="复抄照片核对无误")
    with ctx.sessions() as session:
        assert [q.code for q in exception_queue(session) if q.code == BILL_REJECTED] == []
    report = close_period(ctx, actor="billing_clerk", period=PERIOD)
    assert (report.determinants, report.held) == (1, [])
    assert kwh_determined(ctx, "A0002") == Decimal("80.50")
    assert run_bills(ctx, actor="billing_clerk", period=PERIOD).priced == 1
    fresh = regular_bill(ctx, "A0002")
    assert fresh is not None and fresh.state == "draft" and fresh.total > 0
    assert review_bills(ctx, actor="reviewer", period=PERIOD).reviewed == 1
    with ctx.sessions() as session:
        assert verify_chain(session).ok


def test_a_confirmed_reading_is_billed_again_as_it_was_and_reviewed_afresh(ctx: AppContext) -> None:
    exception_id = reject_to_reading(ctx)
    confirm_exception(ctx, actor="billing_clerk", exception_id=exception_id, reason="现场核实，确实未用电")
    close_period(ctx, actor="billing_clerk", period=PERIOD)
    assert kwh_determined(ctx, "A0002") == Decimal("0.00")
    assert run_bills(ctx, actor="billing_clerk", period=PERIOD).priced == 1
    review = review_bills(ctx, actor="reviewer", period=PERIOD)
    assert review.flagged == 1  # still zero: a reviewer approves it knowingly
